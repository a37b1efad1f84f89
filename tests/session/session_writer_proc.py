"""A session writer run as a separate process by the session tests.

    python session_writer_proc.py PATH SEED [COUNT]

Writes a deterministic stream of message events (event ``i`` of agent ``w`` has content
:func:`content_for`), flushing after a seeded-random number of events and printing
``committed <last_event_id>`` after every flush. Every 500 events it also writes a conversation
snapshot. With COUNT it stops after that many events (sleeping a little now and then so a
reader can interleave); without, it loops until killed.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from kohakuterrarium.session.store import SessionStore

AGENT = "w"
SCRIPT = Path(__file__).resolve()


def writer_command(path: Path, seed: int, count: int | None = None) -> list[str]:
    """argv that runs this writer on ``path`` in a new process."""
    cmd = [sys.executable, str(SCRIPT), str(path), str(seed)]
    if count is not None:
        cmd.append(str(count))
    return cmd


def content_for(seq: int) -> str:
    """The content of the ``seq``-th message (1-based) written by this script."""
    return f"message {seq} about topic{seq % 7} " + "x" * (seq % 50)


def message_for(seq: int) -> dict[str, str]:
    role = "user" if seq % 2 else "assistant"
    return {"role": role, "content": content_for(seq)}


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else None
    rng = random.Random(seed)
    store = SessionStore(path)
    messages: list[dict[str, str]] = []
    next_flush = rng.randint(1, 60)
    seq = 0
    print("ready", flush=True)
    while count is None or seq < count:
        seq += 1
        msg = message_for(seq)
        store.append_event(AGENT, f"{msg['role']}_message", msg, turn_index=(seq + 1) // 2)
        messages.append(msg)
        if seq % 500 == 0:
            store.write_snapshot(AGENT, messages)
        next_flush -= 1
        if next_flush == 0:
            store.flush()
            print(f"committed {store.last_event_id}", flush=True)
            next_flush = rng.randint(1, 60)
        if count is not None and seq % 20 == 0:
            time.sleep(0.002)
    store.flush()
    print(f"committed {store.last_event_id}", flush=True)
    store.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
