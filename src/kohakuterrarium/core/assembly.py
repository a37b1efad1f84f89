"""Assembling an agent from its config: tools, plugins, the system prompt.

Kept apart from :mod:`kohakuterrarium.core.agent` so the class reads as lifecycle and turns, and
so everything that can fail on a bad config fails here, at build time, with a typed error.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kohakuterrarium.core.config_types import AgentConfig, ToolEntry
from kohakuterrarium.errors import AgentStateError, ConfigError, UnknownToolError, did_you_mean
from kohakuterrarium.modules.tool.base import BaseTool, ToolConfig
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from kohakuterrarium.core.agent import Agent

logger = get_logger(__name__)

_TOOL_CONFIG_KEYS = (
    "timeout",
    "max_output",
    "working_dir",
    "env",
    "notify_controller_on_background_complete",
)


def load_config(source: Any, pwd: Any) -> AgentConfig:
    """An AgentConfig from a folder, file, ``@pack/path``, dict or AgentConfig."""
    from kohakuterrarium.core.config import build_agent_config, load_agent_config

    if isinstance(source, AgentConfig):
        return source
    if isinstance(source, dict):
        return build_agent_config(source, Path(pwd) if pwd else Path.cwd())
    return load_agent_config(source)


def as_tool(obj: Any) -> BaseTool:
    from kohakuterrarium.modules.tool.function import as_tool as _as_tool

    return _as_tool(obj)


def _config_file(agent: Agent) -> str | None:
    return str(agent.config.config_file) if agent.config.config_file else None


def load_config_tools(agent: Agent, entries: list[ToolEntry]) -> None:
    """Instantiate and register every tool the config names."""
    from kohakuterrarium.modules.tool.catalog import builtin_tool_names, create_builtin_tool

    for entry in entries:
        if entry.instance is not None:
            agent.registry.register_tool(as_tool(entry.instance))
            continue
        tool_config = ToolConfig()
        extra = {}
        for key, value in entry.options.items():
            if key in _TOOL_CONFIG_KEYS:
                setattr(tool_config, key, value)
            else:
                extra[key] = value
        tool_config.extra = extra
        if entry.type in ("builtin", "trigger"):
            tool = create_builtin_tool(entry.name, tool_config)
            if tool is None:
                raise UnknownToolError(
                    f"unknown builtin tool '{entry.name}'",
                    file=_config_file(agent),
                    key="tools",
                    hint=did_you_mean(entry.name, builtin_tool_names())
                    or "use type: package with module/class for your own tools",
                )
        else:
            from kohakuterrarium.core.loader import instantiate, load_class

            cls_ = load_class(
                entry.module,
                entry.class_name,
                kind="tool",
                name=entry.name,
                base_dirs=agent.config.base_dirs or [agent.pwd],
            )
            tool = instantiate(cls_, extra, kind="tool", name=entry.name)
            if not hasattr(getattr(tool, "config", None), "timeout"):
                tool.config = tool_config
        agent.registry.register_tool(tool)


def load_config_plugins(agent: Agent, entries: list[dict[str, Any]]) -> list[Any]:
    """Instantiate every plugin the config names (module + class)."""
    out = []
    for entry in entries:
        name = entry.get("name", "")
        class_name = entry.get("class") or entry.get("class_name")
        if not (entry.get("module") and class_name):
            raise ConfigError(
                f"plugin '{name}' names no module/class and no builtin plugin has that name",
                file=_config_file(agent),
                key="plugins",
                hint="give module: and class: for package plugins",
            )
        from kohakuterrarium.core.loader import load_class
        from kohakuterrarium.modules.plugin.manager import instantiate_plugin

        cls_ = load_class(
            entry["module"],
            class_name,
            kind="plugin",
            name=name,
            base_dirs=agent.config.base_dirs or [agent.pwd],
        )
        out.append(instantiate_plugin(cls_, dict(entry.get("options") or {})))
    return out


def _use_package_prompts() -> None:
    """Let ``{% include "name" %}`` find fragments in installed packages' ``prompts:`` slots."""
    from kohakuterrarium.packages import resolve_package_prompt
    from kohakuterrarium.prompt import template

    if template._resolver is None:
        template.set_include_resolver(resolve_package_prompt)


