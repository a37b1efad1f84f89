"""MCP through an agent: attach_mcp, the four meta-tools, and a scripted native-format turn."""

from __future__ import annotations

import pytest

pytest.importorskip("mcp", reason="needs the 'mcp' package ([mcp] extra)")

from mcp_helpers import stdio_entry, time_entry

from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.mcp import META_TOOLS, add_global_server, attach_mcp
from kohakuterrarium.modules.tool.base import ToolContext
from kohakuterrarium.modules.tool.catalog import create_builtin_tool
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


def call(name: str, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])


def new_agent(script=("unused",), fmt: str = "native") -> Agent:
    config = AgentConfig(name="mcp-user", system_prompt="You use MCP tools.", tool_format=fmt)
    return Agent(config, llm=ScriptedLLM(list(script)))


def run_tool(agent: Agent, name: str, args: dict):
    tool = agent.registry.get_tool(name) or create_builtin_tool(name)
    return tool.execute(args, ToolContext(agent=agent, agent_name=agent.name))


async def test_scripted_turn_lists_then_calls_tools_on_two_servers():
    agent = new_agent(
        [
            call("mcp_list"),
            call("mcp_list", server="time"),
            ScriptEntry(
                tool_calls=[
                    {
                        "name": "mcp_call",
                        "arguments": {"server": "tools", "tool": "add", "args": {"a": 2, "b": 3}},
                    },
                    {
                        "name": "mcp_call",
                        "arguments": {
                            "server": "time",
                            "tool": "get_current_time",
                            "args": {"timezone": "UTC"},
                        },
                    },
                ]
            ),
            "2 + 3 = 5, and I know the time in UTC.",
        ]
    )
    manager = await attach_mcp(agent, [stdio_entry("tools"), time_entry("time")])
    try:
        assert agent.mcp is manager
        assert all(agent.registry.get_tool(name) is not None for name in META_TOOLS)
        agent.update_system_prompt(manager.prompt_block())
        prompt = agent.get_system_prompt()
        assert "## Available MCP Tools" in prompt
        assert "- add(a*, b*): Add two integers." in prompt
        assert "- get_current_time(timezone*)" in prompt

        async with agent:
            result = await agent.run("add 2 and 3, and tell me the time", timeout=60)
        assert result.ok, result.error
        assert result.text == "2 + 3 = 5, and I know the time in UTC."
        calls = {(c.name, c.args.get("server"), c.args.get("tool")): c for c in result.tool_calls}
        assert all(c.status == "ok" for c in result.tool_calls), [
            (c.name, c.error) for c in result.tool_calls
        ]
        listing = calls[("mcp_list", None, None)].result
        assert "tools [connected]" in listing and "time [connected]" in listing
        assert "timezone (string, required)" in calls[("mcp_list", "time", None)].result
        assert calls[("mcp_call", "tools", "add")].result == "5"
        assert '"timezone": "UTC"' in calls[("mcp_call", "time", "get_current_time")].result
        # The model saw the results as tool messages of the conversation.
        tool_messages = [m["content"] for m in agent.conversation.messages if m["role"] == "tool"]
        assert "5" in tool_messages
    finally:
        await manager.shutdown()


async def test_a_server_that_cannot_start_does_not_stop_the_agent():
    agent = new_agent(
        [
            call("mcp_call", server="ghost", tool="x", args={}),
            call("mcp_call", server="tools", tool="echo", args={"text": "alive"}),
            "The ghost server is down, the other one works.",
        ]
    )
    manager = await attach_mcp(
        agent, [{"name": "ghost", "command": "kt-no-such-mcp-server"}, stdio_entry("tools")]
    )
    try:
        statuses = {s.name: s.status for s in manager.list_servers()}
        assert statuses == {"ghost": "error", "tools": "connected"}
        assert "### ghost (error:" in manager.prompt_block()
        async with agent:
            result = await agent.run("try both", timeout=60)
        assert result.ok
        ghost, tools = result.tool_calls
        assert ghost.status == "error" and "kt-no-such-mcp-server" in (ghost.error or "")
        assert (tools.status, tools.result) == ("ok", "alive")
    finally:
        await manager.shutdown()


