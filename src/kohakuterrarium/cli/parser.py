"""The ``kt`` argument parser.

This module imports only ``argparse`` so that ``kt --help`` and ``kt --version`` stay fast. Each
command names its implementation as a ``"module:function"`` string (``handler``); the module is
imported only when that command runs. A command whose handler is ``None`` is registered (so its
flags are documented and checked) but not implemented yet: running it says so and exits 2.
"""

from __future__ import annotations

import argparse

RUN_HANDLER = "kohakuterrarium.cli.run:cmd_run"
"""Implementation of ``kt run``."""

PACKAGES_HANDLERS = "kohakuterrarium.cli.packages:"
"""Module of ``kt install|uninstall|update|list|info|marketplace``; append the function name."""

NOT_YET = " (not available yet)"
"""Suffix on the help line of a registered command that is not implemented yet."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
"""Accepted values of ``--log-level``."""

MODES = ("cli", "tui", "plain")
"""Interactive front-ends of ``kt run`` / ``kt resume`` / ``kt terrarium run``."""


def _command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    *,
    handler: str | None = None,
    path: str | None = None,
) -> argparse.ArgumentParser:
    """Add one command; ``path`` is its full name after ``kt`` (``"config key set"``)."""
    shown = help_text if handler else help_text + NOT_YET
    parser = subparsers.add_parser(name, help=shown, description=shown)
    parser.set_defaults(handler=handler, command_path=path or name)
    return parser


def _group(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    *,
    path: str | None = None,
    available: bool = False,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add a command that only groups sub-commands (``kt config ...``); one is required.

    ``available`` says whether any of its sub-commands is implemented yet.
    """
    shown = help_text if available else help_text + NOT_YET
    parser = subparsers.add_parser(name, help=shown, description=shown)
    parser.set_defaults(handler=None, command_path=path or name)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", dest=f"{name}_command")
    sub.required = True
    return sub


def _log_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="WARNING",
        type=str.upper,
        help="framework log level (default: WARNING)",
    )
    parser.add_argument(
        "--log-stderr",
        choices=("auto", "on", "off"),
        default="auto",
        help="print framework logs to stderr (auto: on for plain mode)",
    )


def _server_flags(parser: argparse.ArgumentParser, *, host: bool = True) -> None:
    if host:
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
        )
    parser.add_argument(
        "--port", type=int, default=8001, help="port (default 8001; the next free one if taken)"
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="WARNING", type=str.upper)


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub, "run", "run a creature (a folder, config file or @pack/path)", handler=RUN_HANDLER
    )
    p.add_argument("creature", help="creature folder, config file or @package/path")
    p.add_argument(
        "--mode",
        choices=(*MODES, "none"),
        default=None,
        help="front-end: plain (stdin -> stdout, one turn per line), cli, tui, or none "
        "(the creature's own input/output); only plain is available in this version",
    )
    p.add_argument(
        "--llm", metavar="NAME", help="LLM profile[@selection], preset or 'scripted:TEXT'"
    )
    p.add_argument("--pwd", metavar="DIR", help="working directory of the creature (default: cwd)")
    session = p.add_mutually_exclusive_group()
    session.add_argument(
        "--session",
        metavar="PATH",
        help="session file to write (default: a new file under ~/.kohakuterrarium/sessions/)",
    )
    session.add_argument("--no-session", action="store_true", help="do not record a session")
    p.add_argument(
        "--add",
        action="append",
        metavar="CONFIG",
        default=[],
        help="add another creature to the same graph (repeatable; not available yet)",
    )
    p.add_argument(
        "--channel",
        action="append",
        metavar="NAME",
        default=[],
        help="a shared channel every creature listens and sends on (repeatable; not available yet)",
    )
    _log_flags(p)


