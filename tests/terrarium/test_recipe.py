"""Recipes: loading, validation, and applying them to an engine."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from terrarium_helpers import llm, native, user_texts, wait_for

from kohakuterrarium import Terrarium
from kohakuterrarium.core.config import build_agent_config
from kohakuterrarium.errors import BadValueError, MissingFileError, UnknownKeyError
from kohakuterrarium.terrarium.config import load_terrarium_config
from kohakuterrarium.terrarium.root_tools import ROOT_TOOLS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "terrariums" / "team"

SWE_TEAM = """
terrarium:
  name: swe_team
  root:
    base_config: ./creatures/general/
    system_prompt_file: prompts/root.md
    controller:
      tool_format: native
      reasoning_effort: high
    tools:
{root_tools}
  creatures:
    - name: swe
      base_config: ./creatures/swe/
      system_prompt_file: prompts/swe.md
      controller:
        reasoning_effort: xhigh
      output_wiring:
        - reviewer
        - {{to: root, with_content: false}}
      channels:
        listen: [tasks, feedback, team_chat]
        can_send: [team_chat]
    - name: reviewer
      config: ./creatures/swe/
      system_prompt_file: prompts/reviewer.md
      controller:
        reasoning_effort: high
      output_wiring:
        - {{to: root, with_content: false}}
      channels:
        listen: [team_chat]
        can_send: [feedback, results, team_chat]
  channels:
    tasks: {{type: queue, description: "Work for the engineer"}}
    feedback: {{type: queue, description: "Review notes"}}
    results: {{type: queue, description: "Finished work"}}
    team_chat: {{type: broadcast, description: "Everyone"}}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def swe_team(tmp_path: Path) -> Path:
    root_tools = "\n".join(f"      - name: {n}" for n in ROOT_TOOLS)
    write(tmp_path / "terrarium.yaml", SWE_TEAM.format(root_tools=root_tools))
    write(
        tmp_path / "creatures/general/config.yaml",
        """
        name: general
        system_prompt: You are a general assistant.
        controller:
          llm: "scripted:general here"
    """,
    )
    write(
        tmp_path / "creatures/swe/config.yaml",
        """
        name: swe
        base_config: ../general/
        system_prompt: You write code.
    """,
    )
    for name in ("root", "swe", "reviewer"):
        write(tmp_path / "prompts" / f"{name}.md", f"Role prompt of {name}.")
    return tmp_path


def test_recipe_loads_with_its_members(swe_team: Path):
    recipe = load_terrarium_config(swe_team)
    assert recipe.name == "swe_team" and recipe.source == swe_team / "terrarium.yaml"
    assert [c.name for c in recipe.creatures] == ["swe", "reviewer"]
    assert [(c.name, c.channel_type) for c in recipe.channels] == [
        ("tasks", "queue"),
        ("feedback", "queue"),
        ("results", "queue"),
        ("team_chat", "broadcast"),
    ]
    swe, reviewer = recipe.creatures
    assert swe.listen_channels == ["tasks", "feedback", "team_chat"]
    assert swe.send_channels == ["team_chat"]
    assert [(w.to, w.with_content) for w in swe.output_wiring] == [
        ("reviewer", True),
        ("root", False),
    ]
    assert reviewer.config_data["base_config"] == "./creatures/swe/"  # legacy alias renamed
    assert "config" not in reviewer.config_data
    assert swe.base_dir == swe_team
    assert recipe.root is not None and recipe.root.base_dir == swe_team
    # every member and the root build with the plain config pipeline (pack tooling does this)
    built = build_agent_config(swe.config_data, swe.base_dir)
    assert built.name == "swe" and built.reasoning_effort == "xhigh"
    assert "Role prompt of swe." in built.system_prompt  # resolved against the recipe folder
    root = build_agent_config(recipe.root.config_data, recipe.root.base_dir)
    assert [t.name for t in root.tools] == list(ROOT_TOOLS)


def test_recipe_without_wrapper_and_other_file_names(tmp_path: Path):
    write(
        tmp_path / "recipe.yaml",
        """
        name: flat
        creatures:
          - name: a
            system_prompt: hi
            channels: {listen: [chat], receive_own: true}
        channels:
          chat: "Talk here"
    """,
    )
    recipe = load_terrarium_config(tmp_path)
    assert recipe.name == "flat"
    assert recipe.channels[0].description == "Talk here"  # a string keeps its description
    assert recipe.channels[0].channel_type == "broadcast"
    assert recipe.creatures[0].receive_own == ["chat"]
    assert recipe.creatures[0].config_data["channels"] == {"listen": ["chat"], "can_send": []}


@pytest.mark.parametrize(
    ("body", "error", "needle"),
    [
        ("terrarium:\n  name: x\n  creaturs: []\n", UnknownKeyError, "did you mean 'creatures'"),
        ("terrarium:\n  channels:\n    c: {typ: queue}\n", UnknownKeyError, "channels.c.typ"),
        ("terrarium:\n  channels:\n    c: {type: fanout}\n", BadValueError, "channels.c.type"),
        ("terrarium:\n  creatures:\n    - system_prompt: x\n", BadValueError, "creatures[0].name"),
        (
            "terrarium:\n  creatures:\n    - name: a\n      channels: {listen: [nope]}\n",
            BadValueError,
            "unknown channel 'nope'",
        ),
        (
            "terrarium:\n  creatures:\n    - name: a\n      channels: {lisen: [x]}\n",
            UnknownKeyError,
            "did you mean 'listen'",
        ),
        (
            "terrarium:\n  creatures:\n    - name: a\n      output_wiring: [ghost]\n",
            BadValueError,
            "unknown creature 'ghost'",
        ),
        (
            "terrarium:\n  creatures:\n    - name: a\n      controler: {}\n",
            UnknownKeyError,
            "creatures[0]",
        ),
        (
            "terrarium:\n  creatures:\n    - name: a\n      config: ./x\n      base_config: ./y\n",
            BadValueError,
            "legacy alias",
        ),
    ],
)
def test_recipe_errors_name_file_and_key(tmp_path: Path, body, error, needle):
    path = tmp_path / "terrarium.yaml"
    path.write_text(body)
    with pytest.raises(error) as info:
        load_terrarium_config(path)
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_missing_recipe_folder(tmp_path: Path):
    with pytest.raises(MissingFileError):
        load_terrarium_config(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingFileError, match="no terrarium recipe"):
        load_terrarium_config(tmp_path / "empty")


