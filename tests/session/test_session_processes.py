"""Two processes: a reader beside a live writer, and a writer killed at random moments."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from session_writer_proc import AGENT, content_for, message_for, writer_command

from kohakuterrarium.session.reader import SessionReader
from kohakuterrarium.session.store import SessionStore


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def test_reader_reads_consistent_data_while_another_process_writes(session_path: Path):
    session_path.parent.mkdir(parents=True)
    total = 3000
    proc = subprocess.Popen(
        writer_command(session_path, seed=7, count=total),
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        seen_counts: list[int] = []
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            with SessionReader(session_path) as reader:
                events = list(reader.events(AGENT))
                # Every committed event is whole and in order.
                for i, event in enumerate(events, start=1):
                    assert event.seq == i and event.data == message_for(i)
                if events:
                    last = len(events)
                    hits = reader.search(f"message {last}")
                    assert any(h.seq == last for h in hits)
            seen_counts.append(len(events))
            time.sleep(0.01)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert seen_counts == sorted(seen_counts)  # never goes backwards
    assert any(0 < n < total for n in seen_counts), seen_counts  # really read mid-write
    with SessionReader(session_path) as reader:
        assert len(list(reader.events(AGENT))) == total
        assert reader.load_conversation(AGENT) == [message_for(i) for i in range(1, total + 1)]


def _run_and_kill(path: Path, seed: int, rng: random.Random) -> int:
    """Start a looping writer, SIGKILL it at a random moment; the last committed event id."""
    proc = subprocess.Popen(
        writer_command(path, seed=seed), stdout=subprocess.PIPE, text=True, env=_env()
    )
    committed = [0]

    def read_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("committed "):
                committed[0] = int(line.split()[1])

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while committed[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert committed[0] > 0, "the writer never committed"
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return committed[0]


def test_a_writer_killed_at_random_times_never_loses_committed_events(tmp_path: Path):
    rng = random.Random(20240607)
    for attempt in range(10):
        path = tmp_path / f"crash{attempt}.kohakutr"
        last_committed = _run_and_kill(path, seed=attempt, rng=rng)

        with SessionReader(path) as reader:
            events = list(reader.events(AGENT))
            assert len(events) >= last_committed
            for i, event in enumerate(events, start=1):
                assert (event.event_id, event.seq) == (i, i)
                assert event.data == message_for(i)
            assert reader.load_conversation(AGENT) == [m.data for m in events]
            if events:
                assert any(h.seq == len(events) for h in reader.search(content_for(len(events))))

        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        # The writer can pick the file up again and continue the sequence.
        with SessionStore(path) as store:
            new_id = store.append_event(AGENT, "user_message", {"role": "user", "content": "after"})
            assert new_id == len(events) + 1
            assert store.get_events(AGENT)[-1].seq == len(events) + 1
