"""Triggers declared in creature configs, and the startup trigger."""

from __future__ import annotations

import asyncio

import pytest

from kohakuterrarium import Agent
from kohakuterrarium.errors import ConfigError
from kohakuterrarium.testing import ScriptedLLM


async def wait_calls(llm: ScriptedLLM, n: int) -> None:
    for _ in range(200):
        if llm.call_count >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {llm.call_count} calls")


async def test_timer_trigger_from_config_wakes_the_agent():
    llm = ScriptedLLM(["tick handled"])
    agent = await Agent.build(
        {
            "name": "t",
            "triggers": [
                {"type": "timer", "name": "beat", "interval": 0.05, "prompt": "Check the build."}
            ],
        },
        llm=llm,
    )
    async with agent:
        assert "beat" in agent.triggers.ids()
        await wait_calls(llm, 2)
    assert "Check the build." in llm.call_log[0][-1]["content"]


async def test_startup_trigger_fires_once():
    llm = ScriptedLLM(["ready"])
    agent = await Agent.build({"name": "s", "startup_trigger": {"prompt": "Say hello."}}, llm=llm)
    async with agent:
        await wait_calls(llm, 1)
        await asyncio.sleep(0.05)
    assert llm.call_count == 1
    assert llm.call_log[0][-1]["content"].endswith("Say hello.")


async def test_custom_trigger_module_from_the_creature_folder(tmp_path):
    (tmp_path / "once.py").write_text(
        "import asyncio\n"
        "from kohakuterrarium.core.events import TriggerEvent\n"
        "from kohakuterrarium.modules.trigger.base import BaseTrigger\n"
        "class Once(BaseTrigger):\n"
        "    def __init__(self, prompt=None, word='x'):\n"
        "        super().__init__(prompt, word=word)\n"
        "        self.word, self.done = word, False\n"
        "    async def wait_for_trigger(self):\n"
        "        if self.done:\n"
        "            await asyncio.sleep(3600)\n"
        "        self.done = True\n"
        "        return TriggerEvent('custom', self.word)\n"
    )
    (tmp_path / "config.yaml").write_text(
        "name: c\ntriggers:\n  - {type: custom, module: ./once.py, class: Once, word: ping}\n"
    )
    llm = ScriptedLLM(["pong"])
    agent = await Agent.build(tmp_path, llm=llm)
    async with agent:
        await wait_calls(llm, 1)
    assert llm.call_log[0][-1]["content"] == "[custom] ping"


async def test_unknown_trigger_type_fails_at_build():
    with pytest.raises(ConfigError) as err:
        await Agent.build(
            {"name": "x", "triggers": [{"type": "timr", "interval": 1}]}, llm="scripted"
        )
    assert "timer" in str(err.value)
