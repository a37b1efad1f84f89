"""``OpenAIProvider``: any OpenAI-compatible ``/chat/completions`` endpoint, streamed.

Used for OpenAI itself and for every OpenAI-compatible backend (OpenRouter, Gemini's compatible
endpoint, Kimi, GLM, Ollama, vLLM, llama.cpp). The official ``openai`` SDK is imported when the
first request is made, never at ``import kohakuterrarium``.

>>> llm = OpenAIProvider(LLMConfig(model="gpt-5", base_url="https://api.openai.com/v1", api_key="sk-..."))
... # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.llm.base import (
    BaseLLMProvider,
    LLMConfig,
    ReasoningDelta,
    StreamPart,
    TextDelta,
    ToolCallReady,
    ToolSchema,
    Usage,
    UsageReport,
)
from kohakuterrarium.llm.errors import (
    Classified,
    RetryPolicy,
    classify_sdk_error,
    stream_ended_early,
    stream_with_retries,
)

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Keyless local servers (llama.cpp, Ollama, vLLM) ignore the key, but the SDK insists on one.
_NO_KEY = "sk-no-key-required"
# Keys an OpenAI message may carry; everything else (metadata, ids, timestamps) is ours.
_WIRE_KEYS = frozenset(
    {"role", "content", "name", "tool_calls", "tool_call_id", "reasoning_content"}
)
_CONNECT_TIMEOUT = 15.0


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``over`` merged into ``base``, recursing into nested dicts."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def tool_to_openai(tool: ToolSchema | dict[str, Any]) -> dict[str, Any]:
    """A tool schema in the OpenAI ``tools`` shape."""
    if isinstance(tool, ToolSchema):
        return tool.to_openai()
    if tool.get("type") == "function":
        return tool
    return {"type": "function", "function": tool}


def sanitize_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as OpenAI accepts them: framework-only keys dropped, tool-call turns with ``""``."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        role = msg.get("role")
        clean = {k: v for k, v in msg.items() if k in _WIRE_KEYS and v is not None}
        clean["role"] = role
        if role == "tool":
            clean.pop("name", None)
            clean.setdefault("content", "")
        elif role == "assistant":
            calls = msg.get("tool_calls")
            if calls:
                clean["tool_calls"] = [_wire_call(c) for c in calls]
                # Several compatible servers reject null content next to tool calls.
                if clean.get("content") is None:
                    clean["content"] = ""
            else:
                clean.pop("tool_calls", None)
                clean.setdefault("content", "")
        else:
            clean.pop("reasoning_content", None)
            clean.setdefault("content", "")
        if role != "assistant":
            clean.pop("tool_calls", None)
        out.append(clean)
    return out


def _wire_call(call: dict[str, Any]) -> dict[str, Any]:
    fn = call.get("function") or {}
    args = fn.get("arguments", "{}")
    if not isinstance(args, str):
        args = json.dumps(args)
    return {
        "id": call.get("id", ""),
        "type": "function",
        "function": {"name": fn.get("name", ""), "arguments": args or "{}"},
    }


@dataclass
class _PendingCall:
    """A tool call whose argument deltas are still arriving."""

    index: int
    """The ``index`` the server gave the call."""
    id: str = ""
    """Call id (sent in the first delta only)."""
    name: str = ""
    """Tool name (some servers repeat it in every delta)."""
    args: list[str] = field(default_factory=list)
    """Argument fragments in arrival order."""

    def ready(self, ordinal: int) -> ToolCallReady:
        return ToolCallReady(
            self.id or f"call_{ordinal}", self.name, "".join(self.args).strip() or "{}"
        )


def _usage(raw: Any) -> Usage:
    prompt = int(getattr(raw, "prompt_tokens", 0) or 0)
    completion = int(getattr(raw, "completion_tokens", 0) or 0)
    prompt_details = getattr(raw, "prompt_tokens_details", None)
    completion_details = getattr(raw, "completion_tokens_details", None)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
        reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
        total_tokens=int(getattr(raw, "total_tokens", 0) or (prompt + completion)),
    )


class OpenAIProvider(BaseLLMProvider):
    """Streams chat completions from an OpenAI-compatible endpoint with native tool calls."""

    provider_name = "openai"

    def __init__(
        self,
        config: LLMConfig | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        provider_name: str | None = None,
    ) -> None:
        super().__init__(config)
        self.retry_policy = retry_policy or RetryPolicy()
        if provider_name:
            self.provider_name = provider_name
        self.profile: Any = None
        """The resolved :class:`~kohakuterrarium.llm.profiles.LLMProfile`, when built from one."""
        self._client: Any = None
        self._sdk: Any = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider_name!r}, model={self.model!r}, "
            f"base_url={self.base_url!r})"
        )

    __str__ = __repr__

    @property
    def base_url(self) -> str:
        return self.config.base_url or OPENAI_BASE_URL

    @property
    def identifier(self) -> str:
        if self.profile is not None:
            return str(self.profile.identifier)
        return super().identifier

    # ------------------------------------------------------------------ client

    def _get_client(self) -> Any:
        if self._client is None:
            import openai  # lazy: only a process that talks to a model pays for the SDK

            self._sdk = openai
            self._client = openai.AsyncOpenAI(
                api_key=self.config.api_key or _NO_KEY,
                base_url=self.base_url,
                timeout=openai.Timeout(
                    self.config.timeout, connect=min(self.config.timeout, _CONNECT_TIMEOUT)
                ),
                max_retries=0,  # ours are the only retries (stream_with_retries)
            )
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def with_model(self, name: str) -> OpenAIProvider:
        clone = super().with_model(name)
        assert isinstance(clone, OpenAIProvider)
        clone._client = None  # each provider owns (and closes) its own client
        clone.profile = None
        return clone

    # ------------------------------------------------------------------ request

    def build_request(
        self, messages: list[dict[str, Any]], tools: list[Any] | None, options: dict[str, Any]
    ) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for one call."""
        cfg = self.config
        opts = dict(options)
        extra = deep_merge(cfg.extra_body, opts.pop("extra_body", None) or {})
        temperature = opts.pop("temperature", cfg.temperature)
        max_out = opts.pop("max_tokens", None) or opts.pop("max_output", None) or cfg.max_output
        effort = opts.pop("reasoning_effort", cfg.reasoning_effort)
        extra_headers = extra.pop("extra_headers", None)
        extra_query = extra.pop("extra_query", None)
        extra.update(opts)  # anything else the caller passes goes into the body as is
        kwargs: dict[str, Any] = {
            "model": cfg.model,
            "messages": sanitize_messages(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            kwargs["tools"] = [tool_to_openai(t) for t in tools]
        if temperature is not None:
            kwargs["temperature"] = temperature
        if max_out:
            # OpenAI's own reasoning models accept only the newer name; compatible servers
            # universally understand max_tokens.
            key = (
                "max_completion_tokens"
                if self.base_url.startswith(OPENAI_BASE_URL)
                else "max_tokens"
            )
            kwargs[key] = int(max_out)
        if effort:
            kwargs["reasoning_effort"] = effort
        if extra:
            kwargs["extra_body"] = extra
        if extra_headers:
            kwargs["extra_headers"] = extra_headers
        if extra_query:
            kwargs["extra_query"] = extra_query
        return kwargs

    # ------------------------------------------------------------------ stream

    def _classify(self, exc: BaseException) -> Classified | None:
        sdk = self._sdk
        return classify_sdk_error(
            exc,
            provider=self.provider_name,
            model=self.model,
            connection_errors=(sdk.APIConnectionError,) if sdk else (),
            timeout_errors=(sdk.APITimeoutError,) if sdk else (),
            secret=self.config.api_key,
        )

    async def _stream(
        self, messages: list[dict[str, Any]], tools: list[ToolSchema] | None, **options: Any
    ) -> AsyncIterator[StreamPart]:
        self.last_assistant_extra_fields = {}
        request = self.build_request(messages, tools, options)
        client = self._get_client()
        gen = stream_with_retries(
            lambda: self._attempt(client, request),
            policy=self.retry_policy,
            classify=self._classify,
            provider=self.provider_name,
            model=self.model,
        )
        try:
            async for part in gen:
                yield part
        finally:
            await gen.aclose()

    async def _attempt(self, client: Any, request: dict[str, Any]) -> AsyncIterator[StreamPart]:
        stream = await client.chat.completions.create(**request)
        pending: list[_PendingCall] = []
        emitted_calls = 0
        reasoning: list[str] = []
        usage: Usage | None = None
        finished = False
        try:
            async for chunk in stream:
                if getattr(chunk, "usage", None) is not None:
                    usage = _usage(chunk.usage)
                for choice in getattr(chunk, "choices", None) or ():
                    delta = getattr(choice, "delta", None)
                    if delta is not None:
                        # DeepSeek / vLLM / llama.cpp say reasoning_content; OpenRouter says reasoning.
                        thought = getattr(delta, "reasoning_content", None)
                        if thought:
                            reasoning.append(thought)
                        else:
                            thought = getattr(delta, "reasoning", None)
                        if isinstance(thought, str) and thought:
                            yield ReasoningDelta(thought)
                        if delta.content:
                            yield TextDelta(delta.content)
                        for tc in getattr(delta, "tool_calls", None) or ():
                            done = _absorb_call_delta(pending, tc)
                            if done is not None:
                                yield done.ready(emitted_calls)
                                emitted_calls += 1
                    if getattr(choice, "finish_reason", None):
                        finished = True
                        while pending:
                            yield pending.pop(0).ready(emitted_calls)
                            emitted_calls += 1
        finally:
            await stream.close()
        if not finished:
            raise stream_ended_early(self.provider_name, self.model, "a finish_reason arrived")
        if reasoning:
            self.last_assistant_extra_fields = {"reasoning_content": "".join(reasoning)}
        if usage is not None:
            yield UsageReport(usage)


def _absorb_call_delta(pending: list[_PendingCall], tc: Any) -> _PendingCall | None:
    """Fold one tool-call delta into ``pending``; return a call that is now complete, if any.

    A call is complete when a delta for another call starts (the server moved on). Only the
    first delta carries the id; some servers repeat the name in every delta.
    """
    index = getattr(tc, "index", None)
    call_id = getattr(tc, "id", None) or ""
    fn = getattr(tc, "function", None)
    name = (getattr(fn, "name", None) or "") if fn is not None else ""
    args = (getattr(fn, "arguments", None) or "") if fn is not None else ""
    current = pending[-1] if pending else None
    if index is None:  # servers that omit index: a delta with an id starts a new call
        if current is None or call_id:
            index = current.index + 1 if current is not None else 0
        else:
            index = current.index
    finished: _PendingCall | None = None
    same = (
        current is not None
        and current.index == index
        and not (call_id and current.id and call_id != current.id)
    )
    if not same:
        if current is not None:
            finished = pending.pop()
        current = _PendingCall(index=index)
        pending.append(current)
    assert current is not None
    if call_id and not current.id:
        current.id = call_id
    if name and name != current.name:
        current.name = name if not current.name else current.name + name
    if args:
        current.args.append(args)
    return finished


__all__ = ["OPENAI_BASE_URL", "OpenAIProvider", "deep_merge", "sanitize_messages", "tool_to_openai"]
