"""Everything that touches the ``mcp`` SDK itself: opening a client session, reading errors.

Imported only when a server is connected, so an agent without the SDK installed still builds and
starts (it gets a clear :class:`~kohakuterrarium.errors.MCPError` when it tries to connect).

Written against ``mcp`` 2.x (``mcp.Client`` over a transport context manager). Sessions use the
``legacy`` handshake (``initialize``): every published server speaks it, whichever SDK
generation it was built with, and it is the era in which servers push
``notifications/tools/list_changed`` on the session itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from kohakuterrarium.errors import MCPError
from kohakuterrarium.mcp.config import MCPServerConfig

CONNECTION_CLOSED = -32000
"""JSON-RPC error code the SDK uses when the transport closed (``mcp_types.CONNECTION_CLOSED``)."""
REQUEST_TIMEOUT = -32001
"""JSON-RPC error code the SDK uses when a request ran past its read timeout."""

CONNECT_MODE = "legacy"
"""Protocol negotiation of every session (see the module docstring)."""

MessageHandler = Callable[[Any], Awaitable[None]]


def require_sdk() -> None:
    """Raise a clear MCPError when the ``mcp`` package is missing."""
    try:
        import mcp  # noqa: F401
    except ImportError as exc:
        raise MCPError(
            "the 'mcp' package is not installed; install it with: pip install 'kohakuterrarium[mcp]'"
        ) from exc


async def open_client(
    stack: contextlib.AsyncExitStack,
    config: MCPServerConfig,
    *,
    cwd: Path | None,
    errlog: IO[Any] | None,
    message_handler: MessageHandler,
) -> Any:
    """Enter an ``mcp.Client`` for ``config`` on ``stack`` and return it (handshake done).

    Must run in the task that will later exit ``stack``: the SDK's transports are anyio task
    groups, which refuse to be exited from another task.
    """
    require_sdk()
    from mcp.types import Implementation

    from kohakuterrarium._version import __version__
    from mcp import Client

    transport: Any
    if config.transport == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=str(config.command),
            args=list(config.args),
            env=dict(config.env) or None,
            cwd=config.cwd or (str(cwd) if cwd is not None else None),
        )
        transport = (
            stdio_client(params, errlog=errlog) if errlog is not None else stdio_client(params)
        )
    elif config.transport == "streamable_http":
        from mcp.client.streamable_http import streamable_http_client

        http_client = None
        if config.headers:
            from mcp.shared._httpx_utils import create_mcp_http_client

            http_client = await stack.enter_async_context(
                create_mcp_http_client(headers=dict(config.headers))
            )
        transport = streamable_http_client(str(config.url), http_client=http_client)
    else:
        from mcp.client.sse import sse_client

        transport = sse_client(str(config.url), headers=dict(config.headers) or None)

    client = Client(
        transport,
        mode=CONNECT_MODE,
        message_handler=message_handler,
        read_timeout_seconds=config.call_timeout,
        client_info=Implementation(name="kohakuterrarium", version=__version__),
        # Tool lists are cached by us and refreshed on list_changed; a second cache in the SDK
        # would only serve stale listings.
        cache=None,
    )
    return await stack.enter_async_context(client)


async def list_all_tools(client: Any, *, max_pages: int = 50) -> list[Any]:
    """Every tool of the server, following pagination (bounded, so a bad cursor cannot loop)."""
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(max_pages):
        page = await client.list_tools(cursor=cursor) if cursor else await client.list_tools()
        tools.extend(page.tools)
        cursor = getattr(page, "next_cursor", None) or getattr(page, "nextCursor", None)
        if not cursor:
            break
    return tools


def transport_closed(client: Any) -> bool:
    """Whether the client's connection has already closed (the server exited or hung up).

    The SDK offers no public liveness probe; its dispatcher's ``_closed`` flag is what makes the
    next request fail with CONNECTION_CLOSED *before anything is sent*, so when it is set a
    reconnect-and-call cannot run a tool twice. Unknown SDK shapes read as "open".
    """
    session = getattr(client, "_session", None)
    dispatcher = getattr(session, "_dispatcher", None)
    return bool(getattr(dispatcher, "_closed", False))


def error_code(exc: BaseException) -> int | None:
    """The JSON-RPC code of an SDK ``MCPError`` (None for anything else)."""
    code = getattr(exc, "code", None)
    if code is None:
        code = getattr(getattr(exc, "error", None), "code", None)
    return code if isinstance(code, int) else None


def leaf_errors(exc: BaseException) -> list[BaseException]:
    """The leaf exceptions of a (possibly nested) exception group."""
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for sub in exc.exceptions:
            out.extend(leaf_errors(sub))
        return out
    return [exc]


def describe_failure(exc: BaseException, config: MCPServerConfig) -> str:
    """One line saying why connecting to / talking with the server failed."""
    leaves = leaf_errors(exc)
    leaf = leaves[0] if leaves else exc
    if isinstance(leaf, FileNotFoundError) and config.transport == "stdio":
        return f"command '{config.command}' was not found (is it installed and on PATH?)"
    if isinstance(leaf, PermissionError) and config.transport == "stdio":
        return f"command '{config.command}' is not executable"
    if error_code(leaf) == CONNECTION_CLOSED:
        return "the server closed the connection"
    if error_code(leaf) == REQUEST_TIMEOUT:
        return f"the server did not answer within {config.call_timeout:g}s"
    name = type(leaf).__name__
    if "ConnectError" in name or "ConnectTimeout" in name:
        return f"cannot reach {config.url} ({leaf})"
    text = str(leaf).strip() or name
    return f"{name}: {text}" if name not in text else text


__all__ = [
    "CONNECTION_CLOSED",
    "CONNECT_MODE",
    "REQUEST_TIMEOUT",
    "describe_failure",
    "error_code",
    "leaf_errors",
    "list_all_tools",
    "open_client",
    "require_sdk",
    "transport_closed",
]
