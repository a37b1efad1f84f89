"""Jobs: every tool or sub-agent call runs as a job with an id, a task and a result.

Direct jobs are awaited by the round that started them; background jobs report back later as a
``tool_complete`` event. The store keeps running jobs plus a bounded tail of finished ones (for
``read_job`` and UIs), so it never grows with the length of a session.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

from kohakuterrarium.modules.tool.base import ToolResult

JobKind = Literal["tool", "subagent"]
JobStatus = Literal["running", "ok", "error", "timeout", "cancelled", "interrupted"]


def new_job_id(name: str, kind: JobKind = "tool") -> str:
    """``<tool>_<8 hex>`` for tools, ``agent_<name>_<8 hex>`` for sub-agents."""
    suffix = secrets.token_hex(4)
    return f"agent_{name}_{suffix}" if kind == "subagent" else f"{name}_{suffix}"


@dataclass(eq=False)
class Job:
    """One running or finished tool / sub-agent call."""

    job_id: str
    """Unique id (``bash_1a2b3c4d``)."""
    name: str
    """Tool or sub-agent name."""
    args: dict[str, Any]
    """Arguments as given to the tool."""
    kind: JobKind = "tool"
    background: bool = False
    """True when the round does not wait for it."""
    call_id: str | None = None
    """Native tool-call id to answer (native mode)."""
    raw: str = ""
    """The call as the model wrote it (text modes)."""
    notify: bool = True
    """Whether a background completion wakes the agent."""
    turn: Any = None
    """The turn that started it (continuation target for background completions)."""
    task: asyncio.Task[Any] | None = None
    status: JobStatus = "running"
    result: ToolResult | None = None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    _t0: float = field(default_factory=time.perf_counter)

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def duration_s(self) -> float:
        end = self.ended_at if self.ended_at is not None else time.time()
        return max(0.0, end - self.started_at)

    def finish(self, status: JobStatus, result: ToolResult) -> None:
        if self.status == "running":
            self.status = status
            self.result = result
            self.ended_at = time.time()

    def cancel(self, status: JobStatus = "cancelled", message: str = "cancelled") -> None:
        """Cancel the job's task and mark it, unless it already finished."""
        if self.status == "running":
            self.finish(status, ToolResult(error=message))
        if self.task is not None and not self.task.done():
            self.task.cancel()


class JobStore:
    """Running jobs and the most recent finished ones."""

    def __init__(self, keep_finished: int = 200) -> None:
        self.running: dict[str, Job] = {}
        self.finished: OrderedDict[str, Job] = OrderedDict()
        self.keep_finished = keep_finished

    def add(self, job: Job) -> None:
        self.running[job.job_id] = job

    def mark_done(self, job: Job) -> None:
        self.running.pop(job.job_id, None)
        self.finished[job.job_id] = job
        while len(self.finished) > self.keep_finished:
            self.finished.popitem(last=False)

    def get(self, job_id: str) -> Job | None:
        return self.running.get(job_id) or self.finished.get(job_id)

    def status_block(self) -> str:
        """A markdown list of running jobs (shown to the model by ``jobs``)."""
        if not self.running:
            return "## Running Jobs\n(none)"
        lines = ["## Running Jobs"]
        for job in self.running.values():
            lines.append(f"- `{job.job_id}`: {job.name} (running, {job.duration_s:.1f}s)")
        return "\n".join(lines)


__all__ = ["Job", "JobKind", "JobStatus", "JobStore", "new_job_id"]
