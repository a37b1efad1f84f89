"""``SessionStore``: the writer of a ``.kohakutr`` session file.

>>> with SessionStore("run.kohakutr") as store:                       # doctest: +SKIP
...     store.append_event("helper", "user_message", {"role": "user", "content": "hi"})
...     store.state["plugin:budget:spent"] = 0.12
...     store.search("hi")

Every event is written once, to the append-only ``events`` table, and indexed for full-text
search in the same transaction. Writes are batched: they go into an open transaction that is
committed every ``batch_events`` writes, ``batch_ms`` after the first uncommitted one, on
:meth:`flush` (the session layer flushes at every turn end) and on :meth:`close`. A crash loses at
most the uncommitted batch; WAL mode means it never corrupts the file. The per-event cost does
not depend on how long the session already is.

One writer per file: open a second process's view with :class:`SessionReader` instead.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import SessionError
from kohakuterrarium.session import queries, schema
from kohakuterrarium.session.paths import default_session_dir, new_session_path
from kohakuterrarium.session.records import (
    ChannelMessage,
    SearchHit,
    SessionEvent,
    TurnRollup,
)
from kohakuterrarium.session.state import StateView, dumps_lenient, dumps_strict
from kohakuterrarium.session.text import MAX_INDEXED_CHARS, content_text, event_text

DEFAULT_BATCH_EVENTS = 32
"""Commit after this many buffered writes."""
DEFAULT_BATCH_MS = 200.0
"""Commit at the latest this long after the first buffered write (when an event loop runs)."""

_OPEN_STORES: weakref.WeakSet[SessionStore] = weakref.WeakSet()


class SessionStore:
    """Read-write access to one session file (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        batch_events: int = DEFAULT_BATCH_EVENTS,
        batch_ms: float = DEFAULT_BATCH_MS,
    ) -> None:
        self._path = Path(path).expanduser().absolute()
        if not self._path.exists():
            if not create:
                raise SessionError(f"{self._path}: no such session file")
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SessionError(f"{self._path}: cannot create its folder ({exc})") from exc
        elif self._path.is_dir():
            raise SessionError(f"{self._path}: is a folder, not a session file")
        self.batch_events = max(1, int(batch_events))
        """Commit after this many buffered writes."""
        self.batch_ms = float(batch_ms)
        """Commit at the latest this many milliseconds after the first buffered write."""
        self._conn = schema.connect_writer(self._path)
        try:
            schema.migrate(self._conn, self._path)
            self._last_event_id = int(
                self._conn.execute("SELECT COALESCE(MAX(event_id), 0) FROM events").fetchone()[0]
            )
        except BaseException:
            self._conn.close()
            raise
        self._lock = threading.RLock()
        self._in_tx = False
        self._pending = 0
        self._tx_started = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._seq: dict[str, int] = {}
        self._channel_seq: dict[str, int] = {}
        self._closed = False
        self.state = StateView(self)
        """Key -> JSON value, written through (plugins use ``plugin:<name>:<key>`` keys)."""
        _OPEN_STORES.add(self)

    # ------------------------------------------------------------------ basics

    @property
    def path(self) -> Path:
        """The session file."""
        return self._path

    @property
    def last_event_id(self) -> int:
        """Id of the newest event written (0 when there is none)."""
        return self._last_event_id

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SessionStore({str(self._path)!r})"

    def flush(self) -> None:
        """Commit every buffered write now."""
        with self._lock:
            if self._in_tx and not self._closed:
                self._commit()

    def close(self) -> None:
        """Commit and close (idempotent)."""
        with self._lock:
            if self._closed:
                return
            try:
                if self._in_tx:
                    self._commit()
            finally:
                self._closed = True
                self._conn.close()
                _OPEN_STORES.discard(self)

    # ------------------------------------------------------------------ events

    def append_event(
        self,
        agent: str,
        kind: str,
        data: dict[str, Any],
        *,
        turn_index: int | None = None,
        ts: float | None = None,
    ) -> int:
        """Append one event and return its ``event_id``. Never rewrites earlier events.

        Values that are not JSON are stored as their ``str()`` so that recording can never
        break the agent.
        """
        payload = dumps_lenient(data)
        text = event_text(kind, data)
        when = time.time() if ts is None else ts
        with self._lock:
            self._begin()
            try:
                seq = self._next_seq(agent)
                cur = self._conn.execute(
                    "INSERT INTO events(agent, seq, type, turn_index, ts, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (agent, seq, kind, turn_index, when, payload),
                )
                event_id = int(cur.lastrowid or 0)
                if text:
                    self._conn.execute(
                        "INSERT INTO events_fts(rowid, text) VALUES (?, ?)", (event_id, text)
                    )
            except sqlite3.Error as exc:
                raise self._error("writing an event", exc) from exc
            self._seq[agent] = seq
            self._last_event_id = event_id
            self._wrote()
        return event_id

    def get_events(
        self,
        agent: str | None = None,
        *,
        kinds: Iterable[str] | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[SessionEvent]:
        """Events in write order (each also reads as a flat dict: ``ev["type"]``, ``ev["content"]``)."""
        with self._lock:
            self._check_open()
            return list(queries.events(self._conn, agent, kinds=kinds, after=after, limit=limit))

    def get_all_events(self) -> list[SessionEvent]:
        return self.get_events()

    # ------------------------------------------------------------------ meta

    def set_meta(self, key: str, value: Any) -> None:
        self._put("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", key, value)

    def get_meta(self, key: str, default: Any = None) -> Any:
        with self._lock:
            self._check_open()
            value = queries.meta_value(self._conn, key)
        return default if value is None else value

    @property
    def meta(self) -> dict[str, Any]:
        """A copy of every meta key."""
        with self._lock:
            self._check_open()
            return queries.meta(self._conn)

    def load_meta(self) -> dict[str, Any]:
        return self.meta

    # ------------------------------------------------------------------ conversation

    def write_snapshot(
        self, agent: str, messages: list[dict[str, Any]], upto_event_id: int | None = None
    ) -> None:
        """Store ``messages`` as the agent's conversation up to ``upto_event_id`` (default: now).

        Costs O(len(messages)): write one only when replaying events would not rebuild the
        conversation (after compaction, a clear, or a trim), never on every turn.
        """
        body = dumps_lenient(messages)
        with self._lock:
            upto = self._last_event_id if upto_event_id is None else int(upto_event_id)
            self._exec(
                "INSERT OR REPLACE INTO conversation_snapshots(agent, upto_event_id, ts, messages)"
                " VALUES (?, ?, ?, ?)",
                (agent, upto, time.time(), body),
            )

    def load_conversation(self, agent: str) -> list[dict[str, Any]]:
        """Latest snapshot plus every message event after it (see :func:`queries.load_conversation`)."""
        with self._lock:
            self._check_open()
            return queries.load_conversation(self._conn, agent)

    # ------------------------------------------------------------------ turns

    def record_turn(
        self,
        agent: str,
        turn_index: int,
        *,
        started_at: float | None = None,
        ended_at: float | None = None,
        tokens_in: int = 0,
        tokens_out: int = 0,
        tokens_cached: int = 0,
        cost_usd: float | None = None,
        tool_calls: int = 0,
        has_error: bool = False,
        status: str | None = None,
    ) -> None:
        """Add one turn's counters to its ``turn_rollup`` row.

        Counters add up when the row exists: trigger-driven cycles reuse the index of the turn
        they follow.
        """
        self._exec(
            "INSERT INTO turn_rollup(agent, turn_index, started_at, ended_at, tokens_in, "
            "tokens_out, tokens_cached, cost_usd, tool_calls, has_error, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(agent, turn_index) DO UPDATE SET "
            "started_at = COALESCE(started_at, excluded.started_at), "
            "ended_at = COALESCE(excluded.ended_at, ended_at), "
            "tokens_in = tokens_in + excluded.tokens_in, "
            "tokens_out = tokens_out + excluded.tokens_out, "
            "tokens_cached = tokens_cached + excluded.tokens_cached, "
            "cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN cost_usd "
            "ELSE COALESCE(cost_usd, 0) + excluded.cost_usd END, "
            "tool_calls = tool_calls + excluded.tool_calls, "
            "has_error = MAX(has_error, excluded.has_error), "
            "status = COALESCE(excluded.status, status)",
            (
                agent,
                int(turn_index),
                started_at,
                ended_at,
                int(tokens_in),
                int(tokens_out),
                int(tokens_cached),
                cost_usd,
                int(tool_calls),
                int(bool(has_error)),
                status,
            ),
        )

    def list_turn_rollups(self, agent: str | None = None) -> list[TurnRollup]:
        with self._lock:
            self._check_open()
            return queries.turn_rollups(self._conn, agent)

    # ------------------------------------------------------------------ channels

    def append_channel_message(
        self,
        channel: str,
        sender: str,
        content: Any,
        *,
        ts: float | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Record a message sent on ``channel``; returns its ``message_id``. Indexed for search."""
        text = content_text(content)
        extra = dumps_lenient(data or {})
        when = time.time() if ts is None else ts
        with self._lock:
            self._begin()
            try:
                seq = self._next_channel_seq(channel)
                cur = self._conn.execute(
                    "INSERT INTO channels(channel, seq, sender, ts, content, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (channel, seq, sender, when, text, extra),
                )
                message_id = int(cur.lastrowid or 0)
                if text:
                    self._conn.execute(
                        "INSERT INTO channels_fts(rowid, text) VALUES (?, ?)",
                        (message_id, text[:MAX_INDEXED_CHARS]),
                    )
            except sqlite3.Error as exc:
                raise self._error("writing a channel message", exc) from exc
            self._channel_seq[channel] = seq
            self._wrote()
        return message_id

    def get_channel_messages(self, channel: str) -> list[ChannelMessage]:
        with self._lock:
            self._check_open()
            return queries.channel_messages(self._conn, channel)

    def list_channels(self) -> list[str]:
        with self._lock:
            self._check_open()
            return queries.channel_names(self._conn)

    # ------------------------------------------------------------------ sub-agents, jobs, artifacts

    def record_subagent_run(self, parent_agent: str, job_id: str, name: str, **fields: Any) -> None:
        """Create or update a sub-agent run (fields: turn_index, task, status, result,
        started_at, ended_at, data)."""
        allowed = {"turn_index", "task", "status", "result", "started_at", "ended_at", "data"}
        unknown = set(fields) - allowed
        if unknown:
            raise SessionError(f"record_subagent_run: unknown fields {sorted(unknown)}")
        if "data" in fields:
            fields["data"] = dumps_lenient(fields["data"])
        cols = ["parent_agent", "job_id", "name", *fields]
        updates = ", ".join(f"{c} = excluded.{c}" for c in ["name", *fields])
        self._exec(
            f"INSERT INTO subagent_runs({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(parent_agent, job_id) DO UPDATE SET {updates}",
            (parent_agent, job_id, name, *fields.values()),
        )

    def list_subagent_runs(self, parent_agent: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT parent_agent, job_id, name, turn_index, task, status, result, started_at, "
            "ended_at, data FROM subagent_runs"
        )
        params: tuple[Any, ...] = ()
        if parent_agent is not None:
            sql += " WHERE parent_agent = ?"
            params = (parent_agent,)
        cols = ("parent_agent", "job_id", "name", "turn_index", "task", "status", "result")
        with self._lock:
            self._check_open()
            rows = self._conn.execute(sql + " ORDER BY started_at", params).fetchall()
        return [
            {
                **dict(zip(cols, r[:7], strict=True)),
                "started_at": r[7],
                "ended_at": r[8],
                "data": json.loads(r[9]),
            }
            for r in rows
        ]

    def record_job(
        self, job_id: str, agent: str, name: str, status: str, data: dict[str, Any] | None = None
    ) -> None:
        """Create or update a job record."""
        self._exec(
            "INSERT OR REPLACE INTO jobs(job_id, agent, name, status, updated_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (job_id, agent, name, status, time.time(), dumps_lenient(data or {})),
        )

    def load_job(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            self._check_open()
            row = self._conn.execute(
                "SELECT job_id, agent, name, status, updated_at, data FROM jobs WHERE job_id = ?",
                (job_id,),
            ).fetchone()
        if row is None:
            return None
        keys = ("job_id", "agent", "name", "status", "updated_at")
        return {**dict(zip(keys, row[:5], strict=True)), "data": json.loads(row[5])}

    def put_artifact(self, name: str, data: bytes, *, mime: str | None = None) -> None:
        """Store a binary blob (generated image, oversized output) under ``name``."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SessionError(f"artifact {name!r}: expected bytes, got {type(data).__name__}")
        self._exec(
            "INSERT OR REPLACE INTO artifacts(name, mime, ts, data) VALUES (?, ?, ?, ?)",
            (name, mime, time.time(), bytes(data)),
        )

    def get_artifact(self, name: str) -> bytes | None:
        with self._lock:
            self._check_open()
            return queries.artifact(self._conn, name)

    # ------------------------------------------------------------------ memories

    def append_memory(
        self,
        content: str,
        *,
        agent: str | None = None,
        block_type: str = "memory",
        round_num: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Store a memory block written on purpose (a ``write_to_memory`` tool); indexed at once."""
        text = content_text(content)
        extra = dumps_lenient(data or {})
        with self._lock:
            self._begin()
            try:
                cur = self._conn.execute(
                    "INSERT INTO memories(agent, block_type, round_num, ts, content, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (agent, block_type, round_num, time.time(), text, extra),
                )
                memory_id = int(cur.lastrowid or 0)
                if text:
                    self._conn.execute(
                        "INSERT INTO memories_fts(rowid, text) VALUES (?, ?)",
                        (memory_id, text[:MAX_INDEXED_CHARS]),
                    )
            except sqlite3.Error as exc:
                raise self._error("writing a memory", exc) from exc
            self._wrote()
        return memory_id

    def get_memory(self, memory_id: int) -> dict[str, Any] | None:
        with self._lock:
            self._check_open()
            row = self._conn.execute(
                "SELECT memory_id, agent, block_type, round_num, ts, content, data FROM memories "
                "WHERE memory_id = ?",
                (memory_id,),
            ).fetchone()
        if row is None:
            return None
        keys = ("memory_id", "agent", "block_type", "round_num", "ts", "content")
        return {**json.loads(row[6]), **dict(zip(keys, row[:6], strict=True))}

    def count_memories(self) -> int:
        with self._lock:
            self._check_open()
            return int(self._conn.execute("SELECT count(*) FROM memories").fetchone()[0])

    # ------------------------------------------------------------------ search

    def search(
        self, query: str, k: int = 10, agent: str | None = None, *, memories: bool = False
    ) -> list[SearchHit]:
        """BM25-ranked full-text hits over messages and channel messages (and memory blocks).

        Any text is a valid query (words are quoted; punctuation is ignored).
        """
        with self._lock:
            self._check_open()
            return queries.search(self._conn, query, k, agent, memories=memories)

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise SessionError(f"{self._path}: the session store is closed")

    def _error(self, doing: str, exc: BaseException) -> SessionError:
        return SessionError(f"{self._path}: {doing} failed ({exc})")

    def _begin(self) -> None:
        self._check_open()
        if self._in_tx:
            return
        try:
            self._conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise self._error("starting a write", exc) from exc
        self._in_tx = True
        self._tx_started = time.monotonic()
        self._schedule_deadline()

    def _wrote(self) -> None:
        self._pending += 1
        if (
            self._pending >= self.batch_events
            or (time.monotonic() - self._tx_started) * 1000.0 >= self.batch_ms
        ):
            self._commit()

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error("committing", exc) from exc
        finally:
            # A failed COMMIT may leave the transaction open (busy) or rolled back (disk full).
            self._in_tx = self._conn.in_transaction
            self._pending = 0
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _schedule_deadline(self) -> None:
        # The time bound holds while an event loop runs in this thread; otherwise the next write,
        # a flush or close commits (and the attach layer flushes at every turn end).
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._timer = loop.call_later(self.batch_ms / 1000.0, self._deadline)

    def _deadline(self) -> None:
        with self._lock:
            self._timer = None
            if self._in_tx and not self._closed:
                try:
                    self._commit()
                except SessionError:
                    pass  # surfaced by the next write or flush, which retries the commit

    def _exec(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._begin()
            try:
                self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise self._error("writing", exc) from exc
            self._wrote()

    def _put(self, sql: str, key: str, value: Any) -> None:
        self._exec(sql, (key, dumps_strict(value, key)))

    def _next_seq(self, agent: str) -> int:
        last = self._seq.get(agent)
        if last is None:
            row = self._conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE agent = ?", (agent,)
            ).fetchone()
            last = int(row[0])
        return last + 1

    def _next_channel_seq(self, channel: str) -> int:
        last = self._channel_seq.get(channel)
        if last is None:
            row = self._conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM channels WHERE channel = ?", (channel,)
            ).fetchone()
            last = int(row[0])
        return last + 1


def _flush_open_stores() -> None:
    for store in list(_OPEN_STORES):
        try:
            store.flush()
        except Exception:  # exiting: nobody is left to report a failed commit to
            continue


atexit.register(_flush_open_stores)


__all__ = [
    "DEFAULT_BATCH_EVENTS",
    "DEFAULT_BATCH_MS",
    "SessionStore",
    "StateView",
    "default_session_dir",
    "new_session_path",
]
