"""Output wiring: a creature's turn-end text delivered to other creatures.

A wire ``source -> target`` fires at the end of every turn of ``source``: the target receives a
``TriggerEvent(type="creature_output")`` whose prompt is, by default,
``[output-wire from {source}] {content}`` (or ``... (turn-end signal, no content)`` for a wire
with ``with_content=False``). Template variables: ``source, target, content, turn_index,
source_event_type, with_content`` (``simple`` format: ``str.format_map``, unknown keys render
empty; ``jinja`` format: a Jinja template).

Delivery never blocks the source: each source has one :class:`SerialPump` that delivers the
events of each turn, wire by wire in the order the wires were added, and turn after turn, so the
order targets see is deterministic. Unknown or stopped targets are logged and skipped.
``"root"`` as a target means the root of the source's graph at delivery time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kohakuterrarium.core.events import EventType, TriggerEvent
from kohakuterrarium.errors import BadValueError
from kohakuterrarium.terrarium.channels import new_message_id
from kohakuterrarium.terrarium.events import EventKind
from kohakuterrarium.terrarium.tasks import SerialPump
from kohakuterrarium.terrarium.topology import creature_node
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from kohakuterrarium.core.result import TurnResult
    from kohakuterrarium.terrarium.creature_host import Creature
    from kohakuterrarium.terrarium.engine import Terrarium
    from kohakuterrarium.terrarium.topology import Graph

logger = get_logger(__name__)

DEFAULT_WIRE_PROMPT = "[output-wire from {source}] {content}"
DEFAULT_PING_PROMPT = "[output-wire from {source}] (turn-end signal, no content)"
DIRECT_PROMPT = "[direct from {source}] {content}"
PROMPT_FORMATS = ("simple", "jinja")
ROOT_TARGET = "root"

WIRE_BACKLOG = 256
"""Turn-end deliveries queued per source before the oldest is dropped (with a warning)."""

_EDGE_IDS = itertools.count(1)


@dataclass(frozen=True, slots=True)
class WireEdge:
    """One output wire."""

    edge_id: str
    """Unique id (``unwire_output`` takes it)."""
    source: str
    """Creature id whose turn output is sent."""
    target: str
    """Creature id that receives it, or ``"root"``."""
    with_content: bool = True
    """Send the text (False: a turn-end ping only)."""
    prompt: str | None = None
    """Prompt template (None: the default prompts)."""
    prompt_format: str = "simple"
    """simple (str.format_map) or jinja."""
    allow_self_trigger: bool = False
    """Deliver even when the target is the source itself."""
    declared: bool = False
    """Came from the creature's config ``output_wiring`` (target resolved lazily)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "edge_id": self.edge_id,
            "from": self.source,
            "to": self.target,
            "with_content": self.with_content,
            "prompt": self.prompt,
            "prompt_format": self.prompt_format,
            "allow_self_trigger": self.allow_self_trigger,
        }


def new_edge(
    source: str,
    target: str,
    *,
    with_content: bool = True,
    prompt: str | None = None,
    prompt_format: str = "simple",
    allow_self_trigger: bool = False,
    declared: bool = False,
) -> WireEdge:
    """A validated :class:`WireEdge` with a fresh id."""
    if prompt_format not in PROMPT_FORMATS:
        raise BadValueError(
            f"output wire {source} -> {target}: unknown prompt_format '{prompt_format}'",
            key="prompt_format",
            hint="use 'simple' or 'jinja'",
        )
    if not target:
        raise BadValueError(f"output wire from {source} has no target", key="to")
    return WireEdge(
        edge_id=f"wire_{next(_EDGE_IDS)}",
        source=source,
        target=target,
        with_content=bool(with_content),
        prompt=prompt,
        prompt_format=prompt_format,
        allow_self_trigger=bool(allow_self_trigger),
        declared=declared,
    )


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render_prompt(template: str, prompt_format: str, variables: dict[str, Any]) -> str:
    """Render a wire prompt; a broken template falls back to the text itself, logged."""
    try:
        if prompt_format == "jinja":
            from kohakuterrarium.prompt.template import render_template_safe

            return str(render_template_safe(template, **variables))
        return template.format_map(_Blank(variables))
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        logger.warning("output-wire prompt failed to render", error=str(exc))
        return template


