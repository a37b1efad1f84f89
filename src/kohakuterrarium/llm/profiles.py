"""Profiles: which model a creature talks to, resolved from presets, the user's file and config.

Resolution order (CONTRACT §B2.3): the CLI ``--llm`` flag (or ``Agent(llm="name")``), then
``controller.llm``, then ``controller.model`` matched against presets (``provider`` breaks ties),
then ``default_model`` from ``llm_profiles.yaml``, and finally the inline path (``model`` plus
``api_key_env`` / ``base_url``). The controller's scalar overrides (``temperature``,
``max_tokens``, ``reasoning_effort``, ``service_tier``, ``retry_policy``) then apply and
``extra_body`` is deep-merged. A ``model`` that matches no preset and gives no inline endpoint is
an error rather than a silent switch to ``default_model``.

Everything is checked when the provider is built: an unknown name raises
:class:`~kohakuterrarium.errors.UnknownModelError` with a did-you-mean hint, a missing key raises
:class:`~kohakuterrarium.errors.AuthError`.

>>> create_provider_for("gpt-5@reasoning=high", None)   # doctest: +SKIP
OpenAIProvider(provider='openai', model='gpt-5', base_url='https://api.openai.com/v1')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import AuthError, BadValueError, UnknownModelError, did_you_mean
from kohakuterrarium.llm.base import BaseLLMProvider, LLMConfig
from kohakuterrarium.llm.errors import RetryPolicy
from kohakuterrarium.llm.keys import config_home, get_api_key
from kohakuterrarium.llm.openai import deep_merge
from kohakuterrarium.llm.presets import (
    ALIASES,
    BACKENDS,
    PRESETS,
    LLMBackend,
    LLMPreset,
    apply_variations,
    choose_variations,
    parse_selector,
)
from kohakuterrarium.llm.user_profiles import UserProfiles, load_user_profiles

if TYPE_CHECKING:
    from kohakuterrarium.core.config_types import AgentConfig

DEFAULT_TIMEOUT = 600.0
_EXTRA_PRESETS: dict[str, LLMPreset] = {}


def profiles_path() -> Path:
    """``llm_profiles.yaml`` in the home directory."""
    return config_home() / "llm_profiles.yaml"


def register_preset(preset: LLMPreset) -> None:
    """Add a preset from a package (``llm_presets`` in kohaku.yaml); user presets still win."""
    _EXTRA_PRESETS[preset.name] = preset


@dataclass
class LLMProfile:
    """A fully resolved model choice: preset + backend + variations + config overrides."""

    name: str
    """Preset name (or the model id on the inline path)."""
    model: str
    """Model id sent to the API."""
    provider: str
    """Backend name."""
    backend_type: str
    """openai or anthropic."""
    base_url: str
    """API base URL."""
    api_key_env: str = ""
    """Environment variable the key may come from (empty: no key needed)."""
    max_context: int = 256_000
    """Context window in tokens."""
    max_output: int = 65_536
    """Most tokens one reply may generate."""
    temperature: float | None = None
    """Sampling temperature."""
    reasoning_effort: str | None = None
    """Reasoning effort."""
    service_tier: str | None = None
    """Service tier."""
    extra_body: dict[str, Any] = field(default_factory=dict)
    """Extra request fields."""
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    """Retries of failed requests."""
    timeout: float = DEFAULT_TIMEOUT
    """Request timeout in seconds."""
    selections: dict[str, str] = field(default_factory=dict)
    """Chosen variation options, ``{group: option}``."""
    source: str = "builtin"
    """builtin, user, package or inline."""

    @property
    def identifier(self) -> str:
        """The canonical ``provider/name[@group=option,...]``."""
        text = f"{self.provider}/{self.name}"
        if self.selections:
            text += "@" + ",".join(f"{g}={o}" for g, o in sorted(self.selections.items()))
        return text

    def to_llm_config(self, api_key: str | None) -> LLMConfig:
        """The provider config (the key is kept out of every repr)."""
        extra = dict(self.extra_body)
        if self.service_tier:
            extra.setdefault("service_tier", self.service_tier)
        return LLMConfig(
            model=self.model,
            provider=self.provider,
            base_url=self.base_url,
            api_key=api_key,
            max_context=self.max_context,
            max_output=self.max_output,
            temperature=self.temperature,
            reasoning_effort=self.reasoning_effort,
            extra_body=extra,
            timeout=self.timeout,
        )


# --------------------------------------------------------------------------- lookup


class _Catalog:
    """Backends and presets visible right now: built-ins, packages, then the user's file."""

    def __init__(self, user: UserProfiles) -> None:
        self.user = user
        self.backends: dict[str, LLMBackend] = {**BACKENDS, **user.backends}
        self.presets: list[LLMPreset] = [
            *user.presets,
            *_EXTRA_PRESETS.values(),
            *PRESETS.values(),
        ]

    def names(self) -> list[str]:
        names = {p.name for p in self.presets} | set(ALIASES)
        names |= {f"{p.provider}/{p.name}" for p in self.presets}
        return sorted(names)

    def by_name(self, name: str, provider: str | None = None) -> LLMPreset | None:
        hits = [p for p in self.presets if p.name == name]
        if not hits and "/" in name:
            backend, _, rest = name.partition("/")
            if backend in self.backends:
                hits = [p for p in self.presets if p.provider == backend and p.name == rest]
        if not hits and name in ALIASES:
            hits = [p for p in self.presets if p.name == ALIASES[name]]
        return self._pick(hits, name, provider)

    def by_model(self, model: str, provider: str | None) -> LLMPreset | None:
        hits = [p for p in self.presets if p.name == model or p.model == model]
        return self._pick(hits, model, provider)

    def _pick(self, hits: list[LLMPreset], name: str, provider: str | None) -> LLMPreset | None:
        if provider:
            hits = [p for p in hits if p.provider == provider]
        if len({(p.provider, p.name) for p in hits}) > 1:
            # User presets beat package presets beat built-ins; within one rank it is ambiguous.
            best = min(self._rank(p) for p in hits)
            peers = [p for p in hits if self._rank(p) == best]
            hits = peers
            if len({(p.provider, p.name) for p in peers}) > 1:
                raise UnknownModelError(
                    f"'{name}' matches several presets: "
                    + ", ".join(sorted(f"{p.provider}/{p.name}" for p in peers))
                    + " (write provider/name, or set controller.provider)",
                    model=name,
                )
        return hits[0] if hits else None

    def _rank(self, preset: LLMPreset) -> int:
        if any(preset is u for u in self.user.presets):
            return 0
        return 1 if _EXTRA_PRESETS.get(preset.name) is preset else 2

    def backend(self, name: str, *, needed_by: str) -> LLMBackend:
        try:
            return self.backends[name]
        except KeyError:
            raise UnknownModelError(
                f"{needed_by} uses backend '{name}', which is not defined",
                provider=name,
            ) from None

    def unknown(
        self, name: str, what: str = "model or profile", extra: str = ""
    ) -> UnknownModelError:
        hint = did_you_mean(name, self.names())
        text = f"unknown {what} '{name}'"
        text += (
            f" ({hint})" if hint else " (see `kt model list`, or define it in llm_profiles.yaml)"
        )
        return UnknownModelError(text + extra, model=name)


