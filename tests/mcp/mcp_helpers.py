"""Helpers shared by the MCP client tests: server entries and the HTTP test server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

SERVERS = Path(__file__).parent / "servers"
TOOLS_SERVER = SERVERS / "tools_server.py"
TIME_SERVER = shutil.which("mcp-server-time")


def stdio_entry(name: str = "tools", **extra: Any) -> dict[str, Any]:
    """A ``mcp_servers`` entry starting the test server over stdio."""
    return {"name": name, "command": sys.executable, "args": [str(TOOLS_SERVER)], **extra}


def time_entry(name: str = "time") -> dict[str, Any]:
    """A ``mcp_servers`` entry for the published ``mcp-server-time`` (UTC)."""
    if TIME_SERVER is None:
        pytest.skip("mcp-server-time is not installed (dev extra)")
    return {"name": name, "command": TIME_SERVER, "args": ["--local-timezone", "UTC"]}


class HttpServer:
    """A running ``tools_server.py --http`` (or ``--sse``) process."""

    def __init__(self, flag: str = "--http") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(TOOLS_SERVER), flag],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()))
        reader.start()
        reader.join(timeout=30)
        if not line or not line[0].startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the HTTP test server did not start: {line!r}")
        self.port = int(line[0].split()[1])
        path = "/sse" if flag == "--sse" else "/mcp"
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.transport = "sse" if flag == "--sse" else "http"

    def entry(self, name: str = "web", **extra: Any) -> dict[str, Any]:
        return {"name": name, "transport": self.transport, "url": self.url, **extra}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
