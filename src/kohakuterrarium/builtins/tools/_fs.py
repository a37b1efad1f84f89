"""Shared plumbing of the file tools: read-state, path guard, path helpers, the FileTool base.

- :class:`FileReadState` remembers which files an agent has read (and their mtime/size then), so
  ``write`` / ``edit`` can refuse to clobber a file the model has never seen or that changed
  since it was read. One per agent (``ToolContext.file_read_state``); a module-level default
  serves tools run without an agent.
- :class:`PathGuard` is the optional write sandbox (``ToolContext.path_guard``).
- :class:`FileTool` is the base of every file tool: DIRECT, needs the context, runs its blocking
  body in a thread, and turns :class:`FileToolError` into an error result.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import ToolError
from kohakuterrarium.modules.tool.base import BaseTool, ExecutionMode, ToolContext, ToolResult

BINARY_SNIFF_BYTES = 8192
"""How much of a file is checked for NUL bytes to call it binary."""


class FileToolError(ToolError):
    """A file tool refused or failed; the message goes to the model as the error result."""


# --------------------------------------------------------------------------- read-state


@dataclass(frozen=True)
class ReadRecord:
    """What a file looked like when it was last read (or written) by the agent."""

    mtime_ns: int
    """Modification time then, in nanoseconds."""
    size: int
    """Size in bytes then."""


class FileReadState:
    """Which files one agent has read, so writes never clobber unseen or changed content.

    >>> state = FileReadState()
    >>> state.was_read("/tmp/nothing-here")
    False
    """

    def __init__(self) -> None:
        self._records: dict[str, ReadRecord] = {}
        # Tool bodies run in worker threads; parallel reads may record at the same time.
        self._lock = threading.Lock()

    @staticmethod
    def _key(path: str | os.PathLike[str]) -> str:
        return os.path.realpath(os.fspath(path))

    def record(self, path: str | os.PathLike[str]) -> None:
        """Remember that ``path`` was read (or written) in its current state."""
        key = self._key(path)
        try:
            st = os.stat(key)
        except OSError:
            return
        with self._lock:
            self._records[key] = ReadRecord(st.st_mtime_ns, st.st_size)

    def was_read(self, path: str | os.PathLike[str]) -> bool:
        with self._lock:
            return self._key(path) in self._records

    def forget(self, path: str | os.PathLike[str]) -> None:
        with self._lock:
            self._records.pop(self._key(path), None)

    def stale_reason(self, path: str | os.PathLike[str]) -> str | None:
        """Why writing ``path`` now would be unsafe, or None when it is safe.

        Safe: the file does not exist, or it was read and has not changed since.
        """
        key = self._key(path)
        try:
            st = os.stat(key)
        except FileNotFoundError:
            return None
        with self._lock:
            rec = self._records.get(key)
        if rec is None:
            return "has not been read yet"
        if (st.st_mtime_ns, st.st_size) != (rec.mtime_ns, rec.size):
            return "changed on disk since it was last read"
        return None

    def __len__(self) -> int:
        return len(self._records)


DEFAULT_READ_STATE = FileReadState()
"""Read-state for tools run without an agent (one per process)."""


def read_state_for(context: ToolContext | None) -> FileReadState:
    """The read-state of the agent running the tool (created on first use), else the default."""
    if context is None:
        return DEFAULT_READ_STATE
    state = getattr(context, "file_read_state", None)
    if state is not None:
        return state
    agent = getattr(context, "agent", None)
    if agent is not None:
        # Agent.file_read_state starts as None; the first file tool call creates it.
        state = getattr(agent, "file_read_state", None)
        if state is None:
            state = FileReadState()
            try:
                agent.file_read_state = state
            except AttributeError:
                return DEFAULT_READ_STATE
        context.file_read_state = state
        return state
    return DEFAULT_READ_STATE


# --------------------------------------------------------------------------- path guard


class PathGuard:
    """A write sandbox: writes are allowed only under ``allowed_roots``.

    >>> PathGuard(["/srv/app"]).check_write("/etc/passwd")
    Traceback (most recent call last):
    ...
    PermissionError: writing /etc/passwd is not allowed: it is outside the allowed roots (/srv/app)
    """

    def __init__(self, allowed_roots: Iterable[str | os.PathLike[str]]) -> None:
        self.allowed_roots: list[Path] = [
            Path(os.path.realpath(os.fspath(r))) for r in allowed_roots
        ]
        """Folders (resolved) under which writing is allowed."""

    def allows(self, path: str | os.PathLike[str]) -> bool:
        target = Path(os.path.realpath(os.fspath(path)))
        return any(target == root or root in target.parents for root in self.allowed_roots)

    def check_write(self, path: str | os.PathLike[str]) -> None:
        """Raise PermissionError when ``path`` is outside every allowed root."""
        if not self.allows(path):
            roots = ", ".join(str(r) for r in self.allowed_roots) or "none"
            raise PermissionError(
                f"writing {path} is not allowed: it is outside the allowed roots ({roots})"
            )


def check_write_allowed(path: Path, context: ToolContext | None) -> None:
    """Raise FileToolError when the context's path guard refuses writing ``path``."""
    guard = getattr(context, "path_guard", None) if context is not None else None
    if guard is None:
        return
    try:
        guard.check_write(path)
    except PermissionError as exc:
        raise FileToolError(f"write refused by the sandbox: {exc}") from None


