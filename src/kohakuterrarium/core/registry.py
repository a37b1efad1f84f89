"""The tools and sub-agents one agent can call, and the schemas derived from them.

Schemas and the parser's tool map are cached and rebuilt only when the registry changes, so
building a request costs nothing per round.
"""

from __future__ import annotations

from typing import Any

from kohakuterrarium.errors import UnknownToolError, did_you_mean
from kohakuterrarium.llm.base import ToolSchema
from kohakuterrarium.modules.tool.base import BaseTool

_BACKGROUND_PROP = {
    "type": "boolean",
    "description": "Run as a background job; its result arrives later as its own message.",
}


def tool_schema_of(tool: Any) -> dict[str, Any]:
    """The parameters schema of a tool (tools without one get ``{content: string}``)."""
    getter = getattr(tool, "get_parameters_schema", None)
    schema: Any = None
    if getter is not None:
        try:
            schema = getter()
        except Exception:
            schema = None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        schema = {
            "type": "object",
            "properties": {"content": {"type": "string", "description": "Input for the tool."}},
        }
    return schema


class Registry:
    """Name -> tool and name -> sub-agent spec for one agent."""

    def __init__(self) -> None:
        self.tools: dict[str, BaseTool] = {}
        self.subagents: dict[str, Any] = {}
        self._version = 0
        self._cache_version = -1
        self._native: list[ToolSchema] = []
        self._param_schemas: dict[str, dict[str, Any]] = {}

    # -- registration
    def register_tool(self, tool: BaseTool, *, replace: bool = True) -> None:
        name = tool.tool_name
        if not name:
            raise ValueError(f"{type(tool).__name__} has no tool_name")
        if not replace and name in self.tools:
            raise ValueError(f"tool '{name}' is already registered")
        self.tools[name] = tool
        self._version += 1

    def unregister_tool(self, name: str) -> bool:
        removed = self.tools.pop(name, None) is not None
        self._version += 1
        return removed

    def register_subagent(self, spec: Any) -> None:
        self.subagents[spec.name] = spec
        self._version += 1

    def unregister_subagent(self, name: str) -> bool:
        removed = self.subagents.pop(name, None) is not None
        self._version += 1
        return removed

    # -- lookup
    def get_tool(self, name: str) -> BaseTool | None:
        return self.tools.get(name)

    def require_tool(self, name: str) -> BaseTool:
        tool = self.tools.get(name)
        if tool is None:
            raise UnknownToolError(
                f"unknown tool '{name}'", hint=did_you_mean(name, self.tools) or "see agent.tools"
            )
        return tool

    def list_tools(self) -> list[str]:
        return list(self.tools)

    @property
    def version(self) -> int:
        return self._version

    # -- derived, cached
    def _rebuild(self) -> None:
        native: list[ToolSchema] = []
        params: dict[str, dict[str, Any]] = {}
        for name, tool in self.tools.items():
            schema = tool_schema_of(tool)
            params[name] = schema
            props = dict(schema.get("properties") or {})
            props.setdefault("run_in_background", _BACKGROUND_PROP)
            native.append(ToolSchema(name, tool.description or "", {**schema, "properties": props}))
        for name, spec in self.subagents.items():
            schema = {
                "type": "object",
                "properties": {
                    "task": {"type": "string", "description": "What the sub-agent should do."},
                    "run_in_background": {
                        **_BACKGROUND_PROP,
                        "description": "Run in the background (default true).",
                    },
                },
                "required": ["task"],
            }
            params[name] = schema
            native.append(ToolSchema(name, spec.description or f"Sub-agent {name}", schema))
        self._native = native
        self._param_schemas = params
        self._cache_version = self._version

    def native_schemas(self) -> list[ToolSchema]:
        if self._cache_version != self._version:
            self._rebuild()
        return self._native

    def param_schema(self, name: str) -> dict[str, Any] | None:
        if self._cache_version != self._version:
            self._rebuild()
        return self._param_schemas.get(name)

    def parser_tools(self) -> dict[str, dict[str, Any]]:
        """Tool name -> parameters schema, for the text-format parsers."""
        if self._cache_version != self._version:
            self._rebuild()
        return {n: s for n, s in self._param_schemas.items() if n in self.tools}


__all__ = ["Registry", "tool_schema_of"]
