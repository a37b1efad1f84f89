"""``AnthropicProvider``: Claude through the official ``anthropic`` SDK (Messages API, streamed).

Conversations stay OpenAI-shaped inside the framework; this module converts them at the
boundary: system messages become the ``system`` parameter, assistant tool calls become
``tool_use`` blocks, tool results become ``tool_result`` blocks in a user message, images become
image blocks. Prompt-cache markers go on the system prompt and the last three non-tool messages
unless ``extra_body.disable_prompt_caching`` is set. The SDK is imported on the first request.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncIterator
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
from kohakuterrarium.llm.openai import deep_merge

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
_DEFAULT_MAX_TOKENS = 8192
_CACHE = {"type": "ephemeral"}
_CONNECT_TIMEOUT = 15.0
# Thinking blocks kept per tool turn so they can be replayed (Anthropic requires them back when
# extended thinking and tool use mix); bounded so a long session does not grow it without end.
_THINKING_MEMORY = 64


# --------------------------------------------------------------------------- conversion


def _image_block(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";")[0] or "image/png"
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}


def content_blocks(content: Any) -> list[dict[str, Any]]:
    """OpenAI message content (text or parts) as Anthropic content blocks (empty text dropped)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, dict):
            part = part.to_dict()
        kind = part.get("type")
        if kind == "text":
            if part.get("text"):
                blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if url:
                blocks.append(_image_block(str(url)))
        elif kind in {"image", "document", "tool_use", "tool_result", "thinking"}:
            blocks.append(dict(part))  # already Anthropic-shaped
        elif part.get("text"):
            blocks.append({"type": "text", "text": str(part["text"])})
    return blocks


