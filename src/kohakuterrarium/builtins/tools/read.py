"""The ``read`` tool: text files numbered like ``cat -n``, images as image parts, PDF metadata.

Text output is ``     1→first line`` (line number right-aligned to six columns, an arrow, the
line). ``offset`` is the 1-based first line and ``limit`` the number of lines. Every successful
read is recorded in the agent's read-state, which ``write`` and ``edit`` require.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._fs import (
    BINARY_SNIFF_BYTES,
    FileTool,
    FileToolError,
    display_path,
    int_arg,
    is_binary,
    read_state_for,
    resolve_path,
)
from kohakuterrarium.llm.message import ImagePart, TextPart
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

MAX_TEXT_BYTES = 10 * 1024 * 1024
"""Files larger than this are refused unless ``offset`` or ``limit`` narrows the read."""
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Images larger than this are refused (providers reject bigger inline images anyway)."""
DEFAULT_LIMIT = 2000
"""Lines returned when no ``limit`` is given."""
MAX_LINE_CHARS = 2000
"""Longer lines are cut, with a marker saying how much was dropped."""

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def sniff_image(head: bytes) -> str | None:
    """The image format of a file starting with ``head`` (png/jpeg/gif/webp), or None."""
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def image_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) read from the header, when cheap to find; None otherwise."""
    try:
        if kind == "png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if kind == "gif":
            return struct.unpack("<HH", data[6:10])
        if kind == "jpeg":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        seg_len = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + seg_len
    return None


_PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_COUNT_RE = re.compile(
    rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b"
)
_VERSION_RE = re.compile(rb"%PDF-(\d\.\d)")


def pdf_info(data: bytes) -> dict[str, Any]:
    """Version and page count of a PDF from a minimal scan (no PDF library).

    Page objects (``/Type /Page``) are counted; when none are visible (compressed object
    streams) the largest ``/Count`` of a ``/Pages`` node is used; else the count is None.
    """
    version = _VERSION_RE.match(data)
    pages: int | None = len(_PAGE_RE.findall(data)) or None
    if pages is None:
        counts = [int(a or b) for a, b in _COUNT_RE.findall(data)]
        pages = max(counts) if counts else None
    return {
        "version": version.group(1).decode() if version else None,
        "pages": pages,
        "encrypted": b"/Encrypt" in data,
    }


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


class ReadTool(FileTool):
    """Read a file: numbered text lines, an image, or a PDF's metadata."""

    tool_name = "read"
    description = (
        "Read a file. Text comes back numbered like `cat -n` (`     1→line`); use offset (1-based "
        "first line) and limit to page through long files. Images come back as images; PDFs as "
        "metadata. Read a file before you write or edit it."
    )
    usage = """
- Output lines look like `    12→text`; the number and arrow are not part of the file. Leave
  them out when you copy text into `edit`.
- At most 2000 lines are returned per call (lines are cut at 2000 characters); the footer says
  where to continue with `offset`.
- Files over 10 MB are refused unless you give `offset` or `limit`.
- Binary files are refused. PNG, JPEG, GIF and WebP images (up to 5 MB) are returned as an image.
- PDFs: page count and version only; text extraction is not available in this tool.
- A successful read lets `write` and `edit` change the file; if the file changes on disk
  afterwards, read it again before editing.
"""

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "File to read (relative to the working directory, or absolute).",
                },
                "offset": {
                    "type": "integer",
                    "description": "1-based line number to start from (default 1).",
                },
                "limit": {
                    "type": "integer",
                    "description": f"Number of lines to return (default {DEFAULT_LIMIT}).",
                },
            },
            "required": ["path"],
        }

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        path = resolve_path(args.get("path"), context)
        offset = int_arg(args, "offset", None, minimum=0)
        limit = int_arg(args, "limit", None, minimum=1)
        if not path.exists():
            raise FileToolError(_not_found(path))
        if path.is_dir():
            raise FileToolError(f"{path} is a directory; use `tree` or `glob` to list it")
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(BINARY_SNIFF_BYTES)
        shown = display_path(path, context)
        kind = sniff_image(head)
        if kind is not None:
            result = self._image(path, shown, kind, size)
        elif head.startswith(b"%PDF-"):
            result = self._pdf(path, shown, size)
        elif is_binary(head):
            raise FileToolError(
                f"{shown} is a binary file ({_human(size)}); `read` shows text, images and PDFs only"
            )
        else:
            if size > MAX_TEXT_BYTES and offset is None and limit is None:
                raise FileToolError(
                    f"{shown} is {_human(size)}, over the 10 MB limit for a whole read; "
                    "give `offset` and `limit` to read a range, or search it with `grep`"
                )
            result = self._text(path, shown, offset or 1, limit or DEFAULT_LIMIT)
        read_state_for(context).record(path)
        return result

    def _text(self, path: Path, shown: str, offset: int, limit: int) -> ToolResult:
        offset = max(offset, 1)
        out: list[str] = []
        total = 0
        last = offset + limit - 1
        # Stream the lines: a ranged read of a huge file never loads the whole file.
        with path.open("r", encoding="utf-8", errors="replace", newline=None) as fh:
            for total, line in enumerate(fh, 1):
                if total < offset:
                    continue
                if total > last:
                    total = -1  # unknown: we stopped early
                    break
                text = line.rstrip("\n")
                if len(text) > MAX_LINE_CHARS:
                    dropped = len(text) - MAX_LINE_CHARS
                    text = f"{text[:MAX_LINE_CHARS]}… [line cut: {dropped} more characters]"
                out.append(f"{total:>6}→{text}")
        if total == 0:
            return ToolResult(
                output=f"({shown} is empty)", metadata={"path": str(path), "lines": 0}
            )
        if not out:
            raise FileToolError(
                f"offset {offset} is past the end of {shown}, which has {total} lines"
            )
        end = offset + len(out) - 1
        meta = {"path": str(path), "offset": offset, "lines": len(out)}
        if total == -1:
            out.append(
                f"… (showing lines {offset}-{end}; more follow: call read with offset={end + 1})"
            )
        elif offset > 1:
            out.append(f"(lines {offset}-{end} of {total})")
        return ToolResult(output="\n".join(out), metadata=meta)

    def _image(self, path: Path, shown: str, kind: str, size: int) -> ToolResult:
        if size > MAX_IMAGE_BYTES:
            raise FileToolError(
                f"{shown} is a {kind} image of {_human(size)}, over the 5 MB image limit; "
                "resize it (for example with a shell command) and read the smaller copy"
            )
        data = path.read_bytes()
        mime = "image/jpeg" if kind == "jpeg" else f"image/{kind}"
        url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        dims = image_size(data, kind)
        dim_text = f", {dims[0]}x{dims[1]}" if dims else ""
        text = f"Image {shown} ({kind}{dim_text}, {_human(size)})"
        parts = [TextPart(text), ImagePart(url, source_type="tool", source_name=shown)]
        return ToolResult(output=parts, metadata={"path": str(path), "mime": mime, "size": size})

    def _pdf(self, path: Path, shown: str, size: int) -> ToolResult:
        if size > 200 * 1024 * 1024:
            raise FileToolError(f"{shown} is a PDF of {_human(size)}; too large to inspect")
        info = pdf_info(path.read_bytes())
        pages = info["pages"] if info["pages"] is not None else "unknown"
        lines = [
            f"PDF {shown}: {pages} pages, PDF version {info['version'] or 'unknown'}, "
            f"{_human(size)}" + (", encrypted" if info["encrypted"] else ""),
            "Text extraction is not available in the read tool; convert the PDF to text with a "
            "command-line tool (for example `pdftotext`) if one is installed.",
        ]
        return ToolResult(output="\n".join(lines), metadata={"path": str(path), **info})


def _not_found(path: Path) -> str:
    import difflib

    msg = f"file not found: {path}"
    try:
        names = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
    except OSError:
        names = []
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    if close:
        msg += f" (did you mean: {', '.join(close)}?)"
    elif not path.parent.is_dir():
        msg += f" (the folder {path.parent} does not exist either)"
    return msg


__all__ = ["ReadTool", "image_size", "pdf_info", "sniff_image"]
