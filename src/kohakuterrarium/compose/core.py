"""The composition algebra over runnables and plain callables.

>>> pipeline = (fetch >> summarise) & translate | fallback      # doctest: +SKIP
>>> results = await pipeline(task)                                # doctest: +SKIP

Operators (Python's precedence applies: ``*`` binds tighter than ``>>``, then ``&``, then ``|``):

- ``a >> b``: :class:`Sequence`, b gets a's output; ``a >> {"k": f, ...}`` routes by key.
- ``a & b``: :class:`Product`, both get the same input, concurrently; the result is a list in
  order. If one branch fails, the others are cancelled and the failure propagates.
- ``a | b``: :class:`Fallback`, b runs with the original input when a raises.
- ``a * n`` / ``n * a``: :class:`Retry`, at most n attempts; the last error is re-raised.

Plain sync or async callables are wrapped in :class:`Pure` wherever a runnable is expected.
Cancelling a pipeline cancels every running branch (structured concurrency throughout).
Each runnable may carry :class:`Effects` (cost, latency, reliability) and composites derive
theirs from their parts.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from kohakuterrarium.errors import CompositionError, RouteError


@dataclass(frozen=True)
class Effects:
    """Expected cost (USD), latency (seconds) and reliability (0..1) of one run."""

    cost: float = 0.0
    latency: float = 0.0
    reliability: float = 1.0

    def then(self, other: Effects) -> Effects:
        """Sequential composition: costs and latencies add, reliabilities multiply."""
        return Effects(
            self.cost + other.cost,
            self.latency + other.latency,
            self.reliability * other.reliability,
        )

    def alongside(self, other: Effects) -> Effects:
        """Parallel composition: costs add, latency is the slowest, reliabilities multiply."""
        return Effects(
            self.cost + other.cost,
            max(self.latency, other.latency),
            self.reliability * other.reliability,
        )

    def otherwise(self, other: Effects) -> Effects:
        """Fallback: the second part runs only when the first fails."""
        miss = 1.0 - self.reliability
        return Effects(
            self.cost + miss * other.cost,
            self.latency + miss * other.latency,
            1.0 - miss * (1.0 - other.reliability),
        )

    def retried(self, attempts: int) -> Effects:
        """At most ``attempts`` tries; expected cost/latency count the tries that happen."""
        miss = 1.0 - self.reliability
        expected_tries = sum(miss**i for i in range(attempts))
        return Effects(
            self.cost * expected_tries,
            self.latency * expected_tries,
            1.0 - miss**attempts,
        )


@runtime_checkable
class Runnable(Protocol):
    """Anything with ``async run(x)``."""

    async def run(self, x: Any) -> Any: ...


def as_runnable(obj: Any) -> BaseRunnable:
    """Wrap a callable (sync or async) or a dict of routes; runnables pass through."""
    if isinstance(obj, BaseRunnable):
        return obj
    if isinstance(obj, Mapping):
        return Router(obj)
    if isinstance(obj, Runnable) and not callable(obj):
        return _Adapter(obj)
    if callable(obj):
        return Pure(obj)
    raise TypeError(f"cannot compose {type(obj).__name__!s}: expected a runnable or a callable")


class BaseRunnable:
    """Base of every composable step."""

    effects: Effects | None = None
    """What one run is expected to cost (None: unknown)."""

    async def run(self, x: Any) -> Any:
        raise NotImplementedError

    def __call__(self, x: Any) -> Awaitable[Any]:
        return self.run(x)

    # -- operators
    def __rshift__(self, other: Any) -> Sequence:
        return Sequence(self, as_runnable(other))

    def __rrshift__(self, other: Any) -> Sequence:
        return Sequence(as_runnable(other), self)

    def __and__(self, other: Any) -> Product:
        return Product(self, as_runnable(other))

    def __rand__(self, other: Any) -> Product:
        return Product(as_runnable(other), self)

    def __or__(self, other: Any) -> Fallback:
        return Fallback(self, as_runnable(other))

    def __ror__(self, other: Any) -> Fallback:
        return Fallback(as_runnable(other), self)

    def __mul__(self, attempts: int) -> Retry:
        if not isinstance(attempts, int) or isinstance(attempts, bool):
            return NotImplemented
        return Retry(self, attempts)

    __rmul__ = __mul__

    # -- combinators by name
    def map(self, fn: Callable[[Any], Any]) -> Sequence:
        """Append a step that transforms the output."""
        return Sequence(self, Pure(fn))

    def contramap(self, fn: Callable[[Any], Any]) -> Sequence:
        """Prepend a step that transforms the input."""
        return Sequence(Pure(fn), self)

    def fails_when(self, predicate: Callable[[Any], Any], message: str = "") -> FailsWhen:
        """Raise :class:`CompositionError` when ``predicate(output)`` is true (for ``|``, ``*``)."""
        return FailsWhen(self, predicate, message)

    def iterate(self, x: Any) -> PipelineIterator:
        """Feed each output back in as the next input, yielding every round."""
        return PipelineIterator(self, x)


class _Adapter(BaseRunnable):
    def __init__(self, inner: Runnable) -> None:
        self.inner = inner

    async def run(self, x: Any) -> Any:
        return await self.inner.run(x)


class Pure(BaseRunnable):
    """A plain function (sync or async) as a step. Sync ones run inline: keep them quick."""

    def __init__(self, fn: Callable[[Any], Any], *, effects: Effects | None = None) -> None:
        self.fn = fn
        self.effects = effects if effects is not None else Effects()

    async def run(self, x: Any) -> Any:
        value = self.fn(x)
        if inspect.isawaitable(value):
            value = await value
        return value

    def __repr__(self) -> str:
        return f"Pure({getattr(self.fn, '__name__', self.fn)!r})"


def _combine(parts: list[BaseRunnable], how: str) -> Effects | None:
    effects = [p.effects for p in parts]
    if any(e is None for e in effects):
        return None
    total = effects[0]
    for e in effects[1:]:
        total = getattr(total, how)(e)
    return total


class Sequence(BaseRunnable):
    """Run steps one after another, each on the previous output."""

    def __init__(self, *steps: BaseRunnable) -> None:
        flat: list[BaseRunnable] = []
        for step in steps:
            flat.extend(step.steps if isinstance(step, Sequence) else [step])
        self.steps = flat

    @property
    def effects(self) -> Effects | None:  # type: ignore[override]
        return _combine(self.steps, "then")

    async def run(self, x: Any) -> Any:
        for step in self.steps:
            x = await step.run(x)
        return x

    def __repr__(self) -> str:
        return " >> ".join(map(repr, self.steps))


class Product(BaseRunnable):
    """Run branches concurrently on the same input; a list of their outputs, in order."""

    def __init__(self, *branches: BaseRunnable) -> None:
        flat: list[BaseRunnable] = []
        for b in branches:
            flat.extend(b.branches if isinstance(b, Product) else [b])
        self.branches = flat

    @property
    def effects(self) -> Effects | None:  # type: ignore[override]
        return _combine(self.branches, "alongside")

    async def run(self, x: Any) -> list[Any]:
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(b.run(x)) for b in self.branches]
        except BaseExceptionGroup as eg:
            # One branch failed, the rest were cancelled: surface the first real error.
            raise _first_error(eg) from eg
        return [t.result() for t in tasks]

    def __repr__(self) -> str:
        return "(" + " & ".join(map(repr, self.branches)) + ")"


def _first_error(eg: BaseExceptionGroup) -> BaseException:
    for exc in eg.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return eg.exceptions[0]


class Fallback(BaseRunnable):
    """Run ``primary``; if it raises an Exception, run ``backup`` on the original input."""

    def __init__(self, primary: BaseRunnable, backup: BaseRunnable) -> None:
        self.primary = primary
        self.backup = backup
        self.last_error: BaseException | None = None

    @property
    def effects(self) -> Effects | None:  # type: ignore[override]
        a, b = self.primary.effects, self.backup.effects
        return a.otherwise(b) if a is not None and b is not None else None

    async def run(self, x: Any) -> Any:
        try:
            return await self.primary.run(x)
        except Exception as exc:
            self.last_error = exc
            return await self.backup.run(x)

    def __repr__(self) -> str:
        return f"({self.primary!r} | {self.backup!r})"


class Retry(BaseRunnable):
    """At most ``attempts`` runs of ``inner``; re-raises the last error."""

    def __init__(self, inner: BaseRunnable, attempts: int) -> None:
        if attempts < 1:
            raise ValueError(f"retry needs at least 1 attempt, got {attempts}")
        self.inner = inner
        self.attempts = attempts

    @property
    def effects(self) -> Effects | None:  # type: ignore[override]
        e = self.inner.effects
        return e.retried(self.attempts) if e is not None else None

    async def run(self, x: Any) -> Any:
        error: BaseException | None = None
        for _ in range(self.attempts):
            try:
                return await self.inner.run(x)
            except Exception as exc:
                error = exc
        assert error is not None
        raise error

    def __repr__(self) -> str:
        return f"({self.inner!r} * {self.attempts})"


class FailsWhen(BaseRunnable):
    """Turn an unwanted output into a failure."""

    def __init__(self, inner: BaseRunnable, predicate: Callable[[Any], Any], message: str = ""):
        self.inner = inner
        self.predicate = predicate
        self.message = message

    @property
    def effects(self) -> Effects | None:  # type: ignore[override]
        return self.inner.effects

    async def run(self, x: Any) -> Any:
        out = await self.inner.run(x)
        verdict = self.predicate(out)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if verdict:
            raise CompositionError(self.message or f"output rejected by fails_when: {out!r:.200}")
        return out


class Router(BaseRunnable):
    """Pick a route by key: the input is a ``(key, payload)`` pair, or its own key.

    ``"_default"`` catches keys with no route; otherwise a :class:`RouteError` is raised.
    """

    def __init__(self, routes: Mapping[Any, Any]) -> None:
        self.routes = {k: as_runnable(v) for k, v in routes.items()}

    async def run(self, x: Any) -> Any:
        if isinstance(x, tuple) and len(x) == 2 and x[0] in self.routes:
            key, payload = x
        else:
            key, payload = x, x
        try:
            route = self.routes[key]
        except (KeyError, TypeError):
            route = self.routes.get("_default")
            if route is None:
                raise RouteError(
                    f"no route for {key!r}; routes: {', '.join(map(repr, self.routes))}"
                ) from None
        return await route.run(payload)


class PipelineIterator:
    """``async for out in runnable.iterate(x)``: each output becomes the next input.

    It runs until the caller breaks; ``feed(v)`` replaces the next input once.
    """

    def __init__(self, runnable: BaseRunnable, first: Any) -> None:
        self.runnable = runnable
        self.next_input = first
        self.rounds = 0
        self._override: list[Any] = []

    def feed(self, value: Any) -> None:
        self._override[:] = [value]

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        x = self._override.pop() if self._override else self.next_input
        out = await self.runnable.run(x)
        self.next_input = out
        self.rounds += 1
        return out


__all__ = [
    "BaseRunnable",
    "Effects",
    "FailsWhen",
    "Fallback",
    "PipelineIterator",
    "Product",
    "Pure",
    "Retry",
    "Router",
    "Runnable",
    "Sequence",
    "as_runnable",
]
