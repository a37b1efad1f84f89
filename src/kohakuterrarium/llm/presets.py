"""Built-in backends and model presets, and the ``@group=option`` variation rules.

A *backend* is where requests go (``backend_type`` openai or anthropic, ``base_url``, the
environment variable holding the key). A *preset* names a model on a backend with its limits and
defaults. A preset's ``variation_groups`` offer named patches (``gpt-5@reasoning=high``,
``claude-sonnet-4.5@thinking=on``); a patch may only touch ``temperature``, ``reasoning_effort``,
``service_tier``, ``max_context``, ``max_output`` and ``extra_body.*``.

Users add backends and presets in ``~/.kohakuterrarium/llm_profiles.yaml``
(:mod:`kohakuterrarium.llm.profiles`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

from kohakuterrarium.errors import BadValueError, did_you_mean

BACKEND_TYPES = ("openai", "anthropic")
"""Backend types this build can talk to."""

PATCHABLE = ("temperature", "reasoning_effort", "service_tier", "max_context", "max_output")
"""Preset fields a variation patch may set (plus any ``extra_body.<path>``)."""


@dataclass(frozen=True)
class LLMBackend:
    """Where requests for a family of presets go."""

    name: str
    """Backend name (``openai``, ``openrouter``, ``local``, ...); the ``provider`` of presets."""
    backend_type: str
    """``openai`` (any /chat/completions endpoint) or ``anthropic`` (Messages API)."""
    base_url: str
    """API base URL."""
    api_key_env: str = ""
    """Environment variable holding the key; empty for keyless local servers."""
    provider_name: str = ""
    """Display name, when it differs from ``name``."""
    provider_native_tools: frozenset[str] = frozenset()
    """Tools the backend provides natively."""
    builtin: bool = False
    """Shipped with the framework (cannot be redefined or deleted)."""

    @property
    def needs_key(self) -> bool:
        return bool(self.api_key_env)


@dataclass
class LLMPreset:
    """A named model on a backend, with its limits and defaults."""

    name: str
    """Preset name (what ``llm:`` / ``--llm`` select)."""
    model: str
    """Model id sent to the API."""
    provider: str
    """Backend name."""
    max_context: int = 256_000
    """Context window in tokens."""
    max_output: int = 65_536
    """Most tokens one reply may generate."""
    temperature: float | None = None
    """Sampling temperature (None: the API's default)."""
    reasoning_effort: str | None = None
    """Reasoning effort for reasoning models (None: the API's default)."""
    service_tier: str | None = None
    """Service tier (OpenAI flex / priority, Anthropic auto / standard_only)."""
    extra_body: dict[str, Any] = field(default_factory=dict)
    """Extra request fields, deep-merged into every request."""
    retry_policy: dict[str, Any] | None = None
    """Overrides of the retry policy (max_retries, base_delay, max_delay, jitter)."""
    timeout: float | None = None
    """Request timeout in seconds (None: the provider default)."""
    variation_groups: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """``{group: {option: {dotted.path: value}}}``."""
    builtin: bool = False
    """Shipped with the framework (False: from llm_profiles.yaml or a package)."""


# --------------------------------------------------------------------------- backends

BACKENDS: dict[str, LLMBackend] = {
    b.name: b
    for b in (
        LLMBackend("openai", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY", builtin=True),
        LLMBackend(
            "openrouter",
            "openai",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            builtin=True,
        ),
        LLMBackend(
            "anthropic", "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", builtin=True
        ),
        LLMBackend(
            "gemini",
            "openai",
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            "GEMINI_API_KEY",
            builtin=True,
        ),
        LLMBackend("mimo", "openai", "https://api.xiaomimimo.com/v1", "MIMO_API_KEY", builtin=True),
        LLMBackend(
            "kimi", "openai", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY", builtin=True
        ),
        LLMBackend("glm", "openai", "https://api.z.ai/api/paas/v4", "ZAI_API_KEY", builtin=True),
        LLMBackend("ollama", "openai", "http://127.0.0.1:11434/v1", builtin=True),
        LLMBackend("vllm", "openai", "http://127.0.0.1:8000/v1", builtin=True),
        LLMBackend("llamacpp", "openai", "http://127.0.0.1:8080/v1", builtin=True),
    )
}
"""Built-in backends by name."""


# --------------------------------------------------------------------------- presets


def _efforts(*levels: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {"reasoning": {lvl: {"reasoning_effort": lvl} for lvl in levels}}


_OPENAI_TIERS = {
    "tier": {"flex": {"service_tier": "flex"}, "priority": {"service_tier": "priority"}}
}
_GPT5 = {**_efforts("minimal", "low", "medium", "high"), **_OPENAI_TIERS}
_CLAUDE_THINKING = {
    "thinking": {
        "off": {"extra_body.thinking": {"type": "disabled"}},
        "on": {"extra_body.thinking": {"type": "enabled", "budget_tokens": 16_000}},
        "max": {"extra_body.thinking": {"type": "enabled", "budget_tokens": 32_000}},
    }
}
_GLM_THINKING = {
    "thinking": {
        "off": {"extra_body.thinking": {"type": "disabled"}},
        "on": {"extra_body.thinking": {"type": "enabled"}},
    }
}


def _p(name: str, model: str, provider: str, ctx: int, out: int, **kw: Any) -> LLMPreset:
    return LLMPreset(name, model, provider, max_context=ctx, max_output=out, builtin=True, **kw)


PRESETS: dict[str, LLMPreset] = {
    p.name: p
    for p in (
        # OpenAI
        _p("gpt-5", "gpt-5", "openai", 400_000, 128_000, variation_groups=_GPT5),
        _p("gpt-5-mini", "gpt-5-mini", "openai", 400_000, 128_000, variation_groups=_GPT5),
        _p("gpt-5-nano", "gpt-5-nano", "openai", 400_000, 128_000, variation_groups=_GPT5),
        _p("gpt-4.1", "gpt-4.1", "openai", 1_047_576, 32_768),
        _p("gpt-4.1-mini", "gpt-4.1-mini", "openai", 1_047_576, 32_768),
        _p("gpt-4o-mini", "gpt-4o-mini", "openai", 128_000, 16_384),
        _p(
            "o4-mini",
            "o4-mini",
            "openai",
            200_000,
            100_000,
            variation_groups=_efforts("low", "medium", "high"),
        ),
        # Anthropic (the undated aliases track the newest snapshot)
        _p(
            "claude-sonnet-4.5",
            "claude-sonnet-4-5",
            "anthropic",
            200_000,
            64_000,
            variation_groups=_CLAUDE_THINKING,
        ),
        _p(
            "claude-sonnet-4",
            "claude-sonnet-4-0",
            "anthropic",
            200_000,
            64_000,
            variation_groups=_CLAUDE_THINKING,
        ),
        _p(
            "claude-opus-4.1",
            "claude-opus-4-1",
            "anthropic",
            200_000,
            32_000,
            variation_groups=_CLAUDE_THINKING,
        ),
        _p(
            "claude-haiku-4.5",
            "claude-haiku-4-5",
            "anthropic",
            200_000,
            64_000,
            variation_groups=_CLAUDE_THINKING,
        ),
        # OpenRouter
        _p(
            "gpt-5-or",
            "openai/gpt-5",
            "openrouter",
            400_000,
            128_000,
            variation_groups=_efforts("minimal", "low", "medium", "high"),
        ),
        _p("claude-sonnet-4.5-or", "anthropic/claude-sonnet-4.5", "openrouter", 200_000, 64_000),
        _p("gemini-2.5-pro-or", "google/gemini-2.5-pro", "openrouter", 1_048_576, 65_536),
        _p("kimi-k2-or", "moonshotai/kimi-k2", "openrouter", 131_072, 16_384, temperature=0.6),
        _p("glm-4.6-or", "z-ai/glm-4.6", "openrouter", 200_000, 65_536),
        # Gemini through its OpenAI-compatible endpoint
        _p(
            "gemini-2.5-pro",
            "gemini-2.5-pro",
            "gemini",
            1_048_576,
            65_536,
            variation_groups=_efforts("low", "medium", "high"),
        ),
        _p(
            "gemini-2.5-flash",
            "gemini-2.5-flash",
            "gemini",
            1_048_576,
            65_536,
            variation_groups=_efforts("none", "low", "medium", "high"),
        ),
        _p("gemini-2.5-flash-lite", "gemini-2.5-flash-lite", "gemini", 1_048_576, 65_536),
        # Kimi (Moonshot) and GLM (Z.ai)
        _p("kimi-k2", "kimi-k2-0905-preview", "kimi", 262_144, 16_384, temperature=0.6),
        _p("kimi-k2-turbo", "kimi-k2-turbo-preview", "kimi", 262_144, 16_384, temperature=0.6),
        _p("glm-4.6", "glm-4.6", "glm", 200_000, 65_536, variation_groups=_GLM_THINKING),
        _p("glm-4.5-air", "glm-4.5-air", "glm", 128_000, 32_768, variation_groups=_GLM_THINKING),
        # Local servers (no key). The model id must match what the server serves.
        _p("local", "local", "llamacpp", 32_768, 8_192),
        _p("ollama", "qwen3", "ollama", 32_768, 8_192),
        _p("vllm", "Qwen/Qwen3-8B", "vllm", 32_768, 8_192),
    )
}
"""Built-in presets by name."""

ALIASES: dict[str, str] = {
    "gpt5": "gpt-5",
    "claude": "claude-sonnet-4.5",
    "sonnet": "claude-sonnet-4.5",
    "opus": "claude-opus-4.1",
    "haiku": "claude-haiku-4.5",
    "gemini": "gemini-2.5-pro",
    "gemini-flash": "gemini-2.5-flash",
    "kimi": "kimi-k2",
    "glm": "glm-4.6",
    "llama.cpp": "local",
    "llamacpp": "local",
}
"""Short names for built-in presets."""


# --------------------------------------------------------------------------- variations


def check_patch_path(path: str, *, where: str = "") -> None:
    """Raise :class:`BadValueError` unless a variation patch may write ``path``."""
    if path in PATCHABLE or (path.startswith("extra_body.") and len(path) > len("extra_body.")):
        return
    raise BadValueError(
        f"a variation may not set '{path}'",
        file=where or None,
        key="variation_groups",
        hint="allowed: " + ", ".join(PATCHABLE) + ", extra_body.<path>",
    )


def parse_selector(spec: str) -> tuple[str, dict[str, str], list[str]]:
    """Split ``name@group=option,bare`` into ``(name, {group: option}, [bare options])``."""
    name, _, rest = spec.partition("@")
    named: dict[str, str] = {}
    bare: list[str] = []
    for item in filter(None, (s.strip() for s in rest.split(","))):
        group, eq, option = item.partition("=")
        if eq:
            named[group.strip()] = option.strip()
        else:
            bare.append(item)
    return name.strip(), named, bare


def choose_variations(
    preset: LLMPreset, named: dict[str, str], bare: list[str], *, key: str = "controller.llm"
) -> dict[str, str]:
    """Validate selections against ``preset``'s groups; bare options must match one group."""
    groups = preset.variation_groups
    chosen: dict[str, str] = {}
    for group, option in named.items():
        if group not in groups:
            raise BadValueError(
                f"preset '{preset.name}' has no variation group '{group}'",
                key=key,
                hint=did_you_mean(group, groups) or _groups_hint(preset),
            )
        if option not in groups[group]:
            raise BadValueError(
                f"variation group '{group}' of preset '{preset.name}' has no option '{option}'",
                key=key,
                hint=did_you_mean(option, groups[group]) or _groups_hint(preset),
            )
        chosen[group] = option
    for option in bare:
        owners = [g for g, opts in groups.items() if option in opts]
        if len(owners) != 1:
            problem = "no" if not owners else f"more than one ({', '.join(owners)})"
            raise BadValueError(
                f"'@{option}' matches {problem} variation group of preset '{preset.name}'",
                key=key,
                hint="write @group=option; " + _groups_hint(preset),
            )
        if owners[0] in chosen and chosen[owners[0]] != option:
            raise BadValueError(
                f"variation group '{owners[0]}' selected twice ({chosen[owners[0]]}, {option})",
                key=key,
            )
        chosen[owners[0]] = option
    return chosen


def _groups_hint(preset: LLMPreset) -> str:
    if not preset.variation_groups:
        return f"preset '{preset.name}' has no variations"
    return "available: " + "; ".join(
        f"{g}={'|'.join(opts)}" for g, opts in preset.variation_groups.items()
    )


def apply_variations(preset: LLMPreset, chosen: dict[str, str]) -> LLMPreset:
    """A copy of ``preset`` with the chosen options' patches applied."""
    if not chosen:
        return preset
    written: dict[str, str] = {}
    out = replace(preset, extra_body=copy.deepcopy(preset.extra_body))
    for group, option in chosen.items():
        for path, value in preset.variation_groups[group][option].items():
            check_patch_path(path)
            for other, owner in written.items():
                if owner != group and (
                    other == path or other.startswith(path + ".") or path.startswith(other + ".")
                ):
                    raise BadValueError(
                        f"variation groups '{owner}' and '{group}' both set '{path}'",
                        key="variation_groups",
                        hint=f"preset '{preset.name}': select only one of them",
                    )
            written[path] = group
            if path.startswith("extra_body."):
                target = out.extra_body
                *parents, leaf = path.split(".")[1:]
                for part in parents:
                    target = target.setdefault(part, {})
                target[leaf] = copy.deepcopy(value)
            else:
                setattr(out, path, value)
    return out


__all__ = [
    "ALIASES",
    "BACKENDS",
    "BACKEND_TYPES",
    "PATCHABLE",
    "PRESETS",
    "LLMBackend",
    "LLMPreset",
    "apply_variations",
    "check_patch_path",
    "choose_variations",
    "parse_selector",
]
