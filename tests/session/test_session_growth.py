"""Each event is written once: the file grows linearly with the number of turns (Part C 26)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kohakuterrarium.session.reader import SessionReader
from kohakuterrarium.session.store import SessionStore


def write_turn(store: SessionStore, i: int) -> None:
    """The events one native tool-call turn writes (see session.attach)."""
    call = {
        "id": f"call_{i}",
        "type": "function",
        "function": {"name": "read", "arguments": f'{{"path": "src/mod{i % 13}.py"}}'},
    }
    usage = {"prompt_tokens": 1200 + i, "completion_tokens": 40, "total_tokens": 1240 + i}
    store.append_event(
        "a",
        "user_message",
        {"role": "user", "content": f"step {i}: fix bug {i % 17}"},
        turn_index=i,
    )
    store.append_event("a", "token_usage", usage, turn_index=i)
    store.append_event(
        "a",
        "assistant_message",
        {"role": "assistant", "content": "", "tool_calls": [call]},
        turn_index=i,
    )
    store.append_event(
        "a",
        "tool_start",
        {"name": "read", "job_id": f"read_{i}", "args": {"path": "x"}},
        turn_index=i,
    )
    store.append_event(
        "a",
        "tool_done",
        {"name": "read", "job_id": f"read_{i}", "status": "ok", "result": "def f(): pass"},
        turn_index=i,
    )
    store.append_event(
        "a",
        "tool_message",
        {"role": "tool", "tool_call_id": f"call_{i}", "content": f"line {i}\n" * 5},
        turn_index=i,
    )
    store.append_event(
        "a",
        "assistant_message",
        {"role": "assistant", "content": f"Fixed bug {i % 17} in mod{i % 13}."},
        turn_index=i,
    )
    store.append_event("a", "turn_end", {"status": "ok", "usage": usage}, turn_index=i)
    store.record_turn(
        "a",
        i,
        started_at=float(i),
        ended_at=i + 0.5,
        tokens_in=1200 + i,
        tokens_out=40,
        tool_calls=1,
    )
    store.set_meta("last_active", float(i))
    store.flush()


def file_size(path: Path) -> int:
    """Main-file size once the WAL is folded back in."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.stat().st_size


def test_size_per_turn_does_not_grow_with_history(session_path: Path):
    sizes: dict[int, int] = {}
    store = SessionStore(session_path)
    try:
        sizes[0] = file_size(session_path)
        for i in range(1, 1001):
            write_turn(store, i)
            if i in (100, 900):
                sizes[i] = file_size(session_path)
    finally:
        store.close()
    sizes[1000] = file_size(session_path)
    first = (sizes[100] - sizes[0]) / 100
    last = (sizes[1000] - sizes[900]) / 100
    assert last <= first * 1.2, (first, last, sizes)

    with SessionReader(session_path) as reader:
        turns = list(reader.turns())
    assert len(turns) == 1000
    assert turns[-1].user_text == "step 1000: fix bug 14"
    assert turns[-1].assistant_text == "Fixed bug 14 in mod12."
    assert [c.name for c in turns[-1].tool_calls] == ["read"]
