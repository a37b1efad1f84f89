"""``SessionReader``: read a session file, safely, while another process may be writing it.

>>> from kohakuterrarium import SessionReader                         # doctest: +SKIP
>>> with SessionReader("runs/student-42.kohakutr") as r:
...     for turn in r.turns():
...         print(turn.user_text, "->", turn.assistant_text[:80], turn.tool_calls)

The file is opened read-only (``mode=ro``); WAL mode lets a writer keep committing meanwhile.
Each call sees the file as of its first query; a later call sees newer commits.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from kohakuterrarium.errors import SessionError
from kohakuterrarium.llm.base import Usage
from kohakuterrarium.session import queries, schema
from kohakuterrarium.session.records import (
    ChannelMessage,
    SearchHit,
    SessionEvent,
    Turn,
    TurnRollup,
    TurnToolCall,
)
from kohakuterrarium.session.text import content_text

SearchMode = Literal["auto", "fts", "semantic", "hybrid"]

_TURN_TYPES = (
    "user_message",
    "assistant_message",
    "tool_start",
    "tool_done",
    "tool_error",
    "subagent_start",
    "subagent_done",
    "subagent_error",
    "token_usage",
    "turn_end",
)
_CALL_END = {"tool_done", "tool_error", "subagent_done", "subagent_error"}


class SessionReader:
    """Read-only view of one ``.kohakutr`` file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path).expanduser()
        self._conn: sqlite3.Connection | None = schema.connect_reader(self._path)
        try:
            schema.check_readable(self._conn, self._path)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ lifecycle

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SessionReader({str(self._path)!r})"

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise SessionError(f"{self._path}: the session reader is closed")
        return self._conn

    # ------------------------------------------------------------------ metadata

    @property
    def meta(self) -> dict[str, Any]:
        """Session metadata: agents, config_path, pwd, created_at, status, llm, ..."""
        return self._read(queries.meta)

    @property
    def status(self) -> str:
        """``running``, ``completed`` or ``crashed``.

        A file still marked running whose writer process is gone (same host) reads as crashed.
        """
        meta = self.meta
        status = str(meta.get("status") or "unknown")
        if status == "running" and meta.get("hostname") == socket.gethostname():
            pid = meta.get("writer_pid")
            if isinstance(pid, int) and not _pid_alive(pid):
                return "crashed"
        return status

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the ``state`` table (scratchpads, counters, plugin state)."""
        return self._read(queries.state)

    def agents(self) -> list[str]:
        """Creatures recorded in this session, in order of first appearance."""
        return self._read(queries.agents)

    def channels(self) -> list[str]:
        """Names of the channels that carried messages."""
        return self._read(queries.channel_names)

    def channel_messages(self, channel: str) -> list[ChannelMessage]:
        return self._read(queries.channel_messages, channel)

    def turn_rollups(self, agent: str | None = None) -> list[TurnRollup]:
        return self._read(queries.turn_rollups, agent)

    def artifact(self, name: str) -> bytes | None:
        return self._read(queries.artifact, name)

    def load_conversation(self, agent: str) -> list[dict[str, Any]]:
        """The agent's messages after its system prompt (snapshot plus replayed events)."""
        return self._read(queries.load_conversation, agent)

    # ------------------------------------------------------------------ events and turns

    def events(
        self,
        agent: str | None = None,
        kinds: Iterable[str] | str | None = None,
        *,
        after: int | None = None,
        limit: int | None = None,
    ) -> Iterator[SessionEvent]:
        """Events in write order, optionally one agent's, of some types, after an event id."""
        try:
            yield from queries.events(self.conn, agent, kinds=kinds, after=after, limit=limit)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def turns(self, agent: str | None = None) -> Iterator[Turn]:
        """Every turn, agent by agent, in order. One pass over the turn-relevant events."""
        names = [agent] if agent is not None else self.agents()
        for name in names:
            rollups = {r.turn_index: r for r in self.turn_rollups(name)}
            builder: _TurnBuilder | None = None
            for event in self.events(name, _TURN_TYPES):
                index = event.turn_index
                if index is None:
                    continue
                if builder is None or builder.index != index:
                    if builder is not None:
                        yield builder.build(rollups.get(builder.index))
                    builder = _TurnBuilder(name, index)
                builder.add(event)
            if builder is not None:
                yield builder.build(rollups.get(builder.index))

    # ------------------------------------------------------------------ search

    def search(
        self,
        query: str,
        mode: SearchMode = "auto",
        k: int = 10,
        agent: str | None = None,
    ) -> list[SearchHit]:
        """Search the session. ``auto`` and ``fts`` are BM25 full-text search (always indexed).

        ``semantic`` and ``hybrid`` need an embedding index: without one they raise
        :class:`SessionError` (build it with ``kt embedding``).
        """
        if mode not in ("auto", "fts", "semantic", "hybrid"):
            raise SessionError(
                f"unknown search mode {mode!r}; use 'auto', 'fts', 'semantic' or 'hybrid'"
            )
        if mode in ("semantic", "hybrid"):
            raise SessionError(
                f"{self._path}: no embeddings in this session; run "
                f"`kt embedding {self._path}` first, or search with mode='fts'"
            )
        return self._read(queries.search, query, k, agent)

    # ------------------------------------------------------------------ internals

    def _read(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(self.conn, *args)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: BaseException) -> SessionError:
        return SessionError(f"{self._path}: reading the session failed ({exc})")


