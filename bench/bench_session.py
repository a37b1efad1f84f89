"""Session persistence benchmarks: per-turn overhead, file growth, replay and search speed.

Run: ``python bench/bench_session.py``. Prints figures; asserts nothing.

- CPU per turn with and without a session, at turn 10 and turn 1000 (Part C 26: the session's
  cost must not grow with history);
- file size per turn (early vs late: each event is written once);
- ``SessionReader.turns()`` over 1000 turns;
- appending 100 000 events straight to a store, and FTS queries over them.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def _row(name: str, value: str, target: str = "", note: str = "") -> None:
    print(f"{name:<52} {value:>14}  {('target ' + target) if target else '':<18} {note}")


def _file_size(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.stat().st_size


def _make_agent(session: Path | None):
    from kohakuterrarium.core.agent import Agent
    from kohakuterrarium.core.config_types import AgentConfig
    from kohakuterrarium.testing import ScriptedLLM, ScriptEntry

    agent = Agent(
        AgentConfig(name="bench", system_prompt="Bench.", tool_format="native"),
        llm=ScriptedLLM([ScriptEntry("OK, noted: the answer is forty-two.")]),
    )
    if session is not None:
        from kohakuterrarium.session.attach import attach_session

        attach_session(agent, session)
    return agent


async def _cpu_per_turn(agent, turns: int, early: range, late: range) -> tuple[float, float]:
    samples: dict[int, int] = {}
    for i in range(1, turns + 1):
        t0 = time.process_time_ns()
        await agent.run(f"turn {i}: please remember item {i}")
        samples[i] = time.process_time_ns() - t0
    return (
        statistics.median(samples[i] for i in early) / 1000,
        statistics.median(samples[i] for i in late) / 1000,
    )


async def bench_overhead(tmp: Path) -> Path:
    """CPU per turn with and without a session; returns the 1000-turn session file."""
    early, late = range(11, 111), range(901, 1001)
    gc.collect()
    gc.freeze()
    plain = _make_agent(None)
    await plain.start()
    p_early, p_late = await _cpu_per_turn(plain, 1000, early, late)
    await plain.stop()

    path = tmp / "overhead.kohakutr"
    agent = _make_agent(path)
    await agent.start()
    s_early, s_late = await _cpu_per_turn(agent, 1000, early, late)
    await agent.stop()
    gc.unfreeze()
    _row("CPU per plain turn, no session, turns 11-110", f"{p_early:.1f} µs")
    _row("CPU per plain turn, no session, turns 901-1000", f"{p_late:.1f} µs")
    _row("CPU per plain turn, with session, turns 11-110", f"{s_early:.1f} µs")
    _row(
        "CPU per plain turn, with session, turns 901-1000",
        f"{s_late:.1f} µs",
        "within 10 %",
        f"({(s_late / s_early - 1) * 100:+.1f} % vs turns 11-110)",
    )
    _row("session overhead per turn, turns 11-110", f"{s_early - p_early:.1f} µs")
    _row("session overhead per turn, turns 901-1000", f"{s_late - p_late:.1f} µs")
    return path


def bench_raw_floor(tmp: Path) -> None:
    """The floor: the same rows per turn with bare sqlite3 (no FTS, no JSON), one commit each."""
    conn = sqlite3.connect(tmp / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE ev(id INTEGER PRIMARY KEY, agent TEXT, seq INT, type TEXT, data TEXT)"
    )
    conn.execute("CREATE UNIQUE INDEX ev_seq ON ev(agent, seq)")
    conn.execute("CREATE TABLE roll(agent TEXT, turn INT, tokens INT, PRIMARY KEY(agent, turn))")
    samples = []
    seq = 0
    for i in range(1, 1001):
        t0 = time.process_time_ns()
        conn.execute("BEGIN")
        for kind in ("user_message", "token_usage", "assistant_message", "turn_end"):
            seq += 1
            conn.execute(
                "INSERT INTO ev(agent, seq, type, data) VALUES ('a', ?, ?, '{}')", (seq, kind)
            )
        conn.execute("INSERT INTO roll VALUES ('a', ?, 5)", (i,))
        conn.execute("COMMIT")
        samples.append(time.process_time_ns() - t0)
    conn.close()
    _row(
        "raw sqlite floor: 5 inserts + commit per turn",
        f"{statistics.median(samples) / 1000:.1f} µs",
    )


def bench_file_growth(tmp: Path) -> None:
    from kohakuterrarium.session.store import SessionStore

    path = tmp / "growth.kohakutr"
    store = SessionStore(path)
    sizes = {0: _file_size(path)}
    for i in range(1, 1001):
        store.append_event("a", "user_message", {"role": "user", "content": f"turn {i} input"})
        store.append_event("a", "token_usage", {"prompt_tokens": 100 + i, "completion_tokens": 9})
        store.append_event("a", "assistant_message", {"role": "assistant", "content": f"reply {i}"})
        store.append_event("a", "turn_end", {"status": "ok"}, turn_index=i)
        store.record_turn("a", i, tokens_in=100 + i, tokens_out=9)
        store.flush()
        if i in (100, 900):
            sizes[i] = _file_size(path)
    store.close()
    sizes[1000] = _file_size(path)
    first = (sizes[100] - sizes[0]) / 100
    last = (sizes[1000] - sizes[900]) / 100
    _row("file size per turn, turns 1-100", f"{first:.0f} B")
    _row("file size per turn, turns 901-1000", f"{last:.0f} B", "<= +20 %")
    _row("empty session file", f"{sizes[0] / 1024:.0f} KiB")


def bench_reader(path: Path) -> None:
    from kohakuterrarium.session.reader import SessionReader

    times = []
    count = 0
    for _ in range(5):
        t0 = time.perf_counter()
        with SessionReader(path) as reader:
            count = sum(1 for _ in reader.turns())
        times.append(time.perf_counter() - t0)
    _row(f"SessionReader.turns() over {count} turns", f"{statistics.median(times) * 1000:.1f} ms")
    t0 = time.perf_counter()
    with SessionReader(path) as reader:
        conversation = reader.load_conversation("bench")
    _row(
        f"load_conversation ({len(conversation)} messages)",
        f"{(time.perf_counter() - t0) * 1000:.1f} ms",
    )


def bench_search(tmp: Path) -> None:
    from kohakuterrarium.session.reader import SessionReader
    from kohakuterrarium.session.store import SessionStore

    words = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
    ]
    path = tmp / "search.kohakutr"
    n = 100_000
    store = SessionStore(path)
    t0 = time.process_time()
    for i in range(n):
        text = f"event {i} {words[i % 12]} {words[(i * 7) % 12]} payload number {i % 997}"
        if i == n // 2:
            text += " zanzibar"
        role = "user" if i % 2 else "assistant"
        store.append_event("a", f"{role}_message", {"role": role, "content": text})
    store.close()
    cpu = time.process_time() - t0
    _row(f"append_event x {n} (with FTS indexing)", f"{cpu / n * 1e6:.1f} µs/event")
    _row(f"file size for {n} events", f"{_file_size(path) / 1e6:.1f} MB")
    with SessionReader(path) as reader:
        for label, query in (
            ("rare word", "zanzibar"),
            ("common word", "alpha"),
            ("two words", "bravo golf"),
            ("punctuation", 'payload "number 5" (alpha)'),
        ):
            reader.search(query)  # warm the page cache
            times = []
            for _ in range(7):
                t0 = time.perf_counter()
                hits = reader.search(query, k=10)
                times.append(time.perf_counter() - t0)
            _row(
                f"FTS over {n} events: {label} ({len(hits)} hits)",
                f"{statistics.median(times) * 1000:.2f} ms",
            )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        os.environ.setdefault("KT_CONFIG_DIR", str(tmp / "home"))
        session = await bench_overhead(tmp)
        bench_raw_floor(tmp)
        bench_file_growth(tmp)
        bench_reader(session)
        bench_search(tmp)


if __name__ == "__main__":
    asyncio.run(main())
