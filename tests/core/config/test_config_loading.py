"""Loading one creature config: file formats, interpolation, controller keys, entry shorthands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kohakuterrarium
from kohakuterrarium.core.config import (
    build_agent_config,
    interpolate,
    load_agent_config,
    validate,
)
from kohakuterrarium.core.config_types import AgentConfig


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("fname", "text"),
    [
        ("config.yaml", "name: demo\nmax_iterations: 7\ntools: [bash]\n"),
        ("config.yml", "name: demo\nmax_iterations: 7\ntools: [bash]\n"),
        ("config.json", json.dumps({"name": "demo", "max_iterations": 7, "tools": ["bash"]})),
        ("config.toml", 'name = "demo"\nmax_iterations = 7\ntools = ["bash"]\n'),
    ],
)
def test_each_file_format_loads_from_a_folder(tmp_path: Path, fname: str, text: str) -> None:
    write(tmp_path / "demo" / fname, text)
    config = load_agent_config(tmp_path / "demo")
    assert config.name == "demo"
    assert config.max_iterations == 7
    assert [(t.name, t.type) for t in config.tools] == [("bash", "builtin")]
    assert config.config_file == (tmp_path / "demo" / fname).resolve()


def test_config_yaml_wins_over_other_formats_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "c" / "config.json", json.dumps({"name": "from-json"}))
    write(tmp_path / "c" / "config.yaml", "name: from-yaml\n")
    assert load_agent_config(tmp_path / "c").name == "from-yaml"


def test_a_config_file_path_loads_directly(tmp_path: Path) -> None:
    file = write(tmp_path / "any" / "mine.yaml", "name: direct\n")
    config = load_agent_config(str(file))
    assert config.name == "direct"
    assert config.agent_path == file.parent.resolve()


def test_name_defaults_to_the_folder_name(tmp_path: Path) -> None:
    write(tmp_path / "helper" / "config.yaml", "controller: {temperature: 0.1}\n")
    config = load_agent_config(tmp_path / "helper")
    assert config.name == "helper"
    assert config.temperature == 0.1


def test_an_empty_config_file_is_a_default_creature(tmp_path: Path) -> None:
    write(tmp_path / "blank" / "config.yaml", "")
    config = load_agent_config(tmp_path / "blank")
    assert config.name == "blank"
    assert config.system_prompt == AgentConfig().system_prompt
    assert config.tools == []


# --------------------------------------------------------------------------- interpolation


def test_interpolation_uses_env_then_default_then_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KT_TEST_SET", "from-env")
    monkeypatch.delenv("KT_TEST_UNSET", raising=False)
    doc = {
        "a": "${KT_TEST_SET:ignored}",
        "b": "${KT_TEST_UNSET:fallback}",
        "c": "x-${KT_TEST_UNSET}-y",
        "d": ["${KT_TEST_SET}", {"e": "${KT_TEST_UNSET:}"}],
        "f": "$${KT_TEST_SET}",
        "g": 3,
    }
    assert interpolate(doc) == {
        "a": "from-env",
        "b": "fallback",
        "c": "x--y",
        "d": ["from-env", {"e": ""}],
        "f": "${KT_TEST_SET}",
        "g": 3,
    }


def test_interpolated_values_are_coerced_to_their_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KT_TEST_TEMP", "0.25")
    write(
        tmp_path / "c" / "config.yaml",
        "max_iterations: ${KT_TEST_ITER:50}\n"
        "controller:\n  temperature: ${KT_TEST_TEMP}\n  ephemeral: '${KT_TEST_EPH:true}'\n",
    )
    config = load_agent_config(tmp_path / "c")
    assert config.max_iterations == 50
    assert config.temperature == 0.25
    assert config.ephemeral is True


def test_reasoning_effort_follows_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "c" / "config.yaml", 'controller:\n  reasoning_effort: "${REASONING:high}"\n')
    monkeypatch.delenv("REASONING", raising=False)
    assert load_agent_config(tmp_path / "c").reasoning_effort == "high"
    monkeypatch.setenv("REASONING", "low")
    assert load_agent_config(tmp_path / "c").reasoning_effort == "low"


# --------------------------------------------------------------------------- controller keys


def test_controller_keys_are_lifted_onto_the_config(tmp_path: Path) -> None:
    write(
        tmp_path / "c" / "config.yaml",
        """
controller:
  llm: "claude@reasoning=high"
  model: some-model
  provider: openai
  temperature: 0.3
  max_tokens: 2048
  reasoning_effort: low
  tool_format: XML
  max_messages: 40
  ephemeral: true
  skill_mode: static
  include_tools_in_prompt: false
  extra_body: {seed: 1}
  retry_policy: {max_retries: 5}
  variation_selections: {reasoning: high}
""",
    )
    c = load_agent_config(tmp_path / "c")
    assert (c.llm, c.model, c.provider) == ("claude@reasoning=high", "some-model", "openai")
    assert (c.temperature, c.max_tokens, c.reasoning_effort) == (0.3, 2048, "low")
    assert (c.tool_format, c.max_messages, c.ephemeral) == ("xml", 40, True)
    assert (c.skill_mode, c.include_tools_in_prompt) == ("static", False)
    assert c.extra_body == {"seed": 1}
    assert c.retry_policy == {"max_retries": 5}
    assert c.variation_selections == {"reasoning": "high"}


def test_top_level_controller_keys_are_honoured(tmp_path: Path) -> None:
    write(
        tmp_path / "c" / "config.yaml",
        "tool_format: native\nmax_messages: 12\nephemeral: true\nskill_mode: static\n"
        "reasoning_effort: medium\n",
    )
    c = load_agent_config(tmp_path / "c")
    assert (c.tool_format, c.max_messages, c.ephemeral) == ("native", 12, True)
    assert c.skill_mode == "static"
    assert c.reasoning_effort == "medium"


def test_controller_wins_over_the_top_level_in_one_file(tmp_path: Path) -> None:
    write(
        tmp_path / "c" / "config.yaml",
        "tool_format: xml\ncontroller:\n  tool_format: native\n",
    )
    assert load_agent_config(tmp_path / "c").tool_format == "native"


def test_custom_tool_format_mapping_is_kept(tmp_path: Path) -> None:
    write(
        tmp_path / "c" / "config.yaml",
        "controller:\n  tool_format: {start_char: '<<', end_char: '>>'}\n",
    )
    assert load_agent_config(tmp_path / "c").tool_format == {"start_char": "<<", "end_char": ">>"}


# --------------------------------------------------------------------------- entries


def test_entry_shorthands_expand(tmp_path: Path) -> None:
    write(
        tmp_path / "c" / "config.yaml",
        """
