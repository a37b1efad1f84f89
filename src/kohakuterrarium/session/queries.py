"""Read queries shared by the writer (:class:`SessionStore`) and :class:`SessionReader`.

Every function takes an open connection and does one bounded query; none of them loads the
whole file unless asked to (``events`` streams from a cursor).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from kohakuterrarium.errors import SessionError
from kohakuterrarium.session.records import ChannelMessage, SearchHit, SessionEvent, TurnRollup
from kohakuterrarium.session.text import (
    EDIT_TYPE,
    MESSAGE_TYPES,
    event_text,
    fts_query,
    query_terms,
    snippet,
)

_EVENT_COLS = "event_id, agent, seq, type, turn_index, ts, data"


def row_to_event(row: tuple[Any, ...]) -> SessionEvent:
    return SessionEvent(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]))


def events(
    conn: sqlite3.Connection,
    agent: str | None = None,
    *,
    kinds: Iterable[str] | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> Iterator[SessionEvent]:
    """Events in write order, filtered by agent, type and ``event_id > after``."""
    where: list[str] = []
    params: list[Any] = []
    if agent is not None:
        where.append("agent = ?")
        params.append(agent)
    if kinds is not None:
        kind_list = [kinds] if isinstance(kinds, str) else list(kinds)
        if not kind_list:
            return
        where.append(f"type IN ({','.join('?' * len(kind_list))})")
        params.extend(kind_list)
    if after is not None:
        where.append("event_id > ?")
        params.append(after)
    sql = f"SELECT {_EVENT_COLS} FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    # Ordering by (agent, seq) for one agent uses the index; the order is the same as event_id.
    sql += " ORDER BY seq" if agent is not None else " ORDER BY event_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    for row in conn.execute(sql, params):
        yield row_to_event(row)


def meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def agents(conn: sqlite3.Connection) -> list[str]:
    """Creatures that wrote events, in the order they first appear."""
    rows = conn.execute("SELECT agent, MIN(event_id) AS first FROM events GROUP BY agent")
    found = [a for a, _ in sorted(rows, key=lambda r: r[1])]
    listed = meta_value(conn, "agents") or []
    return found + [a for a in listed if a not in found]


def meta_value(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def state(conn: sqlite3.Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM state")}


def channel_names(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT channel, MIN(message_id) FROM channels GROUP BY channel")
    return [c for c, _ in sorted(rows, key=lambda r: r[1])]


def channel_messages(
    conn: sqlite3.Connection, channel: str, *, after_seq: int = 0, limit: int | None = None
) -> list[ChannelMessage]:
    sql = (
        "SELECT message_id, channel, seq, sender, content, ts, data FROM channels "
        "WHERE channel = ? AND seq > ? ORDER BY seq"
    )
    params: list[Any] = [channel, after_seq]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [
        ChannelMessage(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]))
        for r in conn.execute(sql, params)
    ]


def turn_rollups(conn: sqlite3.Connection, agent: str | None = None) -> list[TurnRollup]:
    sql = (
        "SELECT agent, turn_index, started_at, ended_at, tokens_in, tokens_out, tokens_cached, "
        "cost_usd, tool_calls, has_error, status FROM turn_rollup"
    )
    params: tuple[Any, ...] = ()
    if agent is not None:
        sql += " WHERE agent = ?"
        params = (agent,)
    sql += " ORDER BY agent, turn_index"
    return [
        TurnRollup(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], bool(r[9]), r[10])
        for r in conn.execute(sql, params)
    ]


def artifact(conn: sqlite3.Connection, name: str) -> bytes | None:
    row = conn.execute("SELECT data FROM artifacts WHERE name = ?", (name,)).fetchone()
    return bytes(row[0]) if row else None


# --------------------------------------------------------------------------- conversation


def load_conversation(conn: sqlite3.Connection, agent: str) -> list[dict[str, Any]]:
    """The agent's messages: the latest snapshot, then every message event written after it.

    Snapshots hold the messages after the system prompt (the system prompt is rebuilt from the
    config on resume). A plugin's edit of an assistant message is applied during the replay.
    """
    row = conn.execute(
        "SELECT upto_event_id, messages FROM conversation_snapshots WHERE agent = ? "
        "ORDER BY upto_event_id DESC LIMIT 1",
        (agent,),
    ).fetchone()
    upto, messages = (row[0], json.loads(row[1])) if row else (0, [])
    for event in events(conn, agent, kinds=(*MESSAGE_TYPES, EDIT_TYPE), after=upto):
        if event.type == EDIT_TYPE:
            for msg in reversed(messages):
                if msg.get("role") == "assistant":
                    msg["content"] = event.data.get("content", msg.get("content"))
                    break
            continue
        messages.append(event.data)
    return messages


# --------------------------------------------------------------------------- search


def search(
    conn: sqlite3.Connection,
    query: str,
    k: int = 10,
    agent: str | None = None,
    *,
    channels: bool = True,
    memories: bool = False,
) -> list[SearchHit]:
    """BM25-ranked full-text hits over events (and channel messages / memories).

    All words must match; when nothing does and the query has several words, any word may.
    """
    if k <= 0:
        return []
    hits = _search_all(conn, fts_query(query), query, k, agent, channels, memories)
    if not hits and len(query_terms(query)) > 1:
        any_q = fts_query(query, any_term=True)
        hits = _search_all(conn, any_q, query, k, agent, channels, memories)
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits[:k]


def _search_all(
    conn: sqlite3.Connection,
    match: str | None,
    query: str,
    k: int,
    agent: str | None,
    channels: bool,
    memories: bool,
) -> list[SearchHit]:
    if match is None:
        return []
    try:
        hits = _search_events(conn, match, query, k, agent)
        if channels:
            hits += _search_channels(conn, match, query, k, agent)
        if memories:
            hits += _search_memories(conn, match, query, k, agent)
    except sqlite3.OperationalError as exc:  # quoting makes this unreachable for user input
        raise SessionError(f"full-text search for {query!r} failed: {exc}") from exc
    return hits


def _search_events(
    conn: sqlite3.Connection, match: str, query: str, k: int, agent: str | None
) -> list[SearchHit]:
    sql = (
        f"SELECT {', '.join('e.' + c for c in _EVENT_COLS.split(', '))}, -f.rank "
        "FROM events_fts AS f JOIN events AS e ON e.event_id = f.rowid "
        "WHERE events_fts MATCH ?"
    )
    params: list[Any] = [match]
    if agent is not None:
        sql += " AND e.agent = ?"
        params.append(agent)
    sql += " ORDER BY f.rank LIMIT ?"
    params.append(k)
    hits = []
    for row in conn.execute(sql, params):
        ev = row_to_event(row[:7])
        text = event_text(ev.type, ev.data)
        hits.append(
            SearchHit(
                score=float(row[7]),
                snippet=snippet(text, query),
                text=text,
                type=ev.type,
                agent=ev.agent,
                ts=ev.ts,
                event_id=ev.event_id,
                turn_index=ev.turn_index,
                seq=ev.seq,
                data=ev.data,
            )
        )
    return hits


def _search_channels(
    conn: sqlite3.Connection, match: str, query: str, k: int, agent: str | None
) -> list[SearchHit]:
    sql = (
        "SELECT c.message_id, c.channel, c.seq, c.sender, c.content, c.ts, c.data, -f.rank "
        "FROM channels_fts AS f JOIN channels AS c ON c.message_id = f.rowid "
        "WHERE channels_fts MATCH ?"
    )
    params: list[Any] = [match]
    if agent is not None:
        sql += " AND c.sender = ?"
        params.append(agent)
    sql += " ORDER BY f.rank LIMIT ?"
    params.append(k)
    return [
        SearchHit(
            score=float(r[7]),
            snippet=snippet(r[4], query),
            text=r[4],
            type="channel_message",
            agent=r[3],
            ts=r[5],
            seq=r[2],
            channel=r[1],
            message_id=r[0],
            data=json.loads(r[6]),
        )
        for r in conn.execute(sql, params)
    ]


def _search_memories(
    conn: sqlite3.Connection, match: str, query: str, k: int, agent: str | None
) -> list[SearchHit]:
    sql = (
        "SELECT m.memory_id, m.agent, m.block_type, m.round_num, m.ts, m.content, m.data, -f.rank "
        "FROM memories_fts AS f JOIN memories AS m ON m.memory_id = f.rowid "
        "WHERE memories_fts MATCH ?"
    )
    params: list[Any] = [match]
    if agent is not None:
        sql += " AND m.agent = ?"
        params.append(agent)
    sql += " ORDER BY f.rank LIMIT ?"
    params.append(k)
    return [
        SearchHit(
            score=float(r[7]),
            snippet=snippet(r[5], query),
            text=r[5],
            type="memory",
            agent=r[1],
            ts=r[4],
            turn_index=r[3],
            memory_id=r[0],
            data={**json.loads(r[6]), "block_type": r[2]},
        )
        for r in conn.execute(sql, params)
    ]


__all__ = [
    "agents",
    "artifact",
    "channel_messages",
    "channel_names",
    "events",
    "load_conversation",
    "meta",
    "meta_value",
    "row_to_event",
    "search",
    "state",
    "turn_rollups",
]