class _TurnBuilder:
    """Accumulates the events of one turn into a :class:`Turn`."""

    __slots__ = (
        "agent",
        "assistant_text",
        "calls",
        "ended_at",
        "index",
        "order",
        "started_at",
        "status",
        "usage",
        "user_text",
    )

    def __init__(self, agent: str, index: int) -> None:
        self.agent = agent
        self.index = index
        self.user_text: str | None = None
        self.assistant_text = ""
        self.calls: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.usage = Usage()
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.status: str | None = None

    def add(self, event: SessionEvent) -> None:
        if self.started_at is None:
            self.started_at = event.ts
        self.ended_at = event.ts
        kind, data = event.type, event.data
        if kind == "user_message":
            if self.user_text is None:
                self.user_text = content_text(data.get("content"))
        elif kind == "assistant_message":
            text = content_text(data.get("content")).strip()
            if text:
                self.assistant_text = text
        elif kind == "token_usage":
            self.usage.add(_usage_of(data))
        elif kind == "turn_end":
            self.status = data.get("status")
        elif "agent_path" not in data:  # sub-agents' own calls carry their path: not ours
            self._call(kind, data)

    def _call(self, kind: str, data: dict[str, Any]) -> None:
        job_id = str(data.get("job_id") or f"#{len(self.order)}")
        if kind in ("tool_start", "subagent_start"):
            args = data.get("args")
            if kind == "subagent_start":
                args = {"task": data.get("task", "")}
            self.calls[job_id] = {
                "name": data.get("name", ""),
                "args": dict(args) if isinstance(args, dict) else {},
                "status": "running",
                "result": "",
                "job_id": job_id,
                "duration_s": None,
                "kind": "subagent" if kind == "subagent_start" else "tool",
            }
            self.order.append(job_id)
        elif kind in _CALL_END:
            call = self.calls.get(job_id)
            if call is None:  # failed before it started (unknown tool, bad arguments)
                call = {
                    "name": data.get("name", ""),
                    "args": {},
                    "job_id": job_id,
                    "kind": "subagent" if kind.startswith("subagent") else "tool",
                }
                self.calls[job_id] = call
                self.order.append(job_id)
            call["status"] = data.get("status") or ("ok" if kind.endswith("done") else "error")
            call["result"] = str(data.get("result") or "")
            call["duration_s"] = data.get("duration_s")

    def build(self, rollup: TurnRollup | None) -> Turn:
        usage = self.usage
        started, ended, status = self.started_at, self.ended_at, self.status
        if rollup is not None:
            usage = Usage(
                prompt_tokens=rollup.tokens_in,
                completion_tokens=rollup.tokens_out,
                cached_tokens=rollup.tokens_cached,
                reasoning_tokens=self.usage.reasoning_tokens,
                total_tokens=rollup.tokens_in + rollup.tokens_out,
                cost_usd=rollup.cost_usd,
            )
            started = rollup.started_at if rollup.started_at is not None else started
            ended = rollup.ended_at if rollup.ended_at is not None else ended
            status = rollup.status or status
        calls = tuple(TurnToolCall(**self.calls[j]) for j in self.order)
        return Turn(
            index=self.index,
            agent=self.agent,
            user_text=self.user_text or "",
            assistant_text=self.assistant_text,
            tool_calls=calls,
            usage=usage,
            started_at=started,
            ended_at=ended,
            status=status,
        )


def _usage_of(data: dict[str, Any]) -> Usage:
    def num(key: str) -> int:
        try:
            return int(data.get(key) or 0)
        except (TypeError, ValueError):
            return 0

    cost = data.get("cost_usd")
    return Usage(
        prompt_tokens=num("prompt_tokens"),
        completion_tokens=num("completion_tokens"),
        cached_tokens=num("cached_tokens"),
        reasoning_tokens=num("reasoning_tokens"),
        total_tokens=num("total_tokens"),
        cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


__all__ = ["SearchMode", "SessionReader"]