# --------------------------------------------------------------------------- resolution


def _profile_from_preset(
    cat: _Catalog, preset: LLMPreset, named: dict[str, str], bare: list[str], key: str
) -> LLMProfile:
    chosen = choose_variations(preset, named, bare, key=key)
    patched = apply_variations(preset, chosen)
    backend = cat.backend(patched.provider, needed_by=f"preset '{patched.name}'")
    if preset.builtin:
        source = "builtin"
    elif _EXTRA_PRESETS.get(preset.name) is preset:
        source = "package"
    else:
        source = "user"
    return LLMProfile(
        name=patched.name,
        model=patched.model,
        provider=backend.name,
        backend_type=backend.backend_type,
        base_url=backend.base_url,
        api_key_env=backend.api_key_env,
        max_context=patched.max_context,
        max_output=patched.max_output,
        temperature=patched.temperature,
        reasoning_effort=patched.reasoning_effort,
        service_tier=patched.service_tier,
        extra_body=dict(patched.extra_body),
        retry_policy=RetryPolicy.from_dict(patched.retry_policy),
        timeout=patched.timeout or DEFAULT_TIMEOUT,
        selections=chosen,
        source=source,
    )


def _inline_profile(cat: _Catalog, config: AgentConfig) -> LLMProfile:
    """The legacy inline path: ``model`` with ``api_key_env`` / ``base_url`` / a known provider."""
    model = str(config.model)
    auth = (config.auth_mode or "").strip()
    if auth in {"codex-oauth", "codex"}:
        raise BadValueError(
            "auth_mode 'codex-oauth' is not available in this build",
            key="controller.auth_mode",
            hint="use an API-key backend (openai, openrouter, ...)",
        )
    backend = cat.backends.get(config.provider or "") if config.provider else None
    if auth == "anthropic":
        backend_type = "anthropic"
    elif backend is not None:
        backend_type = backend.backend_type
    else:
        backend_type = "openai"
    base_url = config.base_url or (backend.base_url if backend else None)
    if base_url is None:
        base_url = BACKENDS["anthropic" if backend_type == "anthropic" else "openai"].base_url
    key_env = config.api_key_env or (backend.api_key_env if backend else "")
    return LLMProfile(
        name=model,
        model=model,
        provider=config.provider or (backend.name if backend else "custom"),
        backend_type=backend_type,
        base_url=base_url,
        api_key_env=key_env,
        max_output=0 if config.max_tokens is None else int(config.max_tokens),
        source="inline",
    )


