"""``search_memory``: search this session's recorded history (full-text; semantic when the
session has embeddings)."""

from __future__ import annotations

from typing import Any

from kohakuterrarium.modules.tool.base import BaseTool, ExecutionMode, ToolResult

_MODES = ("auto", "fts", "semantic", "hybrid")


class SearchMemoryTool(BaseTool):
    """Search the session's events (user messages, replies, tool calls, channel messages)."""

    tool_name = "search_memory"
    description = "Search this session's history for earlier messages, tool results and notes."
    needs_context = True

    @property
    def execution_mode(self) -> ExecutionMode:
        return ExecutionMode.DIRECT

    def get_parameters_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "Words to look for."},
                "mode": {"type": "string", "enum": list(_MODES), "description": "Search mode."},
                "k": {"type": "integer", "description": "How many hits (default 5)."},
                "agent": {"type": "string", "description": "Only this creature's history."},
            },
            "required": ["query"],
        }

    async def _execute(self, args: dict[str, Any], **kwargs: Any) -> ToolResult:
        context = kwargs.get("context")
        agent = getattr(context, "agent", None)
        store = getattr(agent, "session_store", None)
        if store is None:
            return ToolResult(
                error="this creature records no session, so there is no history to search "
                "(run it with a session: kt run records one by default)"
            )
        query = str(args.get("query") or args.get("content") or "").strip()
        if not query:
            return ToolResult(error="search_memory needs a non-empty query")
        mode = str(args.get("mode") or "auto")
        if mode not in _MODES:
            return ToolResult(error=f"mode must be one of {', '.join(_MODES)}, got '{mode}'")
        k = int(args.get("k") or 5)
        memory = getattr(agent, "_session_memory", None)
        if memory is None:
            from kohakuterrarium.session.memory import SessionMemory

            memory = SessionMemory(store.path, store=store)
            agent._session_memory = memory
        store.flush()
        hits = memory.search(query, mode=mode, k=k, agent=args.get("agent"))
        if not hits:
            return ToolResult(output=f"No matches for '{query}'.")
        lines = []
        for i, hit in enumerate(hits, 1):
            kind = f"{hit.block_type}:{hit.tool_name}" if hit.tool_name else hit.block_type
            lines.append(f"#{i} [round {hit.round_num}] {kind} ({hit.agent}) {hit.age_str}")
            content = hit.content if len(hit.content) <= 500 else hit.content[:500] + " ..."
            lines.append(content)
        return ToolResult(output="\n".join(lines))


__all__ = ["SearchMemoryTool"]
