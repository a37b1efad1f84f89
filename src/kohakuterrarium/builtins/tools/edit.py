"""The ``edit`` tool: exact search/replace (``old``/``new``/``replace_all``) or a unified diff.

The file must have been read first (and not changed since). ``old`` must match exactly once
unless ``replace_all``; a ``diff`` is applied strictly (every context and ``-`` line must match).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    atomic_write,
    bool_arg,
    check_write_allowed,
    display_path,
    read_state_for,
    read_text_file,
    require_fresh_read,
    resolve_path,
    str_arg,
)
from kohakuterrarium.builtins.tools._textedit import EditFailure, apply_unified_diff, replace_exact
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

SNIPPET_CONTEXT = 3
"""Lines of context shown around the first changed line in the result."""


def changed_snippet(before: str, after: str, context: int = SNIPPET_CONTEXT) -> str:
    """A few numbered lines of ``after`` around the first line that differs from ``before``."""
    old_lines, new_lines = before.splitlines(), after.splitlines()
    first = next(
        (i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b),
        min(len(old_lines), len(new_lines)),
    )
    tail = 0  # matching lines at the end, to find where the change stops
    while (
        tail < len(old_lines) - first
        and tail < len(new_lines) - first
        and old_lines[-1 - tail] == new_lines[-1 - tail]
    ):
        tail += 1
    last = max(first, len(new_lines) - tail - 1)
    lo, hi = max(first - context, 0), min(last + context + 1, len(new_lines), first + 40)
    return "\n".join(f"{n + 1:>6}→{new_lines[n]}" for n in range(lo, hi))


def finish_edit(
    path: Path, before: str, after: str, context: ToolContext | None, summary: str
) -> ToolResult:
    """Write ``after``, refresh the read-state, and describe the change with a snippet."""
    atomic_write(path, after)
    read_state_for(context).record(path)
    shown = display_path(path, context)
    snippet = changed_snippet(before, after)
    text = f"Edited {shown}: {summary}."
    if snippet:
        text += f" The changed region now reads:\n{snippet}"
    return ToolResult(output=text, metadata={"path": str(path)})


class EditTool(FileTool):
    """Change part of a file by exact replacement or by a unified diff."""

    tool_name = "edit"
    description = (
        "Edit a file you have read: replace the exact text `old` with `new` (`old` must be "
        "unique unless replace_all=true), or apply a unified `diff`."
    )
    is_concurrency_safe = False
    usage = """
- Give either `old` + `new` or `diff`, not both.
- `old` must be the file's exact text (whitespace included), without the `    12→` prefixes
  that `read` shows. Include enough surrounding lines to make it unique.
- `diff` is a unified diff (`@@ -3,2 +3,3 @@` then lines starting with ' ', '-', '+'). Context
  and '-' lines must match the file exactly; a hunk whose line number is off is still found by
  its content. All hunks apply or none do.
- The file must have been read with `read` first, and not changed on disk since.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File to edit."},
                "old": {"type": "string", "description": "Exact text to replace."},
                "new": {"type": "string", "description": "Replacement text ('' deletes `old`)."},
                "replace_all": {
                    "type": "boolean",
                    "description": "Replace every occurrence of `old` (default false).",
                },
                "diff": {
                    "type": "string",
                    "description": "A unified diff to apply instead of old/new.",
                },
            },
            "required": ["path"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        old, new, diff = str_arg(args, "old"), str_arg(args, "new"), str_arg(args, "diff")
        replace_all = bool_arg(args, "replace_all", False)
        if diff and old is not None:
            raise FileToolError("give either `old`/`new` or `diff`, not both")
        if not diff and old is None:
            raise FileToolError("nothing to do: give `old` and `new`, or a unified `diff`")
        if old is not None and new is None:
            raise FileToolError("`new` is required with `old` (use an empty string to delete)")
        before = read_text_file(path)
        require_fresh_read(path, context, "edit")
        check_write_allowed(path, context)
        try:
            if diff:
                after = apply_unified_diff(before, diff)
                summary = "applied the diff"
            else:
                after, count = replace_exact(before, old or "", new or "", replace_all)
                summary = f"replaced {count} occurrence{'s' if count != 1 else ''}"
        except EditFailure as exc:
            raise FileToolError(f"edit of {display_path(path, context)} failed: {exc}") from None
        if after == before:
            raise FileToolError("the edit would not change the file")
        return finish_edit(path, before, after, context, summary)


__all__ = ["EditTool", "changed_snippet", "finish_edit"]
