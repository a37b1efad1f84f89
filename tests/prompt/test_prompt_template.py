"""Prompt templates: variables, includes by package name or path, and safe rendering."""

from __future__ import annotations

import pytest

from kohakuterrarium.errors import ConfigError
from kohakuterrarium.prompt import template
from kohakuterrarium.prompt.template import (
    include_search_dirs,
    render_template,
    render_template_safe,
    resolve_include,
    set_include_resolver,
)


@pytest.fixture(autouse=True)
def _no_resolver():
    previous = set_include_resolver(None)
    template._env.cache.clear()
    yield
    set_include_resolver(previous)
    template._env.cache.clear()


def test_env_is_a_module_level_environment_with_a_clearable_cache():
    import jinja2

    assert isinstance(template._env, jinja2.Environment)
    assert template._env.cache is None or hasattr(template._env.cache, "clear")


def test_variables_render_and_missing_ones_are_empty():
    text = "# {{ agent_name }}\nYou are {{ agent_name }} in {{ pwd }}.{{ missing }}{{ a.b.c }}\n"
    out = render_template(text, agent_name="swe", pwd="/w")
    assert out == "# swe\nYou are swe in /w.\n"


def test_text_without_tags_is_unchanged_including_trailing_newline():
    assert render_template("plain\n\n") == "plain\n\n"


def test_include_by_name_goes_through_the_resolver(tmp_path):
    fragment = tmp_path / "git-safety.md"
    fragment.write_text("Never force-push {{ agent_name }}.", encoding="utf-8")
    asked = []

    def resolver(name):
        asked.append(name)
        return fragment if name == "git-safety" else None

    set_include_resolver(resolver)
    out = render_template('Rules:\n{% include "git-safety" %}\nEnd', agent_name="swe")
    assert out == "Rules:\nNever force-push swe.\nEnd"
    assert asked[0] == "git-safety"


def test_include_falls_back_to_a_file_path(tmp_path):
    fragment = tmp_path / "frag.md"
    fragment.write_text("from file", encoding="utf-8")
    set_include_resolver(lambda name: None)
    assert render_template(f'{{% include "{fragment}" %}}') == "from file"


def test_include_relative_to_search_dirs(tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "role.md").write_text("role text", encoding="utf-8")
    with include_search_dirs([tmp_path]):
        assert render_template('{% include "prompts/role.md" %}') == "role text"
    assert resolve_include("prompts/role.md") is None


def test_a_failing_resolver_does_not_hide_file_includes(tmp_path):
    fragment = tmp_path / "f.md"
    fragment.write_text("ok", encoding="utf-8")

    def broken(name):
        raise RuntimeError("registry unreadable")

    set_include_resolver(broken)
    assert render_template(f'{{% include "{fragment}" %}}') == "ok"


def test_resolution_change_is_picked_up_after_cache_clear(tmp_path):
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text("one", encoding="utf-8")
    two.write_text("two", encoding="utf-8")
    target = {"path": one}
    set_include_resolver(lambda name: target["path"] if name == "frag" else None)
    assert render_template('{% include "frag" %}') == "one"
    target["path"] = two
    template._env.cache.clear()
    assert render_template('{% include "frag" %}') == "two"


def test_stale_cached_include_is_reloaded_even_without_clearing(tmp_path):
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text("one", encoding="utf-8")
    two.write_text("two", encoding="utf-8")
    target = {"path": one}
    set_include_resolver(lambda name: target["path"])
    assert render_template('{% include "frag" %}') == "one"
    target["path"] = two
    assert render_template('{% include "frag" %}') == "two"


def test_missing_include_raises_a_config_error_naming_it():
    with pytest.raises(ConfigError, match="git-safety") as info:
        render_template('{% include "git-safety" %}')
    assert "install the package" in str(info.value)


def test_syntax_error_raises_a_config_error_with_the_line():
    with pytest.raises(ConfigError, match="line 2"):
        render_template("ok\n{% if %}")


@pytest.mark.parametrize(
    "text", ['{% include "nowhere-to-be-found" %}', "{% broken", "{{ 1 / 0 }}", "{% endif %}"]
)
def test_render_template_safe_keeps_the_original_text_on_error(text):
    assert render_template_safe(text, agent_name="x") == text


def test_render_template_safe_renders_when_it_can():
    assert render_template_safe("# {{ agent_name }}", agent_name="general") == "# general"


def test_set_include_resolver_returns_the_previous_hook():
    def a(name):
        return None

    def b(name):
        return None

    assert set_include_resolver(a) is None
    assert set_include_resolver(b) is a
    assert set_include_resolver(None) is b
