"""OpenAIProvider over real HTTP: the official SDK against our own chat-completions server."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from kt_llm_wire import (
    OA_DONE,
    OA_USAGE,
    Gate,
    JSONReply,
    SSEReply,
    oa_chunk,
    oa_tool_delta,
    openai_error,
    openai_text,
    openai_tool_calls,
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
from kohakuterrarium.llm.base import (
    LLMConfig,
    ReasoningDelta,
    TextDelta,
    ToolCallReady,
    ToolSchema,
    UsageReport,
)
from kohakuterrarium.llm.errors import RetryPolicy
from kohakuterrarium.llm.openai import OpenAIProvider

KEY = "sk-test-SECRET-0123456789abcdef"
FAST = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.5, jitter=0.0)


def make(server, *, policy: RetryPolicy = FAST, **cfg) -> OpenAIProvider:
    config = LLMConfig(model="test-model", base_url=server.url + "/v1", api_key=KEY, **cfg)
    return OpenAIProvider(config, retry_policy=policy)


async def collect(llm, messages=None, **kw) -> list:
    return [p async for p in llm.stream(messages or [{"role": "user", "content": "hi"}], **kw)]


def texts(parts) -> str:
    return "".join(p.text for p in parts if isinstance(p, TextDelta))


async def test_text_stream_with_usage_and_request_shape(server):
    server.push(openai_text("Hel", "lo", "!"))
    llm = make(
        server,
        temperature=0.3,
        max_output=500,
        reasoning_effort="low",
        extra_body={"top_k": 5, "nested": {"a": 1}},
    )
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi", "metadata": {"turn": 1}, "ts": 5},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "f", "content": "ok"},
    ]
    tools = [
        ToolSchema("f", "does f", {"type": "object", "properties": {"x": {"type": "integer"}}})
    ]
    try:
        parts = await collect(llm, messages, tools=tools, extra_body={"nested": {"b": 2}})
    finally:
        await llm.close()
    assert texts(parts) == "Hello!"
    usage = next(p for p in parts if isinstance(p, UsageReport)).usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (20, 5, 25)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (8, 3)
    assert llm.last_usage["cached_tokens"] == 8

    req = server.requests[0]
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    body = req.body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.3 and body["max_tokens"] == 500
    assert body["reasoning_effort"] == "low"
    assert body["top_k"] == 5 and body["nested"] == {"a": 1, "b": 2}
    assert body["tools"][0]["function"]["name"] == "f"
    sent = body["messages"]
    assert sent[1] == {"role": "user", "content": "hi"}  # framework keys stripped
    assert sent[2]["content"] == ""  # never null next to tool calls
    assert sent[2]["tool_calls"][0]["function"]["arguments"] == '{"x": 1}'
    assert sent[3] == {"role": "tool", "tool_call_id": "c1", "content": "ok"}


async def test_tool_call_deltas_are_assembled_across_chunks(server):
    server.push(
        openai_tool_calls(
            ("call_a", "lookup", {"q": "weather in Paris"}),
            ("call_b", "add", {"a": 1, "b": 2}),
            text="Let me check.",
        )
    )
    llm = make(server)
    try:
        parts = await collect(llm)
    finally:
        await llm.close()
    calls = [p for p in parts if isinstance(p, ToolCallReady)]
    assert [(c.id, c.name) for c in calls] == [("call_a", "lookup"), ("call_b", "add")]
    assert json.loads(calls[0].arguments) == {"q": "weather in Paris"}
    assert json.loads(calls[1].arguments) == {"a": 1, "b": 2}
    assert texts(parts) == "Let me check."
    assert [c.name for c in llm.last_tool_calls] == ["lookup", "add"]


async def test_a_tool_call_is_ready_as_soon_as_the_next_one_starts(server):
    gate = Gate()
    events = [
        oa_chunk({"role": "assistant"}),
        oa_tool_delta(0, id="c0", name="first", args='{"n":'),
        oa_tool_delta(0, args=" 1}"),
        oa_tool_delta(1, id="c1", name="second", args="{}"),
        gate,  # the server holds the rest until the test saw the first call
        oa_chunk({}, finish="tool_calls"),
        OA_DONE,
    ]
    server.push(SSEReply(events))
    llm = make(server)
    seen = []
    try:
        async with asyncio.timeout(5):
            async for part in llm.stream([{"role": "user", "content": "go"}]):
                seen.append(part)
                if isinstance(part, ToolCallReady) and part.id == "c0":
                    assert part.arguments == '{"n": 1}'
                    gate.event.set()
    finally:
        await llm.close()
    assert [p.id for p in seen if isinstance(p, ToolCallReady)] == ["c0", "c1"]


async def test_reasoning_content_streams_as_reasoning(server):
    events = [
        oa_chunk({"role": "assistant", "reasoning_content": "think "}),
        oa_chunk({"reasoning_content": "hard"}),
        oa_chunk({"content": "42"}),
        oa_chunk({}, finish="stop"),
        OA_DONE,
    ]
    server.push(SSEReply(events))
    llm = make(server)
    try:
        parts = await collect(llm)
    finally:
        await llm.close()
    assert "".join(p.text for p in parts if isinstance(p, ReasoningDelta)) == "think hard"
    assert texts(parts) == "42"
    assert llm.last_assistant_extra_fields == {"reasoning_content": "think hard"}
    assert not any(isinstance(p, UsageReport) for p in parts)  # the server sent none


async def test_openai_base_url_uses_max_completion_tokens():
    llm = OpenAIProvider(LLMConfig(model="gpt-5", base_url=None, api_key=KEY, max_output=100))
    req = llm.build_request([{"role": "user", "content": "x"}], None, {})
    assert req["max_completion_tokens"] == 100 and "max_tokens" not in req


# --------------------------------------------------------------------------- errors and retries


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_key_is_auth_error_and_not_retried(server, status):
    server.push(openai_error(status, "Incorrect API key provided", code="invalid_api_key"))
    llm = make(server)
    try:
        with pytest.raises(AuthError) as info:
            await collect(llm)
    finally:
        await llm.close()
    assert len(server.requests) == 1
    assert KEY not in str(info.value)
    assert info.value.provider == "openai"


async def test_rate_limit_is_retried_after_retry_after(server):
    server.push(
        openai_error(429, "slow down", type_="rate_limit", headers={"Retry-After": "0.3"}),
        openai_text("ok"),
    )
    llm = make(server, policy=RetryPolicy(max_retries=2, base_delay=0.0, jitter=0.0))
    started = time.monotonic()
    try:
        parts = await collect(llm)
    finally:
        await llm.close()
    assert texts(parts) == "ok"
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 0.28  # waited what Retry-After said, not base_delay (0)


async def test_rate_limit_after_retries_raises_with_retry_after(server):
    for _ in range(3):
        server.push(openai_error(429, "slow down", headers={"retry-after-ms": "10"}))
    llm = make(server)
    try:
        with pytest.raises(RateLimitError) as info:
            await collect(llm)
    finally:
        await llm.close()
    assert info.value.retry_after == pytest.approx(0.01)
    assert len(server.requests) == 3  # 1 + max_retries


async def test_retry_after_longer_than_max_delay_is_not_waited_for(server):
    server.push(openai_error(429, "come back later", headers={"Retry-After": "120"}))
    llm = make(server)
    try:
        with pytest.raises(RateLimitError) as info:
            await collect(llm)
    finally:
        await llm.close()
    assert info.value.retry_after == 120 and len(server.requests) == 1


async def test_quota_exhausted_is_not_retried(server):
    server.push(openai_error(429, "You exceeded your current quota", code="insufficient_quota"))
    llm = make(server)
    try:
        with pytest.raises(RateLimitError, match="quota"):
            await collect(llm)
    finally:
        await llm.close()
    assert len(server.requests) == 1


async def test_server_error_then_success_is_retried(server):
    server.push(openai_error(500, "boom", type_="server_error"), openai_text("fine"))
    llm = make(server)
    try:
        assert texts(await collect(llm)) == "fine"
    finally:
        await llm.close()
    assert len(server.requests) == 2


async def test_persistent_server_error_is_provider_error(server):
    for _ in range(3):
        server.push(openai_error(503, "unavailable", type_="server_error"))
    llm = make(server)
    try:
        with pytest.raises(ProviderError, match="503"):
            await collect(llm)
    finally:
        await llm.close()
    assert len(server.requests) == 3


async def test_context_overflow(server):
    server.push(
        openai_error(
            400,
            "This model's maximum context length is 8192 tokens",
            code="context_length_exceeded",
        )
    )
    llm = make(server)
    try:
        with pytest.raises(ContextOverflowError):
            await collect(llm)
    finally:
        await llm.close()
    assert len(server.requests) == 1


async def test_unknown_model(server):
    server.push(openai_error(404, "The model `nope` does not exist", code="model_not_found"))
    llm = make(server)
    try:
        with pytest.raises(UnknownModelError, match="does not know this model"):
            await collect(llm)
    finally:
        await llm.close()


async def test_other_bad_request_is_provider_error_not_retried(server):
    server.push(openai_error(400, "messages: bad role"))
    llm = make(server)
    try:
        with pytest.raises(ProviderError, match="bad role") as info:
            await collect(llm)
    finally:
        await llm.close()
    assert type(info.value) is ProviderError and len(server.requests) == 1


async def test_no_retry_after_partial_output(server):
    events = [oa_chunk({"content": "Half "}), oa_chunk({"content": "an answer"})]
    server.push(SSEReply(events, then="die"), openai_text("should never be used"))
    llm = make(server)
    got = []
    try:
        with pytest.raises(ProviderError, match="connection"):
            async for part in llm.stream([{"role": "user", "content": "hi"}]):
                got.append(part)
    finally:
        await llm.close()
    assert texts(got) == "Half an answer"
    assert len(server.requests) == 1


async def test_stream_dying_before_output_is_retried(server):
    server.push(SSEReply([oa_chunk({"role": "assistant"})], then="die"), openai_text("second try"))
    llm = make(server)
    try:
        assert texts(await collect(llm)) == "second try"
    finally:
        await llm.close()
    assert len(server.requests) == 2


async def test_stream_ending_without_finish_is_an_error(server):
    # A clean end of body but no finish_reason: the reply was cut short somewhere upstream.
    server.push(SSEReply([oa_chunk({"content": "cut"})]))
    llm = make(server)
    try:
        with pytest.raises(ProviderError, match="finish_reason"):
            await collect(llm)
    finally:
        await llm.close()


async def test_malformed_stream_is_provider_error(server):
    server.push(SSEReply(["data: {not json\n\n"]))
    llm = make(server)
    try:
        with pytest.raises(ProviderError, match="malformed"):
            await collect(llm)
    finally:
        await llm.close()
    assert len(server.requests) == 1


async def test_error_event_inside_the_stream(server):
    events = [oa_chunk({"content": "x"}), 'data: {"error": {"message": "upstream died"}}\n\n']
    server.push(SSEReply(events))
    llm = make(server)
    try:
        with pytest.raises(ProviderError, match="upstream died"):
            await collect(llm)
    finally:
        await llm.close()


async def test_connection_refused_is_provider_error(server):
    llm = OpenAIProvider(
        LLMConfig(model="m", base_url="http://127.0.0.1:9/v1", api_key=KEY),
        retry_policy=RetryPolicy(max_retries=1, base_delay=0.0),
    )
    try:
        with pytest.raises(ProviderError, match="connection"):
            await collect(llm)
    finally:
        await llm.close()


# --------------------------------------------------------------------------- cancellation


async def test_closing_the_stream_closes_the_connection(server):
    server.push(SSEReply([oa_chunk({"content": "first"})], then="hang"))
    llm = make(server)
    try:
        stream = llm.stream([{"role": "user", "content": "hi"}])
        first = await anext(stream)
        assert first == TextDelta("first")
        await stream.aclose()
        await asyncio.wait_for(server.disconnected.wait(), 5)
    finally:
        await llm.close()
    assert server.disconnects == 1


async def test_cancelling_a_consumer_task_closes_the_connection(server):
    server.push(SSEReply([oa_chunk({"content": "first"})], then="hang"))
    llm = make(server)
    started = asyncio.Event()

    async def consume():
        async for _ in llm.stream([{"role": "user", "content": "hi"}]):
            started.set()

    task = asyncio.create_task(consume())
    try:
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(server.disconnected.wait(), 5)
    finally:
        await llm.close()


# --------------------------------------------------------------------------- a full agent turn


@tool
def add_numbers(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


async def test_agent_turn_with_native_tool_call_over_http(server):
    server.push(
        openai_tool_calls(("call_1", "add_numbers", {"a": 2, "b": 3})),
        openai_text("The sum is ", "5."),
    )
    llm = make(server)
    agent = Agent(AgentConfig(name="t", tool_format="native"), llm=llm, tools=[add_numbers])
    try:
        async with agent:
            result = await agent.run("add 2 and 3")
    finally:
        await llm.close()
    assert result.status == "ok", result.error
    assert result.text == "The sum is 5."
    assert [(c.name, c.result) for c in result.tool_calls] == [("add_numbers", "5")]
    assert result.usage.cached_tokens == 2 * OA_USAGE["prompt_tokens_details"]["cached_tokens"]
    second = server.requests[1].body["messages"]
    assistant = next(m for m in second if m["role"] == "assistant")
    assert assistant["content"] == "" and assistant["tool_calls"][0]["id"] == "call_1"
    tool_msg = next(m for m in second if m["role"] == "tool")
    assert tool_msg == {"role": "tool", "tool_call_id": "call_1", "content": "5"}
    assert server.requests[0].body["tools"][0]["function"]["name"] == "add_numbers"


async def test_agent_turn_reports_provider_errors_typed(server):
    server.push(JSONReply(401, {"error": {"message": "bad key"}}))
    llm = make(server)
    try:
        async with Agent(AgentConfig(name="t", tool_format="native"), llm=llm) as agent:
            result = await agent.run("hi")
    finally:
        await llm.close()
    assert result.status == "error" and isinstance(result.error, AuthError)
