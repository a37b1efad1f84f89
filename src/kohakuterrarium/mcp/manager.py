"""``MCPClientManager``: one live session per MCP server, with timeouts and reconnects.

>>> manager = MCPClientManager()                                              # doctest: +SKIP
>>> info = await manager.connect({"name": "time", "command": "mcp-server-time"})  # doctest: +SKIP
>>> info.status, [t.name for t in info.tools]                                 # doctest: +SKIP
('connected', ['get_current_time', 'convert_time'])
>>> (await manager.call_tool("time", "get_current_time", {"timezone": "UTC"})).output  # doctest: +SKIP
>>> await manager.shutdown()                                                  # doctest: +SKIP

Each server's session lives in its own *owner task*: the SDK's transports are anyio task groups
that must be entered and exited by the same task, so that task opens the session, lists the
tools, then sleeps until it is told to refresh the tool list or to close. Calls are sent from the
caller's task (the session allows that) and bounded by the server's ``call_timeout``.

Failure handling:

- a server that cannot start or connect within ``connect_timeout`` gets ``status="error"`` and a
  one-line ``error``; ``connect`` returns that info instead of raising, so the creature runs on;
- a server that exits during a call fails that call with an :class:`MCPError` (its outcome is
  unknown, so it is never retried); the next call reconnects once, and fails with an
  ``MCPError`` if that reconnect fails;
- a server found dead *before* a call is sent (it exited while idle) is reconnected and the
  call goes through: nothing had been sent, so nothing can run twice;
- ``notifications/tools/list_changed`` makes the owner task re-list the tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from kohakuterrarium.errors import MCPError, did_you_mean
from kohakuterrarium.mcp import transport as sdk
from kohakuterrarium.mcp.config import MCPServerConfig, as_server_config
from kohakuterrarium.mcp.results import MCPToolInfo, tool_info_from_sdk, tool_result_from_sdk
from kohakuterrarium.modules.tool.base import ToolResult
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

ServerStatus = Literal["connected", "disconnected", "error"]

_CLOSE_GRACE_S = 8.0
"""How long a closing owner task may take (stdio: close stdin, 2 s, SIGTERM, 2 s, SIGKILL)."""
_TIMEOUT_MARGIN_S = 2.0
"""Our own deadline sits this far past the SDK's request timeout, which fires first normally."""
_STDERR_TAIL_CHARS = 600
"""How much of a dead stdio server's stderr goes into the error message."""


