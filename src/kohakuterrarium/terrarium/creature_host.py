"""``Creature``: the handle of one creature hosted by a :class:`~.engine.Terrarium`.

>>> worker = await engine.add_creature("creatures/swe", llm="fast")   # doctest: +SKIP
>>> result = await worker.run("Fix the failing test.", timeout=1800)  # doctest: +SKIP
>>> async for text in worker.chat("and now?"):                         # doctest: +SKIP
...     print(text, end="")

The handle wraps an :class:`~kohakuterrarium.core.agent.Agent` and adds what the engine needs:
its place in the graph (listen / send edges), privilege, the parent link, the republishing of
the agent's text and activity as engine events, and crash isolation (an exception escaping the
agent is reported as an ``error`` event and only this creature stops).

Each creature also gets a :class:`CreatureEnvironment` (``agent.environment``, reached by tools
as ``context.environment``): ``await env.send(channel, message, ...)`` and
``env.subscribe(channel)``, which the builtin ``send_message`` / ``watch_channel`` tools use.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from kohakuterrarium.core.events import EventType, TriggerEvent
from kohakuterrarium.core.result import Activity, TextChunk, TurnEnded, TurnResult
from kohakuterrarium.errors import AgentStateError, TerrariumError
from kohakuterrarium.terrarium.channels import (
    DEFAULT_CAPACITY,
    CallbackSubscription,
    ChannelMessage,
    ChannelSubscription,
    channel_prompt,
)
from kohakuterrarium.terrarium.events import EventKind
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from kohakuterrarium.core.agent import Agent
    from kohakuterrarium.core.config_types import AgentConfig
    from kohakuterrarium.terrarium.engine import Terrarium

logger = get_logger(__name__)

CreatureState = str
"""new, running, stopped or crashed."""


def channel_event(msg: ChannelMessage) -> TriggerEvent:
    """The ``channel_message`` event a listening creature receives for ``msg``."""
    return TriggerEvent(
        EventType.CHANNEL_MESSAGE,
        msg.content,
        {
            "channel": msg.channel,
            "sender": msg.sender,
            "sender_id": msg.sender_id,
            "message_id": msg.message_id,
            "reply_to": msg.reply_to,
            "metadata": msg.metadata,
        },
        prompt_override=channel_prompt(msg),
        source=msg.sender,
    )


class Creature:
    """One creature in a terrarium: its agent plus its place in the graph."""

    def __init__(
        self,
        engine: Terrarium,
        *,
        creature_id: str,
        config: AgentConfig,
        graph_id: str,
        is_privileged: bool = False,
        parent_creature_id: str | None = None,
        rebuild: Callable[[], Agent] | None = None,
    ) -> None:
        self._engine = engine
        self.creature_id = creature_id
        """Unique id in the engine (also the sender id of its channel posts)."""
        self.name = config.name
        """The config name (display name in channel messages is the creature id)."""
        self.agent: Agent = None  # type: ignore[assignment]
        """The hosted agent (bound by the engine right after the handle is registered, so the
        first system prompt already sees the creature; replaced by a fresh agent when a stopped
        creature restarts)."""
        self._config = config
        self.graph_id = graph_id
        """The graph it belongs to (changes on merge / split)."""
        self.is_privileged = is_privileged
        """Privileged creatures get the group_* management tools."""
        self.parent_creature_id = parent_creature_id
        """The creature that spawned it (group_add_node), if any."""
        self.listen: dict[str, CallbackSubscription] = {}
        """Channel name -> this creature's listen edge on it."""
        self.send: dict[str, None] = {}
        """Channels it may send on (ordered set)."""
        self.state: CreatureState = "new"
        self.error: BaseException | None = None
        """What crashed it, when state is 'crashed'."""
        self._rebuild = rebuild
        self._seq = 0  # join order, set by the engine (keeps split graphs in join order)
        self._busy = False
        self._unsubscribe: Callable[[], Any] | None = None

    def _bind(self, agent: Agent) -> None:
        self.agent = agent
        self._attach(agent)

    # ------------------------------------------------------------------ fields of B1.6

    @property
    def config(self) -> AgentConfig:
        return self.agent.config if self.agent is not None else self._config

    @property
    def listen_channels(self) -> list[str]:
        return list(self.listen)

    @property
    def send_channels(self) -> list[str]:
        return list(self.send)

    @property
    def is_running(self) -> bool:
        return self.state == "running" and self.agent is not None and self.agent.is_running

    @property
    def is_processing(self) -> bool:
        return getattr(self.agent, "_current", None) is not None

    @property
    def environment(self) -> CreatureEnvironment:
        return self.agent.environment  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<Creature {self.creature_id!r} graph={self.graph_id!r} {self.state}>"

    # ------------------------------------------------------------------ agent hooks

    def _attach(self, agent: Agent) -> None:
        self._unsubscribe = agent.subscribe(self._on_agent_event)
        agent.turn_end_callbacks.append(self._on_turn_end)
        starts = getattr(agent, "turn_start_callbacks", None)
        if isinstance(starts, list):  # the precise seam, when the Agent offers it
            starts.append(self._on_turn_start)

    def _on_turn_start(self, *_: Any) -> None:
        if not self._busy:
            self._busy = True
            self._engine._emit(EventKind.PROCESSING_START, self)

    def _on_agent_event(self, event: TextChunk | Activity) -> None:
        # Without a turn-start hook, the first event of a turn marks its start.
        if not self._busy and not (type(event) is Activity and event.type == "trigger_fired"):
            self._on_turn_start()
        engine = self._engine
        if not engine._subscribers:
            return
        if type(event) is TextChunk:
            engine._emit(EventKind.TEXT, self, {"text": event.text, "path": list(event.path)})
        else:
            engine._emit(
                EventKind.ACTIVITY,
                self,
                {
                    "type": event.type,
                    "name": event.name,
                    "payload": event.payload,
                    "path": list(event.path),
                },
            )

    def _on_turn_end(self, result: TurnResult) -> None:
        self._busy = False
        self._engine._emit(
            EventKind.PROCESSING_END,
            self,
            {"status": result.status, "turn_index": result.turn_index},
        )
        self._engine._turn_ended(self, result)

    def _watch_worker(self) -> None:
        # The agent keeps its worker task private; find it by name to learn about crashes.
        # (Seam for the lead: a public crash callback on Agent would replace this.)
        for task in list(getattr(self.agent, "_tasks", ())):
            if task.get_name().endswith("-worker"):
                task.add_done_callback(self._worker_done)

    def _worker_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled() or self.state != "running":
            return
        exc = task.exception()
        if exc is not None:
            self._engine._creature_crashed(self, exc, "agent worker")

    # ------------------------------------------------------------------ channel delivery

    def _try_deliver(self, msg: ChannelMessage) -> bool:
        agent = self.agent
        if not agent.is_running:
            return False
        try:
            agent.inject_event_nowait(channel_event(msg))
        except asyncio.QueueFull:
            return False
        return True

    async def _deliver(self, msg: ChannelMessage) -> None:
        await self.deliver_event(channel_event(msg))

    async def deliver_event(self, event: TriggerEvent) -> bool:
        """Queue ``event`` for the agent (waits while its inbox is full). False if stopped."""
        if self.state != "running":
            logger.info("event for a stopped creature skipped", creature=self.creature_id)
            return False
        try:
            await self.agent.inject_event(event)
        except AgentStateError:
            logger.info("event for a stopped creature skipped", creature=self.creature_id)
            return False
        except Exception as exc:
            self._engine._creature_crashed(self, exc, "inject_event")
            return False
        return True

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the agent (a stopped creature restarts on a fresh agent, history kept).

        A failing start marks the creature crashed, reports an ``error`` event and raises
        :class:`TerrariumError`.
        """
        if self.state == "running":
            return
        if self.agent._state in ("stopped", "stopping"):  # an Agent is single-use
            self._replace_agent()
        try:
            await self.agent.start()
        except Exception as exc:
            self.state = "crashed"
            self.error = exc
            with contextlib.suppress(Exception):
                await self.agent.stop()
            self._engine._emit(
                EventKind.ERROR,
                self,
                {"error": f"{type(exc).__name__}: {exc}", "where": "start"},
            )
            raise TerrariumError(
                f"creature '{self.creature_id}' failed to start: {type(exc).__name__}: {exc}"
            ) from exc
        self.state = "running"
        self.error = None
        self._watch_worker()
        for sub in self.listen.values():
            if sub.channel is not None:
                sub.channel.resume(sub)
        self._engine._emit(EventKind.CREATURE_STARTED, self)

    async def stop(self, *, crashed: bool = False) -> None:
        """Stop the agent; channel traffic for it is paused (queue messages wait for others)."""
        if self.state not in ("running",) and not crashed:
            if self.state == "new":
                self.state = "stopped"
            return
        self.state = "crashed" if crashed else "stopped"
        for sub in self.listen.values():
            if sub.channel is not None:
                sub.channel.pause(sub)
        try:
            await self.agent.stop()
        except Exception:
            logger.exception("agent stop failed", creature=self.creature_id)
        self._busy = False
        self._engine._emit(EventKind.CREATURE_STOPPED, self, {"crashed": crashed})

    def _replace_agent(self) -> None:
        if self._rebuild is None:
            raise AgentStateError(
                f"creature '{self.creature_id}' was stopped and cannot be rebuilt"
            )
        old = self.agent
        if self._unsubscribe is not None:
            self._unsubscribe()
        new = self._rebuild()
        new.conversation.replace(old.conversation.messages)
        self.agent = new
        self._attach(new)

    # ------------------------------------------------------------------ turns

    async def run(self, prompt: Any, *, timeout: float | None = None) -> TurnResult:
        """Run one turn (see :meth:`Agent.run`)."""
        return await self.agent.run(prompt, timeout=timeout)

    async def run_stream(
        self, prompt: Any, *, timeout: float | None = None
    ) -> AsyncIterator[TextChunk | Activity | TurnEnded]:
        """Run one turn, yielding its stream events (see :meth:`Agent.run_stream`)."""
        async for event in self.agent.run_stream(prompt, timeout=timeout):
            yield event

    async def chat(self, message: Any) -> AsyncIterator[str]:
        """Stream only the reply text of one turn."""
        async for text in self.agent.chat(message):
            yield text

    async def inject_input(self, message: Any, *, source: str = "chat") -> TurnResult:
        """Process ``message`` as user input; waits for the whole turn."""
        return await self.agent.inject_input(message, source=source)

    # ------------------------------------------------------------------ inspection

    def get_status(self) -> dict[str, Any]:
        """A JSON-able status dict (keys of the established design, plus ``state``)."""
        agent = self.agent
        llm = agent.llm
        llm_config = getattr(llm, "config", None)
        compact = agent.config.compact or {}
        return {
            "agent_id": f"{self.creature_id}@{id(agent):x}",
            "creature_id": self.creature_id,
            "graph_id": self.graph_id,
            "name": self.name,
            "model": getattr(llm, "model", ""),
            "llm_name": agent.config.llm or agent.config.model or getattr(llm, "model", ""),
            "provider": getattr(llm, "provider_name", "") or getattr(llm_config, "provider", ""),
            "session_id": getattr(agent.session, "session_id", None),
            "max_context": getattr(llm_config, "max_context", None),
            "compact_threshold": compact.get("threshold") if isinstance(compact, dict) else None,
            "running": self.is_running,
            "is_processing": self.is_processing,
            "state": self.state,
            "error": f"{type(self.error).__name__}: {self.error}" if self.error else None,
            "tools": agent.tools,
            "subagents": agent.subagents,
            "pwd": str(agent.pwd),
            "listen_channels": self.listen_channels,
            "send_channels": self.send_channels,
            "is_privileged": self.is_privileged,
            "parent_creature_id": self.parent_creature_id,
        }


class CreatureEnvironment:
    """What a creature's tools see as ``context.environment`` inside a terrarium.

    It is bound to one creature (the one whose agent holds it) and reaches its graph's channels
    through the engine, so it stays right across graph merges and splits.
    """

    def __init__(self, engine: Terrarium, creature_id: str) -> None:
        self.engine = engine
        self.creature_id = creature_id

    @property
    def creature(self) -> Creature:
        return self.engine.get_creature(self.creature_id)

    @property
    def graph_id(self) -> str:
        return self.creature.graph_id

    @property
    def shared_channels(self) -> dict[str, Any]:
        """Channel name -> Channel of the creature's graph (read-only view by convention)."""
        return dict(self.engine._graph_of(self.creature).channels)

    def list_channels(self) -> list[dict[str, Any]]:
        return [ch.info() for ch in self.engine._graph_of(self.creature).channels.values()]

    async def send(
        self,
        channel: str,
        message: Any,
        sender: str | None = None,
        metadata: dict[str, Any] | None = None,
        reply_to: str | None = None,
        *,
        channel_type: str | None = None,
        require_edge: bool = False,
    ) -> str:
        """Post ``message`` on ``channel`` of this creature's graph; returns the message id.

        A missing channel is an error, unless ``channel_type`` (broadcast / queue) is given:
        then it is created (``send_message``'s on-demand channels). ``require_edge=True``
        refuses channels the creature has no send edge on; by default (``send_message``) the
        channel only has to exist. Own-message filtering uses the creature id, whatever
        ``sender`` (the display name) says.
        """
        engine = self.engine
        creature = self.creature
        if channel_type and channel not in engine._graph_of(creature).channels:
            await engine.add_channel(creature.graph_id, channel, channel_type=channel_type)
        msg = await engine._creature_send(
            creature,
            channel,
            message,
            sender=sender,
            metadata=metadata,
            reply_to=reply_to,
            require_edge=require_edge,
        )
        return msg.message_id

    def subscribe(
        self, channel: str, *, receive_own: bool = False, capacity: int = DEFAULT_CAPACITY
    ) -> ChannelSubscription:
        """A subscription to ``channel`` (``async for msg in sub`` / ``await sub.get(t)``).

        On a queue channel the subscription is one of the consumers. ``sub.close()`` ends it.
        """
        return self.engine._subscribe_channel(
            self.creature, channel, receive_own=receive_own, capacity=capacity
        )


__all__ = ["Creature", "CreatureEnvironment", "channel_event"]
