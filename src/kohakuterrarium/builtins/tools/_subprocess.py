"""Running a tool's subprocess and turning what it did into a ``ToolResult``.

Shared by ``bash`` and ``python``: the process runs in the agent's working directory through
:func:`kohakuterrarium.utils.process.run_process` (own process group, killed on timeout and on
cancellation), with the tool's ``env``; stdout and stderr are combined (labelled when both have
text) and capped at the tool's ``max_output`` bytes with a note.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kohakuterrarium.builtins.tools._shared import cap_bytes
from kohakuterrarium.modules.tool.base import ToolConfig, ToolContext, ToolResult
from kohakuterrarium.utils.process import ProcessResult, run_process

# run_process keeps at most this much per stream; our own cap is applied to the combined text.
_UNCAPPED = sys.maxsize


def working_dir_of(context: ToolContext | None, config: ToolConfig) -> Path:
    """Where the process runs: the tool's ``working_dir`` option, else the agent's directory."""
    base = Path(context.working_dir) if context is not None else Path.cwd()
    if config.working_dir:
        override = Path(config.working_dir).expanduser()
        return override if override.is_absolute() else base / override
    return base


def combine_output(stdout: str, stderr: str) -> str:
    """stdout and stderr in one text; each labelled when both have content."""
    if stdout and stderr:
        return f"[stdout]\n{stdout.rstrip()}\n[stderr]\n{stderr.rstrip()}\n"
    return stdout or stderr


async def run_tool_process(
    argv: list[str],
    *,
    context: ToolContext | None,
    config: ToolConfig,
    timeout: float | None,
    stdin: bytes | None = None,
    what: str = "command",
) -> ToolResult:
    """Run ``argv`` for a tool; a timeout becomes an error result (the group is already dead)."""
    cwd = working_dir_of(context, config)
    if not cwd.is_dir():
        return ToolResult(
            error=f"working directory {cwd} does not exist; create it or fix the tool's "
            "working_dir option"
        )
    limit = int(config.max_output or 0)
    proc: ProcessResult = await run_process(
        argv,
        cwd=cwd,
        env={str(k): str(v) for k, v in (config.env or {}).items()} or None,
        timeout=timeout,
        max_output=limit if limit > 0 else _UNCAPPED,
        stdin=stdin,
    )
    text = combine_output(proc.stdout, proc.stderr)
    text, cut = cap_bytes(text, limit)
    metadata = {"exit_code": proc.returncode, "timed_out": proc.timed_out, "cwd": str(cwd)}
    if proc.timed_out:
        return ToolResult(
            output=text,
            exit_code=proc.returncode,
            error=f"{what} timed out after {timeout:g}s; its process group was killed "
            "(pass a larger timeout, or 0 for none)",
            metadata=metadata,
        )
    if proc.truncated and not cut:
        text += f"\n[output truncated: more than {limit} bytes, showing the first {limit}]"
    return ToolResult(output=text, exit_code=proc.returncode, metadata=metadata)


__all__ = ["combine_output", "run_tool_process", "working_dir_of"]
