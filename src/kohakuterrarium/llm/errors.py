"""Provider failures as typed errors, and the one retry loop every provider runs through.

The SDKs raise their own exception types; :func:`classify_sdk_error` turns them into the
:mod:`kohakuterrarium.errors` tree (``AuthError``, ``RateLimitError``, ``ContextOverflowError``,
``UnknownModelError``, ``ProviderError``) and says whether another attempt may help.
:func:`stream_with_retries` retries such failures with exponential backoff and jitter, honouring
``Retry-After``, but only while nothing has been streamed yet: once text went out, a retry would
repeat it, so the error is raised instead. The SDKs' own retries are switched off (``max_retries=0``)
so these are the only ones.

This module never imports an SDK: it reads exception attributes (``status_code``, ``response``,
``body``) that the ``openai`` and ``anthropic`` SDKs share, and gets the SDK's connection-error
classes from the caller.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

from kohakuterrarium.errors import (
    AuthError,
    BadValueError,
    ContextOverflowError,
    LLMError,
    ProviderError,
    RateLimitError,
    UnknownModelError,
)
from kohakuterrarium.llm.base import StreamPart, UsageReport
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

# Phrases providers use when the prompt does not fit (OpenAI, Anthropic, vLLM, llama.cpp, Gemini).
_OVERFLOW_PHRASES = (
    "context_length_exceeded",
    "context length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
    "input is too long",
    "exceeds the available context",
    "reduce the length",
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a provider retries a failed request."""

    max_retries: int = 3
    """Retries after the first attempt (0: never retry)."""
    base_delay: float = 1.0
    """Seconds before the first retry; doubles on each further retry."""
    max_delay: float = 30.0
    """Longest wait between attempts; a Retry-After longer than this is not waited for."""
    jitter: float = 0.25
    """Random spread of each backoff delay, as a fraction (0.25: +/-25%)."""

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise BadValueError(
                "retry_policy values must not be negative", key="retry_policy", hint=str(self)
            )
        if not 0 <= self.jitter <= 1:
            raise BadValueError("retry_policy.jitter must be between 0 and 1", key="retry_policy")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based) when the server gave no hint."""
        delay = min(self.max_delay, self.base_delay * (2**retry))
        if self.jitter:
            delay *= 1 + random.uniform(-self.jitter, self.jitter)
        return max(0.0, delay)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any] | RetryPolicy | None, *, where: str = ""
    ) -> RetryPolicy:
        """Build from a config mapping; unknown keys are an error."""
        if data is None:
            return cls()
        if isinstance(data, RetryPolicy):
            return data
        if not isinstance(data, dict):
            raise BadValueError(
                f"retry_policy must be a mapping, got {type(data).__name__}", file=where or None
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BadValueError(
                f"unknown retry_policy key(s) {unknown}",
                file=where or None,
                key="retry_policy",
                hint="known keys: " + ", ".join(sorted(known)),
            )
        try:
            return cls(**{k: type(getattr(cls(), k))(v) for k, v in data.items()})
        except (TypeError, ValueError) as exc:
            raise BadValueError(
                f"bad retry_policy value: {exc}", file=where or None, key="retry_policy"
            ) from exc


@dataclass(frozen=True, slots=True)
class Classified:
    """A provider failure mapped onto our error tree."""

    error: LLMError
    """The typed error to raise."""
    retryable: bool
    """Whether another attempt (before any output) may succeed."""


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    if secret and len(secret) >= 4 and secret in text:
        return text.replace(secret, "***")
    return text


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (number or HTTP date), else None."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        value = headers.get("retry-after")
    except (AttributeError, TypeError, ValueError):
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _body_error(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error")
        return inner if isinstance(inner, dict) else body
    if isinstance(body, str):
        try:
            return _body_error(json.loads(body))
        except ValueError:
            return {"message": body}
    return {}


def _api_message(exc: BaseException, body: dict[str, Any]) -> str:
    msg = body.get("message")
    if isinstance(msg, str) and msg:
        return msg
    return str(getattr(exc, "message", None) or exc) or type(exc).__name__


def classify_sdk_error(
    exc: BaseException,
    *,
    provider: str,
    model: str,
    connection_errors: tuple[type[BaseException], ...] = (),
    timeout_errors: tuple[type[BaseException], ...] = (),
    secret: str | None = None,
) -> Classified | None:
    """Map an SDK (or transport, or decoding) exception onto our error tree.

    Returns None for exceptions that are not provider failures (programming errors): those
    propagate unchanged.
    """
    if isinstance(exc, LLMError):
        return Classified(exc, bool(getattr(exc, "retryable", False)))
    where = f"{provider}/{model}"
    kw = {"provider": provider, "model": model}
    # Transport errors some SDKs let through unwrapped mid-stream (httpx / httpx2 classes,
    # recognised by name so this module imports neither).
    mro = {cls.__name__ for cls in type(exc).__mro__}
    if "TimeoutException" in mro:
        timeout_errors = (*timeout_errors, type(exc))
    elif "RequestError" in mro and "DecodingError" not in mro:
        connection_errors = (*connection_errors, type(exc))
    if timeout_errors and isinstance(exc, timeout_errors):
        return Classified(
            ProviderError(f"{where}: the request timed out (no data within the timeout)", **kw),
            True,
        )
    if connection_errors and isinstance(exc, connection_errors):
        cause = exc.__cause__ or exc.__context__
        detail = f" ({type(cause).__name__}: {cause})" if cause else ""
        text = redact(f"{where}: connection failed or dropped{detail}", secret)
        return Classified(ProviderError(text, **kw), True)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        return Classified(
            ProviderError(f"{where}: malformed stream from the server: {exc}", **kw), False
        )
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        # An error event inside a stream (no HTTP status) or something unexpected.
        body = _body_error(getattr(exc, "body", None))
        if body or hasattr(exc, "body"):
            return _classify_status(exc, 200, body, where, kw, secret)
        name = type(exc).__name__
        if name in {"ValidationError", "APIResponseValidationError"}:
            return Classified(ProviderError(f"{where}: malformed response: {exc}", **kw), False)
        return None
    return _classify_status(exc, status, _body_error(getattr(exc, "body", None)), where, kw, secret)


def _classify_status(
    exc: BaseException,
    status: int,
    body: dict[str, Any],
    where: str,
    kw: dict[str, Any],
    secret: str | None,
) -> Classified:
    message = redact(_api_message(exc, body), secret)
    kind = str(body.get("type") or "")
    code = str(body.get("code") or "")
    lowered = f"{message} {kind} {code}".lower()
    response = getattr(exc, "response", None)
    label = f"HTTP {status}" if status != 200 else "error event in stream"
    provider = kw["provider"]
    in_stream = status == 200  # an error event inside a 200 stream: only its type tells

    if status in (401, 403) or (in_stream and kind in {"authentication_error", "permission_error"}):
        return Classified(
            AuthError(
                f"{where}: credentials rejected ({label}): {message}. Set a valid key with "
                f"`kt config key set {provider}` or the provider's API-key environment variable",
                **kw,
            ),
            False,
        )
    if status == 429 or (in_stream and kind == "rate_limit_error"):
        retry_after = retry_after_seconds(getattr(response, "headers", None))
        quota = "insufficient_quota" in lowered
        err = RateLimitError(
            f"{where}: rate limited ({label}): {message}"
            + (" (quota exhausted: check billing)" if quota else ""),
            retry_after=retry_after,
            **kw,
        )
        return Classified(err, not quota)
    if status in (400, 413, 422) or (
        in_stream and kind in {"invalid_request_error", "request_too_large"}
    ):
        if any(p in lowered for p in _OVERFLOW_PHRASES):
            return Classified(
                ContextOverflowError(
                    f"{where}: the prompt does not fit the model's context window ({label}): "
                    f"{message}. Compact or shorten the conversation",
                    **kw,
                ),
                False,
            )
        return Classified(
            ProviderError(f"{where}: request rejected ({label}): {message}", **kw), False
        )
    if status == 404 or (in_stream and kind == "not_found_error"):
        if "model" in lowered:
            return Classified(
                UnknownModelError(
                    f"{where}: the provider does not know this model ({label}): {message}. "
                    "Check the model id of the preset / profile",
                    **kw,
                ),
                False,
            )
        return Classified(
            ProviderError(
                f"{where}: endpoint not found ({label}): {message}. Check the backend's base_url",
                **kw,
            ),
            False,
        )
    if (
        status in (408, 409)
        or status >= 500
        or (in_stream and kind in {"overloaded_error", "api_error"})
    ):
        return Classified(ProviderError(f"{where}: server error ({label}): {message}", **kw), True)
    if status == 200:
        # Unclassified error events mid-stream (OpenRouter relays upstream failures this way).
        return Classified(ProviderError(f"{where}: {label}: {message}", **kw), True)
    return Classified(ProviderError(f"{where}: request failed ({label}): {message}", **kw), False)


def stream_ended_early(provider: str, model: str, what: str) -> ProviderError:
    """The error for a stream that stopped before the reply finished (retryable before output)."""
    err = ProviderError(
        f"{provider}/{model}: the stream ended before {what} (connection dropped?)",
        provider=provider,
        model=model,
    )
    err.retryable = True  # type: ignore[attr-defined]
    return err


async def stream_with_retries(
    attempt: Callable[[], AsyncIterator[StreamPart]],
    *,
    policy: RetryPolicy,
    classify: Callable[[BaseException], Classified | None],
    provider: str,
    model: str,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> AsyncIterator[StreamPart]:
    """Run ``attempt()`` and re-run it on retryable failures, as long as nothing was yielded.

    Closing this generator closes the running attempt (and so the HTTP response).
    """
    retry = 0
    while True:
        emitted = False
        gen = attempt()
        try:
            async for part in gen:
                if not isinstance(part, UsageReport):
                    emitted = True
                yield part
            return
        except Exception as exc:
            classified = classify(exc)
            if classified is None:
                raise
            err = classified.error
            if emitted or not classified.retryable or retry >= policy.max_retries:
                if emitted and classified.retryable:
                    logger.warning(
                        "LLM stream failed after output was sent; not retrying",
                        provider=provider,
                        model=model,
                        error=type(err).__name__,
                    )
                if err is exc:
                    raise
                raise err from exc
            hinted = err.retry_after if isinstance(err, RateLimitError) else None
            if hinted is not None and hinted > policy.max_delay:
                raise err from exc  # the server asks for longer than we are willing to wait
            delay = hinted if hinted is not None else policy.backoff(retry)
            retry += 1
            logger.warning(
                "LLM request failed; retrying",
                provider=provider,
                model=model,
                attempt=retry,
                of=policy.max_retries,
                delay_s=round(delay, 3),
                error=f"{type(err).__name__}: {err}",
            )
        finally:
            await gen.aclose()
        await sleep(delay)


__all__ = [
    "Classified",
    "RetryPolicy",
    "classify_sdk_error",
    "redact",
    "retry_after_seconds",
    "stream_ended_early",
    "stream_with_retries",
]
