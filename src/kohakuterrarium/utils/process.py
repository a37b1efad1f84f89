"""Run subprocesses that die with their job.

Tools that start processes use :func:`run_process`: the child gets its own process group, and
when the job is cancelled (turn timeout, interrupt) or times out, the whole group is terminated,
then killed, so no orphan keeps running after the agent moved on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass


@dataclass
class ProcessResult:
    """What a finished subprocess produced."""

    returncode: int
    """Exit status (negative: killed by that signal)."""
    stdout: str
    """Decoded stdout (truncated to the cap)."""
    stderr: str
    """Decoded stderr (truncated to the cap)."""
    timed_out: bool = False
    """True when the timeout ended it."""
    truncated: bool = False
    """True when output was cut at the cap."""


def _kill_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


async def terminate(proc: asyncio.subprocess.Process, grace: float = 2.0) -> None:
    """SIGTERM the process group, then SIGKILL it after ``grace`` seconds."""
    if proc.returncode is not None:
        return
    _kill_group(proc, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        _kill_group(proc, signal.SIGKILL)
        with contextlib.suppress(Exception):
            await proc.wait()


async def run_process(
    args: str | list[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    max_output: int = 1_000_000,
    stdin: bytes | None = None,
) -> ProcessResult:
    """Run ``args`` (a shell string or an argv list) and collect its output.

    Cancelling the awaiting task kills the whole process group before the cancellation
    propagates.
    """
    full_env = {**os.environ, **env} if env else None
    kwargs = dict(
        cwd=cwd,
        env=full_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    if isinstance(args, str):
        proc = await asyncio.create_subprocess_shell(args, **kwargs)  # type: ignore[arg-type]
    else:
        proc = await asyncio.create_subprocess_exec(*args, **kwargs)  # type: ignore[arg-type]
    timed_out = False
    try:
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
        except TimeoutError:
            timed_out = True
            await terminate(proc)
            out, err = b"", b""
    except BaseException:
        # Cancelled (or anything else): never leave the process group behind.
        await asyncio.shield(terminate(proc, grace=0.5))
        raise
    truncated = len(out) > max_output or len(err) > max_output
    return ProcessResult(
        returncode=proc.returncode if proc.returncode is not None else -1,
        stdout=out[:max_output].decode("utf-8", "replace"),
        stderr=err[:max_output].decode("utf-8", "replace"),
        timed_out=timed_out,
        truncated=truncated,
    )


__all__ = ["ProcessResult", "run_process", "terminate"]
