"""Small helpers shared by the shell, web and agent-service builtin tools.

Private to ``builtins/tools``: a DIRECT-mode base class, schema building, UTF-8 safe output
capping and the lookups every context-aware tool repeats.
"""

from __future__ import annotations

from typing import Any

from kohakuterrarium.modules.tool.base import BaseTool, ExecutionMode, ToolContext


class DirectTool(BaseTool):
    """A builtin tool the round waits for (CONTRACT §B5.1: every tool is DIRECT unless noted)."""

    full_doc: str = ""
    """Long-form documentation appended to the generated argument list."""

    @property
    def execution_mode(self) -> ExecutionMode:
        return ExecutionMode.DIRECT

    def get_full_documentation(self, tool_format: str = "native") -> str:
        base = super().get_full_documentation(tool_format)
        return f"{base}\n{self.full_doc.strip()}\n" if self.full_doc else base


def object_schema(properties: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    """A JSON object schema with ``properties`` and ``required``."""
    return {"type": "object", "properties": properties, "required": required}


def cap_bytes(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` UTF-8 bytes (0: no cap) with a note; second item: was it cut."""
    if limit <= 0:
        return text, False
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    cut = data[:limit].decode("utf-8", "ignore")
    note = f"\n[output truncated: {len(data)} bytes, showing the first {limit}]"
    return cut + note, True


def agent_of(context: ToolContext | None) -> Any:
    """The running Agent behind ``context``, or None."""
    return getattr(context, "agent", None) if context is not None else None


def environment_of(context: ToolContext | None) -> Any:
    """The creature graph's environment (from the context, else from the agent), or None."""
    if context is None:
        return None
    env = getattr(context, "environment", None)
    if env is None:
        env = getattr(agent_of(context), "environment", None)
    return env


def parse_timeout(value: Any, default: float) -> float | None:
    """A per-call timeout in seconds: None when 0 (no limit); raises ValueError when invalid."""
    if value is None or value == "":
        seconds = float(default or 0)
    else:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"timeout must be a number of seconds, got {value!r}") from None
    if seconds < 0:
        raise ValueError(f"timeout must be 0 (no limit) or positive, got {seconds:g}")
    return seconds or None


__all__ = [
    "DirectTool",
    "agent_of",
    "cap_bytes",
    "environment_of",
    "object_schema",
    "parse_timeout",
]
