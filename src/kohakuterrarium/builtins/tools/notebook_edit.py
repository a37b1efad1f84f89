"""The ``notebook_edit`` tool: replace, insert or delete cells of a .ipynb notebook.

One edit from the top-level arguments, or a batch in ``edits`` (each with the same keys), applied
in order. Batches are all or nothing unless ``best_effort``. The file keeps its indentation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    bool_arg,
    check_write_allowed,
    display_path,
    read_state_for,
    require_fresh_read,
    resolve_path,
    str_arg,
)
from kohakuterrarium.builtins.tools._notebook import (
    CELL_TYPES,
    Notebook,
    load_notebook,
    make_cell,
    save_notebook,
    set_cell_type,
    to_source_lines,
)
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

EDIT_MODES = ("replace", "insert", "delete")
"""Values of ``edit_mode``."""
INSERT_LOCATIONS = ("after", "before", "beginning", "end")
"""Values of ``insert_location``."""
_EDIT_KEYS = ("cell_id", "new_source", "cell_type", "edit_mode", "insert_location", "clear_outputs")


def apply_cell_edit(nb: Notebook, edit: Mapping[str, Any]) -> str:
    """Apply one edit to ``nb`` in memory; returns a one-line description."""
    mode = (str_arg(edit, "edit_mode") or "replace").strip().lower()
    if mode not in EDIT_MODES:
        raise FileToolError(f"edit_mode must be replace, insert or delete; got {mode!r}")
    cell_type = str_arg(edit, "cell_type")
    if cell_type is not None and cell_type not in CELL_TYPES:
        raise FileToolError(f"cell_type must be code, markdown or raw; got {cell_type!r}")
    source = str_arg(edit, "new_source")
    clear = bool_arg(edit, "clear_outputs", False)
    if mode == "delete":
        index = nb.find(edit.get("cell_id"))
        removed = nb.cells.pop(index)
        return f"deleted cell {index} ({removed.get('cell_type')})"
    if mode == "insert":
        if source is None:
            raise FileToolError("insert needs `new_source`")
        has_ref = edit.get("cell_id") not in (None, "")
        where = (str_arg(edit, "insert_location") or ("after" if has_ref else "end")).lower()
        if where not in INSERT_LOCATIONS:
            raise FileToolError(
                f"insert_location must be after, before, beginning or end; got {where!r}"
            )
        if where == "beginning":
            index = 0
        elif where == "end":
            index = len(nb.cells)
        else:
            index = nb.find(edit.get("cell_id")) + (1 if where == "after" else 0)
        cell = make_cell(nb, cell_type or "code", source)
        nb.cells.insert(index, cell)
        ident = f" id={cell['id']}" if "id" in cell else ""
        return f"inserted {cell['cell_type']} cell at index {index}{ident}"
    index = nb.find(edit.get("cell_id"))
    cell = nb.cells[index]
    if source is None and cell_type is None and not clear:
        raise FileToolError("replace needs `new_source`, `cell_type` or clear_outputs=true")
    if source is not None:
        cell["source"] = to_source_lines(source)
    if cell_type is not None and cell_type != cell.get("cell_type"):
        set_cell_type(cell, cell_type)
    if clear and cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    return f"replaced cell {index} ({cell.get('cell_type')})"


def _edit_list(args: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = args.get("edits")
    if raw in (None, "", []):
        return [{k: args[k] for k in _EDIT_KEYS if k in args}]
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FileToolError(f"`edits` is not valid JSON: {exc.msg}") from None
    if not isinstance(raw, list) or not all(isinstance(e, Mapping) for e in raw):
        raise FileToolError("`edits` must be a list of objects with the single-edit keys")
    return raw


class NotebookEditTool(FileTool):
    """Replace, insert or delete notebook cells."""

    tool_name = "notebook_edit"
    description = (
        "Edit a Jupyter notebook you have read: replace a cell's source or type, insert a cell, "
        "or delete one. Several edits at once via `edits`."
    )
    is_concurrency_safe = False
    usage = """
- `cell_id` names a cell by id or index (0-based). Indices shift after inserts and deletes in
  a batch; prefer ids.
- replace (default): new_source and/or cell_type; clear_outputs=true empties a code cell's
  outputs and execution count.
- insert: new_source (and cell_type, default code) placed after/before `cell_id`, or at the
  beginning/end. New cells get a fresh id when the notebook uses ids.
- delete: removes `cell_id`.
- edits: a list of objects with the keys above, applied in order; all or nothing unless
  best_effort=true (strict=false).
- Read the notebook first (`notebook_read` or `read`).
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        edit_props: dict[str, Any] = {
            "cell_id": {"type": "string", "description": "Target cell id or index."},
            "new_source": {"type": "string", "description": "New cell source."},
            "cell_type": {"type": "string", "enum": list(CELL_TYPES), "description": "Cell type."},
            "edit_mode": {
                "type": "string",
                "enum": list(EDIT_MODES),
                "description": "replace (default), insert or delete.",
            },
            "insert_location": {
                "type": "string",
                "enum": list(INSERT_LOCATIONS),
                "description": "For insert: after (default with cell_id), before, beginning, end.",
            },
            "clear_outputs": {"type": "boolean", "description": "Clear the cell's outputs."},
        }
        return {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "The .ipynb file."},
                **edit_props,
                "edits": {
                    "type": "array",
                    "description": "Several edits, applied in order.",
                    "items": {"type": "object", "properties": edit_props},
                },
                "strict": {"type": "boolean", "description": "All or nothing (default true)."},
                "best_effort": {
                    "type": "boolean",
                    "description": "Apply the edits that succeed (default false).",
                },
            },
            "required": ["path"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        nb = load_notebook(path)
        require_fresh_read(path, context, "edit")
        check_write_allowed(path, context)
        edits = _edit_list(args)
        best_effort = bool_arg(args, "best_effort", False) or not bool_arg(args, "strict", True)
        done, failures = [], []
        for index, edit in enumerate(edits):
            snapshot = copy.deepcopy(nb.data["cells"])
            try:
                done.append(apply_cell_edit(nb, edit))
            except FileToolError as exc:
                nb.data["cells"] = snapshot  # a failed edit leaves no half-change behind
                if not best_effort:
                    which = f"edit {index} of {len(edits)}" if len(edits) > 1 else "the edit"
                    raise FileToolError(f"{which} failed, nothing was written: {exc}") from None
                failures.append(f"edit {index}: {exc}")
        if not done:
            raise FileToolError("no edit could be applied:\n" + "\n".join(failures))
        save_notebook(path, nb)
        read_state_for(context).record(path)
        text = f"Edited {display_path(path, context)} ({len(nb.cells)} cells): " + "; ".join(done)
        if failures:
            text += "\nSkipped:\n" + "\n".join(failures)
        return ToolResult(output=text, metadata={"path": str(path), "applied": len(done)})


__all__ = ["NotebookEditTool", "apply_cell_edit"]
