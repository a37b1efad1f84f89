"""The ``kt`` command surface: help, version, usage errors, commands not available yet."""

from __future__ import annotations

import platform

import pytest

from kohakuterrarium import __version__
from kohakuterrarium.cli import main
from kohakuterrarium.cli.parser import build_parser

NOT_YET = [
    ["resume", "--last"],
    ["terrarium", "run", "recipes/x"],
    ["login", "openai"],
    ["config", "key", "set", "openai", "sk-x"],
    ["config", "key", "list"],
    ["config", "key", "delete", "openai"],
    ["config", "llm", "add"],
    ["model", "list"],
    ["model", "default", "gpt"],
    ["model", "show", "gpt"],
    ["search", "s1", "needle", "--mode", "fts", "-k", "3"],
    ["embedding", "s1", "--provider", "x"],
    ["doctor"],
    ["serve", "start", "--port", "9000"],
    ["serve", "stop", "--timeout", "1"],
    ["serve", "status"],
    ["web", "--port", "9000"],
    ["app"],
]


def test_help_lists_every_command_and_exits_0(kt) -> None:
    proc = kt("--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: kt")
    for command in ("run", "resume", "terrarium", "install", "config", "model", "serve", "doctor"):
        assert f"    {command}" in proc.stdout


def test_no_command_prints_help_and_exits_0(capsys) -> None:
    assert main([]) == 0
    assert "usage: kt" in capsys.readouterr().out


def test_version_prints_name_and_version(kt) -> None:
    proc = kt("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"kohakuterrarium {__version__}\n"


def test_verbose_version_adds_python_and_install_path(capsys) -> None:
    assert main(["--version", "--verbose"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"kohakuterrarium {__version__}"
    assert any(line.startswith(f"python {platform.python_version()}") for line in out)
    assert any(line.startswith("path ") and line.endswith("kohakuterrarium") for line in out)


@pytest.mark.parametrize("argv", NOT_YET, ids=lambda a: " ".join(a[:3]))
def test_command_not_available_yet_says_so_and_exits_2(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    path = " ".join(a for a in argv if not a.startswith("-"))
    assert captured.err.startswith("kt ")
    assert captured.err.endswith(": not available yet in this version\n")
    assert path.startswith(captured.err[3 : captured.err.index(":")])
    assert captured.err.count("\n") == 1


def test_not_available_yet_through_the_real_command(kt) -> None:
    proc = kt("doctor")
    assert proc.returncode == 2
    assert proc.stderr == "kt doctor: not available yet in this version\n"


def test_unknown_command_is_a_usage_error(capsys) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_group_without_subcommand_is_a_usage_error(capsys) -> None:
    assert main(["config"]) == 2
    assert "required" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["cli", "tui", "none", None])
def test_run_modes_other_than_plain_are_not_available_yet(mode, creature, capsys) -> None:
    argv = ["run", str(creature)] + (["--mode", mode] if mode else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "not available yet" in err and "--mode plain" in err


def test_run_flags_parse_as_documented() -> None:
    args = build_parser().parse_args(
        ["run", "c", "--mode", "plain", "--llm", "p@x", "--pwd", "/tmp", "--no-session"]
    )
    assert (args.creature, args.mode, args.llm, args.pwd) == ("c", "plain", "p@x", "/tmp")
    assert args.no_session and args.session is None
    assert args.handler == "kohakuterrarium.cli.run:cmd_run"


def test_session_and_no_session_exclude_each_other(capsys) -> None:
    assert main(["run", "c", "--session", "s.kohakutr", "--no-session"]) == 2
    assert "not allowed with" in capsys.readouterr().err


def test_missing_creature_is_one_line_and_exit_1(kt, tmp_path) -> None:
    proc = kt("run", str(tmp_path / "nope"), "--mode", "plain", "--llm", "scripted:x")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("kt run: creature not found: ")
    assert proc.stderr.count("\n") == 1
