"""``kt mcp list|add|remove`` (the handler, called with parsed arguments)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kohakuterrarium.cli.mcp import _add, add_arguments, cmd_mcp
from kohakuterrarium.mcp import load_global_servers


def ns(command: str, **kw) -> argparse.Namespace:
    return argparse.Namespace(mcp_command=command, **kw)


def parse_add(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", nargs="?")
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.mcp_command = "add"
    return args


def test_add_list_remove_round_trip(kt_home: Path, capsys: pytest.CaptureFixture[str]):
    args = parse_add(
        "time",
        "--command",
        "mcp-server-time",
        "--arg=--local-timezone",
        "--arg",
        "UTC",
        "--env",
        "TZ=UTC",
        "--connect-timeout",
        "10",
    )
    assert cmd_mcp(args) == 0
    assert "Added MCP server 'time'" in capsys.readouterr().out
    assert cmd_mcp(parse_add("web", "--transport", "http", "--url", "http://127.0.0.1:9/mcp")) == 0
    [time_cfg, web_cfg] = load_global_servers()
    assert time_cfg.args == ["--local-timezone", "UTC"] and time_cfg.env == {"TZ": "UTC"}
    assert time_cfg.connect_timeout == 10.0
    assert web_cfg.transport == "streamable_http"
    capsys.readouterr()

    assert cmd_mcp(ns("list", agent=None)) == 0
    out = capsys.readouterr().out
    assert "mcp-server-time --local-timezone UTC" in out
    assert "streamable_http" in out and "http://127.0.0.1:9/mcp" in out

    assert cmd_mcp(ns("remove", name="time")) == 0
    assert cmd_mcp(ns("remove", name="time")) == 1
    assert "no MCP server named 'time'" in capsys.readouterr().err
    assert [s.name for s in load_global_servers()] == ["web"]


def test_add_asks_for_missing_fields_interactively(kt_home: Path):
    answers = iter(["", "my-server", "--flag value"])  # transport (default stdio), command, args
    assert _add(ns("add", name="mine"), ask=lambda prompt: next(answers)) == 0
    [cfg] = load_global_servers()
    assert (cfg.name, cfg.command, cfg.args) == ("mine", "my-server", ["--flag", "value"])


def test_add_without_a_terminal_reports_what_is_missing(kt_home, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert cmd_mcp(parse_add("half")) == 2
    assert "missing command" in capsys.readouterr().err
    assert load_global_servers() == []


def test_list_agent_shows_the_servers_a_creature_declares(kt_home, capsys):
    demo = Path(__file__).resolve().parents[2] / "examples" / "creatures" / "mcp_demo"
    assert cmd_mcp(ns("list", agent=str(demo))) == 0
    out = capsys.readouterr().out
    assert "creature 'mcp_demo'" in out
    assert "time" in out and "units" in out and "./units_server.py" in out


def test_empty_catalog(kt_home, capsys):
    assert cmd_mcp(ns("list", agent=None)) == 0
    assert "No MCP servers in" in capsys.readouterr().out
