"""Presets, the user's llm_profiles.yaml, variations and the resolution order of §B2.3."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.errors import AuthError, BadValueError, UnknownKeyError, UnknownModelError
from kohakuterrarium.llm.anthropic import AnthropicProvider
from kohakuterrarium.llm.keys import save_api_key
from kohakuterrarium.llm.openai import OpenAIProvider
from kohakuterrarium.llm.presets import PRESETS, LLMPreset
from kohakuterrarium.llm.profiles import create_provider_for, resolve_profile
from kohakuterrarium.llm.user_profiles import set_default_model


def write_profiles(home: Path, data: dict) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "llm_profiles.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


USER_FILE = {
    "version": 3,
    "default_model": "house-model",
    "backends": {
        "house": {
            "backend_type": "openai",
            "base_url": "http://127.0.0.1:9999/v1",
            "api_key_env": "HOUSE_KEY",
        },
        "house-claude": {"backend_type": "anthropic", "base_url": "http://127.0.0.1:9998"},
    },
    "presets": {
        "house": {
            "house-model": {
                "model": "house/m1",
                "max_context": 32000,
                "max_output": 4000,
                "temperature": 0.1,
                "extra_body": {"top_k": 20},
                "retry_policy": {"max_retries": 7},
                "variation_groups": {
                    "mode": {
                        "fast": {"temperature": 0.9, "extra_body.speed": "fast"},
                        "exact": {"temperature": 0.0},
                    },
                    "size": {"small": {"max_output": 512}},
                },
            },
            "gpt-5": {"model": "proxied-gpt-5"},
        },
        "house-claude": {"house-sonnet": {"model": "claude-sonnet-4-5"}},
    },
}


@pytest.fixture
def profiles(kt_home, monkeypatch):
    monkeypatch.setenv("HOUSE_KEY", "house-secret-key-123456")
    return write_profiles(kt_home, USER_FILE)


def cfg(**kw) -> AgentConfig:
    return AgentConfig(name="t", **kw)


# --------------------------------------------------------------------------- resolution order


def test_cli_flag_wins_over_controller_llm_and_model(profiles):
    p = resolve_profile("house-model", cfg(llm="house-sonnet", model="gpt-4o-mini"))
    assert p.identifier == "house/house-model"


def test_controller_llm_wins_over_model(profiles):
    p = resolve_profile(None, cfg(llm="house-sonnet", model="gpt-4o-mini"))
    assert (p.provider, p.name, p.backend_type) == ("house-claude", "house-sonnet", "anthropic")


def test_model_is_matched_against_presets_with_provider_breaking_ties(profiles):
    # The model id claude-sonnet-4-5 is used by the built-in anthropic preset and the user's.
    assert resolve_profile(None, cfg(model="claude-sonnet-4-5", provider="anthropic")).name == (
        "claude-sonnet-4.5"
    )
    assert resolve_profile(None, cfg(model="claude-sonnet-4-5", provider="house-claude")).name == (
        "house-sonnet"
    )
    # Through resolve_llm the config's own model arrives as the name: still the model path.
    assert (
        resolve_profile("gpt-4o-mini", cfg(model="gpt-4o-mini")).identifier == "openai/gpt-4o-mini"
    )


def test_default_model_when_nothing_else_is_named(profiles):
    assert resolve_profile(None, cfg()).identifier == "house/house-model"
    assert resolve_profile(None, None).identifier == "house/house-model"


def test_inline_path_for_a_model_without_preset(kt_home, monkeypatch):
    monkeypatch.setenv("MY_KEY", "inline-secret-abcdef")
    c = cfg(model="my-finetune", base_url="http://127.0.0.1:7000/v1", api_key_env="MY_KEY")
    p = resolve_profile(None, c)
    assert (p.source, p.model, p.base_url, p.backend_type) == (
        "inline",
        "my-finetune",
        "http://127.0.0.1:7000/v1",
        "openai",
    )
    llm = create_provider_for(None, c)
    assert isinstance(llm, OpenAIProvider) and llm.config.api_key == "inline-secret-abcdef"
    anth = resolve_profile(None, cfg(model="claude-x", auth_mode="anthropic", api_key_env="MY_KEY"))
    assert anth.backend_type == "anthropic" and anth.base_url == "https://api.anthropic.com"
    # A known provider is enough to reach a model that has no preset.
    p2 = resolve_profile(None, cfg(model="some/new-model", provider="openrouter"))
    assert (p2.base_url, p2.api_key_env) == ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY")


def test_unmatched_model_without_endpoint_is_an_error(profiles):
    with pytest.raises(UnknownModelError, match=r"gpt-4o-mimi.*did you mean 'gpt-4o-mini'"):
        resolve_profile(None, cfg(model="gpt-4o-mimi"))


def test_nothing_configured_is_an_error(kt_home):
    with pytest.raises(UnknownModelError, match="no model configured"):
        resolve_profile(None, cfg())


def test_user_presets_win_over_builtins_and_provider_slash_name_picks_either(profiles):
    assert resolve_profile("gpt-5", None).model == "proxied-gpt-5"
    assert resolve_profile("openai/gpt-5", None).model == "gpt-5"
    assert resolve_profile("house/gpt-5", None).model == "proxied-gpt-5"


def test_aliases_and_builtin_backends(kt_home):
    assert resolve_profile("sonnet", None).identifier == "anthropic/claude-sonnet-4.5"
    local = resolve_profile("local", None)
    assert (local.base_url, local.api_key_env) == ("http://127.0.0.1:8080/v1", "")
    gem = resolve_profile("gemini-2.5-flash", None)
    assert gem.base_url == "https://generativelanguage.googleapis.com/v1beta/openai/"


def test_controller_overrides_apply_on_top(profiles):
    c = cfg(
        llm="house-model",
        temperature=0.55,
        max_tokens=1234,
        reasoning_effort="low",
        service_tier="flex",
        extra_body={"top_p": 0.5},
        retry_policy={"base_delay": 0.25},
    )
    p = resolve_profile(None, c)
    assert (p.temperature, p.max_output, p.reasoning_effort) == (0.55, 1234, "low")
    assert p.extra_body == {"top_k": 20, "top_p": 0.5}
    assert (p.retry_policy.max_retries, p.retry_policy.base_delay) == (7, 0.25)
    llm = create_provider_for(None, c)
    assert llm.config.extra_body["service_tier"] == "flex"
    assert llm.retry_policy.max_retries == 7


def test_kt_config_dir_is_read_at_call_time(tmp_path, monkeypatch):
    first = write_profiles(tmp_path / "a", {"version": 3, "default_model": "gpt-4o-mini"})
    second = write_profiles(tmp_path / "b", {"version": 3, "default_model": "o4-mini"})
    monkeypatch.setenv("KT_CONFIG_DIR", str(first.parent))
    assert resolve_profile(None, None).name == "gpt-4o-mini"
    monkeypatch.setenv("KT_CONFIG_DIR", str(second.parent))
    assert resolve_profile(None, None).name == "o4-mini"


def test_set_default_model_keeps_the_rest(profiles):
    set_default_model(profiles, "gpt-5-mini")
    data = yaml.safe_load(profiles.read_text())
    assert data["default_model"] == "gpt-5-mini" and "house" in data["backends"]


# --------------------------------------------------------------------------- variations


def test_named_and_bare_variations(profiles):
    p = resolve_profile("house-model@mode=fast,small", None)
    assert (p.temperature, p.max_output) == (0.9, 512)
    assert p.extra_body == {"top_k": 20, "speed": "fast"}
    assert p.identifier == "house/house-model@mode=fast,size=small"
    # The preset itself is untouched.
    assert resolve_profile("house-model", None).extra_body == {"top_k": 20}


def test_variation_selections_from_the_config(profiles):
    p = resolve_profile(None, cfg(llm="house-model", variation_selections={"mode": "exact"}))
    assert p.temperature == 0.0 and p.selections == {"mode": "exact"}
    q = resolve_profile(None, cfg(llm="house-model", variation="small"))
    assert q.max_output == 512
    # Selectors in the name win over variation_selections.
    r = resolve_profile(
        None, cfg(llm="house-model@mode=fast", variation_selections={"mode": "exact"})
    )
    assert r.selections == {"mode": "fast"}


def test_builtin_variations(kt_home):
    assert resolve_profile("gpt-5@reasoning=high", None).reasoning_effort == "high"
    claude = resolve_profile("claude-sonnet-4.5@thinking=on", None)
    assert claude.extra_body["thinking"] == {"type": "enabled", "budget_tokens": 16000}


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("house-model@mood=fast", "no variation group 'mood'"),
        ("house-model@mode=slow", "no option 'slow'"),
        ("house-model@turbo", "matches no variation group"),
    ],
)
def test_bad_variations(profiles, spec, match):
    with pytest.raises(BadValueError, match=match):
        resolve_profile(spec, None)


def test_bare_option_in_two_groups_is_ambiguous(kt_home):
    data = {
        "version": 3,
        "presets": {
            "openai": {
                "p": {
                    "model": "m",
                    "variation_groups": {
                        "a": {"hi": {"temperature": 1.0}},
                        "b": {"hi": {"max_output": 10}},
                    },
                }
            }
        },
    }
    write_profiles(kt_home, data)
    with pytest.raises(BadValueError, match="more than one"):
        resolve_profile("p@hi", None)


def test_two_groups_writing_the_same_path_is_an_error(kt_home):
    data = {
        "version": 3,
        "presets": {
            "openai": {
                "p": {
                    "model": "m",
                    "variation_groups": {
                        "a": {"x": {"extra_body.thinking": {"type": "enabled"}}},
                        "b": {"y": {"extra_body.thinking.budget_tokens": 10}},
                    },
                }
            }
        },
    }
    write_profiles(kt_home, data)
    with pytest.raises(BadValueError, match="both set"):
        resolve_profile("p@a=x,b=y", None)


def test_a_patch_may_not_touch_other_fields(kt_home):
    data = {
        "version": 3,
        "presets": {
            "openai": {"p": {"model": "m", "variation_groups": {"a": {"x": {"model": "other"}}}}}
        },
    }
    write_profiles(kt_home, data)
    with pytest.raises(BadValueError, match="may not set 'model'"):
        resolve_profile("p", None)


# --------------------------------------------------------------------------- the user file


def test_unknown_keys_and_bad_types_name_file_and_key(kt_home):
    path = write_profiles(
        kt_home, {"version": 3, "presets": {"openai": {"p": {"model": "m", "max_ctx": 5}}}}
    )
    with pytest.raises(UnknownKeyError) as info:
        resolve_profile("p", None)
    assert info.value.key == "presets.openai.p.max_ctx" and info.value.file == str(path)
    assert "max_context" in str(info.value)
    write_profiles(
        kt_home, {"version": 3, "presets": {"openai": {"p": {"model": "m", "max_output": "lots"}}}}
    )
    with pytest.raises(BadValueError, match="max_output"):
        resolve_profile("p", None)


def test_builtin_backends_cannot_be_redirected(kt_home):
    write_profiles(
        kt_home, {"version": 3, "backends": {"openai": {"base_url": "http://evil.test/v1"}}}
    )
    with pytest.raises(BadValueError, match="built-in backend"):
        resolve_profile("gpt-5", None)


def test_legacy_profiles_are_migrated(kt_home, monkeypatch):
    monkeypatch.setenv("LEGACY_KEY", "legacy-secret-123456")
    write_profiles(
        kt_home,
        {
            "profiles": {
                "old-local": {
                    "provider": "custom",
                    "model": "llama",
                    "base_url": "http://127.0.0.1:5000/v1",
                    "api_key_env": "LEGACY_KEY",
                    "max_context": 8000,
                },
                "old-gpt": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.2},
            }
        },
    )
    local = resolve_profile("old-local", None)
    assert (local.provider, local.base_url, local.max_context) == (
        "custom",
        "http://127.0.0.1:5000/v1",
        8000,
    )
    assert create_provider_for("old-local", None).config.api_key == "legacy-secret-123456"
    gpt = resolve_profile("old-gpt", None)
    assert (gpt.provider, gpt.temperature) == ("openai", 0.2)


def test_newer_schema_version_is_refused(kt_home):
    write_profiles(kt_home, {"version": 9})
    with pytest.raises(BadValueError, match="version"):
        resolve_profile("gpt-5", None)


# --------------------------------------------------------------------------- building providers


def test_providers_match_the_backend_type(profiles):
    assert isinstance(create_provider_for("house-model", None), OpenAIProvider)
    claude = create_provider_for("house-sonnet", None)  # keyless backend: no key needed
    assert isinstance(claude, AnthropicProvider) and claude.base_url == "http://127.0.0.1:9998"
    assert claude.identifier == "house-claude/house-sonnet"


def test_missing_key_is_auth_error_at_build_time(kt_home):
    with pytest.raises(AuthError, match=r"kt login openai.*OPENAI_API_KEY"):
        create_provider_for("gpt-5", None)


def test_key_file_wins_over_the_environment(kt_home, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-000000000000")
    assert create_provider_for("gpt-5", None).config.api_key == "env-key-000000000000"
    save_api_key("openai", "file-key-111111111111")
    assert create_provider_for("gpt-5", None).config.api_key == "file-key-111111111111"


def test_unknown_profile_fails_at_agent_construction(kt_home):
    with pytest.raises(UnknownModelError, match=r"did you mean 'claude-sonnet-4\.5'"):
        Agent(AgentConfig(name="t", llm="claude-sonet-4.5"))
    with pytest.raises(UnknownModelError):
        Agent(AgentConfig(name="t"), llm="no-such-model")


def test_missing_key_fails_at_agent_construction(kt_home):
    with pytest.raises(AuthError):
        Agent(AgentConfig(name="t", llm="claude-haiku-4.5"))


async def test_agent_from_profile_name_uses_that_provider(kt_home, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-agent-key-123456789")
    agent = Agent(AgentConfig(name="t", llm="gpt-5-mini@reasoning=low"))
    try:
        assert isinstance(agent.llm, OpenAIProvider)
        assert agent.llm.identifier == "openai/gpt-5-mini@reasoning=low"
        assert agent.llm.config.reasoning_effort == "low"
    finally:
        await agent.llm.close()


def test_every_builtin_preset_resolves(kt_home):
    for name, preset in PRESETS.items():
        assert isinstance(preset, LLMPreset)
        profile = resolve_profile(name, None)
        assert profile.model == preset.model and profile.base_url.startswith("http")


def test_same_user_preset_name_on_two_backends_is_ambiguous(kt_home):
    write_profiles(
        kt_home,
        {
            "version": 3,
            "presets": {"openai": {"p": {"model": "a"}}, "openrouter": {"p": {"model": "b"}}},
        },
    )
    with pytest.raises(UnknownModelError, match="several presets"):
        resolve_profile("p", None)
    assert resolve_profile("openrouter/p", None).model == "b"
    assert resolve_profile(None, cfg(llm="p", provider="openai")).model == "a"


def test_package_presets_rank_between_user_and_builtin(kt_home, monkeypatch):
    from kohakuterrarium.llm import profiles as mod

    monkeypatch.setattr(mod, "_EXTRA_PRESETS", {})
    mod.register_preset(LLMPreset("gpt-4o-mini", "pkg-model", "openai"))
    p = resolve_profile("gpt-4o-mini", None)
    assert (p.model, p.source) == ("pkg-model", "package")
    write_profiles(
        kt_home, {"version": 3, "presets": {"openai": {"gpt-4o-mini": {"model": "mine"}}}}
    )
    assert resolve_profile("gpt-4o-mini", None).source == "user"
