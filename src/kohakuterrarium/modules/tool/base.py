"""Tool authoring API: ``BaseTool``, ``ToolResult``, ``ToolConfig``, ``ToolContext``.

A tool implements ``tool_name``, ``description`` and ``async _execute(args, **kw) -> ToolResult``;
``get_parameters_schema()`` gives its JSON schema for native function calling. The public
:meth:`BaseTool.execute` never raises: an exception becomes ``ToolResult(error=...)``.

>>> class Echo(BaseTool):
...     tool_name = "echo"
...     description = "Echo the text back."
...     async def _execute(self, args, **kw):
...         return ToolResult(output=args.get("text", ""))
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from kohakuterrarium.llm.message import content_text
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)


class ExecutionMode(StrEnum):
    """How the controller runs a tool."""

    DIRECT = "direct"
    """The round waits for the result."""
    BACKGROUND = "background"
    """The result comes back later as its own event."""
    STATEFUL = "stateful"
    """Long-lived; treated like BACKGROUND."""


@dataclass
class ToolConfig:
    """Per-tool settings from the creature config; every field has a default."""

    timeout: float = 60.0
    """Seconds before the framework cancels the tool (0 or less: no limit)."""
    max_output: int = 65536
    """Cap on the output in UTF-8 bytes (0: unlimited)."""
    working_dir: str | None = None
    """Working directory override."""
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment variables for subprocesses."""
    notify_controller_on_background_complete: bool = True
    """Whether a background completion wakes the agent."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Every other key of the tool entry."""


@dataclass
class ToolResult:
    """What a tool returns."""

    output: Any = ""
    """Text, or a list of content parts."""
    exit_code: int | None = None
    """Process-style exit code, when meaningful."""
    error: str | None = None
    """Error text; set means the call failed."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form data for plugins and UIs."""

    @property
    def success(self) -> bool:
        return self.error is None and self.exit_code in (None, 0)

    def get_text_output(self) -> str:
        return content_text(self.output) if not isinstance(self.output, str) else self.output

    def has_images(self) -> bool:
        if isinstance(self.output, str):
            return False
        return any(
            (p.get("type") if isinstance(p, dict) else getattr(p, "type", None)) == "image_url"
            for p in self.output
        )

    def is_multimodal(self) -> bool:
        return not isinstance(self.output, str)


@dataclass
class ToolContext:
    """What a tool may know about the agent running it."""

    agent_name: str = ""
    """Name of the creature running the tool."""
    session: Any = None
    """The agent's session object (scratchpad, channels), if any."""
    working_dir: Path | str | None = None
    """The agent's working directory (no global chdir)."""
    memory_path: Path | None = None
    """Folder for memory files, if configured."""
    environment: Any = None
    """Shared environment of the creature graph, if any."""
    tool_format: str = "native"
    """Tool-call format of the agent."""
    agent: Any = None
    """The running Agent (for advanced tools)."""
    file_read_state: Any = None
    """Which files were read (write/edit guards)."""
    path_guard: Any = None
    """Optional sandbox of allowed roots."""
    runtime_services: dict[str, Any] = field(default_factory=dict)
    """Services published by plugins."""
    job_id: str | None = None
    """Id of the job running this call."""

    def __post_init__(self) -> None:
        if self.working_dir is None:
            self.working_dir = Path.cwd()
        self.working_dir = Path(self.working_dir)

    def resolve_path(self, path: str | os.PathLike[str]) -> Path:
        """Resolve ``path`` against the agent's working directory."""
        p = Path(os.path.expanduser(str(path)))
        return p if p.is_absolute() else Path(self.working_dir) / p

    @property
    def scratchpad(self) -> Any:
        return getattr(self.session, "scratchpad", None)

    @property
    def channels(self) -> Any:
        return getattr(self.session, "channels", None)


