"""Inheritance through base_config: resolution, merge rules, directives, the prompt chain."""

from __future__ import annotations

from pathlib import Path

import pytest

import kohakuterrarium.packages as packages
from kohakuterrarium.core.config import build_agent_config, load_agent_config
from kohakuterrarium.errors import BadValueError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_pack(root: Path) -> Path:
    """A small pack: general (with a Jinja prompt) and a child swe."""
    write(root / "kohaku.yaml", "name: mini-pack\nversion: '1.0'\ncreatures: [{name: general}]\n")
    write(
        root / "creatures" / "general" / "config.yaml",
        """
name: general
controller: {tool_format: native}
system_prompt_file: prompts/system.md
tools: [bash, read, {name: add_timer, type: trigger}]
subagents: [explore]
plugins: [{name: ctx, type: package, module: pack.ctx, class: Ctx}]
output: {type: stdout, controller_direct: true}
""",
    )
    write(
        root / "creatures" / "general" / "prompts" / "system.md", "# {{ agent_name }}\nGeneral.\n"
    )
    write(
        root / "creatures" / "swe" / "config.yaml",
        'name: swe\nbase_config: "@mini-pack/creatures/general"\n'
        "system_prompt_file: prompts/system.md\n",
    )
    write(
        root / "creatures" / "swe" / "prompts" / "system.md", 'SWE.\n{% include "git-safety" %}\n'
    )
    return root


@pytest.fixture
def pkg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "home" / "packages"
    monkeypatch.setattr(packages, "PACKAGES_DIR", target)
    return target


# --------------------------------------------------------------------------- resolution


