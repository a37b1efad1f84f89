"""The user's ``llm_profiles.yaml``: their own backends, presets and default model.

Schema (``version: 3``)::

    version: 3
    default_model: my-gpt@reasoning=high
    backends:
      my-proxy: {backend_type: openai, base_url: "https://proxy.example/v1", api_key_env: PROXY_KEY}
    presets:
      my-proxy:                        # the backend the presets below run on
        my-gpt: {model: gpt-5, max_context: 400000, max_output: 128000,
                 variation_groups: {reasoning: {high: {reasoning_effort: high}}}}

Older files with a flat ``profiles: {name: {provider, model, base_url, api_key_env, ...}}`` are
migrated when read. Unknown keys and wrongly typed values are errors that name the file and key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kohakuterrarium.errors import BadValueError, ConfigError, UnknownKeyError, did_you_mean
from kohakuterrarium.llm.presets import BACKENDS, LLMBackend, LLMPreset, check_patch_path
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

SCHEMA_VERSION = 3
_TOP_KEYS = ("version", "default_model", "backends", "presets", "profiles")
_BACKEND_KEYS = (
    "backend_type",
    "base_url",
    "api_key_env",
    "provider_name",
    "provider_native_tools",
)
_PRESET_TYPES: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "max_context": int,
    "max_output": int,
    "temperature": (int, float),
    "reasoning_effort": str,
    "service_tier": str,
    "extra_body": dict,
    "retry_policy": dict,
    "timeout": (int, float),
    "variation_groups": dict,
}
# Loadable backend types; codex is accepted in the file and refused only when selected.
_LOADABLE_TYPES = {"openai", "anthropic", "codex", "codex-oauth"}


@dataclass
class UserProfiles:
    """What ``llm_profiles.yaml`` adds to the built-ins."""

    default_model: str | None = None
    """The model used when neither --llm, controller.llm nor controller.model say otherwise."""
    backends: dict[str, LLMBackend] = field(default_factory=dict)
    """User backends by name."""
    presets: list[LLMPreset] = field(default_factory=list)
    """User presets (they win over built-ins of the same name)."""
    path: Path | None = None
    """The file they came from."""


def load_user_profiles(path: Path) -> UserProfiles:
    """Read and validate ``path`` (an absent file means no user profiles)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserProfiles(path=path)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise BadValueError("the top level must be a mapping", file=str(path))
    return parse_user_profiles(data, path)


def parse_user_profiles(data: dict[str, Any], path: Path | None = None) -> UserProfiles:
    """Validate an already-loaded ``llm_profiles.yaml`` mapping."""
    where = str(path) if path else "llm_profiles.yaml"
    _check_keys(data, _TOP_KEYS, where, "")
    version = data.get("version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise BadValueError(
            f"schema version {version!r} is not understood by this build (newest: {SCHEMA_VERSION})",
            file=where,
            key="version",
        )
    out = UserProfiles(path=path)
    default = data.get("default_model")
    if default is not None and not isinstance(default, str):
        raise BadValueError("must be a preset name", file=where, key="default_model")
    out.default_model = default or None
    backends = _mapping(data.get("backends"), where, "backends")
    for name, spec in backends.items():
        out.backends[name] = _backend(name, spec, where)
    presets = _mapping(data.get("presets"), where, "presets")
    for backend, entries in presets.items():
        for name, spec in _mapping(entries, where, f"presets.{backend}").items():
            out.presets.append(_preset(name, backend, spec, where, f"presets.{backend}.{name}"))
    if "profiles" in data:
        _migrate_legacy(_mapping(data["profiles"], where, "profiles"), out, where)
    return out


