"""Assemble a creature's system prompt from its parts.

Order: the base prompt (Jinja-rendered only when it has template tags), the sub-agent list, the
function list, tool guidance, plugin prose, then the calling-syntax block for text formats or
the execution-model note for native calling. Everything is plain data in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

NATIVE_EXECUTION_MODEL = (
    "## How tools run\n"
    "Call functions through the native function-calling interface. Several calls in one reply "
    "run in parallel. A call with `run_in_background: true` (sub-agents default to it) returns at "
    "once with a job id; its result arrives later as its own message, so do not call it again."
)


@dataclass
class PromptParts:
    """Everything the system prompt is built from."""

    base: str
    """The creature's prompt chain (may hold Jinja tags)."""
    variables: dict[str, Any] = field(default_factory=dict)
    """Template variables (agent_name, creature_name, pwd, model, tools)."""
    tools: Sequence[tuple[str, str]] = ()
    """(name, one-line description) of each tool."""
    subagents: Sequence[tuple[str, str]] = ()
    """(name, description) of each sub-agent."""
    guidance: Sequence[str] = ()
    """``prompt_contribution()`` texts of the tools."""
    plugin_prose: Sequence[str] = ()
    """Prompt text contributed by plugins."""
    syntax_hint: str = ""
    """How to call tools in the active text format ("" in native mode)."""
    native: bool = False
    include_tools: bool = True
    include_hints: bool = True


def render_base(text: str, variables: dict[str, Any]) -> str:
    """Render Jinja tags in ``text``; text without tags is returned untouched (no Jinja import)."""
    if "{{" not in text and "{%" not in text:
        return text
    from kohakuterrarium.prompt.template import render_template_safe

    return render_template_safe(text, **variables)


def _first_line(text: str) -> str:
    text = (text or "").strip()
    return text.splitlines()[0] if text else ""


def build_system_prompt(parts: PromptParts) -> str:
    sections = [render_base(parts.base, parts.variables).strip()]
    if parts.include_tools and parts.subagents:
        lines = ["## Available Sub-Agents"]
        lines += [f"- `{name}`: {_first_line(desc)}" for name, desc in parts.subagents]
        sections.append("\n".join(lines))
    if parts.include_tools and parts.tools:
        lines = ["## Available Functions"]
        lines += [f"- `{name}`: {_first_line(desc)}" for name, desc in parts.tools]
        if not parts.native:
            lines.append(
                "\nUse the `info` command with a function name to read its full documentation."
            )
        sections.append("\n".join(lines))
    guidance = [g.strip() for g in parts.guidance if g and g.strip()]
    if guidance:
        sections.append("## Tool guidance\n" + "\n\n".join(guidance))
    sections.extend(p.strip() for p in parts.plugin_prose if p and p.strip())
    if parts.include_hints and (parts.tools or parts.subagents):
        if parts.native:
            sections.append(NATIVE_EXECUTION_MODEL)
        elif parts.syntax_hint:
            sections.append(parts.syntax_hint.strip())
    return "\n\n".join(s for s in sections if s)


__all__ = ["NATIVE_EXECUTION_MODEL", "PromptParts", "build_system_prompt", "render_base"]
