"""Sub-agents declared in creature configs: builtins, inline definitions, overrides."""

from __future__ import annotations

import pytest

from kohakuterrarium import Agent, tool
from kohakuterrarium.builtins.subagents import BUILTIN_SUBAGENTS
from kohakuterrarium.core.result import TextChunk
from kohakuterrarium.errors import ConfigError, UnknownKeyError
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return {"capital": "Paris"}.get(key, "unknown")


def call(name: str, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])


def test_every_builtin_subagent_named_by_the_contract_exists():
    for name in ("explore", "plan", "worker", "critic", "summarize", "research"):
        spec = BUILTIN_SUBAGENTS[name]
        assert spec.description and spec.system_prompt and spec.background


async def test_builtin_subagents_load_from_config_with_overrides():
    agent = await Agent.build(
        {
            "name": "boss",
            "subagents": [
                "explore",
                {"name": "critic", "type": "builtin", "extra_prompt": "Be terse."},
                {"name": "summarize", "max_turns": 3},
            ],
        },
        llm="scripted",
    )
    assert agent.subagents == ["explore", "critic", "summarize"]
    critic = agent.registry.subagents["critic"]
    assert critic.system_prompt.endswith("Be terse.")
    assert agent.registry.subagents["summarize"].max_turns == 3
    prompt = agent.get_system_prompt()
    assert "## Available Sub-Agents" in prompt and "`explore`" in prompt


async def test_inline_subagent_runs_with_its_tools_and_reports_back(tmp_path):
    (tmp_path / "helper.md").write_text("You look things up.")
    llm = ScriptedLLM(
        [
            call("helper", task="find the capital", run_in_background=False),
            call("lookup", key="capital"),
            "It is Paris.",
            "The helper says: Paris.",
        ]
    )
    agent = await Agent.build(
        {
            "name": "boss",
            "controller": {"tool_format": "native"},
            "subagents": [
                {
                    "name": "helper",
                    "type": "custom",
                    "prompt_file": "helper.md",
                    "tools": ["lookup"],
                    "description": "Looks things up.",
                }
            ],
        },
        llm=llm,
        tools=[lookup],
        pwd=tmp_path,
    )
    assert agent.registry.subagents["helper"].system_prompt == "You look things up."
    async with agent:
        events = [e async for e in agent.run_stream("capital?")]
    result = events[-1].result
    assert result.text == "The helper says: Paris."
    child_text = "".join(
        e.text for e in events if isinstance(e, TextChunk) and e.path == ("boss", "helper")
    )
    assert child_text == "It is Paris."
    history = agent.subagent_history["helper"]
    assert history[0]["content"].startswith("You look things up.")
    assert history[-1]["content"] == "It is Paris."


async def test_background_subagent_result_continues_the_turn():
    llm = ScriptedLLM(
        [
            call("summarize", task="sum up: a, b"),
            "Started the summary.",
            "a and b",
            "Summary: a and b",
        ]
    )
    agent = await Agent.build(
        {"name": "boss", "controller": {"tool_format": "native"}, "subagents": ["summarize"]},
        llm=llm,
    )
    async with agent:
        result = await agent.run("summarise please")
    assert result.text == "Summary: a and b"
    assert "[Sub-agent agent_summarize_" in llm.call_log[3][-1]["content"]


async def test_stateful_subagent_keeps_its_conversation_between_tasks():
    llm = ScriptedLLM(
        [
            call("mem", task="remember 7", run_in_background=False),
            "noted",
            "ok",
            call("mem", task="what number?", run_in_background=False),
            "7",
            "it was 7",
        ]
    )
    agent = await Agent.build(
        {
            "name": "boss",
            "controller": {"tool_format": "native"},
            "subagents": [{"name": "mem", "system_prompt": "Remember.", "stateless": False}],
        },
        llm=llm,
    )
    async with agent:
        await agent.run("first")
        result = await agent.run("second")
    assert result.text == "it was 7"
    second_child_call = llm.call_log[4]
    assert [m["content"] for m in second_child_call if m["role"] == "user"] == [
        "remember 7",
        "what number?",
    ]


async def test_bad_subagent_entries_fail_at_build():
    with pytest.raises(ConfigError) as err:
        await Agent.build({"name": "x", "subagents": ["explorer"]}, llm="scripted")
    assert "explore" in str(err.value)
    with pytest.raises(UnknownKeyError) as err:
        await Agent.build(
            {"name": "x", "subagents": [{"name": "plan", "max_turn": 3}]}, llm="scripted"
        )
    assert "max_turns" in str(err.value)
