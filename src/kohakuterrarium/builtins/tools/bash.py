"""The ``bash`` tool: run a shell command in the agent's working directory.

>>> tool = BashTool()
>>> result = await tool.execute({"command": "echo hi"}, ToolContext(working_dir="/tmp"))  # doctest: +SKIP
>>> result.output, result.exit_code                                                          # doctest: +SKIP
('hi\\n', 0)

The shell is picked by ``type`` (bash, zsh, sh, fish, pwsh; only those found on PATH).
Without ``type`` the shell is ``$KT_SHELL_PATH`` when set (an executable path or name), else
bash, else sh. ``ShellTool`` is the same tool under its other import name.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from kohakuterrarium.builtins.tools._shared import DirectTool, object_schema, parse_timeout
from kohakuterrarium.builtins.tools._subprocess import run_tool_process
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult

SHELL_TYPES: tuple[str, ...] = ("bash", "zsh", "sh", "fish", "pwsh")
"""Shell names ``type`` accepts."""

SHELL_PATH_ENV = "KT_SHELL_PATH"
"""Environment variable naming the default shell (path or name)."""


def available_shells() -> dict[str, str]:
    """Shell name -> executable path, for every known shell found on PATH."""
    found = {}
    for name in SHELL_TYPES:
        path = shutil.which(name)
        if path:
            found[name] = path
    return found


def shell_argv(executable: str, command: str) -> list[str]:
    """The argv that makes ``executable`` run ``command``."""
    name = Path(executable).name.lower().removesuffix(".exe")
    if name in ("pwsh", "powershell"):
        return [executable, "-NoProfile", "-NonInteractive", "-Command", command]
    return [executable, "-c", command]


def resolve_shell(shell_type: str | None, env: dict[str, str] | None = None) -> str:
    """The shell executable for ``shell_type`` (None: the default); ValueError says what exists."""
    found = available_shells()
    listing = ", ".join(found) or "(none found on PATH)"
    if shell_type:
        name = str(shell_type).strip().lower()
        if name not in SHELL_TYPES:
            raise ValueError(
                f"unknown shell type '{shell_type}'; use one of the shells available here: "
                f"{listing}"
            )
        if name not in found:
            raise ValueError(f"shell '{name}' is not installed here; available: {listing}")
        return found[name]
    override = (env or {}).get(SHELL_PATH_ENV) or os.environ.get(SHELL_PATH_ENV)
    if override:
        path = override if os.sep in override else shutil.which(override)
        if not path or not os.access(path, os.X_OK):
            raise ValueError(
                f"{SHELL_PATH_ENV}={override!r} is not an executable shell; fix or unset it "
                f"(available: {listing})"
            )
        return path
    for name in ("bash", "sh"):
        if name in found:
            return found[name]
    raise ValueError(f"no shell found on PATH; set {SHELL_PATH_ENV} to a shell executable")


_FULL_DOC = """
## Behaviour
- Runs in the agent's working directory (never changes the agent's own directory).
- `type` picks the shell: bash, zsh, sh, fish or pwsh (only the ones installed here).
  Without it the shell is `$KT_SHELL_PATH` when set, else bash, else sh.
- `timeout` is in seconds (0 = no limit; default: the tool's configured timeout). On timeout
  the whole process group is killed, background children included.
- Output is stdout then stderr (each labelled when both have text), capped at the tool's
  `max_output` bytes. The exit code is reported; a non-zero exit is not an error by itself.
- Calls run one at a time (they may change files the next call reads).
"""


class BashTool(DirectTool):
    """Run a shell command (serial: one at a time per agent)."""

    tool_name = "bash"
    description = "Run a shell command in the working directory and return its output."
    needs_context = True
    is_concurrency_safe = False
    enforces_own_timeout = True
    """Applies its per-call timeout itself (the central tool timeout should not cut it)."""
    full_doc = _FULL_DOC

    def get_parameters_schema(self) -> dict[str, Any]:
        shells = ", ".join(available_shells()) or "none found"
        return object_schema(
            {
                "command": {"type": "string", "description": "The command line to run."},
                "type": {
                    "type": "string",
                    "description": f"Shell to use (available here: {shells}).",
                },
                "timeout": {
                    "type": "number",
                    "description": "Seconds before the command is killed; 0 = no limit.",
                },
            },
            ["command"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        command = args.get("command")
        if command is None:
            command = args.get("content")
        if not isinstance(command, str) or not command.strip():
            return ToolResult(error="bash needs a non-empty 'command' string")
        try:
            timeout = parse_timeout(args.get("timeout"), self.config.timeout)
            shell = resolve_shell(args.get("type"), self.config.env)
        except ValueError as exc:
            return ToolResult(error=str(exc))
        result = await run_tool_process(
            shell_argv(shell, command),
            context=context,
            config=self.config,
            timeout=timeout,
            what="command",
        )
        result.metadata["shell"] = shell
        return result


class ShellTool(BashTool):
    """The ``bash`` tool under its other import name (packs import both)."""


__all__ = [
    "SHELL_PATH_ENV",
    "SHELL_TYPES",
    "BashTool",
    "ShellTool",
    "available_shells",
    "resolve_shell",
    "shell_argv",
]
