"""Servers that die, hang, never start, or change their tools: each test gets its own servers."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mcp", reason="needs the 'mcp' package ([mcp] extra)")

from mcp_helpers import TOOLS_SERVER, stdio_entry

from kohakuterrarium.errors import MCPError
from kohakuterrarium.mcp import MCPClientManager


async def _pid(manager: MCPClientManager, server: str = "tools") -> int:
    return int((await manager.call_tool(server, "pid", {})).output)


async def _until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_server_exiting_mid_call_fails_clearly_then_the_next_call_reconnects():
    manager = MCPClientManager()
    try:
        await manager.connect(stdio_entry())
        first_pid = await _pid(manager)
        with pytest.raises(MCPError) as info:
            await manager.call_tool("tools", "exit_server", {})
        text = str(info.value)
        assert "MCP server 'tools' closed the connection while running 'exit_server'" in text
        assert "next call reconnects" in text
        assert manager.get_server("tools").status == "disconnected"

        result = await manager.call_tool("tools", "echo", {"text": "back"})
        assert result.output == "back"
        assert manager.get_server("tools").status == "connected"
        assert await _pid(manager) != first_pid
    finally:
        await manager.shutdown()


async def test_server_killed_while_idle_is_reconnected_before_the_call():
    manager = MCPClientManager()
    try:
        await manager.connect(stdio_entry())
        pid = await _pid(manager)
        os.kill(pid, signal.SIGKILL)
        assert await _until(lambda: manager.get_server("tools").status == "disconnected")
        # Nothing was sent to the dead server, so the call goes through on a new one.
        assert (await manager.call_tool("tools", "add", {"a": 1, "b": 1})).output == "2"
        assert await _pid(manager) != pid
    finally:
        await manager.shutdown()


async def test_reconnect_that_fails_raises_a_clear_error(tmp_path: Path):
    script = tmp_path / "server.py"
    shutil.copy(TOOLS_SERVER, script)
    manager = MCPClientManager()
    try:
        info = await manager.connect(
            {"name": "tools", "command": sys.executable, "args": [str(script)]}
        )
        assert info.status == "connected"
        script.unlink()  # the server cannot be started again
        with pytest.raises(MCPError):
            await manager.call_tool("tools", "exit_server", {})
        with pytest.raises(MCPError) as err:
            await manager.call_tool("tools", "echo", {"text": "x"})
        text = str(err.value)
        assert "MCP server 'tools' is unavailable; reconnecting just now failed" in text
        assert "server.py" in text  # the server's own stderr says which file is missing
        assert manager.get_server("tools").status == "error"
    finally:
        await manager.shutdown()


async def test_a_command_that_does_not_exist_gives_status_error():
    manager = MCPClientManager()
    try:
        info = await manager.connect({"name": "ghost", "command": "kt-no-such-mcp-server"})
        assert info.status == "error"
        assert "command 'kt-no-such-mcp-server' was not found" in info.error
        with pytest.raises(MCPError, match="ghost"):
            await manager.call_tool("ghost", "anything", {})
    finally:
        await manager.shutdown()


async def test_a_server_that_never_answers_hits_the_connect_timeout():
    manager = MCPClientManager()
    started = time.monotonic()
    try:
        info = await manager.connect(
            {"name": "mute", "command": "sleep", "args": ["30"], "connect_timeout": 0.5}
        )
        assert time.monotonic() - started < 2
        assert (info.status, info.error) == ("error", "did not connect within 0.5s")
    finally:
        await manager.shutdown()
    assert time.monotonic() - started < 10  # the hung process was killed, not waited for


async def test_unreachable_http_server_gives_status_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free once closed: nothing listens there
    manager = MCPClientManager()
    try:
        info = await manager.connect(
            {
                "name": "web",
                "transport": "http",
                "url": f"http://127.0.0.1:{port}/mcp",
                "connect_timeout": 5,
            }
        )
        assert info.status == "error"
        assert f"127.0.0.1:{port}" in info.error
    finally:
        await manager.shutdown()


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_tools_list_changed_refreshes_the_tool_list(transport, http_server):
    manager = MCPClientManager()
    changed = asyncio.Event()
    manager.tools_changed_listeners.append(lambda name: changed.set())
    entry = stdio_entry("srv") if transport == "stdio" else http_server.entry("srv")
    new_tool = f"shout_{transport}"
    try:
        await manager.connect(entry)
        assert new_tool not in {t.name for t in manager.get_server_tools("srv")}
        await manager.call_tool("srv", "grow", {"name": new_tool})
        await asyncio.wait_for(changed.wait(), 5)
        assert new_tool in {t.name for t in manager.get_server_tools("srv")}
        assert (await manager.call_tool("srv", new_tool, {"text": "hi"})).output == "HI"
    finally:
        await manager.shutdown()


async def test_disconnect_and_shutdown_stop_the_server_processes():
    manager = MCPClientManager()
    await manager.connect_all([stdio_entry("a"), stdio_entry("b")])
    pid_a, pid_b = await _pid(manager, "a"), await _pid(manager, "b")
    assert await manager.disconnect("a") is True
    assert await manager.disconnect("a") is False
    assert [s.name for s in manager.list_servers()] == ["b"]
    assert await _until(lambda: _gone(pid_a))
    await manager.shutdown()
    assert await _until(lambda: _gone(pid_b))
    assert manager.list_servers() == []