def wire_event(edge: WireEdge, target_id: str, text: str, turn_index: int) -> TriggerEvent:
    """The creature_output event ``edge`` delivers for one turn of its source."""
    variables = {
        "source": edge.source,
        "target": target_id,
        "content": text if edge.with_content else "",
        "turn_index": turn_index,
        "source_event_type": EventType.CREATURE_OUTPUT,
        "with_content": edge.with_content,
    }
    if edge.prompt:
        prompt = render_prompt(edge.prompt, edge.prompt_format, variables)
    else:
        prompt = (DEFAULT_WIRE_PROMPT if edge.with_content else DEFAULT_PING_PROMPT).format_map(
            _Blank(variables)
        )
    return TriggerEvent(
        EventType.CREATURE_OUTPUT,
        text if edge.with_content else "",
        {
            "source": edge.source,
            "target": target_id,
            "edge_id": edge.edge_id,
            "turn_index": turn_index,
            "with_content": edge.with_content,
        },
        prompt_override=prompt,
        source=edge.source,
    )


def direct_event(source: str, target_id: str, message: str, message_id: str) -> TriggerEvent:
    """The event ``group_send`` delivers: ``[direct from <source>] <message>``."""
    return TriggerEvent(
        EventType.CREATURE_OUTPUT,
        message,
        {"source": source, "target": target_id, "direct": True, "message_id": message_id},
        prompt_override=DIRECT_PROMPT.format(source=source, content=message),
        source=source,
    )


