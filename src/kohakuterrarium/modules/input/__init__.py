"""Input modules: where user input comes from (see ``base``)."""

from kohakuterrarium.modules.input.base import BaseInputModule, InputModule

__all__ = ["BaseInputModule", "InputModule"]
