"""Text of stored events for the full-text index, safe FTS5 queries, and snippets.

What gets indexed: user, assistant and tool messages (content, plus the name and arguments of
native tool calls), named-output writes and channel messages. Activities that repeat a message
(``tool_done`` carries the first 500 characters of a result the tool message already holds) are
not indexed, so one piece of text yields one hit.

>>> fts_query('what did "bash" print? (exit-code)')
'"what" "did" "bash" "print" "exit" "code"'
"""

from __future__ import annotations

import re
from typing import Any

MESSAGE_KINDS: dict[str, str] = {
    "user": "user_message",
    "assistant": "assistant_message",
    "tool": "tool_message",
    "system": "system_message",
}
"""Event type of a conversation message, by its role."""

MESSAGE_TYPES = frozenset(MESSAGE_KINDS.values())
"""Every event type that holds one conversation message (the message dict is the event data)."""

EDIT_TYPE = "assistant_message_edited"
"""A plugin rewrote the content of the last assistant message (replayed on resume)."""

MAX_INDEXED_CHARS = 200_000
"""Only this much of one event's text goes into the index (bounds per-event cost)."""

_WORD = re.compile(r"\w+", re.UNICODE)


def content_text(content: Any) -> str:
    """The text of a message ``content``: a string, or the text parts of a part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text") or ""))
            elif isinstance(part, str):
                texts.append(part)
        return "\n".join(t for t in texts if t)
    return "" if content is None else str(content)


def message_text(message: dict[str, Any]) -> str:
    """Searchable text of one OpenAI-shaped message."""
    parts = [content_text(message.get("content"))]
    for call in message.get("tool_calls") or ():
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict):
            parts.append(f"{fn.get('name') or ''} {fn.get('arguments') or ''}".strip())
    return "\n".join(p for p in parts if p)


def event_text(kind: str, data: dict[str, Any]) -> str:
    """The text the index keeps for an event of type ``kind`` (empty: not indexed)."""
    if kind in MESSAGE_TYPES:
        text = message_text(data)
    elif kind == "output":
        text = content_text(data.get("content"))
    else:
        return ""
    return text[:MAX_INDEXED_CHARS]


def query_terms(query: str) -> list[str]:
    """The words of a user query (punctuation dropped)."""
    return _WORD.findall(query)


def fts_query(query: str, *, any_term: bool = False) -> str | None:
    """An FTS5 MATCH expression for a free-text ``query``; None when it has no words.

    Every word is quoted, so operators and punctuation in user input can never be a syntax
    error. Words are ANDed, or ORed with ``any_term``.
    """
    terms = query_terms(query)
    if not terms:
        return None
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    return (" OR " if any_term else " ").join(quoted)


def snippet(text: str, query: str, width: int = 160) -> str:
    """About ``width`` characters of ``text`` around the first word of ``query`` found in it."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    terms = sorted(query_terms(query), key=len, reverse=True)
    pos = -1
    for term in terms:
        # The index stems words ("searching" finds "search"): look for the stem-ish prefix.
        stem = term[: max(3, len(term) - 3)]
        match = re.search(re.escape(stem), flat, re.IGNORECASE)
        if match:
            pos = match.start()
            break
    if pos < 0:
        return flat[:width].rstrip() + "…"
    start = max(0, pos - width // 3)
    end = min(len(flat), start + width)
    start = max(0, end - width)
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")


__all__ = [
    "EDIT_TYPE",
    "MAX_INDEXED_CHARS",
    "MESSAGE_KINDS",
    "MESSAGE_TYPES",
    "content_text",
    "event_text",
    "fts_query",
    "message_text",
    "query_terms",
    "snippet",
]
