"""Composition algebra: ``>>`` sequence, ``&`` parallel, ``|`` fallback, ``*`` retry,
``.iterate`` — over agents and plain sync or async callables.

>>> from kohakuterrarium.compose import agent, factory
>>> async with await agent("creatures/writer") as writer:          # doctest: +SKIP
...     drafts = await (writer & writer)("a title")
"""

from kohakuterrarium.compose.agents import AgentFactory, AgentRunnable, agent, factory
from kohakuterrarium.compose.core import (
    BaseRunnable,
    Effects,
    FailsWhen,
    Fallback,
    PipelineIterator,
    Product,
    Pure,
    Retry,
    Router,
    Runnable,
    Sequence,
    as_runnable,
)

__all__ = [
    "AgentFactory",
    "AgentRunnable",
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
    "agent",
    "as_runnable",
    "factory",
]
