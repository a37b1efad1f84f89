"""Shared bases of the config schema and the models of list entries and I/O blocks.

``ClosedModel`` mappings refuse unknown keys with a did-you-mean hint; ``OpenModel`` mappings pass
unreserved keys on as constructor options but still refuse near misses of reserved keys
(``timout``, ``controler_direct``). The converters at the bottom turn validated entry dicts into
the dataclasses of :mod:`core.config_types`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from difflib import get_close_matches
from typing import Any, ClassVar, Literal, NoReturn

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from kohakuterrarium.core.config_types import (
    InputConfig,
    OutputConfig,
    OutputWiringEntry,
    SubAgentEntry,
    ToolEntry,
)
from kohakuterrarium.errors import did_you_mean

TRIGGER_SETUP_TOOLS = ("add_timer", "watch_channel", "add_schedule")
"""Tool names a ``type: trigger`` tool entry may take (setup-able universal triggers)."""

_NEAR_MISS_CUTOFF = 0.75
_CLASS_ALIAS = AliasChoices("class", "class_name")


def unknown_key(key: Any, known: Iterable[str], extra_hint: str | None = None) -> NoReturn:
    known = sorted(known)
    hint = extra_hint or did_you_mean(str(key), known) or f"known keys: {', '.join(known)}"
    raise PydanticCustomError("unknown_key", "unknown key '{key}'", {"key": str(key), "hint": hint})


def bad_value(message: str, hint: str | None = None) -> NoReturn:
    raise PydanticCustomError("bad_value", message, {"hint": hint or ""})


def _one_class_key(data: Any) -> Any:
    if isinstance(data, dict) and "class" in data and "class_name" in data:
        bad_value("give 'class' or its alias 'class_name', not both")
    return data


def _stringify_env(value: Any) -> Any:
    # YAML reads `DEBUG: 1` as an int; environment values are strings.
    if isinstance(value, dict):
        return {
            k: (str(v).lower() if isinstance(v, bool) else str(v))
            if isinstance(v, (int, float))
            else v
            for k, v in value.items()
        }
    return value


def _keys_of(cls: type[BaseModel]) -> set[str]:
    """Every key spelling a model accepts: field names or their aliases."""
    keys = set()
    for name, info in cls.model_fields.items():
        keys.add(info.serialization_alias or info.alias or name)
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            keys.update(str(a) for a in alias.choices)
        elif isinstance(alias, str):
            keys.add(alias)
    return keys


class ClosedModel(BaseModel):
    """A mapping whose key set is closed: an unknown key is refused with a did-you-mean hint."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    _extra_hints: ClassVar[dict[str, str]] = {}

    @classmethod
    def known_keys(cls) -> set[str]:
        return _keys_of(cls)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = cls.known_keys()
            for key in data:
                if key not in known:
                    unknown_key(key, known, cls._extra_hints.get(str(key)))
        return data


