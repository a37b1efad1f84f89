"""scratchpad, info, ask_user, send_message and stop_task, driven through real agents."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from kohakuterrarium.builtins.tools.ask_user import AskUserTool
from kohakuterrarium.builtins.tools.info import InfoTool
from kohakuterrarium.builtins.tools.scratchpad import ScratchpadTool
from kohakuterrarium.builtins.tools.send_message import SendMessageTool
from kohakuterrarium.builtins.tools.stop_task import STOP_TEXT, StopTaskTool
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig, ToolEntry
from kohakuterrarium.core.result import Activity
from kohakuterrarium.core.subagent import SubAgentSpec
from kohakuterrarium.modules.tool.base import ToolConfig, ToolContext
from kohakuterrarium.testing import OutputRecorder, ScriptedLLM, ScriptEntry


def pid_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (an unreaped zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return True


async def wait_gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and not pid_gone(pid):
        await asyncio.sleep(0.02)
    return pid_gone(pid)


def call(tool: str, /, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": tool, "arguments": args}])


def agent_with(tools: list[str], script, **kw) -> Agent:
    config = AgentConfig(name="t", tool_format="native", tools=[ToolEntry(n) for n in tools])
    return Agent(config, llm=ScriptedLLM(script), **kw)


def tool_messages(llm: ScriptedLLM) -> list[str]:
    return [m["content"] for m in llm.last_messages if m.get("role") == "tool"]


# --------------------------------------------------------------------------- scratchpad


async def test_scratchpad_round_trip_through_an_agent():
    script = [
        call("scratchpad", action="set", key="plan", value="1. read 2. edit"),
        call("scratchpad", action="get", key="plan"),
        call("scratchpad", action="list"),
        call("scratchpad", action="delete", key="plan"),
        call("scratchpad", action="get", key="plan"),
        "done",
    ]
    agent = agent_with(["scratchpad"], script)
    async with agent:
        assert agent.scratchpad.get("plan") is None
        seen = []
        agent.subscribe(
            lambda e: (
                seen.append(e.payload)
                if isinstance(e, Activity) and e.name == "scratchpad" and "status" in e.payload
                else None
            )
        )
        result = await agent.run("remember the plan")
    assert result.ok
    statuses = [c.status for c in result.tool_calls]
    assert statuses == ["ok", "ok", "ok", "ok", "error"]
    assert result.tool_calls[1].result == "1. read 2. edit"
    assert result.tool_calls[2].result == "- plan: 1. read 2. edit"
    assert "no scratchpad key 'plan'" in result.tool_calls[4].result
    assert "plan" not in agent.scratchpad


async def test_scratchpad_writes_are_visible_to_the_agent_and_errors_are_clear():
    agent = agent_with(["scratchpad"], [call("scratchpad", action="set", key="k", value="v"), "ok"])
    async with agent:
        await agent.run("go")
        assert agent.scratchpad.get("k") == "v"
    tool = ScratchpadTool()
    assert "unknown scratchpad action" in (await tool.execute({"action": "pop"})).error
    assert "needs a 'key'" in (await tool.execute({"action": "get"})).error
    assert "needs a 'value'" in (await tool.execute({"action": "set", "key": "a"})).error
    # Without an agent it keeps its own notes.
    await tool.execute({"action": "set", "key": "a", "value": "b"})
    assert (await tool.execute({"action": "get", "key": "a"})).output == "b"
    assert (await tool.execute({"action": "list"})).metadata["keys"] == ["a"]


# --------------------------------------------------------------------------- info


async def test_info_serves_tool_docs_subagent_docs_and_did_you_mean(tmp_path: Path):
    helper = SubAgentSpec(name="explorer", description="Searches the code base.")
    script = [
        call("info", name="bash"),
        call("info", name="explorer"),
        call("info", name="scratchpd"),
        "done",
    ]
    agent = agent_with(["info", "bash", "scratchpad"], script, subagents=[helper])
    async with agent:
        result = await agent.run("docs please")
    bash_doc, sub_doc, unknown = (c.result for c in result.tool_calls)
    assert bash_doc.startswith("# bash") and "process group" in bash_doc
    assert "`command` (string) (required)" in bash_doc
    assert "Searches the code base." in sub_doc and "`task`" in sub_doc
    assert result.tool_calls[2].status == "error"
    assert "did you mean 'scratchpad'?" in unknown and "Available:" in unknown


async def test_info_prefers_the_creatures_override_file(tmp_path: Path):
    docs = tmp_path / "prompts" / "tools"
    docs.mkdir(parents=True)
    (docs / "bash.md").write_text("---\ntitle: bash\n---\nOur own bash rules.\n")
    config = AgentConfig(
        name="t", tool_format="native", tools=[ToolEntry("info"), ToolEntry("bash")]
    )
    config.base_dirs = [tmp_path]
    agent = Agent(config, llm=ScriptedLLM([call("info", name="bash"), "ok"]))
    async with agent:
        result = await agent.run("go")
    assert result.tool_calls[0].result == "Our own bash rules.\n"


async def test_info_without_an_agent_reads_the_builtin_catalog():
    tool = InfoTool()
    doc = await tool.execute({"name": "web_fetch"}, None)
    assert doc.output.startswith("# web_fetch")
    assert "did you mean 'web_fetch'" in (await tool.execute({"name": "web_fech"})).error
    assert "needs the 'name'" in (await tool.execute({})).error


# --------------------------------------------------------------------------- ask_user


class InteractiveRecorder(OutputRecorder):
    """An output that answers questions (after an optional delay)."""

    def __init__(self, answer: str | None, delay: float = 0.0):
        super().__init__()
        self.answer, self.delay, self.questions = answer, delay, []

    async def ask(self, question: str, timeout: float | None) -> str | None:
        self.questions.append((question, timeout))
        await asyncio.sleep(self.delay)
        return self.answer


async def test_ask_user_routes_the_question_through_an_interactive_output():
    output = InteractiveRecorder("blue")
    agent = agent_with(
        ["ask_user"],
        [call("ask_user", question="Favourite colour?", timeout_s=5), "noted"],
        output_module=output,
    )
    async with agent:
        result = await agent.run("ask")
    assert result.tool_calls[0].result == "blue"
    assert output.questions == [("Favourite colour?", 5.0)]


async def test_ask_user_without_interactive_output_fails_at_once():
    agent = agent_with(["ask_user"], [call("ask_user", question="Proceed?"), "fine"])
    started = time.monotonic()
    async with agent:
        result = await agent.run("go")
    assert time.monotonic() - started < 2
    assert result.tool_calls[0].status == "error"
    assert "no interactive user attached" in result.tool_calls[0].result


async def test_ask_user_honours_timeout_s():
    output = InteractiveRecorder("too late", delay=5)
    ctx = ToolContext(agent=type("A", (), {"output": output})())
    started = time.monotonic()
    result = await AskUserTool().execute({"question": "?", "timeout_s": 0.2}, ctx)
    assert time.monotonic() - started < 2
    assert "did not answer within 0.2s" in result.error


# --------------------------------------------------------------------------- send_message


class FakeEnvironment:
    """Records what creatures send."""

    def __init__(self):
        self.sent = []

    async def send(self, channel, message, *, sender, metadata=None, reply_to=None):
        self.sent.append((channel, message, sender, metadata, reply_to))
        return f"msg_{len(self.sent)}"


async def test_send_message_delivers_through_the_environment():
    env = FakeEnvironment()
    script = [
        call("send_message", channel="tasks", message="review PR 7", metadata={"prio": 1}),
        "sent",
    ]
    agent = agent_with(["send_message"], script, environment=env)
    async with agent:
        result = await agent.run("delegate")
    assert env.sent == [("tasks", "review PR 7", "t", {"prio": 1}, None)]
    assert result.tool_calls[0].result == "Message sent to channel 'tasks' (id msg_1)."


async def test_send_message_without_environment_says_not_connected():
    agent = agent_with(["send_message"], [call("send_message", channel="x", message="hi"), "k"])
    async with agent:
        result = await agent.run("go")
    assert "this creature is not connected to any channel" in result.tool_calls[0].result
    tool = SendMessageTool()
    assert "needs a 'channel'" in (await tool.execute({"message": "m"}, ToolContext())).error


# --------------------------------------------------------------------------- stop_task


async def test_stop_task_cancels_a_background_job_and_kills_its_process(tmp_path: Path):
    stop = ScriptEntry(
        tool_calls=[{"name": "stop_task", "arguments": {"job_id": "?"}}], delay_before=0.4
    )
    script = [
        call(
            "bash",
            command="echo $$ > shell.pid; sleep 30; echo finished > done.txt",
            run_in_background=True,
        ),
        stop,
        "stopped it",
    ]
    agent = agent_with(["bash", "stop_task"], script, pwd=tmp_path)
    started = {}

    def on_event(event):
        if isinstance(event, Activity) and event.type == "tool_start" and event.name == "bash":
            started["id"] = event.payload["job_id"]
            stop.tool_calls[0]["arguments"]["job_id"] = event.payload["job_id"]

    agent.subscribe(on_event)
    t0 = time.monotonic()
    async with agent:
        result = await agent.run("start then stop", timeout=20)
        job = agent.jobs.get(started["id"])
    assert time.monotonic() - t0 < 10
    assert result.ok and result.text == "stopped it"
    assert job.status == "cancelled" and job.result.error == STOP_TEXT
    stop_record = next(c for c in result.tool_calls if c.name == "stop_task")
    assert stop_record.result == f"Cancelled job {started['id']} (bash)."
    pid = int((tmp_path / "shell.pid").read_text())
    assert await wait_gone(pid), "the background job's shell survived stop_task"
    assert not (tmp_path / "done.txt").exists()


async def test_stop_task_unknown_id_lists_jobs_and_triggers():
    agent = agent_with(["stop_task"], [call("stop_task", job_id="bash_nope"), "ok"])
    async with agent:
        result = await agent.run("go")
    text = result.tool_calls[0].result
    assert "no running job or trigger with id 'bash_nope'" in text
    assert "Running jobs: (none)" in text and "Triggers: (none)" in text
    no_agent = await StopTaskTool().execute({"job_id": "x"}, ToolContext())
    assert "needs a running agent" in no_agent.error


def test_service_tools_have_the_contract_parameters():
    expected = {
        ScratchpadTool: ({"action", "key", "value"}, ["action"]),
        InfoTool: ({"name"}, ["name"]),
        AskUserTool: ({"question", "timeout_s"}, ["question"]),
        SendMessageTool: (
            {"channel", "message", "reply_to", "channel_type", "metadata"},
            ["channel", "message"],
        ),
        StopTaskTool: ({"job_id"}, ["job_id"]),
    }
    for cls, (props, required) in expected.items():
        schema = cls(ToolConfig()).get_parameters_schema()
        assert set(schema["properties"]) == props, cls
        assert schema["required"] == required, cls
        assert cls.needs_context is True
