"""Graph channels: named, typed, bounded message carriers between creatures.

Two types, chosen by the recipe's ``type:`` (Part C 21: the type is honoured):

``broadcast``
    Every subscriber gets every message sent after it subscribed (a late subscriber does not
    see earlier traffic; read :attr:`Channel.history` for that).
``queue``
    Each message goes to exactly one consumer, chosen **round-robin** over the current
    subscribers, skipping any whose buffer is full. Messages sent while nobody consumes wait in a
    bounded backlog and go to the first consumer that subscribes.

Backpressure (nothing here is unbounded, Part C 18). Every subscriber owns a buffer of at most
``capacity`` messages (default :data:`DEFAULT_CAPACITY`):

* broadcast: a slow subscriber whose buffer is full loses its **oldest** buffered message
  (drop-oldest); its ``dropped`` counter grows and the channel's ``on_drop`` hook fires (the
  engine turns the first drop, and every power of two after it, into an ``error`` event with
  ``payload["level"] == "warning"``). The sender never waits.
* queue: nothing is dropped. When every consumer's buffer (or the backlog, when there is no
  consumer) is full, the sender **waits** up to ``send_timeout`` seconds (default
  :data:`DEFAULT_SEND_TIMEOUT`) for room, then raises :class:`TerrariumError`.

A *tap* subscriber (the root's edges) gets a copy of every queue message without being a
consumer; when only taps listen, they get it and no backlog builds up.

Own messages: a subscriber does not receive what its own creature sent unless it subscribed
with ``receive_own=True``.

A creature's listen edge is a :class:`CallbackSubscription`: it hands each message straight to
the creature's inbox when there is room (no task), and only when the inbox is full buffers it
and runs a short-lived pump task that waits for room. Programmatic observers use
:class:`ChannelSubscription` (``async for msg in sub`` or ``await sub.get(timeout)``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from kohakuterrarium.errors import BadValueError, TerrariumError
from kohakuterrarium.terrarium.tasks import SerialPump, TaskOwner

ChannelType = Literal["broadcast", "queue"]
CHANNEL_TYPES: tuple[str, ...] = ("broadcast", "queue")

DEFAULT_CAPACITY = 256
"""Messages buffered per subscriber (and in a queue channel's backlog)."""
DEFAULT_HISTORY = 100
"""Messages kept in a channel's history."""
DEFAULT_SEND_TIMEOUT = 30.0
"""Seconds a sender waits for room on a full queue channel before it gets an error."""

_PREFIX = os.urandom(3).hex()
_IDS = itertools.count(1)


def new_message_id() -> str:
    """A process-unique message id (cheap: no uuid per message)."""
    return f"msg_{_PREFIX}{next(_IDS):x}"


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """One message on a channel."""

    sender: str
    """Display name of the sender (a creature name, ``user``, ...)."""
    content: Any
    """Text, or a JSON-able dict / list."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form data that travels with the message."""
    timestamp: float = field(default_factory=time.time)
    """When it was sent (epoch seconds)."""
    message_id: str = field(default_factory=new_message_id)
    """Unique id; replies point at it with ``reply_to``."""
    reply_to: str | None = None
    """The message this one answers."""
    channel: str = ""
    """The channel it was sent on."""
    sender_id: str | None = None
    """Creature id of the sender (None for messages from outside the engine)."""

    def text(self) -> str:
        """The content as text (dicts and lists as JSON)."""
        if isinstance(self.content, str):
            return self.content
        import json

        try:
            return json.dumps(self.content, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return str(self.content)


class Offer(Enum):
    """What happened when a channel offered a message to a subscriber."""

    ACCEPTED = "accepted"
    DROPPED_OLDEST = "dropped_oldest"
    FULL = "full"


class Subscription:
    """Base of every channel subscriber: identity, own-message rule, bounded buffer."""

    __slots__ = (
        "_buf",
        "active",
        "capacity",
        "channel",
        "closed",
        "dropped",
        "owner_id",
        "owner_name",
        "receive_own",
        "subscriber_id",
        "tap",
    )

    def __init__(
        self,
        subscriber_id: str,
        *,
        owner_id: str | None = None,
        owner_name: str | None = None,
        receive_own: bool = False,
        capacity: int = DEFAULT_CAPACITY,
        tap: bool = False,
    ) -> None:
        if capacity < 1:
            raise BadValueError(f"capacity must be >= 1, got {capacity}", key="capacity")
        self.subscriber_id = subscriber_id
        """Unique among the channel's subscribers (the creature id for a listen edge)."""
        self.owner_id = owner_id
        """Creature this subscription belongs to (own-message filtering)."""
        self.owner_name = owner_name
        self.receive_own = receive_own
        self.tap = tap
        """On a queue channel: gets a copy of every message without being a consumer."""
        self.capacity = capacity
        self.dropped = 0
        """Messages lost to drop-oldest backpressure."""
        self.channel: Channel | None = None
        self.closed = False
        self.active = True
        """False while the owning creature is stopped: the channel skips it."""
        self._buf: deque[ChannelMessage] = deque()

    def is_own(self, msg: ChannelMessage) -> bool:
        if self.owner_id is None and self.owner_name is None:
            return False
        if msg.sender_id is not None:
            return msg.sender_id == self.owner_id
        return self.owner_name is not None and msg.sender == self.owner_name

    @property
    def pending(self) -> int:
        """Messages buffered, not yet handed over."""
        return len(self._buf)

    def offer(self, msg: ChannelMessage, *, drop_oldest: bool) -> Offer:
        if len(self._buf) >= self.capacity:
            if not drop_oldest:
                return Offer.FULL
            self._buf.popleft()
            self.dropped += 1
            self._buf.append(msg)
            self._wake()
            return Offer.DROPPED_OLDEST
        self._buf.append(msg)
        self._wake()
        return Offer.ACCEPTED

    def _wake(self) -> None:  # subclasses start delivery here
        pass

    def _took_one(self) -> None:
        if self.channel is not None:
            self.channel.notify_space()

    def close(self) -> None:
        """Unsubscribe; buffered messages are discarded."""
        if self.closed:
            return
        self.closed = True
        self._buf.clear()
        if self.channel is not None:
            self.channel.remove_subscriber(self.subscriber_id)


class ChannelSubscription(Subscription):
    """A programmatic subscriber: ``async for msg in sub`` or ``await sub.get(timeout)``."""

    __slots__ = ("_ready",)

    def __init__(self, subscriber_id: str, **kwargs: Any) -> None:
        super().__init__(subscriber_id, **kwargs)
        self._ready: asyncio.Event | None = None

    def _wake(self) -> None:
        if self._ready is not None:
            self._ready.set()

    def get_nowait(self) -> ChannelMessage | None:
        """The next buffered message, or None."""
        if not self._buf:
            return None
        msg = self._buf.popleft()
        self._took_one()
        return msg

    async def get(self, timeout: float | None = None) -> ChannelMessage | None:
        """The next message; None on timeout or once closed."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self._buf:
            if self.closed:
                return None
            if self._ready is None:
                self._ready = asyncio.Event()
            self._ready.clear()
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._ready.wait(), remaining)
            except TimeoutError:
                return None
        return self.get_nowait()

    def drain(self, limit: int | None = None) -> list[ChannelMessage]:
        """Every buffered message (at most ``limit``), without waiting."""
        out: list[ChannelMessage] = []
        while self._buf and (limit is None or len(out) < limit):
            out.append(self._buf.popleft())
        if out:
            self._took_one()
        return out

    def close(self) -> None:
        super().close()
        self._wake()

    async def receive(self) -> ChannelMessage | None:
        """The next message; None once closed (the channel-trigger protocol)."""
        return await self.get()

    def __aiter__(self) -> ChannelSubscription:
        return self

    async def __anext__(self) -> ChannelMessage:
        msg = await self.get()
        if msg is None:
            raise StopAsyncIteration
        return msg

    async def __aenter__(self) -> ChannelSubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class CallbackSubscription(Subscription):
    """A subscriber that hands messages to a callback (a creature's listen edge).

    ``try_deliver(msg) -> bool`` is the fast path (True: taken, e.g. put in the creature's
    inbox without waiting). When it says no, or messages are already buffered, the message is
    buffered and a :class:`SerialPump` awaits ``deliver(msg)`` for each, in order.
    """

    __slots__ = ("_deliver", "_pump", "_try_deliver")

    def __init__(
        self,
        subscriber_id: str,
        *,
        owner: TaskOwner,
        try_deliver: Callable[[ChannelMessage], bool],
        deliver: Callable[[ChannelMessage], Awaitable[None]],
        **kwargs: Any,
    ) -> None:
        super().__init__(subscriber_id, **kwargs)
        self._try_deliver = try_deliver
        self._deliver = deliver
        self._pump = SerialPump(owner, f"listen-{subscriber_id}", self._pump_one)

    def offer(self, msg: ChannelMessage, *, drop_oldest: bool) -> Offer:
        if self.closed:
            return Offer.FULL
        if not self._buf and not self._pump.busy and self._try_deliver(msg):
            return Offer.ACCEPTED
        return super().offer(msg, drop_oldest=drop_oldest)

    def _wake(self) -> None:
        if not self._pump.busy:
            self._pump.push(None)

    async def _pump_one(self, _: Any) -> None:
        while self._buf and not self.closed:
            msg = self._buf.popleft()
            self._took_one()
            await self._deliver(msg)

    def close(self) -> None:
        super().close()
        self._pump.clear()


DropHook = Callable[["Channel", Subscription], None]


class Channel:
    """One named channel of a graph."""

    __slots__ = (
        "_backlog",
        "_rr",
        "_space",
        "capacity",
        "channel_type",
        "description",
        "graph_id",
        "history",
        "name",
        "on_drop",
        "send_timeout",
        "senders",
        "sent_count",
        "subscribers",
    )

    def __init__(
        self,
        name: str,
        *,
        channel_type: str = "broadcast",
        description: str = "",
        graph_id: str = "",
        capacity: int = DEFAULT_CAPACITY,
        history_size: int = DEFAULT_HISTORY,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        on_drop: DropHook | None = None,
    ) -> None:
        if channel_type not in CHANNEL_TYPES:
            raise BadValueError(
                f"channel '{name}' has unknown type '{channel_type}'",
                key="type",
                hint="use 'broadcast' (everyone gets every message) or 'queue' (one consumer each)",
            )
        self.name = name
        self.channel_type: ChannelType = channel_type  # type: ignore[assignment]
        self.description = description
        self.graph_id = graph_id
        self.capacity = capacity
        self.send_timeout = send_timeout
        self.history: deque[ChannelMessage] = deque(maxlen=history_size)
        """The last ``history_size`` messages, oldest first."""
        self.subscribers: dict[str, Subscription] = {}
        """subscriber_id -> subscription, in subscription order."""
        self.senders: dict[str, None] = {}
        """Creature ids with a send edge on this channel (ordered set)."""
        self.sent_count = 0
        self.on_drop = on_drop
        self._backlog: deque[ChannelMessage] = deque()
        self._rr = 0
        self._space: asyncio.Event | None = None

    # -- subscribers
    def add_subscriber(self, sub: Subscription) -> Subscription:
        if sub.subscriber_id in self.subscribers:
            raise TerrariumError(
                f"'{sub.subscriber_id}' already subscribes to channel '{self.name}'"
            )
        sub.channel = self
        self.subscribers[sub.subscriber_id] = sub
        if self.channel_type == "queue" and self._backlog:
            self._drain_backlog()
        return sub

    def remove_subscriber(self, subscriber_id: str) -> Subscription | None:
        sub = self.subscribers.pop(subscriber_id, None)
        if sub is not None and not sub.closed:
            sub.close()
        return sub

    def pause(self, sub: Subscription) -> None:
        """Stop offering to ``sub`` (its creature stopped); queue messages it held go back."""
        sub.active = False
        if self.channel_type == "queue":
            held = list(sub._buf)
            sub._buf.clear()
            self._backlog.extendleft(reversed(held))
        else:
            sub._buf.clear()

    def resume(self, sub: Subscription) -> None:
        """Offer to ``sub`` again and hand it any backlog that waited for a consumer."""
        sub.active = True
        if self.channel_type == "queue" and self._backlog:
            self._drain_backlog()
        self.notify_space()

    def close(self) -> None:
        """Drop every subscriber and the backlog (the channel is being deleted)."""
        for sub in list(self.subscribers.values()):
            sub.close()
        self.subscribers.clear()
        self._backlog.clear()
        self.notify_space()

    @property
    def backlog(self) -> int:
        """Queue messages waiting for a consumer."""
        return len(self._backlog)

    def notify_space(self) -> None:
        if self._space is not None:
            self._space.set()

    # -- sending
    async def send(self, msg: ChannelMessage, *, timeout: float | None = None) -> ChannelMessage:
        """Deliver ``msg`` per the channel type; see the module docstring for backpressure."""
        if msg.channel != self.name:
            msg = _with_channel(msg, self.name)
        if self.channel_type == "broadcast":
            self._broadcast(msg)
        else:
            await self._enqueue(msg, self.send_timeout if timeout is None else timeout)
        self.history.append(msg)
        self.sent_count += 1
        return msg

    def _eligible(self, sub: Subscription, msg: ChannelMessage) -> bool:
        return sub.active and (sub.receive_own or not sub.is_own(msg))

    def _broadcast(self, msg: ChannelMessage) -> None:
        for sub in list(self.subscribers.values()):
            if not self._eligible(sub, msg):
                continue
            if sub.offer(msg, drop_oldest=True) is Offer.DROPPED_OLDEST and self.on_drop:
                self.on_drop(self, sub)

    def _consumers(self, msg: ChannelMessage) -> list[Subscription]:
        return [s for s in self.subscribers.values() if not s.tap and self._eligible(s, msg)]

    def _offer_one(self, subs: list[Subscription], msg: ChannelMessage) -> bool:
        n = len(subs)
        if n == 0:
            return False
        start = self._rr % n
        for i in range(n):
            if subs[(start + i) % n].offer(msg, drop_oldest=False) is Offer.ACCEPTED:
                self._rr = start + i + 1
                return True
        return False

    def _offer_taps(self, msg: ChannelMessage) -> bool:
        any_tap = False
        for sub in list(self.subscribers.values()):
            if sub.tap and self._eligible(sub, msg):
                any_tap = True
                if sub.offer(msg, drop_oldest=True) is Offer.DROPPED_OLDEST and self.on_drop:
                    self.on_drop(self, sub)
        return any_tap

    async def _enqueue(self, msg: ChannelMessage, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._backlog:
                self._drain_backlog()
            consumers = self._consumers(msg)
            if consumers:
                if not self._backlog and self._offer_one(consumers, msg):
                    self._offer_taps(msg)
                    return
            elif self._offer_taps(msg):
                return  # only observers listen: they get it, nobody else would
            elif len(self._backlog) < self.capacity:
                self._backlog.append(msg)
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TerrariumError(
                    f"queue channel '{self.name}' is full: every consumer has "
                    f"{self.capacity} unread messages (or the backlog does); waited {timeout}s",
                )
            if self._space is None:
                self._space = asyncio.Event()
            self._space.clear()
            try:
                await asyncio.wait_for(self._space.wait(), remaining)
            except TimeoutError:
                pass

    def _drain_backlog(self) -> None:
        while self._backlog:
            head = self._backlog[0]
            if not self._offer_one(self._consumers(head), head):
                return
            self._backlog.popleft()

    def info(self) -> dict[str, Any]:
        """A JSON-able summary (group_status, terrarium_status)."""
        return {
            "name": self.name,
            "type": self.channel_type,
            "description": self.description,
            "subscribers": [s.owner_id or s.subscriber_id for s in self.subscribers.values()],
            "senders": list(self.senders),
            "sent": self.sent_count,
            "backlog": len(self._backlog),
            "dropped": sum(s.dropped for s in self.subscribers.values()),
        }


def _with_channel(msg: ChannelMessage, name: str) -> ChannelMessage:
    return ChannelMessage(
        sender=msg.sender,
        content=msg.content,
        metadata=msg.metadata,
        timestamp=msg.timestamp,
        message_id=msg.message_id,
        reply_to=msg.reply_to,
        channel=name,
        sender_id=msg.sender_id,
    )


def channel_prompt(msg: ChannelMessage) -> str:
    """How a channel message reads to a listening creature."""
    return f"[Channel '{msg.channel}' from {msg.sender}]: {msg.text()}"


__all__ = [
    "CHANNEL_TYPES",
    "DEFAULT_CAPACITY",
    "DEFAULT_HISTORY",
    "DEFAULT_SEND_TIMEOUT",
    "CallbackSubscription",
    "Channel",
    "ChannelMessage",
    "ChannelSubscription",
    "ChannelType",
    "Offer",
    "Subscription",
    "channel_prompt",
    "new_message_id",
]