def resolve_tool_path(path: str | os.PathLike[str], context: ToolContext | None) -> Path:
    """Resolve ``path`` for a tool: against the context's working dir when there is one."""
    if context is None:
        return Path(os.path.expanduser(str(path))).resolve()
    return context.resolve_path(path)


class BaseTool:
    """Base class of every tool."""

    needs_context: bool = False
    """Pass ``context=ToolContext`` to ``_execute``."""
    require_manual_read: bool = False
    """Refuse to run until ``info`` has shown the tool's docs."""
    is_provider_native: bool = False
    """Executed by the provider, never locally."""
    provider_support: frozenset[str] = frozenset()
    is_concurrency_safe: bool = True
    """False: serialised with the agent's other unsafe tools."""
    prompt_contribution_bucket: str = "normal"
    """Where ``prompt_contribution()`` goes in the prompt: first, normal or last."""

    def __init__(self, config: ToolConfig | None = None) -> None:
        self.config = config or ToolConfig()

    # Subclasses usually define these as class attributes or properties.
    tool_name: str = ""
    description: str = ""

    @property
    def execution_mode(self) -> ExecutionMode:
        return ExecutionMode.BACKGROUND

    def get_parameters_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments (override for native calling)."""
        params = getattr(type(self), "parameters", None)
        if isinstance(params, dict) and params:
            return params
        return {
            "type": "object",
            "properties": {"content": {"type": "string", "description": "Input for the tool."}},
        }

    def get_full_documentation(self, tool_format: str = "native") -> str:
        """Long-form docs, shown by ``info``."""
        schema = _safe_schema(self)
        lines = [f"# {self.tool_name}", "", self.description or ""]
        props = schema.get("properties") or {}
        if props:
            required = set(schema.get("required") or [])
            lines += ["", "## Arguments"]
            for name, spec in props.items():
                kind = spec.get("type", "any") if isinstance(spec, dict) else "any"
                desc = spec.get("description", "") if isinstance(spec, dict) else ""
                star = " (required)" if name in required else ""
                lines.append(f"- `{name}` ({kind}){star}: {desc}".rstrip(": "))
        return "\n".join(lines).strip() + "\n"

    def prompt_contribution(self) -> str | None:
        """Extra guidance for the system prompt (None: nothing)."""
        return None

    async def execute(self, args: dict[str, Any], context: ToolContext | None = None) -> ToolResult:
        """Run the tool; never raises for tool failures."""
        try:
            if self.needs_context:
                result = self._execute(args, context=context)
            else:
                result = self._execute(args)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # the model must see the failure, not crash the agent
            return ToolResult(error=f"{type(exc).__name__}: {exc}")
        return coerce_result(result, self.tool_name)

    async def _execute(self, args: dict[str, Any], **kwargs: Any) -> ToolResult:
        raise NotImplementedError(f"tool '{self.tool_name}' does not implement _execute()")


def _safe_schema(tool: Any) -> dict[str, Any]:
    getter = getattr(tool, "get_parameters_schema", None)
    if getter is None:
        return {}
    try:
        schema = getter()
    except Exception:
        return {}
    return schema if isinstance(schema, dict) else {}


def coerce_result(result: Any, tool_name: str = "") -> ToolResult:
    """Turn whatever a tool returned into a ToolResult (a str is accepted with a warning)."""
    if isinstance(result, ToolResult):
        if not isinstance(result.metadata, dict):
            result.metadata = {}
        return result
    if result is None:
        return ToolResult(output="")
    if isinstance(result, str):
        return ToolResult(output=result)
    if isinstance(result, (list, dict, int, float, bool)):
        import json

        try:
            return ToolResult(output=json.dumps(result, ensure_ascii=False, default=str))
        except (TypeError, ValueError):
            return ToolResult(output=str(result))
    return ToolResult(output=str(result))


__all__ = [
    "BaseTool",
    "ExecutionMode",
    "ToolConfig",
    "ToolContext",
    "ToolResult",
    "coerce_result",
    "resolve_tool_path",
]
