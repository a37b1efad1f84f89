"""Real MCP servers for the MCP client tests.

``tools_server.py`` (in ``servers/``) is written with the ``mcp`` SDK; it runs over stdio (a fresh
process per connection) or as a streamable-HTTP server on an ephemeral 127.0.0.1 port (one
process per test module). ``mcp-server-time`` is the published server from PyPI. Modules that
talk to real servers skip themselves when the ``mcp`` package is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_helpers import HttpServer


@pytest.fixture(scope="module")
def http_server() -> Iterator[HttpServer]:
    """One streamable-HTTP test server per module (it is a separate process: loop-independent)."""
    server = HttpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``$KT_CONFIG_DIR`` (so the global MCP catalog is the test's own)."""
    home = tmp_path / "kt-home"
    monkeypatch.setenv("KT_CONFIG_DIR", str(home))
    return home
