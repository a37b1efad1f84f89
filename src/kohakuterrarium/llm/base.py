"""The provider contract every LLM backend implements.

A provider turns a list of OpenAI-shaped message dicts plus tool schemas into a stream of small
typed parts: text deltas, reasoning deltas, completed native tool calls and a usage report. The
controller consumes that stream; it starts a tool the moment its ``ToolCallReady`` arrives.

Subclasses implement ``_stream(messages, tools, **options)`` as an async generator of
:data:`StreamPart`. The legacy surface (``chat()`` yielding text, then ``last_tool_calls`` /
``last_usage``) is derived from it, so older callers and packs keep working; and a duck-typed
object that offers only that legacy ``chat()`` is adapted by :func:`as_provider`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

# --------------------------------------------------------------------------- stream parts


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of assistant text."""

    text: str
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of model reasoning ("thinking"), not part of the answer."""

    text: str
    kind: str = "reasoning"


@dataclass(frozen=True, slots=True)
class ToolCallReady:
    """A native tool call whose arguments are complete."""

    id: str
    """Provider call id (echoed back in the tool result message)."""
    name: str
    """Tool name."""
    arguments: str
    """Arguments as a JSON text."""
    kind: str = "tool_call"


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Token usage of the call (sent once, usually at the end)."""

    usage: Usage
    kind: str = "usage"


StreamPart = TextDelta | ReasoningDelta | ToolCallReady | UsageReport


# --------------------------------------------------------------------------- usage


@dataclass(slots=True)
class Usage:
    """Token counts (and cost when a price is known) of one call, turn or agent."""

    prompt_tokens: int = 0
    """Tokens sent."""
    completion_tokens: int = 0
    """Tokens generated."""
    cached_tokens: int = 0
    """Prompt tokens served from the provider's cache."""
    reasoning_tokens: int = 0
    """Generated tokens spent on reasoning."""
    total_tokens: int = 0
    """prompt + completion."""
    cost_usd: float | None = None
    """Cost in US dollars when the model's price is known."""
    cache_creation_tokens: int = 0
    """Prompt tokens written into the provider's cache (Anthropic bills these apart)."""

    def add(self, other: Usage) -> None:
        """Add ``other`` into this usage in place."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.total_tokens += other.total_tokens
        self.cache_creation_tokens += other.cache_creation_tokens
        if other.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + other.cost_usd

    def copy(self) -> Usage:
        return Usage(
            self.prompt_tokens,
            self.completion_tokens,
            self.cached_tokens,
            self.reasoning_tokens,
            self.total_tokens,
            self.cost_usd,
            self.cache_creation_tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": self.cost_usd,
            "cache_creation_tokens": self.cache_creation_tokens,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Usage:
        """Build from a provider usage dict (OpenAI names; missing keys are 0)."""
        if not d:
            return cls()
        prompt = int(d.get("prompt_tokens") or d.get("input_tokens") or 0)
        completion = int(d.get("completion_tokens") or d.get("output_tokens") or 0)
        total = int(d.get("total_tokens") or (prompt + completion))
        cost = d.get("cost_usd")
        return cls(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=int(d.get("cached_tokens") or 0),
            reasoning_tokens=int(d.get("reasoning_tokens") or 0),
            total_tokens=total,
            cost_usd=float(cost) if cost is not None else None,
            cache_creation_tokens=int(d.get("cache_creation_tokens") or 0),
        )


# --------------------------------------------------------------------------- schemas and config


@dataclass(slots=True)
class ToolSchema:
    """A function the model may call in native mode."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass(slots=True)
class NativeToolCall:
    """A completed native tool call (legacy surface: ``provider.last_tool_calls``)."""

    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> dict[str, Any]:
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(slots=True)
class LLMConfig:
    """What a provider needs to know about the model it talks to."""

    model: str = ""
    """Model id sent to the API."""
    provider: str = ""
    """Backend name (openai, anthropic, ...)."""
    base_url: str | None = None
    """API base URL."""
    api_key: str | None = field(default=None, repr=False)
    """Credential; never logged (excluded from repr)."""
    max_context: int = 256_000
    """Context window in tokens."""
    max_output: int = 65_536
    """Most tokens one reply may generate."""
    temperature: float | None = None
    """Sampling temperature (None: the provider's default)."""
    reasoning_effort: str | None = None
    """Reasoning effort for models that support it."""
    extra_body: dict[str, Any] = field(default_factory=dict)
    """Extra request fields, deep-merged into each request."""
    timeout: float = 600.0
    """Request timeout in seconds."""


@dataclass(slots=True)
class ChatResponse:
    """A whole, non-streamed reply."""

    content: str
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    tool_calls: list[NativeToolCall] = field(default_factory=list)


# --------------------------------------------------------------------------- the contract


@runtime_checkable
class LLMProvider(Protocol):
    """What the controller needs from a model."""

    @property
    def model(self) -> str: ...

    def stream(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[ToolSchema] | None = None,
        **options: Any,
    ) -> AsyncIterator[StreamPart]: ...