def assemble(agent: Agent, tools: Any, subagents: Any, plugins: Any) -> None:
    """Build the parts of ``agent`` its config describes (in dependency order)."""
    from kohakuterrarium.core.budget import Budget
    from kohakuterrarium.core.compaction import CompactConfig, CompactManager
    from kohakuterrarium.core.registry import Registry
    from kohakuterrarium.core.scratchpad import Scratchpad
    from kohakuterrarium.parsing.format import resolve_format

    config = agent.config
    cfg_file = _config_file(agent)
    agent.registry = Registry()
    load_config_tools(agent, config.tools)
    for t in tools:
        agent.registry.register_tool(as_tool(t))
    for spec in [*load_config_subagents(agent, config.subagents), *subagents]:
        agent.registry.register_subagent(spec)
    agent.skills = discover_config_skills(agent)
    if agent.skills and "skill" not in agent.registry.tools:
        from kohakuterrarium.skills.tool import SkillTool

        agent.registry.register_tool(SkillTool(agent.skills))
    agent.tool_format = resolve_format(config.tool_format or "bracket")
    agent.native = agent.tool_format == "native"
    agent.plugins = None
    plugin_list = [*load_config_plugins(agent, config.plugins), *plugins]
    if plugin_list:
        from kohakuterrarium.modules.plugin.manager import PluginManager

        agent.plugins = PluginManager()
        for p in plugin_list:
            agent.plugins.register(p)
    agent.compactor = CompactManager(agent, CompactConfig.from_dict(config.compact, file=cfg_file))
    agent.scratchpad = Scratchpad()
    agent.budget = Budget.from_dict(config.budget, file=cfg_file)
    agent.termination = None
    if config.termination or (
        agent.plugins is not None and agent.plugins.has_hook("contribute_termination_check")
    ):
        from kohakuterrarium.core.termination import TerminationChecker, TerminationConfig

        agent.termination = TerminationChecker(
            TerminationConfig.from_dict(config.termination, file=cfg_file)
        )
        agent.termination.attach_scratchpad(agent.scratchpad)
        if agent.plugins is not None:
            agent.termination.attach_plugins(agent.plugins)


def make_subagent(parent: Agent, spec: Any) -> Agent:
    """A child agent for ``spec``: the parent's model unless it names one, the parent's
    tool instances where it has them, fresh builtins otherwise."""
    if parent.config.max_subagent_depth and parent.depth + 1 > parent.config.max_subagent_depth:
        raise AgentStateError(
            f"sub-agent '{spec.name}' would exceed max_subagent_depth="
            f"{parent.config.max_subagent_depth}"
        )
    from kohakuterrarium.core.subagent import uses_parent_model
    from kohakuterrarium.modules.tool.catalog import create_builtin_tool

    config = AgentConfig(
        name=spec.name,
        system_prompt=spec.system_prompt,
        tool_format=spec.tool_format or parent.config.tool_format,
        max_iterations=spec.max_turns or None,
        max_subagent_depth=parent.config.max_subagent_depth,
    )
    tools = []
    for name in spec.tools:
        tool = parent.registry.tools.get(name) or create_builtin_tool(name)
        if tool is None:
            logger.warning("sub-agent tool not available", subagent=spec.name, tool=name)
            continue
        tools.append(tool)
    llm = parent.llm if uses_parent_model(spec.llm) else spec.llm
    from kohakuterrarium.core.agent import Agent as _Agent

    return _Agent(
        config,
        llm=llm,
        tools=[*tools, *spec.extra_tools],
        pwd=parent.pwd,
        parent=parent,
        environment=parent.environment,
    )


def _context_file_variables(agent: Agent) -> dict[str, str]:
    """``prompt_context_files``: template variable -> the text of a file."""
    from kohakuterrarium.errors import MissingFileError

    out = {}
    for var, rel in (agent.config.prompt_context_files or {}).items():
        path = Path(rel) if Path(rel).is_absolute() else agent.pwd / rel
        if not path.is_file():
            raise MissingFileError(
                f"prompt context file '{rel}' not found",
                file=_config_file(agent),
                key=f"prompt_context_files.{var}",
            )
        out[var] = path.read_text(encoding="utf-8")
    return out


