"""From a closed block to a parse event: argument lines, the body argument, classification.

A block the state machine has closed is classified in this order (CONTRACT §B4.3):

1. ``output_<target>`` with a known named output -> :class:`OutputCallEvent`;
2. a known tool -> :class:`ToolCallEvent` (arguments converted by the tool's schema);
3. a known sub-agent -> :class:`SubAgentCallEvent` with ``{task: body, **args}``;
4. a framework command -> :class:`CommandEvent` (arguments as one string);
5. anything else -> the raw text back as a :class:`TextEvent`.

An argument that cannot be converted gives a :class:`MalformedCallEvent` instead of a call, so
the controller can tell the model what to fix; the parser itself never raises.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.parsing.convert import (
    ToolArgumentError,
    alternatives,
    convert_args,
    schema_properties,
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

CONTENT_ARG_MAP: Mapping[str, str] = {
    "bash": "command",
    "python": "code",
    "edit": "diff",
    "write": "content",
    "read": "path",
    "glob": "pattern",
    "grep": "pattern",
    "tree": "path",
    "send_message": "message",
    "info": "name",  # not "tool_name": the info tool reads `name` (CONTRACT Part C 12)
    "read_job": "job_id",
    "json_write": "value",
    "notebook_edit": "new_source",
    "multi_edit": "edits",
}
"""Built-in tools whose block body fills a specific argument."""

DEFAULT_COMMANDS: tuple[str, ...] = ("info", "read_job", "jobs", "wait")
"""Framework commands known to every parser."""

OUTPUT_PREFIX = "output_"
"""Block names ``output_<target>`` address the named output ``<target>``."""

SUBAGENT_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "task": {"type": "string"},
        "run_in_background": {"type": "boolean"},
    },
    "required": ["task"],
}
"""The parameters every sub-agent takes."""

ARG_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
"""What an argument name looks like (so ``@@ -1,3 +1,3 @@`` is body, not an argument)."""


def body_arg_name(tool: str, schema: Mapping[str, Any] | None) -> str:
    """The argument a block's body fills for ``tool``.

    The built-in map first (``bash`` -> ``command`` ...); otherwise the schema's ``content``
    property, else its only required string property, else its first string property, else
    ``content``.
    """
    mapped = CONTENT_ARG_MAP.get(tool)
    if mapped is not None:
        return mapped
    props = schema_properties(schema)
    if "content" in props:
        return "content"
    strings = [
        key
        for key, prop in props.items()
        if key != "run_in_background" and isinstance(prop, Mapping) and _is_string_prop(prop)
    ]
    required = (schema or {}).get("required") or []
    required_strings = [key for key in strings if key in required]
    if len(required_strings) == 1:
        return required_strings[0]
    return strings[0] if strings else "content"


def _is_string_prop(prop: Mapping[str, Any]) -> bool:
    return any(alt.get("type") == "string" for alt in alternatives(prop))


def split_line_args(
    content: str, prefix: str = "@@", kv_sep: str = "="
) -> tuple[dict[str, str], str]:
    """Split a block's content into its leading ``@@key=value`` lines and its body.

    Blank lines among the arguments are skipped; ``@@flag`` alone gives ``""``; the first line
    that is not an argument (its key must look like an identifier, so a diff hunk header such as
    ``@@ -1,3 +1,3 @@`` is body) starts the body, which runs to the end and is stripped.

    >>> split_line_args("@@path=a.txt\\n@@limit=5")
    ({'path': 'a.txt', 'limit': '5'}, '')
    """
    args: dict[str, str] = {}
    lines = content.split("\n")
    body_start = len(lines)
    for index, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if not text.startswith(prefix):
            body_start = index
            break
        key, _, value = text[len(prefix) :].partition(kv_sep)
        key = key.strip()
        if not ARG_KEY_RE.fullmatch(key):
            body_start = index
            break
        args[key] = value.strip()
    return args, "\n".join(lines[body_start:]).strip()


def _command_text(body: str, args: Mapping[str, str]) -> str:
    """One command-argument string: the body (or the first ``@@`` value) then ``--key value``."""
    rest = dict(args)
    parts: list[str] = []
    if body:
        parts.append(body)
    elif rest:
        first = next(iter(rest))
        parts.append(rest.pop(first))
    for key, value in rest.items():
        parts.append(f"--{key}" if value == "" else f"--{key} {shlex.quote(value)}")
    return " ".join(part for part in parts if part)


@dataclass(slots=True)
class CallClassifier:
    """Turns closed blocks into parse events for one creature's known names."""

    tools: Mapping[str, Mapping[str, Any] | None]
    """Tool name -> its JSON parameters schema (None when it has none)."""
    subagents: Collection[str] = ()
    """Sub-agent names."""
    commands: Collection[str] = DEFAULT_COMMANDS
    """Framework command names (plus any registered by plugins or skills)."""
    outputs: Collection[str] = ()
    """Named output targets, addressed as ``output_<target>``."""
    line_args: bool = True
    """Whether ``@@key=value`` lines at the top of a block are arguments (line-style formats)."""
    arg_prefix: str = "@@"
    """Prefix of an argument line."""
    arg_kv_sep: str = "="
    """Separator between an argument line's key and value."""
    openable: frozenset[str] = field(init=False)
    """Every name that opens a block: tools, sub-agents, commands and ``output_<target>``."""

    _body_args: dict[str, str] = field(init=False, default_factory=dict)
    """Memo of :func:`body_arg_name` per tool."""

    def __post_init__(self) -> None:
        names = set(self.tools) | set(self.subagents) | set(self.commands)
        names |= {OUTPUT_PREFIX + target for target in self.outputs}
        self.openable = frozenset(names)

    def classify(self, name: str, attrs: Mapping[str, str], content: str, raw: str) -> ParseEvent:
        """The event for a closed block ``name`` with inline ``attrs`` and inner ``content``."""
        if name.startswith(OUTPUT_PREFIX) and name[len(OUTPUT_PREFIX) :] in self.outputs:
            # Text for a named output is delivered verbatim: no argument lines are taken from it.
            return OutputCallEvent(
                target=name[len(OUTPUT_PREFIX) :], content=content.strip(), raw=raw
            )
        if self.line_args:
            line_args, body = split_line_args(content, self.arg_prefix, self.arg_kv_sep)
            args = {**attrs, **line_args}
        else:
            args, body = dict(attrs), content.strip()
        try:
            if name in self.tools:
                schema = self.tools[name]
                key = self._body_args.get(name)
                if key is None:
                    key = self._body_args[name] = body_arg_name(name, schema)
                if body and key not in args:
                    args[key] = body
                return ToolCallEvent(name=name, args=convert_args(args, schema, tool=name), raw=raw)
            if name in self.subagents:
                converted = convert_args({"task": body, **args}, SUBAGENT_SCHEMA, tool=name)
                return SubAgentCallEvent(name=name, args=converted, raw=raw)
        except ToolArgumentError as exc:
            return MalformedCallEvent(name=name, error=str(exc), raw=raw)
        if name in self.commands:
            return CommandEvent(command=name, args=_command_text(body, args), raw=raw)
        return TextEvent(raw)

    def unclosed(self, name: str, close_tag: str, raw: str) -> list[ParseEvent]:
        """Events for a block still open at end of stream: its text, then why it was not run."""
        error = (
            f"the '{name}' block was never closed (expected {close_tag!r}), so it was not run; "
            f"write the whole block again, ending it with {close_tag}"
        )
        return [TextEvent(raw), MalformedCallEvent(name=name, error=error, raw=raw)]


__all__ = [
    "ARG_KEY_RE",
    "CONTENT_ARG_MAP",
    "DEFAULT_COMMANDS",
    "OUTPUT_PREFIX",
    "SUBAGENT_SCHEMA",
    "CallClassifier",
    "body_arg_name",
    "split_line_args",
]
