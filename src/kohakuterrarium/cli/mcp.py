"""``kt mcp list|add|remove``: the global MCP catalog (``$KT_CONFIG_DIR/mcp_servers.yaml``).

- ``kt mcp list``: the catalog; ``kt mcp list --agent PATH``: the servers a creature declares.
- ``kt mcp add [NAME]``: add or replace an entry. Flags give the fields (``--transport``,
  ``--command``, ``--arg`` repeatable, ``--url``, ``--env K=V``, ``--header K=V``,
  ``--connect-timeout``, ``--call-timeout``); what they leave out is asked for when stdin is a
  terminal, and is an error otherwise.
- ``kt mcp remove NAME``.

Nothing is connected here: the catalog is only a list that ``mcp_connect`` and UIs read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from kohakuterrarium.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE

Ask = Callable[[str], str]


def cmd_mcp(args: argparse.Namespace) -> int:
    """Entry point of ``kt mcp ...`` (dispatches on ``args.mcp_command``)."""
    command = getattr(args, "mcp_command", None)
    if command == "list":
        return _list(args)
    if command == "add":
        return _add(args)
    if command == "remove":
        return _remove(args)
    print("kt mcp: expected one of: list, add, remove", file=sys.stderr)
    return EXIT_USAGE


def _list(args: argparse.Namespace) -> int:
    from kohakuterrarium.mcp.catalog import catalog_path, load_global_servers
    from kohakuterrarium.mcp.config import MCPServerConfig

    agent_path = getattr(args, "agent", None)
    if agent_path:
        from kohakuterrarium.core.config import load_agent_config

        config = load_agent_config(agent_path)
        servers = [MCPServerConfig.from_dict(s) for s in config.mcp_servers]
        source = f"creature '{config.name}'"
    else:
        servers = load_global_servers()
        source = str(catalog_path())
    if not servers:
        print(f"No MCP servers in {source}.")
        return EXIT_OK
    print(f"MCP servers in {source}:")
    width = max(len(s.name) for s in servers)
    for server in servers:
        print(f"  {server.name:<{width}}  {server.transport:<15}  {server.target()}")
    return EXIT_OK


def _add(args: argparse.Namespace, ask: Ask | None = None) -> int:
    from kohakuterrarium.mcp.catalog import add_global_server, catalog_path, get_global_server

    interactive = ask is not None or sys.stdin.isatty()
    asker: Ask = ask or input
    try:
        entry = _collect_entry(args, asker if interactive else None)
    except _MissingField as exc:
        print(
            f"kt mcp add: {exc} (give it as a flag, or run in a terminal to be asked)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    replaced = get_global_server(entry["name"]) is not None
    config = add_global_server(entry)
    verb = "Replaced" if replaced else "Added"
    print(
        f"{verb} MCP server '{config.name}' ({config.transport}: {config.target()}) in "
        f"{catalog_path()}"
    )
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from kohakuterrarium.mcp.catalog import catalog_path, remove_global_server

    name = getattr(args, "name", None)
    if not name:
        print("kt mcp remove: give the NAME of the server", file=sys.stderr)
        return EXIT_USAGE
    if not remove_global_server(name):
        print(f"kt mcp remove: no MCP server named '{name}' in {catalog_path()}", file=sys.stderr)
        return EXIT_ERROR
    print(f"Removed MCP server '{name}' from {catalog_path()}")
    return EXIT_OK


class _MissingField(Exception):
    """A required field that was neither given nor asked for."""


def _collect_entry(args: argparse.Namespace, ask: Ask | None) -> dict[str, Any]:
    def need(label: str, current: Any, default: str | None = None) -> str:
        if current not in (None, ""):
            return str(current)
        if ask is None:
            if default is not None:
                return default
            raise _MissingField(f"missing {label}")
        shown = f" [{default}]" if default else ""
        answer = ask(f"{label}{shown}: ").strip()
        if not answer and default is not None:
            return default
        if not answer:
            raise _MissingField(f"missing {label}")
        return answer

    entry: dict[str, Any] = {"name": need("name", getattr(args, "name", None))}
    transport = need("transport (stdio, http, sse)", getattr(args, "transport", None), "stdio")
    entry["transport"] = transport
    if transport == "stdio":
        entry["command"] = need("command", getattr(args, "command", None))
        arg_list = getattr(args, "arg", None)
        if arg_list is None and ask is not None:
            import shlex

            arg_list = shlex.split(ask("arguments (space separated, optional): "))
        if arg_list:
            entry["args"] = list(arg_list)
    else:
        entry["url"] = need("url", getattr(args, "url", None))
    env = _pairs(getattr(args, "env", None), "--env")
    if env:
        entry["env"] = env
    headers = _pairs(getattr(args, "header", None), "--header")
    if headers:
        entry["headers"] = headers
    for key in ("connect_timeout", "call_timeout"):
        value = getattr(args, key, None)
        if value is not None:
            entry[key] = value
    return entry


def _pairs(values: Sequence[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _MissingField(f"{flag} takes KEY=VALUE, got '{item}'")
        out[key] = value
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The non-interactive flags of ``kt mcp add`` (for ``cli/parser.py``)."""
    parser.add_argument("--transport", help="stdio (default), http (streamable HTTP) or sse")
    parser.add_argument("--command", help="executable that starts the server (stdio)")
    parser.add_argument(
        "--arg",
        action="append",
        help="argument of the command (repeatable; write --arg=--flag for one that starts with -)",
    )
    parser.add_argument("--url", help="endpoint URL (http, sse)")
    parser.add_argument("--env", action="append", metavar="KEY=VALUE", help="repeatable")
    parser.add_argument("--header", action="append", metavar="KEY=VALUE", help="repeatable")
    parser.add_argument("--connect-timeout", type=float, dest="connect_timeout")
    parser.add_argument("--call-timeout", type=float, dest="call_timeout")


__all__ = ["add_arguments", "cmd_mcp"]
