"""`notebook_read` and `notebook_edit` on real .ipynb files (no nbformat package)."""

from __future__ import annotations

import json

import pytest

from kohakuterrarium.builtins.tools._fs import FileReadState
from kohakuterrarium.builtins.tools.notebook_edit import NotebookEditTool
from kohakuterrarium.builtins.tools.notebook_read import NotebookReadTool
from kohakuterrarium.modules.tool.base import ToolContext


def notebook() -> dict:
    return {
        "cells": [
            {
                "cell_type": "markdown",
                "id": "intro",
                "metadata": {},
                "source": ["# Title\n", "Some text"],
            },
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "load",
                "metadata": {"tags": ["setup"]},
                "outputs": [
                    {"name": "stdout", "output_type": "stream", "text": ["loaded 3 rows\n"]},
                    {
                        "data": {"text/plain": ["42"], "image/png": "iVBOR"},
                        "execution_count": 1,
                        "metadata": {},
                        "output_type": "execute_result",
                    },
                ],
                "source": ["x = load()\n", "x"],
            },
            {
                "cell_type": "code",
                "execution_count": 2,
                "id": "boom",
                "metadata": {},
                "outputs": [
                    {
                        "ename": "ZeroDivisionError",
                        "evalue": "division by zero",
                        "output_type": "error",
                        "traceback": ["\x1b[31mZeroDivisionError\x1b[0m: division by zero"],
                    }
                ],
                "source": "1/0",
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture
def nb_path(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook(), indent=1) + "\n")
    return path


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(working_dir=tmp_path, file_read_state=FileReadState())


def cells(path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


async def test_notebook_schemas_and_serial_flags():
    read_props = set(NotebookReadTool().get_parameters_schema()["properties"])
    assert read_props == {
        "path",
        "cell_id",
        "offset",
        "limit",
        "include_outputs",
        "include_metadata",
        "max_source_chars",
        "max_output_chars",
    }
    edit_props = set(NotebookEditTool().get_parameters_schema()["properties"])
    assert edit_props == {
        "path",
        "cell_id",
        "new_source",
        "cell_type",
        "edit_mode",
        "insert_location",
        "clear_outputs",
        "edits",
        "strict",
        "best_effort",
    }
    assert NotebookReadTool().is_concurrency_safe and not NotebookEditTool().is_concurrency_safe


async def test_notebook_read_lists_cells_with_index_id_and_type(nb_path, ctx):
    result = await NotebookReadTool().execute({"path": "nb.ipynb"}, ctx)
    out = result.output
    assert out.splitlines()[0].startswith(
        "Notebook nb.ipynb: 3 cells, nbformat 4.5, kernel python3"
    )
    assert "--- cell 0 id=intro [markdown] ---\n# Title\nSome text" in out
    assert "--- cell 1 id=load [code, execution_count=1] ---\nx = load()\nx" in out
    assert "loaded 3 rows" not in out  # outputs are off by default
    assert ctx.file_read_state.was_read(nb_path)


async def test_notebook_read_output_modes_metadata_and_cuts(nb_path, ctx):
    summary = await NotebookReadTool().execute(
        {"path": "nb.ipynb", "include_outputs": "summary"}, ctx
    )
    assert "outputs: 2 — stream stdout; execute_result (image/png,text/plain)" in summary.output
    assert "error ZeroDivisionError: division by zero" in summary.output
    full = await NotebookReadTool().execute(
        {"path": "nb.ipynb", "include_outputs": "all", "include_metadata": True}, ctx
    )
    assert "[output 0: stream]\nloaded 3 rows" in full.output
    assert "[output 1: execute_result]\n42" in full.output
    assert "ZeroDivisionError: division by zero" in full.output and "\x1b" not in full.output
    assert 'metadata: {"tags": ["setup"]}' in full.output
    cut = await NotebookReadTool().execute(
        {"path": "nb.ipynb", "cell_id": "load", "max_source_chars": 3}, ctx
    )
    assert "x =… [" in cut.output and "cell 0" not in cut.output
    bad = await NotebookReadTool().execute({"path": "nb.ipynb", "include_outputs": "lots"}, ctx)
    assert bad.error and "include_outputs" in bad.error


async def test_notebook_read_offset_limit_and_cell_lookup(nb_path, ctx):
    page = await NotebookReadTool().execute({"path": "nb.ipynb", "offset": 1, "limit": 1}, ctx)
    assert "cell 1 id=load" in page.output and "cell 0" not in page.output
    assert "1 more cells (offset=2)" in page.output
    by_index = await NotebookReadTool().execute({"path": "nb.ipynb", "cell_id": "-1"}, ctx)
    assert "cell 2 id=boom" in by_index.output
    missing = await NotebookReadTool().execute({"path": "nb.ipynb", "cell_id": "nope"}, ctx)
    assert missing.error and "no cell with id 'nope'" in missing.error and "intro" in missing.error
    past = await NotebookReadTool().execute({"path": "nb.ipynb", "offset": 9}, ctx)
    assert past.error and "past the last cell" in past.error


async def test_notebook_read_rejects_non_notebooks(tmp_path, ctx):
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "list.ipynb").write_text("[]")
    assert "not valid JSON" in (await NotebookReadTool().execute({"path": "bad.ipynb"}, ctx)).error
    assert "not a Jupyter" in (await NotebookReadTool().execute({"path": "list.ipynb"}, ctx)).error
    assert "not found" in (await NotebookReadTool().execute({"path": "x.ipynb"}, ctx)).error


async def test_notebook_edit_requires_a_read_first(nb_path, ctx):
    result = await NotebookEditTool().execute(
        {"path": "nb.ipynb", "cell_id": "load", "new_source": "y"}, ctx
    )
    assert result.error and "has not been read" in result.error


async def test_notebook_edit_replace_keeps_indentation_and_valid_json(nb_path, ctx):
    await NotebookReadTool().execute({"path": "nb.ipynb"}, ctx)
    result = await NotebookEditTool().execute(
        {"path": "nb.ipynb", "cell_id": "load", "new_source": "y = 2\ny", "clear_outputs": True},
        ctx,
    )
    assert result.error is None, result.error
    text = nb_path.read_text()
    assert text.startswith('{\n "cells": [\n  {') and text.endswith("}\n")
    cell = cells(nb_path)[1]
    assert cell["source"] == ["y = 2\n", "y"]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert cell["metadata"] == {"tags": ["setup"]}


async def test_notebook_edit_change_type_insert_and_delete(nb_path, ctx):
    await NotebookReadTool().execute({"path": "nb.ipynb"}, ctx)
    tool = NotebookEditTool()
    to_md = await tool.execute(
        {"path": "nb.ipynb", "cell_id": "boom", "cell_type": "markdown"}, ctx
    )
    assert to_md.error is None
    boom = cells(nb_path)[2]
    assert boom["cell_type"] == "markdown" and "outputs" not in boom
    ins = await tool.execute(
        {"path": "nb.ipynb", "edit_mode": "insert", "cell_id": "intro", "new_source": "import os"},
        ctx,
    )
    assert ins.error is None and "inserted code cell at index 1" in ins.output
    new = cells(nb_path)[1]
    assert new["cell_type"] == "code" and new["outputs"] == [] and len(new["id"]) == 8
    for where, index in (("beginning", 0), ("end", -1)):
        r = await tool.execute(
            {
                "path": "nb.ipynb",
                "edit_mode": "insert",
                "insert_location": where,
                "new_source": f"# {where}",
                "cell_type": "markdown",
            },
            ctx,
        )
        assert r.error is None and cells(nb_path)[index]["source"] == [f"# {where}"]
    before = await tool.execute(
        {
            "path": "nb.ipynb",
            "edit_mode": "insert",
            "insert_location": "before",
            "cell_id": "load",
            "new_source": "b",
            "cell_type": "raw",
        },
        ctx,
    )
    assert before.error is None
    ids = [c["id"] for c in cells(nb_path)]
    assert ids.index("load") - 1 == [c["cell_type"] for c in cells(nb_path)].index("raw")
    gone = await tool.execute({"path": "nb.ipynb", "edit_mode": "delete", "cell_id": "intro"}, ctx)
    assert gone.error is None and "intro" not in [c["id"] for c in cells(nb_path)]


async def test_notebook_edit_batches_are_all_or_nothing(nb_path, ctx):
    await NotebookReadTool().execute({"path": "nb.ipynb"}, ctx)
    original = nb_path.read_text()
    edits = [
        {"cell_id": "intro", "new_source": "# Changed"},
        {"cell_id": "missing", "edit_mode": "delete"},
    ]
    result = await NotebookEditTool().execute({"path": "nb.ipynb", "edits": edits}, ctx)
    assert result.error and "edit 1 of 2" in result.error and "nothing was written" in result.error
    assert nb_path.read_text() == original
    lenient = await NotebookEditTool().execute(
        {"path": "nb.ipynb", "edits": json.dumps(edits), "best_effort": True}, ctx
    )
    assert lenient.error is None and "Skipped" in lenient.output and "edit 1" in lenient.output
    assert cells(nb_path)[0]["source"] == ["# Changed"]


async def test_notebook_edit_argument_errors(nb_path, ctx):
    await NotebookReadTool().execute({"path": "nb.ipynb"}, ctx)
    cases = [
        ({"cell_id": "load", "edit_mode": "move"}, "edit_mode"),
        ({"cell_id": "load", "cell_type": "sql"}, "cell_type"),
        ({"edit_mode": "insert"}, "new_source"),
        (
            {"edit_mode": "insert", "new_source": "x", "insert_location": "middle"},
            "insert_location",
        ),
        ({"edit_mode": "delete"}, "cell_id"),
        ({"cell_id": "load"}, "needs `new_source`"),
        ({"cell_id": "7", "new_source": "x"}, "out of range"),
        ({"edits": "{bad"}, "not valid JSON"),
    ]
    for extra, needle in cases:
        result = await NotebookEditTool().execute({"path": "nb.ipynb", **extra}, ctx)
        assert result.error and needle in result.error, (extra, result.error)
