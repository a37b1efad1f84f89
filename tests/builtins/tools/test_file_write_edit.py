"""`write`, `edit` and `multi_edit` on real files: read-first guard, exact replace, strict
unified diffs, all-or-nothing batches, and the optional path guard."""

from __future__ import annotations

import os

import pytest

from kohakuterrarium.builtins.tools._fs import FileReadState, PathGuard
from kohakuterrarium.builtins.tools._textedit import EditFailure, apply_unified_diff
from kohakuterrarium.builtins.tools.edit import EditTool
from kohakuterrarium.builtins.tools.multi_edit import MultiEditTool
from kohakuterrarium.builtins.tools.read import ReadTool
from kohakuterrarium.builtins.tools.write import WriteTool
from kohakuterrarium.modules.tool.base import ToolContext


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(working_dir=tmp_path, file_read_state=FileReadState())


async def read(ctx, path):
    result = await ReadTool().execute({"path": path}, ctx)
    assert result.error is None, result.error


def test_writers_are_serial_and_schemas_match_the_contract():
    assert not WriteTool().is_concurrency_safe
    assert not EditTool().is_concurrency_safe
    assert not MultiEditTool().is_concurrency_safe
    assert set(WriteTool().get_parameters_schema()["properties"]) == {"path", "content"}
    assert set(EditTool().get_parameters_schema()["properties"]) == {
        "path",
        "old",
        "new",
        "replace_all",
        "diff",
    }
    assert set(MultiEditTool().get_parameters_schema()["properties"]) == {
        "path",
        "edits",
        "strict",
        "best_effort",
    }


# --------------------------------------------------------------------------- write


async def test_write_creates_a_new_file_and_its_parent_folders(tmp_path, ctx):
    result = await WriteTool().execute({"path": "a/b/new.txt", "content": "x\ny\n"}, ctx)
    assert result.error is None and result.output.startswith("Created a/b/new.txt (2 lines")
    assert (tmp_path / "a/b/new.txt").read_text() == "x\ny\n"


async def test_write_refuses_to_overwrite_an_unread_file(tmp_path, ctx):
    (tmp_path / "old.txt").write_text("precious\n")
    result = await WriteTool().execute({"path": "old.txt", "content": "gone"}, ctx)
    assert result.error and "has not been read" in result.error and "`read`" in result.error
    assert (tmp_path / "old.txt").read_text() == "precious\n"


async def test_write_overwrites_after_read_and_keeps_the_file_mode(tmp_path, ctx):
    path = tmp_path / "run.sh"
    path.write_text("echo 1\n")
    os.chmod(path, 0o755)
    await read(ctx, "run.sh")
    result = await WriteTool().execute({"path": "run.sh", "content": "echo 2\n"}, ctx)
    assert result.error is None and result.output.startswith("Overwrote")
    assert path.read_text() == "echo 2\n"
    assert path.stat().st_mode & 0o777 == 0o755
    # The agent wrote it, so it knows the content: a second write needs no new read.
    again = await WriteTool().execute({"path": "run.sh", "content": "echo 3\n"}, ctx)
    assert again.error is None


async def test_write_refuses_a_file_changed_on_disk_after_the_read(tmp_path, ctx):
    path = tmp_path / "f.txt"
    path.write_text("v1\n")
    await read(ctx, "f.txt")
    path.write_text("v2 from someone else\n")
    os.utime(path, ns=(1, 1))
    result = await WriteTool().execute({"path": "f.txt", "content": "v3"}, ctx)
    assert result.error and "changed on disk" in result.error


async def test_write_errors_for_missing_content_and_directories(tmp_path, ctx):
    assert "content" in (await WriteTool().execute({"path": "x.txt"}, ctx)).error
    (tmp_path / "d").mkdir()
    assert "directory" in (await WriteTool().execute({"path": "d", "content": ""}, ctx)).error


async def test_path_guard_refuses_writes_outside_allowed_roots(tmp_path):
    inside = tmp_path / "inside"
    inside.mkdir()
    guard = PathGuard([inside])
    ctx = ToolContext(working_dir=tmp_path, file_read_state=FileReadState(), path_guard=guard)
    refused = await WriteTool().execute({"path": "out.txt", "content": "no"}, ctx)
    assert refused.error and "outside the allowed roots" in refused.error
    assert str(inside) in refused.error
    assert not (tmp_path / "out.txt").exists()
    ok = await WriteTool().execute({"path": "inside/ok.txt", "content": "yes"}, ctx)
    assert ok.error is None
    with pytest.raises(PermissionError):
        guard.check_write(tmp_path / "inside" / ".." / "escape.txt")


# --------------------------------------------------------------------------- edit


async def test_edit_requires_a_prior_read(tmp_path, ctx):
    (tmp_path / "m.py").write_text("a = 1\n")
    result = await EditTool().execute({"path": "m.py", "old": "a = 1", "new": "a = 2"}, ctx)
    assert result.error and "has not been read" in result.error
    assert (tmp_path / "m.py").read_text() == "a = 1\n"