def _add_sessions(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(sub, "resume", "resume a saved session (agent or terrarium)")
    p.add_argument("session", nargs="?", help="name prefix, file name or path of a session")
    p.add_argument("--last", action="store_true", help="resume the most recent session")
    p.add_argument("--pwd", metavar="DIR")
    p.add_argument("--mode", choices=MODES, default=None)
    p.add_argument("--llm", metavar="NAME")
    _log_flags(p)

    p = _command(sub, "search", "search a session's history (full-text, semantic or hybrid)")
    p.add_argument("session", help="session name prefix, file name or path")
    p.add_argument("query", help="what to look for")
    p.add_argument("--mode", choices=("fts", "semantic", "hybrid", "auto"), default="auto")
    p.add_argument("--agent", metavar="NAME", help="only this creature's history")
    p.add_argument("-k", type=int, default=10, metavar="N", help="number of results (default 10)")

    p = _command(sub, "embedding", "build the semantic-search index of a session")
    p.add_argument("session", help="session name prefix, file name or path")
    p.add_argument("--provider", metavar="P")
    p.add_argument("--model", metavar="NAME")
    p.add_argument("--dimensions", type=int, metavar="N")


def _add_terrarium(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = _group(sub, "terrarium", "multi-creature recipes")
    p = _command(group, "run", "run a terrarium recipe", path="terrarium run")
    p.add_argument("recipe", help="recipe folder, file or @package/path")
    p.add_argument("--seed", metavar="TEXT", help="first message sent into the terrarium")
    p.add_argument("--mode", choices=MODES, default=None)
    p.add_argument("--llm", metavar="NAME")
    _log_flags(p)


def _add_packages(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(
        sub,
        "install",
        "install a package (@name, git URL[@ref] or local folder)",
        handler=PACKAGES_HANDLERS + "cmd_install",
    )
    p.add_argument("source", help="@name (marketplace), git URL (url@tag pins it) or local path")
    p.add_argument("-e", "--editable", action="store_true", help="link a local folder in place")
    p.add_argument("--name", help="install under this name")
    p.add_argument(
        "--deps",
        action="store_true",
        help="pip-install the package's python_dependencies / requirements.txt (default: list them)",
    )

    p = _command(
        sub, "uninstall", "remove an installed package", handler=PACKAGES_HANDLERS + "cmd_uninstall"
    )
    p.add_argument("name")

    p = _command(
        sub,
        "update",
        "update git-installed packages (pinned ones stay unless --ref)",
        handler=PACKAGES_HANDLERS + "cmd_update",
    )
    p.add_argument("target", nargs="?", help="package name")
    p.add_argument("--all", action="store_true", help="update every git-installed package")
    p.add_argument("--ref", metavar="REF", help="move the package to this tag, branch or commit")

    p = _command(
        sub,
        "list",
        "installed packages and local creature folders",
        handler=PACKAGES_HANDLERS + "cmd_list",
    )
    p.add_argument(
        "--path", default=None, help="local folder to scan (default: ./creatures and ./agents)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = _command(
        sub,
        "info",
        "name, description, model, tools and sub-agents of a creature (or a recipe, a package)",
        handler=PACKAGES_HANDLERS + "cmd_info",
    )
    p.add_argument("ref", help="creature folder, config file or @package/path")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    group = _group(sub, "marketplace", "find packages to install", available=True)
    p = _command(
        group,
        "search",
        "search the package indexes",
        path="marketplace search",
        handler=PACKAGES_HANDLERS + "cmd_marketplace_search",
    )
    p.add_argument("text", nargs="?", default="")


def _add_settings(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(sub, "login", "log in to a provider (OAuth) or store its API key")
    p.add_argument("provider")

    config = _group(sub, "config", "API keys, LLM profiles and other settings")
    keys = _group(config, "key", "stored API keys", path="config key")
    p = _command(
        keys, "set", "store an API key (prompted when VALUE is omitted)", path="config key set"
    )
    p.add_argument("provider")
    p.add_argument("value", nargs="?")
    _command(
        keys, "list", "providers with a stored key (values are never shown)", path="config key list"
    )
    p = _command(keys, "delete", "forget a stored API key", path="config key delete")
    p.add_argument("provider")
    llm = _group(config, "llm", "LLM profiles", path="config llm")
    p = _command(llm, "add", "add an LLM profile (interactive)", path="config llm add")
    p.add_argument("name", nargs="?")

    model = _group(sub, "model", "LLM profiles and the default model")
    p = _command(model, "list", "known LLM profiles and presets", path="model list")
    p.add_argument("--all", action="store_true", help="include presets without credentials")
    p = _command(model, "default", "set the default model", path="model default")
    p.add_argument("name")
    p = _command(model, "show", "show one profile", path="model show")
    p.add_argument("name")

    mcp = _group(sub, "mcp", "MCP servers", available=True)
    h = "kohakuterrarium.cli.mcp:cmd_mcp"
    p = _command(mcp, "list", "configured MCP servers", path="mcp list", handler=h)
    p.add_argument("--agent", metavar="PATH", help="servers declared by this creature")
    p = _command(mcp, "add", "add an MCP server to the global catalog", path="mcp add", handler=h)
    p.add_argument("name", nargs="?")
    p.add_argument("--transport", help="stdio (default), http (streamable HTTP) or sse")
    p.add_argument("--command", help="executable that starts the server (stdio)")
    p.add_argument("--arg", action="append", help="argument of the command (repeatable)")
    p.add_argument("--url", help="endpoint URL (http, sse)")
    p.add_argument("--env", action="append", metavar="KEY=VALUE", help="repeatable")
    p.add_argument("--header", action="append", metavar="KEY=VALUE", help="repeatable")
    p.add_argument("--connect-timeout", type=float, dest="connect_timeout")
    p.add_argument("--call-timeout", type=float, dest="call_timeout")
    p = _command(mcp, "remove", "remove an MCP server", path="mcp remove", handler=h)
    p.add_argument("name")

    _command(sub, "doctor", "check the installation, settings and home directory")


def _add_servers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = _group(sub, "serve", "the HTTP/WebSocket server as a background daemon")
    p = _command(serve, "start", "start the daemon", path="serve start")
    _server_flags(p)
    p.add_argument("--dev", action="store_true", help="API only, no web UI")
    p = _command(serve, "stop", "stop the daemon (SIGTERM, then SIGKILL)", path="serve stop")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds before SIGKILL (default 5)")
    _command(serve, "status", "running, stopped or stale", path="serve status")

    p = _command(sub, "web", "serve the web UI and API in the foreground")
    _server_flags(p)
    p.add_argument("--dev", action="store_true", help="API only, no web UI")

    p = _command(sub, "app", "the desktop window around the web UI")
    _server_flags(p, host=False)


def build_parser() -> argparse.ArgumentParser:
    """Return the complete ``kt`` parser."""
    parser = argparse.ArgumentParser(
        prog="kt",
        description="KohakuTerrarium: build and run agents (creatures) and multi-agent terrariums.",
        epilog="Exit codes: 0 ok, 1 error, 2 usage or not available yet, 130 interrupted.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--verbose", action="store_true", help="with --version: Python, install path and source"
    )
    parser.set_defaults(handler=None, command_path=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    _add_run(sub)
    _add_sessions(sub)
    _add_terrarium(sub)
    _add_packages(sub)
    _add_settings(sub)
    _add_servers(sub)
    return parser


__all__ = ["build_parser"]