tools:
  - bash
  - {name: read, timeout: 5, max_output: 100, custom_flag: on}
  - {name: add_timer, type: trigger}
  - {name: lint, type: custom, module: ./tools/lint.py, class: LintTool, strict: true}
subagents: [explore, {name: critic, extra_prompt: "Be terse.", max_turns: 3}]
plugins:
  - sandbox
  - {name: ctx, module: pack.plugins, class_name: Ctx, options: {depth: 2}}
output_wiring: [reviewer, {to: root, with_content: false}]
""",
    )
    c = load_agent_config(tmp_path / "c")
    assert [(t.name, t.type) for t in c.tools] == [
        ("bash", "builtin"),
        ("read", "builtin"),
        ("add_timer", "trigger"),
        ("lint", "custom"),
    ]
    assert c.tools[1].options == {"timeout": 5.0, "max_output": 100, "custom_flag": True}
    assert (c.tools[3].module, c.tools[3].class_name, c.tools[3].options) == (
        "./tools/lint.py",
        "LintTool",
        {"strict": True},
    )
    assert [(s.name, s.type) for s in c.subagents] == [
        ("explore", "builtin"),
        ("critic", "builtin"),
    ]
    assert c.subagents[1].options == {"extra_prompt": "Be terse.", "max_turns": 3}
    assert c.plugins == [
        {"name": "sandbox", "type": "package", "module": None, "class": None, "options": {}},
        {
            "name": "ctx",
            "type": "package",
            "module": "pack.plugins",
            "class": "Ctx",
            "options": {"depth": 2},
        },
    ]
    assert [(w.to, w.with_content) for w in c.output_wiring] == [
        ("reviewer", True),
        ("root", False),
    ]


def test_io_blocks_split_reserved_keys_from_options(tmp_path: Path) -> None:
    write(
        tmp_path / "c" / "config.yaml",
        """
input: {type: cli, prompt: "> ", history: false}
output:
  type: stdout
  controller_direct: false
  color: true
  named_outputs:
    discord: {type: package, module: pack.io, class: Out, channel_id: 5}
""",
    )
    c = load_agent_config(tmp_path / "c")
    assert (c.input.type, c.input.prompt, c.input.options) == ("cli", "> ", {"history": False})
    assert (c.output.type, c.output.controller_direct, c.output.options) == (
        "stdout",
        False,
        {"color": True},
    )
    assert c.output.named_outputs["discord"]["channel_id"] == 5


def test_runtime_blocks_are_carried(tmp_path: Path) -> None:
    write(
        tmp_path / "c" / "config.yaml",
        """
compact: {threshold: 0.75, keep_recent_turns: 6, enabled: true}
termination: {max_turns: 3, keywords: [DONE]}
memory: {embedding: {provider: model2vec, model: "@base"}}
startup_trigger: {prompt: hello}
triggers: [{type: timer, name: beat, interval: 30, prompt: tick}]
mcp_servers: [{name: fs, command: mcp-fs, args: [/repo]}]
skills: "*"
framework_hints: {framework.output_model: ""}
""",
    )
    c = load_agent_config(tmp_path / "c")
    assert c.compact == {"threshold": 0.75, "keep_recent_turns": 6, "enabled": True}
    assert c.termination == {"max_turns": 3, "keywords": ["DONE"]}
    assert c.memory["embedding"]["model"] == "@base"
    assert c.startup_trigger == {"prompt": "hello"}
    assert c.triggers == [{"type": "timer", "name": "beat", "interval": 30.0, "prompt": "tick"}]
    assert c.mcp_servers == [
        {"transport": "stdio", "name": "fs", "command": "mcp-fs", "args": ["/repo"]}
    ]
    assert c.skills == ["*"]
    assert c.framework_hint_overrides == {"framework.output_model": ""}


# --------------------------------------------------------------------------- API surface


def test_build_agent_config_resolves_relative_paths_against_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "prompts" / "me.md", "I am inline-built.")
    config = build_agent_config({"name": "x", "system_prompt_file": "prompts/me.md"}, tmp_path)
    assert config.system_prompt == "I am inline-built."
    assert config.agent_path == tmp_path.resolve()
    assert config.config_file is None


def test_validate_is_exported_at_the_top_level(tmp_path: Path) -> None:
    assert kohakuterrarium.validate is validate
    write(tmp_path / "c" / "config.yaml", "name: ok\n")
    assert validate(tmp_path / "c").name == "ok"
    assert validate({"name": "d", "tools": ["bash"]}).tools[0].name == "bash"


def test_the_raw_merged_dict_is_kept(tmp_path: Path) -> None:
    write(tmp_path / "c" / "config.yaml", "name: r\ntool_format: native\n")
    raw = load_agent_config(tmp_path / "c").raw
    assert raw["name"] == "r"
    assert raw["controller"] == {"tool_format": "native"}
