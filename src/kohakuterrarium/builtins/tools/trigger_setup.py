"""Trigger setup tools: ``add_timer``, ``add_schedule`` and ``watch_channel``.

Each is a :class:`TriggerSetupTool` generated from a universal trigger class's ``setup_*``
attributes (CONTRACT §B4.7): it builds the trigger with ``from_setup_args``, lets it take what
it needs from the tool context (``bind_context``, optional), installs it with
``await agent.add_trigger(trigger, trigger_id)``, calls ``post_setup(agent)`` and returns the
trigger id, which ``stop_task(job_id=<id>)`` removes. Creatures list them with ``type: trigger``.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from kohakuterrarium.builtins.tools._shared import DirectTool, agent_of
from kohakuterrarium.builtins.triggers.channel import ChannelTrigger
from kohakuterrarium.builtins.triggers.scheduler import SchedulerTrigger
from kohakuterrarium.builtins.triggers.timer import TimerTrigger
from kohakuterrarium.errors import KTError
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult
from kohakuterrarium.modules.trigger.base import BaseTrigger


class TriggerSetupTool(DirectTool):
    """A tool that installs one kind of universal trigger on the running agent."""

    trigger_class: ClassVar[type[BaseTrigger]]
    """The trigger this tool installs."""
    id_prefix: ClassVar[str] = "trigger"
    """Prefix of the generated trigger ids (``timer_1a2b3c4d``)."""
    needs_context = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        trigger = cls.__dict__.get("trigger_class")
        if trigger is not None:
            cls.tool_name = trigger.setup_tool_name or ""
            cls.description = trigger.setup_description
            cls.full_doc = trigger.setup_full_doc
            cls.require_manual_read = trigger.setup_require_manual_read

    def get_parameters_schema(self) -> dict[str, Any]:
        return dict(self.trigger_class.setup_param_schema)

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        agent = agent_of(context)
        if agent is None or not callable(getattr(agent, "add_trigger", None)):
            return ToolResult(error=f"{self.tool_name} needs a running agent to install into")
        unknown = sorted(set(args) - set(self._props()))
        if unknown:
            return ToolResult(
                error=f"{self.tool_name} does not take {', '.join(unknown)}; arguments: "
                + ", ".join(self._props())
            )
        try:
            trigger = self.trigger_class.from_setup_args(args)
            bind = getattr(trigger, "bind_context", None)
            if callable(bind):
                bind(context)
        except (KTError, ValueError, TypeError) as exc:
            return ToolResult(error=str(exc))
        trigger_id = f"{self.id_prefix}_{secrets.token_hex(4)}"
        try:
            trigger_id = await agent.add_trigger(trigger, trigger_id=trigger_id)
        except KTError as exc:
            return ToolResult(error=f"could not install the trigger: {exc}")
        trigger.post_setup(agent)
        describe = getattr(trigger, "describe", None)
        what = describe() if callable(describe) else type(trigger).__name__
        return ToolResult(
            output=f"Installed {what} as trigger '{trigger_id}'. "
            f"Remove it with stop_task(job_id='{trigger_id}').",
            metadata={"trigger_id": trigger_id, "trigger": type(trigger).__name__},
        )

    def _props(self) -> dict[str, Any]:
        return dict(self.trigger_class.setup_param_schema.get("properties") or {})


class AddTimerTool(TriggerSetupTool):
    """``add_timer(interval*, prompt*, immediate)``."""

    trigger_class = TimerTrigger
    id_prefix = "timer"


class AddScheduleTool(TriggerSetupTool):
    """``add_schedule(prompt*, every_minutes | daily_at | hourly_at)``."""

    trigger_class = SchedulerTrigger
    id_prefix = "schedule"


class WatchChannelTool(TriggerSetupTool):
    """``watch_channel(channel_name*, prompt, filter_sender)``."""

    trigger_class = ChannelTrigger
    id_prefix = "watch"


__all__ = ["AddScheduleTool", "AddTimerTool", "TriggerSetupTool", "WatchChannelTool"]
