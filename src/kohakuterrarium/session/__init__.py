"""Session persistence: the ``.kohakutr`` file, recording an agent into it, reading it back.

>>> from kohakuterrarium.session import SessionReader      # doctest: +SKIP
>>> with SessionReader("run.kohakutr") as r:
...     print([t.user_text for t in r.turns()], r.search("failing test"))

Names load lazily: importing this package imports nothing else.

- :class:`~kohakuterrarium.session.store.SessionStore`: the writer (one per file).
- :class:`~kohakuterrarium.session.reader.SessionReader`: read-only, beside a live writer.
- :func:`~kohakuterrarium.session.attach.attach_session`: record an agent as it runs.
- :class:`~kohakuterrarium.session.memory.SessionMemory`: memory search for plugins and tools.
- :func:`~kohakuterrarium.session.embedding.create_embedder`: embedders for semantic search.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "SessionStore": "kohakuterrarium.session.store",
    "StateView": "kohakuterrarium.session.store",
    "SessionReader": "kohakuterrarium.session.reader",
    "SessionAttachment": "kohakuterrarium.session.attach",
    "attach_session": "kohakuterrarium.session.attach",
    "SessionMemory": "kohakuterrarium.session.memory",
    "MemoryHit": "kohakuterrarium.session.memory",
    "create_embedder": "kohakuterrarium.session.embedding",
    "default_session_dir": "kohakuterrarium.session.paths",
    "new_session_path": "kohakuterrarium.session.paths",
    "SessionEvent": "kohakuterrarium.session.records",
    "SearchHit": "kohakuterrarium.session.records",
    "ChannelMessage": "kohakuterrarium.session.records",
    "Turn": "kohakuterrarium.session.records",
    "TurnToolCall": "kohakuterrarium.session.records",
    "TurnRollup": "kohakuterrarium.session.records",
    "SCHEMA_VERSION": "kohakuterrarium.session.schema",
}

__all__ = [
    "SCHEMA_VERSION",
    "ChannelMessage",
    "MemoryHit",
    "SearchHit",
    "SessionAttachment",
    "SessionEvent",
    "SessionMemory",
    "SessionReader",
    "SessionStore",
    "StateView",
    "Turn",
    "TurnRollup",
    "TurnToolCall",
    "attach_session",
    "create_embedder",
    "default_session_dir",
    "new_session_path",
]

if TYPE_CHECKING:
    from kohakuterrarium.session.attach import SessionAttachment, attach_session
    from kohakuterrarium.session.embedding import create_embedder
    from kohakuterrarium.session.memory import MemoryHit, SessionMemory
    from kohakuterrarium.session.paths import default_session_dir, new_session_path
    from kohakuterrarium.session.reader import SessionReader
    from kohakuterrarium.session.records import (
        ChannelMessage,
        SearchHit,
        SessionEvent,
        Turn,
        TurnRollup,
        TurnToolCall,
    )
    from kohakuterrarium.session.schema import SCHEMA_VERSION
    from kohakuterrarium.session.store import SessionStore, StateView


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kohakuterrarium.session' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
