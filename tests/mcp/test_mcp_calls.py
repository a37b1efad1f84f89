"""Listing and calling tools on real MCP servers: stdio, streamable HTTP, and mcp-server-time.

One manager connected to all three is shared by the module (the calls here leave the servers as
they were); tests that kill or change a server live in test_mcp_failures.py. Legacy SSE gets its
own server.
"""

from __future__ import annotations

import json
import time

import pytest
import pytest_asyncio

pytest.importorskip("mcp", reason="needs the 'mcp' package ([mcp] extra)")

from mcp_helpers import stdio_entry, time_entry

from kohakuterrarium.errors import MCPError
from kohakuterrarium.mcp import MCPClientManager

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def manager(http_server):
    manager = MCPClientManager()
    infos = await manager.connect_all(
        [
            stdio_entry("tools", env={"KT_TEST_ENV": "from-env"}),
            time_entry("time"),
            http_server.entry("web", headers={"X-Test": "from-header"}),
        ]
    )
    assert [(i.name, i.status, i.error) for i in infos] == [
        ("tools", "connected", None),
        ("time", "connected", None),
        ("web", "connected", None),
    ]
    yield manager
    await manager.shutdown()


async def test_tools_are_listed_on_connect(manager):
    expected = {"add", "echo", "slow", "fail", "exit_server", "pixel", "pid", "whoami", "grow"}
    assert {t.name for t in manager.get_server_tools("tools")} == expected
    assert {t.name for t in manager.get_server_tools("web")} == expected
    assert {t.name for t in manager.get_server_tools("time")} == {
        "get_current_time",
        "convert_time",
    }
    add = next(t for t in manager.get_server_tools("tools") if t.name == "add")
    assert add.signature() == "add(a*, b*)"
    assert add.summary == "Add two integers."
    assert [s.name for s in manager.list_servers()] == ["tools", "time", "web"]


async def test_call_over_stdio(manager):
    result = await manager.call_tool("tools", "add", {"a": 2, "b": 3})
    assert result.success and result.output == "5"
    assert result.metadata["structured_content"] == {"result": 5}


async def test_call_over_streamable_http(manager):
    result = await manager.call_tool("web", "echo", {"text": "over http"})
    assert result.output == "over http"


async def test_headers_reach_the_http_server_and_env_the_stdio_server(manager):
    assert (await manager.call_tool("web", "whoami", {})).output == "from-header"
    assert (await manager.call_tool("tools", "whoami", {})).output == "from-env"


async def test_published_time_server(manager):
    now = await manager.call_tool("time", "get_current_time", {"timezone": "UTC"})
    assert json.loads(now.output)["timezone"] == "UTC"
    converted = await manager.call_tool(
        "time",
        "convert_time",
        {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
    )
    assert json.loads(converted.output)["target"]["datetime"].endswith("21:00:00+09:00")


async def test_images_come_back_as_parts(manager):
    result = await manager.call_tool("tools", "pixel", {})
    assert result.has_images()
    assert result.get_text_output() == "a pixel"
    assert result.output[1].url.startswith("data:image/png;base64,iVBOR")


async def test_a_tool_error_is_an_error_result_not_an_exception(manager):
    result = await manager.call_tool("tools", "fail", {})
    assert not result.success
    assert "fail" in result.error


async def test_call_timeout_fails_the_call_and_keeps_the_session(manager):
    started = time.monotonic()
    with pytest.raises(MCPError) as info:
        await manager.call_tool("tools", "slow", {"seconds": 10}, timeout=0.5)
    assert time.monotonic() - started < 3
    assert "'slow' did not answer within 0.5s" in str(info.value)
    assert "MCP server 'tools'" in str(info.value)
    assert (await manager.call_tool("tools", "echo", {"text": "still here"})).output == "still here"
    assert manager.get_server("tools").status == "connected"


async def test_unknown_server_and_tool_raise_with_a_hint(manager):
    with pytest.raises(MCPError, match=r"unknown MCP server 'tool'.*did you mean 'tools'"):
        await manager.call_tool("tool", "add", {})
    with pytest.raises(MCPError, match=r"has no tool 'ad'.*did you mean 'add'"):
        await manager.call_tool("tools", "ad", {})
    with pytest.raises(MCPError, match="must be an object"):
        await manager.call_tool("tools", "add", ["a", "b"])  # type: ignore[arg-type]


async def test_concurrent_calls_share_one_session(manager):
    import asyncio

    results = await asyncio.gather(
        *(manager.call_tool("tools", "add", {"a": i, "b": i}) for i in range(8)),
        *(manager.call_tool("web", "add", {"a": i, "b": 1}) for i in range(4)),
    )
    assert [r.output for r in results] == [str(2 * i) for i in range(8)] + [
        str(i + 1) for i in range(4)
    ]


async def test_legacy_sse_transport():
    from mcp_helpers import HttpServer

    server = HttpServer("--sse")
    manager = MCPClientManager()
    try:
        info = await manager.connect(server.entry("old", headers={"X-Test": "via-sse"}))
        assert (info.status, info.config.transport) == ("connected", "sse"), info.error
        assert (await manager.call_tool("old", "add", {"a": 20, "b": 22})).output == "42"
        assert (await manager.call_tool("old", "whoami", {})).output == "via-sse"
    finally:
        await manager.shutdown()
        server.stop()
