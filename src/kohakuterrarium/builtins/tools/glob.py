"""The ``glob`` tool: files matching a glob pattern, newest first, honouring .gitignore."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    bool_arg,
    display_path,
    int_arg,
    resolve_path,
    str_arg,
)
from kohakuterrarium.builtins.tools._walk import glob_to_regex, walk
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

DEFAULT_LIMIT = 100
"""Files listed when no ``limit`` is given."""
_MAGIC = re.compile(r"[*?\[]")


def split_pattern(pattern: str) -> tuple[str, str]:
    """(literal folder prefix, rest): ``src/**/*.py`` -> (``src``, ``**/*.py``).

    Walking starts at the literal prefix, so a narrow pattern never scans the whole tree.
    """
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if _MAGIC.search(part):
            break
        literal.append(part)
    return "/".join(literal), "/".join(parts[len(literal) :])


def compile_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^{glob_to_regex(pattern)}$", re.DOTALL)


class GlobTool(FileTool):
    """Find files by glob pattern."""

    tool_name = "glob"
    description = (
        "Find files by glob pattern (`**/*.py`, `src/*.ts`), newest first. Skips .gitignored "
        "files and .git/."
    )
    usage = """
- `*` and `?` match within one path segment; `**` matches any number of folders (including
  none), so `**/*.py` finds Python files at every depth and `*.py` only at the top.
- `path` is the folder to search (default: the working directory).
- Results are sorted by modification time, newest first; at most `limit` (default 100).
- gitignore=false also lists files ignored by .gitignore (.git/ is always skipped).
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Glob pattern, e.g. `**/*.py`."},
                "path": {"type": "string", "description": "Folder to search (default: cwd)."},
                "gitignore": {
                    "type": "boolean",
                    "description": "Skip files ignored by .gitignore (default true).",
                },
                "limit": {
                    "type": "integer",
                    "description": f"Most files to list (default {DEFAULT_LIMIT}).",
                },
            },
            "required": ["pattern"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        pattern = (str_arg(args, "pattern", required=True) or "").strip()
        if not pattern:
            raise FileToolError("`pattern` is empty; give a glob such as `**/*.py`")
        root = resolve_path(str_arg(args, "path") or ".", context)
        limit = int_arg(args, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
        gitignore = bool_arg(args, "gitignore", True)
        if os.path.isabs(pattern):
            prefix, rest = split_pattern(pattern.lstrip("/"))
            start = Path("/") / prefix
        else:
            prefix, rest = split_pattern(pattern.removeprefix("./"))
            start = root / prefix if prefix else root
        if not root.is_dir():
            raise FileToolError(
                f"{root} is not a folder" if root.exists() else f"folder not found: {root}"
            )
        matcher = compile_glob(rest)
        found: list[tuple[float, str]] = []
        if start.is_dir():
            max_depth = None if "**" in rest else rest.count("/") + 1
            for entry in walk(start, gitignore=gitignore, max_depth=max_depth):
                if entry.is_dir or not matcher.match(entry.rel):
                    continue
                try:
                    mtime = os.stat(entry.path).st_mtime
                except OSError:
                    continue  # a dangling symlink or a file deleted meanwhile
                found.append((mtime, entry.path))
        found.sort(key=lambda item: (-item[0], item[1]))
        if not found:
            where = display_path(start, context)
            return ToolResult(
                output=f"No files match {pattern!r} under {where}.", metadata={"count": 0}
            )
        lines = [display_path(Path(p), context) for _, p in found[:limit]]
        summary = f"{len(found)} file{'s' if len(found) != 1 else ''} match {pattern!r}"
        if len(found) > limit:
            summary += f" (showing the newest {limit}; raise `limit` or narrow the pattern)"
        lines.append(summary)
        return ToolResult(output="\n".join(lines), metadata={"count": len(found)})


__all__ = ["GlobTool", "compile_glob", "split_pattern"]
