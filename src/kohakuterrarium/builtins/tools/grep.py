"""The ``grep`` tool: a Python regular-expression search across files.

Folders are walked with os.scandir (honouring .gitignore, skipping .git/, never entering
symlinked folders); binary files are skipped. Output is ``path:line: text`` per match, context
lines as ``path-line- text``, groups separated by ``--``, then a summary line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    bool_arg,
    display_path,
    int_arg,
    is_binary,
    resolve_path,
    str_arg,
)
from kohakuterrarium.builtins.tools._walk import glob_to_regex, walk
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

DEFAULT_LIMIT = 200
"""Matches reported when no ``limit`` is given."""
MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are skipped (and counted in the summary)."""
MAX_SHOWN_CHARS = 400
"""Matched lines longer than this are cut in the output."""


def file_filter(glob: str | None) -> re.Pattern[str] | None:
    """The ``glob`` argument as a regex over relative paths; a pattern without ``/`` matches
    the file name at any depth (like ``rg -g``)."""
    if not glob:
        return None
    source = glob_to_regex(glob.strip().removeprefix("./"))
    if "/" not in glob.strip("/"):
        source = "(?:.*/)?" + source
    return re.compile(f"^{source}$", re.DOTALL)


def _files(root: Path, gitignore: bool, glob: re.Pattern[str] | None) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for entry in walk(root, gitignore=gitignore):
        if not entry.is_dir and (glob is None or glob.match(entry.rel)):
            yield Path(entry.path)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"


class GrepTool(FileTool):
    """Search file contents with a regular expression."""

    tool_name = "grep"
    description = (
        "Search file contents with a Python regular expression. Returns `path:line: text` for "
        "each match. Filter files with `glob`; add `context` lines around matches."
    )
    usage = """
- `pattern` is a Python `re` expression, applied to each line (`ignore_case=true` for
  case-insensitive search). Escape regex characters to search literally (`\\.`, `\\(`).
- `path` is a folder (searched recursively) or a single file; default: the working directory.
- `glob` filters files: `*.py` matches at any depth, `src/**/*.ts` by path.
- Files ignored by .gitignore are skipped unless gitignore=false; .git/ and binary files are
  always skipped.
- `context` shows that many lines before and after each match.
- Stops after `limit` matches (default 200); the summary says when it stopped early.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Python regular expression."},
                "path": {
                    "type": "string",
                    "description": "Folder or file to search (default: cwd).",
                },
                "glob": {"type": "string", "description": "Only files matching this glob."},
                "gitignore": {
                    "type": "boolean",
                    "description": "Skip files ignored by .gitignore (default true).",
                },
                "ignore_case": {
                    "type": "boolean",
                    "description": "Case-insensitive (default false).",
                },
                "context": {
                    "type": "integer",
                    "description": "Lines of context before and after each match (default 0).",
                },
                "limit": {
                    "type": "integer",
                    "description": f"Most matches to report (default {DEFAULT_LIMIT}).",
                },
            },
            "required": ["pattern"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        pattern = str_arg(args, "pattern", required=True) or ""
        if not pattern:
            raise FileToolError("`pattern` is empty; give a regular expression")
        flags = re.IGNORECASE if bool_arg(args, "ignore_case", False) else 0
        try:
            regex = re.compile(pattern, flags)
        except re.error as exc:
            raise FileToolError(
                f"invalid regular expression {pattern!r}: {exc}; escape special characters "
                "(for example `\\(`) to match them literally"
            ) from None
        root = resolve_path(str_arg(args, "path") or ".", context)
        if not root.exists():
            raise FileToolError(f"path not found: {root}")
        limit = int_arg(args, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
        around = int_arg(args, "context", 0) or 0
        glob = file_filter(str_arg(args, "glob"))
        out: list[str] = []
        matches = files_with = searched = skipped = 0
        truncated = False
        for file in _files(root, bool_arg(args, "gitignore", True), glob):
            lines = _text_lines(file)
            if lines is None:
                skipped += 1
                continue
            searched += 1
            shown = display_path(file, context)
            hits = [i for i, line in enumerate(lines) if regex.search(line)]
            if not hits:
                continue
            files_with += 1
            if matches + len(hits) > limit:
                hits = hits[: limit - matches]
                truncated = True
            matches += len(hits)
            out.extend(_render(shown, lines, hits, around, first=not out))
            if truncated:
                break
        if matches == 0:
            text = f"No matches for {pattern!r} in {searched} files"
            return ToolResult(
                output=text + (f" ({skipped} binary or huge files skipped)." if skipped else "."),
                metadata={"matches": 0, "files": 0},
            )
        summary = f"{matches} match{'es' if matches != 1 else ''} in {files_with} file{'s' if files_with != 1 else ''}"
        if truncated:
            summary += f" (stopped at the limit of {limit}; narrow the search or raise `limit`)"
        out.append(summary)
        return ToolResult(output="\n".join(out), metadata={"matches": matches, "files": files_with})


def _text_lines(file: Path) -> list[str] | None:
    """The file's lines, or None for unreadable, binary or huge files."""
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            return None
        data = file.read_bytes()
    except OSError:
        return None
    if is_binary(data):
        return None
    return data.decode("utf-8", errors="replace").splitlines()


def _render(shown: str, lines: list[str], hits: list[int], around: int, first: bool) -> list[str]:
    out: list[str] = []
    if around == 0:
        return [f"{shown}:{i + 1}: {_cut(lines[i].rstrip())}" for i in hits]
    hit_set = set(hits)
    last_shown = -2
    for i in hits:
        lo, hi = max(i - around, 0), min(i + around, len(lines) - 1)
        if lo > last_shown + 1 and (out or not first):
            out.append("--")
        for n in range(max(lo, last_shown + 1), hi + 1):
            sep = ":" if n in hit_set else "-"
            out.append(f"{shown}{sep}{n + 1}{sep} {_cut(lines[n].rstrip())}")
        last_shown = max(last_shown, hi)
    return out


__all__ = ["GrepTool", "file_filter"]
