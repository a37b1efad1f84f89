"""The ``ask_user`` tool: ask the human a question and wait (bounded) for the answer.

The question goes through the agent's output module when it is interactive, which means it
implements this small protocol::

    class InteractiveOutput(Protocol):
        async def ask(self, question: str, timeout: float | None) -> str | None:
            '''Show ``question``, return the user's answer (None: no answer in time).'''

An output without ``ask`` (a log, a pipe, no output at all) makes the tool return an error
result at once ("no interactive user attached") instead of blocking. The wait is always bounded:
``timeout_s`` (default 300 s), and never longer than the tool's own ``timeout``.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Protocol, runtime_checkable

from kohakuterrarium.builtins.tools._shared import DirectTool, agent_of, object_schema
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

DEFAULT_TIMEOUT_S = 300.0
"""How long to wait for an answer when the call gives no ``timeout_s``."""


@runtime_checkable
class InteractiveOutput(Protocol):
    """An output module that can put a question to the user."""

    async def ask(self, question: str, timeout: float | None) -> str | None: ...


def interactive_output(context: ToolContext | None) -> InteractiveOutput | None:
    """The agent's output module when it can ask questions, else None."""
    output = getattr(agent_of(context), "output", None)
    ask = getattr(output, "ask", None)
    return output if callable(ask) else None


class AskUserTool(DirectTool):
    """Ask the user a question through an interactive output."""

    tool_name = "ask_user"
    description = "Ask the user a question and wait for the answer."
    needs_context = True
    enforces_own_timeout = True
    """Applies its per-call timeout itself (the central tool timeout should not cut it)."""
    full_doc = (
        "## Behaviour\n- Needs an interactive output (a terminal or UI); otherwise it fails at "
        "once.\n- Waits at most `timeout_s` seconds (default 300); no answer is an error result."
    )

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {
                "question": {"type": "string", "description": "What to ask the user."},
                "timeout_s": {
                    "type": "number",
                    "description": "Seconds to wait for the answer (default 300).",
                },
            },
            ["question"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        question = args.get("question") or args.get("content")
        if not isinstance(question, str) or not question.strip():
            return ToolResult(error="ask_user needs a non-empty 'question'")
        try:
            limit = float(args.get("timeout_s") or DEFAULT_TIMEOUT_S)
        except (TypeError, ValueError):
            return ToolResult(error=f"timeout_s must be a number, got {args.get('timeout_s')!r}")
        if limit <= 0:
            return ToolResult(error="timeout_s must be positive")
        if self.config.timeout and self.config.timeout > 0:
            limit = min(limit, float(self.config.timeout))
        output = interactive_output(context)
        if output is None:
            return ToolResult(
                error="no interactive user attached: this agent's output cannot ask questions; "
                "decide yourself or report the question in your reply"
            )
        try:
            answer: Any = output.ask(question, limit)
            if inspect.isawaitable(answer):
                answer = await asyncio.wait_for(answer, limit)
        except TimeoutError:
            answer = None
        if answer is None:
            return ToolResult(error=f"the user did not answer within {limit:g}s")
        return ToolResult(output=str(answer), metadata={"question": question})


__all__ = ["DEFAULT_TIMEOUT_S", "AskUserTool", "InteractiveOutput", "interactive_output"]
