"""The ``json_read`` tool: a JSON file, or the value at a dot-path inside it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    display_path,
    read_state_for,
    resolve_path,
    str_arg,
)
from kohakuterrarium.builtins.tools._jsonpath import format_steps, get_at, parse_query
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

MAX_JSON_BYTES = 50 * 1024 * 1024
"""Larger files are refused."""


def load_json(path: Path) -> tuple[Any, str]:
    """(document, raw text) of a JSON file; errors give line and column."""
    if not path.exists():
        raise FileToolError(f"file not found: {path}")
    if path.is_dir():
        raise FileToolError(f"{path} is a directory, not a JSON file")
    if path.stat().st_size > MAX_JSON_BYTES:
        raise FileToolError(f"{path} is over 50 MB; query it with `grep` instead")
    text = path.read_text("utf-8-sig")
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise FileToolError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def detect_indent(text: str) -> int | str | None:
    """The indentation a JSON file was written with (None: compact, one line)."""
    m = re.search(r"^[\[{][ \t]*\n([ \t]+)\S", text, re.MULTILINE)
    if m:
        ws = m.group(1)
        return len(ws) if set(ws) == {" "} else ws
    return None if "\n" not in text.strip() else 2


class JsonReadTool(FileTool):
    """Read a JSON file or one value inside it."""

    tool_name = "json_read"
    description = (
        "Read a JSON file, or the value at `query`, a dot-path such as `a.b[0].c` "
        '(`["key.with.dots"]` for odd keys). Without query: the whole document.'
    )
    usage = """
- Query syntax: `name` or `.name` for object keys, `[0]` for list items (negative counts from
  the end), `["any key"]` for keys with dots or spaces. Empty query: the whole document.
- The value is printed as indented JSON. Missing keys report what is there instead.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "The JSON file."},
                "query": {
                    "type": "string",
                    "description": "Dot-path such as `a.b[0].c` (default: the whole document).",
                },
            },
            "required": ["path"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        doc, _ = load_json(path)
        steps = parse_query(str_arg(args, "query"))
        value = get_at(doc, steps)
        read_state_for(context).record(path)
        text = json.dumps(value, indent=2, ensure_ascii=False)
        if steps:
            text = f"{display_path(path, context)} {format_steps(steps)} =\n{text}"
        return ToolResult(output=text, metadata={"path": str(path), "type": type(value).__name__})


__all__ = ["JsonReadTool", "detect_indent", "load_json"]