def _mapping(value: Any, where: str, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadValueError(f"must be a mapping, got {type(value).__name__}", file=where, key=key)
    return {str(k): v for k, v in value.items()}


def _check_keys(spec: dict[str, Any], allowed: tuple[str, ...], where: str, key: str) -> None:
    for k in spec:
        if k not in allowed:
            path = f"{key}.{k}" if key else str(k)
            raise UnknownKeyError(
                "unknown key",
                file=where,
                key=path,
                hint=did_you_mean(str(k), allowed) or "known keys: " + ", ".join(allowed),
            )


def _backend(name: str, spec: Any, where: str) -> LLMBackend:
    key = f"backends.{name}"
    spec = _mapping(spec, where, key)
    _check_keys(spec, _BACKEND_KEYS, where, key)
    btype = str(spec.get("backend_type", "openai"))
    if btype not in _LOADABLE_TYPES:
        raise BadValueError(
            f"unknown backend_type '{btype}'",
            file=where,
            key=f"{key}.backend_type",
            hint="openai or anthropic",
        )
    if btype == "codex-oauth":
        btype = "codex"
    base_url = spec.get("base_url")
    if not isinstance(base_url, str) or not base_url:
        raise BadValueError("a backend needs a base_url", file=where, key=f"{key}.base_url")
    backend = LLMBackend(
        name=name,
        backend_type=btype,
        base_url=base_url,
        api_key_env=str(spec.get("api_key_env") or ""),
        provider_name=str(spec.get("provider_name") or ""),
        provider_native_tools=frozenset(spec.get("provider_native_tools") or ()),
    )
    builtin = BACKENDS.get(name)
    if builtin is not None and (
        builtin.base_url.rstrip("/") != base_url.rstrip("/") or builtin.backend_type != btype
    ):
        raise BadValueError(
            f"'{name}' is a built-in backend; its URL and type cannot be changed",
            file=where,
            key=key,
            hint="define your backend under another name",
        )
    return builtin or backend


def _preset(name: str, backend: str, spec: Any, where: str, key: str) -> LLMPreset:
    spec = _mapping(spec, where, key)
    if "provider" in spec:
        if spec["provider"] not in (None, backend):
            raise BadValueError(
                f"provider '{spec['provider']}' differs from the backend '{backend}' it is listed under",
                file=where,
                key=f"{key}.provider",
            )
        del spec["provider"]
    _check_keys(spec, tuple(_PRESET_TYPES), where, key)
    for k, v in spec.items():
        expected = _PRESET_TYPES[k]
        if v is not None and (not isinstance(v, expected) or isinstance(v, bool)):
            raise BadValueError(f"wrong type {type(v).__name__}", file=where, key=f"{key}.{k}")
    if not spec.get("model"):
        raise BadValueError("a preset needs a model id", file=where, key=f"{key}.model")
    groups = spec.get("variation_groups") or {}
    for group, options in _mapping(groups, where, f"{key}.variation_groups").items():
        for option, patch in _mapping(options, where, f"{key}.variation_groups.{group}").items():
            for path in _mapping(patch, where, f"{key}.variation_groups.{group}.{option}"):
                check_patch_path(path, where=where)
    kwargs = {k: v for k, v in spec.items() if v is not None}
    for k in ("temperature", "timeout"):
        if k in kwargs:
            kwargs[k] = float(kwargs[k])
    return LLMPreset(name=name, provider=backend, **kwargs)


def _migrate_legacy(profiles: dict[str, Any], out: UserProfiles, where: str) -> None:
    """Old flat ``profiles: {name: {provider, model, base_url, api_key_env, ...}}`` entries."""
    for name, raw in profiles.items():
        spec = dict(_mapping(raw, where, f"profiles.{name}"))
        provider = str(spec.pop("provider", "") or "")
        base_url = spec.pop("base_url", None)
        api_key_env = spec.pop("api_key_env", None)
        btype = str(
            spec.pop("backend_type", "") or ("anthropic" if provider == "anthropic" else "openai")
        )
        known = out.backends.get(provider) or BACKENDS.get(provider)
        if known is not None and (
            not base_url or known.base_url.rstrip("/") == str(base_url).rstrip("/")
        ):
            backend = known.name
        else:
            if not base_url:
                raise BadValueError(
                    "a legacy profile needs a known provider or a base_url",
                    file=where,
                    key=f"profiles.{name}",
                )
            backend = provider or name
            out.backends[backend] = _backend(
                backend,
                {"backend_type": btype, "base_url": base_url, "api_key_env": api_key_env or ""},
                where,
            )
        spec.pop("auth_mode", None)
        out.presets.append(_preset(name, backend, spec, where, f"profiles.{name}"))
    if profiles:
        logger.info("migrated legacy llm profiles", file=where, count=len(profiles))


def set_default_model(path: Path, name: str) -> None:
    """Write ``default_model: name`` into ``path`` (other content kept)."""
    data: dict[str, Any] = {}
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data.setdefault("version", SCHEMA_VERSION)
    data["default_model"] = name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)


__all__ = [
    "SCHEMA_VERSION",
    "UserProfiles",
    "load_user_profiles",
    "parse_user_profiles",
    "set_default_model",
]
