"""The ``stop_task`` tool: cancel a running job of the agent, or remove a runtime trigger.

``job_id`` is either a job id (``bash_1a2b3c4d``, ``agent_explore_...``: background tools and
sub-agents) or a trigger id returned by ``add_timer`` / ``add_schedule`` / ``watch_channel``.
Cancelling a job kills what it started (subprocess groups die with their job) and returns once
the job has really stopped (bounded wait).
"""

from __future__ import annotations

from typing import Any

from kohakuterrarium.builtins.tools._shared import DirectTool, agent_of, object_schema
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

STOP_TEXT = "stopped by stop_task"
"""The error text a stopped job reports."""

_SETTLE_S = 5.0


def trigger_ids(agent: Any) -> list[str]:
    """Ids of the agent's runtime triggers."""
    triggers = getattr(agent, "triggers", None)
    ids = getattr(triggers, "ids", None)
    if callable(ids):
        return list(ids())
    return list(getattr(agent, "_triggers", None) or {})  # agents without a TriggerSet


class StopTaskTool(DirectTool):
    """Cancel a background job or remove a trigger by id."""

    tool_name = "stop_task"
    description = "Cancel a running background job or remove a trigger, by its id."
    needs_context = True
    full_doc = (
        "## Behaviour\n- A job id cancels that job (its processes are killed).\n"
        "- A trigger id (from add_timer, add_schedule, watch_channel) removes the trigger.\n"
        "- An unknown id fails and lists the running jobs and triggers."
    )

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {"job_id": {"type": "string", "description": "Id of the job or trigger to stop."}},
            ["job_id"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        job_id = args.get("job_id") or args.get("content")
        if not isinstance(job_id, str) or not job_id.strip():
            return ToolResult(error="stop_task needs the 'job_id' of a job or trigger")
        job_id = job_id.strip()
        agent = agent_of(context)
        if agent is None:
            return ToolResult(error="stop_task needs a running agent (no agent in the context)")
        if context is not None and job_id == context.job_id:
            return ToolResult(error="stop_task cannot stop its own call")
        job = agent.jobs.get(job_id)
        if job is not None:
            if job.done:
                return ToolResult(
                    output=f"Job {job_id} ({job.name}) had already finished ({job.status}); "
                    "nothing to stop."
                )
            await _cancel_job(agent, job)
            return ToolResult(
                output=f"Cancelled job {job_id} ({job.name}).",
                metadata={"job_id": job_id, "kind": "job"},
            )
        if job_id in trigger_ids(agent):
            await agent.remove_trigger(job_id)
            return ToolResult(
                output=f"Removed trigger {job_id}.", metadata={"job_id": job_id, "kind": "trigger"}
            )
        running = [f"{j.job_id} ({j.name})" for j in agent.jobs.running.values()]
        if context is not None and context.job_id:
            running = [r for r in running if not r.startswith(f"{context.job_id} ")]
        triggers = trigger_ids(agent)
        return ToolResult(
            error=f"no running job or trigger with id '{job_id}'. Running jobs: "
            f"{', '.join(running) or '(none)'}. Triggers: {', '.join(triggers) or '(none)'}."
        )


async def _cancel_job(agent: Any, job: Any) -> None:
    """Finish ``job`` as cancelled, cancel its task, and wait (bounded) until it has stopped."""
    from kohakuterrarium.core.controller import cancel_job

    await cancel_job(agent, job, STOP_TEXT)


__all__ = ["STOP_TEXT", "StopTaskTool", "trigger_ids"]
