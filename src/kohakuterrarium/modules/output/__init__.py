"""Output modules: where an agent's text and activity go (see ``base`` and ``event``)."""

from kohakuterrarium.modules.output.base import BaseOutputModule, OutputModule
from kohakuterrarium.modules.output.event import OutputEvent, UIReply

__all__ = ["BaseOutputModule", "OutputEvent", "OutputModule", "UIReply"]
