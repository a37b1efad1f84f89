"""Tool-call formats: the streaming bracket / XML / custom parsers, their events and helpers.

- :mod:`.events`: what the parsers emit.
- :mod:`.format`: :class:`ToolCallFormat`, :func:`resolve_format`, :func:`format_tool_call`,
  :func:`syntax_hint`.
- :mod:`.state_machine`: :func:`create_parser` / :class:`StreamParser` (one state machine for
  every text format).
- :mod:`.calls`: block classification and the body-argument rules.
- :mod:`.convert`: typed argument conversion (:func:`convert_args`, :func:`convert_json_args`).
- :mod:`.xml`: attribute syntax of inline-argument formats.
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first access: the controller imports only the event types on its hot path.
_LAZY: dict[str, str] = {
    "CONTENT_ARG_MAP": "kohakuterrarium.parsing.calls",
    "DEFAULT_COMMANDS": "kohakuterrarium.parsing.calls",
    "CallClassifier": "kohakuterrarium.parsing.calls",
    "body_arg_name": "kohakuterrarium.parsing.calls",
    "split_line_args": "kohakuterrarium.parsing.calls",
    "ToolArgumentError": "kohakuterrarium.parsing.convert",
    "convert_args": "kohakuterrarium.parsing.convert",
    "convert_json_args": "kohakuterrarium.parsing.convert",
    "CommandEvent": "kohakuterrarium.parsing.events",
    "MalformedCallEvent": "kohakuterrarium.parsing.events",
    "OutputCallEvent": "kohakuterrarium.parsing.events",
    "ParseEvent": "kohakuterrarium.parsing.events",
    "SubAgentCallEvent": "kohakuterrarium.parsing.events",
    "TextEvent": "kohakuterrarium.parsing.events",
    "ToolCallEvent": "kohakuterrarium.parsing.events",
    "BRACKET_FORMAT": "kohakuterrarium.parsing.format",
    "XML_FORMAT": "kohakuterrarium.parsing.format",
    "ToolCallFormat": "kohakuterrarium.parsing.format",
    "format_tool_call": "kohakuterrarium.parsing.format",
    "resolve_format": "kohakuterrarium.parsing.format",
    "syntax_hint": "kohakuterrarium.parsing.format",
    "text_format": "kohakuterrarium.parsing.format",
    "StreamParser": "kohakuterrarium.parsing.state_machine",
    "coalesce_text": "kohakuterrarium.parsing.state_machine",
    "create_parser": "kohakuterrarium.parsing.state_machine",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kohakuterrarium.parsing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BRACKET_FORMAT",
    "CONTENT_ARG_MAP",
    "DEFAULT_COMMANDS",
    "XML_FORMAT",
    "CallClassifier",
    "CommandEvent",
    "MalformedCallEvent",
    "OutputCallEvent",
    "ParseEvent",
    "StreamParser",
    "SubAgentCallEvent",
    "TextEvent",
    "ToolArgumentError",
    "ToolCallEvent",
    "ToolCallFormat",
    "body_arg_name",
    "coalesce_text",
    "convert_args",
    "convert_json_args",
    "create_parser",
    "format_tool_call",
    "resolve_format",
    "split_line_args",
    "syntax_hint",
    "text_format",
]
