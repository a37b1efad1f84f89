"""The graph half of the engine: channels, edges, output wires, merge and split.

:class:`GraphOps` is mixed into :class:`~.engine.Terrarium`; it holds no state of its own (the
engine's tables are declared in ``Terrarium.__init__``). Costs: adding or removing an edge is
O(1) plus, on removal, :func:`~.topology.find_split` (bounded by the smaller side); a merge
moves the smaller graph only.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import TerrariumError
from kohakuterrarium.terrarium.channels import CallbackSubscription, Channel
from kohakuterrarium.terrarium.events import ConnectionResult, DisconnectionResult, EventKind
from kohakuterrarium.terrarium.topology import (
    ChannelInfo,
    Graph,
    Node,
    channel_node,
    components_after_removal,
    creature_node,
)
from kohakuterrarium.terrarium.wiring import ROOT_TARGET

if TYPE_CHECKING:
    from kohakuterrarium.terrarium.creature_host import Creature
    from kohakuterrarium.terrarium.engine import Terrarium

_GRAPH_PREFIX = os.urandom(2).hex()
_GRAPH_IDS = itertools.count(1)

GraphRef = Any
"""A graph id, a Creature, or a creature id (meaning that creature's graph)."""


class GraphOps:
    """Channels, edges, wires, merge / split (mixed into Terrarium)."""

    # ------------------------------------------------------------------ graphs

    def _new_graph(self: Terrarium, graph_id: str | None = None) -> Graph:
        if graph_id is None:
            graph_id = f"graph_{_GRAPH_PREFIX}{next(_GRAPH_IDS):x}"
        elif graph_id in self._graphs:
            raise TerrariumError(f"graph '{graph_id}' already exists")
        graph = Graph(graph_id)
        self._graphs[graph_id] = graph
        return graph

    def _graph(self: Terrarium, ref: GraphRef) -> Graph:
        if isinstance(ref, str):
            graph = self._graphs.get(ref)
            if graph is not None:
                return graph
            if ref in self._creatures:
                return self._graphs[self._creatures[ref].graph_id]
            raise TerrariumError(
                f"no graph or creature '{ref}'",
                # a short list: the engine may hold thousands
            )
        return self._graphs[self._resolve(ref).graph_id]

    def _graph_of(self: Terrarium, creature: Creature) -> Graph:
        return self._graphs[creature.graph_id]

    def _channel(self: Terrarium, graph: Graph, name: str) -> Channel:
        ch = graph.channels.get(name)
        if ch is None:
            raise TerrariumError(
                f"no channel '{name}' in graph '{graph.graph_id}' "
                f"(channels: {', '.join(graph.channels) or 'none'})"
            )
        return ch

    # ------------------------------------------------------------------ channels

    async def add_channel(
        self: Terrarium,
        graph: GraphRef,
        name: str,
        description: str = "",
        channel_type: str = "broadcast",
    ) -> ChannelInfo:
        """Declare a channel in ``graph``; re-declaring one of the same type is a no-op."""
        g = self._graph(graph)
        existing = g.channels.get(name)
        if existing is not None:
            if existing.channel_type != channel_type:
                raise TerrariumError(
                    f"channel '{name}' already exists in graph '{g.graph_id}' as "
                    f"{existing.channel_type}, not {channel_type}"
                )
            if description and not existing.description:
                existing.description = description
        else:
            self._create_channel(g, name, description, channel_type)
            self._topology_changed(g, "channel_added", channel=name)
        ch = g.channels[name]
        return ChannelInfo(ch.name, ch.description, ch.channel_type)

    def _create_channel(
        self: Terrarium,
        g: Graph,
        name: str,
        description: str,
        channel_type: str,
        *,
        auto: bool = False,
    ) -> Channel:
        if not name or not isinstance(name, str):
            raise TerrariumError(f"channel names must be non-empty strings, got {name!r}")
        ch = Channel(
            name,
            channel_type=channel_type,
            description=description,
            graph_id=g.graph_id,
            capacity=self._capacity,
            history_size=self._history_size,
            on_drop=self._on_channel_drop,
        )
        g.channels[name] = ch
        if auto:
            g.auto_channels.add(name)
        if g.root_id is not None and g.root_id in self._creatures:
            self._add_listen(self._creatures[g.root_id], name, tap=True)
        return ch

    async def remove_channel(self: Terrarium, graph: GraphRef, name: str) -> bool:
        """Delete a channel and every edge on it (the graph may split)."""
        g = self._graph(graph)
        if name not in g.channels:
            return False
        former = list(self._neighbors(g, channel_node(name)))
        self._delete_channel(g, name)
        self._split_pieces(g, former)
        self._topology_changed(g, "channel_removed", channel=name)
        return True

    def _delete_channel(self: Terrarium, g: Graph, name: str) -> None:
        ch = g.channels.pop(name)
        g.auto_channels.discard(name)
        for sub in list(ch.subscribers.values()):
            owner = self._creatures.get(sub.owner_id or "")
            if owner is not None and owner.listen.get(name) is sub:
                del owner.listen[name]
                self._mark_dirty(owner)
        for cid in ch.senders:
            owner = self._creatures.get(cid)
            if owner is not None:
                owner.send.pop(name, None)
                self._mark_dirty(owner)
        ch.close()

    def _prune_auto_channel(self: Terrarium, g: Graph, name: str) -> None:
        ch = g.channels.get(name)
        if (
            ch is not None
            and name in g.auto_channels
            and not ch.senders
            and not any(
                isinstance(s, CallbackSubscription) and s.owner_id != g.root_id
                for s in ch.subscribers.values()
            )
        ):
            self._delete_channel(g, name)

    # ------------------------------------------------------------------ edges

    def _add_listen(
        self: Terrarium,
        creature: Creature,
        name: str,
        *,
        receive_own: bool = False,
        tap: bool = False,
    ) -> str:
        trigger_id = f"listen:{creature.creature_id}:{name}"
        existing = creature.listen.get(name)
        if existing is not None:
            existing.receive_own = existing.receive_own or receive_own
            return trigger_id
        ch = self._channel(self._graph_of(creature), name)
        sub = CallbackSubscription(
            creature.creature_id,
            owner=self._tasks,
            try_deliver=creature._try_deliver,
            deliver=creature._deliver,
            owner_id=creature.creature_id,
            owner_name=creature.creature_id,
            receive_own=receive_own,
            capacity=self._capacity,
            tap=tap,
        )
        sub.active = creature.state == "running"
        ch.add_subscriber(sub)
        creature.listen[name] = sub
        self._mark_dirty(creature)
        return trigger_id

    def _add_send(self: Terrarium, creature: Creature, name: str) -> None:
        ch = self._channel(self._graph_of(creature), name)
        ch.senders[creature.creature_id] = None
        creature.send[name] = None
        self._mark_dirty(creature)

    def _drop_edge(self: Terrarium, creature: Creature, name: str, direction: str) -> bool:
        g = self._graph_of(creature)
        ch = g.channels.get(name)
        if direction == "listen":
            sub = creature.listen.pop(name, None)
            if sub is None:
                return False
            if ch is not None:
                ch.remove_subscriber(sub.subscriber_id)
        else:
            if creature.send.pop(name, "missing") == "missing":
                return False
            if ch is not None:
                ch.senders.pop(creature.creature_id, None)
        self._mark_dirty(creature)
        return True

    async def wire_channel(
        self: Terrarium,
        creature: Any,
        channel: str,
        *,
        direction: str = "listen",
        graph: GraphRef = None,
        receive_own: bool = False,
        create: bool = False,
    ) -> str:
        """Give ``creature`` a listen or send edge on ``channel`` (of ``graph``, default its own).

        A channel of another graph merges the two graphs. ``create=True`` declares a missing
        channel (broadcast) first. Returns the edge id.
        """
        c = self._resolve(creature)
        g = self._graph(graph) if graph is not None else self._graph_of(c)
        if channel not in g.channels:
            if not create:
                self._channel(g, channel)  # raises with the list of channels
            self._create_channel(g, channel, "", "broadcast")
        if g.graph_id != c.graph_id:
            g = self._merge(g, self._graph_of(c))
        if direction == "listen":
            edge = self._add_listen(c, channel, receive_own=receive_own)
        elif direction == "send":
            self._add_send(c, channel)
            edge = f"send:{c.creature_id}:{channel}"
        else:
            raise TerrariumError(f"unknown edge direction '{direction}' (use listen or send)")
        self._topology_changed(g, "edge_added", creature=c, channel=channel)
        return edge

    async def unwire_channel(
        self: Terrarium, creature: Any, channel: str, *, direction: str = "listen"
    ) -> bool:
        """Remove one edge; the graph splits if that cut it in two."""
        c = self._resolve(creature)
        g = self._graph_of(c)
        if not self._drop_edge(c, channel, direction):
            return False
        self._prune_auto_channel(g, channel)
        self._split_pieces(g, [creature_node(c.creature_id), channel_node(channel)])
        self._topology_changed(g, "edge_removed", creature=c, channel=channel)
        return True

    async def connect(
        self: Terrarium,
        sender: Any,
        receiver: Any,
        *,
        channel: str | None = None,
        channel_type: str = "broadcast",
        receive_own: bool = False,
    ) -> ConnectionResult:
        """Let ``sender`` reach ``receiver`` over ``channel`` (default: a new
        ``<sender>_to_<receiver>`` channel). Two graphs are merged into one."""
        s, r = self._resolve(sender), self._resolve(receiver)
        delta = "nothing"
        if s.graph_id != r.graph_id:
            self._merge(self._graph_of(s), self._graph_of(r))
            delta = "merge"
        g = self._graph_of(s)
        name = channel or f"{s.creature_id}_to_{r.creature_id}"
        if name not in g.channels:
            self._create_channel(
                g,
                name,
                f"{s.creature_id} -> {r.creature_id}" if channel is None else "",
                channel_type,
                auto=channel is None,
            )
        self._add_send(s, name)
        trigger = self._add_listen(r, name, receive_own=receive_own)
        self._topology_changed(g, "connect", creature=s, channel=name)
        return ConnectionResult(name, trigger, delta)  # type: ignore[arg-type]

    async def disconnect(
        self: Terrarium, sender: Any, receiver: Any, *, channel: str | None = None
    ) -> DisconnectionResult:
        """Undo ``connect``: drop ``receiver``'s listen edge on each channel ``sender`` sends
        on (or just ``channel``), and ``sender``'s send edge where nobody else listens."""
        s, r = self._resolve(sender), self._resolve(receiver)
        if s.graph_id != r.graph_id:
            return DisconnectionResult((), "nothing")
        g = self._graph_of(s)
        names = [channel] if channel else [n for n in r.listen if n in s.send]
        touched: list[str] = []
        for name in names:
            if name not in r.listen:
                continue
            self._drop_edge(r, name, "listen")
            ch = g.channels.get(name)
            others = [
                sub
                for sub in (ch.subscribers.values() if ch else ())
                if isinstance(sub, CallbackSubscription)
                and sub.owner_id not in (s.creature_id, g.root_id)
            ]
            if not others:
                self._drop_edge(s, name, "send")
            self._prune_auto_channel(g, name)
            touched.append(name)
        if not touched:
            return DisconnectionResult((), "nothing")
        former = [creature_node(s.creature_id), creature_node(r.creature_id)]
        former += [channel_node(n) for n in touched]
        split = self._split_pieces(g, former)
        self._topology_changed(g, "disconnect", creature=s)
        return DisconnectionResult(tuple(touched), "split" if split else "nothing")

    # ------------------------------------------------------------------ merge / split

    def _merge(self: Terrarium, a: Graph, b: Graph) -> Graph:
        """Join two graphs; the smaller moves into the larger. Returns the survivor."""
        if a is b:
            return a
        large, small = (a, b) if a.size >= b.size else (b, a)
        for name, ch in small.channels.items():
            other = large.channels.get(name)
            if other is not None and other.channel_type != ch.channel_type:
                raise TerrariumError(
                    f"cannot merge graphs '{large.graph_id}' and '{small.graph_id}': channel "
                    f"'{name}' is {other.channel_type} in one and {ch.channel_type} in the other",
                    # nothing has moved yet: both graphs are intact
                )
        for cid, c in small.creatures.items():
            large.creatures[cid] = c
            c.graph_id = large.graph_id
        large.privileged.update(small.privileged)
        for name, ch in small.channels.items():
            other = large.channels.get(name)
            if other is None:
                ch.graph_id = large.graph_id
                large.channels[name] = ch
                if name in small.auto_channels:
                    large.auto_channels.add(name)
                continue
            for sub in list(ch.subscribers.values()):  # same name: one channel from now on
                ch.subscribers.pop(sub.subscriber_id)
                if sub.subscriber_id not in other.subscribers:
                    other.add_subscriber(sub)
            other.senders.update(ch.senders)
        if large.root_id is None:
            large.root_id = small.root_id
        del self._graphs[small.graph_id]
        root = self._creatures.get(large.root_id or "")
        if root is not None:
            for name in large.channels:
                self._add_listen(root, name, tap=True)
        self._mark_graph_privileged_dirty(large)
        self._emit(
            EventKind.TOPOLOGY_CHANGED,
            None,
            {"kind": "merge", "into": large.graph_id, "from": small.graph_id},
            graph_id=large.graph_id,
        )
        self._run_topology_hooks("merge", large.graph_id, [small.graph_id, large.graph_id])
        return large

    def _split_pieces(self: Terrarium, g: Graph, former: Iterable[Node]) -> bool:
        """Move every piece that fell off ``g`` to a graph of its own; True if any did."""
        if g.graph_id not in self._graphs:
            return False

        def graph_of(node: Node) -> str | None:
            kind, key = node
            if kind == "c":
                c = self._creatures.get(key)
                return c.graph_id if c is not None else None
            return g.graph_id if key in g.channels else None

        pieces = components_after_removal(
            graph_of, g.graph_id, former, lambda n: self._neighbors(g, n)
        )
        moved = False
        for piece in pieces:
            moved = self._move_piece(g, piece) or moved
        return moved

    def _move_piece(self: Terrarium, g: Graph, piece: set[Node]) -> bool:
        creatures = sorted(
            (self._creatures[key] for kind, key in piece if kind == "c"), key=lambda c: c._seq
        )
        if not creatures or len(creatures) == len(g.creatures):
            return False  # nothing to move, or the last piece: it stays as the graph itself
        new = self._new_graph()
        for c in creatures:
            del g.creatures[c.creature_id]
            new.creatures[c.creature_id] = c
            c.graph_id = new.graph_id
            if g.privileged.pop(c.creature_id, "no") is None:
                new.privileged[c.creature_id] = None
        for kind, name in sorted(piece):
            if kind == "h" and name in g.channels:
                ch = g.channels.pop(name)
                ch.graph_id = new.graph_id
                new.channels[name] = ch
                if name in g.auto_channels:
                    g.auto_channels.discard(name)
                    new.auto_channels.add(name)
        if g.root_id in new.creatures:
            new.root_id, g.root_id = g.root_id, None
        self._mark_graph_privileged_dirty(g)
        self._mark_graph_privileged_dirty(new)
        self._emit(
            EventKind.TOPOLOGY_CHANGED,
            None,
            {
                "kind": "split",
                "from": g.graph_id,
                "into": new.graph_id,
                "creatures": [c.creature_id for c in creatures],
            },
            graph_id=g.graph_id,
        )
        self._run_topology_hooks("split", g.graph_id, [g.graph_id, new.graph_id])
        return True

    def _neighbors(self: Terrarium, g: Graph, node: Node) -> Iterator[Node]:
        kind, key = node
        if kind == "h":
            ch = g.channels.get(key)
            if ch is None:
                return
            for sub in ch.subscribers.values():
                if isinstance(sub, CallbackSubscription) and sub.owner_id in g.creatures:
                    yield creature_node(sub.owner_id)  # type: ignore[arg-type]
            for cid in ch.senders:
                if cid in g.creatures:
                    yield creature_node(cid)
            return
        c = g.creatures.get(key)
        if c is None:
            return
        for name in c.listen:
            yield channel_node(name)
        for name in c.send:
            if name not in c.listen:
                yield channel_node(name)
        for edge in self._wires_out.get(key, {}).values():
            target = self._target_id(edge.target, g)
            if target is not None and target in g.creatures and target != key:
                yield creature_node(target)
        incoming = list(self._wires_in.get(key, {}).values())
        if g.root_id == key:
            incoming += self._wires_in.get(ROOT_TARGET, {}).values()
        for edge in incoming:
            if edge.source in g.creatures and edge.source != key:
                yield creature_node(edge.source)
        if c.parent_creature_id in g.creatures:
            yield creature_node(c.parent_creature_id)  # type: ignore[arg-type]
        for child in self._children.get(key, ()):
            if child in g.creatures:
                yield creature_node(child)


__all__ = ["GraphOps", "GraphRef"]
