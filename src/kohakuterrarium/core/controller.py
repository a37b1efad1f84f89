"""The controller loop, top to bottom.

A *turn* answers one input. It runs one or more *cycles* (the first for the input itself, later
ones for completions of background jobs the turn started). A cycle runs *rounds*:

1. stream the LLM; text goes out as it arrives, and each tool call starts as a job the moment
   it is complete (a closed text-format block, or a native ``ToolCallReady``);
2. record the assistant message (text and native tool calls);
3. wait for the round's direct jobs, feed their results back;
4. stop when a round asks for nothing.

Cancellation (turn timeout, ``interrupt()``, a caller cancelling) can land anywhere; whatever
happens, every tool call the model made gets a result message, so the conversation stays valid
for the next turn. Nothing here walks the history: per-round work is independent of its length.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

from kohakuterrarium.core.events import EventType, TriggerEvent
from kohakuterrarium.core.jobs import Job, new_job_id
from kohakuterrarium.core.result import Activity, ToolCallRecord
from kohakuterrarium.errors import BudgetExceeded, KTError, ProviderError
from kohakuterrarium.llm.base import ReasoningDelta, TextDelta, ToolCallReady, Usage, UsageReport
from kohakuterrarium.llm.message import content_text
from kohakuterrarium.modules.tool.base import ToolResult
from kohakuterrarium.parsing.events import (
    CommandEvent,
    MalformedCallEvent,
    OutputCallEvent,
    SubAgentCallEvent,
    TextEvent,
    ToolCallEvent,
)
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from kohakuterrarium.core.agent import Agent

logger = get_logger(__name__)

DEFAULT_MAX_ROUNDS = 100
"""Rounds one turn may run when the config sets no ``max_iterations``."""

CANCEL_TEXT = {
    "timeout": "cancelled: the turn timed out before this job finished",
    "interrupted": "User manually interrupted this job.",
    "cancelled": "cancelled: the turn was cancelled before this job finished",
}
_STATUS_LABEL = {
    "ok": "OK",
    "error": "ERROR",
    "timeout": "TIMEOUT",
    "cancelled": "CANCELLED",
    "interrupted": "INTERRUPTED",
}


class TurnState:
    """Book-keeping of one turn (shared by its cycles)."""

    __slots__ = (
        "activities",
        "budget_hit",
        "calls",
        "cancel_reason",
        "continuation",
        "error",
        "index",
        "last_text",
        "open",
        "pending",
        "rounds",
        "started",
        "stream",
        "tool_calls",
        "usage",
    )

    def __init__(self, index: int, *, stream: asyncio.Queue[Any] | None = None) -> None:
        self.index = index
        self.started = time.perf_counter()
        self.usage = Usage()
        self.tool_calls: list[ToolCallRecord] = []
        self.activities: list[Activity] = []
        self.last_text = ""
        self.error: BaseException | None = None
        self.cancel_reason: str | None = None
        self.pending: set[str] = set()
        """Background jobs whose completion continues this turn."""
        self.continuation: asyncio.Queue[TriggerEvent] | None = None
        self.stream = stream
        self.rounds = 0
        self.calls = 0
        """Tool / sub-agent calls started in this turn."""
        self.budget_hit: str | None = None
        """Why a call was refused for budget reasons (ends the turn after the round)."""
        self.open = True


# --------------------------------------------------------------------------- formatting


def format_events(events: list[TriggerEvent]) -> dict[str, Any] | None:
    """The user message for a batch of events (None when every event is silent)."""
    texts: list[str] = []
    parts: list[Any] = []
    for ev in events:
        if ev.context.get("silent"):
            continue
        if ev.prompt_override:
            texts.append(ev.prompt_override)
        elif ev.type == EventType.USER_INPUT:
            if isinstance(ev.content, list):
                parts.extend(ev.content)
                continue
            texts.append(str(ev.content))
        elif ev.type == EventType.TOOL_COMPLETE:
            label = "Sub-agent" if ev.context.get("kind") == "subagent" else "Tool"
            verb = "output" if label == "Sub-agent" else "completed"
            texts.append(f"[{label} {ev.job_id} {verb}]\n{ev.get_text_content()}")
        else:
            texts.append(f"[{ev.type}] {ev.get_text_content()}")
    if not texts and not parts:
        return None
    if parts:
        from kohakuterrarium.llm.message import content_to_wire

        wire = content_to_wire(parts)
        if texts:
            wire = [{"type": "text", "text": "\n\n".join(texts)}, *wire]
        return {"role": "user", "content": wire}
    return {"role": "user", "content": "\n\n".join(texts)}


def result_text(job: Job, max_output: int = 0) -> str:
    """What the model sees as the result of a job."""
    result = job.result or ToolResult(error="no result")
    text = result.get_text_output()
    if max_output and len(text) > max_output // 4:
        data = text.encode("utf-8")
        if len(data) > max_output:
            text = data[:max_output].decode("utf-8", "ignore")
            text += f"\n[output truncated: {len(data)} bytes, showing the first {max_output}]"
    if result.error:
        return f"Error: {result.error}" + (f"\n{text}" if text else "")
    if result.exit_code not in (None, 0):
        return f"(exit code {result.exit_code})\n{text}"
    return text


def _batch_message(jobs: list[Job], agent: Agent) -> str:
    lines = ["[Tool batch completed]"]
    for job in jobs:
        if job.background and not job.done:
            lines.append(f"## {job.job_id} - RUNNING IN BACKGROUND")
            lines.append("The result arrives later as its own message; do not start it again.")
            continue
        label = _STATUS_LABEL.get(job.status, job.status.upper())
        if job.status == "ok" and job.result and job.result.exit_code not in (None, 0):
            label = f"exit={job.result.exit_code}"
        lines.append(f"## {job.job_id} - {label}")
        lines.append(result_text(job, agent.max_output_for(job.name)))
    return "\n".join(lines)


# --------------------------------------------------------------------------- jobs


async def start_call(
    agent: Agent,
    turn: TurnState,
    name: str,
    args: dict[str, Any],
    *,
    call_id: str | None = None,
    raw: str = "",
    error: str | None = None,
) -> Job:
    """Start a tool or sub-agent call as a job (or a job that failed at once)."""
    plugins = agent.plugins
    if error is None and plugins is not None and plugins.has_hook("pre_tool_dispatch"):
        try:
            call = await plugins.pre_tool_dispatch(ToolCallEvent(name, args, raw, call_id))
            name, args = call.name, dict(call.args)
        except Exception as exc:  # PluginBlockError: its message becomes the tool result
            error = str(exc) or type(exc).__name__
    budget = agent.budget
    if error is None and budget is not None:
        refused = budget.refuse_call(agent, turn)
        if refused is not None:
            turn.budget_hit = refused
            error = f"refused: {refused}"
    turn.calls += 1
    agent.total_tool_calls += 1
    spec = agent.registry.subagents.get(name)
    tool = agent.registry.tools.get(name) if spec is None else None
    kind = "subagent" if spec is not None else "tool"
    background_arg = args.pop("run_in_background", None)
    job = Job(new_job_id(name, kind), name, args, kind=kind, call_id=call_id, raw=raw, turn=turn)
    agent.jobs.add(job)
    if error is None and spec is None and tool is None:
        from kohakuterrarium.errors import did_you_mean

        known = list(agent.registry.tools) + list(agent.registry.subagents)
        hint = did_you_mean(name, known)
        error = f"unknown tool '{name}'." + (f" {hint[0].upper()}{hint[1:]}" if hint else "")
        error += f" Available: {', '.join(known) or '(none)'}."
    if error is not None:
        _finish_job(agent, job, "error", ToolResult(error=error))
        return job
    if spec is not None:
        job.background = True if background_arg is None else bool(background_arg)
        coro = _run_subagent_job(agent, job, spec)
    else:
        mode = getattr(tool, "execution_mode", None)
        mode_value = getattr(mode, "value", mode)
        job.background = mode_value in ("background", "stateful") or bool(background_arg)
        if mode_value in ("background", "stateful") and background_arg is False:
            job.background = False
        job.notify = bool(getattr(tool.config, "notify_controller_on_background_complete", True))
        coro = _run_tool_job(agent, job, tool)
    if job.background and job.notify:
        turn.pending.add(job.job_id)
    job.task = asyncio.get_running_loop().create_task(coro, name=f"kt-job-{job.job_id}")
    return job


async def _run_tool_job(agent: Agent, job: Job, tool: Any) -> None:
    agent.emit_activity("tool_start", job.name, {"job_id": job.job_id, "args": job.args}, job.turn)
    plugins = agent.plugins
    # Built only for tools or plugins that read it: most calls never need one.
    wants_context = getattr(tool, "needs_context", False) or (
        plugins is not None
        and (plugins.has_hook("pre_tool_execute") or plugins.has_hook("post_tool_execute"))
    )
    context = agent.tool_context(job) if wants_context else None
    timeout = 0.0
    try:
        args = job.args
        if plugins is not None and plugins.has_hook("pre_tool_execute"):
            args = await plugins.transform(
                "pre_tool_execute", args, tool_name=job.name, job_id=job.job_id, context=context
            )
            job.args = args
        # Tools that honour a per-call timeout themselves (bash, python) are not capped here.
        own = getattr(tool, "enforces_own_timeout", False)
        timeout = 0.0 if own else float(getattr(tool.config, "timeout", 0) or 0)
        lock = None if getattr(tool, "is_concurrency_safe", True) else agent.serial_lock
        async with lock if lock is not None else contextlib.nullcontext():
            if timeout > 0:
                async with asyncio.timeout(timeout):
                    result = await tool.execute(args, context)
            else:
                result = await tool.execute(args, context)
        if plugins is not None and plugins.has_hook("post_tool_execute"):
            result = await plugins.transform(
                "post_tool_execute",
                result,
                tool_name=job.name,
                job_id=job.job_id,
                args=args,
                context=context,
            )
        _finish_job(agent, job, "ok" if result.error is None else "error", result)
    except TimeoutError:
        msg = f"tool '{job.name}' timed out after {timeout:g}s and was cancelled"
        _finish_job(agent, job, "timeout", ToolResult(error=msg))
    except asyncio.CancelledError:
        reason = (job.turn.cancel_reason if job.turn else None) or "cancelled"
        _finish_job(
            agent, job, reason, ToolResult(error=CANCEL_TEXT.get(reason, "cancelled")), notify=False
        )
        raise
    except Exception as exc:  # PluginBlockError and plugin failures become the tool result
        _finish_job(agent, job, "error", ToolResult(error=str(exc) or type(exc).__name__))


async def _run_subagent_job(agent: Agent, job: Job, spec: Any) -> None:
    task = str(job.args.get("task") or job.args.get("content") or "")
    agent.emit_activity("subagent_start", job.name, {"job_id": job.job_id, "task": task}, job.turn)
    try:
        plugins = agent.plugins
        if plugins is not None and plugins.has_hook("pre_subagent_run"):
            task = await plugins.transform(
                "pre_subagent_run",
                task,
                name=job.name,
                job_id=job.job_id,
                is_background=job.background,
            )
        async with agent.subagent_session(spec) as child:
            # The child's text and activities show up in the parent's stream, tagged with its path.
            unsubscribe = child.subscribe(lambda event: agent.emit(event, job.turn))
            try:
                res = await child.run(task, timeout=spec.timeout or None)
            finally:
                unsubscribe()
        agent.total_usage.add(res.usage)
        if job.turn is not None:
            job.turn.usage.add(res.usage)
        if res.ok:
            result = ToolResult(output=res.text, metadata={"turns": res.turn_index})
        else:
            result = ToolResult(output=res.text, error=f"{res.status}: {res.error}")
        if plugins is not None and plugins.has_hook("post_subagent_run"):
            result = await plugins.transform(
                "post_subagent_run", result, name=job.name, job_id=job.job_id
            )
        _finish_job(agent, job, "ok" if result.error is None else "error", result)
    except asyncio.CancelledError:
        reason = (job.turn.cancel_reason if job.turn else None) or "cancelled"
        _finish_job(
            agent, job, reason, ToolResult(error=CANCEL_TEXT.get(reason, "cancelled")), notify=False
        )
        raise
    except Exception as exc:
        _finish_job(agent, job, "error", ToolResult(error=f"{type(exc).__name__}: {exc}"))


def _finish_job(
    agent: Agent, job: Job, status: str, result: ToolResult, *, notify: bool = True
) -> None:
    if job.done:
        return
    job.finish(status, result)  # type: ignore[arg-type]
    agent.jobs.mark_done(job)
    turn = job.turn
    text = result_text(job)
    if turn is not None:
        turn.tool_calls.append(
            ToolCallRecord(
                job.name,
                dict(job.args),
                text[:2000],
                job.status,
                job.duration_s,
                job.job_id,
                result.error,
            )
        )
    kind = "subagent" if job.kind == "subagent" else "tool"
    activity = f"{kind}_done" if job.status == "ok" else f"{kind}_error"
    payload = {
        "job_id": job.job_id,
        "status": job.status,
        "result": text[:500],
        "duration_s": job.duration_s,
    }
    agent.emit_activity(activity, job.name, payload, turn)
    if notify and job.background:
        agent.background_done(job)


async def settle(jobs: list[Job], timeout: float = 5.0) -> None:
    """Wait (bounded) until cancelled jobs have really stopped: their processes are gone."""
    tasks = [j.task for j in jobs if j.task is not None and not j.task.done()]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)


def cancel_jobs(agent: Agent, jobs: list[Job], reason: str, text: str | None = None) -> None:
    """Close ``jobs`` now with a ``reason`` result (so the conversation stays valid), then
    cancel their tasks. A turn waiting for one of them stops waiting."""
    text = text or CANCEL_TEXT.get(reason, "cancelled")
    for job in jobs:
        _finish_job(agent, job, reason, ToolResult(error=text), notify=False)
        if job.task is not None and not job.task.done():
            job.task.cancel()
        turn = job.turn
        if turn is not None and job.job_id in turn.pending:
            turn.pending.discard(job.job_id)
            if turn.continuation is not None:
                turn.continuation.put_nowait(WAKE)


async def cancel_job(agent: Agent, job: Job, text: str = "cancelled") -> None:
    """Cancel one job (``stop_task``, UIs) and wait until it has really stopped."""
    cancel_jobs(agent, [job], "cancelled", text)
    await settle([job])


WAKE = TriggerEvent("wake", "", {"silent": True, "wake": True})
"""Wakes a turn waiting for background jobs so it re-checks what is still pending."""


# --------------------------------------------------------------------------- commands


async def run_command(agent: Agent, ev: CommandEvent) -> str:
    """Run an inline framework command (text modes) and return its text."""
    arg = ev.args.strip()
    if ev.command == "jobs":
        return agent.jobs.status_block()
    if ev.command == "info":
        target = agent.registry.tools.get(arg)
        if target is not None:
            return target.get_full_documentation(agent.tool_format_name)
        spec = agent.registry.subagents.get(arg)
        if spec is not None:
            return f"# {spec.name}\n\n{spec.description or ''}\n\nArguments: task (string)."
        return f"[Command Error: no tool or sub-agent named '{arg}']"
    if ev.command in ("read_job", "wait"):
        job_id = arg.split()[0] if arg else ""
        job = agent.jobs.get(job_id)
        if job is None:
            return f"[Command Error: no job '{job_id}']"
        if ev.command == "wait" and job.task is not None and not job.done:
            await asyncio.wait({job.task})
        if not job.done:
            return f"## {job.job_id} - RUNNING ({job.duration_s:.1f}s)"
        return f"## {job.job_id} - {_STATUS_LABEL.get(job.status, job.status)}\n{result_text(job)}"
    return f"[Command Error: unknown command '{ev.command}']"


# --------------------------------------------------------------------------- the loop


async def run_cycle(agent: Agent, events: list[TriggerEvent], turn: TurnState) -> None:
    """Process one batch of events: append the user message, then run rounds until done."""
    message = format_events(events)
    if message is not None:
        if any(ev.type == EventType.USER_INPUT for ev in events):
            agent.conversation.mark_turn_start()
        agent.conversation.append(message)
    max_rounds = agent.max_rounds
    while True:
        turn.rounds += 1
        if turn.rounds > max_rounds:
            raise BudgetExceeded(
                f"turn {turn.index} used {max_rounds} LLM rounds without finishing "
                "(raise max_iterations in the config if this is expected)",
                budget="max_iterations",
                limit=max_rounds,
            )
        more = await run_round(agent, turn)
        if agent.budget is not None:
            agent.budget.check(agent, turn)
        if not more:
            return


async def run_round(agent: Agent, turn: TurnState) -> bool:
    """One LLM round. Returns True when results were fed back and another round is due."""
    if agent.compactor._ready is not None:
        agent.compactor.swap_if_ready()
    conv = agent.conversation
    native = agent.native
    plugins = agent.plugins
    messages = conv.messages
    schemas = agent.registry.native_schemas() if native else None
    if agent._plugin_injected_messages:
        injected, agent._plugin_injected_messages = agent._plugin_injected_messages, []
        messages = [messages[0], *injected, *messages[1:]]
    if plugins is not None and plugins.has_hook("pre_llm_call"):
        messages = await plugins.transform(
            "pre_llm_call", list(messages), model=agent.llm.model, tools=schemas
        )
    parser = None if native else agent.new_parser()
    raw: list[str] = []
    visible: list[str] = []
    jobs: list[Job] = []
    native_calls: list[dict[str, Any]] = []
    inline = False  # a command ran inline: its output needs another round
    usage_seen: Usage | None = None
    error: BaseException | None = None
    recorded = False

    async def handle(ev: Any) -> None:
        nonlocal inline
        if type(ev) is TextEvent:
            visible.append(ev.text)
            agent.emit_text(ev.text, turn)
        elif type(ev) is ToolCallEvent or type(ev) is SubAgentCallEvent:
            jobs.append(await start_call(agent, turn, ev.name, dict(ev.args), raw=ev.raw))
        elif type(ev) is MalformedCallEvent:
            jobs.append(await start_call(agent, turn, ev.name, {}, raw=ev.raw, error=ev.error))
        elif type(ev) is CommandEvent:
            out = await run_command(agent, ev)
            raw.append("\n" + out)
            inline = True
        elif type(ev) is OutputCallEvent:
            await agent.write_named_output(ev.target, ev.content, turn)

    def record_assistant() -> None:
        nonlocal recorded
        if recorded:
            return
        recorded = True
        msg: dict[str, Any] = {"role": "assistant", "content": "".join(raw)}
        if native_calls:
            msg["tool_calls"] = native_calls
        extra = getattr(agent.llm, "last_assistant_extra_fields", None)
        if extra:  # reasoning the provider must see again next round (thinking blocks, ...)
            msg.update(extra)
        conv.append(msg)

    stream = agent.llm.stream(messages, tools=schemas, **agent.request_options)
    try:
        try:
            async for part in stream:
                kind = type(part)
                if kind is TextDelta:
                    raw.append(part.text)
                    if parser is None:
                        visible.append(part.text)
                        agent.emit_text(part.text, turn)
                    else:
                        for ev in parser.feed(part.text):
                            await handle(ev)
                elif kind is ToolCallReady:
                    native_calls.append(
                        {
                            "id": part.id,
                            "type": "function",
                            "function": {"name": part.name, "arguments": part.arguments},
                        }
                    )
                    args, err = agent.convert_native_args(part.name, part.arguments)
                    jobs.append(
                        await start_call(agent, turn, part.name, args, call_id=part.id, error=err)
                    )
                elif kind is UsageReport:
                    usage_seen = part.usage
                elif kind is ReasoningDelta:
                    agent.emit_activity("reasoning", "", {"text": part.text}, turn)
            if parser is not None:
                for ev in parser.flush():
                    await handle(ev)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = (
                exc
                if isinstance(exc, KTError)
                else ProviderError(
                    f"{type(exc).__name__}: {exc}",
                    provider=getattr(agent.llm, "provider_name", None),
                )
            )
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
        if usage_seen is not None:
            agent.add_usage(usage_seen, turn)
        record_assistant()
        text = "".join(visible).strip()
        if plugins is not None and plugins.has_hook("post_llm_call") and error is None:
            usage_dict = usage_seen.to_dict() if usage_seen else {}
            new = await plugins.transform_at(
                "post_llm_call", 1, conv.messages, "".join(raw), usage_dict, model=agent.llm.model
            )
            if isinstance(new, str) and new != "".join(raw):
                conv.messages[-1]["content"] = new
                text = new.strip() if native else text
                agent.emit_activity("assistant_message_edited", "", {"content": new}, turn)
        if text:
            turn.last_text = text
        if error is not None:
            cancel_jobs(agent, [j for j in jobs if not j.done], "cancelled")
            _feed_back(agent, jobs, native)
            raise error
        direct = [j for j in jobs if not j.background and j.task is not None and not j.done]
        if direct:
            await asyncio.wait([j.task for j in direct if j.task is not None])
        if not jobs and not inline:
            return False
        fed = _feed_back(agent, jobs, native)
        return inline or fed
    except asyncio.CancelledError:
        # Cancelled mid-stream or while waiting: keep what the model said, close every call.
        reason = turn.cancel_reason or "cancelled"
        record_assistant()
        partial = "".join(visible).strip()
        if partial:
            turn.last_text = partial
        open_jobs = [j for j in jobs if not j.done]
        cancel_jobs(agent, open_jobs, reason)
        _feed_back(agent, jobs, native)
        await settle(open_jobs)
        raise


def _feed_back(agent: Agent, jobs: list[Job], native: bool) -> bool:
    """Append the results of a round's jobs. True when a direct result was fed back."""
    if not jobs:
        return False
    conv = agent.conversation
    direct_done = any(not j.background or j.done for j in jobs)
    if native:
        for job in jobs:
            if job.call_id is None:
                continue
            if job.background and not job.done:
                content = (
                    f"Started in background as job {job.job_id}. The result arrives later "
                    "as its own message; do not start it again."
                )
            else:
                content = result_text(job, agent.max_output_for(job.name))
            conv.append(
                {"role": "tool", "tool_call_id": job.call_id, "name": job.name, "content": content}
            )
        # Every native call got a tool message: the model answers them in the next round.
        return True
    if not direct_done:
        return False
    conv.append({"role": "user", "content": _batch_message(jobs, agent)})
    return True


def completion_event(job: Job) -> TriggerEvent:
    """The ``tool_complete`` event that reports a finished background job."""
    text = result_text(job)
    return TriggerEvent(
        EventType.TOOL_COMPLETE,
        text,
        {"kind": job.kind, "status": job.status, "name": job.name},
        job_id=job.job_id,
    )


def describe_args(args: dict[str, Any]) -> str:
    try:
        return json.dumps(args, ensure_ascii=False)[:200]
    except (TypeError, ValueError):
        return str(args)[:200]


__all__ = [
    "CANCEL_TEXT",
    "DEFAULT_MAX_ROUNDS",
    "WAKE",
    "TurnState",
    "cancel_job",
    "cancel_jobs",
    "completion_event",
    "content_text",
    "format_events",
    "result_text",
    "run_command",
    "run_cycle",
    "run_round",
    "start_call",
]
