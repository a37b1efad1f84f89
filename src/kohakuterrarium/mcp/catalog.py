"""The global MCP catalog: ``~/.kohakuterrarium/mcp_servers.yaml`` (or ``$KT_CONFIG_DIR/...``).

A top-level YAML list of server entries (the same keys as a creature's ``mcp_servers:``). It is
never attached to an agent automatically: ``mcp_connect`` can name an entry, and ``kt mcp``
manages the file. The location is read at call time, so tests and tools that set
``KT_CONFIG_DIR`` see their own catalog.

>>> add_global_server({"name": "time", "command": "mcp-server-time"})     # doctest: +SKIP
>>> [s.name for s in load_global_servers()]                               # doctest: +SKIP
['time']
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import BadValueError, ConfigError
from kohakuterrarium.mcp.config import MCPServerConfig, as_server_config

CATALOG_FILE = "mcp_servers.yaml"
"""File name of the catalog inside the home directory."""
HOME_ENV = "KT_CONFIG_DIR"
"""Environment variable that moves the home directory (same as the CLI's)."""


def catalog_path() -> Path:
    """Where the catalog lives now (the file need not exist)."""
    # Same rule as cli.home.kt_home(); duplicated because mcp/ may not import the CLI layer.
    override = os.environ.get(HOME_ENV)
    home = Path(override).expanduser() if override else Path.home() / ".kohakuterrarium"
    return home / CATALOG_FILE


def load_global_servers() -> list[MCPServerConfig]:
    """Every catalog entry, validated; [] when the file does not exist."""
    path = catalog_path()
    entries = _read(path)
    servers = [MCPServerConfig.from_dict(entry, file=str(path)) for entry in entries]
    seen: set[str] = set()
    for server in servers:
        if server.name in seen:
            raise BadValueError(
                f"MCP server '{server.name}' is listed twice",
                file=str(path),
                key=f"mcp_servers.{server.name}",
                hint="remove one of the entries",
            )
        seen.add(server.name)
    return servers


def get_global_server(name: str) -> MCPServerConfig | None:
    """The catalog entry called ``name``, or None."""
    for server in load_global_servers():
        if server.name == name:
            return server
    return None


def add_global_server(config: MCPServerConfig | Mapping[str, Any]) -> MCPServerConfig:
    """Add (or replace, by name) an entry; returns the validated config."""
    cfg = as_server_config(config)
    servers = load_global_servers()
    names = [s.name for s in servers]
    if cfg.name in names:  # replace in place, keeping its position in the file
        servers[names.index(cfg.name)] = cfg
    else:
        servers.append(cfg)
    _write(catalog_path(), [s.to_dict() for s in servers])
    return cfg


def remove_global_server(name: str) -> bool:
    """Remove the entry called ``name``; False when there was none."""
    servers = load_global_servers()
    kept = [s for s in servers if s.name != name]
    if len(kept) == len(servers):
        return False
    _write(catalog_path(), [s.to_dict() for s in kept])
    return True


def _read(path: Path) -> list[Any]:
    if not path.exists():
        return []
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"not valid YAML: {exc}", file=str(path), hint="fix or delete the file"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the MCP catalog: {exc}", file=str(path)) from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise BadValueError(
            f"the MCP catalog must be a YAML list of servers, got {type(data).__name__}",
            file=str(path),
            hint="- {name: time, command: mcp-server-time}",
        )
    return data


def _write(path: Path, entries: list[dict[str, Any]]) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True) if entries else "[]\n"
    # Write then rename, so a crash never leaves a half-written catalog behind.
    fd, tmp = tempfile.mkstemp(prefix=".mcp_servers.", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = [
    "CATALOG_FILE",
    "add_global_server",
    "catalog_path",
    "get_global_server",
    "load_global_servers",
    "remove_global_server",
]