class WiringOps:
    """Output wires and their delivery (mixed into Terrarium; state lives in the engine)."""

    # ------------------------------------------------------------------ output wires

    async def wire_output(
        self: Terrarium,
        creature: Any,
        target: Any,
        *,
        with_content: bool = True,
        prompt: str | None = None,
        prompt_format: str = "simple",
        allow_self_trigger: bool = False,
    ) -> str:
        """Send ``creature``'s turn-end text to ``target`` (a creature or ``"root"``).

        A target in another graph merges the graphs. Returns the edge id.
        """
        source = self._resolve(creature)
        target_id = target if target == ROOT_TARGET else self._resolve(target).creature_id
        if target_id != ROOT_TARGET and self._creatures[target_id].graph_id != source.graph_id:
            self._merge(self._graph_of(source), self._graph_of(self._creatures[target_id]))
        edge = new_edge(
            source.creature_id,
            target_id,
            with_content=with_content,
            prompt=prompt,
            prompt_format=prompt_format,
            allow_self_trigger=allow_self_trigger,
        )
        self._store_wire(edge)
        return edge.edge_id

    def _store_wire(self: Terrarium, edge: WireEdge) -> None:
        self._wires_out.setdefault(edge.source, {})[edge.edge_id] = edge
        self._wires_in.setdefault(edge.target, {})[edge.edge_id] = edge
        self._wire_index[edge.edge_id] = edge
        source = self._creatures.get(edge.source)
        if source is not None:
            self._mark_dirty(source)
            self._emit(EventKind.OUTPUT_WIRE_ADDED, source, edge.to_dict())

    async def unwire_output(self: Terrarium, edge_id: str) -> bool:
        """Remove an output wire by id (the graph may split)."""
        edge = self._wire_index.get(edge_id)
        if edge is None:
            return False
        source = self._creatures.get(edge.source)
        self._forget_wire(edge)
        if source is not None:
            g = self._graph_of(source)
            target = self._target_id(edge.target, g)
            if target is not None:
                self._split_pieces(g, [creature_node(edge.source), creature_node(target)])
            self._topology_changed(g, "wire_removed", creature=source)
        return True

    def _forget_wire(self: Terrarium, edge: WireEdge) -> None:
        self._wire_index.pop(edge.edge_id, None)
        out = self._wires_out.get(edge.source)
        if out is not None:
            out.pop(edge.edge_id, None)
            if not out:
                del self._wires_out[edge.source]
        inc = self._wires_in.get(edge.target)
        if inc is not None:
            inc.pop(edge.edge_id, None)
            if not inc:
                del self._wires_in[edge.target]
        source = self._creatures.get(edge.source)
        if source is not None:
            self._mark_dirty(source)
            self._emit(EventKind.OUTPUT_WIRE_REMOVED, source, edge.to_dict())

    def list_output_wiring(self: Terrarium, creature: Any = None) -> list[WireEdge]:
        """The output wires of ``creature`` (all wires when None), in the order added."""
        if creature is None:
            return list(self._wire_index.values())
        cid = creature if isinstance(creature, str) else self._resolve(creature).creature_id
        return list(self._wires_out.get(cid, {}).values())

    def _target_id(self: Terrarium, target: str, g: Graph) -> str | None:
        if target == ROOT_TARGET:
            if ROOT_TARGET in g.creatures:
                return ROOT_TARGET
            return g.root_id
        return target if target in self._creatures else None

    # ------------------------------------------------------------------ delivery

    async def send_direct(
        self: Terrarium, source: Any, target: Any, message: str
    ) -> tuple[bool, str]:
        """Deliver ``message`` to ``target`` as ``[direct from <source>] ...`` (group_send)."""
        s, t = self._resolve(source), self._resolve(target)
        message_id = new_message_id()
        delivered = await t.deliver_event(
            direct_event(s.creature_id, t.creature_id, message, message_id)
        )
        return delivered, message_id

    def _turn_ended(self: Terrarium, source: Creature, result: TurnResult) -> None:
        edges = self._wires_out.get(source.creature_id)
        if not edges or self._closed or result.status == "cancelled":
            return
        g = self._graphs.get(source.graph_id)
        if g is None:
            return
        batch = []
        for edge in edges.values():
            target = self._target_id(edge.target, g)
            if target is None:
                logger.info(
                    "output wire target not found; skipped", wire=edge.edge_id, target=edge.target
                )
                continue
            if target == source.creature_id and not edge.allow_self_trigger:
                continue
            batch.append((target, wire_event(edge, target, result.text, result.turn_index)))
        if not batch:
            return
        pump = self._wire_pumps.get(source.creature_id)
        if pump is None:
            pump = SerialPump(self._tasks, f"wire-{source.creature_id}", self._deliver_batch)
            self._wire_pumps[source.creature_id] = pump
        if len(pump) >= WIRE_BACKLOG:
            pump._items.popleft()
            self._emit(
                EventKind.ERROR,
                source,
                {
                    "level": "warning",
                    "where": "output_wiring",
                    "error": f"output wires of '{source.creature_id}' are {WIRE_BACKLOG} turns "
                    "behind; dropped the oldest delivery",
                },
            )
        pump.push(batch)

    async def _deliver_batch(self: Terrarium, batch: list[tuple[str, Any]]) -> None:
        for target_id, event in batch:
            target = self._creatures.get(target_id)
            if target is None or target.state != "running":
                logger.info("output wire target is gone or stopped; skipped", target=target_id)
                continue
            await target.deliver_event(event)


__all__ = [
    "DEFAULT_PING_PROMPT",
    "DEFAULT_WIRE_PROMPT",
    "DIRECT_PROMPT",
    "PROMPT_FORMATS",
    "ROOT_TARGET",
    "WIRE_BACKLOG",
    "WireEdge",
    "WiringOps",
    "direct_event",
    "new_edge",
    "render_prompt",
    "wire_event",
]
