"""A creature that declares MCP servers connects them when it starts, lists their tools in its
prompt, and calls them through the meta-tools in a scripted turn."""

from __future__ import annotations

import json

from mcp_helpers import stdio_entry, time_entry

from kohakuterrarium import Agent
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


def call(name: str, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])


async def test_declared_servers_connect_on_start_and_shut_down_on_stop():
    llm = ScriptedLLM(
        [
            call("mcp_list"),
            call("mcp_call", server="tools", tool="add", args={"a": 2, "b": 3}),
            call("mcp_call", server="time", tool="get_current_time", args={"timezone": "UTC"}),
            "2 + 3 = 5, and I know the time.",
        ]
    )
    config = {
        "name": "mcp_user",
        "controller": {"tool_format": "native"},
        "mcp_servers": [stdio_entry("tools"), time_entry("time")],
    }
    agent = await Agent.build(config, llm=llm)
    assert agent.mcp is None
    async with agent:
        assert {"mcp_list", "mcp_call", "mcp_connect", "mcp_disconnect"} <= set(agent.tools)
        prompt = agent.get_system_prompt()
        assert "Available MCP Tools" in prompt and "add" in prompt
        result = await agent.run("use the servers")
        manager = agent.mcp
    assert result.ok, result.error
    by_tool = [c for c in result.tool_calls]
    assert [c.status for c in by_tool] == ["ok", "ok", "ok"]
    assert "5" in by_tool[1].result
    assert "UTC" in by_tool[2].result or "datetime" in by_tool[2].result
    assert all(s.status != "connected" for s in manager.list_servers())
    # Configs are never mutated by run-time prompt sections.
    assert "Available MCP Tools" not in json.dumps(config)
