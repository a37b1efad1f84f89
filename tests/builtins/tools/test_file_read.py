"""The `read` tool on real files: numbering, ranges, guards, images, PDFs, read-state."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from kohakuterrarium.builtins.tools._fs import DEFAULT_READ_STATE, FileReadState
from kohakuterrarium.builtins.tools.read import ReadTool, pdf_info, sniff_image
from kohakuterrarium.llm.message import ImagePart, TextPart
from kohakuterrarium.modules.tool.base import ExecutionMode, ToolContext


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(working_dir=tmp_path, file_read_state=FileReadState())


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_read_is_direct_context_aware_and_concurrency_safe():
    tool = ReadTool()
    assert tool.tool_name == "read"
    assert tool.execution_mode is ExecutionMode.DIRECT
    assert tool.needs_context and tool.is_concurrency_safe
    schema = tool.get_parameters_schema()
    assert set(schema["properties"]) == {"path", "offset", "limit"}
    assert schema["required"] == ["path"]
    assert "offset" in tool.get_full_documentation()


async def test_read_numbers_lines_like_cat_n_with_an_arrow(tmp_path, ctx):
    (tmp_path / "a.txt").write_text("alpha\nbeta\n\ngamma\n")
    result = await ReadTool().execute({"path": "a.txt"}, ctx)
    assert result.error is None
    assert result.output == "     1→alpha\n     2→beta\n     3→\n     4→gamma"


async def test_read_offset_and_limit_select_a_range_and_say_where_to_continue(tmp_path, ctx):
    (tmp_path / "n.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    result = await ReadTool().execute({"path": "n.txt", "offset": 3, "limit": 2}, ctx)
    lines = result.output.splitlines()
    assert lines[:2] == ["     3→line 3", "     4→line 4"]
    assert "offset=5" in lines[2]
    tail = await ReadTool().execute({"path": "n.txt", "offset": 9}, ctx)
    assert tail.output.splitlines() == ["     9→line 9", "    10→line 10", "(lines 9-10 of 10)"]


async def test_read_offset_past_the_end_is_an_error(tmp_path, ctx):
    (tmp_path / "s.txt").write_text("one\ntwo\n")
    result = await ReadTool().execute({"path": "s.txt", "offset": 5}, ctx)
    assert result.error and "past the end" in result.error and "2 lines" in result.error


async def test_read_rejects_bad_integer_arguments(tmp_path, ctx):
    (tmp_path / "s.txt").write_text("x\n")
    result = await ReadTool().execute({"path": "s.txt", "limit": 0}, ctx)
    assert result.error and "limit" in result.error
    result = await ReadTool().execute({"path": "s.txt", "offset": "abc"}, ctx)
    assert result.error and "integer" in result.error


async def test_read_cuts_very_long_lines(tmp_path, ctx):
    (tmp_path / "long.txt").write_text("x" * 2500 + "\n")
    result = await ReadTool().execute({"path": "long.txt"}, ctx)
    assert "500 more characters" in result.output
    assert result.output.count("x") == 2000


async def test_read_empty_file_says_so(tmp_path, ctx):
    (tmp_path / "e.txt").write_text("")
    result = await ReadTool().execute({"path": "e.txt"}, ctx)
    assert result.error is None and "empty" in result.output


async def test_read_missing_file_suggests_close_names(tmp_path, ctx):
    (tmp_path / "config.yaml").write_text("a: 1\n")
    result = await ReadTool().execute({"path": "confg.yaml"}, ctx)
    assert result.error and "not found" in result.error and "config.yaml" in result.error
    result = await ReadTool().execute({"path": "nope/x.txt"}, ctx)
    assert "does not exist either" in result.error


async def test_read_directory_and_missing_path_are_errors(tmp_path, ctx):
    (tmp_path / "d").mkdir()
    assert "directory" in (await ReadTool().execute({"path": "d"}, ctx)).error
    assert "missing required argument" in (await ReadTool().execute({}, ctx)).error


async def test_read_refuses_binary_files(tmp_path, ctx):
    (tmp_path / "b.bin").write_bytes(b"abc\x00def" * 10)
    result = await ReadTool().execute({"path": "b.bin"}, ctx)
    assert result.error and "binary" in result.error


async def test_read_refuses_huge_files_without_a_range_but_reads_a_range(tmp_path, ctx):
    line = "y" * 99 + "\n"
    (tmp_path / "big.txt").write_text(line * 110_000)  # ~11 MB
    result = await ReadTool().execute({"path": "big.txt"}, ctx)
    assert result.error and "10 MB" in result.error
    ranged = await ReadTool().execute({"path": "big.txt", "offset": 100_000, "limit": 2}, ctx)
    assert ranged.error is None
    assert ranged.output.startswith("100000→" + "y" * 99)


async def test_read_png_returns_an_image_part_and_a_size_line(tmp_path, ctx):
    data = png_bytes(3, 2)
    (tmp_path / "pic.png").write_bytes(data)
    result = await ReadTool().execute({"path": "pic.png"}, ctx)
    assert result.error is None and result.has_images()
    text, image = result.output
    assert (
        isinstance(text, TextPart) and "png, 3x2" in text.text and f"{len(data)} bytes" in text.text
    )
    assert isinstance(image, ImagePart)
    assert image.url == "data:image/png;base64," + base64.b64encode(data).decode()


async def test_read_detects_images_by_magic_bytes_not_extension(tmp_path, ctx):
    (tmp_path / "photo.dat").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    result = await ReadTool().execute({"path": "photo.dat"}, ctx)
    assert result.output[1].url.startswith("data:image/jpeg;base64,")
    assert sniff_image(b"GIF89a....") == "gif"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_image(b"plain text") is None


async def test_read_refuses_images_over_five_megabytes(tmp_path, ctx):
    (tmp_path / "huge.png").write_bytes(png_bytes() + b"\x00" * (5 * 1024 * 1024))
    result = await ReadTool().execute({"path": "huge.png"}, ctx)
    assert result.error and "5 MB" in result.error


async def test_read_pdf_reports_page_count_and_no_text_extraction(tmp_path, ctx):
    pdf = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n"
        b"4 0 obj << /Type/Page /Parent 2 0 R >> endobj\n%%EOF\n"
    )
    (tmp_path / "doc.pdf").write_bytes(pdf)
    result = await ReadTool().execute({"path": "doc.pdf"}, ctx)
    assert result.error is None
    assert "2 pages" in result.output and "1.4" in result.output
    assert "not available" in result.output
    assert pdf_info(b"%PDF-1.7 /Type /Pages /Count 7 >>")["pages"] == 7


async def test_read_records_read_state_in_the_context(tmp_path, ctx):
    path = tmp_path / "r.txt"
    path.write_text("hi\n")
    assert not ctx.file_read_state.was_read(path)
    await ReadTool().execute({"path": "r.txt"}, ctx)
    assert ctx.file_read_state.was_read(path)


async def test_read_without_a_context_uses_cwd_and_the_default_state(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.txt").write_text("cwd file\n")
    result = await ReadTool().execute({"path": "c.txt"})
    assert result.output == "     1→cwd file"
    assert DEFAULT_READ_STATE.was_read(tmp_path / "c.txt")


async def test_read_absolute_path_and_crlf_file(tmp_path, ctx):
    (tmp_path / "w.txt").write_bytes(b"one\r\ntwo\r\n")
    result = await ReadTool().execute({"path": str(tmp_path / "w.txt")}, ctx)
    assert result.output == "     1→one\n     2→two"