# --------------------------------------------------------------------------- paths and files


def working_dir(context: ToolContext | None) -> Path:
    wd = getattr(context, "working_dir", None) if context is not None else None
    return Path(wd) if wd is not None else Path.cwd()


def resolve_path(raw: Any, context: ToolContext | None, *, arg: str = "path") -> Path:
    """Absolute, normalised path of ``raw`` against the agent's working dir (never chdir)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FileToolError(f"missing required argument '{arg}'")
    p = Path(os.path.expanduser(str(raw).strip()))
    if not p.is_absolute():
        p = working_dir(context) / p
    return Path(os.path.normpath(p))


def display_path(path: Path, context: ToolContext | None) -> str:
    """``path`` relative to the working dir when inside it (shorter for the model), else absolute."""
    try:
        rel = path.relative_to(working_dir(context))
    except ValueError:
        return str(path)
    return rel.as_posix() or "."


def is_binary(sample: bytes) -> bool:
    return b"\x00" in sample[:BINARY_SNIFF_BYTES]


def read_text_file(path: Path) -> str:
    """The file's text, exactly (line endings kept); errors say what to do."""
    if not path.exists():
        raise FileToolError(f"file not found: {path}")
    if path.is_dir():
        raise FileToolError(f"{path} is a directory, not a file")
    data = path.read_bytes()
    if is_binary(data):
        raise FileToolError(f"{path} is a binary file; it cannot be edited as text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileToolError(
            f"{path} is not valid UTF-8 (byte {exc.start}); it cannot be edited as text"
        ) from None


def require_fresh_read(path: Path, context: ToolContext | None, verb: str) -> None:
    """Refuse to ``verb`` a file the agent has not read, or that changed since it was read."""
    reason = read_state_for(context).stale_reason(path)
    if reason is not None:
        raise FileToolError(
            f"cannot {verb} {path}: the file {reason}. Read it first with the `read` tool, "
            f"then retry."
        )


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temp file and os.replace (keeps the old mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    mode: int | None = None
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        if mode is not None:
            os.chmod(tmp, mode)
        else:  # mkstemp creates 0600; a new file gets the usual umask-based mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- arguments


def str_arg(args: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = args.get(name)
    if value is None:
        if required:
            raise FileToolError(f"missing required argument '{name}'")
        return None
    return value if isinstance(value, str) else str(value)


def int_arg(
    args: Mapping[str, Any], name: str, default: int | None, minimum: int = 0
) -> int | None:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FileToolError(f"argument '{name}' must be an integer, got {value!r}") from None
    if number < minimum:
        raise FileToolError(f"argument '{name}' must be >= {minimum}, got {number}")
    return number


def bool_arg(args: Mapping[str, Any], name: str, default: bool) -> bool:
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        raise FileToolError(f"argument '{name}' must be true or false, got {value!r}")
    return bool(value)


# --------------------------------------------------------------------------- base class


class FileTool(BaseTool):
    """Base of the file tools: DIRECT, context-aware, blocking body run in a worker thread."""

    needs_context = True
    usage: str = ""
    """Extra long-form documentation appended to the generated argument list."""

    @property
    def execution_mode(self) -> ExecutionMode:
        return ExecutionMode.DIRECT

    def get_full_documentation(self, tool_format: str = "native") -> str:
        base = super().get_full_documentation(tool_format)
        return base + ("\n## Notes\n" + self.usage.strip() + "\n" if self.usage else "")

    async def _execute(self, args: dict[str, Any], **kwargs: Any) -> ToolResult:
        context = kwargs.get("context")
        try:
            return await asyncio.to_thread(self.run, args or {}, context)
        except FileToolError as exc:
            return ToolResult(error=str(exc))
        except PermissionError as exc:
            return ToolResult(error=f"permission denied: {exc}")
        except OSError as exc:
            return ToolResult(error=f"{type(exc).__name__}: {exc}")

    def run(self, args: Mapping[str, Any], context: ToolContext | None) -> ToolResult:
        """The tool's blocking body (runs in a worker thread)."""
        raise NotImplementedError


__all__ = [
    "DEFAULT_READ_STATE",
    "FileReadState",
    "FileTool",
    "FileToolError",
    "PathGuard",
    "ReadRecord",
    "atomic_write",
    "check_write_allowed",
    "display_path",
    "is_binary",
    "read_state_for",
    "read_text_file",
    "require_fresh_read",
    "resolve_path",
]
