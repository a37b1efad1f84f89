"""AnthropicProvider over real HTTP: the official SDK against our own Messages-API server."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from kt_llm_wire import (
    SSEReply,
    an_end,
    an_event,
    an_start,
    an_text_block,
    an_thinking_block,
    an_tool_block,
    anthropic_error,
    anthropic_text,
)

from kohakuterrarium import tool
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.errors import (
    AuthError,
    ContextOverflowError,
    ProviderError,
    RateLimitError,
    UnknownModelError,
)
from kohakuterrarium.llm.anthropic import AnthropicProvider, convert_messages
from kohakuterrarium.llm.base import (
    LLMConfig,
    ReasoningDelta,
    TextDelta,
    ToolCallReady,
    ToolSchema,
    UsageReport,
)
from kohakuterrarium.llm.errors import RetryPolicy

KEY = "sk-ant-test-SECRET-0123456789"
FAST = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.5, jitter=0.0)


def make(server, *, policy: RetryPolicy = FAST, **cfg) -> AnthropicProvider:
    config = LLMConfig(model="claude-test", base_url=server.url, api_key=KEY, **cfg)
    return AnthropicProvider(config, retry_policy=policy)


async def collect(llm, messages=None, **kw) -> list:
    msgs = messages or [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    return [p async for p in llm.stream(msgs, **kw)]


def texts(parts) -> str:
    return "".join(p.text for p in parts if isinstance(p, TextDelta))


async def test_text_thinking_and_tool_use_stream(server):
    events = [
        an_start(),
        *an_thinking_block(0, "Let me ", "think."),
        *an_text_block(1, "Checking", " now."),
        *an_tool_block(2, "toolu_1", "lookup", {"q": "tides", "n": [1, 2]}),
        *an_end("tool_use", output_tokens=42),
    ]
    server.push(SSEReply(events))
    llm = make(server, max_output=1000, temperature=0.2)
    tools = [ToolSchema("lookup", "find things", {"type": "object", "properties": {}})]
    try:
        parts = await collect(llm, tools=tools)
    finally:
        await llm.close()
    assert "".join(p.text for p in parts if isinstance(p, ReasoningDelta)) == "Let me think."
    assert texts(parts) == "Checking now."
    calls = [p for p in parts if isinstance(p, ToolCallReady)]
    assert [(c.id, c.name, json.loads(c.arguments)) for c in calls] == [
        ("toolu_1", "lookup", {"q": "tides", "n": [1, 2]})
    ]
    usage = next(p for p in parts if isinstance(p, UsageReport)).usage
    # input 10 + cache read 100 + cache creation 50
    assert (usage.prompt_tokens, usage.cached_tokens, usage.cache_creation_tokens) == (160, 100, 50)
    assert (usage.completion_tokens, usage.total_tokens) == (42, 202)
    assert llm.last_assistant_extra_fields["thinking_blocks"][0]["signature"] == "sig-123"

    req = server.requests[0]
    assert req.path == "/v1/messages"
    assert KEY in (req.headers.get("x-api-key", "") + req.headers.get("authorization", ""))
    body = req.body
    assert body["model"] == "claude-test" and body["max_tokens"] == 1000
    assert body["temperature"] == 0.2 and body["stream"] is True
    assert body["system"] == [
        {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["tools"] == [
        {
            "name": "lookup",
            "description": "find things",
            "input_schema": {"type": "object", "properties": {}},
        }
    ]


async def test_tool_use_is_ready_at_its_content_block_stop(server):
    from kt_llm_wire import Gate

    gate = Gate()
    events = [
        an_start(),
        *an_tool_block(0, "toolu_a", "first", {"x": 1}),
        gate,
        *an_tool_block(1, "toolu_b", "second", {}),
        *an_end("tool_use"),
    ]
    server.push(SSEReply(events))
    llm = make(server)
    seen = []
    try:
        async with asyncio.timeout(5):
            async for part in llm.stream([{"role": "user", "content": "go"}]):
                seen.append(part)
                if isinstance(part, ToolCallReady) and part.id == "toolu_a":
                    gate.event.set()
    finally:
        await llm.close()
    assert [(p.id, p.arguments) for p in seen if isinstance(p, ToolCallReady)] == [
        ("toolu_a", '{"x": 1}'),
        ("toolu_b", "{}"),
    ]


def test_message_conversion_tool_turns_images_and_cache_markers():
    messages = [
        {"role": "system", "content": "S1"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "image_url", "image_url": {"url": "https://x.test/cat.jpg"}},
            ],
        },
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "f", "arguments": '{"a": 1}'},
                },
                {"id": "t2", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "r1"},
        {"role": "tool", "tool_call_id": "t2", "content": ""},
        {"role": "user", "content": "next", "metadata": {"x": 1}},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "thanks"},
    ]
    system, out = convert_messages(messages)
    assert system == [{"type": "text", "text": "S1", "cache_control": {"type": "ephemeral"}}]
    assert [m["role"] for m in out] == ["user", "assistant", "user", "assistant", "user"]
    images = out[0]["content"][1:]
    assert images[0]["source"] == {"type": "base64", "media_type": "image/png", "data": "AAAA"}
    assert images[1]["source"] == {"type": "url", "url": "https://x.test/cat.jpg"}
    assert out[1]["content"] == [
        {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}},
        {"type": "tool_use", "id": "t2", "name": "g", "input": {}},
    ]
    results = out[2]["content"]
    assert [b["type"] for b in results] == ["tool_result", "tool_result", "text"]
    assert results[0]["tool_use_id"] == "t1" and results[0]["content"] == [
        {"type": "text", "text": "r1"}
    ]
    assert "cache_control" not in results[0] and "cache_control" not in results[1]
    # The last three non-tool messages: "next", "done", "thanks".
    marked = [b for m in out for b in m["content"] if "cache_control" in b]
    assert [b.get("text") for b in marked] == ["next", "done", "thanks"]

    _, plain = convert_messages(messages, cache=False)
    assert not any("cache_control" in b for m in plain for b in m["content"])


async def test_prompt_caching_can_be_disabled_and_headers_pass_through(server):
    server.push(anthropic_text("ok"))
    llm = make(
        server,
        extra_body={
            "disable_prompt_caching": True,
            "extra_headers": {"anthropic-beta": "test-beta"},
            "thinking": {"type": "enabled", "budget_tokens": 2048},
        },
        temperature=0.5,
    )
    try:
        await collect(llm)
    finally:
        await llm.close()
    req = server.requests[0]
    assert req.headers["anthropic-beta"] == "test-beta"
    assert "cache_control" not in json.dumps(req.body)
    assert req.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "temperature" not in req.body  # thinking requires the default temperature
    assert "disable_prompt_caching" not in req.body and "extra_headers" not in req.body


async def test_thinking_blocks_are_replayed_with_their_tool_calls(server):
    server.push(
        SSEReply(
            [
                an_start(),
                *an_thinking_block(0, "plan"),
                *an_tool_block(1, "tu9", "f", {}),
                *an_end("tool_use"),
            ]
        ),
        anthropic_text("done"),
    )
    llm = make(server)
    try:
        await collect(llm, [{"role": "user", "content": "go"}])
        history = [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "tu9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "tu9", "content": "r"},
        ]
        await collect(llm, history)
    finally:
        await llm.close()
    assistant = server.requests[1].body["messages"][1]
    assert [b["type"] for b in assistant["content"]] == ["thinking", "tool_use"]
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": "plan",
        "signature": "sig-123",
    }


# --------------------------------------------------------------------------- errors


async def test_rejected_key_is_auth_error(server):
    server.push(anthropic_error(401, "authentication_error", "invalid x-api-key"))
    llm = make(server)
    try:
        with pytest.raises(AuthError):
            await collect(llm)
    finally:
        await llm.close()
    assert len(server.requests) == 1


async def test_rate_limit_retry_honours_retry_after(server):
    server.push(
        anthropic_error(429, "rate_limit_error", "slow", {"retry-after": "0.2"}),
        anthropic_text("after wait"),
    )
    llm = make(server, policy=RetryPolicy(max_retries=1, base_delay=0.0, jitter=0.0))
    started = time.monotonic()
    try:
        assert texts(await collect(llm)) == "after wait"
    finally:
        await llm.close()
    assert time.monotonic() - started >= 0.18 and len(server.requests) == 2


async def test_rate_limit_without_retries_left(server):
    server.push(anthropic_error(429, "rate_limit_error", "slow", {"retry-after": "0"}))
    llm = make(server, policy=RetryPolicy(max_retries=0))
    try:
        with pytest.raises(RateLimitError) as info:
            await collect(llm)
    finally:
        await llm.close()
    assert info.value.retry_after == 0


async def test_overloaded_is_retried(server):
    server.push(anthropic_error(529, "overloaded_error", "Overloaded"), anthropic_text("ok"))
    llm = make(server)
    try:
        assert texts(await collect(llm)) == "ok"
    finally:
        await llm.close()
    assert len(server.requests) == 2


async def test_prompt_too_long_is_context_overflow(server):
    server.push(
        anthropic_error(
            400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"
        )
    )
    llm = make(server)
    try:
        with pytest.raises(ContextOverflowError):
            await collect(llm)
    finally:
        await llm.close()


async def test_unknown_model_is_unknown_model_error(server):
    server.push(anthropic_error(404, "not_found_error", "model: claude-nope"))
    llm = make(server)
    try:
        with pytest.raises(UnknownModelError):
            await collect(llm)
    finally:
        await llm.close()


async def test_error_event_mid_stream_after_text_is_not_retried(server):
    events = [
        an_start(),
        an_event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        an_event("content_block_delta", index=0, delta={"type": "text_delta", "text": "Part"}),
        an_event("error", error={"type": "overloaded_error", "message": "Overloaded"}),
    ]
    server.push(SSEReply(events), anthropic_text("never"))
    llm = make(server)
    got = []
    try:
        with pytest.raises(ProviderError, match="Overloaded"):
            async for part in llm.stream([{"role": "user", "content": "hi"}]):
                got.append(part)
    finally:
        await llm.close()
    assert texts(got) == "Part" and len(server.requests) == 1


async def test_error_event_before_output_is_retried(server):
    events = [
        an_start(),
        an_event("error", error={"type": "overloaded_error", "message": "Overloaded"}),
    ]
    server.push(SSEReply(events), anthropic_text("recovered"))
    llm = make(server)
    try:
        assert texts(await collect(llm)) == "recovered"
    finally:
        await llm.close()
    assert len(server.requests) == 2


async def test_stream_without_message_stop_is_an_error(server):
    server.push(SSEReply([an_start(), *an_text_block(0, "cut")], then="die"))
    llm = make(server)
    try:
        with pytest.raises(ProviderError):
            await collect(llm)
    finally:
        await llm.close()
    assert len(server.requests) == 1  # text went out: no retry


async def test_closing_the_stream_closes_the_connection(server):
    events = [
        an_start(),
        an_event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        an_event("content_block_delta", index=0, delta={"type": "text_delta", "text": "first"}),
    ]
    server.push(SSEReply(events, then="hang"))
    llm = make(server)
    try:
        stream = llm.stream([{"role": "user", "content": "hi"}])
        assert await anext(stream) == TextDelta("first")
        await stream.aclose()
        await asyncio.wait_for(server.disconnected.wait(), 5)
    finally:
        await llm.close()


# --------------------------------------------------------------------------- a full agent turn


@tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


async def test_agent_turn_with_native_tool_call_over_http(server):
    server.push(
        SSEReply(
            [
                an_start(),
                *an_text_block(0, "Shouting."),
                *an_tool_block(1, "toolu_7", "shout", {"text": "hey"}),
                *an_end("tool_use"),
            ]
        ),
        anthropic_text("It says ", "HEY."),
    )
    llm = make(server)
    agent = Agent(
        AgentConfig(name="t", tool_format="native", system_prompt="You shout."),
        llm=llm,
        tools=[shout],
    )
    try:
        async with agent:
            result = await agent.run("shout hey")
    finally:
        await llm.close()
    assert result.status == "ok", result.error
    assert result.text == "It says HEY."
    assert [(c.name, c.result) for c in result.tool_calls] == [("shout", "HEY")]
    assert result.usage.cache_creation_tokens == 100  # 50 per call, summed over both rounds
    second = server.requests[1].body
    assert second["system"][0]["text"].startswith("You shout.")
    roles = [m["role"] for m in second["messages"]]
    assert roles == ["user", "assistant", "user"]
    assistant = second["messages"][1]["content"]
    assert [b["type"] for b in assistant] == ["text", "tool_use"]
    assert assistant[1] == {
        "type": "tool_use",
        "id": "toolu_7",
        "name": "shout",
        "input": {"text": "hey"},
        "cache_control": {"type": "ephemeral"},
    }
    result_block = second["messages"][2]["content"][0]
    assert result_block["type"] == "tool_result" and result_block["tool_use_id"] == "toolu_7"
    assert result_block["content"] == [{"type": "text", "text": "HEY"}]
    assert server.requests[0].body["tools"][0]["name"] == "shout"
