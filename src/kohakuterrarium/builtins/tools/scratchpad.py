"""The ``scratchpad`` tool: get, set, delete and list the agent's key -> text notes.

It works on the running agent's :class:`~kohakuterrarium.core.scratchpad.Scratchpad` (so
plugins and the session see the same notes); used without an agent it keeps a private one.
"""

from __future__ import annotations

import json
from typing import Any

from kohakuterrarium.builtins.tools._shared import DirectTool, agent_of, object_schema
from kohakuterrarium.core.scratchpad import Scratchpad
from kohakuterrarium.modules.tool.base import ToolConfig, ToolContext, ToolResult

ACTIONS: tuple[str, ...] = ("get", "set", "delete", "list")
"""What ``action`` accepts."""

_PREVIEW = 200

_FULL_DOC = """
## Actions
- `set` key value: store a note (overwrites).
- `get` key: the note under key.
- `delete` key: remove it.
- `list`: every key with the start of its note.
Notes live as long as the agent (and its session, when it has one).
"""


class ScratchpadTool(DirectTool):
    """Key -> text notes shared with the rest of the agent."""

    tool_name = "scratchpad"
    description = "Keep short notes across turns: get, set, delete or list keys."
    needs_context = True
    full_doc = _FULL_DOC

    def __init__(self, config: ToolConfig | None = None) -> None:
        super().__init__(config)
        self._own = Scratchpad()

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {
                "action": {"type": "string", "enum": list(ACTIONS), "description": "What to do."},
                "key": {"type": "string", "description": "The note's key (not for list)."},
                "value": {"type": "string", "description": "The text to store (set only)."},
            },
            ["action"],
        )

    def pad_for(self, context: ToolContext | None) -> Scratchpad:
        """The agent's scratchpad, else the session's, else this tool's own."""
        pad = getattr(agent_of(context), "scratchpad", None)
        if pad is None and context is not None:
            pad = context.scratchpad
        return pad if pad is not None else self._own

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        action = str(args.get("action") or "").strip().lower()
        if action not in ACTIONS:
            return ToolResult(
                error=f"unknown scratchpad action {args.get('action')!r}; use one of "
                + ", ".join(ACTIONS)
            )
        pad = self.pad_for(context)
        if action == "list":
            if not len(pad):
                return ToolResult(output="(scratchpad is empty)", metadata={"keys": []})
            lines = []
            for key in pad.list():
                value = pad.get(key) or ""
                short = value if len(value) <= _PREVIEW else value[:_PREVIEW] + "..."
                lines.append(f"- {key}: {short}")
            return ToolResult(output="\n".join(lines), metadata={"keys": pad.list()})
        key = args.get("key")
        if not isinstance(key, str) or not key:
            return ToolResult(error=f"scratchpad {action} needs a 'key'")
        if action == "set":
            value = args.get("value", args.get("content"))
            if value is None:
                return ToolResult(error="scratchpad set needs a 'value'")
            if not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False)
            pad.set(key, value)
            return ToolResult(output=f"Stored '{key}' ({len(value)} characters).")
        if action == "get":
            value = pad.get(key)
            if value is None:
                return ToolResult(error=_missing(key, pad))
            return ToolResult(output=value)
        if not pad.delete(key):
            return ToolResult(error=_missing(key, pad))
        return ToolResult(output=f"Deleted '{key}'.")


def _missing(key: str, pad: Scratchpad) -> str:
    keys = ", ".join(pad.list()) or "(none)"
    return f"no scratchpad key '{key}'; existing keys: {keys}"


__all__ = ["ACTIONS", "ScratchpadTool"]