def convert_messages(
    messages: list[dict[str, Any]],
    *,
    cache: bool = True,
    thinking_for: Any = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(system_blocks, messages)`` in the Messages API shape.

    ``thinking_for(tool_call_id)`` may return thinking blocks to replay before an assistant
    turn's tool calls.
    """
    system: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    last_blocks: list[dict[str, Any]] = []  # the last block of every non-tool message, in order

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if out and out[-1]["role"] == role:  # the API wants alternating turns: merge
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for msg in messages:
        role = msg.get("role")
        if role == "system":
            system.extend(content_blocks(msg.get("content")))
            continue
        if role == "tool":
            result = content_blocks(msg.get("content"))
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": msg.get("tool_call_id", ""),
                "content": result or [{"type": "text", "text": "(no output)"}],
            }
            add("user", [block])
            continue
        blocks = content_blocks(msg.get("content"))
        if role == "assistant":
            calls = msg.get("tool_calls") or []
            thinking = msg.get("thinking_blocks")
            if thinking is None and calls and thinking_for is not None:
                thinking = thinking_for(calls[0].get("id"))
            for call in calls:
                fn = call.get("function") or {}
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id", ""),
                        "name": fn.get("name", ""),
                        "input": _parse_args(fn.get("arguments")),
                    }
                )
            if thinking:
                blocks = [*thinking, *blocks]
        if not blocks:
            continue  # an empty turn (e.g. interrupted before any text) says nothing
        add("assistant" if role == "assistant" else "user", blocks)
        last_blocks.append(blocks[-1])

    if cache:
        if system:
            system[-1]["cache_control"] = dict(_CACHE)
        for block in last_blocks[-3:]:
            if block.get("type") not in {"thinking", "redacted_thinking"}:
                block["cache_control"] = dict(_CACHE)
    return system, out


def _parse_args(args: Any) -> dict[str, Any]:
    if isinstance(args, dict):
        return args
    try:
        value = json.loads(args or "{}")
    except (TypeError, ValueError):
        return {"_raw": args}
    return value if isinstance(value, dict) else {"value": value}


def tool_to_anthropic(tool: ToolSchema | dict[str, Any]) -> dict[str, Any]:
    """A tool schema in the Anthropic ``tools`` shape."""
    if isinstance(tool, ToolSchema):
        return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
    if "input_schema" in tool:
        return tool
    fn = tool.get("function", tool)
    return {
        "name": fn["name"],
        "description": fn.get("description", ""),
        "input_schema": fn.get("parameters") or {"type": "object", "properties": {}},
    }


def _usage(start: Any, final: Any) -> Usage:
    """Usage from ``message_start`` and the last ``message_delta`` (its counts are cumulative)."""

    def pick(name: str) -> int:
        # message_delta counts are cumulative, but some servers send 0 there for input fields.
        late = getattr(final, name, None) if final is not None else None
        early = getattr(start, name, None) if start is not None else None
        return int(late or early or 0)

    fresh = pick("input_tokens")
    read = pick("cache_read_input_tokens")
    created = pick("cache_creation_input_tokens")
    out = pick("output_tokens")
    prompt = fresh + read + created  # input_tokens excludes both cache kinds
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=out,
        cached_tokens=read,
        cache_creation_tokens=created,
        total_tokens=prompt + out,
    )


# --------------------------------------------------------------------------- provider


class AnthropicProvider(BaseLLMProvider):
    """Streams Claude replies: text, thinking (as reasoning) and tool_use blocks."""

    provider_name = "anthropic"

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
        self._thinking: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider_name!r}, model={self.model!r}, "
            f"base_url={self.base_url!r})"
        )

    __str__ = __repr__

    @property
    def base_url(self) -> str:
        return self.config.base_url or ANTHROPIC_BASE_URL

    @property
    def identifier(self) -> str:
        if self.profile is not None:
            return str(self.profile.identifier)
        return super().identifier

    def _get_client(self) -> Any:
        if self._client is None:
            import anthropic  # lazy: only a process that talks to Claude pays for the SDK

            self._sdk = anthropic
            self._client = anthropic.AsyncAnthropic(
                api_key=self.config.api_key or "no-key",
                base_url=self.base_url,
                timeout=anthropic.Timeout(
                    self.config.timeout, connect=min(self.config.timeout, _CONNECT_TIMEOUT)
                ),
                max_retries=0,  # ours are the only retries (stream_with_retries)
            )
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def with_model(self, name: str) -> AnthropicProvider:
        clone = super().with_model(name)
        assert isinstance(clone, AnthropicProvider)
        clone._client = None
        clone.profile = None
        clone._thinking = OrderedDict()
        return clone

    # ------------------------------------------------------------------ request

    def build_request(
        self, messages: list[dict[str, Any]], tools: list[Any] | None, options: dict[str, Any]
    ) -> dict[str, Any]:
        """The keyword arguments of ``messages.create`` for one call."""
        cfg = self.config
        opts = dict(options)
        extra = deep_merge(cfg.extra_body, opts.pop("extra_body", None) or {})
        temperature = opts.pop("temperature", cfg.temperature)
        max_out = opts.pop("max_tokens", None) or opts.pop("max_output", None) or cfg.max_output
        opts.pop("reasoning_effort", None)  # Claude takes thinking budgets through extra_body
        cache = not extra.pop("disable_prompt_caching", False)
        extra_headers = extra.pop("extra_headers", None)
        extra.update(opts)
        system, converted = convert_messages(messages, cache=cache, thinking_for=self._thinking.get)
        kwargs: dict[str, Any] = {
            "model": cfg.model,
            "messages": converted,
            "max_tokens": int(max_out or _DEFAULT_MAX_TOKENS),
            "stream": True,
        }
        if system:
            kwargs["system"] = system
        if tools:
            kwargs["tools"] = [tool_to_anthropic(t) for t in tools]
        thinking = extra.get("thinking")
        thinking_on = isinstance(thinking, dict) and thinking.get("type") in {"enabled", "adaptive"}
        # With thinking on, the API insists on the default temperature. Sent as a body field:
        # recent SDKs dropped the named argument, the API still takes it.
        if temperature is not None and not thinking_on:
            extra.setdefault("temperature", temperature)
        if extra:
            kwargs["extra_body"] = extra
        if extra_headers:
            kwargs["extra_headers"] = extra_headers
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
        stream = await client.messages.create(**request)
        blocks: dict[int, dict[str, Any]] = {}
        thinking: list[dict[str, Any]] = []
        call_ids: list[str] = []
        start_usage: Any = None
        final_usage: Any = None
        stopped = False
        try:
            async for event in stream:
                kind = getattr(event, "type", None)
                if kind == "message_start":
                    start_usage = getattr(event.message, "usage", None)
                elif kind == "content_block_start":
                    block = event.content_block
                    state = {"type": block.type}
                    blocks[event.index] = state
                    if block.type == "text":
                        if block.text:
                            yield TextDelta(block.text)
                    elif block.type == "thinking":
                        state["thinking"] = [block.thinking or ""]
                        state["signature"] = getattr(block, "signature", "") or ""
                        if block.thinking:
                            yield ReasoningDelta(block.thinking)
                    elif block.type == "redacted_thinking":
                        state["data"] = getattr(block, "data", "")
                    elif block.type == "tool_use":
                        state.update(id=block.id, name=block.name, json=[])
                        if getattr(block, "input", None):
                            state["input"] = block.input
                elif kind == "content_block_delta":
                    state = blocks.get(event.index, {})
                    delta = event.delta
                    dtype = getattr(delta, "type", None)
                    if dtype == "text_delta":
                        yield TextDelta(delta.text)
                    elif dtype == "thinking_delta":
                        state.setdefault("thinking", []).append(delta.thinking)
                        yield ReasoningDelta(delta.thinking)
                    elif dtype == "signature_delta":
                        state["signature"] = state.get("signature", "") + delta.signature
                    elif dtype == "input_json_delta":
                        state.setdefault("json", []).append(delta.partial_json)
                elif kind == "content_block_stop":
                    state = blocks.pop(event.index, {})
                    if state.get("type") == "tool_use":
                        args = "".join(state.get("json", [])).strip()
                        if not args:
                            args = json.dumps(state.get("input") or {})
                        call_ids.append(state["id"])
                        yield ToolCallReady(state["id"], state["name"], args)
                    elif state.get("type") == "thinking":
                        thinking.append(
                            {
                                "type": "thinking",
                                "thinking": "".join(state.get("thinking", [])),
                                "signature": state.get("signature", ""),
                            }
                        )
                    elif state.get("type") == "redacted_thinking":
                        thinking.append(
                            {"type": "redacted_thinking", "data": state.get("data", "")}
                        )
                elif kind == "message_delta":
                    final_usage = getattr(event, "usage", None) or final_usage
                elif kind == "message_stop":
                    stopped = True
        finally:
            await stream.close()
        if not stopped:
            raise stream_ended_early(self.provider_name, self.model, "message_stop")
        if thinking:
            self.last_assistant_extra_fields = {"thinking_blocks": thinking}
            if call_ids:
                self._remember_thinking(call_ids[0], thinking)
        yield UsageReport(_usage(start_usage, final_usage))

    def _remember_thinking(self, call_id: str, blocks: list[dict[str, Any]]) -> None:
        self._thinking[call_id] = blocks
        while len(self._thinking) > _THINKING_MEMORY:
            self._thinking.popitem(last=False)


__all__ = [
    "ANTHROPIC_BASE_URL",
    "AnthropicProvider",
    "content_blocks",
    "convert_messages",
    "tool_to_anthropic",
]
