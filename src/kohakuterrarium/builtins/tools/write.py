"""The ``write`` tool: create or overwrite a whole file.

Overwriting needs a prior ``read`` of the file in this agent (and no change on disk since), so a
model never clobbers content it has not seen. Parent folders are created. The write is atomic
(temp file + rename) and respects the context's path guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    FileTool,
    FileToolError,
    atomic_write,
    check_write_allowed,
    display_path,
    read_state_for,
    require_fresh_read,
    resolve_path,
)
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult


class WriteTool(FileTool):
    """Create a file, or overwrite one that was read first."""

    tool_name = "write"
    description = (
        "Create a file or overwrite it with `content`. Parent folders are created. An existing "
        "file must be read first (use `edit` for small changes)."
    )
    is_concurrency_safe = False
    usage = """
- Overwriting an existing file is refused until you have read it with `read` in this session,
  and again if it changed on disk after that read.
- Prefer `edit` or `multi_edit` to change part of a file; `write` replaces everything.
- The content is written exactly as given (UTF-8); end it with a newline for text files.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "File to write (relative to the working directory, or absolute).",
                },
                "content": {"type": "string", "description": "The complete new file content."},
            },
            "required": ["path", "content"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        content = args.get("content")
        if content is None:
            raise FileToolError("missing required argument 'content' (the full file text)")
        if not isinstance(content, str):
            content = str(content)
        if path.is_dir():
            raise FileToolError(f"{path} is a directory; give a file path")
        check_write_allowed(path, context)
        existed = path.exists()
        if existed:
            require_fresh_read(path, context, "overwrite")
        atomic_write(path, content)
        read_state_for(context).record(path)
        lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
        size = len(content.encode("utf-8"))
        verb = "Overwrote" if existed else "Created"
        return ToolResult(
            output=f"{verb} {display_path(path, context)} ({lines} lines, {size} bytes)",
            metadata={"path": str(path), "created": not existed, "bytes": size},
        )


__all__ = ["WriteTool"]
