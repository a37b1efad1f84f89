"""Each builtin sub-agent runs a scripted task with its own tools, on real files."""

from __future__ import annotations

from kohakuterrarium import Agent
from kohakuterrarium.builtins.subagents import BUILTIN_SUBAGENTS
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


def call(name: str, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])


async def run_subagent(name: str, child_script: list, tmp_path) -> tuple:
    llm = ScriptedLLM(
        [
            call(name, task="do it", run_in_background=False),
            *child_script,
            "parent done",
        ]
    )
    agent = await Agent.build(
        {"name": "boss", "controller": {"tool_format": "native"}, "subagents": [name]},
        llm=llm,
        pwd=tmp_path,
    )
    async with agent:
        result = await agent.run("delegate")
    sub_call = result.tool_calls[-1]
    return result, sub_call, agent.subagent_history[name]


async def test_worker_writes_and_edits_files(tmp_path):
    (tmp_path / "a.txt").write_text("old line\n")
    _, sub, _ = await run_subagent(
        "worker",
        [
            call("read", path="a.txt"),
            call("edit", path="a.txt", old="old", new="new"),
            call("write", path="b.txt", content="created\n"),
            call("bash", command="cat a.txt b.txt"),
            "edited a.txt, created b.txt",
        ],
        tmp_path,
    )
    assert sub.status == "ok" and sub.result == "edited a.txt, created b.txt"
    assert (tmp_path / "a.txt").read_text() == "new line\n"
    assert (tmp_path / "b.txt").read_text() == "created\n"


async def test_explore_and_plan_and_critic_read_without_writing(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("def target():\n    return 1\n")
    for name in ("explore", "plan", "critic"):
        spec = BUILTIN_SUBAGENTS[name]
        assert "write" not in spec.tools and "edit" not in spec.tools
        _, sub, history = await run_subagent(
            name,
            [
                call("grep", pattern="def target"),
                call("read", path="src/m.py"),
                f"{name}: target is in src/m.py line 1",
            ],
            tmp_path,
        )
        assert sub.status == "ok" and "src/m.py" in sub.result
        tool_results = [m["content"] for m in history if m["role"] == "tool"]
        assert any("m.py" in r for r in tool_results)
        assert any("return 1" in r for r in tool_results)


async def test_summarize_has_no_tools_and_reports(tmp_path):
    _, sub, history = await run_subagent("summarize", ["short summary"], tmp_path)
    assert sub.result == "short summary"
    assert "## Available Functions" not in history[0]["content"]


async def test_memory_write_then_memory_read(tmp_path):
    _, sub, _ = await run_subagent(
        "memory_write",
        [
            call("write", path="memory/facts.md", content="The sky is blue.\n"),
            "wrote memory/facts.md",
        ],
        tmp_path,
    )
    assert (tmp_path / "memory" / "facts.md").read_text() == "The sky is blue.\n"
    _, sub, _ = await run_subagent(
        "memory_read",
        [
            call("grep", pattern="sky", path="memory"),
            "memory says the sky is blue",
        ],
        tmp_path,
    )
    assert sub.status == "ok"


async def test_research_uses_its_scratchpad(tmp_path):
    _, sub, history = await run_subagent(
        "research",
        [
            call("scratchpad", action="set", key="q", value="tea origin"),
            call("scratchpad", action="get", key="q"),
            "noted",
        ],
        tmp_path,
    )
    assert sub.status == "ok"
    assert any(m["role"] == "tool" and "tea origin" in m["content"] for m in history)
