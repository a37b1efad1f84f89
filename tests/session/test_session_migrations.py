"""Schema versions and upgrades of session files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kohakuterrarium.errors import SessionError
from kohakuterrarium.session import schema
from kohakuterrarium.session.reader import SessionReader
from kohakuterrarium.session.store import SessionStore


def _add_tags(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE events ADD COLUMN tags TEXT NOT NULL DEFAULT ''")


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_a_new_file_is_created_by_the_0_to_1_step(session_path: Path):
    session_path.parent.mkdir(parents=True)
    conn = _raw(session_path)
    try:
        assert schema.migrate(conn, session_path) == 0
        assert schema.user_version(conn) == schema.SCHEMA_VERSION == 1
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        # Already current: nothing to do.
        assert schema.migrate(conn, session_path) == 1
    finally:
        conn.close()


def test_an_upgrade_step_runs_keeps_data_and_backs_the_file_up(
    session_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with SessionStore(session_path) as store:
        store.append_event("a", "user_message", {"role": "user", "content": "old data"})

    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(schema, "MIGRATIONS", {**schema.MIGRATIONS, 1: _add_tags})
    with SessionStore(session_path) as store:  # opening upgrades
        assert store.get_meta("format_version") == 2
        [event] = store.get_events()
        assert event["content"] == "old data"
        store.append_event("a", "user_message", {"role": "user", "content": "new data"})
    conn = _raw(session_path)
    try:
        assert schema.user_version(conn) == 2
        assert conn.execute("SELECT tags FROM events").fetchall() == [("",), ("",)]
    finally:
        conn.close()
    backup = session_path.with_name(session_path.name + ".v1.bak")
    conn = _raw(backup)
    try:
        assert schema.user_version(conn) == 1
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_failing_step_rolls_back_and_names_the_versions(session_path: Path):
    SessionStore(session_path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done(x)")
        raise RuntimeError("disk on fire")

    conn = _raw(session_path)
    try:
        with pytest.raises(SessionError, match=r"from v1 to v2 failed: disk on fire"):
            schema.migrate(conn, session_path, migrations={1: broken}, target=2)
        assert schema.user_version(conn) == 1
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in names
        with pytest.raises(SessionError, match="no upgrade step from session format v1"):
            schema.migrate(conn, session_path, migrations={}, target=2)
    finally:
        conn.close()


def test_a_file_from_a_newer_version_is_refused(session_path: Path):
    SessionStore(session_path).close()
    conn = _raw(session_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(SessionError, match="v99 was written by a newer KohakuTerrarium"):
        SessionStore(session_path)
    with pytest.raises(SessionError, match="newer"):
        SessionReader(session_path)


def test_an_older_file_asks_to_be_upgraded_by_the_writer(
    session_path: Path, monkeypatch: pytest.MonkeyPatch
):
    SessionStore(session_path).close()
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    with pytest.raises(SessionError, match="open it once with SessionStore"):
        SessionReader(session_path)


def test_a_1x_kohakuvault_file_is_recognised(tmp_path: Path):
    old = tmp_path / "old.kohakutr"
    conn = _raw(old)
    conn.execute("CREATE TABLE kohakuvault_meta(key TEXT, value TEXT)")
    conn.execute("CREATE TABLE meta(key BLOB PRIMARY KEY, value BLOB)")
    conn.close()
    with pytest.raises(SessionError, match=r"KohakuTerrarium 1\.x \(KohakuVault format\)"):
        SessionStore(old)
    conn = _raw(old)
    try:  # refused before anything was written: still a rollback-journal file
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
