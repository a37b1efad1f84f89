"""Recording a real Agent (scripted LLM, full loop) into a session file and reading it back."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kohakuterrarium import tool
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.core.subagent import SubAgentSpec
from kohakuterrarium.errors import SessionError
from kohakuterrarium.session.attach import attach_session
from kohakuterrarium.session.reader import SessionReader
from kohakuterrarium.session.store import SessionStore
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


@tool
def count_words(text: str) -> str:
    """Count the words in a text."""
    return str(len(text.split()))


def native_call(name: str, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])


async def build(script, session, *, name="t", **kwargs) -> Agent:
    config = AgentConfig(name=name, system_prompt="You test.", tool_format="native")
    return await Agent.build(
        config, llm=ScriptedLLM(script), tools=[count_words], session=session, **kwargs
    )


def snapshot_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM conversation_snapshots").fetchone()[0]
    finally:
        conn.close()


async def test_a_native_tool_call_turn_is_read_back_as_a_typed_turn(session_path: Path):
    agent = await build(
        [native_call("count_words", text="a b c"), "There are 3 words."], session_path
    )
    assert agent.session_store.path == session_path
    async with agent:
        result = await agent.run("How many words in 'a b c'?")
        live = [dict(m) for m in agent.conversation.messages[1:]]
        # Committed at turn end: another reader sees the turn while the agent is still up.
        with SessionReader(session_path) as reader:
            assert [t.index for t in reader.turns()] == [1]
            assert reader.status == "running"
            assert [h.type for h in reader.search("There are 3")] == ["assistant_message"]
    assert result.ok

    with SessionReader(session_path) as reader:
        [turn] = list(reader.turns())
        assert (turn.index, turn.agent, turn.status) == (1, "t", "ok")
        assert turn.user_text == "How many words in 'a b c'?"
        assert turn.assistant_text == "There are 3 words."
        [call] = turn.tool_calls
        assert (call.name, call.args, call.status, call.result) == (
            "count_words",
            {"text": "a b c"},
            "ok",
            "3",
        )
        assert turn.usage.total_tokens == result.usage.total_tokens > 0
        assert turn.started_at is not None and turn.ended_at >= turn.started_at
        assert reader.agents() == ["t"]
        meta = reader.meta
        assert meta["status"] == "completed" and reader.status == "completed"
        assert meta["agents"] == ["t"] and meta["llm"] == agent.llm_identifier()
        assert meta["pwd"] == str(agent.pwd) and meta["python_version"]
        assert {"session_id", "created_at", "hostname", "config_path"} <= set(meta)
        assert reader.load_conversation("t") == live
        assert [h.type for h in reader.search("words")][:1] in (
            ["user_message"],
            ["assistant_message"],
        )
        kinds = [e.type for e in reader.events("t")]
        assert "text_chunk" not in kinds and kinds.count("assistant_message") == 2
        assert {"tool_start", "tool_done", "token_usage", "turn_end"} <= set(kinds)
        [rollup] = reader.turn_rollups("t")
        assert (rollup.tool_calls, rollup.has_error) == (1, False)


async def test_auto_mints_a_file_under_the_home_sessions_dir(_isolated_home: Path):
    agent = await build(["hi"], "auto", name="helper")
    async with agent:
        await agent.run("hello")
    path = agent.session_store.path
    assert path.parent == _isolated_home / "sessions"
    assert path.name.startswith("helper_") and path.suffix == ".kohakutr"
    with SessionReader(path) as reader:
        assert [t.assistant_text for t in reader.turns()] == ["hi"]


async def test_a_store_passed_in_stays_open_for_its_owner(session_path: Path):
    with SessionStore(session_path) as store:
        agent = await build(["one"], store)
        async with agent:
            await agent.run("first")
        assert not store.closed
        store.state["after"] = True  # still usable after the agent stopped
        assert [e.type for e in store.get_events("t")][-1] == "turn_end"


async def test_an_agent_records_into_one_session_only(session_path: Path):
    agent = await build(["x"], session_path)
    with pytest.raises(SessionError, match="already records into"):
        attach_session(agent, session_path.with_name("other.kohakutr"))
    with pytest.raises(SessionError, match="must be a path, 'auto' or a SessionStore"):
        attach_session(await build(["x"], None), 42)
    await agent.stop()


async def test_per_turn_writes_do_not_depend_on_history(session_path: Path):
    agent = await build([f"reply {i}" for i in range(30)], session_path)
    async with agent:
        for i in range(30):
            await agent.run(f"message {i}")
    with SessionReader(session_path) as reader:
        per_turn: dict[int, list[str]] = {}
        for event in reader.events("t"):
            per_turn.setdefault(event.turn_index, []).append(event.type)
        assert len({tuple(kinds) for kinds in per_turn.values()}) == 1
        # Each message event holds that message only, never the history.
        last_user = [e for e in reader.events("t", ["user_message"])][-1]
        assert last_user.data == {"role": "user", "content": "message 29"}
    assert snapshot_count(session_path) == 0  # nothing rewrote the conversation


async def test_a_rebuilt_conversation_is_snapshotted_at_turn_end(session_path: Path):
    agent = await build(["before", "after"], session_path)
    async with agent:
        await agent.run("turn one")
        # What compaction does: the history becomes a summary.
        agent.conversation.replace([{"role": "user", "content": "summary of turn one"}])
        await agent.run("turn two")
        live = [dict(m) for m in agent.conversation.messages[1:]]
    assert snapshot_count(session_path) == 1
    with SessionReader(session_path) as reader:
        assert reader.load_conversation("t") == live
    assert live[0]["content"] == "summary of turn one" and live[-1]["content"] == "after"


async def test_scratchpad_writes_are_persisted(session_path: Path):
    agent = await build(["ok"], session_path)
    async with agent:
        agent.scratchpad.set("plan", "1. read")
        await agent.run("go")
        agent.scratchpad.set("plan", "2. edit")
        agent.scratchpad.set("note", "keep")
        agent.scratchpad.delete("plan")
    with SessionReader(session_path) as reader:
        writes = [(e["key"], e["value"]) for e in reader.events("t", ["scratchpad_write"])]
        assert writes == [
            ("plan", "1. read"),
            ("plan", "2. edit"),
            ("note", "keep"),
            ("plan", None),
        ]
        assert reader.state["t:scratchpad"] == {"note": "keep"}


async def test_an_earlier_scratchpad_hook_is_chained(tmp_path: Path):
    config = AgentConfig(name="t", tool_format="native")
    agent = Agent(config, llm=ScriptedLLM(["ok"]))
    seen = []
    agent.scratchpad.on_write = lambda k, v: seen.append((k, v))
    attachment = attach_session(agent, tmp_path / "s.kohakutr")
    agent.scratchpad.set("k", "v")
    assert seen == [("k", "v")]
    attachment.close()
    assert agent.scratchpad.on_write is not attachment.on_scratchpad_write
    agent.scratchpad.set("k2", "v2")
    assert seen[-1] == ("k2", "v2")


async def test_a_timed_out_turn_is_recorded_with_its_status(session_path: Path):
    slow = ScriptEntry("z" * 100, chunk_size=1, delay_per_chunk=0.01)
    agent = await build([slow], session_path)
    async with agent:
        result = await agent.run("slow please", timeout=0.1)
    assert result.status == "timeout"
    with SessionReader(session_path) as reader:
        [turn] = list(reader.turns())
        assert turn.status == "timeout" and turn.user_text == "slow please"
        [rollup] = reader.turn_rollups()
        assert rollup.has_error
        assert "turn_cancelled" in [e.type for e in reader.events("t")]


async def test_subagent_runs_are_recorded_and_their_calls_kept_apart(session_path: Path):
    spec = SubAgentSpec("helper", description="Helps.", tools=["count_words"])
    script = [
        native_call("helper", task="count a b", run_in_background=False),
        native_call("count_words", text="a b"),
        "helper says 2",
        "parent: the helper found 2",
    ]
    agent = await build(script, session_path, name="boss", subagents=[spec])
    async with agent:
        await agent.run("delegate")
    with SessionReader(session_path) as reader:
        [turn] = list(reader.turns())
        assert [(c.name, c.kind, c.result) for c in turn.tool_calls] == [
            ("helper", "subagent", "helper says 2")
        ]
        inner = [e for e in reader.events("boss", ["tool_done"])]
        assert inner and inner[0]["agent_path"] == ["boss", "helper"]
    with SessionStore(session_path) as store:
        [run] = store.list_subagent_runs("boss")
        assert (run["name"], run["task"], run["status"]) == ("helper", "count a b", "ok")


def test_a_session_whose_writer_died_reads_as_crashed(session_path: Path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with SessionStore(session_path) as store:
        store.set_meta("status", "running")
        store.set_meta("hostname", socket.gethostname())
        store.set_meta("writer_pid", int(dead.stdout))
    with SessionReader(session_path) as reader:
        assert reader.meta["status"] == "running"
        assert reader.status == "crashed"
