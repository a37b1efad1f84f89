"""``TestAgentBuilder``: a real Agent, wired for tests, in a few fluent lines.

>>> env = (TestAgentBuilder().with_llm_script(["hello"]).with_tool(count_words).build())
>>> async with env:                                  # doctest: +SKIP
...     result = await env.run("hi")

Unlike the established design's builder, this drives the *full* loop: tool results are fed back
and the script advances round by round, in every tool-call format.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig, ToolEntry
from kohakuterrarium.core.result import TurnResult
from kohakuterrarium.core.subagent import SubAgentSpec
from kohakuterrarium.llm.scripted import ScriptedLLM, ScriptEntry
from kohakuterrarium.testing.recorders import EventRecorder, OutputRecorder


class TestAgentEnv:
    """A built test agent with its scripted LLM and recorders."""

    __test__ = False  # not a pytest test class

    def __init__(self, agent: Agent, llm: Any, output: OutputRecorder, events: EventRecorder):
        self.agent = agent
        self.llm = llm
        self.output = output
        self.events = events

    async def __aenter__(self) -> TestAgentEnv:
        await self.agent.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.agent.stop()

    async def run(self, text: Any, **kw: Any) -> TurnResult:
        return await self.agent.run(text, **kw)

    async def chat(self, text: Any) -> str:
        """Run one turn and return its final text."""
        return (await self.agent.run(text)).text

    @property
    def conversation(self) -> list[dict[str, Any]]:
        return self.agent.conversation.messages


class TestAgentBuilder:
    """Fluent construction of a test agent."""

    __test__ = False

    def __init__(self) -> None:
        self._config = AgentConfig(name="test_agent", system_prompt="You are a test agent.")
        self._llm: Any = None
        self._script: Sequence[ScriptEntry | str] | None = None
        self._tools: list[Any] = []
        self._subagents: list[SubAgentSpec] = []
        self._plugins: list[Any] = []
        self._output: OutputRecorder | None = None
        self._pwd: Path | None = None

    def with_name(self, name: str) -> TestAgentBuilder:
        self._config.name = name
        return self

    def with_llm_script(self, script: Sequence[ScriptEntry | str]) -> TestAgentBuilder:
        self._script = script
        return self

    def with_llm(self, llm: Any) -> TestAgentBuilder:
        self._llm = llm
        return self

    def with_output(self, output: OutputRecorder) -> TestAgentBuilder:
        self._output = output
        return self

    def with_system_prompt(self, prompt: str) -> TestAgentBuilder:
        self._config.system_prompt = prompt
        return self

    def with_tool_format(self, fmt: str | dict[str, Any]) -> TestAgentBuilder:
        self._config.tool_format = fmt
        return self

    def with_builtin_tools(self, names: Sequence[str]) -> TestAgentBuilder:
        self._config.tools.extend(ToolEntry(n) for n in names)
        return self

    def with_tool(self, tool: Any) -> TestAgentBuilder:
        self._tools.append(tool)
        return self

    def with_subagent(self, spec: SubAgentSpec) -> TestAgentBuilder:
        self._subagents.append(spec)
        return self

    def with_plugin(self, plugin: Any) -> TestAgentBuilder:
        self._plugins.append(plugin)
        return self

    def with_pwd(self, pwd: str | Path) -> TestAgentBuilder:
        self._pwd = Path(pwd)
        return self

    def with_config(self, **fields: Any) -> TestAgentBuilder:
        for key, value in fields.items():
            if not hasattr(self._config, key):
                raise AttributeError(f"AgentConfig has no field {key!r}")
            setattr(self._config, key, value)
        return self

    def with_ephemeral(self, ephemeral: bool = True) -> TestAgentBuilder:
        self._config.ephemeral = ephemeral
        return self

    def build(self) -> TestAgentEnv:
        llm = self._llm if self._llm is not None else ScriptedLLM(self._script)
        output = self._output or OutputRecorder()
        agent = Agent(
            self._config,
            llm=llm,
            tools=self._tools,
            subagents=self._subagents,
            plugins=self._plugins,
            output_module=output,
            pwd=self._pwd,
        )
        events = EventRecorder()
        events.attach(agent)
        return TestAgentEnv(agent, llm, output, events)


__all__ = ["TestAgentBuilder", "TestAgentEnv"]
