"""``Terrarium``: one engine hosting many creatures, their graphs, channels and wires.

>>> async with Terrarium() as engine:                                     # doctest: +SKIP
...     a = await engine.add_creature("creatures/planner", llm="fast")
...     b = await engine.add_creature("creatures/coder", llm="fast")
...     await engine.connect(a, b, channel="tasks")         # merges their graphs
...     await engine.wire_output(b, a)                      # b's turn text goes to a
...     async for event in engine.subscribe(EventFilter(kinds="text")):
...         print(event.creature_id, event.payload["text"])

The engine has no LLM of its own. Creatures are real :class:`~kohakuterrarium.core.agent.Agent`
objects behind :class:`~.creature_host.Creature` handles; channels, edges, merge / split live in
:class:`~.graph_ops.GraphOps`. Idle creatures cost no task of the engine's (delivery and wiring
tasks exist only while there is work). ``shutdown()`` (also ``async with`` exit) stops every
creature and cancels every task the engine started; it is idempotent.

Sessions are not handled here yet: ``session=`` of :meth:`add_creature` is passed to the agent,
and ``topology_hooks`` (called with ``(kind, graph_id, graph_ids)`` on merge / split) is the seam
the session store attaches to.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kohakuterrarium.core.agent import Agent
from kohakuterrarium.errors import TerrariumError, did_you_mean
from kohakuterrarium.terrarium import root_tools as _root_tools  # noqa: F401  (registers tools)
from kohakuterrarium.terrarium.channels import (
    DEFAULT_CAPACITY,
    DEFAULT_HISTORY,
)
from kohakuterrarium.terrarium.config import TerrariumRecipe
from kohakuterrarium.terrarium.creature_host import Creature, CreatureEnvironment
from kohakuterrarium.terrarium.events import (
    DEFAULT_EVENT_QUEUE,
    EngineEvent,
    EventFilter,
    EventKind,
    EventSubscription,
)
from kohakuterrarium.terrarium.graph_ops import GraphOps, GraphRef
from kohakuterrarium.terrarium.group_tools import make_group_tools
from kohakuterrarium.terrarium.messaging import MessagingOps
from kohakuterrarium.terrarium.recipe import apply_recipe, load_creature_config
from kohakuterrarium.terrarium.tasks import SerialPump, TaskOwner
from kohakuterrarium.terrarium.topology import ChannelInfo, Graph, GraphTopology
from kohakuterrarium.terrarium.wiring import WireEdge, WiringOps, new_edge
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

PROMPT_REFRESH_DELAY = 0.1
"""Seconds the runtime-graph prompt block waits to batch topology changes."""
_SEQ = itertools.count(1)


class Terrarium(GraphOps, MessagingOps, WiringOps):
    """An engine hosting creatures, their graphs, channels and output wires."""

    def __init__(
        self,
        *,
        pwd: str | os.PathLike[str] | None = None,
        session_dir: str | os.PathLike[str] | None = None,
        channel_capacity: int = DEFAULT_CAPACITY,
        channel_history: int = DEFAULT_HISTORY,
    ) -> None:
        self.pwd = Path(pwd).expanduser().resolve() if pwd is not None else None
        """Default working directory of the creatures (None: the process cwd)."""
        self._session_dir = Path(session_dir) if session_dir is not None else None
        self._capacity = channel_capacity
        self._history_size = channel_history
        self._creatures: dict[str, Creature] = {}
        self._graphs: dict[str, Graph] = {}
        self._wires_out: dict[str, dict[str, WireEdge]] = {}
        self._wires_in: dict[str, dict[str, WireEdge]] = {}
        self._wire_index: dict[str, WireEdge] = {}
        self._wire_pumps: dict[str, SerialPump] = {}
        self._children: dict[str, dict[str, None]] = {}
        self._id_suffix: dict[str, int] = {}
        self._subscribers: list[EventSubscription] = []
        self._tasks = TaskOwner("terrarium")
        self._stopping: set[asyncio.Task[Any]] = set()
        self._dirty: set[str] = set()
        self._refresh_handle: asyncio.TimerHandle | None = None
        self._closed = False
        self.topology_hooks: list[Callable[[str, str, list[str]], Any]] = []
        """Called with ``(kind, graph_id, graph_ids)`` on merge and split (session seam)."""

    # ------------------------------------------------------------------ context manager

    async def __aenter__(self) -> Terrarium:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    @classmethod
    async def with_creature(
        cls, config: Any, *, pwd: Any = None, **kwargs: Any
    ) -> tuple[Terrarium, Creature]:
        """A new engine holding one started creature."""
        engine = cls(pwd=pwd)
        try:
            creature = await engine.add_creature(config, pwd=pwd, **kwargs)
        except BaseException:
            await engine.shutdown()
            raise
        return engine, creature

    @classmethod
    async def from_recipe(
        cls, recipe: TerrariumRecipe | str | os.PathLike[str], *, pwd: Any = None, llm: Any = None
    ) -> Terrarium:
        """A new engine running ``recipe`` (see :meth:`apply_recipe` for ``llm``)."""
        engine = cls(pwd=pwd)
        try:
            await engine.apply_recipe(recipe, pwd=pwd, llm=llm)
        except BaseException:
            await engine.shutdown()
            raise
        return engine

    async def apply_recipe(
        self,
        recipe: TerrariumRecipe | str | os.PathLike[str],
        *,
        graph: GraphRef = None,
        pwd: Any = None,
        llm: Any = None,
        llm_override: Any = None,
        start: bool = True,
    ) -> GraphTopology:
        """Build a recipe's creatures and channels into ``graph`` (default: a new graph).

        ``llm`` (or ``llm_override``) picks every creature's model: a profile name or provider
        for all, a ``{creature_name: llm}`` mapping, or a callable ``name -> llm``; None keeps
        each config's own. Creatures that fail to start are reported (``error`` events) and
        left stopped; the others run.
        """
        return await apply_recipe(
            self,
            recipe,
            graph=graph,
            pwd=pwd,
            llm=llm_override if llm_override is not None else llm,
            start=start,
        )

    # ------------------------------------------------------------------ creatures

    async def add_creature(
        self,
        config: Any,
        *,
        graph: GraphRef = None,
        creature_id: str | None = None,
        llm: Any = None,
        llm_override: Any = None,
        pwd: str | os.PathLike[str] | None = None,
        start: bool = True,
        is_privileged: bool = False,
        parent_creature_id: str | None = None,
        session: Any = None,
    ) -> Creature:
        """Build a creature (its agent is built now: bad configs and models raise here) and,
        with ``start=True``, start it. ``config``: a folder / file path, ``@pkg/creatures/x``,
        an AgentConfig, a dict, or a recipe CreatureSpec. Without ``graph`` the creature gets
        a new graph of its own (with ``parent_creature_id``: the parent's graph).
        """
        self._check_open()
        work_dir = Path(pwd).expanduser() if pwd is not None else self.pwd
        agent_config = await load_creature_config(config, work_dir)
        parent = self._resolve(parent_creature_id) if parent_creature_id else None
        if graph is None and parent is not None:
            graph = parent.graph_id
        cid = self._new_id(creature_id, agent_config.name)
        g = self._graph(graph) if graph is not None else self._new_graph()
        creature = Creature(
            self,
            creature_id=cid,
            config=agent_config,
            graph_id=g.graph_id,
            is_privileged=is_privileged,
            parent_creature_id=parent.creature_id if parent else None,
        )
        creature._seq = next(_SEQ)
        # Registered before its agent is built, so the first system prompt already holds the
        # runtime-graph block (Part C 25); a failing build unregisters it again.
        self._creatures[cid] = creature
        g.creatures[cid] = creature
        if is_privileged:
            g.privileged[cid] = None
        if parent is not None:
            self._children.setdefault(parent.creature_id, {})[cid] = None
        for entry in agent_config.output_wiring:
            self._store_wire(
                new_edge(
                    cid,
                    entry.to,
                    with_content=entry.with_content,
                    prompt=entry.prompt,
                    prompt_format=entry.prompt_format,
                    allow_self_trigger=entry.allow_self_trigger,
                    declared=True,
                )
            )
        env = CreatureEnvironment(self, cid)
        llm_spec = llm_override if llm_override is not None else llm

        def build() -> Agent:
            return Agent(
                copy.copy(agent_config),
                llm=llm_spec,
                tools=make_group_tools(env, creature.is_privileged),
                pwd=work_dir,
                environment=env,
            )

        creature._rebuild = build
        try:
            agent = build()
            if session is not None:
                agent._attach_session(session)
        except BaseException:
            await self.remove_creature(creature)
            raise
        creature._bind(agent)
        self._dirty.discard(cid)  # its prompt was just built
        if parent is not None:
            self._emit(EventKind.PARENT_LINK_CHANGED, creature, {"parent": parent.creature_id})
            self._mark_dirty(parent)
        self._mark_graph_privileged_dirty(g)
        self._emit(EventKind.TOPOLOGY_CHANGED, creature, {"kind": "creature_added"})
        if start:
            try:
                await creature.start()
            except TerrariumError:
                await self.remove_creature(creature)
                raise
        return creature

    def _new_id(self, requested: str | None, name: str) -> str:
        if requested is not None:
            if not isinstance(requested, str) or not requested.strip():
                raise TerrariumError(f"creature ids must be non-empty strings, got {requested!r}")
            if requested in self._creatures:
                raise TerrariumError(
                    f"a creature with id '{requested}' already exists",  # pick another id
                )
            return requested
        base = name or "creature"
        if base not in self._creatures:
            return base
        # Remember the last suffix per name: minting stays O(1) with thousands of twins.
        n = self._id_suffix.get(base, 1)
        while True:
            n += 1
            candidate = f"{base}_{n}"
            if candidate not in self._creatures:
                self._id_suffix[base] = n
                return candidate

    async def remove_creature(self, ref: Any) -> None:
        """Stop a creature and remove it with all its edges and wires (the graph may split)."""
        c = self._resolve(ref)
        await c.stop()
        g = self._graph_of(c)
        former = list(self._neighbors(g, ("c", c.creature_id)))
        for name in list(c.listen):
            self._drop_edge(c, name, "listen")
        for name in list(c.send):
            self._drop_edge(c, name, "send")
        cid = c.creature_id
        for edge in list(self._wires_out.get(cid, {}).values()):
            self._forget_wire(edge)
        for edge in list(self._wires_in.get(cid, {}).values()):
            self._forget_wire(edge)
        pump = self._wire_pumps.pop(cid, None)
        if pump is not None:
            pump.clear()
        for child_id in self._children.pop(cid, {}):
            child = self._creatures.get(child_id)
            if child is not None:
                child.parent_creature_id = None
                self._emit(EventKind.PARENT_LINK_CHANGED, child, {"parent": None})
        if c.parent_creature_id is not None:
            siblings = self._children.get(c.parent_creature_id)
            if siblings is not None:
                siblings.pop(cid, None)
        del g.creatures[cid]
        g.privileged.pop(cid, None)
        del self._creatures[cid]
        self._dirty.discard(cid)
        if g.root_id == cid:
            g.root_id = None
        for name in [n for n in list(g.auto_channels) if n in g.channels]:
            self._prune_auto_channel(g, name)
        self._emit(
            EventKind.TOPOLOGY_CHANGED,
            None,
            {"kind": "creature_removed", "creature": cid},
            graph_id=g.graph_id,
        )
        if not g.creatures:
            for ch in g.channels.values():
                ch.close()
            del self._graphs[g.graph_id]
            return
        self._split_pieces(g, former)
        self._mark_graph_privileged_dirty(g)

    def _resolve(self, ref: Any) -> Creature:
        if isinstance(ref, Creature):
            if self._creatures.get(ref.creature_id) is not ref:
                raise TerrariumError(f"creature '{ref.creature_id}' is not in this engine")
            return ref
        return self.get_creature(ref)

    def get_creature(self, creature_id: str) -> Creature:
        """The creature with this id (raises TerrariumError with a did-you-mean)."""
        c = self._creatures.get(creature_id)
        if c is None:
            hint = (
                did_you_mean(str(creature_id), self._creatures)
                if len(self._creatures) < 5000
                else None
            )
            raise TerrariumError(f"no creature '{creature_id}'" + (f"; {hint}" if hint else ""))
        return c

    def list_creatures(self) -> list[Creature]:
        return list(self._creatures.values())

    def __getitem__(self, creature_id: str) -> Creature:
        try:
            return self._creatures[creature_id]
        except KeyError:
            raise KeyError(creature_id) from None

    def __contains__(self, creature_id: object) -> bool:
        if isinstance(creature_id, Creature):
            return self._creatures.get(creature_id.creature_id) is creature_id
        return creature_id in self._creatures

    def __iter__(self) -> Iterator[Creature]:
        return iter(list(self._creatures.values()))

    def __len__(self) -> int:
        return len(self._creatures)

    async def start(self, creature: Any) -> None:
        await self._resolve(creature).start()

    async def stop(self, creature: Any) -> None:
        await self._resolve(creature).stop()

    async def stop_graph(self, graph: GraphRef) -> None:
        """Stop every creature of a graph."""
        g = self._graph(graph)
        await asyncio.gather(*(c.stop() for c in list(g.creatures.values())))

    async def assign_root(self, creature: Any) -> None:
        """Make ``creature`` its graph's root: privileged, listening on every channel."""
        c = self._resolve(creature)
        g = self._graph_of(c)
        g.root_id = c.creature_id
        self._grant_privilege(c)
        for name in g.channels:
            self._add_listen(c, name, tap=True)
        self._mark_graph_privileged_dirty(g)

    def _grant_privilege(self, c: Creature) -> None:
        if c.is_privileged:
            return
        c.is_privileged = True  # privilege is only ever raised, never lowered
        self._graph_of(c).privileged[c.creature_id] = None
        for tool in make_group_tools(c.environment, True):
            c.agent.registry.register_tool(tool)
        c.agent.update_system_prompt(None)

    # ------------------------------------------------------------------ events

    def subscribe(
        self, filter: EventFilter | None = None, *, maxsize: int = DEFAULT_EVENT_QUEUE
    ) -> EventSubscription:
        """An async iterator of the engine events ``filter`` matches (bounded, drop-oldest)."""
        sub = EventSubscription(filter, maxsize=maxsize, on_close=self._unsubscribe)
        if self._closed:
            sub.close()
        else:
            self._subscribers.append(sub)
        return sub

    def _unsubscribe(self, sub: EventSubscription) -> None:
        if sub in self._subscribers:
            self._subscribers.remove(sub)

    def _emit(
        self,
        kind: EventKind,
        creature: Creature | None = None,
        payload: dict[str, Any] | None = None,
        *,
        graph_id: str | None = None,
        channel: str | None = None,
        creature_id: str | None = None,
    ) -> None:
        if not self._subscribers:
            return
        event = EngineEvent(
            kind,
            creature.creature_id if creature is not None else creature_id,
            graph_id if graph_id is not None else (creature.graph_id if creature else None),
            channel,
            payload if payload is not None else {},
        )
        for sub in self._subscribers:
            sub.push(event)

    def _creature_crashed(self, creature: Creature, exc: BaseException, where: str) -> None:
        if creature.state != "running":
            return
        creature.state = "crashed"
        creature.error = exc
        logger.error(
            "creature crashed; stopping it",
            creature=creature.creature_id,
            where=where,
            error=f"{type(exc).__name__}: {exc}",
        )
        self._emit(
            EventKind.ERROR,
            creature,
            {"error": f"{type(exc).__name__}: {exc}", "where": where, "level": "error"},
        )
        # Not an engine task: shutdown must let a stop finish, never cancel it half way.
        task = asyncio.get_running_loop().create_task(
            creature.stop(crashed=True), name=f"kt-terrarium-stop-{creature.creature_id}"
        )
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    # ------------------------------------------------------------------ topology bookkeeping

    def _topology_changed(
        self, g: Graph, kind: str, *, creature: Creature | None = None, channel: str | None = None
    ) -> None:
        self._mark_graph_privileged_dirty(g)
        self._emit(
            EventKind.TOPOLOGY_CHANGED,
            creature,
            {"kind": kind},
            graph_id=g.graph_id,
            channel=channel,
        )

    def _run_topology_hooks(self, kind: str, graph_id: str, graph_ids: list[str]) -> None:
        for hook in self.topology_hooks:
            try:
                hook(kind, graph_id, graph_ids)
            except Exception:
                logger.exception("topology hook failed", kind=kind)

    def _mark_dirty(self, creature: Creature) -> None:
        self._dirty.add(creature.creature_id)
        if self._refresh_handle is None and not self._closed:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._refresh_handle = loop.call_later(PROMPT_REFRESH_DELAY, self.refresh_prompts)

    def _mark_graph_privileged_dirty(self, g: Graph) -> None:
        for cid in g.privileged:
            self._mark_dirty(self._creatures[cid])

    def refresh_prompts(self) -> None:
        """Rewrite the runtime-graph block of every creature whose topology changed, now."""
        if self._refresh_handle is not None:
            self._refresh_handle.cancel()
            self._refresh_handle = None
        dirty, self._dirty = self._dirty, set()
        for cid in dirty:
            c = self._creatures.get(cid)
            if c is not None:
                c.agent.update_system_prompt(None)

    # ------------------------------------------------------------------ inspection

    def status(self, creature: Any = None) -> dict[str, Any]:
        """One creature's status, or a summary of the engine."""
        if creature is not None:
            return self._resolve(creature).get_status()
        return {
            "creatures": len(self._creatures),
            "running": sum(1 for c in self._creatures.values() if c.is_running),
            "graphs": [
                {
                    "graph_id": g.graph_id,
                    "root": g.root_id,
                    "creatures": list(g.creatures),
                    "channels": [ch.info() for ch in g.channels.values()],
                }
                for g in self._graphs.values()
            ],
            "wires": len(self._wire_index),
            "subscribers": len(self._subscribers),
            "closed": self._closed,
        }

    def get_graph(self, graph_id: GraphRef) -> GraphTopology:
        """A snapshot of one graph."""
        g = self._graph(graph_id)
        return GraphTopology(
            graph_id=g.graph_id,
            creature_ids=tuple(g.creatures),
            channels={
                n: ChannelInfo(ch.name, ch.description, ch.channel_type)
                for n, ch in g.channels.items()
            },
            listen_edges={cid: tuple(c.listen) for cid, c in g.creatures.items()},
            send_edges={cid: tuple(c.send) for cid, c in g.creatures.items()},
            root_id=g.root_id,
            output_wires=tuple(
                (e.source, e.target)
                for cid in g.creatures
                for e in self._wires_out.get(cid, {}).values()
            ),
            parent_links={
                cid: c.parent_creature_id
                for cid, c in g.creatures.items()
                if c.parent_creature_id is not None
            },
        )

    def list_graphs(self) -> list[GraphTopology]:
        return [self.get_graph(gid) for gid in list(self._graphs)]

    # ------------------------------------------------------------------ shutdown

    def _check_open(self) -> None:
        if self._closed:
            raise TerrariumError("this Terrarium was shut down; create a new one")

    async def shutdown(self) -> None:
        """Stop every creature, cancel every engine task, end every subscription. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._refresh_handle is not None:
            self._refresh_handle.cancel()
            self._refresh_handle = None
        if self._stopping:
            await asyncio.gather(*list(self._stopping), return_exceptions=True)
        creatures = list(self._creatures.values())
        results = await asyncio.gather(*(c.stop() for c in creatures), return_exceptions=True)
        for c, res in zip(creatures, results, strict=True):
            if isinstance(res, BaseException):
                logger.error("creature failed to stop", creature=c.creature_id, error=str(res))
        for g in self._graphs.values():
            for ch in g.channels.values():
                ch.close()
        for pump in self._wire_pumps.values():
            pump.clear()
        await self._tasks.cancel_all()
        for sub in list(self._subscribers):
            sub.close()
        self._subscribers.clear()


__all__ = ["Terrarium"]
