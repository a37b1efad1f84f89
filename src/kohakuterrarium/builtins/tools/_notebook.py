"""Plain-JSON access to Jupyter notebooks (nbformat 4) without the nbformat package.

Loading keeps the file's indentation so a save changes only what was edited; cell lookup accepts
a cell id or an index.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._fs import FileToolError, atomic_write

CELL_TYPES = ("code", "markdown", "raw")
"""Valid ``cell_type`` values."""

_INDENT_RE = re.compile(r"^\{\s*\n([ \t]+)\S", re.MULTILINE)


@dataclass
class Notebook:
    """A loaded notebook and how to write it back the way it was written."""

    data: dict[str, Any]
    """The decoded JSON document."""
    indent: int | str | None = 1
    """Indentation of the file (nbformat writes 1 space)."""
    trailing_newline: bool = True
    """Whether the file ended with a newline."""

    @property
    def cells(self) -> list[dict[str, Any]]:
        return self.data["cells"]

    def uses_ids(self) -> bool:
        minor = self.data.get("nbformat_minor", 0)
        return (isinstance(minor, int) and minor >= 5) or any("id" in c for c in self.cells)

    def new_cell_id(self) -> str:
        taken = {c.get("id") for c in self.cells}
        while True:
            candidate = secrets.token_hex(4)
            if candidate not in taken:
                return candidate

    def find(self, ref: Any) -> int:
        """Index of the cell named by ``ref``: its id, else an index (negative counts back)."""
        if ref is None or ref == "":
            raise FileToolError("`cell_id` is required for this edit (a cell id or an index)")
        text = str(ref).strip()
        for index, cell in enumerate(self.cells):
            if cell.get("id") == text:
                return index
        m = re.fullmatch(r"(?:cell[-_ ]?)?(-?\d+)", text)
        if m:
            index = int(m.group(1))
            if -len(self.cells) <= index < len(self.cells):
                return index % len(self.cells)
            raise FileToolError(
                f"cell index {index} is out of range: the notebook has {len(self.cells)} cells"
            )
        ids = ", ".join(str(c.get("id")) for c in self.cells[:20] if c.get("id"))
        raise FileToolError(f"no cell with id {text!r}" + (f" (ids: {ids})" if ids else ""))

    def dumps(self) -> str:
        text = json.dumps(self.data, indent=self.indent, ensure_ascii=False)
        return text + ("\n" if self.trailing_newline else "")


def load_notebook(path: Path) -> Notebook:
    """Read and validate a .ipynb file (nbformat 4)."""
    if not path.exists():
        raise FileToolError(f"notebook not found: {path}")
    if path.is_dir():
        raise FileToolError(f"{path} is a directory, not a notebook")
    text = path.read_text("utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileToolError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise FileToolError(f"{path} is not a Jupyter notebook (no top-level 'cells' list)")
    if data.get("nbformat", 4) < 4:
        raise FileToolError(
            f"{path} is nbformat {data.get('nbformat')}; only nbformat 4 notebooks are supported"
        )
    m = _INDENT_RE.search(text)
    indent: int | str | None
    if m:
        ws = m.group(1)
        indent = len(ws) if set(ws) == {" "} else ws
    else:
        indent = None if "\n" not in text.strip() else 1
    return Notebook(data, indent, text.endswith("\n"))


def save_notebook(path: Path, nb: Notebook) -> None:
    atomic_write(path, nb.dumps())


def source_text(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def to_source_lines(text: str) -> list[str]:
    """nbformat's on-disk form of a source: lines with their newlines kept."""
    return text.splitlines(keepends=True)


def make_cell(nb: Notebook, cell_type: str, source: str) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": cell_type}
    if cell_type == "code":
        cell["execution_count"] = None
    if nb.uses_ids():
        cell["id"] = nb.new_cell_id()
    cell["metadata"] = {}
    if cell_type == "code":
        cell["outputs"] = []
    cell["source"] = to_source_lines(source)
    return cell


def set_cell_type(cell: dict[str, Any], cell_type: str) -> None:
    """Change a cell's type, adding or dropping the code-only keys."""
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell.setdefault("execution_count", None)
        cell.setdefault("outputs", [])
    else:
        cell.pop("execution_count", None)
        cell.pop("outputs", None)


__all__ = [
    "CELL_TYPES",
    "Notebook",
    "load_notebook",
    "make_cell",
    "save_notebook",
    "set_cell_type",
    "source_text",
    "to_source_lines",
]
