"""Helpers shared by the terrarium tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


def native(tool: str, /, **args) -> ScriptEntry:
    """A scripted reply that makes one native tool call."""
    return ScriptEntry(tool_calls=[{"name": tool, "arguments": args}])


def cfg(name: str, **kw) -> AgentConfig:
    return AgentConfig(name=name, system_prompt=f"You are {name}.", tool_format="native", **kw)


def llm(*script) -> ScriptedLLM:
    return ScriptedLLM(list(script) or ["OK"])


async def wait_for(pred: Callable[[], bool], timeout: float = 3.0, step: float = 0.01) -> None:
    """Poll ``pred`` until it is true (fails the test after ``timeout``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not pred():
        if loop.time() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        await asyncio.sleep(step)


def user_texts(scripted: ScriptedLLM) -> list[str]:
    """The last user message of every call the scripted LLM received."""
    out = []
    for messages in scripted.call_log:
        for msg in reversed(messages):
            if msg.get("role") == "user":
                out.append(str(msg.get("content")))
                break
    return out
