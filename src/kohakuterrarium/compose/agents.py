"""Agents as composable steps.

``await agent(config)`` gives a persistent creature (its conversation carries over between
calls); ``factory(config)`` builds a fresh creature for every call. Both run real turns: a turn
that does not end ``ok`` raises :class:`~kohakuterrarium.errors.StepFailed` (carrying the
TurnResult), which is what ``|`` and ``*`` react to; cancelling the pipeline cancels the turn.
"""

from __future__ import annotations

from typing import Any

from kohakuterrarium.compose.core import BaseRunnable, Effects
from kohakuterrarium.errors import StepFailed


def _prompt(x: Any) -> Any:
    if isinstance(x, (str, list)):
        return x
    if hasattr(x, "text") and hasattr(x, "status"):  # a TurnResult from an earlier step
        return x.text
    return str(x)


async def _build(config: Any, engine: Any, llm: Any, pwd: Any, kwargs: dict[str, Any]) -> Any:
    """A started runner with ``run(prompt, timeout=)``: a creature on ``engine``, or an Agent."""
    if engine is not None:
        return await engine.add_creature(config, llm=llm, pwd=pwd, **kwargs)
    from kohakuterrarium.core.agent import Agent

    runner = await Agent.build(config, llm=llm, pwd=pwd, **kwargs)
    await runner.start()
    return runner


async def _release(runner: Any, engine: Any) -> None:
    if engine is not None and hasattr(engine, "remove_creature"):
        await engine.remove_creature(runner)
    else:
        await runner.stop()


async def _turn(runner: Any, x: Any, timeout: float | None, name: str) -> str:
    result = await runner.run(_prompt(x), timeout=timeout)
    if result.status != "ok":
        raise StepFailed(
            f"agent '{name}' turn ended with status {result.status}: {result.error}",
            result=result,
        )
    return result.text


class AgentRunnable(BaseRunnable):
    """A persistent creature as a step; use ``async with`` or ``close()``."""

    def __init__(
        self,
        runner: Any,
        *,
        engine: Any = None,
        timeout: float | None = None,
        effects: Effects | None = None,
    ) -> None:
        self.runner = runner
        self.engine = engine
        self.timeout = timeout
        self.effects = effects
        self.name = getattr(runner, "name", "agent")
        self.last_result: Any = None

    async def run(self, x: Any) -> str:
        return await _turn(self.runner, x, self.timeout, self.name)

    async def close(self) -> None:
        await _release(self.runner, self.engine)

    async def __aenter__(self) -> AgentRunnable:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"agent({self.name!r})"


class AgentFactory(BaseRunnable):
    """A fresh creature for every call (nothing carries over between calls)."""

    def __init__(
        self,
        config: Any,
        *,
        engine: Any = None,
        llm: Any = None,
        pwd: Any = None,
        timeout: float | None = None,
        effects: Effects | None = None,
        **kwargs: Any,
    ) -> None:
        self.config = config
        self.engine = engine
        self.llm = llm
        self.pwd = pwd
        self.timeout = timeout
        self.effects = effects
        self.kwargs = kwargs

    async def run(self, x: Any) -> str:
        runner = await _build(self.config, self.engine, self.llm, self.pwd, self.kwargs)
        try:
            return await _turn(runner, x, self.timeout, getattr(runner, "name", "agent"))
        finally:
            await _release(runner, self.engine)

    def __repr__(self) -> str:
        return f"factory({self.config!r:.60})"


async def agent(
    config: Any,
    *,
    engine: Any = None,
    llm: Any = None,
    pwd: Any = None,
    timeout: float | None = None,
    effects: Effects | None = None,
    **kwargs: Any,
) -> AgentRunnable:
    """Build and start a persistent creature and return it as a composable step.

    >>> async with await agent("creatures/writer", llm=my_llm) as writer:   # doctest: +SKIP
    ...     text = await (writer >> str.upper)("a haiku about tea")
    """
    runner = await _build(config, engine, llm, pwd, kwargs)
    return AgentRunnable(runner, engine=engine, timeout=timeout, effects=effects)


def factory(
    config: Any,
    *,
    engine: Any = None,
    llm: Any = None,
    pwd: Any = None,
    timeout: float | None = None,
    effects: Effects | None = None,
    **kwargs: Any,
) -> AgentFactory:
    """A step that builds a fresh creature for each call."""
    return AgentFactory(
        config, engine=engine, llm=llm, pwd=pwd, timeout=timeout, effects=effects, **kwargs
    )


__all__ = ["AgentFactory", "AgentRunnable", "agent", "factory"]
