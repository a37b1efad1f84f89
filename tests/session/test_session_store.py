"""SessionStore: the writer of a .kohakutr file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kohakuterrarium.errors import SessionError
from kohakuterrarium.session import default_session_dir, new_session_path
from kohakuterrarium.session.reader import SessionReader
from kohakuterrarium.session.store import SessionStore


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def assistant(text: str, **extra) -> dict:
    return {"role": "assistant", "content": text, **extra}


def test_round_trip_of_events_meta_state_channels_and_artifacts(session_path: Path):
    with SessionStore(session_path) as store:
        first = store.append_event("a", "user_message", user("hello"), turn_index=1)
        second = store.append_event("b", "tool_start", {"name": "bash", "args": {"cmd": "ls"}})
        third = store.append_event("a", "assistant_message", assistant("hi"), turn_index=1)
        store.set_meta("config_path", "/x/config.yaml")
        store.state["plugin:budget:spent"] = {"usd": 0.25, "calls": [1, 2]}
        store.append_channel_message("tasks", "lead", "please review")
        store.put_artifact("plot.png", b"\x89PNG\x00\x01", mime="image/png")
    assert (first, second, third) == (1, 2, 3)

    with SessionStore(session_path, create=False) as store:
        events = store.get_events("a")
        assert [(e.event_id, e.seq, e.type, e.turn_index) for e in events] == [
            (1, 1, "user_message", 1),
            (3, 2, "assistant_message", 1),
        ]
        # Each event also reads as the flat dict plugins written for 1.x expect.
        assert events[0]["type"] == "user_message" and events[0]["content"] == "hello"
        assert store.get_events()[1].data == {"name": "bash", "args": {"cmd": "ls"}}
        assert store.get_meta("config_path") == "/x/config.yaml"
        assert store.state["plugin:budget:spent"] == {"usd": 0.25, "calls": [1, 2]}
        assert store.get_artifact("plot.png") == b"\x89PNG\x00\x01"
        assert store.get_artifact("missing") is None
        [msg] = store.get_channel_messages("tasks")
        assert (msg.sender, msg.content, msg.seq) == ("lead", "please review", 1)
        # Sequences continue after a reopen.
        assert store.append_event("a", "user_message", user("again")) == 4
        assert store.get_events("a")[-1].seq == 3


def test_get_events_filters_by_kind_after_and_limit(session_path: Path):
    with SessionStore(session_path) as store:
        for i in range(10):
            store.append_event("a", "user_message" if i % 2 else "token_usage", {"i": i})
        assert [e["i"] for e in store.get_events("a", kinds=["token_usage"])] == [0, 2, 4, 6, 8]
        assert [e["i"] for e in store.get_events(after=7)] == [7, 8, 9]
        assert [e["i"] for e in store.get_events("a", limit=2)] == [0, 1]
        assert store.get_events("a", kinds=[]) == []


def test_state_view_writes_through_and_behaves_like_a_dict(session_path: Path):
    with SessionStore(session_path) as store:
        state = store.state
        state["a"] = 1
        state["b"] = {"nested": [True, None]}
        assert "a" in state and "zzz" not in state
        assert sorted(state) == ["a", "b"] and len(state) == 2
        assert state.get("zzz") is None
        del state["a"]
        with pytest.raises(KeyError):
            state["a"]
        with pytest.raises(SessionError, match="'bad'"):
            state["bad"] = object()
        store.flush()
        with SessionReader(session_path) as reader:
            assert reader.state == {"b": {"nested": [True, None]}}


def test_writes_are_batched_and_flush_commits(session_path: Path):
    store = SessionStore(session_path, batch_events=5, batch_ms=60_000)
    try:
        for i in range(4):
            store.append_event("a", "token_usage", {"i": i})
        with SessionReader(session_path) as reader:
            assert list(reader.events()) == []  # nothing committed yet
        store.append_event("a", "token_usage", {"i": 4})  # the 5th write commits the batch
        with SessionReader(session_path) as reader:
            assert len(list(reader.events())) == 5
        store.append_event("a", "token_usage", {"i": 5})
        # The writer sees its own uncommitted write; flush makes it visible to others.
        assert len(store.get_events()) == 6
        store.flush()
        with SessionReader(session_path) as reader:
            assert len(list(reader.events())) == 6
    finally:
        store.close()


async def test_buffered_writes_are_committed_after_batch_ms_by_the_event_loop(
    session_path: Path,
):
    import asyncio

    with SessionStore(session_path, batch_events=1000, batch_ms=20) as store:
        store.append_event("a", "token_usage", {"i": 0})
        await asyncio.sleep(0.1)
        with SessionReader(session_path) as reader:
            assert len(list(reader.events())) == 1


def test_snapshot_plus_replay_rebuilds_the_conversation(session_path: Path):
    with SessionStore(session_path) as store:
        store.append_event("a", "user_message", user("one"))
        store.append_event("a", "assistant_message", assistant("first reply"))
        # Compaction replaced the history with a summary: a snapshot records that.
        store.write_snapshot("a", [user("summary of one")])
        store.append_event("a", "user_message", user("two"))
        store.append_event("a", "token_usage", {"prompt_tokens": 3})
        store.append_event("a", "assistant_message", assistant("draft"))
        store.append_event("a", "assistant_message_edited", {"content": "edited reply"})
        store.append_event("b", "user_message", user("other agent"))
        assert store.load_conversation("a") == [
            user("summary of one"),
            user("two"),
            assistant("edited reply"),
        ]
        assert store.load_conversation("b") == [user("other agent")]
        assert store.load_conversation("nobody") == []


def test_record_turn_adds_to_an_existing_rollup(session_path: Path):
    with SessionStore(session_path) as store:
        store.record_turn(
            "a", 1, started_at=10.0, ended_at=11.0, tokens_in=100, tokens_out=20, tool_calls=2
        )
        # A trigger-driven cycle reuses the turn index: its counters add up.
        store.record_turn(
            "a", 1, ended_at=15.0, tokens_in=50, cost_usd=0.5, has_error=True, status="error"
        )
        [row] = store.list_turn_rollups("a")
    assert (row.started_at, row.ended_at, row.tokens_in, row.tokens_out) == (10.0, 15.0, 150, 20)
    assert (row.tool_calls, row.cost_usd, row.has_error, row.status) == (2, 0.5, True, "error")


def test_subagent_runs_and_jobs_are_upserted(session_path: Path):
    with SessionStore(session_path) as store:
        store.record_subagent_run("a", "job1", "explore", task="look", status="running")
        store.record_subagent_run("a", "job1", "explore", status="ok", result="found it")
        [run] = store.list_subagent_runs("a")
        assert (run["task"], run["status"], run["result"]) == ("look", "ok", "found it")
        with pytest.raises(SessionError, match="unknown fields"):
            store.record_subagent_run("a", "job2", "x", colour="red")
        store.record_job("bash_1", "a", "bash", "running", {"args": {"cmd": "sleep 9"}})
        store.record_job("bash_1", "a", "bash", "ok")
        assert store.load_job("bash_1")["status"] == "ok"
        assert store.load_job("nope") is None


def test_event_payloads_that_are_not_json_are_stored_as_text(session_path: Path):
    class Opaque:
        def __str__(self) -> str:
            return "<opaque>"

    with SessionStore(session_path) as store:
        store.append_event("a", "tool_done", {"result": Opaque(), "paths": {Path("/x")}})
        [event] = store.get_events()
    assert event.data == {"result": "<opaque>", "paths": ["/x"]}


def test_a_closed_store_refuses_work(session_path: Path):
    store = SessionStore(session_path)
    store.close()
    store.close()  # idempotent
    with pytest.raises(SessionError, match="closed"):
        store.append_event("a", "user_message", user("late"))


def test_missing_file_without_create_names_the_path(tmp_path: Path):
    missing = tmp_path / "nope.kohakutr"
    with pytest.raises(SessionError, match=str(missing)):
        SessionStore(missing, create=False)
    assert not missing.exists()


def test_bad_files_raise_session_error_with_the_path(tmp_path: Path):
    text_file = tmp_path / "notes.kohakutr"
    text_file.write_text("this is not a database at all, just some words\n" * 50)
    with pytest.raises(SessionError, match=str(text_file)):
        SessionStore(text_file)
    with pytest.raises(SessionError, match=str(text_file)):
        SessionReader(text_file)
    assert text_file.read_text().startswith("this is not a database")  # untouched

    other_db = tmp_path / "other.db"
    conn = sqlite3.connect(other_db)
    conn.execute("CREATE TABLE users(id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(SessionError, match="not a KohakuTerrarium session"):
        SessionStore(other_db)
    with pytest.raises(SessionError, match="not a KohakuTerrarium session"):
        SessionReader(other_db)

    with pytest.raises(SessionError, match="is a folder"):
        SessionStore(tmp_path)
    with pytest.raises(SessionError, match="no such session file"):
        SessionReader(tmp_path / "absent.kohakutr")


def test_file_uses_wal_and_records_the_schema_version(session_path: Path):
    SessionStore(session_path).close()
    conn = sqlite3.connect(session_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        row = conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
        assert row == ("1",)
    finally:
        conn.close()


def test_default_dir_and_minted_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KT_CONFIG_DIR", str(tmp_path / "home"))
    assert default_session_dir() == tmp_path / "home" / "sessions"
    minted = new_session_path("my agent/v2")
    assert minted.parent == tmp_path / "home" / "sessions"
    stem, suffix = minted.name.rsplit("_", 1)
    assert stem == "my_agent_v2" and suffix.endswith(".kohakutr") and len(suffix) == 8 + 9
    assert new_session_path("x") != new_session_path("x")
    monkeypatch.delenv("KT_CONFIG_DIR")
    assert default_session_dir() == Path.home() / ".kohakuterrarium" / "sessions"


def test_writes_from_several_threads_are_serialised(session_path: Path):
    import threading

    with SessionStore(session_path, batch_events=7) as store:

        def worker(n: int) -> None:
            for i in range(200):
                store.append_event(f"agent{n % 2}", "token_usage", {"n": n, "i": i})
                if i % 50 == 0:
                    store.state[f"k{n}"] = i

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        store.flush()
        for agent in ("agent0", "agent1"):
            seqs = [e.seq for e in store.get_events(agent)]
            assert seqs == list(range(1, 401))
    with SessionReader(session_path) as reader:
        assert len(list(reader.events())) == 800
        assert reader.state == {"k0": 150, "k1": 150, "k2": 150, "k3": 150}
