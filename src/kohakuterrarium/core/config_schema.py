"""The creature config schema as pydantic models, and one-document validation.

:func:`validate_document` checks one parsed, interpolated config document (one file of an
inheritance chain) and returns it normalised: bare-string entries expanded, controller keys that
were written at the top level moved into ``controller:``, values coerced to their types (an
interpolated ``"50"`` becomes ``50``). Problems raise typed errors that name the file, the dotted
key path and a hint:

- a key the schema does not know -> :class:`UnknownKeyError` ("did you mean ...?");
- a value of the wrong type or range -> :class:`BadValueError` (with the expected type).

Closed key sets: the top level, ``controller``, ``compact``, ``termination``, ``memory``,
``budget``, ``startup_trigger``, ``output_wiring``, ``plugins``, ``mcp_servers`` entries and the
builtin trigger types (timer, context, channel). Open ones pass extra keys on as constructor
options (tools, sub-agents, other triggers, ``input``, ``output``); there a key that is a near miss
of a reserved key (``timout``, ``controler_direct``) is still refused as a misspelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Literal, NoReturn

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from kohakuterrarium.core.config_entries import (
    TRIGGER_SETUP_TOOLS,
    ClosedModel,
    InputModel,
    McpServerModel,
    OutputModel,
    OutputWiringModel,
    PluginModel,
    SubAgentModel,
    ToolModel,
    TriggerModel,
    bad_value,
)
from kohakuterrarium.errors import (
    BadValueError,
    ConfigError,
    UnknownKeyError,
    did_you_mean,
)
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

TERRARIUM_MEMBER_KEYS = ("channels", "output_log", "output_log_size", "privileged")
"""Keys a creature inlined in a terrarium recipe may carry; honoured by the terrarium only."""

# --------------------------------------------------------------------------- controller


class RetryPolicyModel(ClosedModel):
    """``retry_policy:`` for LLM calls."""

    max_retries: int | None = Field(default=None, ge=0)
    base_delay: float | None = Field(default=None, ge=0)
    max_delay: float | None = Field(default=None, ge=0)
    jitter: float | None = Field(default=None, ge=0)
    retry_classes: list[str] | None = None


class _ControllerFields(ClosedModel):
    """Keys of the ``controller:`` block; each may also be written at the top level."""

    llm: str | None = None
    model: str | None = None
    provider: str | None = None
    variation_selections: dict[str, str] | None = None
    variation: str | None = None
    auth_mode: str | None = None
    api_key_env: str | None = None
    base_url: str | None = None
    temperature: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=1)
    reasoning_effort: str | None = None
    service_tier: str | None = None
    extra_body: dict[str, Any] | None = None
    retry_policy: RetryPolicyModel | None = None
    skill_mode: Literal["dynamic", "static"] | None = None
    include_tools_in_prompt: bool | None = None
    include_hints_in_prompt: bool | None = None
    max_messages: int | None = Field(default=None, ge=0)
    ephemeral: bool | None = None
    tool_format: Any = None

    @field_validator("tool_format", mode="before")
    @classmethod
    def _check_tool_format(cls, value: Any) -> Any:
        if value is None:
            return None
        from kohakuterrarium.parsing.format import resolve_format

        try:
            resolve_format(value)
        except BadValueError as exc:
            bad_value(exc.message.replace("{", "{{").replace("}", "}}"), exc.hint)
        except (TypeError, ValueError) as exc:
            bad_value(str(exc).replace("{", "{{").replace("}", "}}"))
        return value.strip().lower() if isinstance(value, str) else value


class ControllerModel(_ControllerFields):
    """The ``controller:`` block: LLM selection and loop settings."""


CONTROLLER_KEYS: tuple[str, ...] = tuple(ControllerModel.model_fields)
"""Keys of ``controller:`` (each is lifted onto an :class:`AgentConfig` attribute)."""


# --------------------------------------------------------------------------- runtime blocks


class CompactModel(ClosedModel):
    """``compact:``: when and how the conversation is summarised."""

    enabled: bool | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    threshold: float | None = Field(default=None, gt=0, le=1)
    target: float | None = Field(default=None, gt=0, le=1)
    keep_recent_turns: int | None = Field(default=None, ge=0)
    cooldown_seconds: float | None = Field(default=None, ge=0)
    compact_model: str | None = None


class TerminationModel(ClosedModel):
    """``termination:``: when a run stops by itself (0 means off)."""

    max_turns: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    max_duration: float | None = Field(default=None, ge=0)
    idle_timeout: float | None = Field(default=None, ge=0)
    keywords: list[str] | None = None


class MemoryModel(ClosedModel):
    """``memory:``: embedding settings for memory search (``embedding`` goes to the embedder)."""

    embedding: dict[str, Any] | None = None
    path: str | None = None


class BudgetModel(ClosedModel):
    """``budget:``: per-turn and per-agent caps."""

    turn_tokens: int | None = Field(default=None, ge=0)
    turn_tool_calls: int | None = Field(default=None, ge=0)
    total_tokens: int | None = Field(default=None, ge=0)
    total_tool_calls: int | None = Field(default=None, ge=0)
    cost_usd: float | None = Field(default=None, ge=0)


class StartupTriggerModel(ClosedModel):
    """``startup_trigger:``: a prompt fired once when the creature starts."""

    prompt: str


class ChannelsModel(ClosedModel):
    """``channels:`` of a creature inlined in a terrarium recipe."""

    listen: list[str] | None = None
    can_send: list[str] | None = None


# --------------------------------------------------------------------------- the document


class CreatureModel(_ControllerFields):
    """One creature config document (top level)."""

    _extra_hints: ClassVar[dict[str, str]] = {
        "config": "'config' is the recipe alias of base_config; creature configs use base_config",
        "class": "top-level 'class' is not a creature key; module/class belong in an entry",
    }

    name: str | None = None
    version: str | None = None
    description: str | None = None
    base_config: str | None = None
    controller: ControllerModel | None = None
    system_prompt: str | None = None
    system_prompt_file: str | None = None
    prompt_context_files: dict[str, str] | None = None
    session_key: str | None = None
    input: InputModel | None = None
    output: OutputModel | None = None
    tools: list[ToolModel] | None = None
    subagents: list[SubAgentModel] | None = None
    triggers: list[TriggerModel] | None = None
    compact: CompactModel | None = None
    startup_trigger: StartupTriggerModel | None = None
    termination: TerminationModel | None = None
    max_subagent_depth: int | None = Field(default=None, ge=0)
    max_iterations: int | None = Field(default=None, ge=0)
    default_plugins: list[str] | None = None
    plugins: list[PluginModel] | None = None
    mcp_servers: list[McpServerModel] | None = None
    memory: MemoryModel | None = None
    output_wiring: list[OutputWiringModel] | None = None
    disable_provider_tools: list[str] | None = None
    sanitize_orphan_tool_calls: bool | None = None
    skills: list[str] | None = None
    skill_index_budget_bytes: int | None = Field(default=None, ge=0)
    framework_hint_overrides: dict[str, str] | None = None
    framework_hints: dict[str, str] | None = None
    budget: BudgetModel | None = None
    no_inherit: list[str] | None = None
    prompt_mode: Literal["concat", "replace"] | None = None
    channels: ChannelsModel | None = None
    output_log: bool | None = None
    output_log_size: int | None = Field(default=None, ge=0)
    privileged: bool | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # YAML reads `version: 1.0` as a float.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("skills", "default_plugins", "disable_provider_tools", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("no_inherit", mode="before")
    @classmethod
    def _known_inherit_keys(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        if isinstance(value, list):
            known = cls.known_keys() - {"base_config", "no_inherit", "prompt_mode"}
            for i, item in enumerate(value):
                if isinstance(item, str) and item not in known:
                    raise PydanticCustomError(
                        "unknown_key",
                        "no_inherit names '{key}', which is not a config key",
                        {"key": item, "index": i, "hint": did_you_mean(item, known) or ""},
                    )
        return value


_NAMED_LISTS = ("tools", "subagents", "plugins", "mcp_servers", "triggers")


# --------------------------------------------------------------------------- errors


def format_key_path(loc: Iterable[Any]) -> str:
    """``("tools", 3, "timeout")`` -> ``"tools[3].timeout"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_INSTANCE_OF = re.compile(r" or instance of \w+")


