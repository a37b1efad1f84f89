"""The example creatures load, validate and run with the scripted LLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from kohakuterrarium import Agent
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry

CREATURES = Path(__file__).resolve().parents[1] / "examples" / "creatures"


def call(name: str, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])


@pytest.mark.parametrize("name", ["assistant", "coder", "researcher"])
async def test_example_creature_builds_and_answers(name, tmp_path):
    agent = await Agent.build(CREATURES / name, llm=ScriptedLLM(["Hello."]), pwd=tmp_path)
    assert agent.get_system_prompt().startswith(f"You are {name}")
    async with agent:
        assert (await agent.run("hi")).text == "Hello."


async def test_coder_edits_a_file_and_runs_a_command(tmp_path):
    (tmp_path / "app.py").write_text("print('helo')\n")
    llm = ScriptedLLM(
        [
            call("read", path="app.py"),
            call("edit", path="app.py", old="helo", new="hello"),
            call("bash", command="python app.py"),
            "Fixed the typo; it prints hello.",
        ]
    )
    agent = await Agent.build(CREATURES / "coder", llm=llm, pwd=tmp_path)
    assert {"explore", "plan", "critic"} <= set(agent.subagents)
    async with agent:
        result = await agent.run("fix the typo in app.py")
    assert result.ok and [c.status for c in result.tool_calls] == ["ok", "ok", "ok"]
    assert (tmp_path / "app.py").read_text() == "print('hello')\n"
    assert "hello" in result.tool_calls[2].result


async def test_researcher_delegates_to_a_sub_agent(tmp_path):
    llm = ScriptedLLM(
        [
            call("summarize", task="Summarise: tea came from China.", run_in_background=False),
            "Tea originated in China.",
            "Summary: tea originated in China.",
        ]
    )
    agent = await Agent.build(CREATURES / "researcher", llm=llm, pwd=tmp_path)
    async with agent:
        result = await agent.run("Where does tea come from?")
    assert result.text == "Summary: tea originated in China."
    assert result.tool_calls[0].name == "summarize" and result.tool_calls[0].status == "ok"
