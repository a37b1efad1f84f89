"""The ``multi_edit`` tool: an ordered list of exact search/replace edits on one file.

Edits apply in order, each to the result of the previous one. By default the batch is all or
nothing (``strict``): if any edit fails, nothing is written and the error names the edit by index.
``best_effort=true`` applies the edits that succeed and lists the ones that failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    bool_arg,
    check_write_allowed,
    display_path,
    read_text_file,
    require_fresh_read,
    resolve_path,
)
from kohakuterrarium.builtins.tools._textedit import EditFailure, replace_exact
from kohakuterrarium.builtins.tools.edit import finish_edit
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult


def parse_edit_list(raw: Any) -> list[Mapping[str, Any]]:
    """The ``edits`` argument as a list of mappings (JSON text accepted)."""
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FileToolError(
                f"`edits` is not valid JSON: {exc.msg} at position {exc.pos}"
            ) from None
    if not isinstance(raw, list) or not raw:
        raise FileToolError("`edits` must be a non-empty list of {old, new, replace_all?} objects")
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise FileToolError(f"edit {index}: expected an object with old/new, got {item!r}")
    return raw


class MultiEditTool(FileTool):
    """Several exact replacements on one file, applied in order, all or nothing by default."""

    tool_name = "multi_edit"
    description = (
        "Apply an ordered list of exact replacements ({old, new, replace_all?}) to one file you "
        "have read. All or nothing unless best_effort=true."
    )
    is_concurrency_safe = False
    usage = """
- Each edit works like `edit` with old/new: `old` must occur exactly once in the text as left by
  the previous edits, unless that edit sets replace_all=true.
- Edits are numbered from 0 in error messages.
- strict (default true): one failing edit aborts the batch and nothing is written.
- best_effort=true (or strict=false): apply what succeeds, report what failed.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File to edit."},
                "edits": {
                    "type": "array",
                    "description": "Edits applied in order.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "old": {"type": "string", "description": "Exact text to replace."},
                            "new": {"type": "string", "description": "Replacement text."},
                            "replace_all": {
                                "type": "boolean",
                                "description": "Replace every occurrence (default false).",
                            },
                        },
                        "required": ["old", "new"],
                    },
                },
                "strict": {
                    "type": "boolean",
                    "description": "All or nothing: any failing edit aborts (default true).",
                },
                "best_effort": {
                    "type": "boolean",
                    "description": "Apply the edits that succeed, skip failing ones (default false).",
                },
            },
            "required": ["path", "edits"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        edits = parse_edit_list(args.get("edits"))
        best_effort = bool_arg(args, "best_effort", False) or not bool_arg(args, "strict", True)
        before = read_text_file(path)
        require_fresh_read(path, context, "edit")
        check_write_allowed(path, context)
        text, applied, failures = before, 0, []
        for index, edit in enumerate(edits):
            old, new = edit.get("old"), edit.get("new")
            try:
                if old is None or new is None:
                    raise EditFailure("each edit needs both `old` and `new`")
                text, _ = replace_exact(
                    text, str(old), str(new), bool_arg(edit, "replace_all", False)
                )
                applied += 1
            except EditFailure as exc:
                if not best_effort:
                    raise FileToolError(
                        f"edit {index} of {len(edits)} failed, so nothing was written to "
                        f"{display_path(path, context)}: {exc}"
                    ) from None
                failures.append(f"edit {index}: {exc}")
        if applied == 0:
            raise FileToolError("no edit could be applied:\n" + "\n".join(failures))
        summary = f"applied {applied} of {len(edits)} edits"
        result = finish_edit(path, before, text, context, summary)
        if failures:
            result.output += "\nSkipped:\n" + "\n".join(failures)
            result.metadata["failed"] = len(failures)
        return result


__all__ = ["MultiEditTool", "parse_edit_list"]