def _config_error(err: dict[str, Any], file: str | None) -> ConfigError:
    loc = list(err.get("loc") or ())
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    msg = _INSTANCE_OF.sub("", str(err.get("msg", "invalid value")))
    if kind in ("unknown_key", "extra_forbidden"):
        key = ctx.get("key") if kind == "unknown_key" else None
        if "index" in ctx:
            loc.append(int(ctx["index"]))
        elif key is not None and not (loc and loc[-1] == key):
            loc.append(key)
        hint = ctx.get("hint") or None
        return UnknownKeyError(msg, file=file, key=format_key_path(loc) or None, hint=hint)
    if kind == "missing":
        return BadValueError(
            f"missing required key '{loc[-1]}'" if loc else "missing required key",
            file=file,
            key=format_key_path(loc) or None,
        )
    hint = ctx.get("hint") or None if kind == "bad_value" else None
    got = err.get("input")
    if kind != "bad_value" and not isinstance(got, (dict, list)):
        msg = f"{msg} (got {got!r})"
    return BadValueError(msg, file=file, key=format_key_path(loc) or None, hint=hint)


def raise_validation_error(exc: ValidationError, file: str | Path | None) -> NoReturn:
    """Turn a pydantic ValidationError into our typed ConfigError (the first problem)."""
    errors = exc.errors(include_url=False)
    # Misspelled keys first: they usually explain the other problems.
    errors.sort(key=lambda e: e.get("type") not in ("unknown_key", "extra_forbidden"))
    first = _config_error(errors[0], str(file) if file is not None else None)
    if len(errors) > 1:
        first.message += f" (and {len(errors) - 1} more problem(s) in this document)"
        first.args = (first._render(),)
    raise first from None


