"""Builtin triggers: timer, wall-clock schedule and channel watch (runtime-installable)."""

from kohakuterrarium.builtins.triggers.channel import ChannelTrigger
from kohakuterrarium.builtins.triggers.scheduler import SchedulerTrigger
from kohakuterrarium.builtins.triggers.timer import TimerTrigger

__all__ = ["ChannelTrigger", "SchedulerTrigger", "TimerTrigger"]
