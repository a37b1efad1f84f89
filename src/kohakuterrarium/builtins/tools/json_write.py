"""The ``json_write`` tool: set one value at a dot-path in a JSON file.

Schema (its names are exactly what the code reads): ``path`` (required), ``query`` (required,
the dot-path), ``value`` (required: JSON text or a plain string; ``content`` is accepted as an
alias for compatibility). Missing objects along the path are created, a missing file starts as
``{}``, and the file is rewritten atomically with its own indentation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    atomic_write,
    check_write_allowed,
    display_path,
    read_state_for,
    resolve_path,
    str_arg,
)
from kohakuterrarium.builtins.tools._jsonpath import format_steps, parse_query, set_at
from kohakuterrarium.builtins.tools.json_read import detect_indent, load_json
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult


def parse_value(raw: Any) -> Any:
    """A JSON value from the argument: strings holding valid JSON are decoded, other strings
    are kept as text, non-strings (native calls) are used as given."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


class JsonWriteTool(FileTool):
    """Set a value at a dot-path in a JSON file."""

    tool_name = "json_write"
    description = (
        "Set the value at `query` (a dot-path such as `a.b[0].c`) in a JSON file. `value` is "
        'JSON text (`5`, `true`, `{"k": 1}`, `"text"`) or a plain string. Missing objects '
        "are created."
    )
    # Read-modify-write: two parallel calls on one file would lose an update.
    is_concurrency_safe = False
    usage = """
- `value` is decoded as JSON when it is valid JSON, so `5` is a number and `"5"` the string 5;
  anything that is not valid JSON is stored as a plain string.
- Missing keys along the path become objects (or a list, when the next step is an index);
  `[n]` with n equal to the list length appends.
- A missing file is created holding just this value at `query`.
- The file keeps its indentation; the write is atomic.
- `content` is accepted as an older name for `value`.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "The JSON file."},
                "query": {"type": "string", "description": "Dot-path to set, e.g. `a.b[0].c`."},
                "value": {
                    "type": "string",
                    "description": 'The new value: JSON text (`5`, `[1, 2]`, `"s"`) or a plain string.',
                },
            },
            "required": ["path", "query", "value"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        query = str_arg(args, "query")
        steps = parse_query(query)
        if not steps:
            raise FileToolError(
                "`query` is required (a dot-path such as `a.b`); use `write` to replace the "
                "whole file"
            )
        if "value" in args:
            raw = args["value"]
        elif "content" in args:
            raw = args["content"]
        else:
            raise FileToolError("missing required argument 'value' (JSON text or a plain string)")
        check_write_allowed(path, context)
        created = not path.exists()
        if created:
            doc, indent, newline = {}, 2, True
        else:
            doc, text = load_json(path)
            indent, newline = detect_indent(text), text.endswith("\n")
        doc = set_at(doc, steps, parse_value(raw))
        atomic_write(
            path, json.dumps(doc, indent=indent, ensure_ascii=False) + ("\n" if newline else "")
        )
        read_state_for(context).record(path)
        verb = "Created" if created else "Updated"
        return ToolResult(
            output=f"{verb} {display_path(path, context)}: set {format_steps(steps)}",
            metadata={"path": str(path), "created": created},
        )


__all__ = ["JsonWriteTool", "parse_value"]
