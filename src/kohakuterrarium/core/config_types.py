"""The resolved configuration of a creature.

``AgentConfig`` is what :func:`kohakuterrarium.core.config.load_agent_config` produces from a
creature folder (after inheritance, interpolation and prompt-chain assembly) and what
``Agent(config)`` consumes. It is a plain mutable dataclass: packs build helper agents with
``AgentConfig(name=...)`` and set attributes on it. Keys of the ``controller:`` block are lifted
to top-level attributes (``model``, ``llm``, ``tool_format``, ``max_messages``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ToolEntry:
    """One entry of ``tools:``."""

    name: str
    """Tool name (for ``type: trigger``, the setup tool name such as ``add_timer``)."""
    type: str = "builtin"
    """builtin, trigger, custom (module is a file path) or package (module is dotted)."""
    module: str | None = None
    """Module path for custom / package tools."""
    class_name: str | None = None
    """Class to instantiate for custom / package tools."""
    doc: str | None = None
    """Path of a doc file overriding the tool's own documentation."""
    options: dict[str, Any] = field(default_factory=dict)
    """Every other key of the entry (timeout, max_output, constructor kwargs, ...)."""
    instance: Any = None
    """A ready tool object (tools passed in Python); wins over everything else."""


@dataclass
class SubAgentEntry:
    """One entry of ``subagents:``."""

    name: str
    """Sub-agent name (a builtin such as explore, or your own)."""
    type: str = "builtin"
    """builtin, custom or package."""
    module: str | None = None
    config_name: str | None = None
    """Name of a module-level SubAgentConfig object (``config:`` key)."""
    description: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """Every other key: overrides of the sub-agent's fields (tools, system_prompt, max_turns, ...)."""


@dataclass
class InputConfig:
    """The ``input:`` block."""

    type: str = "cli"
    module: str | None = None
    class_name: str | None = None
    prompt: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutputConfig:
    """The ``output:`` block."""

    type: str = "stdout"
    module: str | None = None
    class_name: str | None = None
    controller_direct: bool = True
    """Send the controller's text straight to the default output."""
    named_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Extra outputs addressed with ``[/output_<name>]`` blocks."""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutputWiringEntry:
    """One entry of ``output_wiring:``: where this creature's turn-end output goes."""

    to: str
    """A creature name, or ``root``."""
    with_content: bool = True
    """Deliver the text (False: a lifecycle ping only)."""
    prompt: str | None = None
    """Template of the delivered prompt."""
    prompt_format: str = "simple"
    """simple (str.format_map) or jinja."""
    allow_self_trigger: bool = False


@dataclass
class AgentConfig:
    """Everything that defines a creature."""

    name: str = "agent"
    """Identity; also the session key and event namespace."""
    version: str = "1.0"
    description: str = ""

    # -- model (the controller block, lifted)
    llm: str | None = None
    """Profile / preset name, optionally with ``@group=option`` selections."""
    model: str | None = None
    """Inline model id, also matched against presets."""
    provider: str | None = None
    auth_mode: str | None = None
    api_key_env: str | None = None
    base_url: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning_effort: str | None = None
    service_tier: str | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    retry_policy: dict[str, Any] | None = None
    variation_selections: dict[str, str] = field(default_factory=dict)
    variation: str | None = None

    # -- prompt
    system_prompt: str = "You are a helpful assistant."
    """The assembled prompt chain (Jinja still raw; rendered at build)."""
    system_prompt_file: str | None = None
    prompt_context_files: dict[str, str] = field(default_factory=dict)
    skill_mode: str = "dynamic"
    include_tools_in_prompt: bool = True
    include_hints_in_prompt: bool = True
    framework_hint_overrides: dict[str, str] = field(default_factory=dict)

    # -- controller behaviour
    tool_format: str | dict[str, Any] = "bracket"
    """bracket, xml, native, or a dict of custom delimiters."""
    max_messages: int = 0
    ephemeral: bool = False
    max_iterations: int | None = None
    """Shared iteration budget (LLM rounds) over the agent and inheriting sub-agents."""
    max_subagent_depth: int = 3
    sanitize_orphan_tool_calls: bool = True

    # -- modules
    input: InputConfig = field(default_factory=InputConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    tools: list[ToolEntry] = field(default_factory=list)
    subagents: list[SubAgentEntry] = field(default_factory=list)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    plugins: list[dict[str, Any]] = field(default_factory=list)
    default_plugins: list[str] = field(default_factory=list)
    mcp_servers: list[dict[str, Any]] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    skill_index_budget_bytes: int = 4096
    disable_provider_tools: list[str] = field(default_factory=list)

    # -- runtime
    compact: dict[str, Any] | None = None
    startup_trigger: dict[str, Any] | None = None
    termination: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None
    """Per-turn / per-agent caps: turn_tokens, turn_tool_calls, total_tokens, total_tool_calls, cost_usd."""
    memory: dict[str, Any] = field(default_factory=dict)
    output_wiring: list[OutputWiringEntry] = field(default_factory=list)
    session_key: str | None = None

    # -- where it came from
    agent_path: Path | None = None
    """The creature folder (prompts and custom modules resolve against it)."""
    config_file: Path | None = None
    base_dirs: list[Path] = field(default_factory=list)
    """Folders of the inheritance chain, child first (prompt / doc lookups fall back along it)."""
    raw: dict[str, Any] = field(default_factory=dict)
    """The merged raw dict this config was built from."""


__all__ = [
    "AgentConfig",
    "InputConfig",
    "OutputConfig",
    "OutputWiringEntry",
    "SubAgentEntry",
    "ToolEntry",
]
