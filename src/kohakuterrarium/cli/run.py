"""``kt run <creature>``: run one creature from the command line.

Plain mode (``--mode plain``) is a pipe: every non-empty line read from stdin is one turn, read as
it arrives (so it works the same typed at a terminal and piped from a file). The reply text of the
creature itself (not of its sub-agents) streams to stdout as it is generated, followed by a
newline when the reply did not end with one. Nothing else is written to stdout. At end of input
the creature is stopped and ``kt`` exits by itself: 0 when every turn ended ``ok``, 1 when any turn
failed (each failure is one line on stderr), 130 on Ctrl+C.

The cli and tui front-ends, and the creature's own input/output (``--mode none``), are not
available yet in this version.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import io
import os
import secrets
import sys
import threading
from pathlib import Path
from typing import IO, Any

from kohakuterrarium.cli import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    not_available,
    one_line,
)
from kohakuterrarium.cli.home import sessions_dir
from kohakuterrarium.errors import KTError, MissingFileError

_READ_AHEAD = 16
"""Lines the stdin reader may read ahead of the turn in progress (a bounded buffer)."""

_SESSION_MODULE = "kohakuterrarium.session.attach"
"""The module ``Agent`` records sessions with; while it is absent, runs are not recorded."""


class StdinLines:
    """Lines of a text stream, read by a daemon thread and awaited one at a time.

    A daemon thread, not ``asyncio.to_thread``: a read blocked on a terminal must not keep the
    process alive after Ctrl+C (the default executor is joined at shutdown; daemon threads are not).
    At most ``read_ahead`` lines wait in memory; the thread blocks until the consumer catches up.
    """

    def __init__(self, stream: IO[str], read_ahead: int = _READ_AHEAD) -> None:
        self._stream = stream
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
        self._room = threading.Semaphore(read_ahead)
        self._thread = threading.Thread(target=self._read, name="kt-stdin", daemon=True)
        self._thread.start()

    def _hand_over(self, item: str | BaseException | None) -> bool:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            return False
        return True

    def _read(self) -> None:
        try:
            while True:
                self._room.acquire()
                line = self._stream.readline()
                if not line:
                    break
                if not self._hand_over(line):
                    return
        except Exception as exc:  # OSError, or ValueError for a stream closed under us
            self._hand_over(exc)
            return
        self._hand_over(None)

    async def next_line(self) -> str | None:
        """The next line (without its line ending), or None at end of input."""
        item = await self._queue.get()
        self._room.release()
        if isinstance(item, BaseException):
            raise item
        if item is None:
            return None
        return item.rstrip("\r\n")


def _write(out: IO[str], text: str) -> None:
    out.write(text)
    out.flush()


async def run_plain(
    creature: Any,
    *,
    llm: Any = None,
    pwd: str | None = None,
    session: Any = None,
    stdin: IO[str],
    stdout: IO[str],
    stderr: IO[str],
) -> int:
    """Run ``creature`` in plain mode over the given streams and return the exit code."""
    from kohakuterrarium.core.agent import Agent
    from kohakuterrarium.core.result import TextChunk, TurnEnded

    try:
        agent = await Agent.build(creature, llm=llm, pwd=pwd, session=session)
    except KTError as exc:
        print(f"kt run: {one_line(exc)}", file=stderr)
        return EXIT_ERROR

    failed = 0
    turn = 0
    async with agent:
        lines = StdinLines(stdin)
        while (line := await lines.next_line()) is not None:
            if not line.strip():
                continue
            turn += 1
            last = "\n"
            result = None
            async for event in agent.run_stream(line):
                if isinstance(event, TextChunk) and event.path == agent.path and event.text:
                    _write(stdout, event.text)
                    last = event.text
                elif isinstance(event, TurnEnded):
                    result = event.result
            if not last.endswith("\n"):
                _write(stdout, "\n")
            if result is None or result.status != "ok":
                failed += 1
                status = result.status if result is not None else "error"
                error = result.error if result is not None else None
                detail = f": {one_line(error)}" if error is not None else ""
                print(f"kt run: turn {turn} ended with status {status}{detail}", file=stderr)
                stderr.flush()
    return EXIT_ERROR if failed else EXIT_OK


def _session_for(args: argparse.Namespace) -> Path | None:
    """The session file to record to, or None for ``--no-session``.

    With neither flag a new file under the sessions folder is used, but only while the session
    layer exists in this build; an explicit ``--session`` is always passed on, so a build without
    sessions refuses it with a SessionError instead of silently not recording.
    """
    if args.no_session:
        return None
    if args.session:
        return Path(args.session).expanduser()
    try:
        available = importlib.util.find_spec(_SESSION_MODULE) is not None
    except ModuleNotFoundError:
        available = False
    if not available:
        return None
    stem = Path(args.creature.rstrip("/\\")).name.lstrip("@") or "creature"
    return sessions_dir() / f"{stem}_{secrets.token_hex(4)}.kohakutr"


def _setup_logging(args: argparse.Namespace) -> None:
    from kohakuterrarium.utils.logging import enable_stderr_logging, set_level

    if args.log_stderr == "off":
        set_level(args.log_level)
    else:  # plain mode keeps stdout for replies, so stderr is free for logs
        enable_stderr_logging(args.log_level)


def cmd_run(args: argparse.Namespace) -> int:
    """Entry point of ``kt run``."""
    if args.mode != "plain":
        shown = args.mode or "none"
        print(
            f"kt run: --mode {shown} is not available yet in this version (use --mode plain)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.add:
        return not_available("run --add")
    if args.channel:
        return not_available("run --channel")
    if not args.creature.startswith("@") and not os.path.exists(args.creature):
        raise MissingFileError(
            f"creature not found: {args.creature}",
            hint="give a creature folder, its config file, or @package/path",
        )
    if args.pwd is not None and not os.path.isdir(args.pwd):
        raise MissingFileError(f"--pwd is not a directory: {args.pwd}")
    _setup_logging(args)
    session = _session_for(args)
    coro = run_plain(
        args.creature,
        llm=args.llm,
        pwd=args.pwd,
        session=session,
        stdin=sys.stdin if sys.stdin is not None else io.StringIO(),
        stdout=sys.stdout,
        stderr=sys.stderr,
    )
    try:
        code = asyncio.run(coro)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (`kt run ... | head -1`): stop quietly, and keep Python
        # from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    if session is not None and session.exists():
        print(f"kt resume {session.stem}", file=sys.stderr)
    return code


__all__ = ["StdinLines", "cmd_run", "run_plain"]