async def test_edit_replaces_a_unique_match_and_shows_the_region(tmp_path, ctx):
    (tmp_path / "m.py").write_text("a = 1\nb = 2\nc = 3\n")
    await read(ctx, "m.py")
    result = await EditTool().execute({"path": "m.py", "old": "b = 2", "new": "b = 20"}, ctx)
    assert result.error is None
    assert (tmp_path / "m.py").read_text() == "a = 1\nb = 20\nc = 3\n"
    assert "replaced 1 occurrence" in result.output and "     2→b = 20" in result.output


async def test_edit_not_found_hints_the_closest_line(tmp_path, ctx):
    (tmp_path / "m.py").write_text("def compute_total(items):\n    return sum(items)\n")
    await read(ctx, "m.py")
    result = await EditTool().execute(
        {"path": "m.py", "old": "def compute_totals(items):", "new": "x"}, ctx
    )
    assert result.error and "not found" in result.error
    assert "closest line is 1" in result.error and "compute_total(items)" in result.error


async def test_edit_ambiguous_match_says_how_many_and_where(tmp_path, ctx):
    (tmp_path / "m.py").write_text("x = 0\ny = 1\nx = 0\n")
    await read(ctx, "m.py")
    result = await EditTool().execute({"path": "m.py", "old": "x = 0", "new": "x = 9"}, ctx)
    assert result.error and "2 times" in result.error and "lines 1, 3" in result.error
    assert "replace_all" in result.error
    done = await EditTool().execute(
        {"path": "m.py", "old": "x = 0", "new": "x = 9", "replace_all": True}, ctx
    )
    assert done.error is None and "replaced 2 occurrences" in done.output
    assert (tmp_path / "m.py").read_text() == "x = 9\ny = 1\nx = 9\n"


async def test_edit_argument_errors(tmp_path, ctx):
    (tmp_path / "m.txt").write_text("abc\n")
    await read(ctx, "m.txt")
    cases = [
        ({"path": "m.txt"}, "nothing to do"),
        ({"path": "m.txt", "old": "abc"}, "`new` is required"),
        ({"path": "m.txt", "old": "abc", "new": "abc"}, "identical"),
        ({"path": "m.txt", "old": "", "new": "x"}, "empty"),
        ({"path": "m.txt", "old": "a", "new": "b", "diff": "@@ -1 +1 @@"}, "not both"),
        ({"path": "gone.txt", "old": "a", "new": "b"}, "not found"),
    ]
    for args, needle in cases:
        result = await EditTool().execute(args, ctx)
        assert result.error and needle in result.error, (args, result.error)


async def test_edit_delete_with_empty_new_and_crlf_files(tmp_path, ctx):
    path = tmp_path / "w.txt"
    path.write_bytes(b"keep\r\ndrop me\r\nkeep too\r\n")
    await read(ctx, "w.txt")
    result = await EditTool().execute({"path": "w.txt", "old": "drop me\nkeep", "new": "keep"}, ctx)
    assert result.error is None
    assert path.read_bytes() == b"keep\r\nkeep too\r\n"


async def test_edit_applies_a_unified_diff(tmp_path, ctx):
    (tmp_path / "d.py").write_text("one\ntwo\nthree\nfour\n")
    await read(ctx, "d.py")
    diff = "--- a/d.py\n+++ b/d.py\n@@ -2,2 +2,3 @@\n two\n-three\n+THREE\n+three and a half\n"
    result = await EditTool().execute({"path": "d.py", "diff": diff}, ctx)
    assert result.error is None, result.error
    assert (tmp_path / "d.py").read_text() == "one\ntwo\nTHREE\nthree and a half\nfour\n"


async def test_edit_diff_with_wrong_context_names_the_hunk_and_writes_nothing(tmp_path, ctx):
    (tmp_path / "d.py").write_text("one\ntwo\nthree\n")
    await read(ctx, "d.py")
    diff = "@@ -1,1 +1,1 @@\n-one\n+ONE\n@@ -3,1 +3,1 @@\n-tree\n+TREE\n"
    result = await EditTool().execute({"path": "d.py", "diff": diff}, ctx)
    assert result.error and "hunk 2 (@@ -3,1 +3,1 @@)" in result.error
    assert "'tree'" in result.error and "'three'" in result.error
    assert (tmp_path / "d.py").read_text() == "one\ntwo\nthree\n"


def test_unified_diff_finds_a_hunk_whose_line_number_is_off():
    text = "a\nb\nc\nd\ne\n"
    assert apply_unified_diff(text, "@@ -1,2 +1,2 @@\n c\n-d\n+D\n") == "a\nb\nc\nD\ne\n"


