"""bash and python tools: real processes, working dir, exit codes, output cap, timeout and kill."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from kohakuterrarium.builtins.tools.bash import BashTool, ShellTool, available_shells
from kohakuterrarium.builtins.tools.python import PythonTool
from kohakuterrarium.modules.tool.base import ExecutionMode, ToolConfig, ToolContext
from kohakuterrarium.modules.tool.catalog import create_builtin_tool
from kohakuterrarium.testing import ScriptEntry, TestAgentBuilder


def pid_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (a zombie nobody reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


async def wait_gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if pid_gone(pid):
            return True
        await asyncio.sleep(0.02)
    return pid_gone(pid)


async def wait_file(path: Path, within: float = 5.0) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} was never written")


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(agent_name="tester", working_dir=tmp_path)


# --------------------------------------------------------------------------- bash


async def test_bash_runs_in_the_working_dir_and_reports_exit_code(ctx, tmp_path):
    result = await BashTool().execute({"command": "pwd; exit 7"}, ctx)
    assert result.exit_code == 7 and result.error is None and not result.success
    assert Path(result.output.strip()).resolve() == tmp_path.resolve()


async def test_bash_success_has_exit_code_zero(ctx):
    result = await BashTool().execute({"command": "echo hello"}, ctx)
    assert result.success and result.exit_code == 0 and result.output == "hello\n"


async def test_bash_labels_stdout_and_stderr_when_both_have_text(ctx):
    result = await BashTool().execute({"command": "echo out; echo err >&2"}, ctx)
    assert result.output == "[stdout]\nout\n[stderr]\nerr\n"
    only_err = await BashTool().execute({"command": "echo err >&2"}, ctx)
    assert only_err.output == "err\n"


async def test_bash_caps_output_at_max_output_with_a_note(ctx):
    tool = BashTool(ToolConfig(max_output=100))
    result = await tool.execute({"command": "head -c 10000 /dev/zero | tr '\\0' x"}, ctx)
    body, _, note = result.output.partition("\n[output truncated")
    assert body == "x" * 100
    assert note, "the cut must be announced"


async def test_bash_passes_config_env(ctx):
    tool = BashTool(ToolConfig(env={"KT_TEST_GREETING": "from-config"}))
    result = await tool.execute({"command": "echo $KT_TEST_GREETING"}, ctx)
    assert result.output.strip() == "from-config"


async def test_bash_timeout_kills_the_whole_process_group(ctx, tmp_path):
    command = "sleep 30 & echo $! > child.pid; echo $$ > shell.pid; wait"
    started = time.monotonic()
    result = await BashTool().execute({"command": command, "timeout": 0.5}, ctx)
    assert time.monotonic() - started < 5
    assert result.error and "timed out after 0.5s" in result.error
    assert result.metadata["timed_out"] is True
    for name in ("shell.pid", "child.pid"):
        pid = int((tmp_path / name).read_text())
        assert await wait_gone(pid), f"{name} {pid} survived the timeout"


async def test_bash_cancellation_kills_the_process_group(ctx, tmp_path):
    command = "sleep 30 & echo $! > child.pid; wait"
    task = asyncio.create_task(BashTool().execute({"command": command, "timeout": 0}, ctx))
    child = int(await wait_file(tmp_path / "child.pid"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_gone(child)


async def test_bash_timeout_zero_means_no_limit_and_default_comes_from_config(ctx):
    tool = BashTool(ToolConfig(timeout=0.3))
    slow = await tool.execute({"command": "sleep 1"}, ctx)
    assert slow.error and "timed out after 0.3s" in slow.error
    unlimited = await tool.execute({"command": "sleep 0.5; echo done", "timeout": 0}, ctx)
    assert unlimited.output == "done\n"


async def test_bash_rejects_bad_arguments(ctx):
    assert "non-empty 'command'" in (await BashTool().execute({"command": " "}, ctx)).error
    bad = await BashTool().execute({"command": "true", "timeout": -1}, ctx)
    assert "0 (no limit) or positive" in bad.error


async def test_bash_unknown_shell_type_lists_available_shells(ctx):
    result = await BashTool().execute({"command": "echo", "type": "cmd.exe"}, ctx)
    assert "unknown shell type 'cmd.exe'" in result.error
    for name in available_shells():
        assert name in result.error


@pytest.mark.skipif(shutil.which("zsh") is not None, reason="zsh is installed here")
async def test_bash_missing_shell_says_what_exists(ctx):
    result = await BashTool().execute({"command": "echo", "type": "zsh"}, ctx)
    assert "shell 'zsh' is not installed here" in result.error and "sh" in result.error


async def test_bash_type_picks_the_shell(ctx):
    result = await BashTool().execute({"command": "echo $0", "type": "sh"}, ctx)
    assert Path(result.output.strip()).name == "sh"
    assert result.metadata["shell"] == shutil.which("sh")


async def test_bash_honours_kt_shell_path(ctx, monkeypatch):
    monkeypatch.setenv("KT_SHELL_PATH", shutil.which("sh"))
    result = await BashTool().execute({"command": "echo $0"}, ctx)
    assert Path(result.output.strip()).name == "sh"
    monkeypatch.setenv("KT_SHELL_PATH", "/nonexistent/shell")
    bad = await BashTool().execute({"command": "echo"}, ctx)
    assert "KT_SHELL_PATH" in bad.error and "not an executable shell" in bad.error


async def test_bash_missing_working_dir_is_an_error(tmp_path):
    ctx = ToolContext(working_dir=tmp_path / "nope")
    result = await BashTool().execute({"command": "true"}, ctx)
    assert "does not exist" in result.error


def test_bash_and_shell_tool_are_serial_direct_and_registered():
    for cls in (BashTool, ShellTool):
        tool = cls()
        assert tool.tool_name == "bash" and tool.is_concurrency_safe is False
        assert tool.execution_mode == ExecutionMode.DIRECT
        schema = tool.get_parameters_schema()
        assert set(schema["properties"]) == {"command", "type", "timeout"}
        assert schema["required"] == ["command"]
    assert isinstance(create_builtin_tool("bash"), BashTool)
    assert "KT_SHELL_PATH" in BashTool().get_full_documentation()


async def test_bash_through_an_agent_runs_in_its_pwd(tmp_path):
    (tmp_path / "marker.txt").write_text("here")
    env = (
        TestAgentBuilder()
        .with_tool_format("native")
        .with_builtin_tools(["bash"])
        .with_pwd(tmp_path)
        .with_llm_script(
            [
                ScriptEntry(
                    tool_calls=[{"name": "bash", "arguments": {"command": "cat marker.txt"}}]
                ),
                "read it",
            ]
        )
        .build()
    )
    async with env:
        result = await env.run("go")
    assert result.ok and result.tool_calls[0].result == "here"


# --------------------------------------------------------------------------- python


async def test_python_runs_code_in_the_working_dir(ctx, tmp_path):
    code = "import os, sys\nprint(os.getcwd())\nprint(sys.version_info[0])"
    result = await PythonTool().execute({"code": code}, ctx)
    cwd, major = result.output.split()
    assert Path(cwd).resolve() == tmp_path.resolve() and major == str(sys.version_info[0])
    assert result.exit_code == 0


async def test_python_exception_gives_traceback_and_exit_code(ctx):
    result = await PythonTool().execute({"code": "print('before')\n1/0"}, ctx)
    assert result.exit_code == 1
    assert result.output.startswith("[stdout]\nbefore\n[stderr]\n")
    assert "ZeroDivisionError" in result.output


async def test_python_accepts_code_longer_than_an_argv_limit(ctx):
    code = "x = 1\n" * 40_000 + "print(x)"
    result = await PythonTool().execute({"code": code}, ctx)
    assert result.output == "1\n"


async def test_python_timeout_kills_the_process(ctx, tmp_path):
    code = "import os, time\nopen('py.pid', 'w').write(str(os.getpid()))\ntime.sleep(30)"
    result = await PythonTool().execute({"code": code, "timeout": 0.8}, ctx)
    assert result.error and "timed out" in result.error
    assert await wait_gone(int((tmp_path / "py.pid").read_text()))


async def test_python_output_cap_and_bad_arguments(ctx):
    tool = PythonTool(ToolConfig(max_output=50))
    result = await tool.execute({"code": "print('y' * 5000)"}, ctx)
    assert result.output.startswith("y" * 50) and "truncated" in result.output
    assert "non-empty 'code'" in (await tool.execute({}, ctx)).error
    assert isinstance(create_builtin_tool("python"), PythonTool)
