"""``Agent``: one creature, embeddable in any asyncio program.

>>> agent = await Agent.build("creatures/helper", llm=ScriptedLLM(["hi"]))   # doctest: +SKIP
>>> async with agent:                                                          # doctest: +SKIP
...     result = await agent.run("hello", timeout=30)
...     print(result.status, result.text)

The loop itself lives in :mod:`kohakuterrarium.core.controller`; this module owns construction
(model, tools, plugins, prompt), the lifecycle, and the ways work reaches the loop: ``run`` /
``run_stream`` from Python, the input module, triggers, and background-job completions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from kohakuterrarium.core.agent_io import OutputPump, TriggerSet, maybe_await
from kohakuterrarium.core.assembly import (
    assemble,
    compose_system_prompt,
    load_config,
    load_config_triggers,
    make_subagent,
)
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.core.controller import (
    DEFAULT_MAX_ROUNDS,
    WAKE,
    TurnState,
    cancel_jobs,
    completion_event,
    run_cycle,
)
from kohakuterrarium.core.conversation import Conversation
from kohakuterrarium.core.events import EventType, TriggerEvent, create_user_input_event
from kohakuterrarium.core.jobs import Job, JobStore
from kohakuterrarium.core.result import Activity, TextChunk, TurnEnded, TurnResult
from kohakuterrarium.core.subagent import SubAgentSpec
from kohakuterrarium.errors import (
    AgentStateError,
    BadValueError,
    KTError,
    TurnCancelled,
    TurnInterrupted,
    TurnTimeout,
)
from kohakuterrarium.llm.base import BaseLLMProvider, Usage
from kohakuterrarium.llm.resolve import resolve_llm
from kohakuterrarium.modules.tool.base import ToolContext
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

_DONE = object()
_TOOL_CONFIG_KEYS = (
    "timeout",
    "max_output",
    "working_dir",
    "env",
    "notify_controller_on_background_complete",
)


class Agent:
    """One creature: controller loop + tools + sub-agents + plugins + triggers."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        llm: Any = None,
        tools: Iterable[Any] = (),
        subagents: Iterable[SubAgentSpec] = (),
        plugins: Iterable[Any] = (),
        input_module: Any = None,
        output_module: Any = None,
        session: Any = None,
        environment: Any = None,
        llm_override: Any = None,
        pwd: str | os.PathLike[str] | None = None,
        parent: Agent | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.parent = parent
        self.path: tuple[str, ...] = (*parent.path, config.name) if parent else (config.name,)
        self.depth = parent.depth + 1 if parent else 0
        self.pwd = Path(
            pwd if pwd is not None else (parent.pwd if parent else Path.cwd())
        ).resolve()
        self.environment = environment
        self.input = input_module
        self.output = output_module
        self.named_outputs: dict[str, Any] = {}

        self.llm: BaseLLMProvider = resolve_llm(
            llm_override if llm_override is not None else llm, config
        )
        # Providers we built from a name (or the config) are ours to close; instances are not.
        chosen = llm_override if llm_override is not None else llm
        self._owns_llm = chosen is None or isinstance(chosen, str)

        self.subagent_history: dict[str, list[dict[str, Any]]] = {}
        """The last conversation of each stateless sub-agent (for inspection and sessions)."""
        self._kept_children: dict[str, Agent] = {}
        self.conversation = Conversation(max_messages=config.max_messages)
        self.jobs = JobStore()
        self.max_rounds = config.max_iterations or DEFAULT_MAX_ROUNDS
        self.request_options: dict[str, Any] = {}
        self.serial_lock = asyncio.Lock()
        self.total_usage = Usage()
        self.turn_count = 0
        self.total_tool_calls = 0
        self.terminated: str | None = None
        """Why a termination condition stopped the agent (None while it may run)."""
        # Tools, sub-agents, skills, format, plugins, compaction, budget, termination:
        # everything a bad config can break is built here, so it fails at build time.
        assemble(self, tools, subagents, plugins)
        self.session: Any = None
        self.session_store: Any = None
        self.prompt_base: str = config.system_prompt or ""
        """The creature's own prompt (Jinja-rendered when the system prompt is built)."""
        self.prompt_extra: list[str] = []
        """Sections added at run time (MCP tools, ``update_system_prompt``)."""

        self._sinks: list[Any] = []
        self.turn_end_callbacks: list[Any] = []
        self.turn_listeners = self.turn_end_callbacks  # the name the session layer uses
        self.stop_listeners: list[Any] = []
        """Called (sync or async) at the end of ``stop()``, before the model is closed."""
        self.mcp: Any = None
        """The MCP client manager, when the creature declares or connects MCP servers."""
        self.path_guard: Any = None
        """Optional sandbox of allowed roots for tools that write."""
        """Called with every TurnResult (sync, or async: run as a task); wiring, sessions."""
        self.runtime_services: dict[str, Any] = {}
        """Services plugins publish to tools (``ToolContext.runtime_services``)."""
        self.file_read_state: Any = None
        """Which files this agent has read (set by the file tools on first use)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._inbox: asyncio.Queue[TriggerEvent] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._current: tuple[asyncio.Task[Any], TurnState] | None = None
        self.triggers = TriggerSet(self)
        self._pump: OutputPump | None = None
        self._state = "new"  # new -> running -> stopped
        self._plugin_injected_messages: list[dict[str, Any]] = []
        self.update_system_prompt(None)
        self._config_triggers = load_config_triggers(self)
        if session is not None:
            self._attach_session(session)

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    async def build(
        cls,
        source: Any,
        *,
        llm: Any = None,
        tools: Iterable[Any] = (),
        pwd: str | os.PathLike[str] | None = None,
        session: Any = None,
        **kwargs: Any,
    ) -> Agent:
        """Build an agent from a creature folder, config file, ``@pack/path``, AgentConfig or dict.

        Everything that can be checked is checked here (config keys, tools, model), so a bad
        input raises a typed ``errors.*`` now instead of mid-run.
        """
        if isinstance(source, (AgentConfig, dict)):
            config = load_config(source, pwd)
        else:  # reads files: keep the event loop free meanwhile
            config = await asyncio.to_thread(load_config, source, pwd)
        return cls(config, llm=llm, tools=tools, pwd=pwd, session=session, **kwargs)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], **kwargs: Any) -> Agent:
        """Build synchronously from a folder, config file or ``@pack/path``."""
        return cls(load_config(path, kwargs.get("pwd")), **kwargs)

    def _attach_session(self, session: Any) -> None:
        from kohakuterrarium.session.attach import attach_session

        attach_session(self, session)

    # ------------------------------------------------------------------ prompt

    def update_system_prompt(self, content: str | None, replace: bool = False) -> None:
        """Rebuild the system prompt; ``content`` is appended (or replaces the base)."""
        # Kept on the agent, never written into the config: configs may be shared.
        if content and replace:
            self.prompt_base, self.prompt_extra = content, []
        elif content:
            self.prompt_extra.append(content)
        self.conversation.set_system_prompt(compose_system_prompt(self))

    def get_system_prompt(self) -> str:
        return self.conversation.system_prompt

    # ------------------------------------------------------------------ services for the loop

    @property
    def tool_format_name(self) -> str:
        return "native" if self.native else str(self.config.tool_format)

    def new_parser(self) -> Any:
        from kohakuterrarium.parsing import create_parser

        return create_parser(
            self.tool_format,
            tools=self.registry.parser_tools(),
            subagents=list(self.registry.subagents),
            outputs=list(self.named_outputs),
        )

    def convert_native_args(self, name: str, arguments: str) -> tuple[dict[str, Any], str | None]:
        from kohakuterrarium.parsing.convert import ToolArgumentError, convert_json_args

        try:
            return convert_json_args(arguments, self.registry.param_schema(name), tool=name), None
        except ToolArgumentError as exc:
            return {}, str(exc)

    def max_output_for(self, name: str) -> int:
        tool = self.registry.tools.get(name)
        return int(getattr(getattr(tool, "config", None), "max_output", 0) or 0)

    def tool_context(self, job: Job) -> ToolContext:
        return ToolContext(
            agent_name=self.name,
            session=self.session,
            working_dir=self.pwd,
            environment=self.environment,
            tool_format=self.tool_format_name,
            agent=self,
            job_id=job.job_id,
            file_read_state=self.file_read_state,
            path_guard=self.path_guard,
            runtime_services=self.runtime_services,
        )

    def make_subagent(self, spec: SubAgentSpec) -> Agent:
        """A child agent for ``spec`` (see :func:`core.assembly.make_subagent`)."""
        return make_subagent(self, spec)

    @contextlib.asynccontextmanager
    async def subagent_session(self, spec: SubAgentSpec) -> AsyncIterator[Agent]:
        """A started child for one task: fresh per task, or kept alive when not stateless."""
        if spec.stateless:
            child = self.make_subagent(spec)
            async with child:
                yield child
            self.subagent_history[spec.name] = child.conversation.to_list()
            return
        child = self._kept_children.get(spec.name)
        if child is None or not child.is_running:
            child = self.make_subagent(spec)
            await child.start()
            self._kept_children[spec.name] = child
        yield child

    def emit(self, event: TextChunk | Activity, turn: TurnState | None) -> None:
        if turn is not None:
            if type(event) is Activity:
                turn.activities.append(event)
            if turn.stream is not None:
                turn.stream.put_nowait(event)
        for sink in self._sinks:
            try:
                sink(event)
            except Exception:
                logger.exception("event sink failed", agent=self.name)

    def emit_text(self, text: str, turn: TurnState | None) -> None:
        if self._sinks or (turn is not None and turn.stream is not None):
            self.emit(TextChunk(text, self.path), turn)

    def emit_activity(
        self, type_: str, name: str, payload: dict[str, Any], turn: TurnState | None
    ) -> None:
        self.emit(Activity(type_, name, payload, self.path), turn)

    def add_usage(self, usage: Usage, turn: TurnState) -> None:
        turn.usage.add(usage)
        self.total_usage.add(usage)
        self.emit_activity("token_usage", "", usage.to_dict(), turn)
        self.compactor.observe(usage.prompt_tokens)

    async def write_named_output(self, target: str, content: str, turn: TurnState) -> None:
        module = self.named_outputs.get(target)
        if module is not None:
            await module.write(content)
        self.emit_activity("output", target, {"content": content}, turn)

    def background_done(self, job: Job) -> None:
        if not job.notify:
            return
        event = completion_event(job)
        turn: TurnState | None = job.turn
        if turn is not None and turn.open and job.job_id in turn.pending:
            if turn.continuation is None:
                turn.continuation = asyncio.Queue()
            turn.continuation.put_nowait(event)
        elif self._inbox is not None and self._state == "running":
            self._inbox.put_nowait(event)

    def subscribe(self, sink: Any) -> Any:
        """Call ``sink(event)`` for every TextChunk / Activity; returns an unsubscribe callable."""
        self._sinks.append(sink)
        return lambda: self._sinks.remove(sink) if sink in self._sinks else None

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_running(self) -> bool:
        return self._state == "running"

    async def start(self) -> None:
        if self._state == "running":
            return
        if self._state == "stopped":
            raise AgentStateError(f"agent '{self.name}' was stopped; build a new one")
        self._loop = asyncio.get_running_loop()
        self._lock = asyncio.Lock()
        self._inbox = asyncio.Queue(maxsize=1024)
        self._state = "running"
        if self.output is not None:
            await maybe_await(self.output.start())
        if self.plugins is not None:
            from kohakuterrarium.modules.plugin.base import PluginContext

            store = self.session_store
            ctx = PluginContext(
                agent_name=self.name,
                working_dir=self.pwd,
                model=self.llm.model,
                session_id=store.get_meta("session_id") if store is not None else None,
                _host_agent=self,
            )
            await self.plugins.load_all(ctx)
            await self.plugins.notify("on_agent_start")
        if self.config.mcp_servers:
            from kohakuterrarium.mcp.attach import attach_mcp

            manager = await attach_mcp(self, self.config.mcp_servers)
            self.update_system_prompt(manager.prompt_block())
        if self.output is not None:
            self._pump = OutputPump(self, self.output)
            self._pump.start()
        if self.plugins is not None:
            self.runtime_services = self.plugins.collect_runtime_services(None)
        if self.termination is not None:
            self.termination.start()
        self._spawn(self._worker(), "worker")
        for trigger_id, trigger in self._config_triggers:
            await self.triggers.add(trigger, trigger_id)
        if self.config.startup_trigger:
            self._inbox.put_nowait(
                TriggerEvent(
                    EventType.STARTUP,
                    self.config.startup_trigger.get("prompt", ""),
                    stackable=False,
                )
            )
        if self.input is not None:
            await maybe_await(self.input.start())
            self._spawn(self._input_loop(), "input")

    async def stop(self) -> None:
        if self._state != "running":
            self._state = "stopped"
            return
        self._state = "stopping"
        if self._current is not None:
            task, turn = self._current
            if turn.cancel_reason is None:
                turn.cancel_reason = "cancelled"
            task.cancel()
        cancel_jobs(self, list(self.jobs.running.values()), "cancelled")
        await self.triggers.remove_all()
        for task in list(self._tasks):
            task.cancel()
        running = [t for t in self._tasks if not t.done()]
        job_tasks = [j.task for j in list(self.jobs.running.values()) if j.task is not None]
        if running or job_tasks:
            await asyncio.wait([*running, *job_tasks], timeout=5)
        for child in list(self._kept_children.values()):
            with contextlib.suppress(Exception):
                await child.stop()
        if self.input is not None:
            with contextlib.suppress(Exception):
                await maybe_await(self.input.stop())
        if self.plugins is not None:
            await self.plugins.notify("on_agent_stop")
            await self.plugins.unload_all()
        if self.output is not None:
            with contextlib.suppress(Exception):
                await maybe_await(self.output.stop())
        if self.mcp is not None:
            with contextlib.suppress(Exception):
                await self.mcp.shutdown()
        for listener in self.stop_listeners:
            try:
                await maybe_await(listener())
            except Exception:
                logger.exception("stop listener failed", agent=self.name)
        if self._owns_llm:
            with contextlib.suppress(Exception):
                await self.llm.close()
        self._state = "stopped"

    async def __aenter__(self) -> Agent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _spawn(self, coro: Any, label: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=f"kt-{self.name}-{label}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _require_running(self) -> None:
        if self.terminated is not None:
            raise AgentStateError(f"agent '{self.name}' has terminated: {self.terminated}")
        if self._state != "running":
            state = "was stopped" if self._state in ("stopped", "stopping") else "is not started"
            raise AgentStateError(
                f"agent '{self.name}' {state}: use 'async with agent:' or 'await agent.start()'"
            )

    # ------------------------------------------------------------------ turns

    async def run(
        self, prompt: Any, *, timeout: float | None = None, wait_background: bool = True
    ) -> TurnResult:
        """Run one turn and return its :class:`TurnResult`.

        Model and tool failures come back as a status, never as an exception. ``timeout`` bounds
        the whole turn (background jobs it started included, unless ``wait_background`` is
        False) and really cancels: the stream is closed, tools and sub-agents are cancelled.
        """
        self._require_running()
        _check_timeout(timeout)
        turn = self._new_turn()
        return await self._drive(turn, [create_user_input_event(prompt)], timeout, wait_background)

    async def run_stream(
        self, prompt: Any, *, timeout: float | None = None, wait_background: bool = True
    ) -> AsyncIterator[TextChunk | Activity | TurnEnded]:
        """Run one turn, yielding TextChunk / Activity events and finally TurnEnded."""
        self._require_running()
        _check_timeout(timeout)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        turn = self._new_turn(stream=queue)
        task = asyncio.get_running_loop().create_task(
            self._drive(turn, [create_user_input_event(prompt)], timeout, wait_background)
        )
        task.add_done_callback(lambda _t: queue.put_nowait(_DONE))
        try:
            while True:
                event = await queue.get()
                if event is _DONE:
                    break
                yield event
            yield TurnEnded(task.result(), self.path)
        finally:
            if not task.done():
                turn.cancel_reason = turn.cancel_reason or "cancelled"
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def chat(self, prompt: Any) -> AsyncIterator[str]:
        """Stream only the reply text of one turn."""
        async for event in self.run_stream(prompt):
            if type(event) is TextChunk and event.path == self.path:
                yield event.text

    async def inject_input(self, content: Any, source: str = "programmatic") -> TurnResult:
        """Process ``content`` as user input and wait for the whole turn."""
        self._require_running()
        turn = self._new_turn()
        return await self._drive(turn, [create_user_input_event(content, source)], None, True)

    async def inject_event(self, event: TriggerEvent) -> None:
        """Queue an event for the agent (waits while the inbox is full: backpressure)."""
        self._require_running()
        assert self._inbox is not None
        await self._inbox.put(event)

    def inject_event_nowait(self, event: TriggerEvent) -> None:
        """Queue an event from synchronous code (raises asyncio.QueueFull when full)."""
        self._require_running()
        assert self._inbox is not None and self._loop is not None
        if _in_loop_thread(self._loop):
            self._inbox.put_nowait(event)
        else:
            self._loop.call_soon_threadsafe(self._inbox.put_nowait, event)

    def interrupt(self) -> None:
        """Cancel the current turn (thread-safe). Its status becomes ``interrupted``."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if _in_loop_thread(loop):
            self._interrupt_now()
        else:
            loop.call_soon_threadsafe(self._interrupt_now)

    def _interrupt_now(self) -> None:
        if self._current is None:
            return
        task, turn = self._current
        if turn.cancel_reason is None:
            turn.cancel_reason = "interrupted"
            task.cancel()
            if self.plugins is not None:
                self._spawn(self.plugins.notify("on_interrupt"), "on-interrupt")

    def _new_turn(self, stream: asyncio.Queue[Any] | None = None) -> TurnState:
        self.turn_count += 1
        return TurnState(self.turn_count, stream=stream)

    async def _drive(
        self,
        turn: TurnState,
        events: list[TriggerEvent],
        timeout: float | None,
        wait_background: bool,
    ) -> TurnResult:
        """Run the cycles of one turn under the processing lock; always returns a result."""
        assert self._lock is not None and self._loop is not None
        task = asyncio.current_task()
        assert task is not None
        timer = None
        if timeout is not None:
            timer = self._loop.call_later(timeout, self._expire, task, turn)
        status, error = "ok", None
        try:
            async with self._lock:
                self._current = (task, turn)
                try:
                    if self._pump is not None:
                        await self._pump.mark("processing_start")
                    if self.plugins is not None:
                        for ev in events:
                            await self.plugins.notify("on_event", event=ev)
                    await run_cycle(self, events, turn)
                    while wait_background and turn.pending:
                        if turn.continuation is None:
                            turn.continuation = asyncio.Queue()
                        batch = [await turn.continuation.get()]
                        while not turn.continuation.empty():
                            batch.append(turn.continuation.get_nowait())
                        batch = [ev for ev in batch if ev is not WAKE]
                        for ev in batch:
                            turn.pending.discard(ev.job_id or "")
                        if batch:
                            await run_cycle(self, batch, turn)
                finally:
                    self._current = None
                    if self._pump is not None:
                        await asyncio.shield(self._pump.mark("processing_end"))
        except asyncio.CancelledError:
            # A reason set by us (timeout, interrupt, stop, stream consumer gone) means we own
            # the cancellation: swallow it and report. Otherwise the caller was cancelled.
            internal = turn.cancel_reason is not None
            reason = turn.cancel_reason or "cancelled"
            status = reason
            error = {"timeout": TurnTimeout, "interrupted": TurnInterrupted}.get(
                reason, TurnCancelled
            )(f"turn {turn.index} {_REASON_TEXT.get(reason, reason)}")
            self.emit_activity(
                "interrupt" if reason == "interrupted" else "turn_cancelled",
                "",
                {"reason": reason},
                turn,
            )
            if not internal or task.uncancel() > 0:
                turn.error = error
                self._close_turn(turn)
                self._turn_ended(self._result_of(turn, status, error))
                raise
        except KTError as exc:
            status, error = "error", exc
        except Exception as exc:  # a bug somewhere below: report it, keep the agent usable
            logger.exception("turn failed", agent=self.name)
            status, error = "error", exc
        finally:
            if timer is not None:
                timer.cancel()
        turn.error = error
        self._close_turn(turn)
        result = self._result_of(turn, status, error)
        if self.termination is not None and self.parent is None:
            self.termination.record_turn(tokens=result.usage.total_tokens)
            if self.termination.should_terminate(result.text):
                self.terminated = self.termination.reason or "termination condition met"
                self.emit_activity("terminated", "", {"reason": self.terminated}, None)
        if self.config.ephemeral:
            self.conversation.clear()  # ephemeral creatures keep no history between turns
        self._turn_ended(result)
        return result

    @staticmethod
    def _result_of(turn: TurnState, status: str, error: BaseException | None) -> TurnResult:
        return TurnResult(
            status=status,  # type: ignore[arg-type]
            text=turn.last_text,
            usage=turn.usage.copy(),
            tool_calls=tuple(turn.tool_calls),
            activities=tuple(turn.activities),
            error=error,
            turn_index=turn.index,
            duration_s=time.perf_counter() - turn.started,
        )

    def _turn_ended(self, result: TurnResult) -> None:
        for callback in self.turn_end_callbacks:
            self._call_turn_end(callback, result)

    def _call_turn_end(self, callback: Any, result: TurnResult) -> None:
        try:
            value = callback(result)
        except Exception:
            logger.exception("turn-end callback failed", agent=self.name)
            return
        if asyncio.iscoroutine(value):
            self._spawn(value, "turn-end")

    def _expire(self, task: asyncio.Task[Any], turn: TurnState) -> None:
        if turn.open and turn.cancel_reason is None and not task.done():
            turn.cancel_reason = "timeout"
            task.cancel()

    def _close_turn(self, turn: TurnState) -> None:
        turn.open = False
        if turn.pending:
            reason = turn.cancel_reason or "cancelled"
            leftover = [self.jobs.running[j] for j in turn.pending if j in self.jobs.running]
            cancel_jobs(self, leftover, reason)
            turn.pending.clear()

    # ------------------------------------------------------------------ background work

    async def _worker(self) -> None:
        """Process queued events (triggers, late job completions, injected events)."""
        assert self._inbox is not None
        while True:
            first = await self._inbox.get()
            batch = [first]
            while first.stackable and not self._inbox.empty():
                nxt = self._inbox.get_nowait()
                if not nxt.stackable:
                    # Hold back a non-stackable event for its own round.
                    await self._drive(self._event_turn(batch), batch, None, True)
                    batch = [nxt]
                    break
                batch.append(nxt)
            await self._drive(self._event_turn(batch), batch, None, True)

    def _event_turn(self, batch: list[TriggerEvent]) -> TurnState:
        if any(ev.type == EventType.USER_INPUT for ev in batch):
            return self._new_turn()
        return TurnState(self.turn_count)

    async def _input_loop(self) -> None:
        while True:
            event = await self.input.get_input()
            if event is None:
                continue
            await self.inject_event(event)

    # ------------------------------------------------------------------ triggers

    async def add_trigger(self, trigger: Any, trigger_id: str | None = None) -> str:
        """Start ``trigger``; every event it fires is queued for the agent. Returns its id."""
        self._require_running()
        return await self.triggers.add(trigger, trigger_id)

    async def remove_trigger(self, trigger: Any) -> bool:
        """Stop a trigger by id or object; False when there is no such trigger."""
        return await self.triggers.remove(trigger)

    # ------------------------------------------------------------------ inspection

    @property
    def controller(self) -> Agent:
        """Packs reach the loop through ``ctx.controller`` (``.llm``, ``push_event_sync``)."""
        return self

    def push_event_sync(self, event: TriggerEvent) -> None:
        self.inject_event_nowait(event)

    @property
    def tools(self) -> list[str]:
        return self.registry.list_tools()

    @property
    def subagents(self) -> list[str]:
        return list(self.registry.subagents)

    @property
    def conversation_history(self) -> list[dict[str, Any]]:
        return self.conversation.to_list()

    def switch_model(self, llm: Any) -> str:
        """Use another model from the next round on; returns its identifier."""
        self.llm = resolve_llm(llm, self.config)
        return self.llm_identifier()

    def llm_identifier(self) -> str:
        return getattr(self.llm, "identifier", None) or self.llm.model

    def set_output_handler(self, handler: Any, replace_default: bool = False) -> None:
        """Call ``handler(text)`` with every text chunk of this agent."""

        def sink(event: Any) -> None:
            if type(event) is TextChunk and event.path == self.path:
                result = handler(event.text)
                if asyncio.iscoroutine(result):
                    self._spawn(result, "output-handler")

        if replace_default:
            self.output = None
        self._sinks.append(sink)


_REASON_TEXT = {
    "timeout": "timed out",
    "interrupted": "was interrupted",
    "cancelled": "was cancelled",
}


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise BadValueError(
            f"timeout must be a positive number of seconds, got {timeout!r}",
            key="timeout",
            hint="use None for no timeout",
        )


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


__all__ = ["Agent"]
