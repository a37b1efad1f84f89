"""search_memory finds earlier turns of a recorded session."""

from __future__ import annotations

from kohakuterrarium import Agent
from kohakuterrarium.core.config_types import AgentConfig, ToolEntry
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


async def test_search_memory_finds_an_earlier_turn(tmp_path):
    llm = ScriptedLLM(
        [
            "The launch code word is marmalade.",
            ScriptEntry(
                tool_calls=[{"name": "search_memory", "arguments": {"query": "marmalade"}}]
            ),
            "Found it.",
        ]
    )
    config = AgentConfig(name="m", tool_format="native", tools=[ToolEntry("search_memory")])
    agent = Agent(config, llm=llm, session=tmp_path / "s.kohakutr")
    async with agent:
        await agent.run("remember a code word")
        result = await agent.run("what was the code word?")
    hit = result.tool_calls[0]
    assert hit.status == "ok" and "marmalade" in hit.result and "[round 1]" in hit.result


async def test_search_memory_without_a_session_is_a_clear_error():
    llm = ScriptedLLM(
        [
            ScriptEntry(tool_calls=[{"name": "search_memory", "arguments": {"query": "x"}}]),
            "ok",
        ]
    )
    config = AgentConfig(name="m", tool_format="native", tools=[ToolEntry("search_memory")])
    async with Agent(config, llm=llm) as agent:
        result = await agent.run("search")
    assert result.tool_calls[0].status == "error"
    assert (
        "no session" in result.tool_calls[0].result
        or "records no session" in result.tool_calls[0].result
    )
