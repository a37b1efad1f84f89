"""`json_read` and `json_write` on real files: dot-paths, creation, indentation, errors."""

from __future__ import annotations

import json

import pytest

from kohakuterrarium.builtins.tools._fs import FileReadState, PathGuard
from kohakuterrarium.builtins.tools._jsonpath import parse_query
from kohakuterrarium.builtins.tools.json_read import JsonReadTool
from kohakuterrarium.builtins.tools.json_write import JsonWriteTool
from kohakuterrarium.modules.tool.base import ToolContext
from kohakuterrarium.modules.tool.catalog import create_builtin_tool
from kohakuterrarium.parsing.convert import convert_json_args


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(working_dir=tmp_path, file_read_state=FileReadState())


@pytest.fixture
def data_file(tmp_path):
    doc = {"a": {"b": [{"c": 1}, {"c": 2}]}, "odd.key": True, "name": "kt"}
    path = tmp_path / "d.json"
    path.write_text(json.dumps(doc, indent=4) + "\n")
    return path


def test_json_write_schema_names_match_the_code():
    schema = JsonWriteTool().get_parameters_schema()
    assert set(schema["properties"]) == {"path", "query", "value"}
    assert schema["required"] == ["path", "query", "value"]
    assert set(JsonReadTool().get_parameters_schema()["properties"]) == {"path", "query"}
    assert not JsonWriteTool().is_concurrency_safe


def test_query_syntax():
    assert parse_query("a.b[0].c") == ["a", "b", 0, "c"]
    assert parse_query('$["odd.key"]') == ["odd.key"]
    assert parse_query("[-1]") == [-1]
    assert parse_query("") == [] and parse_query(".") == []


async def test_json_read_whole_document_and_dot_paths(data_file, ctx):
    whole = await JsonReadTool().execute({"path": "d.json"}, ctx)
    assert json.loads(whole.output)["name"] == "kt"
    value = await JsonReadTool().execute({"path": "d.json", "query": "a.b[1].c"}, ctx)
    assert value.output == "d.json a.b[1].c =\n2"
    odd = await JsonReadTool().execute({"path": "d.json", "query": '["odd.key"]'}, ctx)
    assert odd.output.endswith("true")
    last = await JsonReadTool().execute({"path": "d.json", "query": "a.b[-1]"}, ctx)
    assert json.loads(last.output.split("=\n", 1)[1]) == {"c": 2}
    assert ctx.file_read_state.was_read(data_file)


async def test_json_read_errors_name_what_is_there(tmp_path, data_file, ctx):
    missing = await JsonReadTool().execute({"path": "d.json", "query": "a.x"}, ctx)
    assert "key 'x' not found at a" in missing.error and "keys b" in missing.error
    out_of_range = await JsonReadTool().execute({"path": "d.json", "query": "a.b[5]"}, ctx)
    assert "out of range" in out_of_range.error and "list of 2" in out_of_range.error
    scalar = await JsonReadTool().execute({"path": "d.json", "query": "name.first"}, ctx)
    assert "cannot look up" in scalar.error
    (tmp_path / "bad.json").write_text('{"a": }')
    bad = await JsonReadTool().execute({"path": "bad.json"}, ctx)
    assert "not valid JSON (line 1" in bad.error
    assert "not found" in (await JsonReadTool().execute({"path": "none.json"}, ctx)).error
    assert (
        "cannot parse"
        in (await JsonReadTool().execute({"path": "d.json", "query": "a[x"}, ctx)).error
    )


async def test_json_write_sets_values_keeping_indentation(data_file, ctx):
    result = await JsonWriteTool().execute(
        {"path": "d.json", "query": "a.b[0].c", "value": "10"}, ctx
    )
    assert result.error is None and "set a.b[0].c" in result.output
    text = data_file.read_text()
    assert text.startswith('{\n    "a"') and text.endswith("}\n")
    doc = json.loads(text)
    assert doc["a"]["b"][0]["c"] == 10
    await JsonWriteTool().execute({"path": "d.json", "query": "name", "value": "plain words"}, ctx)
    await JsonWriteTool().execute({"path": "d.json", "query": "quoted", "value": '"5"'}, ctx)
    await JsonWriteTool().execute({"path": "d.json", "query": "obj", "value": {"k": [1]}}, ctx)
    doc = json.loads(data_file.read_text())
    assert doc["name"] == "plain words" and doc["quoted"] == "5" and doc["obj"] == {"k": [1]}


async def test_json_write_creates_intermediate_objects_lists_and_files(tmp_path, ctx):
    result = await JsonWriteTool().execute(
        {"path": "cfg/new.json", "query": "server.ports[0]", "value": "8080"}, ctx
    )
    assert result.error is None and result.output.startswith("Created")
    doc = json.loads((tmp_path / "cfg/new.json").read_text())
    assert doc == {"server": {"ports": [8080]}}
    await JsonWriteTool().execute(
        {"path": "cfg/new.json", "query": "server.ports[1]", "value": "9"}, ctx
    )
    doc = json.loads((tmp_path / "cfg/new.json").read_text())
    assert doc["server"]["ports"] == [8080, 9]


async def test_json_write_accepts_content_as_an_alias_of_value(data_file, ctx):
    result = await JsonWriteTool().execute(
        {"path": "d.json", "query": "name", "content": "[1, 2]"}, ctx
    )
    assert result.error is None
    assert json.loads(data_file.read_text())["name"] == [1, 2]


async def test_json_write_errors(data_file, ctx):
    cases = [
        ({"path": "d.json", "value": "1"}, "`query` is required"),
        ({"path": "d.json", "query": "name"}, "missing required argument 'value'"),
        ({"path": "d.json", "query": "a.b[7]", "value": "1"}, "use [2] to append"),
        ({"path": "d.json", "query": "a.b.x", "value": "1"}, "is a list"),
        ({"path": "d.json", "query": "name.inner", "value": "1"}, "name is a str"),
    ]
    for args, needle in cases:
        result = await JsonWriteTool().execute(args, ctx)
        assert result.error and needle in result.error, (args, result.error)


async def test_json_write_respects_the_path_guard(tmp_path, data_file):
    ctx = ToolContext(working_dir=tmp_path, path_guard=PathGuard([tmp_path / "only"]))
    result = await JsonWriteTool().execute({"path": "d.json", "query": "x", "value": "1"}, ctx)
    assert result.error and "allowed roots" in result.error
    assert "x" not in json.loads(data_file.read_text())


async def test_native_json_write_call_round_trips_through_argument_conversion(data_file, ctx):
    """The native schema and the code agree (CONTRACT Part C 12): a native call works."""
    tool = create_builtin_tool("json_write")
    args = convert_json_args(
        json.dumps({"path": "d.json", "query": "count", "value": 3}),
        tool.get_parameters_schema(),
        tool="json_write",
    )
    result = await tool.execute(args, ctx)
    assert result.error is None
    assert json.loads(data_file.read_text())["count"] == 3