class OpenModel(BaseModel):
    """A mapping whose unreserved keys are constructor options (near misses are refused)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @classmethod
    def reserved_keys(cls) -> set[str]:
        return _keys_of(cls)

    @classmethod
    def _check_near_misses(cls, data: dict[str, Any], reserved: Collection[str]) -> None:
        for key in data:
            if key in reserved or not isinstance(key, str):
                continue
            if get_close_matches(key, list(reserved), n=1, cutoff=_NEAR_MISS_CUTOFF):
                unknown_key(key, reserved)


# --------------------------------------------------------------------------- modules


class ToolModel(OpenModel):
    """One ``tools:`` entry (a bare string is a builtin tool name)."""

    name: str
    type: Literal["builtin", "trigger", "custom", "package"] = "builtin"
    module: str | None = None
    class_: str | None = Field(
        default=None, validation_alias=_CLASS_ALIAS, serialization_alias="class"
    )
    doc: str | None = None
    timeout: float | None = None
    max_output: int | None = Field(default=None, ge=0)
    working_dir: str | None = None
    env: dict[str, str] | None = None
    notify_controller_on_background_complete: bool | None = None

    _STRUCTURAL: ClassVar[tuple[str, ...]] = (
        "name",
        "type",
        "module",
        "class",
        "class_name",
        "doc",
    )

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        data = _one_class_key(data)
        if isinstance(data, dict):
            kind = data.get("type", "builtin")
            # Package / custom constructors take their own kwargs; only structural keys are fixed.
            reserved = cls.reserved_keys() if kind in ("builtin", "trigger") else cls._STRUCTURAL
            cls._check_near_misses(data, reserved)
            if "env" in data:
                data = {**data, "env": _stringify_env(data["env"])}
        return data

    @model_validator(mode="after")
    def _check_module(self) -> ToolModel:
        if self.type in ("custom", "package") and not (self.module and self.class_):
            bad_value(
                f"tool '{self.name}' of type {self.type} needs both 'module' and 'class'",
                "module: a dotted path (package) or a .py file (custom); class: the tool class",
            )
        if self.type in ("builtin", "trigger") and (self.module or self.class_):
            bad_value(
                f"tool '{self.name}' is type {self.type}, which takes no 'module' / 'class'",
                "set type: package (dotted module) or type: custom (a .py file)",
            )
        return self


class SubAgentModel(OpenModel):
    """One ``subagents:`` entry (a bare string is a builtin sub-agent name)."""

    name: str
    type: Literal["builtin", "custom", "package"] = "builtin"
    module: str | None = None
    config: str | None = None
    description: str | None = None
    tools: list[str] | None = None
    system_prompt: str | None = None
    prompt_file: str | None = None
    extra_prompt: str | None = None
    extra_prompt_file: str | None = None
    can_modify: bool | None = None
    stateless: bool | None = None
    interactive: bool | None = None
    context_mode: Literal["interrupt_restart", "queue_append", "flush_replace"] | None = None
    output_to: Literal["controller", "external"] | None = None
    output_module: str | None = None
    return_as_context: bool | None = None
    max_turns: int | None = Field(default=None, ge=0)
    timeout: float | None = Field(default=None, ge=0)
    default_plugins: list[str] | None = None
    plugins: list[Any] | None = None
    compact: dict[str, Any] | None = None
    model: str | None = None
    temperature: float | None = Field(default=None, ge=0)
    memory_path: str | None = None
    modifying_tools: list[str] | None = None
    tool_format: Any = None
    notify_controller_on_background_complete: bool | None = None
    budget_inherit: bool | None = None
    budget_allocation: Any = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict):
            cls._check_near_misses(data, cls.reserved_keys())
        return data

    @model_validator(mode="after")
    def _check_module(self) -> SubAgentModel:
        if self.type == "package" and not self.module:
            bad_value(
                f"sub-agent '{self.name}' of type package needs 'module'",
                "module: dotted path; config: the name of its SubAgentConfig object",
            )
        return self


class PluginModel(ClosedModel):
    """One ``plugins:`` entry (a bare string is a plugin name looked up in the catalogs)."""

    name: str | None = None
    type: Literal["package", "custom", "builtin"] = "package"
    module: str | None = None
    class_: str | None = Field(
        default=None, validation_alias=_CLASS_ALIAS, serialization_alias="class"
    )
    options: dict[str, Any] | None = None
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        return _one_class_key(data)

    @model_validator(mode="after")
    def _named(self) -> PluginModel:
        if not self.name and not self.class_:
            bad_value("a plugin entry needs a 'name' (or module + class)")
        return self


_BUILTIN_TRIGGER_OPTIONS: dict[str, tuple[str, ...]] = {
    "timer": ("interval", "immediate"),
    "context": ("debounce_ms",),
    "channel": ("channel", "filter_sender"),
}


class TriggerModel(OpenModel):
    """One ``triggers:`` entry."""

    type: str
    name: str | None = None
    module: str | None = None
    class_: str | None = Field(
        default=None, validation_alias=_CLASS_ALIAS, serialization_alias="class"
    )
    prompt: str | None = None
    interval: float | None = Field(default=None, gt=0)
    immediate: bool | None = None
    debounce_ms: int | None = Field(default=None, ge=0)
    channel: str | None = None
    filter_sender: str | None = None

    _BASE: ClassVar[tuple[str, ...]] = ("type", "name", "module", "class", "class_name", "prompt")

    @model_validator(mode="before")
    @classmethod
    def _check_keys(cls, data: Any) -> Any:
        data = _one_class_key(data)
        if not isinstance(data, dict):
            return data
        own = _BUILTIN_TRIGGER_OPTIONS.get(str(data.get("type")))
        if own is not None:
            allowed = set(cls._BASE) | set(own)
            for key in data:
                if key not in allowed:
                    unknown_key(key, allowed)
        else:
            cls._check_near_misses(data, cls._BASE)
        return data

    @model_validator(mode="after")
    def _check_module(self) -> TriggerModel:
        if self.type in ("custom", "package") and not (self.module and self.class_):
            bad_value(f"trigger of type {self.type} needs both 'module' and 'class'")
        return self


_MCP_TRANSPORTS = ("stdio", "http", "sse", "streamable_http", "streamable-http", "http_streamable")


class McpServerModel(ClosedModel):
    """One ``mcp_servers:`` entry."""

    name: str
    transport: Literal[_MCP_TRANSPORTS] = "stdio"  # type: ignore[valid-type]
    command: str | None = None
    args: list[str] | None = None
    env: dict[str, str] | None = None
    url: str | None = None
    headers: dict[str, str] | None = None
    connect_timeout: float | None = Field(default=None, gt=0)
    call_timeout: float | None = Field(default=None, gt=0)
    cwd: str | None = None

    @field_validator("env", mode="before")
    @classmethod
    def _env(cls, value: Any) -> Any:
        return _stringify_env(value)

    @model_validator(mode="after")
    def _check_target(self) -> McpServerModel:
        if self.transport == "stdio" and not self.command:
            bad_value(f"MCP server '{self.name}' uses stdio and needs a 'command'")
        if self.transport != "stdio" and not self.url:
            bad_value(f"MCP server '{self.name}' uses {self.transport} and needs a 'url'")
        return self


class OutputWiringModel(ClosedModel):
    """One ``output_wiring:`` entry (a bare string is a target creature name)."""

    to: str
    with_content: bool | None = None
    prompt: str | None = None
    prompt_format: Literal["simple", "jinja"] | None = None
    allow_self_trigger: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        return {"to": data} if isinstance(data, str) else data


class InputModel(OpenModel):
    """The ``input:`` block; unreserved keys become constructor options."""

    type: str | None = None
    module: str | None = None
    class_: str | None = Field(
        default=None, validation_alias=_CLASS_ALIAS, serialization_alias="class"
    )
    prompt: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _check_keys(cls, data: Any) -> Any:
        data = _one_class_key(data)
        if isinstance(data, dict):
            cls._check_near_misses(data, cls.reserved_keys())
        return data


class OutputModel(OpenModel):
    """The ``output:`` block (and each of its ``named_outputs``)."""

    type: str | None = None
    module: str | None = None
    class_: str | None = Field(
        default=None, validation_alias=_CLASS_ALIAS, serialization_alias="class"
    )
    controller_direct: bool | None = None
    named_outputs: dict[str, OutputModel] | None = None

    @model_validator(mode="before")
    @classmethod
    def _check_keys(cls, data: Any) -> Any:
        data = _one_class_key(data)
        if isinstance(data, dict):
            cls._check_near_misses(data, cls.reserved_keys())
        return data


# --------------------------------------------------------------------------- to dataclasses


_TOOL_RESERVED = ("name", "type", "module", "class", "doc")
_SUBAGENT_RESERVED = ("name", "type", "module", "config", "description")
_IO_RESERVED = ("type", "module", "class", "prompt", "controller_direct", "named_outputs")


def tool_entry(d: dict[str, Any]) -> ToolEntry:
    """A validated ``tools:`` entry as a :class:`ToolEntry` (unreserved keys in ``options``)."""
    return ToolEntry(
        name=d["name"],
        type=d.get("type") or "builtin",
        module=d.get("module"),
        class_name=d.get("class"),
        doc=d.get("doc"),
        options={k: v for k, v in d.items() if k not in _TOOL_RESERVED},
    )


def subagent_entry(d: dict[str, Any]) -> SubAgentEntry:
    """A validated ``subagents:`` entry as a :class:`SubAgentEntry`."""
    return SubAgentEntry(
        name=d["name"],
        type=d.get("type") or "builtin",
        module=d.get("module"),
        config_name=d.get("config"),
        description=d.get("description"),
        options={k: v for k, v in d.items() if k not in _SUBAGENT_RESERVED},
    )


def plugin_entry(d: dict[str, Any]) -> dict[str, Any]:
    """A validated ``plugins:`` entry with defaults filled: name, type, module, class, options."""
    out = {
        "name": d.get("name") or d.get("class"),
        "type": d.get("type") or "package",
        "module": d.get("module"),
        "class": d.get("class"),
        "options": dict(d.get("options") or {}),
    }
    if d.get("description") is not None:
        out["description"] = d["description"]
    return out


def _io_options(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in _IO_RESERVED}


def input_config(d: dict[str, Any]) -> InputConfig:
    """The validated ``input:`` block as an :class:`InputConfig`."""
    out = InputConfig(
        module=d.get("module"),
        class_name=d.get("class"),
        prompt=d.get("prompt"),
        options=_io_options(d),
    )
    if d.get("type"):
        out.type = d["type"]
    return out


def output_config(d: dict[str, Any]) -> OutputConfig:
    """The validated ``output:`` block as an :class:`OutputConfig`."""
    out = OutputConfig(
        module=d.get("module"),
        class_name=d.get("class"),
        named_outputs={k: dict(v) for k, v in (d.get("named_outputs") or {}).items()},
        options=_io_options(d),
    )
    if d.get("type"):
        out.type = d["type"]
    if d.get("controller_direct") is not None:
        out.controller_direct = d["controller_direct"]
    return out


def wiring_entry(d: dict[str, Any]) -> OutputWiringEntry:
    """A validated ``output_wiring:`` entry as an :class:`OutputWiringEntry`."""
    entry = OutputWiringEntry(to=d["to"])
    for key in ("with_content", "prompt", "prompt_format", "allow_self_trigger"):
        if d.get(key) is not None:
            setattr(entry, key, d[key])
    return entry


__all__ = [
    "TRIGGER_SETUP_TOOLS",
    "ClosedModel",
    "InputModel",
    "McpServerModel",
    "OpenModel",
    "OutputModel",
    "OutputWiringModel",
    "PluginModel",
    "SubAgentModel",
    "ToolModel",
    "TriggerModel",
    "bad_value",
    "input_config",
    "output_config",
    "plugin_entry",
    "subagent_entry",
    "tool_entry",
    "unknown_key",
    "wiring_entry",
]
