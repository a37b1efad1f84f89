"""Agent.build from folders, files, package references, dicts and AgentConfig."""

from __future__ import annotations

from pathlib import Path

import pytest

import kohakuterrarium.packages as packages
from kohakuterrarium import Agent
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.errors import (
    ConfigError,
    MissingFileError,
    PackageError,
    UnknownKeyError,
    UnknownModelError,
    UnknownToolError,
)
from kohakuterrarium.testing import ScriptedLLM

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "creatures"


async def test_build_from_the_example_folder_renders_the_prompt():
    agent = await Agent.build(EXAMPLES / "assistant", llm=ScriptedLLM(["Hi, I am here."]))
    assert agent.name == "assistant"
    prompt = agent.get_system_prompt()
    assert prompt.startswith("You are assistant, a friendly")
    async with agent:
        result = await agent.run("hello")
    assert result.text == "Hi, I am here."


async def test_build_from_a_dict_and_from_an_agent_config(tmp_path):
    agent = await Agent.build(
        {"name": "d", "system_prompt": "Dict."}, llm="scripted:ok", pwd=tmp_path
    )
    assert agent.name == "d" and agent.pwd == tmp_path.resolve()
    cfg = AgentConfig(name="c")
    assert (await Agent.build(cfg, llm="scripted")).config is cfg


async def test_build_with_plain_function_tools():
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    agent = await Agent.build({"name": "f"}, llm="scripted", tools=[shout])
    assert agent.tools == ["shout"]
    assert "`shout`: Upper-case a text." in agent.get_system_prompt()


async def test_bad_inputs_fail_at_build_time(tmp_path):
    with pytest.raises(UnknownKeyError) as err:
        await Agent.build({"name": "x", "controler": {}}, llm="scripted")
    assert "controller" in str(err.value)
    with pytest.raises(UnknownToolError) as err:
        await Agent.build({"name": "x", "tools": ["definitely_not_a_tool"]}, llm="scripted")
    assert "definitely_not_a_tool" in str(err.value)
    with pytest.raises(UnknownModelError):
        await Agent.build({"name": "x"}, llm="no-such-profile-anywhere")
    with pytest.raises(MissingFileError):
        await Agent.build(tmp_path / "nope", llm="scripted")
    with pytest.raises(ConfigError):
        await Agent.build({"name": "x", "plugins": ["no_such_plugin"]}, llm="scripted")


async def test_package_reference_and_prompt_fragment_include(tmp_path, monkeypatch):
    pack = tmp_path / "src" / "mypack"
    (pack / "creatures" / "helper" / "prompts").mkdir(parents=True)
    (pack / "prompts").mkdir()
    (pack / "kohaku.yaml").write_text(
        "name: mypack\nversion: '1.0'\ndescription: test pack\n"
        "creatures: [{name: helper, path: creatures/helper}]\n"
        "prompts: [{name: house-rules, path: prompts/rules.md}]\n"
    )
    (pack / "prompts" / "rules.md").write_text("Rule: be brief.")
    (pack / "creatures" / "helper" / "config.yaml").write_text(
        "name: helper\nsystem_prompt_file: prompts/system.md\n"
    )
    (pack / "creatures" / "helper" / "prompts" / "system.md").write_text(
        'I am {{ agent_name }}.\n{% include "house-rules" %}\n'
    )
    monkeypatch.setattr(packages, "PACKAGES_DIR", tmp_path / "installed")
    with pytest.raises(PackageError):
        await Agent.build("@mypack/creatures/helper", llm="scripted")
    assert packages.install_package(pack, editable=True) == "mypack"
    agent = await Agent.build("@mypack/creatures/helper", llm="scripted")
    assert agent.get_system_prompt().startswith("I am helper.\nRule: be brief.")


async def test_prompt_context_files_render_into_the_prompt(tmp_path):
    (tmp_path / "notes.md").write_text("Project uses tabs.")
    agent = await Agent.build(
        {
            "name": "p",
            "system_prompt": "Rules:\n{{ notes }}",
            "prompt_context_files": {"notes": "notes.md"},
        },
        llm="scripted",
        pwd=tmp_path,
    )
    assert agent.get_system_prompt().startswith("Rules:\nProject uses tabs.")


async def test_ephemeral_creature_forgets_between_turns():
    llm = ScriptedLLM(["one", "two"])
    agent = await Agent.build({"name": "e", "controller": {"ephemeral": True}}, llm=llm)
    async with agent:
        await agent.run("first")
        await agent.run("second")
    assert [m["role"] for m in llm.call_log[1]] == ["system", "user"]