def test_unified_diff_multiple_hunks_insertions_and_final_newline():
    text = "1\n2\n3\n4\n5\n6\n"
    diff = "@@ -1,2 +1,3 @@\n 1\n+1.5\n 2\n@@ -5,2 +6,1 @@\n 5\n-6\n"
    assert apply_unified_diff(text, diff) == "1\n1.5\n2\n3\n4\n5\n"
    assert apply_unified_diff("", "@@ -0,0 +1,2 @@\n+x\n+y\n") == "x\ny\n"
    no_eol = apply_unified_diff("a\nb\n", "@@ -2 +2 @@\n-b\n+c\n\\ No newline at end of file\n")
    assert no_eol == "a\nc"


def test_unified_diff_rejects_malformed_and_multi_file_diffs():
    with pytest.raises(EditFailure, match="no @@ hunk"):
        apply_unified_diff("a\n", "--- a/x\n+++ b/x\n")
    with pytest.raises(EditFailure, match="before its first @@"):
        apply_unified_diff("a\n", "hello\n@@ -1 +1 @@\n-a\n+b\n")
    with pytest.raises(EditFailure, match="does not start with"):
        apply_unified_diff("a\n", "@@ -1 +1 @@\n*a\n")
    two = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n"
    with pytest.raises(EditFailure, match="more than one file"):
        apply_unified_diff("a\n", two)


# --------------------------------------------------------------------------- multi_edit


async def test_multi_edit_applies_edits_in_order(tmp_path, ctx):
    (tmp_path / "c.py").write_text("name = 'a'\nvalue = 1\nvalue = 1\n")
    await read(ctx, "c.py")
    edits = [
        {"old": "name = 'a'", "new": "name = 'b'"},
        {"old": "value = 1", "new": "value = 2", "replace_all": True},
        {"old": "name = 'b'", "new": "name = 'c'"},  # sees the result of edit 0
    ]
    result = await MultiEditTool().execute({"path": "c.py", "edits": edits}, ctx)
    assert result.error is None and "applied 3 of 3" in result.output
    assert (tmp_path / "c.py").read_text() == "name = 'c'\nvalue = 2\nvalue = 2\n"


async def test_multi_edit_is_all_or_nothing_and_names_the_failing_edit(tmp_path, ctx):
    (tmp_path / "c.py").write_text("x = 1\ny = 2\n")
    await read(ctx, "c.py")
    edits = [{"old": "x = 1", "new": "x = 10"}, {"old": "z = 3", "new": "z = 30"}]
    result = await MultiEditTool().execute({"path": "c.py", "edits": edits}, ctx)
    assert result.error and "edit 1 of 2" in result.error and "nothing was written" in result.error
    assert (tmp_path / "c.py").read_text() == "x = 1\ny = 2\n"


async def test_multi_edit_best_effort_applies_what_it_can(tmp_path, ctx):
    (tmp_path / "c.py").write_text("x = 1\ny = 2\n")
    await read(ctx, "c.py")
    edits = [{"old": "nope", "new": "n"}, {"old": "y = 2", "new": "y = 20"}]
    for flag in ({"best_effort": True}, {"strict": False}):
        (tmp_path / "c.py").write_text("x = 1\ny = 2\n")
        await read(ctx, "c.py")
        result = await MultiEditTool().execute({"path": "c.py", "edits": edits, **flag}, ctx)
        assert result.error is None and "applied 1 of 2" in result.output
        assert "edit 0:" in result.output
        assert (tmp_path / "c.py").read_text() == "x = 1\ny = 20\n"


async def test_multi_edit_argument_errors(tmp_path, ctx):
    (tmp_path / "c.py").write_text("x\n")
    await read(ctx, "c.py")
    cases = [
        ({"path": "c.py"}, "non-empty list"),
        ({"path": "c.py", "edits": []}, "non-empty list"),
        ({"path": "c.py", "edits": "not json"}, "not valid JSON"),
        ({"path": "c.py", "edits": ["x"]}, "edit 0"),
        ({"path": "c.py", "edits": [{"old": "x"}]}, "both `old` and `new`"),
        ({"path": "c.py", "edits": [{"old": "q", "new": "r"}], "best_effort": True}, "no edit"),
    ]
    for args, needle in cases:
        result = await MultiEditTool().execute(args, ctx)
        assert result.error and needle in result.error, (args, result.error)
    as_json = '[{"old": "x", "new": "y"}]'
    ok = await MultiEditTool().execute({"path": "c.py", "edits": as_json}, ctx)
    assert ok.error is None and (tmp_path / "c.py").read_text() == "y\n"


async def test_multi_edit_requires_read_and_respects_the_guard(tmp_path):
    (tmp_path / "c.py").write_text("x\n")
    state = FileReadState()
    ctx = ToolContext(working_dir=tmp_path, file_read_state=state)
    edits = [{"old": "x", "new": "y"}]
    result = await MultiEditTool().execute({"path": "c.py", "edits": edits}, ctx)
    assert "has not been read" in result.error
    state.record(tmp_path / "c.py")
    ctx.path_guard = PathGuard([tmp_path / "elsewhere"])
    refused = await MultiEditTool().execute({"path": "c.py", "edits": edits}, ctx)
    assert refused.error and "sandbox" in refused.error
    assert (tmp_path / "c.py").read_text() == "x\n"
