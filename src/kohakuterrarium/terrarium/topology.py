"""Creature graphs: membership, snapshots, and cheap merge / split.

A *graph* is a set of creatures plus the channels they talk over. Nodes are creatures and
channels; edges are listen / send edges (creature -- channel), output wires (creature --
creature) and parent links (spawner -- spawned). Graph membership is explicit (a creature added
with ``graph=g`` joins ``g`` even with no edges); connectivity only decides *splits*:

* **merge** (``connect`` / ``wire_output`` across two graphs): the smaller graph's creatures and
  channels move into the larger one, so the cost is the size of the smaller graph, never the
  larger (a singleton joining a 1000-creature graph is O(1)).
* **split** (an edge or node removed): :func:`find_split` runs two interleaved searches from the
  two ends of the removed edge, one edge at a time, and stops as soon as they meet (still
  connected) or one side runs out (that side is cut off). The cost is bounded by the smaller
  side, so unplugging a leaf from a huge graph is O(1). Only the cut-off side moves to a new
  graph, and only when it holds creatures; edge-less creatures and channels stay where they are.

:class:`GraphTopology` / :class:`ChannelInfo` are the frozen, pure-data snapshots the public API
returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kohakuterrarium.terrarium.channels import Channel

Node = tuple[str, str]
"""``("c", creature_id)`` or ``("h", channel_name)``."""


def creature_node(creature_id: str) -> Node:
    return ("c", creature_id)


def channel_node(name: str) -> Node:
    return ("h", name)


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel as the public API shows it."""

    name: str
    """Channel name (unique within its graph)."""
    description: str = ""
    """What the channel is for (shown to creatures)."""
    channel_type: str = "broadcast"
    """broadcast or queue."""


@dataclass(frozen=True, slots=True)
class GraphTopology:
    """A snapshot of one graph (pure data; later changes do not show up in it)."""

    graph_id: str
    """The graph's id."""
    creature_ids: tuple[str, ...]
    """Member creatures, in the order they joined."""
    channels: dict[str, ChannelInfo]
    """Channel name -> info."""
    listen_edges: dict[str, tuple[str, ...]]
    """Creature id -> the channels it listens on."""
    send_edges: dict[str, tuple[str, ...]]
    """Creature id -> the channels it may send on."""
    root_id: str | None = None
    """The graph's root creature, if any."""
    output_wires: tuple[tuple[str, str], ...] = ()
    """(source, target) of every output wire whose source is in the graph."""
    parent_links: dict[str, str] = field(default_factory=dict)
    """Spawned creature id -> its parent's id."""


class Graph:
    """The live, mutable state of one graph (engine-internal)."""

    __slots__ = ("auto_channels", "channels", "creatures", "graph_id", "privileged", "root_id")

    def __init__(self, graph_id: str) -> None:
        self.graph_id = graph_id
        self.creatures: dict[str, Any] = {}
        """Creature id -> Creature handle, in join order."""
        self.channels: dict[str, Channel] = {}
        self.auto_channels: set[str] = set()
        """Channels the engine created itself (direct channels, connect): deleted with their
        last edge."""
        self.root_id: str | None = None
        self.privileged: dict[str, None] = {}
        """Ids of its privileged creatures (their prompts list the whole graph)."""

    @property
    def size(self) -> int:
        return len(self.creatures) + len(self.channels)


def find_split(a: Node, b: Node, neighbors: Callable[[Node], Iterable[Node]]) -> set[Node] | None:
    """None when ``a`` and ``b`` are connected; else the node set of the side cut off.

    The two searches advance one edge at a time in turn; the first to run out of edges is the
    returned (smaller-or-equal) side, the whole connected component of its start node.
    """
    if a == b:
        return None
    seen = (set[Node]([a]), set[Node]([b]))
    stacks: tuple[list[Iterator[Node]], list[Iterator[Node]]] = (
        [iter(neighbors(a))],
        [iter(neighbors(b))],
    )
    while True:
        for side in (0, 1):
            stack = stacks[side]
            mine, other = seen[side], seen[1 - side]
            while stack:
                node = next(stack[-1], None)
                if node is None:
                    stack.pop()
                    continue
                if node in other:
                    return None
                if node not in mine:
                    mine.add(node)
                    stack.append(iter(neighbors(node)))
                break
            else:
                return mine


def components_after_removal(
    graph_of: Callable[[Node], str | None],
    graph_id: str,
    former_neighbors: Iterable[Node],
    neighbors: Callable[[Node], Iterable[Node]],
) -> list[set[Node]]:
    """The pieces that fell off ``graph_id`` after a node (or edge) was removed.

    ``former_neighbors`` are the nodes the removed thing touched; each pair still in the graph
    is checked, and every cut-off side is returned (already-returned pieces are not re-checked).
    The caller moves each piece to a new graph as it likes; ``graph_of`` must reflect that
    only after this function returns, so pieces are tracked here.
    """
    pieces: list[set[Node]] = []
    moved: set[Node] = set()
    remaining = [n for n in dict.fromkeys(former_neighbors) if graph_of(n) == graph_id]
    while len(remaining) > 1:
        first, second = remaining[0], remaining[1]
        piece = find_split(first, second, neighbors)
        if piece is None:
            remaining.pop(1)
            continue
        pieces.append(piece)
        moved |= piece
        remaining = [n for n in remaining if n not in moved]
    return pieces


__all__ = [
    "ChannelInfo",
    "Graph",
    "GraphTopology",
    "Node",
    "channel_node",
    "components_after_removal",
    "creature_node",
    "find_split",
]
