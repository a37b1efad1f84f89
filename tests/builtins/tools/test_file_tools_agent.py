"""The file tools inside a real agent loop (scripted LLM): native and bracket formats, the
catalog entries, and the per-agent read-state."""

from __future__ import annotations

import pytest

from kohakuterrarium.builtins.tools._fs import FileReadState
from kohakuterrarium.builtins.tools.grep import GrepTool
from kohakuterrarium.builtins.tools.read import ReadTool
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig, ToolEntry
from kohakuterrarium.modules.tool.base import BaseTool
from kohakuterrarium.modules.tool.catalog import BUILTIN_TOOLS, get_builtin_tool_class
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry

FILE_TOOLS = {
    "read": False,
    "write": True,
    "edit": True,
    "multi_edit": True,
    "glob": False,
    "grep": False,
    "tree": False,
    "notebook_read": False,
    "notebook_edit": True,
    "json_read": False,
    "json_write": True,
}
"""Tool name -> serial (is_concurrency_safe is False)."""


@pytest.mark.parametrize(("name", "serial"), sorted(FILE_TOOLS.items()))
def test_catalog_resolves_every_file_tool(name, serial):
    assert name in BUILTIN_TOOLS
    cls = get_builtin_tool_class(name)
    tool = cls()
    assert isinstance(tool, BaseTool) and tool.tool_name == name
    assert tool.needs_context and tool.is_concurrency_safe is not serial
    assert tool.description and tool.get_full_documentation().startswith(f"# {name}")
    schema = tool.get_parameters_schema()
    assert schema["type"] == "object" and set(schema["required"]) <= set(schema["properties"])


def test_pack_imports_work_with_no_arguments():
    """CONTRACT §2.4.4 rows 3-4: packs instantiate these with no args."""
    assert GrepTool().tool_name == "grep" and ReadTool().tool_name == "read"


def file_agent(tmp_path, script, fmt: str) -> Agent:
    config = AgentConfig(name="t", tool_format=fmt, tools=[ToolEntry("read"), ToolEntry("edit")])
    return Agent(config, llm=ScriptedLLM(script), pwd=tmp_path)


async def test_native_agent_reads_then_edits_a_file(tmp_path):
    target = tmp_path / "app.py"
    target.write_text("def greet():\n    return 'hello'\n")
    script = [
        ScriptEntry(tool_calls=[{"name": "read", "arguments": {"path": "app.py"}}]),
        ScriptEntry(
            tool_calls=[
                {
                    "name": "edit",
                    "arguments": {"path": "app.py", "old": "'hello'", "new": "'hi there'"},
                }
            ]
        ),
        "Done: greet now says hi there.",
    ]
    async with file_agent(tmp_path, script, "native") as agent:
        result = await agent.run("make greet friendlier")
    assert result.ok, result
    assert target.read_text() == "def greet():\n    return 'hi there'\n"
    assert [c.name for c in result.tool_calls] == ["read", "edit"]
    assert all(c.status == "ok" for c in result.tool_calls)
    tool_msgs = [m for m in agent.conversation.messages if m.get("role") == "tool"]
    assert "     1→def greet():" in str(tool_msgs[0]["content"])
    assert "replaced 1 occurrence" in str(tool_msgs[1]["content"])
    assert isinstance(agent.file_read_state, FileReadState)
    assert agent.file_read_state.was_read(target)


async def test_native_agent_edit_without_read_is_refused(tmp_path):
    target = tmp_path / "app.py"
    target.write_text("x = 1\n")
    script = [
        ScriptEntry(
            tool_calls=[{"name": "edit", "arguments": {"path": "app.py", "old": "1", "new": "2"}}]
        ),
        "I need to read it first.",
    ]
    async with file_agent(tmp_path, script, "native") as agent:
        result = await agent.run("edit blindly")
    assert result.tool_calls[0].status == "error"
    assert "has not been read" in (result.tool_calls[0].error or "")
    assert target.read_text() == "x = 1\n"


async def test_bracket_agent_reads_then_edits_with_body_arguments(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("alpha\nbeta\ngamma\n")
    diff = "@@ -1,3 +1,3 @@\n alpha\n-beta\n+BETA\n gamma"
    script = [
        "Reading.\n[/read]\nnotes.txt\n[read/]",
        f"Editing.\n[/edit]\n@@path=notes.txt\n{diff}\n[edit/]",
        "Changed beta to BETA.",
    ]
    async with file_agent(tmp_path, script, "bracket") as agent:
        result = await agent.run("capitalise beta")
    assert result.ok, result
    assert [c.name for c in result.tool_calls] == ["read", "edit"]
    assert result.tool_calls[0].args == {"path": "notes.txt"}
    assert result.tool_calls[1].args["diff"].startswith("@@ -1,3 +1,3 @@")
    assert all(c.status == "ok" for c in result.tool_calls), result.tool_calls
    assert target.read_text() == "alpha\nBETA\ngamma\n"


async def test_bracket_agent_edit_with_old_and_new_arguments(tmp_path):
    target = tmp_path / "cfg.ini"
    target.write_text("mode=slow\n")
    script = [
        "[/read]\ncfg.ini\n[read/]",
        "[/edit]\n@@path=cfg.ini\n@@old=mode=slow\n@@new=mode=fast\n[edit/]",
        "ok",
    ]
    async with file_agent(tmp_path, script, "bracket") as agent:
        result = await agent.run("speed up")
    assert all(c.status == "ok" for c in result.tool_calls), result.tool_calls
    assert target.read_text() == "mode=fast\n"