async def test_meta_tools_decode_string_args_and_reject_invalid_json(kt_home):
    agent = new_agent()
    manager = await attach_mcp(agent, [stdio_entry("tools")])
    try:
        # Bracket-format calls deliver the object as text.
        ok = await run_tool(
            agent, "mcp_call", {"server": "tools", "tool": "add", "args": '{"a": 4, "b": 4}'}
        )
        assert ok.output == "8"
        bad = await run_tool(agent, "mcp_call", {"server": "tools", "tool": "add", "args": "{a: 1"})
        assert "not valid JSON" in bad.error
        not_obj = await run_tool(
            agent, "mcp_call", {"server": "tools", "tool": "add", "args": "[1]"}
        )
        assert "must be an object" in not_obj.error
        missing = await run_tool(agent, "mcp_call", {"server": "tools"})
        assert "needs 'server' and 'tool'" in missing.error
        unknown = await run_tool(agent, "mcp_call", {"server": "tool", "tool": "add", "args": {}})
        assert "unknown MCP server 'tool'" in unknown.error
        failing = await run_tool(agent, "mcp_call", {"server": "tools", "tool": "fail"})
        assert failing.error and "fail" in failing.error
        detail = await run_tool(agent, "mcp_list", {"server": "tools"})
        assert "## add" in detail.output and "- a (integer, required)" in detail.output
    finally:
        await manager.shutdown()


async def test_connect_from_the_catalog_then_disconnect(kt_home):
    add_global_server(stdio_entry("catalogued"))
    agent = new_agent()  # no mcp_servers: no manager and no meta-tools yet
    assert getattr(agent, "mcp", None) is None
    empty = await run_tool(agent, "mcp_list", {})
    assert "No MCP server is connected" in empty.output and "catalogued" in empty.output
    try:
        connected = await run_tool(agent, "mcp_connect", {"name": "catalogued"})
        assert connected.success, connected.error
        assert "Connected MCP server 'catalogued'" in connected.output
        assert "- add(a*, b*): Add two integers." in connected.output
        assert agent.registry.get_tool("mcp_call") is not None  # connecting registers the rest
        result = await run_tool(
            agent, "mcp_call", {"server": "catalogued", "tool": "add", "args": {"a": 1, "b": 2}}
        )
        assert result.output == "3"
        gone = await run_tool(agent, "mcp_disconnect", {"server": "catalogued"})
        assert gone.output == "Disconnected MCP server 'catalogued'."
        again = await run_tool(agent, "mcp_disconnect", {"server": "catalogued"})
        assert "no MCP server named 'catalogued'" in again.error
    finally:
        await agent.mcp.shutdown()


async def test_connect_explicitly_and_report_failures(kt_home):
    agent = new_agent()
    try:
        unknown = await run_tool(agent, "mcp_connect", {"name": "nowhere"})
        assert "not in the global MCP catalog" in unknown.error
        bad = await run_tool(
            agent, "mcp_connect", {"name": "x", "transport": "pigeon", "command": "y"}
        )
        assert "unknown transport 'pigeon'" in bad.error
        broken = await run_tool(agent, "mcp_connect", {"name": "ghost", "command": "kt-no-such"})
        assert "is not connected" in broken.error and "not found" in broken.error
        entry = stdio_entry("live")
        ok = await run_tool(
            agent,
            "mcp_connect",
            {
                "name": "live",
                "transport": "stdio",
                "command": entry["command"],
                "args": entry["args"],
                "connect_timeout": 20,
            },
        )
        assert ok.success, ok.error
        listing = await run_tool(agent, "mcp_list", {})
        assert "live [connected]" in listing.output and "ghost [error]" in listing.output
    finally:
        await agent.mcp.shutdown()


def test_meta_tools_are_builtins_with_native_schemas():
    schemas = {name: create_builtin_tool(name).get_parameters_schema() for name in META_TOOLS}
    assert schemas["mcp_call"]["required"] == ["server", "tool"]
    assert schemas["mcp_call"]["properties"]["args"]["type"] == "object"
    assert schemas["mcp_list"]["required"] == []
    assert schemas["mcp_disconnect"]["required"] == ["server"]
    connect = schemas["mcp_connect"]["properties"]
    assert set(connect) == {"name", "transport", "command", "args", "url", "env", "connect_timeout"}
    assert create_builtin_tool("mcp_call").needs_context
