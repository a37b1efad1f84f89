"""Text tool-call formats: their description, resolution from config, rendering and prompt hint.

Two built-in formats and any custom one are all a :class:`ToolCallFormat`::

    bracket  [/read]@@path=a.txt[read/]          (the default)
    xml      <read path="a.txt"/>
    custom   {"start_char": "<<", "end_char": ">>"}  ->  <</read>>@@path=a.txt<<read/>>

Custom delimiters are really parsed (CONTRACT Part C 13), and may be several characters long.
``native`` is not a text format: :func:`resolve_format` returns the string ``"native"`` for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from kohakuterrarium.errors import BadValueError, did_you_mean
from kohakuterrarium.parsing.calls import ARG_KEY_RE, body_arg_name, split_line_args
from kohakuterrarium.parsing.convert import alternatives, schema_properties
from kohakuterrarium.parsing.xml import escape_attr

ArgStyle = Literal["line", "inline"]
_ARG_STYLES = ("line", "inline")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True, slots=True)
class ToolCallFormat:
    """How tool calls are written in text: delimiters, which tag opens, where arguments go."""

    start_char: str = "["
    """Delimiter that starts every tag (one or more characters)."""
    end_char: str = "]"
    """Delimiter that ends every tag (one or more characters)."""
    slash_means_open: bool = True
    """True: ``[/name]`` opens and ``[name/]`` closes. False: ``<name>`` opens, ``</name>`` closes
    and ``<name/>`` is a complete call with no body."""
    arg_style: ArgStyle = "line"
    """``line``: ``@@key=value`` lines at the top of the block; ``inline``: ``key="value"``
    attributes inside the opening tag."""
    arg_prefix: str = "@@"
    """Prefix of an argument line (line style)."""
    arg_kv_sep: str = "="
    """Separator between an argument line's key and value (line style)."""

    def __post_init__(self) -> None:
        for key in ("start_char", "end_char", "arg_prefix", "arg_kv_sep"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value:
                raise BadValueError(
                    f"must be a non-empty string, got {value!r}", key=f"tool_format.{key}"
                )
            if any(ch.isspace() for ch in value):
                raise BadValueError(
                    f"must not contain whitespace, got {value!r}", key=f"tool_format.{key}"
                )
        for key in ("start_char", "end_char"):
            value = getattr(self, key)
            if "/" in value or any(ch in _NAME_CHARS for ch in value):
                raise BadValueError(
                    f"{value!r} cannot delimit tags: it contains '/' or a name character",
                    key=f"tool_format.{key}",
                    hint="use punctuation such as '[' ']', '<' '>' or '<<' '>>'",
                )
        if not isinstance(self.slash_means_open, bool):
            raise BadValueError(
                f"must be true or false, got {self.slash_means_open!r}",
                key="tool_format.slash_means_open",
            )
        if self.arg_style not in _ARG_STYLES:
            raise BadValueError(
                f"unknown argument style {self.arg_style!r}; expected 'line' or 'inline'",
                key="tool_format.arg_style",
                hint=did_you_mean(str(self.arg_style), _ARG_STYLES),
            )

    def open_tag(self, name: str, attrs: str = "") -> str:
        """The opening tag of ``name`` (``attrs`` is pre-rendered attribute text)."""
        slash = "/" if self.slash_means_open else ""
        return f"{self.start_char}{slash}{name}{attrs}{self.end_char}"

    def close_tag(self, name: str) -> str:
        """The closing tag of ``name``."""
        if self.slash_means_open:
            return f"{self.start_char}{name}/{self.end_char}"
        return f"{self.start_char}/{name}{self.end_char}"


BRACKET_FORMAT = ToolCallFormat()
"""``[/name]@@key=value\\nbody[name/]`` (the default)."""
XML_FORMAT = ToolCallFormat(
    start_char="<", end_char=">", slash_means_open=False, arg_style="inline"
)
"""``<name key="value">body</name>`` or ``<name key="value"/>``."""

FORMATS: Mapping[str, ToolCallFormat] = {"bracket": BRACKET_FORMAT, "xml": XML_FORMAT}
"""Named text formats."""
_FORMAT_NAMES = (*FORMATS, "native")
_FIELDS = tuple(f.name for f in fields(ToolCallFormat))


def resolve_format(
    spec: str | Mapping[str, Any] | ToolCallFormat,
) -> ToolCallFormat | Literal["native"]:
    """Resolve a ``tool_format`` config value: "bracket", "xml", "native" or a dict of fields.

    >>> resolve_format({"start_char": "<<", "end_char": ">>"}).close_tag("read")
    '<<read/>>'

    Raises :class:`BadValueError` (with a did-you-mean hint) for an unknown name or field.
    """
    if isinstance(spec, ToolCallFormat):
        return spec
    if isinstance(spec, str):
        name = spec.strip().lower()
        if name == "native":
            return "native"
        if name in FORMATS:
            return FORMATS[name]
        raise BadValueError(
            f"unknown tool format {spec!r}; expected one of {', '.join(_FORMAT_NAMES)} "
            "or a mapping of ToolCallFormat fields",
            key="tool_format",
            hint=did_you_mean(name, _FORMAT_NAMES),
        )
    if isinstance(spec, Mapping):
        unknown = [key for key in spec if key not in _FIELDS]
        if unknown:
            key = str(unknown[0])
            raise BadValueError(
                f"unknown tool format field {key!r}; known fields: {', '.join(_FIELDS)}",
                key=f"tool_format.{key}",
                hint=did_you_mean(key, _FIELDS),
            )
        return ToolCallFormat(**{str(k): v for k, v in spec.items()})
    raise BadValueError(
        f"must be a format name or a mapping of ToolCallFormat fields, got {type(spec).__name__}",
        key="tool_format",
    )


def text_format(spec: str | Mapping[str, Any] | ToolCallFormat) -> ToolCallFormat:
    """Like :func:`resolve_format`, but refuses ``native`` (which has no text syntax)."""
    fmt = resolve_format(spec)
    if fmt == "native":
        raise BadValueError(
            "native tool calls are structured, not written as text",
            key="tool_format",
            hint="use 'bracket', 'xml' or a custom mapping for a text parser",
        )
    return fmt


# --------------------------------------------------------------------------- rendering


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def format_tool_call(
    fmt: ToolCallFormat | str | Mapping[str, Any],
    name: str,
    args: Mapping[str, Any],
    body_arg: str | None = None,
) -> str:
    """Write a call of ``name`` with ``args`` in a text format; ``args[body_arg]`` is the body.

    >>> format_tool_call("bracket", "bash", {"command": "ls"}, body_arg="command")
    '[/bash]\\nls\\n[bash/]'

    Non-string values are written as the parser reads them back (``true``, ``5``, JSON).
    Raises :class:`BadValueError` for a call the format cannot represent (a line argument
    with a newline, a body containing the closing tag or starting like an argument line).
    """
    fmt = text_format(fmt)
    close = fmt.close_tag(name)
    texts = {key: _as_text(value) for key, value in args.items()}
    for key in texts:
        if key != body_arg and not ARG_KEY_RE.fullmatch(key):
            raise BadValueError(f"argument name {key!r} of {name!r} is not an identifier", key=key)
    body = texts.pop(body_arg, "") if body_arg is not None else ""
    if close in body:
        raise BadValueError(
            f"the body of {name!r} contains its closing tag {close!r}", key=body_arg
        )
    if fmt.arg_style == "inline":
        attrs = "".join(f' {key}="{escape_attr(value)}"' for key, value in texts.items())
        if not body and not fmt.slash_means_open:
            return f"{fmt.start_char}{name}{attrs}/{fmt.end_char}"
        inner = f"\n{body}\n" if body else ""
        return f"{fmt.open_tag(name, attrs)}{inner}{close}"
    lines = []
    for key, value in texts.items():
        if "\n" in value:
            raise BadValueError(
                f"argument {key!r} of {name!r} spans lines, which an argument line cannot hold",
                key=key,
                hint="pass it as body_arg",
            )
        lines.append(f"{fmt.arg_prefix}{key}{fmt.arg_kv_sep}{value}")
    if body:
        probe_args, _ = split_line_args(body, fmt.arg_prefix, fmt.arg_kv_sep)
        if probe_args:
            raise BadValueError(
                f"the body of {name!r} starts like an argument line ({fmt.arg_prefix}...)",
                key=body_arg,
                hint="pass that value as a named argument instead",
            )
        lines.append(body)
    if not lines:
        return f"{fmt.open_tag(name)}{close}"
    return fmt.open_tag(name) + "\n" + "\n".join(lines) + "\n" + close


def _placeholder(key: str, prop: Mapping[str, Any]) -> str:
    types = {alt.get("type") for alt in alternatives(prop)}
    if "boolean" in types:
        return "true"
    if "integer" in types or "number" in types:
        return "10"
    return "{" + key + "}"


def _example_call(fmt: ToolCallFormat, name: str, schema: Mapping[str, Any] | None) -> str:
    props = schema_properties(schema)
    required = list((schema or {}).get("required") or [])
    body_key = body_arg_name(name, schema)
    args: dict[str, str] = {body_key: "{" + body_key + "}"}
    for key in required:
        if key not in args and key in props:
            args[key] = _placeholder(key, props[key])
    return format_tool_call(fmt, name, args, body_arg=body_key)


def syntax_hint(
    fmt: ToolCallFormat | Literal["native"] | str | Mapping[str, Any],
    example_tools: list[tuple[str, Mapping[str, Any] | None]],
) -> str:
    """A short markdown block telling the model how to call tools in ``fmt``.

    Examples are built from ``example_tools`` (name, JSON parameters schema). Returns ``""`` for
    native mode, whose calls are structured and need no syntax.
    """
    resolved = resolve_format(fmt) if not isinstance(fmt, ToolCallFormat) else fmt
    if resolved == "native":
        return ""
    sample = format_tool_call(
        resolved,
        "tool_name",
        {"arg": "value", "body": "main argument (may span lines)"},
        body_arg="body",
    )
    lines = [
        "## Calling tools",
        "",
        "Write a tool call as a block in your reply. The tool starts as soon as its block closes;",
        "its result comes back to you afterwards.",
        "",
        "```",
        sample,
        "```",
        "",
    ]
    if resolved.arg_style == "line":
        background = f"{resolved.arg_prefix}run_in_background{resolved.arg_kv_sep}true"
        lines.append(
            f"- Lines right after the opening tag that start with `{resolved.arg_prefix}` are "
            f"arguments (`{resolved.arg_prefix}key{resolved.arg_kv_sep}value`, one per line); the "
            "first other line starts the body, which fills the tool's main argument."
        )
    else:
        background = 'run_in_background="true"'
        lines.append(
            '- Arguments are attributes of the opening tag (`key="value"`); the text between the '
            "tags fills the tool's main argument."
        )
        if not resolved.slash_means_open:
            lines.append(
                f"- A call with no body may close itself: "
                f'`{resolved.start_char}name key="value"/{resolved.end_char}`.'
            )
    lines += [
        "- Values are converted to the types the tool declares: `true`/`false`, numbers, and "
        "JSON for lists and objects.",
        f"- Add `{background}` to get the result later instead of waiting for it.",
        "- Blocks do not nest, and a block must be closed with its own closing tag.",
    ]
    if example_tools:
        lines += ["", "Examples:", "", "```"]
        lines.append("\n\n".join(_example_call(resolved, n, s) for n, s in example_tools))
        lines.append("```")
    return "\n".join(lines)


__all__ = [
    "BRACKET_FORMAT",
    "FORMATS",
    "XML_FORMAT",
    "ArgStyle",
    "ToolCallFormat",
    "format_tool_call",
    "resolve_format",
    "syntax_hint",
    "text_format",
]
