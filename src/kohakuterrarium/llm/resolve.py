"""Turn what a user passes as ``llm=`` (or what a config names) into a provider.

Accepted: a provider instance (anything with ``stream()`` or the legacy ``chat()``), a
``scripted`` spec (tests and offline demos), or a profile / preset name resolved by the profile
layer. Anything unknown raises :class:`~kohakuterrarium.errors.UnknownModelError` at build time,
never mid-run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import UnknownModelError
from kohakuterrarium.llm.base import BaseLLMProvider, as_provider

if TYPE_CHECKING:
    from kohakuterrarium.core.config_types import AgentConfig

# The profile layer registers itself here (module, function) so this module stays import-light.
_PROFILE_RESOLVER = ("kohakuterrarium.llm.profiles", "create_provider_for")


def resolve_llm(spec: Any, config: AgentConfig | None = None) -> BaseLLMProvider:
    """Return a provider for ``spec`` (falling back to what ``config`` names)."""
    if spec is not None and not isinstance(spec, str):
        return as_provider(spec)
    name = spec
    if name is None and config is not None:
        name = config.llm or config.model
    if isinstance(name, str) and (
        name == "scripted" or name.startswith(("scripted:", "scripted-error:", "scripted-file:"))
    ):
        from kohakuterrarium.llm.scripted import scripted_from_spec

        return scripted_from_spec(name)
    try:
        module = importlib.import_module(_PROFILE_RESOLVER[0])
    except ModuleNotFoundError:
        module = None
    if module is not None:
        return getattr(module, _PROFILE_RESOLVER[1])(name, config)
    if name is None:
        raise UnknownModelError(
            "no model configured: pass llm= (a profile name or a provider instance) "
            "or set controller.llm in the creature config"
        )
    raise UnknownModelError(
        f"unknown model or profile '{name}' (no profiles are configured; pass a provider "
        "instance as llm=, or 'scripted:<text>' for an offline scripted model)",
        model=name,
    )


__all__ = ["resolve_llm"]
