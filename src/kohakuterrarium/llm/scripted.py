"""A scripted LLM: a real provider that answers from a script instead of a model.

It drives the full agent loop in tests and benchmarks: plain text, native tool calls, text-format
tool calls written inside the response, responses picked by order or by matching the prompt,
chunked streaming with optional per-chunk latency, errors half way, and a log of every call.

>>> llm = ScriptedLLM([
...     ScriptEntry(tool_calls=[{"name": "count_words", "arguments": {"text": "a b"}}]),
...     "There are 2 words.",
... ])
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.errors import ProviderError
from kohakuterrarium.llm.base import (
    BaseLLMProvider,
    LLMConfig,
    TextDelta,
    ToolCallReady,
    Usage,
    UsageReport,
)
from kohakuterrarium.llm.message import content_text

Matcher = str | Callable[[list[dict[str, Any]]], bool]


@dataclass
class ScriptEntry:
    """One scripted reply."""

    response: str = ""
    """Text to stream (may contain text-format tool calls such as ``[/bash]ls[bash/]``)."""
    match: Matcher | None = None
    """Use this entry only when this text occurs in the last user message (or the callable
    returns True for the message list). None matches anything."""
    delay_per_chunk: float = 0.0
    """Seconds to sleep before each chunk (simulates model latency)."""
    chunk_size: int = 10
    """Characters per streamed chunk (0: the whole response in one chunk)."""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Native tool calls to emit after the text: ``{"name", "arguments" (dict or JSON), "id"?}``."""
    usage: dict[str, int] | None = None
    """Usage to report (default: a cheap estimate)."""
    error: str | BaseException | None = None
    """Raise this (a str becomes ProviderError) after streaming ``response``: a stream that fails
    half way."""
    delay_before: float = 0.0
    """Seconds to wait before the first chunk (time to first token)."""


@dataclass(slots=True)
class ScriptedCall:
    """What the scripted LLM received on one call."""

    _messages: list[dict[str, Any]]
    _length: int
    tools: list[Any] | None
    options: dict[str, Any]
    entry_index: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        # The conversation is append-only, so a prefix of the live list is the snapshot; this
        # keeps logging O(1) per call however long the history grows.
        return self._messages[: self._length]


def _last_user_text(messages: Sequence[dict[str, Any]]) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user":
            return content_text(msg.get("content"))
    return ""


class ScriptedLLM(BaseLLMProvider):
    """A provider that replays a script. The last entry repeats when the script runs out."""

    provider_name = "scripted"

    def __init__(
        self,
        script: Sequence[ScriptEntry | str] | None = None,
        *,
        model: str = "scripted",
        max_context: int = 256_000,
    ) -> None:
        super().__init__(LLMConfig(model=model, provider="scripted", max_context=max_context))
        entries = list(script) if script is not None else ["OK"]
        if not entries:
            raise ValueError("ScriptedLLM needs at least one script entry")
        self.script: list[ScriptEntry] = [
            e if isinstance(e, ScriptEntry) else ScriptEntry(str(e)) for e in entries
        ]
        self._next = 0
        self._ids = itertools.count(1)
        self.calls: list[ScriptedCall] = []
        self.closed = False

    # -- assertion helpers
    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def call_log(self) -> list[list[dict[str, Any]]]:
        """The message list of each call."""
        return [c.messages for c in self.calls]

    @property
    def last_messages(self) -> list[dict[str, Any]]:
        return self.calls[-1].messages if self.calls else []

    @property
    def last_user_message(self) -> str:
        return _last_user_text(self.last_messages)

    @property
    def last_tools(self) -> list[Any] | None:
        return self.calls[-1].tools if self.calls else None

    def reset(self) -> None:
        self._next = 0
        self.calls.clear()

    # -- selection
    def _select(self, messages: list[dict[str, Any]]) -> int:
        user_text: str | None = None
        for i in range(self._next, len(self.script)):
            m = self.script[i].match
            if m is None:
                return i
            if callable(m):
                if m(messages):
                    return i
                continue
            if user_text is None:
                user_text = _last_user_text(messages)
            if m in user_text:
                return i
        return len(self.script) - 1

    async def _stream(self, messages, tools, **options):  # type: ignore[override]
        index = self._select(messages)
        self._next = index + 1
        self.calls.append(ScriptedCall(messages, len(messages), tools, options, index))
        entry = self.script[index]
        if entry.delay_before:
            await asyncio.sleep(entry.delay_before)
        text = entry.response
        size = entry.chunk_size if entry.chunk_size > 0 else max(len(text), 1)
        for start in range(0, len(text), size):
            if entry.delay_per_chunk:
                await asyncio.sleep(entry.delay_per_chunk)
            yield TextDelta(text[start : start + size])
        if entry.error is not None:
            err = entry.error
            raise (
                err
                if isinstance(err, BaseException)
                else ProviderError(str(err), provider="scripted")
            )
        for call in entry.tool_calls:
            args = call.get("arguments", call.get("args", {}))
            if not isinstance(args, str):
                args = json.dumps(args)
            call_id = call.get("id") or f"call_{next(self._ids)}"
            yield ToolCallReady(call_id, call["name"], args)
        if entry.usage is not None:
            yield UsageReport(Usage.from_dict(entry.usage))
        else:
            last = messages[-1] if messages else {}
            prompt = 8 * len(messages) + len(content_text(last.get("content"))) // 4
            completion = len(text) // 4 + 1 + 8 * len(entry.tool_calls)
            yield UsageReport(Usage(prompt, completion, 0, 0, prompt + completion))

    async def close(self) -> None:
        self.closed = True


def scripted_from_spec(spec: str) -> ScriptedLLM:
    """Build a scripted LLM from a CLI-style spec.

    ``scripted`` answers "OK"; ``scripted:<text>`` always answers ``<text>``;
    ``scripted-error:<text>`` streams a little then fails with a ProviderError saying ``<text>``;
    ``scripted-file:<path>`` replays a JSON script (see :func:`scripted_from_file`).
    """
    kind, _, arg = spec.partition(":")
    if kind == "scripted":
        return ScriptedLLM([arg or "OK"])
    if kind == "scripted-file":
        return scripted_from_file(arg)
    if kind == "scripted-error":
        return ScriptedLLM([ScriptEntry("partial ", error=arg or "scripted failure")])
    raise ValueError(f"not a scripted LLM spec: {spec!r}")


def scripted_from_file(path: str) -> ScriptedLLM:
    """A scripted LLM from a JSON file: a list of strings or ScriptEntry objects
    (``{"response": ..., "tool_calls": [{"name": ..., "arguments": {...}}], "match": ...}``)."""
    from pathlib import Path

    from kohakuterrarium.errors import BadValueError, MissingFileError

    file = Path(path).expanduser()
    if not file.is_file():
        raise MissingFileError(f"no script file at {file}", key="llm")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        entries = [e if isinstance(e, str) else ScriptEntry(**e) for e in data]
    except (ValueError, TypeError) as exc:
        raise BadValueError(
            f"bad script: {exc}",
            file=str(file),
            hint='a JSON list of strings or {"response", "tool_calls", "match"} objects',
        ) from exc
    return ScriptedLLM(entries)


__all__ = [
    "ScriptEntry",
    "ScriptedCall",
    "ScriptedLLM",
    "scripted_from_file",
    "scripted_from_spec",
]
