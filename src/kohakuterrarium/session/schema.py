"""The SQLite schema of a ``.kohakutr`` file, opening it, and upgrading old files.

A session file is one SQLite database in WAL mode. ``PRAGMA application_id`` marks it as ours,
``PRAGMA user_version`` holds the schema version (mirrored in ``meta.format_version``).
``events`` is the append-only source of truth; every other table is either small mutable state
(``meta``, ``state``, ``jobs``, ``subagent_runs``, ``turn_rollup``), a cache derived from events
(``conversation_snapshots``), or side data (``channels``, ``artifacts``, ``memories``). The three
``*_fts`` tables are contentless FTS5 indexes kept up to date in the same transaction as the row
they index (their rowid is that row's id), so a fresh session is searchable at once.

Upgrades: :data:`MIGRATIONS` maps a version to the step that brings a file from it to the next
one. Version 0 is an empty file, so creating a session is the ``0 -> 1`` step. A populated file is
backed up next to itself (``<name>.v<old>.bak``) before it is upgraded.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from kohakuterrarium.errors import SessionError

SCHEMA_VERSION = 1
"""The version this code writes."""

APPLICATION_ID = 0x4B544B54
"""``PRAGMA application_id`` of a session file ("KTKT")."""

_TOKENIZER = "porter unicode61 remove_diacritics 2"

_V1 = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE events (
    event_id   INTEGER PRIMARY KEY,
    agent      TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    turn_index INTEGER,
    ts         REAL    NOT NULL,
    data       TEXT    NOT NULL
);
CREATE UNIQUE INDEX events_by_agent ON events(agent, seq);
CREATE VIRTUAL TABLE events_fts USING fts5(text, content='', tokenize='{_TOKENIZER}');
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE conversation_snapshots (
    agent         TEXT    NOT NULL,
    upto_event_id INTEGER NOT NULL,
    ts            REAL    NOT NULL,
    messages      TEXT    NOT NULL,
    PRIMARY KEY (agent, upto_event_id)
);
CREATE TABLE channels (
    message_id INTEGER PRIMARY KEY,
    channel    TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    sender     TEXT    NOT NULL,
    ts         REAL    NOT NULL,
    content    TEXT    NOT NULL,
    data       TEXT    NOT NULL DEFAULT '{{}}'
);
CREATE UNIQUE INDEX channels_by_channel ON channels(channel, seq);
CREATE VIRTUAL TABLE channels_fts USING fts5(text, content='', tokenize='{_TOKENIZER}');
CREATE TABLE subagent_runs (
    parent_agent TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    name         TEXT NOT NULL,
    turn_index   INTEGER,
    task         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'running',
    result       TEXT NOT NULL DEFAULT '',
    started_at   REAL,
    ended_at     REAL,
    data         TEXT NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (parent_agent, job_id)
) WITHOUT ROWID;
CREATE TABLE jobs (
    job_id     TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    updated_at REAL NOT NULL,
    data       TEXT NOT NULL DEFAULT '{{}}'
) WITHOUT ROWID;
CREATE TABLE artifacts (
    name TEXT PRIMARY KEY,
    mime TEXT,
    ts   REAL NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE turn_rollup (
    agent         TEXT    NOT NULL,
    turn_index    INTEGER NOT NULL,
    started_at    REAL,
    ended_at      REAL,
    tokens_in     INTEGER NOT NULL DEFAULT 0,
    tokens_out    INTEGER NOT NULL DEFAULT 0,
    tokens_cached INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL,
    tool_calls    INTEGER NOT NULL DEFAULT 0,
    has_error     INTEGER NOT NULL DEFAULT 0,
    status        TEXT,
    PRIMARY KEY (agent, turn_index)
) WITHOUT ROWID;
CREATE TABLE memories (
    memory_id  INTEGER PRIMARY KEY,
    agent      TEXT,
    block_type TEXT NOT NULL,
    round_num  INTEGER,
    ts         REAL NOT NULL,
    content    TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{{}}'
);
CREATE VIRTUAL TABLE memories_fts USING fts5(text, content='', tokenize='{_TOKENIZER}');
"""


def _create_v1(conn: sqlite3.Connection) -> None:
    for statement in _V1.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


