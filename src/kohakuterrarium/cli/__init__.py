"""The ``kt`` command.

``main(argv)`` parses the command line and runs one command. Only the parser is imported up
front (``argparse``); each command's implementation module is imported when that command runs,
so ``kt --help`` and ``kt --version`` stay fast. Exit codes: 0 ok, 1 error, 2 usage or "not
available yet", 130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

EXIT_OK = 0
"""The command did what it was asked."""
EXIT_ERROR = 1
"""The command failed (bad creature, failed turn, provider error, ...)."""
EXIT_USAGE = 2
"""Bad arguments, or a command that is not available yet in this version."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl+C (128 + SIGINT, as shells report it)."""


def not_available(what: str) -> int:
    """Say on stderr that ``kt <what>`` is not implemented yet and return the usage exit code."""
    print(f"kt {what}: not available yet in this version", file=sys.stderr)
    return EXIT_USAGE


def one_line(text: object) -> str:
    """``text`` on a single line (error messages are printed as one line on stderr)."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kt`` with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    from kohakuterrarium.cli.parser import build_parser

    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help (0) and usage errors (2) exit from inside argparse
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    if args.version:
        from kohakuterrarium.cli.version import print_version

        print_version(verbose=args.verbose)
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    if args.handler is None:
        return not_available(args.command_path)

    module_name, _, func_name = args.handler.partition(":")
    import importlib

    handler = getattr(importlib.import_module(module_name), func_name)
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        from kohakuterrarium.errors import KTError

        if not isinstance(exc, KTError):
            raise
        # Typed errors already say what, where and what to do: one line, no traceback.
        print(f"kt {args.command_path}: {one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR


__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "main",
    "not_available",
    "one_line",
]
