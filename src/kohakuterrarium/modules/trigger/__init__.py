"""Triggers: things that wake an agent without user input (see ``base``)."""

from kohakuterrarium.modules.trigger.base import BaseTrigger

__all__ = ["BaseTrigger"]
