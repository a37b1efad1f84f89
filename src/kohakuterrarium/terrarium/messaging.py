"""Channel posting for the engine: messages from creatures and from outside.

:class:`MessagingOps` is mixed into :class:`~.engine.Terrarium`. Every post goes through
:meth:`_post`, which delivers per the channel's type and publishes a ``channel_message`` engine
event; slow broadcast subscribers produce rate-limited ``error`` events with
``payload["level"] == "warning"`` (first drop, then every power of two).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import TerrariumError
from kohakuterrarium.terrarium.channels import (
    Channel,
    ChannelMessage,
    ChannelSubscription,
    new_message_id,
)
from kohakuterrarium.terrarium.events import EventKind

if TYPE_CHECKING:
    from kohakuterrarium.terrarium.creature_host import Creature
    from kohakuterrarium.terrarium.engine import Terrarium
    from kohakuterrarium.terrarium.graph_ops import GraphRef
    from kohakuterrarium.terrarium.topology import Graph


class MessagingOps:
    """Posting on channels and channel subscriptions (mixed into Terrarium)."""

    # ------------------------------------------------------------------ posting

    async def send(
        self: Terrarium,
        graph: GraphRef,
        channel: str,
        content: Any,
        *,
        sender: str = "user",
        metadata: dict[str, Any] | None = None,
        reply_to: str | None = None,
    ) -> ChannelMessage:
        """Post ``content`` on ``channel`` of ``graph`` from outside the graph (a user, a test)."""
        g = self._graph(graph)
        msg = ChannelMessage(
            sender, content, dict(metadata or {}), reply_to=reply_to, channel=channel
        )
        return await self._post(g, self._channel(g, channel), msg)

    async def _creature_send(
        self: Terrarium,
        creature: Creature,
        channel: str,
        content: Any,
        *,
        sender: str | None = None,
        metadata: dict[str, Any] | None = None,
        reply_to: str | None = None,
        require_edge: bool = False,
    ) -> ChannelMessage:
        g = self._graph_of(creature)
        ch = self._channel(g, channel)
        if require_edge and channel not in creature.send:
            raise TerrariumError(
                f"creature '{creature.creature_id}' has no send edge on channel '{channel}' "
                f"(it may send on: {', '.join(creature.send) or 'nothing'})"
            )
        msg = ChannelMessage(
            sender or creature.creature_id,
            content,
            dict(metadata or {}),
            reply_to=reply_to,
            channel=channel,
            sender_id=creature.creature_id,
        )
        return await self._post(g, ch, msg)

    async def _post(self: Terrarium, g: Graph, ch: Channel, msg: ChannelMessage) -> ChannelMessage:
        msg = await ch.send(msg)
        if self._subscribers:
            self._emit(
                EventKind.CHANNEL_MESSAGE,
                None,
                {
                    "message_id": msg.message_id,
                    "sender": msg.sender,
                    "sender_id": msg.sender_id,
                    "content": msg.content,
                    "reply_to": msg.reply_to,
                    "metadata": msg.metadata,
                    "timestamp": msg.timestamp,
                },
                graph_id=g.graph_id,
                channel=ch.name,
                creature_id=msg.sender_id,
            )
        return msg

    def _on_channel_drop(self: Terrarium, ch: Channel, sub: Any) -> None:
        # First drop and every power of two after it: a visible warning, not a flood.
        n = sub.dropped
        if n & (n - 1) == 0:
            self._emit(
                EventKind.ERROR,
                None,
                {
                    "level": "warning",
                    "error": f"channel '{ch.name}': subscriber '{sub.subscriber_id}' is "
                    f"{sub.capacity} messages behind; dropped its oldest ({n} so far)",
                    "where": "channel_backpressure",
                    "subscriber": sub.subscriber_id,
                    "dropped": n,
                },
                graph_id=ch.graph_id,
                channel=ch.name,
                creature_id=sub.owner_id,
            )

    def _subscribe_channel(
        self: Terrarium,
        creature: Creature | None,
        channel: str,
        *,
        receive_own: bool,
        capacity: int,
    ) -> ChannelSubscription:
        g = self._graph_of(creature) if creature is not None else None
        if g is None:
            raise TerrariumError("channel subscriptions need a creature's graph")
        ch = self._channel(g, channel)
        sub = ChannelSubscription(
            f"sub_{new_message_id()[4:]}",
            owner_id=creature.creature_id if creature is not None else None,
            owner_name=creature.creature_id if creature is not None else None,
            receive_own=receive_own,
            capacity=capacity,
        )
        ch.add_subscriber(sub)
        return sub


__all__ = ["MessagingOps"]
