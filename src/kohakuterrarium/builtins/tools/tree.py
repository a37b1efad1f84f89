"""The ``tree`` tool: an indented listing of a folder, with .md front-matter summaries."""

from __future__ import annotations

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
from kohakuterrarium.builtins.tools._walk import IgnoreStack, root_rules, scan_dir
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult
from kohakuterrarium.prompt.skill_loader import parse_frontmatter

DEFAULT_DEPTH = 3
"""Folder levels shown when no ``depth`` is given."""
DEFAULT_LIMIT = 100
"""Lines shown when no ``limit`` is given."""
SUMMARY_CHARS = 80
"""Front-matter summaries are cut to this length."""
_FRONT_MATTER_BYTES = 4096


def md_summary(path: str) -> str | None:
    """The ``description`` (else ``name``) from a markdown file's front matter, if any."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(_FRONT_MATTER_BYTES)
    except OSError:
        return None
    if not head.startswith(("---", "\ufeff---")):
        return None
    meta, _ = parse_frontmatter(head)
    value = meta.get("description") or meta.get("name")
    if not value:
        return None
    text = " ".join(str(value).split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


class _Listing:
    """Accumulates tree lines up to the limit."""

    def __init__(self, limit: int, gitignore: bool, hidden: bool, depth: int) -> None:
        self.lines: list[str] = []
        self.limit, self.gitignore, self.hidden, self.depth = limit, gitignore, hidden, depth
        self.dirs = self.files = 0
        self.cut = False

    def add(self, line: str) -> bool:
        if len(self.lines) >= self.limit:
            self.cut = True
            return False
        self.lines.append(line)
        return True

    def visit(self, folder: str, rel: str, level: int, rules: IgnoreStack, indent: str) -> None:
        opts = {"gitignore": self.gitignore, "hidden": self.hidden}
        entries = scan_dir(folder, rel, level, rules, **opts)
        # Folders first, then files, each in name order.
        entries.sort(key=lambda item: (not item[0].is_dir, item[0].rel.rsplit("/", 1)[-1].lower()))
        for n, (entry, sub_rules) in enumerate(entries):
            last = n == len(entries) - 1
            branch = "└── " if last else "├── "
            name = entry.rel.rsplit("/", 1)[-1]
            if entry.is_dir:
                more = ""
                if entry.depth >= self.depth:
                    inner = len(scan_dir(entry.path, entry.rel, entry.depth, sub_rules, **opts))
                    more = f"  ({inner} entries)" if inner else ""
                if not self.add(f"{indent}{branch}{name}/{more}"):
                    return
                self.dirs += 1
                if entry.depth < self.depth:
                    self.visit(
                        entry.path,
                        entry.rel,
                        entry.depth,
                        sub_rules,
                        indent + ("    " if last else "│   "),
                    )
                    if self.cut:
                        return
            else:
                summary = md_summary(entry.path) if name.lower().endswith(".md") else None
                suffix = f"  — {summary}" if summary else ""
                if not self.add(f"{indent}{branch}{name}{suffix}"):
                    return
                self.files += 1


class TreeTool(FileTool):
    """List a folder as a tree."""

    tool_name = "tree"
    description = (
        "Show a folder as a tree (default depth 3, 100 lines). Markdown files show the "
        "description from their front matter. Skips .gitignored and hidden entries by default."
    )
    usage = """
- Folders are listed before files; a folder at the depth limit shows how many entries it has.
- `.md` files with YAML front matter show their `description` (or `name`) after a dash.
- hidden=true also lists names starting with a dot; gitignore=false lists ignored files too
  (.git/ is always skipped).
- The listing stops after `limit` lines; narrow `path` or lower `depth` to see the rest.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Folder to list (default: cwd)."},
                "depth": {
                    "type": "integer",
                    "description": f"Folder levels to show (default {DEFAULT_DEPTH}).",
                },
                "limit": {
                    "type": "integer",
                    "description": f"Most lines to show (default {DEFAULT_LIMIT}).",
                },
                "gitignore": {
                    "type": "boolean",
                    "description": "Skip entries ignored by .gitignore (default true).",
                },
                "hidden": {
                    "type": "boolean",
                    "description": "Show names starting with a dot (default false).",
                },
            },
            "required": [],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        root = resolve_path(str_arg(args, "path") or ".", context)
        if not root.exists():
            raise FileToolError(f"folder not found: {root}")
        if not root.is_dir():
            raise FileToolError(f"{root} is a file, not a folder; use `read` to see it")
        gitignore = bool_arg(args, "gitignore", True)
        listing = _Listing(
            int_arg(args, "limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT,
            gitignore,
            bool_arg(args, "hidden", False),
            int_arg(args, "depth", DEFAULT_DEPTH, minimum=1) or DEFAULT_DEPTH,
        )
        shown = display_path(root, context)
        listing.lines.append(f"{shown if shown != '.' else Path(root).name or str(root)}/")
        listing.limit += 1  # the root line does not count
        listing.visit(str(root), "", 0, root_rules(root, gitignore), "")
        footer = f"{listing.dirs} folders, {listing.files} files shown"
        if listing.cut:
            footer += f" (cut at {listing.limit - 1} lines; narrow `path` or lower `depth`)"
        listing.lines.append(footer)
        return ToolResult(
            output="\n".join(listing.lines),
            metadata={"dirs": listing.dirs, "files": listing.files, "truncated": listing.cut},
        )


__all__ = ["TreeTool", "md_summary"]
