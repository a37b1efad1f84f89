"""The ``skill`` tool: returns a skill's body for the model to follow."""

from __future__ import annotations

from typing import Any

from kohakuterrarium.errors import did_you_mean
from kohakuterrarium.modules.tool.base import BaseTool, ExecutionMode, ToolResult
from kohakuterrarium.skills.loader import Skill


class SkillTool(BaseTool):
    """Read a procedural skill by name."""

    tool_name = "skill"
    description = "Read a procedural skill (step-by-step instructions) by name."

    def __init__(self, skills: dict[str, Skill], config: Any = None) -> None:
        super().__init__(config)
        self.skills = skills

    @property
    def execution_mode(self) -> ExecutionMode:
        return ExecutionMode.DIRECT

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "The skill's name."},
                "arguments": {
                    "type": "string",
                    "description": "Text substituted for $ARGUMENTS in the skill, if any.",
                },
            },
            "required": ["name"],
        }

    async def _execute(self, args: dict[str, Any], **kwargs: Any) -> ToolResult:
        name = str(args.get("name") or args.get("content") or "").strip()
        skill = self.skills.get(name)
        if skill is None:
            hint = did_you_mean(name, self.skills)
            known = ", ".join(sorted(self.skills)) or "(none)"
            return ToolResult(error=f"no skill named '{name}'. {hint or ''} Known: {known}".strip())
        body = skill.body
        if args.get("arguments"):
            body = body.replace("$ARGUMENTS", str(args["arguments"]))
        header = f"# Skill: {skill.name}\n(folder: {skill.folder})\n\n"
        return ToolResult(output=header + body, metadata={"origin": skill.origin})


__all__ = ["SkillTool"]
