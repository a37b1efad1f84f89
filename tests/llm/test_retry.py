"""The retry loop and error classification, without a network."""

from __future__ import annotations

import email.utils
import time

import pytest

from kohakuterrarium.errors import BadValueError, ProviderError, RateLimitError
from kohakuterrarium.llm.base import TextDelta, Usage, UsageReport
from kohakuterrarium.llm.errors import (
    Classified,
    RetryPolicy,
    classify_sdk_error,
    retry_after_seconds,
    stream_with_retries,
)


def test_backoff_doubles_is_capped_and_jittered():
    plain = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.0)
    assert [plain.backoff(i) for i in range(4)] == [1.0, 2.0, 4.0, 5.0]
    jittery = RetryPolicy(base_delay=1.0, max_delay=30.0, jitter=0.25)
    samples = [jittery.backoff(1) for _ in range(200)]
    assert all(1.5 <= s <= 2.5 for s in samples) and len(set(samples)) > 1


def test_retry_policy_from_config():
    assert RetryPolicy.from_dict(None) == RetryPolicy(3, 1.0, 30.0, 0.25)
    assert RetryPolicy.from_dict({"max_retries": "5", "base_delay": 2}).max_retries == 5
    with pytest.raises(BadValueError, match="unknown retry_policy"):
        RetryPolicy.from_dict({"retries": 5})
    with pytest.raises(BadValueError):
        RetryPolicy.from_dict({"jitter": 3})


def test_retry_after_header_forms():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    when = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= retry_after_seconds({"retry-after": when}) <= 10.5
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None and retry_after_seconds(None) is None


class FakeStatusError(Exception):
    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(f"HTTP {status}")
        self.status_code = status
        self.body = body
        self.response = type("R", (), {"headers": headers or {}})()


def classify(exc):
    return classify_sdk_error(exc, provider="p", model="m", secret="sk-very-secret-key")


def test_classification_table():
    c = classify(FakeStatusError(429, {"message": "slow"}, {"retry-after": "3"}))
    assert isinstance(c.error, RateLimitError) and c.error.retry_after == 3 and c.retryable
    c = classify(FakeStatusError(502, {"message": "bad gateway"}))
    assert type(c.error) is ProviderError and c.retryable
    c = classify(FakeStatusError(400, {"message": "key sk-very-secret-key is odd"}))
    assert not c.retryable and "sk-very-secret-key" not in str(c.error)
    assert classify(ValueError("a bug in our code")) is None  # not a provider failure


async def run(policy, attempts, sleeps):
    calls = iter(attempts)

    async def fake_sleep(d):
        sleeps.append(d)

    async def collect():
        out = []
        async for part in stream_with_retries(
            lambda: next(calls)(),
            policy=policy,
            classify=classify,
            provider="p",
            model="m",
            sleep=fake_sleep,
        ):
            out.append(part)
        return out

    return await collect()


def failing(exc, *before):
    async def gen():
        for part in before:
            yield part
        raise exc

    return gen


def succeeding(*parts):
    async def gen():
        for part in parts:
            yield part

    return gen


async def test_retries_before_output_with_backoff_and_retry_after():
    sleeps: list[float] = []
    policy = RetryPolicy(max_retries=3, base_delay=1.0, jitter=0.0)
    out = await run(
        policy,
        [
            failing(FakeStatusError(503, {})),
            failing(FakeStatusError(429, {}, {"retry-after": "7"}), UsageReport(Usage())),
            succeeding(TextDelta("ok")),
        ],
        sleeps,
    )
    assert out == [UsageReport(Usage()), TextDelta("ok")]  # a usage part is not "output"
    assert sleeps == [1.0, 7.0]


async def test_no_retry_once_text_went_out():
    sleeps: list[float] = []
    with pytest.raises(ProviderError):
        await run(
            RetryPolicy(max_retries=3),
            [failing(FakeStatusError(500, {}), TextDelta("partial")), succeeding(TextDelta("x"))],
            sleeps,
        )
    assert sleeps == []


async def test_gives_up_after_max_retries():
    sleeps: list[float] = []
    with pytest.raises(ProviderError):
        await run(
            RetryPolicy(max_retries=2, base_delay=0.5, jitter=0.0),
            [failing(FakeStatusError(500, {})) for _ in range(3)],
            sleeps,
        )
    assert sleeps == [0.5, 1.0]


async def test_programming_errors_propagate_unchanged():
    with pytest.raises(KeyError):
        await run(RetryPolicy(), [failing(KeyError("oops"))], [])


def test_classified_is_a_plain_record():
    err = ProviderError("x")
    assert Classified(err, True).retryable is True
