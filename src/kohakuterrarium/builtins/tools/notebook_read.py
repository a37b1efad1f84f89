"""The ``notebook_read`` tool: the cells of a Jupyter notebook, with ids, index and outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    bool_arg,
    display_path,
    int_arg,
    read_state_for,
    resolve_path,
    str_arg,
)
from kohakuterrarium.builtins.tools._notebook import Notebook, load_notebook, source_text
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

OUTPUT_MODES = ("none", "summary", "all")
"""Values of ``include_outputs``."""
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _clip(text: str, limit: int) -> str:
    if limit and len(text) > limit:
        return f"{text[:limit]}… [{len(text) - limit} more characters]"
    return text


def _output_text(output: Mapping[str, Any]) -> str:
    """The readable text of one output (stream, result, display data or error)."""
    kind = output.get("output_type", "?")
    if kind == "stream":
        text = output.get("text", "")
        return "".join(text) if isinstance(text, list) else str(text)
    if kind == "error":
        trace = "\n".join(output.get("traceback") or [])
        return _ANSI_RE.sub("", trace) or f"{output.get('ename')}: {output.get('evalue')}"
    data = output.get("data") or {}
    if "text/plain" in data:
        text = data["text/plain"]
        return "".join(text) if isinstance(text, list) else str(text)
    kinds = ", ".join(sorted(data)) or "no data"
    return f"[{kinds}]"


def _output_summary(outputs: list[Mapping[str, Any]]) -> str:
    parts = []
    for out in outputs:
        kind = out.get("output_type", "?")
        if kind == "error":
            parts.append(f"error {out.get('ename')}: {out.get('evalue')}")
        elif kind == "stream":
            parts.append(f"stream {out.get('name', 'stdout')}")
        else:
            mimes = ",".join(sorted(out.get("data") or {}))
            parts.append(f"{kind} ({mimes})" if mimes else kind)
    return f"outputs: {len(outputs)} — " + "; ".join(parts)


def render_cell(
    index: int,
    cell: Mapping[str, Any],
    *,
    outputs: str,
    metadata: bool,
    max_source: int,
    max_output: int,
) -> str:
    head = f"--- cell {index}"
    if cell.get("id"):
        head += f" id={cell['id']}"
    head += f" [{cell.get('cell_type', '?')}"
    if cell.get("cell_type") == "code":
        head += f", execution_count={cell.get('execution_count')}"
    lines = [head + "] ---", _clip(source_text(dict(cell)), max_source)]
    if metadata and cell.get("metadata"):
        lines.append("metadata: " + json.dumps(cell["metadata"], ensure_ascii=False))
    cell_outputs = cell.get("outputs") or []
    if outputs != "none" and cell.get("cell_type") == "code" and cell_outputs:
        if outputs == "summary":
            lines.append(_output_summary(cell_outputs))
        else:
            for number, out in enumerate(cell_outputs):
                kind = out.get("output_type", "?")
                lines.append(f"[output {number}: {kind}]")
                lines.append(_clip(_output_text(out).rstrip("\n"), max_output))
    return "\n".join(lines)


def notebook_header(shown: str, nb: Notebook) -> str:
    meta = nb.data.get("metadata") or {}
    kernel = (meta.get("kernelspec") or {}).get("name", "unknown")
    language = (meta.get("language_info") or {}).get("name", "unknown")
    version = f"{nb.data.get('nbformat', 4)}.{nb.data.get('nbformat_minor', 0)}"
    return (
        f"Notebook {shown}: {len(nb.cells)} cells, nbformat {version}, kernel {kernel}, "
        f"language {language}"
    )


class NotebookReadTool(FileTool):
    """Read the cells of a .ipynb notebook."""

    tool_name = "notebook_read"
    description = (
        "Read a Jupyter notebook's cells (index, id, type, source) and optionally their outputs. "
        "Use cell_id for one cell, offset/limit for a range."
    )
    usage = """
- Cells are listed as `--- cell <index> id=<id> [<type>] ---` followed by the source.
- `cell_id` accepts a cell id or an index (0-based; negative counts from the end).
- `offset` is the index of the first cell to show, `limit` how many (default 50).
- include_outputs: none (default), summary (one line per cell) or all (text of each output;
  images and other rich data are named, not shown).
- Reading a notebook lets `notebook_edit` change it.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "The .ipynb file."},
                "cell_id": {"type": "string", "description": "Only this cell (id or index)."},
                "offset": {
                    "type": "integer",
                    "description": "Index of the first cell (default 0).",
                },
                "limit": {"type": "integer", "description": "Number of cells (default 50)."},
                "include_outputs": {
                    "type": "string",
                    "enum": list(OUTPUT_MODES),
                    "description": "none (default), summary or all.",
                },
                "include_metadata": {
                    "type": "boolean",
                    "description": "Show each cell's metadata (default false).",
                },
                "max_source_chars": {
                    "type": "integer",
                    "description": "Cut each cell's source after this many characters (default 10000).",
                },
                "max_output_chars": {
                    "type": "integer",
                    "description": "Cut each output after this many characters (default 2000).",
                },
            },
            "required": ["path"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        nb = load_notebook(path)
        outputs = (str_arg(args, "include_outputs") or "none").strip().lower()
        if outputs not in OUTPUT_MODES:
            raise FileToolError(
                f"include_outputs must be one of none, summary, all; got {outputs!r}"
            )
        opts = {
            "outputs": outputs,
            "metadata": bool_arg(args, "include_metadata", False),
            "max_source": int_arg(args, "max_source_chars", 10000) or 0,
            "max_output": int_arg(args, "max_output_chars", 2000) or 0,
        }
        ranged = args.get("cell_id") in (None, "")
        if not ranged:
            indices = [nb.find(args.get("cell_id"))]
        else:
            offset = int_arg(args, "offset", 0) or 0
            limit = int_arg(args, "limit", 50, minimum=1) or 50
            if nb.cells and offset >= len(nb.cells):
                raise FileToolError(
                    f"offset {offset} is past the last cell (the notebook has {len(nb.cells)})"
                )
            indices = list(range(offset, min(offset + limit, len(nb.cells))))
        parts = [notebook_header(display_path(path, context), nb)]
        parts += [render_cell(i, nb.cells[i], **opts) for i in indices]
        if ranged and indices and indices[-1] < len(nb.cells) - 1:
            parts.append(
                f"… {len(nb.cells) - indices[-1] - 1} more cells (offset={indices[-1] + 1})"
            )
        read_state_for(context).record(path)
        return ToolResult(
            output="\n".join(parts), metadata={"path": str(path), "cells": len(indices)}
        )


__all__ = ["NotebookReadTool", "render_cell"]