def compose_system_prompt(agent: Agent) -> str:
    """The full system prompt of ``agent`` from its config, tools, sub-agents and plugins."""
    from kohakuterrarium.prompt.aggregator import PromptParts, build_system_prompt

    base = agent.prompt_base
    if agent.config.prompt_context_files and "{{" not in base:
        # Variables only render through Jinja; without a placeholder, append the files.
        base = "\n\n".join([base, *_context_file_variables(agent).values()])
    if "{%" in base:
        _use_package_prompts()

    registry = agent.registry
    tools = [(n, t.description or "") for n, t in registry.tools.items()]
    subs = [(n, s.description) for n, s in registry.subagents.items()]
    hint = ""
    if not agent.native and (tools or subs):
        from kohakuterrarium.parsing import syntax_hint

        examples = [(n, registry.param_schema(n) or {}) for n in list(registry.tools)[:3]]
        hint = syntax_hint(agent.tool_format, examples)
    guidance = []
    for t in registry.tools.values():
        with contextlib.suppress(Exception):
            g = t.prompt_contribution()
            if g:
                guidance.append(g)
    prose: list[str] = []
    if agent.plugins is not None:
        with contextlib.suppress(Exception):
            prose = agent.plugins.collect_prompt_content(None)
    skills = getattr(agent, "skills", None)
    if skills:
        from kohakuterrarium.skills.loader import skill_index

        index = skill_index(skills.values(), agent.config.skill_index_budget_bytes)
        if index:
            prose = [*prose, index]
    config = agent.config
    parts = PromptParts(
        base="\n\n".join([base, *agent.prompt_extra]),
        variables={
            **_context_file_variables(agent),
            "agent_name": agent.name,
            "creature_name": agent.name,
            "pwd": str(agent.pwd),
            "model": agent.llm.model,
            "tools": [n for n, _ in tools],
        },
        tools=tools,
        subagents=subs,
        guidance=guidance,
        plugin_prose=prose,
        syntax_hint=hint,
        native=agent.native,
        include_tools=config.include_tools_in_prompt,
        include_hints=config.include_hints_in_prompt,
    )
    return build_system_prompt(parts)


def discover_config_skills(agent: Agent) -> dict[str, Any]:
    """The skills this creature sees (package skills only when ``skills:`` opts in)."""
    from kohakuterrarium.skills.loader import discover_skills

    return discover_skills(
        agent_path=agent.config.agent_path,
        pwd=agent.pwd,
        enabled_package_skills=agent.config.skills,
    )


_SUBAGENT_FILE_KEYS = ("prompt_file", "extra_prompt", "extra_prompt_file")


def _read_prompt(agent: Agent, rel: str, key: str) -> str:
    from kohakuterrarium.errors import MissingFileError

    for base in [*(agent.config.base_dirs or []), agent.config.agent_path, agent.pwd]:
        if base is None:
            continue
        path = Path(base) / rel
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise MissingFileError(
        f"sub-agent prompt file '{rel}' not found",
        file=_config_file(agent),
        key=key,
        hint="paths are relative to the creature folder",
    )


