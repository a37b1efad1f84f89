"""MCP server configs, the global catalog, the prompt block and result conversion (no servers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from kohakuterrarium.errors import BadValueError, ConfigError, UnknownKeyError
from kohakuterrarium.mcp import (
    MCPServerConfig,
    MCPServerInfo,
    MCPToolInfo,
    add_global_server,
    catalog_path,
    format_tools_prompt,
    get_global_server,
    load_global_servers,
    remove_global_server,
)
from kohakuterrarium.mcp.attach import find_manager, resolve_creature_paths
from kohakuterrarium.mcp.manager import MCPClientManager
from kohakuterrarium.mcp.results import tool_result_from_sdk

# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("http", "streamable_http"),
        ("streamable-http", "streamable_http"),
        ("http_streamable", "streamable_http"),
        ("streamable_http", "streamable_http"),
        ("SSE", "sse"),
    ],
)
def test_transport_aliases_normalise(spelling, canonical):
    cfg = MCPServerConfig.from_dict({"name": "s", "transport": spelling, "url": "http://h/mcp"})
    assert cfg.transport == canonical


def test_stdio_is_the_default_and_timeouts_have_defaults():
    cfg = MCPServerConfig.from_dict({"name": "time", "command": "mcp-server-time", "args": [1]})
    assert (cfg.transport, cfg.command, cfg.args) == ("stdio", "mcp-server-time", ["1"])
    assert (cfg.connect_timeout, cfg.call_timeout) == (30.0, 60.0)
    assert cfg.target() == "mcp-server-time 1"


def test_none_values_count_as_absent():
    cfg = MCPServerConfig.from_dict({"name": "t", "command": "x", "url": None, "env": None})
    assert cfg.url is None and cfg.env == {}


@pytest.mark.parametrize(
    ("entry", "error", "key", "words"),
    [
        ({"command": "x"}, BadValueError, "mcp_servers.name", "non-empty 'name'"),
        ({"name": "fs"}, BadValueError, "mcp_servers.fs.command", "needs a 'command'"),
        ({"name": "web", "transport": "http"}, BadValueError, "mcp_servers.web.url", "'url'"),
        (
            {"name": "web", "transport": "sse", "url": "ftp://x"},
            BadValueError,
            "mcp_servers.web.url",
            "not http(s)",
        ),
        (
            {"name": "w", "transport": "carrier-pigeon", "command": "x"},
            BadValueError,
            "mcp_servers.w.transport",
            "unknown transport",
        ),
        ({"name": "a", "command": "x", "comand": "y"}, UnknownKeyError, "mcp_servers.a.comand", ""),
        ({"name": "a", "command": "x", "args": "--flag"}, BadValueError, "mcp_servers.a.args", ""),
        (
            {"name": "a", "command": "x", "connect_timeout": -1},
            BadValueError,
            "mcp_servers.a.connect_timeout",
            "positive",
        ),
        ({"name": "a", "command": "x", "env": ["A=1"]}, BadValueError, "mcp_servers.a.env", ""),
    ],
)
def test_invalid_entries_name_the_server_and_key(entry, error, key, words):
    with pytest.raises(error) as info:
        MCPServerConfig.from_dict(entry, file="creature/config.yaml")
    assert info.value.key == key
    assert "creature/config.yaml" in str(info.value)
    assert words in str(info.value)


def test_unknown_key_suggests_the_right_one():
    with pytest.raises(UnknownKeyError) as info:
        MCPServerConfig.from_dict({"name": "a", "command": "x", "comand": "y"})
    assert "did you mean 'command'" in str(info.value)


def test_env_and_headers_are_stringified_and_round_trip():
    cfg = MCPServerConfig.from_dict(
        {
            "name": "w",
            "transport": "http",
            "url": "https://h/mcp",
            "headers": {"X-N": 1},
            "call_timeout": 5,
        }
    )
    assert cfg.headers == {"X-N": "1"}
    data = cfg.to_dict()
    assert data == {
        "name": "w",
        "transport": "streamable_http",
        "url": "https://h/mcp",
        "headers": {"X-N": "1"},
        "call_timeout": 5.0,
    }
    assert MCPServerConfig.from_dict(data) == cfg


def test_creature_relative_paths_resolve_against_the_creature_folder(tmp_path: Path):
    entry = {"name": "u", "command": "python", "args": ["./srv.py", "--x", "../data"]}
    out = resolve_creature_paths(entry, tmp_path / "creature")
    assert out["command"] == "python"
    assert out["args"] == [str(tmp_path / "creature" / "srv.py"), "--x", str(tmp_path / "data")]
    assert entry["args"][0] == "./srv.py"  # the input is not mutated


def test_sub_agents_find_the_nearest_parents_manager():
    manager = MCPClientManager()
    root = SimpleNamespace(mcp=manager, parent=None)
    child = SimpleNamespace(parent=SimpleNamespace(parent=root))
    assert find_manager(child) is manager
    assert find_manager(SimpleNamespace(parent=None)) is None


# --------------------------------------------------------------------------- catalog


def test_catalog_is_empty_when_missing_and_lives_under_kt_config_dir(kt_home: Path):
    assert catalog_path() == kt_home / "mcp_servers.yaml"
    assert load_global_servers() == []


def test_catalog_add_replace_remove(kt_home: Path):
    add_global_server({"name": "time", "command": "mcp-server-time"})
    add_global_server({"name": "web", "transport": "http", "url": "http://127.0.0.1:9/mcp"})
    add_global_server({"name": "time", "command": "other-time"})  # replaced in place
    assert [(s.name, s.target()) for s in load_global_servers()] == [
        ("time", "other-time"),
        ("web", "http://127.0.0.1:9/mcp"),
    ]
    text = (kt_home / "mcp_servers.yaml").read_text()
    assert text.startswith("- name: time")  # a top-level YAML list
    assert get_global_server("web").transport == "streamable_http"
    assert remove_global_server("time") is True
    assert remove_global_server("time") is False
    assert [s.name for s in load_global_servers()] == ["web"]


def test_catalog_location_is_read_at_call_time(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KT_CONFIG_DIR", str(tmp_path / "a"))
    add_global_server({"name": "one", "command": "x"})
    monkeypatch.setenv("KT_CONFIG_DIR", str(tmp_path / "b"))
    assert load_global_servers() == []
    monkeypatch.setenv("KT_CONFIG_DIR", str(tmp_path / "a"))
    assert [s.name for s in load_global_servers()] == ["one"]


def test_a_catalog_that_is_not_a_list_is_a_config_error(kt_home: Path):
    kt_home.mkdir(parents=True)
    (kt_home / "mcp_servers.yaml").write_text("time: {command: x}\n")
    with pytest.raises(ConfigError) as info:
        load_global_servers()
    assert "must be a YAML list" in str(info.value)
    assert "mcp_servers.yaml" in str(info.value)


def test_a_bad_catalog_entry_names_file_and_server(kt_home: Path):
    kt_home.mkdir(parents=True)
    (kt_home / "mcp_servers.yaml").write_text("- {name: fs, transport: stdio}\n")
    with pytest.raises(BadValueError) as info:
        load_global_servers()
    assert info.value.key == "mcp_servers.fs.command"
    assert str(kt_home / "mcp_servers.yaml") in str(info.value)


# --------------------------------------------------------------------------- prompt


def _info(name, status="connected", tools=(), error=None):
    cfg = MCPServerConfig.from_dict({"name": name, "command": "x"})
    return MCPServerInfo(config=cfg, tools=list(tools), status=status, error=error)


def test_prompt_block_lists_servers_tools_and_parameters():
    add = MCPToolInfo(
        "add",
        "Add two integers.\nMore detail.",
        {"type": "object", "properties": {"a": {}, "b": {}, "note": {}}, "required": ["a", "b"]},
    )
    block = format_tools_prompt(
        [_info("calc", tools=[add]), _info("fs", status="error", error="command 'x' not found")]
    )
    assert block.startswith("## Available MCP Tools")
    assert "### calc" in block
    assert "- add(a*, b*, note): Add two integers." in block
    assert "More detail" not in block
    assert "### fs (error: command 'x' not found)" in block
    assert "mcp_call" in block and "mcp_list" in block


def test_prompt_block_is_bounded_and_empty_without_servers():
    tools = [MCPToolInfo(f"t{i}", "d", {}) for i in range(10)]
    block = format_tools_prompt([_info("many", tools=tools)], max_tools=3)
    assert "- t2()" in block and "- t3()" not in block
    assert "7 more tools not shown" in block
    assert format_tools_prompt([]) == ""


# --------------------------------------------------------------------------- results


def test_text_blocks_join_and_is_error_becomes_error():
    ok = SimpleNamespace(
        content=[SimpleNamespace(type="text", text="a"), SimpleNamespace(type="text", text="b")],
        structured_content=None,
        is_error=False,
    )
    result = tool_result_from_sdk(ok, server="s", tool="t")
    assert (result.output, result.error, result.metadata["mcp_server"]) == ("a\nb", None, "s")
    bad = SimpleNamespace(content=[SimpleNamespace(type="text", text="boom")], isError=True)
    result = tool_result_from_sdk(bad, server="s", tool="t")
    assert result.error == "boom" and not result.success


def test_images_become_image_parts_and_structured_only_results_become_json():
    img = SimpleNamespace(type="image", data="AAAA", mime_type="image/png")
    result = tool_result_from_sdk(
        SimpleNamespace(content=[SimpleNamespace(type="text", text="cap"), img], is_error=False),
        server="s",
        tool="t",
    )
    assert result.has_images()
    assert result.output[1].url == "data:image/png;base64,AAAA"
    assert result.get_text_output() == "cap"
    only = SimpleNamespace(content=[], structured_content={"x": 1}, is_error=False)
    result = tool_result_from_sdk(only, server="s", tool="t")
    assert result.output == '{"x": 1}'
    assert result.metadata["structured_content"] == {"x": 1}


# --------------------------------------------------------------------------- import cost


def test_importing_the_mcp_package_and_meta_tools_does_not_import_the_sdk():
    code = (
        "import sys\n"
        "import kohakuterrarium.mcp\n"
        "import kohakuterrarium.builtins.tools.mcp_tools\n"
        "import kohakuterrarium.cli.mcp\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
