"""Inheritance merge of creature config documents (``base_config``).

The rules, applied to validated, normalised documents (see :mod:`core.config_schema`):

- scalars: the child wins; a ``None`` in the child is ignored;
- dicts (``controller``, ``output``, ``memory``, ...): shallow merge, child keys win;
- ``tools``, ``subagents``, ``plugins``, ``mcp_servers``, ``triggers``: keyed by ``name``; a child
  entry replaces the base entry of the same name in place, entries without a name are appended
  (bare strings were already expanded to ``{name: ...}``, so ``- bash`` replaces a base ``bash``);
- other lists: the child replaces the base;
- directives of the child: ``no_inherit: [keys]`` drops those inherited values (a controller key
  such as ``tool_format`` is dropped from the inherited ``controller``), ``prompt_mode: replace``
  drops the inherited ``system_prompt`` and ``system_prompt_file``. Directives and
  ``base_config`` never carry over into the merged result.

>>> merge_documents({"tools": [{"name": "bash"}]}, {"tools": [{"name": "read"}]})["tools"]
[{'name': 'bash'}, {'name': 'read'}]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NAMED_LIST_KEYS: tuple[str, ...] = ("tools", "subagents", "plugins", "mcp_servers", "triggers")
"""Lists merged by entry ``name``."""

DIRECTIVE_KEYS: tuple[str, ...] = ("base_config", "no_inherit", "prompt_mode")
"""Keys that steer one inheritance step and are not inherited themselves."""

PROMPT_KEYS: tuple[str, ...] = ("system_prompt", "system_prompt_file")
"""The prompt fields that ``prompt_mode: replace`` drops."""


def entry_name(entry: Any) -> str | None:
    """The ``name`` of a list entry (a dict's ``name``, or a bare string), or None."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        name = entry.get("name")
        return name if isinstance(name, str) and name else None
    return None


def merge_named_lists(base: list[Any], child: list[Any]) -> list[Any]:
    """Union of two entry lists by name: same name replaces in place, the rest is appended."""
    out = list(base)
    index = {name: i for i, e in enumerate(out) if (name := entry_name(e)) is not None}
    for entry in child:
        name = entry_name(entry)
        if name is not None and name in index:
            out[index[name]] = entry
            continue
        if name is not None:
            index[name] = len(out)
        out.append(entry)
    return out


def drop_inherited(
    base: dict[str, Any],
    keys: Iterable[str],
    controller_keys: Iterable[str] = (),
) -> dict[str, Any]:
    """A copy of ``base`` without ``keys`` (controller keys are also removed from ``controller``)."""
    keys = set(keys)
    out = {k: v for k, v in base.items() if k not in keys}
    lifted = keys & set(controller_keys)
    if lifted and isinstance(out.get("controller"), dict):
        out["controller"] = {k: v for k, v in out["controller"].items() if k not in lifted}
    return out


def merge_documents(
    base: dict[str, Any],
    child: dict[str, Any],
    controller_keys: Iterable[str] = (),
) -> dict[str, Any]:
    """Merge ``child`` over ``base``, applying the child's directives first."""
    dropped = list(child.get("no_inherit") or [])
    if child.get("prompt_mode") == "replace":
        dropped.extend(PROMPT_KEYS)
    if dropped:
        base = drop_inherited(base, dropped, controller_keys)
    out = {k: v for k, v in base.items() if k not in DIRECTIVE_KEYS}
    for key, value in child.items():
        if value is None or key in DIRECTIVE_KEYS:
            continue
        old = out.get(key)
        if key in NAMED_LIST_KEYS and isinstance(old, list) and isinstance(value, list):
            out[key] = merge_named_lists(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = {**old, **{k: v for k, v in value.items() if v is not None}}
        else:
            out[key] = value
    return out


__all__ = [
    "DIRECTIVE_KEYS",
    "NAMED_LIST_KEYS",
    "PROMPT_KEYS",
    "drop_inherited",
    "entry_name",
    "merge_documents",
    "merge_named_lists",
]