Migration = Callable[[sqlite3.Connection], None]
"""One upgrade step; runs inside a transaction that also bumps ``user_version``."""

MIGRATIONS: dict[int, Migration] = {0: _create_v1}
"""``from_version -> step`` bringing a file to ``from_version + 1``."""


# --------------------------------------------------------------------------- opening


def connect_writer(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) ``path`` for writing: WAL, ``synchronous=NORMAL``, autocommit.

    A file that is not ours is refused before anything is written to it. Transactions are
    managed by the caller (``isolation_level=None``); the connection may be used from several
    threads under the caller's lock.
    """
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    except sqlite3.Error as exc:
        raise SessionError(f"{path}: cannot open session file ({exc})") from exc
    try:
        inspect(conn, path)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    if str(mode).lower() != "wal":
        conn.close()
        raise SessionError(
            f"{path}: cannot switch the session file to WAL mode (got {mode!r}); "
            "is it on a network file system?"
        )
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """Open ``path`` read-only (``mode=ro``): safe beside a writer in another process."""
    if not path.is_file():
        raise SessionError(f"{path}: no such session file")
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=10)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise SessionError(f"{path}: not a readable session file ({exc})") from exc
    return conn


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def inspect(conn: sqlite3.Connection, path: Path, target: int | None = None) -> int:
    """The schema version of the file behind ``conn`` (0: empty, new).

    Raises :class:`SessionError` for a file that is not a database, not ours, or newer than
    ``target``.
    """
    try:
        version = user_version(conn)
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        names = _table_names(conn)
    except sqlite3.DatabaseError as exc:
        raise SessionError(f"{path}: not a KohakuTerrarium session file ({exc})") from exc
    target = SCHEMA_VERSION if target is None else target
    if (version == 0 and names) or (version > 0 and app_id != APPLICATION_ID):
        raise SessionError(_foreign_message(path, names))
    if version > target:
        raise SessionError(_newer_message(path, version, target))
    return version


def check_readable(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`SessionError` unless ``conn`` is a session file of this schema version."""
    version = inspect(conn, path)
    if version == 0:
        raise SessionError(f"{path}: empty file, not a KohakuTerrarium session")
    if version < SCHEMA_VERSION:
        raise SessionError(
            f"{path}: session format v{version} is older than this version's "
            f"v{SCHEMA_VERSION}; open it once with SessionStore (or `kt resume`) to upgrade it"
        )


def _table_names(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


def _foreign_message(path: Path, names: set[str]) -> str:
    if "kohakuvault_meta" in names:
        return (
            f"{path}: this session was written by KohakuTerrarium 1.x (KohakuVault format), "
            "which this version cannot read"
        )
    return f"{path}: not a KohakuTerrarium session file (it holds other tables)"


def _newer_message(path: Path, version: int, known: int) -> str:
    return (
        f"{path}: session format v{version} was written by a newer KohakuTerrarium "
        f"(this one reads up to v{known}); upgrade kohakuterrarium"
    )


# --------------------------------------------------------------------------- migrating


def migrate(
    conn: sqlite3.Connection,
    path: Path,
    *,
    migrations: Mapping[int, Migration] | None = None,
    target: int | None = None,
) -> int:
    """Bring the file behind ``conn`` to ``target``; returns the version it was at before.

    Each step runs in its own transaction together with the ``user_version`` bump, so an
    interrupted upgrade leaves the file at the last completed version. A populated file is
    backed up first.
    """
    steps = MIGRATIONS if migrations is None else migrations
    target = SCHEMA_VERSION if target is None else target
    version = start = inspect(conn, path, target)
    if start > 0 and start < target:
        _backup(conn, path, start)
    while version < target:
        step = steps.get(version)
        if step is None:
            raise SessionError(
                f"{path}: no upgrade step from session format v{version} to v{version + 1}"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('format_version', ?)",
                (json.dumps(version + 1),),
            )
            conn.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, SessionError):
                raise
            raise SessionError(
                f"{path}: upgrading the session from v{version} to v{version + 1} failed: {exc}"
            ) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        version += 1
    return start


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    target = path.with_name(f"{path.name}.v{version}.bak")
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "check_readable",
    "connect_reader",
    "connect_writer",
    "inspect",
    "migrate",
    "user_version",
]
