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

from kohakuterrarium.parsing.calls import (
    CONTENT_ARG_MAP,
    DEFAULT_COMMANDS,
    CallClassifier,
    body_arg_name,
    split_line_args,
)
from kohakuterrarium.parsing.convert import (
    ToolArgumentError,
    convert_args,
    convert_json_args,
)
from kohakuterrarium.parsing.events import (
    CommandEvent,
    MalformedCallEvent,
    OutputCallEvent,
    ParseEvent,
    SubAgentCallEvent,
    TextEvent,
    ToolCallEvent,
)
from kohakuterrarium.parsing.format import (
    BRACKET_FORMAT,
    XML_FORMAT,
    ToolCallFormat,
    format_tool_call,
    resolve_format,
    syntax_hint,
    text_format,
)
from kohakuterrarium.parsing.state_machine import StreamParser, coalesce_text, create_parser

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