class BaseLLMProvider:
    """Base class of every provider; subclasses implement :meth:`_stream`."""

    provider_name: str = ""
    provider_native_tools: frozenset[str] = frozenset()

    def __init__(self, config: LLMConfig | None = None) -> None:
        self.config = config or LLMConfig()
        self.last_tool_calls: list[NativeToolCall] = []
        self.last_usage: dict[str, Any] = {}
        self.last_assistant_content_parts: list[Any] = []
        self.last_assistant_extra_fields: dict[str, Any] = {}

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def identifier(self) -> str:
        """``provider/model`` as shown to users."""
        return f"{self.provider_name or self.config.provider}/{self.model}".strip("/")

    # -- what subclasses implement
    def _stream(
        self, messages: list[dict[str, Any]], tools: list[ToolSchema] | None, **options: Any
    ) -> AsyncIterator[StreamPart]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _stream()")

    # -- the controller's entry point
    async def stream(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[ToolSchema] | None = None,
        **options: Any,
    ) -> AsyncIterator[StreamPart]:
        """Stream one reply as typed parts. Closing the iterator cancels the request."""
        self.last_tool_calls = []
        self.last_usage = {}
        gen = self._stream(messages, tools, **options)
        try:
            async for part in gen:
                if isinstance(part, ToolCallReady):
                    self.last_tool_calls.append(NativeToolCall(part.id, part.name, part.arguments))
                elif isinstance(part, UsageReport):
                    self.last_usage = part.usage.to_dict()
                yield part
        finally:
            await gen.aclose()

    # -- legacy surface
    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        stream: bool = True,
        tools: list[ToolSchema] | None = None,
        **options: Any,
    ) -> AsyncIterator[str]:
        """Yield reply text; afterwards ``last_tool_calls`` and ``last_usage`` are set."""
        async for part in self.stream(messages, tools=tools, **options):
            if isinstance(part, TextDelta):
                yield part.text

    async def chat_complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[ToolSchema] | None = None,
        **options: Any,
    ) -> ChatResponse:
        """Run one request to the end and return the whole reply."""
        text: list[str] = []
        usage = Usage()
        calls: list[NativeToolCall] = []
        async for part in self.stream(messages, tools=tools, **options):
            if isinstance(part, TextDelta):
                text.append(part.text)
            elif isinstance(part, UsageReport):
                usage = part.usage
            elif isinstance(part, ToolCallReady):
                calls.append(NativeToolCall(part.id, part.name, part.arguments))
        return ChatResponse("".join(text), usage=usage, model=self.model, tool_calls=calls)

    def with_model(self, name: str) -> BaseLLMProvider:
        """A provider like this one but for another model (subclasses may override)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        cfg = LLMConfig(**{f.name: getattr(self.config, f.name) for f in fields(self.config)})
        cfg.model = name
        clone.config = cfg
        return clone

    async def close(self) -> None:
        """Release connections (no-op by default)."""


class _LegacyChatAdapter(BaseLLMProvider):
    """Wraps an object that only has the legacy ``chat()`` + ``last_tool_calls`` surface."""

    def __init__(self, inner: Any) -> None:
        super().__init__(LLMConfig(model=str(getattr(inner, "model", "") or "")))
        self.inner = inner
        self.provider_name = str(getattr(inner, "provider_name", "") or "custom")

    async def _stream(self, messages, tools, **options):  # type: ignore[override]
        kwargs: dict[str, Any] = {"stream": True}
        if tools:
            kwargs["tools"] = tools
        async for chunk in self.inner.chat(messages, **kwargs, **options):
            if chunk:
                yield TextDelta(str(chunk))
        for i, call in enumerate(getattr(self.inner, "last_tool_calls", None) or []):
            call_id = getattr(call, "id", None) or f"call_{i}"
            args = getattr(call, "arguments", "{}")
            if not isinstance(args, str):
                args = json.dumps(args)
            yield ToolCallReady(call_id, call.name, args)
        usage = getattr(self.inner, "last_usage", None)
        if usage:
            yield UsageReport(Usage.from_dict(usage))

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            result = close()
            if hasattr(result, "__await__"):
                await result


def as_provider(obj: Any) -> BaseLLMProvider:
    """Return ``obj`` as a :class:`BaseLLMProvider`, adapting legacy ``chat()``-only objects."""
    if isinstance(obj, BaseLLMProvider):
        return obj
    if hasattr(obj, "chat"):
        return _LegacyChatAdapter(obj)
    raise TypeError(f"{type(obj).__name__} is not an LLM provider (it has no stream() or chat())")


__all__ = [
    "BaseLLMProvider",
    "ChatResponse",
    "LLMConfig",
    "LLMProvider",
    "NativeToolCall",
    "ReasoningDelta",
    "StreamPart",
    "TextDelta",
    "ToolCallReady",
    "ToolSchema",
    "Usage",
    "UsageReport",
    "as_provider",
]