def _apply_overrides(profile: LLMProfile, config: AgentConfig) -> LLMProfile:
    if config.temperature is not None:
        profile.temperature = float(config.temperature)
    if config.max_tokens is not None:
        profile.max_output = int(config.max_tokens)
    if config.reasoning_effort:
        profile.reasoning_effort = str(config.reasoning_effort)
    if config.service_tier:
        profile.service_tier = str(config.service_tier)
    if config.extra_body:
        profile.extra_body = deep_merge(profile.extra_body, dict(config.extra_body))
    if config.retry_policy:
        base = {
            "max_retries": profile.retry_policy.max_retries,
            "base_delay": profile.retry_policy.base_delay,
            "max_delay": profile.retry_policy.max_delay,
            "jitter": profile.retry_policy.jitter,
        }
        profile.retry_policy = RetryPolicy.from_dict({**base, **dict(config.retry_policy)})
    return profile


def resolve_profile(name: str | None = None, config: AgentConfig | None = None) -> LLMProfile:
    """The profile for ``name`` (a CLI / ``llm=`` override) and ``config``'s controller block."""
    cat = _Catalog(load_user_profiles(profiles_path()))
    llm = config.llm if config is not None else None
    model = config.model if config is not None else None
    provider = (config.provider or None) if config is not None else None
    selections: dict[str, str] = {}
    if config is not None:
        selections = dict(config.variation_selections or {})
    bare_variation = [config.variation] if config is not None and config.variation else []

    if name is not None and name not in (llm, model):
        # The CLI / caller override: the config's variation picks belong to another model.
        profile = _resolve_with_bare(cat, name, None, {}, [], "--llm")
    elif llm:
        profile = _resolve_with_bare(
            cat, llm, provider, selections, bare_variation, "controller.llm"
        )
    elif model:
        preset = cat.by_model(model, provider)
        if preset is not None:
            profile = _profile_from_preset(
                cat, preset, selections, bare_variation, "controller.model"
            )
        elif config is not None and (
            config.api_key_env or config.base_url or config.auth_mode or provider in cat.backends
        ):
            profile = _inline_profile(cat, config)
        else:
            raise cat.unknown(
                model,
                "model",
                "; to use a model without a preset give controller.provider (a backend name) "
                "or base_url / api_key_env",
            )
    elif cat.user.default_model:
        profile = _resolve_with_bare(cat, cat.user.default_model, None, {}, [], "default_model")
    else:
        raise UnknownModelError(
            "no model configured: pass --llm / llm= (a preset or profile name), set "
            "controller.llm in the creature config, or run `kt model default <name>`"
        )
    if config is not None:
        profile = _apply_overrides(profile, config)
    return profile


def _resolve_with_bare(
    cat: _Catalog,
    spec: str,
    provider: str | None,
    selections: dict[str, str],
    bare: list[str],
    key: str,
) -> LLMProfile:
    name, named, more_bare = parse_selector(spec)
    preset = cat.by_name(name, provider) or (cat.by_name(name) if provider else None)
    if preset is None:
        raise cat.unknown(name)
    return _profile_from_preset(cat, preset, {**selections, **named}, [*bare, *more_bare], key)


# --------------------------------------------------------------------------- providers


def provider_for_profile(profile: LLMProfile) -> BaseLLMProvider:
    """Build the provider for a resolved profile (fetches the key; AuthError when missing)."""
    backend_name = profile.provider
    api_key = get_api_key(backend_name, profile.api_key_env or None)
    if profile.api_key_env and not api_key:
        raise AuthError(
            f"no API key for provider '{backend_name}' (model '{profile.name}'): run "
            f"`kt login {backend_name}` or set the {profile.api_key_env} environment variable",
            provider=backend_name,
            model=profile.model,
        )
    config = profile.to_llm_config(api_key)
    provider: Any
    if profile.backend_type == "anthropic":
        from kohakuterrarium.llm.anthropic import AnthropicProvider

        provider = AnthropicProvider(
            config, retry_policy=profile.retry_policy, provider_name=backend_name
        )
    elif profile.backend_type == "openai":
        from kohakuterrarium.llm.openai import OpenAIProvider

        provider = OpenAIProvider(
            config, retry_policy=profile.retry_policy, provider_name=backend_name
        )
    else:
        raise BadValueError(
            f"backend '{backend_name}' has backend_type '{profile.backend_type}', which this "
            "build cannot talk to",
            hint="use openai or anthropic",
        )
    provider.profile = profile
    return provider


def create_provider_for(name: str | None, config: AgentConfig | None = None) -> BaseLLMProvider:
    """Resolve ``name`` / ``config`` to a profile and build its provider (checked now, not mid-run)."""
    return provider_for_profile(resolve_profile(name, config))


def list_presets() -> list[LLMPreset]:
    """Every visible preset (user first, then packages, then built-ins)."""
    return list(_Catalog(load_user_profiles(profiles_path())).presets)


__all__ = [
    "LLMProfile",
    "create_provider_for",
    "list_presets",
    "profiles_path",
    "provider_for_profile",
    "register_preset",
    "resolve_profile",
]