def test_three_level_relative_chain(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.yaml", "name: a\nmax_iterations: 1\ntools: [bash]\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\nname: b\ntools: [read]\n")
    write(tmp_path / "c" / "config.yaml", "base_config: ../b\nname: c\ntools: [grep]\n")
    config = load_agent_config(tmp_path / "c")
    assert config.name == "c"
    assert config.max_iterations == 1
    assert [t.name for t in config.tools] == ["bash", "read", "grep"]
    assert config.base_dirs == [(tmp_path / d).resolve() for d in ("c", "b", "a")]


def test_base_config_may_name_a_file(tmp_path: Path) -> None:
    write(tmp_path / "bases" / "strict.yml", "controller: {temperature: 0}\n")
    write(tmp_path / "c" / "config.yaml", "base_config: ../bases/strict.yml\n")
    assert load_agent_config(tmp_path / "c").temperature == 0


def test_creatures_prefix_is_searched_upward(tmp_path: Path) -> None:
    write(tmp_path / "creatures" / "general" / "config.yaml", "name: general\nmax_iterations: 9\n")
    deep = tmp_path / "terrariums" / "team" / "members" / "coder"
    write(deep / "config.yaml", "name: coder\nbase_config: creatures/general\n")
    config = load_agent_config(deep)
    assert (config.name, config.max_iterations) == ("coder", 9)


def test_package_reference_through_an_editable_link(tmp_path: Path, pkg_dir: Path) -> None:
    src = make_pack(tmp_path / "src" / "mini")
    assert packages.install_package(src, editable=True) == "mini-pack"
    assert (pkg_dir / "mini-pack.link").is_file()
    config = load_agent_config("@mini-pack/creatures/swe")
    assert config.name == "swe"
    assert config.tool_format == "native"
    assert [(t.name, t.type) for t in config.tools] == [
        ("bash", "builtin"),
        ("read", "builtin"),
        ("add_timer", "trigger"),
    ]
    assert config.agent_path == (src / "creatures" / "swe").resolve()


def test_package_reference_through_a_copied_install(tmp_path: Path, pkg_dir: Path) -> None:
    src = make_pack(tmp_path / "src" / "mini")
    packages.install_package(src)
    write(
        tmp_path / "mine" / "config.yaml",
        "name: mine\nbase_config: \"'@mini-pack/creatures/swe'\"\ntools: [grep]\n",
    )
    config = load_agent_config(tmp_path / "mine")
    assert [t.name for t in config.tools] == ["bash", "read", "add_timer", "grep"]
    assert config.base_dirs[-1] == (pkg_dir / "mini-pack" / "creatures" / "general").resolve()


def test_inheritance_cycles_are_detected(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.yaml", "base_config: ../b\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\n")
    with pytest.raises(BadValueError, match="inheritance cycle") as info:
        load_agent_config(tmp_path / "a")
    assert info.value.key == "base_config"


def test_a_config_cannot_inherit_from_itself(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.yaml", "base_config: .\n")
    with pytest.raises(BadValueError, match="inheritance cycle"):
        load_agent_config(tmp_path / "a")


# --------------------------------------------------------------------------- merge rules


def test_scalars_child_wins_and_missing_name_is_inherited(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.yaml", "name: base\nmax_iterations: 1\nsession_key: k\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\nmax_iterations: 2\n")
    config = load_agent_config(tmp_path / "b")
    assert (config.name, config.max_iterations, config.session_key) == ("base", 2, "k")


def test_dicts_merge_shallowly(tmp_path: Path) -> None:
    write(
        tmp_path / "a" / "config.yaml",
        "output: {type: stdout, controller_direct: false}\n"
        "controller: {temperature: 0.1, model: m1}\n"
        "memory: {embedding: {provider: p1, model: x}, path: mem}\n",
    )
    write(
        tmp_path / "b" / "config.yaml",
        "base_config: ../a\noutput: {type: tui}\ncontroller: {model: m2}\n"
        "memory: {embedding: {provider: p2}}\n",
    )
    c = load_agent_config(tmp_path / "b")
    assert (c.output.type, c.output.controller_direct) == ("tui", False)
    assert (c.temperature, c.model) == (0.1, "m2")
    # Shallow: the nested embedding dict is replaced, sibling keys survive.
    assert c.memory == {"embedding": {"provider": "p2"}, "path": "mem"}


def test_named_lists_replace_in_place_and_append(tmp_path: Path) -> None:
    write(
        tmp_path / "a" / "config.yaml",
        """
tools: [{name: bash, timeout: 10}, read, write]
subagents: [explore, plan]
plugins: [{name: p1, module: m, class: A}, {name: p2, module: m, class: B}]
mcp_servers: [{name: fs, command: a}]
triggers: [{type: timer, name: beat, interval: 10}, {type: context}]
""",
    )
    write(
        tmp_path / "b" / "config.yaml",
        """
base_config: ../a
tools: [{name: read, max_output: 5}, grep]
subagents: [{name: explore, max_turns: 2}, critic]
plugins: [{name: p1, module: m, class: A2}]
mcp_servers: [{name: fs, command: b}, {name: web, transport: streamable-http, url: "http://x"}]
triggers: [{type: timer, name: beat, interval: 99}, {type: context, debounce_ms: 5}]
""",
    )
    c = load_agent_config(tmp_path / "b")
    assert [t.name for t in c.tools] == ["bash", "read", "write", "grep"]
    assert c.tools[0].options == {"timeout": 10.0}
    assert c.tools[1].options == {"max_output": 5}
    assert [(s.name, s.options) for s in c.subagents] == [
        ("explore", {"max_turns": 2}),
        ("plan", {}),
        ("critic", {}),
    ]
    assert [(p["name"], p["class"]) for p in c.plugins] == [("p1", "A2"), ("p2", "B")]
    assert [(m["name"], m.get("command")) for m in c.mcp_servers] == [("fs", "b"), ("web", None)]
    # The named trigger is replaced; unnamed ones are appended.
    assert c.triggers == [
        {"type": "timer", "name": "beat", "interval": 99.0},
        {"type": "context"},
        {"type": "context", "debounce_ms": 5},
    ]


def test_other_lists_are_replaced(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.yaml", "skills: [a, b]\ndisable_provider_tools: [image_gen]\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\nskills: [c]\n")
    c = load_agent_config(tmp_path / "b")
    assert c.skills == ["c"]
    assert c.disable_provider_tools == ["image_gen"]


def test_none_in_the_child_is_ignored(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.yaml", "max_iterations: 4\ncontroller: {model: m}\n")
    write(
        tmp_path / "b" / "config.yaml",
        "base_config: ../a\nmax_iterations: null\ncontroller: {model: null}\n",
    )
    c = load_agent_config(tmp_path / "b")
    assert (c.max_iterations, c.model) == (4, "m")


def test_no_inherit_drops_inherited_values(tmp_path: Path) -> None:
    write(
        tmp_path / "a" / "config.yaml",
        "plugins: [p1]\ntools: [bash]\ncontroller: {tool_format: native, model: m}\n",
    )
    write(
        tmp_path / "b" / "config.yaml",
        "base_config: ../a\nno_inherit: [plugins, tool_format]\nplugins: [p2]\n",
    )
    c = load_agent_config(tmp_path / "b")
    assert [p["name"] for p in c.plugins] == ["p2"]
    assert [t.name for t in c.tools] == ["bash"]
    assert c.tool_format == "bracket"  # the framework default, not the base's native
    assert c.model == "m"


def test_interpolation_happens_per_file_before_merging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KT_TEST_EFFORT", "low")
    write(tmp_path / "a" / "config.yaml", "reasoning_effort: ${KT_TEST_EFFORT:medium}\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\n")
    assert load_agent_config(tmp_path / "b").reasoning_effort == "low"


def test_child_top_level_key_overrides_base_controller(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.yaml", "controller: {reasoning_effort: high}\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\nreasoning_effort: low\n")
    assert load_agent_config(tmp_path / "b").reasoning_effort == "low"


# --------------------------------------------------------------------------- prompt chain


def test_prompt_chain_is_base_first_then_child_then_inline(tmp_path: Path) -> None:
    write(tmp_path / "a" / "prompts" / "system.md", "A {{ agent_name }}\n")
    write(tmp_path / "a" / "config.yaml", "system_prompt_file: prompts/system.md\n")
    write(tmp_path / "b" / "prompts" / "system.md", 'B {% include "frag" %}\n')
    write(
        tmp_path / "b" / "config.yaml", "base_config: ../a\nsystem_prompt_file: prompts/system.md\n"
    )
    write(
        tmp_path / "c" / "config.yaml",
        "base_config: ../b\nsystem_prompt: Inline last.\n",
    )
    config = load_agent_config(tmp_path / "c")
    assert config.system_prompt == 'A {{ agent_name }}\n\nB {% include "frag" %}\n\nInline last.'


def test_prompt_mode_replace_drops_inherited_prompts(tmp_path: Path) -> None:
    write(tmp_path / "a" / "p.md", "Base prompt.")
    write(tmp_path / "a" / "config.yaml", "system_prompt_file: p.md\nsystem_prompt: Base inline.\n")
    write(tmp_path / "b" / "own.md", "Own prompt.")
    write(
        tmp_path / "b" / "config.yaml",
        "base_config: ../a\nprompt_mode: replace\nsystem_prompt_file: own.md\n",
    )
    assert load_agent_config(tmp_path / "b").system_prompt == "Own prompt."


def test_prompt_mode_replace_without_own_prompt_gives_the_default(tmp_path: Path) -> None:
    write(tmp_path / "a" / "p.md", "Base prompt.")
    write(tmp_path / "a" / "config.yaml", "system_prompt_file: p.md\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\nprompt_mode: replace\n")
    assert load_agent_config(tmp_path / "b").system_prompt == "You are a helpful assistant."


def test_prompt_file_falls_back_to_the_base_folder_once(tmp_path: Path) -> None:
    write(tmp_path / "a" / "prompts" / "system.md", "Shared.")
    write(tmp_path / "a" / "config.yaml", "system_prompt_file: prompts/system.md\n")
    write(
        tmp_path / "b" / "config.yaml", "base_config: ../a\nsystem_prompt_file: prompts/system.md\n"
    )
    config = load_agent_config(tmp_path / "b")
    assert config.system_prompt == "Shared."
    assert config.system_prompt_file == str((tmp_path / "a" / "prompts" / "system.md").resolve())


def test_child_without_prompt_inherits_the_chain(tmp_path: Path) -> None:
    write(tmp_path / "a" / "p.md", "Only base.")
    write(tmp_path / "a" / "config.yaml", "system_prompt_file: p.md\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\nmax_iterations: 50\n")
    assert load_agent_config(tmp_path / "b").system_prompt == "Only base."


def test_prompt_context_files_resolve_against_their_own_config(tmp_path: Path) -> None:
    write(tmp_path / "a" / "ctx" / "rules.md", "rules")
    write(tmp_path / "a" / "config.yaml", "prompt_context_files: {rules: ctx/rules.md}\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\n")
    config = load_agent_config(tmp_path / "b")
    assert config.prompt_context_files == {
        "rules": str((tmp_path / "a" / "ctx" / "rules.md").resolve())
    }


def test_build_agent_config_from_a_dict_follows_bases(tmp_path: Path, pkg_dir: Path) -> None:
    packages.install_package(make_pack(tmp_path / "src"), editable=True)
    config = build_agent_config(
        {"name": "member", "base_config": "@mini-pack/creatures/swe", "output_wiring": ["root"]},
        tmp_path,
    )
    assert config.name == "member"
    assert config.system_prompt.startswith("# {{ agent_name }}\nGeneral.\n\nSWE.")
    assert config.output_wiring[0].to == "root"