def load_config_subagents(agent: Agent, entries: list[Any]) -> list[Any]:
    """SubAgentSpecs for every ``subagents:`` entry (builtins, YAML-defined, or from a module)."""
    import importlib
    from dataclasses import replace

    from kohakuterrarium.core.subagent import BUILTIN_CATALOG, OVERRIDABLE, SubAgentSpec
    from kohakuterrarium.errors import UnknownKeyError

    catalog = importlib.import_module(BUILTIN_CATALOG)
    specs = []
    for entry in entries:
        options = dict(entry.options or {})
        if entry.description:
            options.setdefault("description", entry.description)
        spec: SubAgentSpec | None = None
        if entry.module:
            from kohakuterrarium.core.loader import load_class

            obj = load_class(
                entry.module,
                entry.config_name or entry.name,
                kind="sub-agent",
                name=entry.name,
                base_dirs=agent.config.base_dirs or [agent.pwd],
            )
            spec = (
                obj if isinstance(obj, SubAgentSpec) else SubAgentSpec(name=entry.name, **dict(obj))
            )
        elif entry.type == "builtin" and catalog.builtin_subagent(entry.name) is not None:
            spec = catalog.builtin_subagent(entry.name)
        elif entry.type == "builtin" and not (
            "system_prompt" in options or "prompt_file" in options
        ):
            raise ConfigError(
                f"unknown builtin sub-agent '{entry.name}'",
                file=_config_file(agent),
                key="subagents",
                hint=did_you_mean(entry.name, catalog.BUILTIN_SUBAGENTS)
                or "define it inline with system_prompt: and tools:",
            )
        if spec is None:
            spec = SubAgentSpec(name=entry.name)
        changes: dict[str, Any] = {}
        for key, value in options.items():
            if key in _SUBAGENT_FILE_KEYS:
                continue
            field_name = OVERRIDABLE.get(key)
            if field_name is None:
                raise UnknownKeyError(
                    f"sub-agent '{entry.name}' has no setting '{key}'",
                    file=_config_file(agent),
                    key=f"subagents.{entry.name}.{key}",
                    hint=did_you_mean(key, [*OVERRIDABLE, *_SUBAGENT_FILE_KEYS])
                    or f"known: {', '.join(sorted([*OVERRIDABLE, *_SUBAGENT_FILE_KEYS]))}",
                )
            changes[field_name] = list(value) if field_name == "tools" else value
        spec = replace(spec, name=entry.name, **changes)
        if "prompt_file" in options:
            spec.system_prompt = _read_prompt(agent, options["prompt_file"], "prompt_file")
        if "extra_prompt_file" in options:
            extra = _read_prompt(agent, options["extra_prompt_file"], "extra_prompt_file")
            spec.system_prompt = f"{spec.system_prompt}\n\n{extra}"
        if options.get("extra_prompt"):
            spec.system_prompt = f"{spec.system_prompt}\n\n{options['extra_prompt']}"
        specs.append(spec)
    return specs


_BUILTIN_TRIGGERS = {
    "timer": "kohakuterrarium.builtins.triggers.timer:TimerTrigger",
    "channel": "kohakuterrarium.builtins.triggers.channel:ChannelTrigger",
}
"""``triggers:`` types the framework ships, resolved by name at build time."""


def _package_trigger_class(type_name: str) -> tuple[str, str] | None:
    from kohakuterrarium.packages import list_packages, load_manifest

    for pkg in list_packages():
        root = pkg.get("path")
        if root is None:
            continue
        for entry in load_manifest(Path(root)).get("triggers") or []:
            if isinstance(entry, dict) and entry.get("name") == type_name:
                return entry.get("module"), entry.get("class") or entry.get("class_name")
    return None


def load_config_triggers(agent: Agent) -> list[tuple[str, Any]]:
    """(id, trigger) for every ``triggers:`` entry; started with the agent."""
    import importlib

    from kohakuterrarium.core.loader import instantiate, load_class

    out = []
    for entry in agent.config.triggers:
        entry = dict(entry)
        type_name = str(entry.pop("type"))
        name = entry.pop("name", None)
        module = entry.pop("module", None)
        class_name = entry.pop("class", None) or entry.pop("class_name", None)
        prompt = entry.pop("prompt", None)
        if type_name in _BUILTIN_TRIGGERS:
            mod, _, attr = _BUILTIN_TRIGGERS[type_name].partition(":")
            cls = getattr(importlib.import_module(mod), attr)
            if type_name == "channel":
                entry["channel_name"] = entry.pop("channel", None) or ""
                entry.setdefault("environment", agent.environment)
                entry.setdefault("ignore_sender", agent.name)
            label = type_name
        else:
            if type_name not in ("custom", "package"):
                found = _package_trigger_class(type_name)
                if found is None:
                    raise ConfigError(
                        f"unknown trigger type '{type_name}'",
                        file=_config_file(agent),
                        key="triggers",
                        hint=did_you_mean(type_name, [*_BUILTIN_TRIGGERS, "custom", "package"])
                        or "use timer, channel, custom/package with module and class, or a "
                        "trigger name from an installed package",
                    )
                module, class_name = found
            cls = load_class(
                module,
                class_name,
                kind="trigger",
                name=name or type_name,
                base_dirs=agent.config.base_dirs or [agent.pwd],
            )
            label = class_name or type_name
        trigger = instantiate(
            cls, {"prompt": prompt, **entry}, kind="trigger", name=name or type_name
        )
        out.append((name or f"{type_name}_{label}", trigger))
    return out


__all__ = [
    "as_tool",
    "assemble",
    "compose_system_prompt",
    "discover_config_skills",
    "load_config",
    "load_config_plugins",
    "load_config_subagents",
    "load_config_tools",
    "load_config_triggers",
    "make_subagent",
]
