"""Procedural skills: discovery roots and priority, the prompt index, the skill tool."""

from __future__ import annotations

from pathlib import Path

import pytest

import kohakuterrarium.packages as packages
from kohakuterrarium import Agent
from kohakuterrarium.skills import discover_skills, load_skill_from_path, skill_index
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


def write_skill(root: Path, name: str, description: str, body: str = "Step 1.") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: {description}\n---\n{body}\n"
    )
    return folder


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KT_CONFIG_DIR", str(home / ".kohakuterrarium"))
    monkeypatch.setattr(packages, "PACKAGES_DIR", home / ".kohakuterrarium" / "packages")
    return home


def test_load_skill_from_folder_and_file(tmp_path):
    skill = load_skill_from_path(write_skill(tmp_path, "deploy", "Deploy the app", "Run make."))
    assert (skill.name, skill.description, skill.body.strip()) == (
        "deploy",
        "Deploy the app",
        "Run make.",
    )
    (tmp_path / "quick.md").write_text("# Quick fix\nDo it.")
    plain = load_skill_from_path(tmp_path / "quick.md")
    assert plain.name == "quick" and plain.description == "Quick fix"


def test_later_roots_override_earlier_ones(home, tmp_path):
    creature = tmp_path / "creature"
    project = tmp_path / "project"
    write_skill(creature / "prompts" / "skills", "lint", "creature lint")
    write_skill(home / ".kohakuterrarium" / "skills", "lint", "user lint")
    write_skill(home / ".kohakuterrarium" / "skills", "notes", "user notes")
    write_skill(project / ".kt" / "skills", "lint", "project lint")
    found = discover_skills(agent_path=creature, pwd=project)
    assert found["lint"].description == "project lint" and found["lint"].origin == "project"
    assert found["notes"].origin == "user"


def test_package_skills_are_off_unless_opted_in(home, tmp_path):
    pack = tmp_path / "pack"
    write_skill(pack / "skills", "git-flow", "Commit carefully")
    (pack / "kohaku.yaml").write_text(
        "name: pk\nversion: '1'\nskills: [{name: git-flow, path: skills/git-flow}]\n"
    )
    packages.install_package(pack, editable=True)
    assert "git-flow" not in discover_skills(pwd=tmp_path)
    assert (
        discover_skills(pwd=tmp_path, enabled_package_skills=["*"])["git-flow"].origin
        == "package:pk"
    )
    assert "git-flow" in discover_skills(pwd=tmp_path, enabled_package_skills=["git-flow"])


def test_index_respects_the_byte_budget(tmp_path):
    skills = [load_skill_from_path(write_skill(tmp_path, f"s{i}", "x" * 50)) for i in range(20)]
    index = skill_index(skills, budget_bytes=400)
    assert len(index.encode()) <= 400 + 80
    assert "more skills not listed" in index


async def test_agent_lists_skills_and_the_model_reads_one(home, tmp_path):
    write_skill(
        tmp_path / ".kt" / "skills", "release", "How to cut a release", "1. Tag $ARGUMENTS."
    )
    llm = ScriptedLLM(
        [
            ScriptEntry(
                tool_calls=[{"name": "skill", "arguments": {"name": "release", "arguments": "v2"}}]
            ),
            "Tagged.",
        ]
    )
    agent = await Agent.build(
        {"name": "r", "controller": {"tool_format": "native"}}, llm=llm, pwd=tmp_path
    )
    assert "skill" in agent.tools
    assert "`release`: How to cut a release" in agent.get_system_prompt()
    async with agent:
        result = await agent.run("release please")
    assert result.tool_calls[0].status == "ok"
    assert "1. Tag v2." in result.tool_calls[0].result


async def test_agent_without_skills_has_no_skill_tool(home, tmp_path):
    agent = await Agent.build({"name": "plain"}, llm="scripted", pwd=tmp_path)
    assert "skill" not in agent.tools
