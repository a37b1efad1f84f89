"""The ``python`` tool: run a piece of Python code in a fresh interpreter.

The code is fed to ``sys.executable`` on stdin (no argv length limit), in the agent's working
directory, with the same timeout, process-group kill and output cap as ``bash``.
"""

from __future__ import annotations

import sys
from typing import Any

from kohakuterrarium.builtins.tools._shared import DirectTool, object_schema, parse_timeout
from kohakuterrarium.builtins.tools._subprocess import run_tool_process
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

_FULL_DOC = """
## Behaviour
- Runs the code with the same Python interpreter as the agent, in a new process, in the
  agent's working directory. Nothing is shared between calls: print what you need.
- `timeout` in seconds (0 = no limit; default: the tool's configured timeout); on timeout the
  process group is killed.
- Output is stdout then stderr (a traceback shows up under [stderr]); the exit code is reported.
"""


class PythonTool(DirectTool):
    """Run Python code in a subprocess."""

    tool_name = "python"
    description = "Run Python code in a fresh interpreter and return what it prints."
    needs_context = True
    enforces_own_timeout = True
    """Applies its per-call timeout itself (the central tool timeout should not cut it)."""
    full_doc = _FULL_DOC

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {
                "code": {"type": "string", "description": "Python source to run."},
                "timeout": {
                    "type": "number",
                    "description": "Seconds before the process is killed; 0 = no limit.",
                },
            },
            ["code"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        code = args.get("code")
        if code is None:
            code = args.get("content")
        if not isinstance(code, str) or not code.strip():
            return ToolResult(error="python needs a non-empty 'code' string")
        try:
            timeout = parse_timeout(args.get("timeout"), self.config.timeout)
        except ValueError as exc:
            return ToolResult(error=str(exc))
        return await run_tool_process(
            [sys.executable, "-"],
            context=context,
            config=self.config,
            timeout=timeout,
            stdin=code.encode("utf-8"),
            what="python code",
        )


__all__ = ["PythonTool"]
