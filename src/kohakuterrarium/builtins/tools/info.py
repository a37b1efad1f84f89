"""The ``info`` tool: the full documentation of one of the agent's tools or sub-agents.

Lookup order for ``name`` (CONTRACT §B4.4, §B5.3):

1. the creature's own override, ``<creature>/prompts/tools/<name>.md`` (or
   ``prompts/subagents/<name>.md``), along the inheritance chain, child first;
2. the framework's builtin doc file, ``kohakuterrarium/builtin_skills/tools/<name>.md``;
3. the tool's ``get_full_documentation()`` / the sub-agent's description.

Doc files may carry YAML front matter; only the body is shown. The argument is ``name``
(CONTRACT Part C 12); a bracket-mode body fills it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._shared import DirectTool, agent_of, object_schema
from kohakuterrarium.errors import did_you_mean
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

_PACKAGE_DOCS = Path(__file__).resolve().parents[2] / "builtin_skills"


def _read_doc(candidates: list[Path]) -> str | None:
    from kohakuterrarium.prompt.skill_loader import parse_frontmatter

    for path in candidates:
        if path.is_file():
            _, body = parse_frontmatter(path.read_text(encoding="utf-8"))
            return body.strip() + "\n"
    return None


def _creature_dirs(agent: Any) -> list[Path]:
    config = getattr(agent, "config", None)
    dirs = [Path(d) for d in (getattr(config, "base_dirs", None) or [])]
    agent_path = getattr(config, "agent_path", None)
    if not dirs and agent_path:
        dirs = [Path(agent_path)]
    return dirs


class InfoTool(DirectTool):
    """Show the long-form docs of a tool or sub-agent."""

    tool_name = "info"
    description = "Show the full documentation of a tool or sub-agent by name."
    needs_context = True

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {"name": {"type": "string", "description": "Tool or sub-agent name."}},
            ["name"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        name = args.get("name") or args.get("tool_name") or args.get("content")
        if not isinstance(name, str) or not name.strip():
            return ToolResult(error="info needs the 'name' of a tool or sub-agent")
        name = name.strip()
        agent = agent_of(context)
        tool_format = getattr(context, "tool_format", "native") if context else "native"
        if agent is None:
            return self._without_agent(name, tool_format)
        registry = agent.registry
        kind = (
            "tools"
            if name in registry.tools
            else "subagents"
            if name in registry.subagents
            else None
        )
        if kind is None:
            known = [*registry.tools, *registry.subagents]
            hint = did_you_mean(name, known)
            return ToolResult(
                error=f"no tool or sub-agent named '{name}'"
                + (f"; {hint}" if hint else "")
                + f" Available: {', '.join(known) or '(none)'}."
            )
        candidates = [d / "prompts" / kind / f"{name}.md" for d in _creature_dirs(agent)]
        candidates.append(_PACKAGE_DOCS / kind / f"{name}.md")
        doc = await asyncio.to_thread(_read_doc, candidates)
        if doc is not None:
            return ToolResult(output=doc, metadata={"name": name, "source": "file"})
        if kind == "tools":
            text = registry.tools[name].get_full_documentation(tool_format)
        else:
            spec = registry.subagents[name]
            text = (
                f"# {name}\n\n{getattr(spec, 'description', '') or '(no description)'}\n\n"
                "## Arguments\n- `task` (string) (required): what the sub-agent should do.\n"
                "- `run_in_background` (boolean): default true; its result arrives later.\n"
            )
        return ToolResult(output=text, metadata={"name": name, "source": "builtin"})

    def _without_agent(self, name: str, tool_format: str) -> ToolResult:
        from kohakuterrarium.modules.tool.catalog import builtin_tool_names, create_builtin_tool

        tool = create_builtin_tool(name) if name in builtin_tool_names() else None
        if tool is None:
            hint = did_you_mean(name, builtin_tool_names())
            return ToolResult(
                error=f"no builtin tool named '{name}'" + (f"; {hint}" if hint else "")
            )
        return ToolResult(output=tool.get_full_documentation(tool_format))


__all__ = ["InfoTool"]
