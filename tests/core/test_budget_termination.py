"""Budgets (tokens, tool calls) and termination conditions."""

from __future__ import annotations

import pytest

from kohakuterrarium import Agent, tool
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.core.termination import TerminationDecision
from kohakuterrarium.errors import AgentStateError, BudgetExceeded, UnknownKeyError
from kohakuterrarium.modules.plugin.base import BasePlugin
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


@tool
def noop() -> str:
    """Do nothing."""
    return "done"


def calls(n: int) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": "noop", "arguments": {}} for _ in range(n)])


def make(script, **config) -> tuple[Agent, ScriptedLLM]:
    llm = ScriptedLLM(script)
    return Agent(AgentConfig(name="b", tool_format="native", **config), llm=llm, tools=[noop]), llm


async def test_turn_tool_call_budget_refuses_the_extra_call_and_ends_the_turn():
    agent, _ = make([calls(3), "next turn"], budget={"turn_tool_calls": 2})
    async with agent:
        result = await agent.run("go")
        assert result.status == "error" and isinstance(result.error, BudgetExceeded)
        statuses = [c.status for c in result.tool_calls]
        assert statuses.count("ok") == 2 and statuses.count("error") == 1
        refused = next(c for c in result.tool_calls if c.status == "error")
        assert "budget" in refused.result
        # Every call got a result, and the agent goes on.
        assert (await agent.run("again")).text == "next turn"


async def test_token_budgets_per_turn_and_per_agent():
    big = {"prompt_tokens": 60, "completion_tokens": 10}
    agent, _ = make([ScriptEntry("a", usage=big)] * 3, budget={"turn_tokens": 50})
    async with agent:
        result = await agent.run("go")
    assert result.status == "error" and result.error.budget == "turn_tokens"
    assert result.text == "a"  # the text produced before the cap is kept

    agent, _ = make([ScriptEntry("a", usage=big)] * 3, budget={"total_tokens": 100})
    async with agent:
        assert (await agent.run("one")).ok
        second = await agent.run("two")
    assert second.status == "error" and second.error.budget == "total_tokens"


async def test_max_turns_and_keyword_termination():
    agent, _ = make(["one", "two", "three"], termination={"max_turns": 2})
    async with agent:
        await agent.run("a")
        assert agent.terminated is None
        await agent.run("b")
        assert agent.terminated and "2" in agent.terminated
        with pytest.raises(AgentStateError, match="terminated"):
            await agent.run("c")

    agent, _ = make(["working", "ALL DONE now"], termination={"keywords": ["ALL DONE"]})
    async with agent:
        await agent.run("a")
        assert agent.terminated is None
        await agent.run("b")
        assert agent.terminated


async def test_plugin_termination_vote():
    class StopAtTwo(BasePlugin):
        name = "stop_at_two"

        def contribute_termination_check(self):
            return lambda ctx: TerminationDecision(ctx.turn_count >= 2, "enough")

    llm = ScriptedLLM(["x"])
    agent = Agent(AgentConfig(name="p"), llm=llm, plugins=[StopAtTwo()])
    async with agent:
        await agent.run("1")
        await agent.run("2")
    assert agent.terminated and "enough" in agent.terminated


def test_unknown_budget_and_termination_keys():
    with pytest.raises(UnknownKeyError, match="turn_tokens"):
        Agent(AgentConfig(name="x", budget={"turn_token": 5}), llm="scripted")
    with pytest.raises(UnknownKeyError, match="max_turns"):
        Agent(AgentConfig(name="x", termination={"max_turn": 5}), llm="scripted")
