"""A small MCP server for the tests, written with the ``mcp`` SDK.

``python tools_server.py`` serves over stdio; ``--http`` serves streamable HTTP (at ``/mcp``) and
``--sse`` legacy SSE (at ``/sse``) on 127.0.0.1 with an ephemeral port, printing ``PORT <n>`` on
stdout once it listens.

Tools: ``add(a, b)``, ``echo(text)``, ``slow(seconds)``, ``fail()`` (raises), ``exit_server()``
(ends the process mid-call), ``pixel()`` (text and a PNG), ``grow(name)`` (adds a tool and sends
``notifications/tools/list_changed``), ``pid()``, ``whoami()`` (the ``X-Test`` header over HTTP,
``KT_TEST_ENV`` over stdio).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.utilities.types import Image

# 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

server = MCPServer("kt-test-tools", log_level="WARNING")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep for the given seconds, then answer 'done'."""
    await asyncio.sleep(seconds)
    return "done"


@server.tool()
def fail() -> str:
    """Always raise."""
    raise ValueError("this tool always fails")


@server.tool()
def exit_server() -> str:
    """End the server process without answering."""
    sys.stdout.flush()
    os._exit(3)


@server.tool()
def pixel() -> list:
    """A caption and a 1x1 PNG."""
    return ["a pixel", Image(data=PNG, format="png")]


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
def whoami(ctx: Context) -> str:
    """The X-Test request header (HTTP) or the KT_TEST_ENV variable (stdio)."""
    headers = ctx.headers or {}
    return headers.get("x-test") or os.environ.get("KT_TEST_ENV", "")


@server.tool()
async def grow(name: str, ctx: Context) -> str:
    """Add a tool called ``name`` and tell the client the tool list changed."""

    def extra(text: str) -> str:
        return text.upper()

    server.add_tool(extra, name=name, description="Upper-case the text.")
    await ctx.session.send_tool_list_changed()
    return f"added {name}"


def serve_http(sse: bool = False) -> None:
    """Serve streamable HTTP (or legacy SSE) on an ephemeral 127.0.0.1 port; print the port."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = server.sse_app(host="127.0.0.1") if sse else server.streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(app, log_level="warning", lifespan="on")

    class _Announcing(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            print(f"PORT {port}", flush=True)

    _Announcing(config).run(sockets=[sock])


if __name__ == "__main__":
    if "--http" in sys.argv or "--sse" in sys.argv:
        serve_http(sse="--sse" in sys.argv)
    else:
        server.run()
