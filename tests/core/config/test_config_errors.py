"""Every config problem raises a typed error that names the file, the key path and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

import kohakuterrarium.packages as packages
from kohakuterrarium.core.config import build_agent_config, load_agent_config, validate
from kohakuterrarium.errors import (
    BadValueError,
    ConfigError,
    MissingFileError,
    PackageError,
    UnknownKeyError,
    UnknownToolError,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, **kw):
    file = write(tmp_path / "c" / "config.yaml", text)
    return file, lambda: load_agent_config(tmp_path / "c", **kw)


# --------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ("nmae: x\n", "nmae", "name"),
        ("controller: {temprature: 0.2}\n", "controller.temprature", "temperature"),
        ("tools: [{name: bash, timout: 3}]\n", "tools[0].timout", "timeout"),
        (
            "output: {type: stdout, controler_direct: true}\n",
            "output.controler_direct",
            "controller_direct",
        ),
        ("compact: {treshold: 0.5}\n", "compact.treshold", "threshold"),
        ("termination: {max_turn: 3}\n", "termination.max_turn", "max_turns"),
        ("memory: {embeding: {}}\n", "memory.embeding", "embedding"),
        ("plugins: [{name: p, modul: m}]\n", "plugins[0].modul", "module"),
        ("triggers: [{type: timer, intervall: 5}]\n", "triggers[0].intervall", "interval"),
        ("mcp_servers: [{name: s, comand: x}]\n", "mcp_servers[0].comand", "command"),
        (
            "output_wiring: [{to: root, with_contents: false}]\n",
            "output_wiring[0].with_contents",
            "with_content",
        ),
        ("subagents: [{name: critic, max_turn: 2}]\n", "subagents[0].max_turn", "max_turns"),
        ("no_inherit: [plugin]\n", "no_inherit[0]", "plugins"),
    ],
)
def test_misspelled_keys_are_refused_with_did_you_mean(
    tmp_path: Path, text: str, key: str, suggestion: str
) -> None:
    file, load = load_text(tmp_path, text)
    with pytest.raises(UnknownKeyError) as info:
        load()
    err = info.value
    assert err.file == str(file.resolve())
    assert err.key == key
    assert f"did you mean '{suggestion}'" in (err.hint or "")
    assert str(file.resolve()) in str(err) and "did you mean" in str(err)


def test_recipe_alias_config_is_not_a_creature_key(tmp_path: Path) -> None:
    _, load = load_text(tmp_path, "config: ../other\n")
    with pytest.raises(UnknownKeyError, match="base_config"):
        load()


def test_the_error_names_the_base_file_that_holds_the_bad_key(tmp_path: Path) -> None:
    base = write(tmp_path / "a" / "config.yaml", "controller: {modle: x}\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\n")
    with pytest.raises(UnknownKeyError) as info:
        load_agent_config(tmp_path / "b")
    assert info.value.file == str(base.resolve())


def test_custom_tool_constructor_options_stay_open(tmp_path: Path) -> None:
    _, load = load_text(
        tmp_path, "tools: [{name: t, type: package, module: m, class: C, time_out: 5}]\n"
    )
    assert load().tools[0].options == {"time_out": 5}


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("max_iterations: many\n", "max_iterations", "valid integer"),
        ("controller: {temperature: hot}\n", "controller.temperature", "valid number"),
        ("controller: {tool_format: brackt}\n", "controller.tool_format", "unknown tool format"),
        ("skill_mode: sometimes\n", "skill_mode", "'dynamic' or 'static'"),
        ("prompt_mode: merge\n", "prompt_mode", "'concat' or 'replace'"),
        ("tools: [{name: t, type: package}]\n", "tools[0]", "needs both 'module' and 'class'"),
        ("tools: [{name: bash, module: x}]\n", "tools[0]", "takes no 'module'"),
        ("tools: [42]\n", "tools[0]", "valid dictionary"),
        ("tools: [{type: builtin}]\n", "tools[0].name", "missing required key"),
        ("tools: [bash, bash]\n", "tools[1]", "listed twice"),
        ("mcp_servers: [{name: s}]\n", "mcp_servers[0]", "needs a 'command'"),
        ("compact: {threshold: 3}\n", "compact.threshold", "less than or equal to 1"),
        ("output: {controller_direct: sometimes}\n", "output.controller_direct", "valid boolean"),
        ("plugins: [{name: p, class: A, class_name: B}]\n", "plugins[0]", "not both"),
    ],
)
def test_wrong_values_raise_bad_value_error(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    file, load = load_text(tmp_path, text)
    with pytest.raises(BadValueError) as info:
        load()
    assert info.value.key == key
    assert fragment in str(info.value)
    assert info.value.file == str(file.resolve())


def test_a_document_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    _, load = load_text(tmp_path, "- just\n- a list\n")
    with pytest.raises(BadValueError, match="must be a mapping"):
        load()


def test_unparseable_yaml_names_the_file(tmp_path: Path) -> None:
    file, load = load_text(tmp_path, "name: [unclosed\n")
    with pytest.raises(BadValueError, match="cannot parse") as info:
        load()
    assert info.value.file == str(file)


# --------------------------------------------------------------------------- missing files


def test_missing_base_is_an_error_with_file_key_and_hint(tmp_path: Path) -> None:
    file, load = load_text(tmp_path, "base_config: ../nowhere\n")
    with pytest.raises(MissingFileError) as info:
        load()
    err = info.value
    assert err.file == str(file.resolve())
    assert err.key == "base_config"
    assert err.hint
    assert "nowhere" in str(err)


def test_missing_creatures_base_says_where_it_searched(tmp_path: Path) -> None:
    _, load = load_text(tmp_path, "base_config: creatures/ghost\n")
    with pytest.raises(MissingFileError, match="parent folders") as info:
        load()
    assert info.value.key == "base_config"


def test_missing_prompt_file_is_an_error(tmp_path: Path) -> None:
    file, load = load_text(tmp_path, "system_prompt_file: prompts/none.md\n")
    with pytest.raises(MissingFileError) as info:
        load()
    assert info.value.key == "system_prompt_file"
    assert info.value.file == str(file.resolve())
    assert "looked in" in (info.value.hint or "")


def test_missing_creature_folder_or_config(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="does not exist"):
        load_agent_config(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingFileError, match=r"config\.yaml"):
        load_agent_config(tmp_path / "empty")


# --------------------------------------------------------------------------- packages


def test_base_from_a_package_that_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packages, "PACKAGES_DIR", tmp_path / "pkgs")
    file, load = load_text(tmp_path, 'base_config: "@kt-nothing/creatures/general"\n')
    with pytest.raises(PackageError) as info:
        load()
    text = str(info.value)
    assert "kt-nothing" in text and "kt install" in text and str(file.resolve()) in text


def test_base_from_a_package_without_that_creature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packages, "PACKAGES_DIR", tmp_path / "pkgs")
    write(tmp_path / "src" / "kohaku.yaml", "name: tiny\n")
    write(tmp_path / "src" / "creatures" / "general" / "config.yaml", "name: general\n")
    packages.install_package(tmp_path / "src", editable=True)
    _, load = load_text(tmp_path, "base_config: '@tiny/creatures/genral'\n")
    with pytest.raises(MissingFileError) as info:
        load()
    assert info.value.key == "base_config"
    assert "did you mean 'general'" in (info.value.hint or "")


# --------------------------------------------------------------------------- unknown tools


def test_unknown_builtin_tool_with_a_catalog(tmp_path: Path) -> None:
    known = ["bash", "read", "write", "grep"]
    file, load = load_text(tmp_path, "tools: [bash, raed]\n", known_tools=known)
    with pytest.raises(UnknownToolError) as info:
        load()
    assert info.value.file == str(file.resolve())
    assert info.value.key == "tools[1]"
    assert "did you mean 'read'" in (info.value.hint or "")


def test_tools_are_not_checked_without_a_catalog(tmp_path: Path) -> None:
    _, load = load_text(tmp_path, "tools: [think]\n")
    assert load().tools[0].name == "think"


def test_trigger_tools_and_package_tools_pass_the_catalog_check(tmp_path: Path) -> None:
    config = validate(
        {
            "tools": [
                {"name": "add_timer", "type": "trigger"},
                {"name": "mine", "type": "package", "module": "m", "class": "C"},
                "bash",
            ]
        },
        known_tools=["bash"],
    )
    assert [t.name for t in config.tools] == ["add_timer", "mine", "bash"]


def test_unknown_tool_inherited_from_a_base_names_the_base(tmp_path: Path) -> None:
    base = write(tmp_path / "a" / "config.yaml", "tools: [bassh]\n")
    write(tmp_path / "b" / "config.yaml", "base_config: ../a\ntools: [bash]\n")
    with pytest.raises(UnknownToolError) as info:
        load_agent_config(tmp_path / "b", known_tools=["bash"])
    assert info.value.file == str(base.resolve())


def test_validate_refuses_other_objects() -> None:
    with pytest.raises(ConfigError):
        validate(42)  # type: ignore[arg-type]


def test_dict_errors_point_at_the_base_dir(tmp_path: Path) -> None:
    with pytest.raises(UnknownKeyError) as info:
        build_agent_config({"nmae": "x"}, tmp_path)
    assert str(tmp_path.resolve()) in (info.value.file or "")
