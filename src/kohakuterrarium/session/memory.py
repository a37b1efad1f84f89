"""``SessionMemory``: search an agent's past (and what it chose to remember) by meaning or words.

>>> memory = SessionMemory(store.path, store=store)                    # doctest: +SKIP
>>> for hit in memory.search("deploy script", k=3):
...     print(hit.block_type, hit.age_str, hit.content[:80])

Full-text search is always available: the store indexes every message as it is written, so
:meth:`SessionMemory.index_events` has nothing to catch up on. Semantic and hybrid search need an
embedding index, which this build does not create yet; those modes search full-text instead
(logged once). Memory blocks written on purpose go through ``memory._fts.insert(text, meta)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import SessionError
from kohakuterrarium.session.records import SearchHit, age_str
from kohakuterrarium.session.store import SessionStore
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

_MODES = ("auto", "fts", "semantic", "hybrid")


@dataclass(frozen=True, slots=True)
class MemoryHit:
    """One memory search result (a block of the session)."""

    content: str
    """The block's text."""
    round_num: int
    """Turn the block belongs to (0 when unknown)."""
    block_num: int
    """Position of the block within its agent's events (0 for memories and channels)."""
    agent: str
    """Creature (or channel sender)."""
    block_type: str
    """``user``, ``text``, ``tool``, ``trigger`` or a memory's own type."""
    score: float
    """Relevance (higher is better)."""
    ts: float
    """Unix time the block was written."""
    tool_name: str | None = None
    """Tool concerned, for ``tool`` blocks."""
    channel: str | None = None
    """Channel, for channel messages."""

    @property
    def age_str(self) -> str:
        """How long ago, e.g. ``"3h ago"``."""
        return age_str(self.ts)


class MemoryIndex:
    """Memory blocks written on purpose, full-text indexed (``SessionMemory._fts``).

    Shaped like a small vault: ``insert(text, meta) -> id``, ``search(query, k)`` yielding
    ``(id, score, meta)``, ``len()``, ``id in index`` and ``index[id]``.
    """

    __slots__ = ("_store",)

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    def insert(self, content: str, meta: dict[str, Any] | None = None) -> int:
        meta = dict(meta or {})
        round_num = meta.get("round_num")
        return self._store.append_memory(
            content,
            agent=meta.get("agent"),
            block_type=str(meta.get("block_type") or "memory"),
            round_num=round_num if isinstance(round_num, int) else None,
            data=meta,
        )

    def search(self, query: str, k: int = 10) -> list[tuple[int, float, dict[str, Any]]]:
        hits = [h for h in self._store.search(query, k * 3, memories=True) if h.memory_id]
        return [(int(h.memory_id or 0), h.score, {**h.data, "content": h.text}) for h in hits[:k]]

    def __len__(self) -> int:
        return self._store.count_memories()

    def __contains__(self, memory_id: object) -> bool:
        return isinstance(memory_id, int) and self._store.get_memory(memory_id) is not None

    def __getitem__(self, memory_id: int) -> dict[str, Any]:
        found = self._store.get_memory(memory_id)
        if found is None:
            raise KeyError(memory_id)
        return found


class SessionMemory:
    """Search over one session's history and memory blocks."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        embedder: Any = None,
        store: SessionStore | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        """The session file."""
        self._owns_store = store is None
        self._store = store if store is not None else SessionStore(self.db_path, create=False)
        self._embedder = embedder
        self._fts = MemoryIndex(self._store)
        self._has_vectors = False
        self._vec: Any = None
        self._warned_mode = False

    @property
    def store(self) -> SessionStore:
        return self._store

    def index_events(
        self, agent: str | None = None, events: Iterable[Any] | None = None, **_: Any
    ) -> int:
        """Bring the index up to date; returns the number of blocks added.

        Always 0 here: the store indexes every message in the transaction that writes it.
        """
        return 0

    def search(
        self, query: str, mode: str = "auto", k: int = 5, agent: str | None = None
    ) -> list[MemoryHit]:
        """The ``k`` best blocks for ``query``: messages, channel messages and memory blocks."""
        if mode not in _MODES:
            raise SessionError(f"unknown memory search mode {mode!r}; use one of {_MODES}")
        if mode in ("semantic", "hybrid") and not self._has_vectors and not self._warned_mode:
            self._warned_mode = True
            logger.warning(
                "no embeddings in this session; searching full-text instead",
                mode=mode,
                session=str(self.db_path),
            )
        hits = self._store.search(query, k, agent, memories=True)
        return [_to_memory_hit(h) for h in hits]

    def close(self) -> None:
        if self._owns_store:
            self._store.close()


def _to_memory_hit(hit: SearchHit) -> MemoryHit:
    data = hit.data
    block_type, tool_name = "text", None
    if hit.type == "user_message":
        block_type = "user"
    elif hit.type == "tool_message":
        block_type, tool_name = "tool", data.get("name")
    elif hit.type == "assistant_message" and data.get("tool_calls") and not data.get("content"):
        fn = (data["tool_calls"][0] or {}).get("function") or {}
        block_type, tool_name = "tool", fn.get("name")
    elif hit.type == "memory":
        block_type = str(data.get("block_type") or "memory")
    return MemoryHit(
        content=hit.text,
        round_num=hit.turn_index or 0,
        block_num=hit.seq if hit.event_id is not None and hit.seq is not None else 0,
        agent=hit.agent or "",
        block_type=block_type,
        score=hit.score,
        ts=hit.ts,
        tool_name=tool_name,
        channel=hit.channel,
    )


__all__ = ["MemoryHit", "MemoryIndex", "SessionMemory"]
