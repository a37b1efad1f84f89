"""Plugins driven through a real Agent and the scripted LLM: the controller's side of the contract."""

from __future__ import annotations

from kohakuterrarium import tool
from kohakuterrarium.modules.plugin.base import BasePlugin, PluginBlockError
from kohakuterrarium.testing import ScriptEntry, TestAgentBuilder


@tool
def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


class Recorder(BasePlugin):
    name = "recorder"
    priority = 10

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls: list[str] = []
        self.context = None

    async def on_load(self, context):
        self.context = context
        self.calls.append("on_load")

    async def on_agent_start(self):
        self.calls.append("on_agent_start")

    async def on_event(self, event=None):
        self.calls.append(f"on_event:{event.type}")

    async def pre_llm_call(self, messages, **kw):
        self.calls.append(f"pre_llm_call:{sorted(kw)}")
        return [*messages[:-1], {**messages[-1], "content": messages[-1]["content"] + " (seen)"}]

    async def post_llm_call(self, messages, response, usage, **kw):
        self.calls.append("post_llm_call")
        return response.replace("secret", "[redacted]")

    async def pre_tool_execute(self, args, **kw):
        self.calls.append(f"pre_tool_execute:{kw['tool_name']}")
        if args.get("text") == "forbidden":
            raise PluginBlockError("shouting that is not allowed")
        return None

    async def post_tool_execute(self, result, **kw):
        self.calls.append(f"post_tool_execute:{sorted(kw)}")
        return None

    async def on_agent_stop(self):
        self.calls.append("on_agent_stop")

    async def on_unload(self):
        self.calls.append("on_unload")


async def test_hooks_run_in_a_real_turn():
    plugin = Recorder()
    env = (
        TestAgentBuilder()
        .with_name("creature")
        .with_tool_format("native")
        .with_llm_script(["the secret answer"])
        .with_plugin(plugin)
        .build()
    )
    async with env:
        result = await env.run("hello")
    assert result.text == "the [redacted] answer"
    assert plugin.context.agent_name == "creature"
    assert plugin.context._plugin_name == "recorder"
    assert env.llm.calls[0].messages[-1]["content"].endswith("(seen)")
    assert plugin.calls[:3] == ["on_load", "on_agent_start", "on_event:user_input"]
    assert "pre_llm_call:['model', 'tools']" in plugin.calls
    assert plugin.calls[-2:] == ["on_agent_stop", "on_unload"]


async def test_pre_tool_execute_block_becomes_the_tool_result():
    plugin = Recorder()
    env = (
        TestAgentBuilder()
        .with_tool_format("native")
        .with_tool(shout)
        .with_llm_script(
            [
                ScriptEntry(tool_calls=[{"name": "shout", "arguments": {"text": "forbidden"}}]),
                "ok",
            ]
        )
        .with_plugin(plugin)
        .build()
    )
    async with env:
        await env.run("go")
    tool_msgs = [m for m in env.conversation if m.get("role") == "tool"]
    assert tool_msgs and "shouting that is not allowed" in str(tool_msgs[0]["content"])
    assert "pre_tool_execute:shout" in plugin.calls
    assert not any(c.startswith("post_tool_execute") for c in plugin.calls)