@dataclass
class MCPServerInfo:
    """What the manager knows about one server."""

    config: MCPServerConfig
    """How the server is reached."""
    tools: list[MCPToolInfo] = field(default_factory=list)
    """Its tools, as last listed."""
    status: ServerStatus = "disconnected"
    """connected, disconnected (closed or lost) or error (could not connect)."""
    error: str | None = None
    """Why the server is not connected, when it is not."""

    @property
    def name(self) -> str:
        return self.config.name

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (for APIs and UIs)."""
        return {
            "name": self.name,
            "transport": self.config.transport,
            "target": self.config.target(),
            "status": self.status,
            "error": self.error,
            "tools": [
                {"name": t.name, "description": t.description, "input_schema": t.input_schema}
                for t in self.tools
            ],
        }


class _ServerConnection:
    """One server: its owner task, its live client and its reconnect state."""

    def __init__(
        self,
        config: MCPServerConfig,
        cwd: Path | None,
        on_tools_changed: Callable[[str], None],
    ) -> None:
        self.config = config
        self.info = MCPServerInfo(config=config)
        self._cwd = cwd
        self._on_tools_changed = on_tools_changed
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._refresh_wanted = False
        self._dead = False
        self._closed = False
        self._lock = asyncio.Lock()
        self._errlog: IO[bytes] | None = None

    @property
    def name(self) -> str:
        return self.config.name

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Start the owner task and wait for the session; raises MCPError (status "error")."""
        self._close_errlog()
        if self.config.transport == "stdio":
            # A real file: the server's stderr goes straight to its descriptor, and its tail
            # explains a crash better than "connection closed" does.
            self._errlog = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._dead = False
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._own(ready), name=f"kt-mcp-{self.name}")
        try:
            await asyncio.wait(
                {ready, self._task},
                timeout=self.config.connect_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except asyncio.CancelledError:
            await self._stop_owner(cancel=True)
            raise
        if not ready.done():
            # Cancel without waiting: a stdio teardown may take seconds (stdin close, SIGTERM,
            # SIGKILL) and connect must stay within connect_timeout. close() awaits the task.
            self._stop.set()
            self._task.cancel()
            ready.cancel()
            reason = f"did not connect within {self.config.connect_timeout:g}s{self._stderr_tail()}"
            self._set_status("error", reason)
            raise MCPError(self._message(reason))
        if ready.cancelled():
            raise MCPError(self._message(self.info.error or "connection was cancelled"))
        exc = ready.exception()
        if exc is not None:
            raise exc

    async def close(self) -> None:
        """Close the session for good (idempotent)."""
        self._closed = True
        await self._stop_owner(cancel=False)
        self._set_status("disconnected", None)
        self._close_errlog()

    async def _stop_owner(self, *, cancel: bool) -> None:
        task = self._task
        if task is None or task.done():
            return
        self._stop.set()
        self._wake.set()
        if cancel:
            task.cancel()
        _, pending = await asyncio.wait({task}, timeout=_CLOSE_GRACE_S)
        if pending:  # a transport that ignores a polite close: cancel it outright
            task.cancel()
            await asyncio.wait({task}, timeout=_CLOSE_GRACE_S)

    async def _own(self, ready: asyncio.Future[None]) -> None:
        """The owner task: open the session, keep it, refresh tools on request, close it."""
        try:
            async with contextlib.AsyncExitStack() as stack:
                client = await sdk.open_client(
                    stack,
                    self.config,
                    cwd=self._cwd,
                    errlog=self._errlog,
                    message_handler=self._on_message,
                )
                tools = await sdk.list_all_tools(client)
                self._client = client
                self.info.tools = [tool_info_from_sdk(t) for t in tools]
                self._set_status("connected", None)
                if not ready.done():
                    ready.set_result(None)
                logger.info("mcp server connected", server=self.name, tools=len(tools))
                while not self._stop.is_set():
                    await self._wake.wait()
                    self._wake.clear()
                    if self._refresh_wanted and not self._stop.is_set():
                        self._refresh_wanted = False
                        await self._refresh_in_owner(client)
        except asyncio.CancelledError:
            raise
        except MCPError as exc:  # our own: already worded (e.g. the SDK is missing)
            self._owner_failed(ready, str(exc), exc)
        except Exception as exc:
            self._owner_failed(ready, sdk.describe_failure(exc, self.config), exc)
        finally:
            if not ready.done():
                ready.cancel()
            # An owner abandoned after a slow teardown must not touch its successor's state.
            if self._task is asyncio.current_task():
                self._client = None
                self._dead = True
                if self.info.status == "connected":
                    lost = None if self._stop.is_set() else "connection lost"
                    self._set_status("disconnected", lost)

    def _owner_failed(self, ready: asyncio.Future[None], reason: str, exc: BaseException) -> None:
        if self._task is not asyncio.current_task():
            logger.debug("abandoned mcp session ended", server=self.name, error=repr(exc))
        elif not ready.done():
            reason = f"failed to connect: {reason}{self._stderr_tail()}"
            self._set_status("error", reason)
            ready.set_exception(MCPError(self._message(reason)))
            logger.warning("mcp server failed to connect", server=self.name, error=reason)
        elif not self._stop.is_set():
            reason = f"connection lost: {reason}{self._stderr_tail()}"
            self._set_status("disconnected", reason)
            logger.warning("mcp server connection lost", server=self.name, error=reason)
        else:
            logger.debug("mcp session closed with an error", server=self.name, error=repr(exc))

    async def _refresh_in_owner(self, client: Any) -> None:
        try:
            tools = await asyncio.wait_for(
                sdk.list_all_tools(client), self.config.call_timeout + _TIMEOUT_MARGIN_S
            )
        except Exception as exc:  # keep the old list; the next change notification retries
            logger.warning(
                "mcp tool list refresh failed",
                server=self.name,
                error=sdk.describe_failure(exc, self.config),
            )
            return
        self.info.tools = [tool_info_from_sdk(t) for t in tools]
        logger.info("mcp tool list refreshed", server=self.name, tools=len(tools))
        self._on_tools_changed(self.name)

    async def _on_message(self, message: Any) -> None:
        """Server notifications (and transport exceptions) pushed on the session."""
        if isinstance(message, Exception):
            logger.debug("mcp transport reported", server=self.name, error=repr(message))
            return
        method = getattr(message, "method", None) or getattr(
            getattr(message, "root", None), "method", None
        )
        if method == "notifications/tools/list_changed":
            self._refresh_wanted = True
            self._wake.set()

    # ------------------------------------------------------------------ calls

    def is_alive(self) -> bool:
        return (
            not self._dead
            and self._client is not None
            and self._task is not None
            and not self._task.done()
            and not sdk.transport_closed(self._client)
        )

    def probe(self) -> None:
        """Mark a session whose server went away while idle as disconnected."""
        if self.info.status == "connected" and not self.is_alive():
            self._set_status("disconnected", "connection lost" + self._stderr_tail())

    async def _usable_client(self) -> Any:
        async with self._lock:
            if self._closed:
                raise MCPError(self._message("was disconnected; connect it again with mcp_connect"))
            if self.is_alive():
                return self._client
            previous = self.info.error or "not connected"
            logger.info("mcp server reconnecting", server=self.name, reason=previous)
            await self._stop_owner(cancel=True)
            try:
                await self.open()
            except MCPError as exc:
                now = self.info.error or str(exc)
                was = "" if now == previous else f" (it was down: {previous})"
                raise MCPError(
                    self._message(f"is unavailable; reconnecting just now failed: {now}{was}")
                ) from exc
            return self._client

    async def refresh_tools(self) -> list[MCPToolInfo]:
        client = await self._usable_client()
        try:
            tools = await asyncio.wait_for(
                sdk.list_all_tools(client), self.config.call_timeout + _TIMEOUT_MARGIN_S
            )
        except Exception as exc:
            raise MCPError(
                self._message(f"could not list tools: {sdk.describe_failure(exc, self.config)}")
            ) from exc
        self.info.tools = [tool_info_from_sdk(t) for t in tools]
        self._on_tools_changed(self.name)
        return self.info.tools

    async def call(self, tool: str, args: dict[str, Any], timeout: float) -> Any:
        """Call ``tool``; returns the SDK's CallToolResult or raises MCPError."""
        client = await self._usable_client()
        stderr_mark = self._stderr_size()
        try:
            return await asyncio.wait_for(
                client.call_tool(tool, args, read_timeout_seconds=timeout),
                timeout + _TIMEOUT_MARGIN_S,
            )
        except asyncio.CancelledError:
            raise
        except TimeoutError as exc:
            raise MCPError(self._timeout_message(tool, timeout)) from exc
        except Exception as exc:
            code = sdk.error_code(exc)
            if code == sdk.REQUEST_TIMEOUT:
                raise MCPError(self._timeout_message(tool, timeout)) from exc
            if code == sdk.CONNECTION_CLOSED or not self.is_alive():
                self._mark_dead()
                raise MCPError(
                    self._message(
                        f"closed the connection while running '{tool}'"
                        f"{self._stderr_tail(stderr_mark)}; "
                        "the call's outcome is unknown. The next call reconnects"
                    )
                ) from exc
            raise MCPError(
                self._message(f"call to '{tool}' failed: {sdk.describe_failure(exc, self.config)}")
            ) from exc

    def _mark_dead(self) -> None:
        self._dead = True
        self._set_status("disconnected", "the server exited or closed the connection")
        self._stop.set()  # let the owner task tear the transport down
        self._wake.set()

    # ------------------------------------------------------------------ helpers

    def _timeout_message(self, tool: str, timeout: float) -> str:
        return self._message(
            f"tool '{tool}' did not answer within {timeout:g}s "
            "(raise call_timeout for this server if it is slow)"
        )

    def _message(self, text: str) -> str:
        return f"MCP server '{self.name}' {text}"

    def _set_status(self, status: ServerStatus, error: str | None) -> None:
        self.info.status = status
        self.info.error = error

    def _stderr_size(self) -> int:
        errlog = self._errlog
        if errlog is None or errlog.closed:
            return 0
        try:
            return os.fstat(errlog.fileno()).st_size
        except (OSError, ValueError):
            return 0

    def _stderr_tail(self, since: int = 0) -> str:
        """``; server stderr: ...``: what the stdio server wrote since byte ``since`` (or "")."""
        errlog = self._errlog
        if errlog is None or errlog.closed:
            return ""
        try:
            # pread: the server shares this descriptor's file offset, so never move it.
            fd = errlog.fileno()
            size = os.fstat(fd).st_size
            start = max(since, size - 4 * _STDERR_TAIL_CHARS)
            text = os.pread(fd, size - start, start).decode("utf-8", "replace")
        except (OSError, ValueError, AttributeError):  # AttributeError: no pread (Windows)
            return ""
        text = text.strip()
        if not text:
            return ""
        if len(text) > _STDERR_TAIL_CHARS:
            text = "..." + text[-_STDERR_TAIL_CHARS:]
        return f"; server stderr: {' | '.join(line for line in text.splitlines() if line)}"

    def _close_errlog(self) -> None:
        if self._errlog is not None:
            with contextlib.suppress(OSError):
                self._errlog.close()
            self._errlog = None


class MCPClientManager:
    """The MCP servers of one agent (or of any program): connect, call, list, shut down."""

    def __init__(self, *, cwd: str | Path | None = None) -> None:
        self._servers: dict[str, _ServerConnection] = {}
        self._cwd = Path(cwd) if cwd is not None else None
        self.tools_changed_listeners: list[Callable[[str], Any]] = []
        """Called with a server name whenever that server's tool list was re-listed."""

    # ------------------------------------------------------------------ servers

    async def connect(self, config: MCPServerConfig | Mapping[str, Any]) -> MCPServerInfo:
        """Connect to a server (replacing one of the same name); never raises for the server.

        A server that fails comes back with ``status="error"`` and ``error`` set. Invalid
        configs raise ``ConfigError``.
        """
        cfg = as_server_config(config)
        old = self._servers.pop(cfg.name, None)
        if old is not None:
            await old.close()
        conn = _ServerConnection(cfg, self._cwd, self._tools_changed)
        self._servers[cfg.name] = conn
        with contextlib.suppress(MCPError):
            await conn.open()
        return conn.info

    async def connect_all(
        self, configs: Iterable[MCPServerConfig | Mapping[str, Any]]
    ) -> list[MCPServerInfo]:
        """Connect several servers concurrently, each bounded by its own connect timeout."""
        cfgs = [as_server_config(c) for c in configs]
        names = [c.name for c in cfgs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise MCPError(f"MCP server names must be unique; repeated: {', '.join(duplicates)}")
        return list(await asyncio.gather(*(self.connect(c) for c in cfgs)))

    async def disconnect(self, name: str) -> bool:
        """Close and forget a server; False if there was none of that name."""
        conn = self._servers.pop(name, None)
        if conn is None:
            return False
        await conn.close()
        return True

    async def shutdown(self) -> None:
        """Close every server (concurrently)."""
        conns = list(self._servers.values())
        self._servers.clear()
        if conns:
            await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)

    # ------------------------------------------------------------------ inspection

    def list_servers(self) -> list[MCPServerInfo]:
        """Every known server, in connection order, with a fresh status."""
        for conn in self._servers.values():
            conn.probe()
        return [conn.info for conn in self._servers.values()]

    def get_server(self, name: str) -> MCPServerInfo | None:
        conn = self._servers.get(name)
        if conn is None:
            return None
        conn.probe()
        return conn.info

    def get_server_tools(self, name: str) -> list[MCPToolInfo]:
        """The tools of ``name`` as last listed; MCPError for an unknown server."""
        return list(self._require(name).info.tools)

    def server_names(self) -> list[str]:
        return list(self._servers)

    async def refresh_tools(self, name: str) -> list[MCPToolInfo]:
        """Re-list the tools of ``name`` now."""
        return await self._require(name).refresh_tools()

    # ------------------------------------------------------------------ calls

    async def call_tool(
        self,
        server: str,
        tool: str,
        args: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> ToolResult:
        """Call ``tool`` on ``server``.

        Returns a ToolResult (text joined, images as parts, the server's ``isError`` as
        ``error``). Raises MCPError for an unknown server or tool, a timeout, a dead server.
        """
        conn = self._require(server)
        if args is not None and not isinstance(args, Mapping):
            raise MCPError(
                f"arguments for MCP tool '{tool}' must be an object, got {type(args).__name__}"
            )
        known = [t.name for t in conn.info.tools]
        if conn.info.status == "connected" and known and tool not in known:
            hint = did_you_mean(tool, known) or f"its tools: {', '.join(known)}"
            raise MCPError(f"MCP server '{server}' has no tool '{tool}' ({hint})")
        limit = timeout if timeout is not None and timeout > 0 else conn.config.call_timeout
        result = await conn.call(tool, dict(args or {}), limit)
        return tool_result_from_sdk(result, server=server, tool=tool)

    # ------------------------------------------------------------------ prompt

    def prompt_block(self, *, max_tools: int = 60) -> str:
        """The ``## Available MCP Tools`` block for the system prompt ("" with no servers)."""
        from kohakuterrarium.mcp.prompt import format_tools_prompt

        return format_tools_prompt(self.list_servers(), max_tools=max_tools)

    # ------------------------------------------------------------------ internals

    def _require(self, name: str) -> _ServerConnection:
        conn = self._servers.get(name)
        if conn is None:
            known = list(self._servers)
            hint = did_you_mean(name, known) or (
                f"connected servers: {', '.join(known)}" if known else "no MCP server is connected"
            )
            raise MCPError(f"unknown MCP server '{name}' ({hint})")
        return conn

    def _tools_changed(self, name: str) -> None:
        for listener in list(self.tools_changed_listeners):
            try:
                listener(name)
            except Exception:
                logger.exception("mcp tools-changed listener failed", server=name)


__all__ = ["MCPClientManager", "MCPServerInfo", "MCPToolInfo", "ServerStatus"]