# --------------------------------------------------------------------------- normalisation


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_unset=True)


def validate_document(data: Any, *, file: str | Path | None = None) -> dict[str, Any]:
    """Validate one config document; return it normalised (see the module docstring)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadValueError(
            f"a creature config must be a mapping of keys, got {type(data).__name__}",
            file=str(file) if file is not None else None,
        )
    try:
        model = CreatureModel.model_validate(data)
    except ValidationError as exc:
        raise_validation_error(exc, file)
    out = _dump(model)
    _lift_controller_keys(out, file)
    if "framework_hints" in out:
        alias = out.pop("framework_hints")
        if out.get("framework_hint_overrides") is not None and alias is not None:
            raise BadValueError(
                "both framework_hints and its alias framework_hint_overrides are set",
                file=str(file) if file is not None else None,
                key="framework_hints",
                hint="keep one of them",
            )
        if alias is not None:
            out["framework_hint_overrides"] = alias
    for key in _NAMED_LISTS:
        _refuse_duplicate_names(out.get(key), key, file)
    return out


def _lift_controller_keys(out: dict[str, Any], file: str | Path | None) -> None:
    top = {k: out.pop(k) for k in CONTROLLER_KEYS if k in out}
    top = {k: v for k, v in top.items() if v is not None}
    if not top:
        return
    controller = dict(out.get("controller") or {})
    for key, value in top.items():
        if controller.get(key) is not None and controller[key] != value:
            logger.warning(
                "key set both at the top level and in controller:; controller wins",
                file=str(file) if file else None,
                key=key,
            )
            continue
        controller[key] = value
    out["controller"] = controller


def _refuse_duplicate_names(entries: Any, key: str, file: str | Path | None) -> None:
    if not entries:
        return
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not name:
            continue
        if name in seen:
            raise BadValueError(
                f"'{name}' is listed twice (entries {seen[name]} and {i})",
                file=str(file) if file is not None else None,
                key=f"{key}[{i}]",
                hint="keep one entry per name",
            )
        seen[name] = i


TOP_LEVEL_KEYS: frozenset[str] = frozenset(CreatureModel.known_keys())
"""Every key a creature config may hold at the top level."""


__all__ = [
    "CONTROLLER_KEYS",
    "TERRARIUM_MEMBER_KEYS",
    "TOP_LEVEL_KEYS",
    "TRIGGER_SETUP_TOOLS",
    "ControllerModel",
    "CreatureModel",
    "format_key_path",
    "raise_validation_error",
    "validate_document",
]