async def test_applied_recipe_has_implicit_channels_edges_and_wires(swe_team: Path):
    async with await Terrarium.from_recipe(swe_team) as engine:
        assert {c.creature_id for c in engine} == {"swe", "reviewer", "root"}
        (topo,) = engine.list_graphs()
        assert topo.graph_id == "swe_team" and topo.root_id == "root"
        assert set(topo.channels) == {
            "tasks",
            "feedback",
            "results",
            "team_chat",
            "swe",
            "reviewer",
            "report_to_root",
        }
        assert topo.channels["tasks"].channel_type == "queue"  # the type is honoured
        assert topo.channels["tasks"].description == "Work for the engineer"
        assert topo.listen_edges["swe"] == ("swe", "tasks", "feedback", "team_chat")
        assert topo.send_edges["swe"] == ("team_chat", "report_to_root")
        assert set(topo.listen_edges["root"]) == set(topo.channels)
        assert set(topo.output_wires) == {
            ("swe", "reviewer"),
            ("swe", "root"),
            ("reviewer", "root"),
        }
        root = engine["root"]
        assert root.is_privileged and not engine["swe"].is_privileged
        assert {"group_add_node", *ROOT_TOOLS} <= set(root.agent.tools)
        prompt = engine["swe"].agent.get_system_prompt()
        assert "Role prompt of swe." in prompt
        assert "Listening on: `swe` (queue" in prompt and "`tasks` (queue: Work for" in prompt
        assert all(c.is_running for c in engine)
        # the root observes queue traffic without taking it from the engineer
        await engine.send("swe_team", "tasks", "fix the bug")
        await wait_for(
            lambda: (
                engine["swe"].agent.llm.call_count >= 1 and engine["root"].agent.llm.call_count >= 1
            )
        )


async def test_inline_privileged_and_receive_own_are_honoured(tmp_path: Path):
    write(
        tmp_path / "terrarium.yaml",
        """
        terrarium:
          name: own
          creatures:
            - name: boss
              privileged: true
              system_prompt: lead
              controller: {tool_format: native}
            - name: poster
              system_prompt: post
              controller: {tool_format: native}
              channels: {listen: [log], can_send: [log], receive_own: [log]}
          channels:
            log: {description: "Work log"}
    """,
    )
    poster_llm = llm(native("send_channel", channel="log", message="step 1"), "posted", "seen it")
    async with await Terrarium.from_recipe(
        tmp_path, llm={"boss": llm(), "poster": poster_llm}
    ) as engine:
        assert "group_add_node" in engine["boss"].agent.tools
        await engine["poster"].run("work")
        await wait_for(lambda: poster_llm.call_count == 3)
        assert user_texts(poster_llm)[-1] == "[Channel 'log' from poster]: step 1"


async def test_bad_member_leaves_nothing_behind(tmp_path: Path):
    write(
        tmp_path / "terrarium.yaml",
        """
        terrarium:
          name: broken
          creatures:
            - name: fine
              system_prompt: ok
            - name: bad
              base_config: ./missing/
    """,
    )
    async with Terrarium() as engine:
        with pytest.raises(MissingFileError):
            await engine.apply_recipe(tmp_path, llm="scripted")
        assert len(engine) == 0 and engine.list_graphs() == []


async def test_example_team_runs_end_to_end():
    root_llm = llm(
        native("terrarium_send", channel="tasks", message="Write a haiku about moss"), "Delegated."
    )
    writer_llm = llm(
        native("send_channel", channel="drafts", message="Soft green moss sleeps"), "Draft posted."
    )
    reviewer_llm = llm(
        native("send_channel", channel="results", message="Approved: Soft green"), "Approved."
    )
    scripts = {"root": root_llm, "writer": writer_llm, "reviewer": reviewer_llm}
    async with await Terrarium.from_recipe(EXAMPLE, llm=scripts) as engine:
        result = await engine["root"].inject_input("Write a haiku about moss.")
        assert result.ok and result.text == "Delegated."
        results = engine._graph("team").channels["results"]
        await wait_for(lambda: len(results.history) == 1, timeout=5)
        assert results.history[0].content == "Approved: Soft green"
        assert user_texts(writer_llm)[0] == (
            "[Channel 'tasks' from root]: Write a haiku about moss"
        )
        reviewer_inputs = "\n".join(user_texts(reviewer_llm))
        assert "[Channel 'drafts' from writer]: Soft green moss sleeps" in reviewer_inputs
        await wait_for(
            lambda: "[output-wire from writer] Draft posted." in "\n".join(user_texts(reviewer_llm))
        )
        await wait_for(lambda: any("Approved: Soft green" in t for t in user_texts(root_llm)))


async def test_example_team_runs_offline_with_its_default_model():
    async with await Terrarium.from_recipe(EXAMPLE) as engine:
        result = await engine["root"].run("hello", timeout=5)
        assert result.ok and result.text == "OK"
        assert engine.get_graph("team").channels["team_chat"].description == (
            "Free talk between everyone"
        )
