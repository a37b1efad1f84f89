"""The ``state`` table as a mapping, and the JSON encoding used for everything stored.

State values must be JSON (sets, tuples, paths, dataclasses and objects with ``to_dict`` are
converted); anything else is refused with a :class:`SessionError` naming the key. Event payloads
are encoded leniently instead (unknown objects become their ``str()``) so recording an activity
can never break the agent.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import SessionError

if TYPE_CHECKING:
    from kohakuterrarium.session.store import SessionStore


class StateView(MutableMapping[str, Any]):
    """The ``state`` table as a dict of JSON values; every assignment is written at once."""

    __slots__ = ("_store",)

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    def __getitem__(self, key: str) -> Any:
        store = self._store
        with store._lock:
            store._check_open()
            row = store._conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return json.loads(row[0])

    def __setitem__(self, key: str, value: Any) -> None:
        self._store._put("INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)", key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._store._exec("DELETE FROM state WHERE key = ?", (key,))

    def __contains__(self, key: object) -> bool:
        store = self._store
        with store._lock:
            store._check_open()
            row = store._conn.execute("SELECT 1 FROM state WHERE key = ?", (key,)).fetchone()
        return row is not None

    def __iter__(self) -> Iterator[str]:
        store = self._store
        with store._lock:
            store._check_open()
            keys = [r[0] for r in store._conn.execute("SELECT key FROM state ORDER BY key")]
        return iter(keys)

    def __len__(self) -> int:
        store = self._store
        with store._lock:
            store._check_open()
            return int(store._conn.execute("SELECT count(*) FROM state").fetchone()[0])

    def __repr__(self) -> str:
        return f"StateView({len(self)} keys)"


def json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_strict(value: Any, key: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=json_default)
    except (TypeError, ValueError) as exc:
        raise SessionError(
            f"session value for {key!r} cannot be stored: {exc} "
            "(store JSON types: dict, list, str, int, float, bool, None)"
        ) from exc


def dumps_lenient(value: Any) -> str:
    def fallback(v: Any) -> Any:
        try:
            return json_default(v)
        except TypeError:
            return str(v)

    return json.dumps(value, ensure_ascii=False, default=fallback)


__all__ = ["StateView", "dumps_lenient", "dumps_strict", "json_default"]
