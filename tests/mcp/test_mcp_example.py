"""The mcp_demo example creature: it loads, and its two servers connect through attach_mcp."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config import load_agent_config
from kohakuterrarium.mcp.attach import server_configs
from kohakuterrarium.testing import ScriptedLLM

DEMO = Path(__file__).resolve().parents[2] / "examples" / "creatures" / "mcp_demo"


def test_the_example_loads_and_declares_two_stdio_servers():
    config = load_agent_config(DEMO)
    assert config.name == "mcp_demo"
    assert [s["name"] for s in config.mcp_servers] == ["time", "units"]
    agent = Agent(config, llm=ScriptedLLM(["hi"]))
    units = {c.name: c for c in server_configs(agent, config.mcp_servers)}["units"]
    # "./units_server.py" is relative to the creature folder, not to where kt runs.
    assert units.args == [str(DEMO / "units_server.py")]
    assert (DEMO / "units_server.py").is_file()


async def test_the_example_servers_connect_and_answer():
    pytest.importorskip("mcp", reason="needs the 'mcp' package ([mcp] extra)")
    from mcp_helpers import TIME_SERVER

    from kohakuterrarium.mcp import attach_mcp

    if TIME_SERVER is None:
        pytest.skip("mcp-server-time is not installed (dev extra)")
    config = load_agent_config(DEMO)
    # `python` on PATH may be another interpreter than the one running the tests.
    servers = [
        {**s, "command": sys.executable} if s["command"] == "python" else s
        for s in config.mcp_servers
    ]
    agent = Agent(config, llm=ScriptedLLM(["hi"]))
    manager = await attach_mcp(agent, servers)
    try:
        assert {s.name: s.status for s in manager.list_servers()} == {
            "time": "connected",
            "units": "connected",
        }
        assert {t.name for t in manager.get_server_tools("units")} == {
            "convert_length",
            "celsius_to_fahrenheit",
        }
        km = await manager.call_tool(
            "units", "convert_length", {"value": 5, "from_unit": "km", "to_unit": "mi"}
        )
        assert km.output == "5 km = 3.10686 mi"
        block = manager.prompt_block()
        assert "### time" in block and "- celsius_to_fahrenheit(celsius*)" in block
    finally:
        await manager.shutdown()


async def test_the_example_creature_runs_a_scripted_turn_through_the_meta_tools():
    pytest.importorskip("mcp", reason="needs the 'mcp' package ([mcp] extra)")
    from mcp_helpers import TIME_SERVER

    from kohakuterrarium.testing import ScriptEntry

    if TIME_SERVER is None:
        pytest.skip("mcp-server-time is not installed (dev extra)")
    config = load_agent_config(DEMO)
    config.mcp_servers = [
        {**s, "command": sys.executable} if s["command"] == "python" else s
        for s in config.mcp_servers
    ]

    def call(name, **args):
        return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])

    llm = ScriptedLLM(
        [
            call("mcp_list"),
            call("mcp_call", server="units", tool="celsius_to_fahrenheit", args={"celsius": 100}),
            call("mcp_call", server="time", tool="get_current_time", args={"timezone": "UTC"}),
            "100 °C is 212 °F.",
        ]
    )
    async with Agent(config, llm=llm) as agent:
        result = await agent.run("How hot is boiling water in Fahrenheit, and what time is it?")
    assert result.ok and result.text == "100 °C is 212 °F."
    listed, units, time_call = result.tool_calls
    assert "celsius_to_fahrenheit" in listed.result and "get_current_time" in listed.result
    assert "212" in units.result
    assert units.status == time_call.status == "ok"
