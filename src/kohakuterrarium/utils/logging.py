"""Logging: a thin wrapper over stdlib ``logging`` that accepts keyword fields.

``logger.info("tool done", tool="bash", ms=12)`` logs ``tool done tool=bash ms=12``. Printf-style
positional args work as in stdlib. The library never writes log files unless asked
(:func:`enable_file_logging`); with no handler configured, nothing is printed below WARNING.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

_ROOT = "kohakuterrarium"
_FORMAT = "[%(asctime)s] [%(name)s] [%(levelname)s] %(message)s"
_DATEFMT = "%H:%M:%S"


class KTLogger:
    """A logger whose methods take a message, printf args and keyword fields."""

    __slots__ = ("_logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    @property
    def name(self) -> str:
        return self._logger.name

    def _log(self, level: int, msg: Any, args: tuple[Any, ...], fields: dict[str, Any]) -> None:
        if not self._logger.isEnabledFor(level):
            return
        exc_info = fields.pop("exc_info", None)
        stack_info = fields.pop("stack_info", False)
        text = str(msg)
        if args:
            try:
                text = text % args
            except (TypeError, ValueError):
                text = " ".join([text, *map(str, args)])
        if fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        self._logger.log(level, text, exc_info=exc_info, stack_info=stack_info, stacklevel=3)

    def debug(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.DEBUG, msg, args, fields)

    def info(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.INFO, msg, args, fields)

    def warning(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.WARNING, msg, args, fields)

    warn = warning

    def error(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.ERROR, msg, args, fields)

    def exception(self, msg: Any, *args: Any, **fields: Any) -> None:
        fields.setdefault("exc_info", True)
        self._log(logging.ERROR, msg, args, fields)

    def critical(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.CRITICAL, msg, args, fields)

    def isEnabledFor(self, level: int) -> bool:
        return self._logger.isEnabledFor(level)

    def setLevel(self, level: int | str) -> None:
        self._logger.setLevel(level)


def get_logger(name: str) -> KTLogger:
    """Return the logger for ``name`` (usually ``__name__``)."""
    return KTLogger(logging.getLogger(name))


def set_level(level: int | str) -> None:
    """Set the level of every framework logger."""
    logging.getLogger(_ROOT).setLevel(level)


def enable_stderr_logging(level: int | str = "INFO") -> None:
    """Print framework logs to stderr (used by ``kt --log-stderr``)."""
    root = logging.getLogger(_ROOT)
    if not any(getattr(h, "_kt_stderr", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT, _DATEFMT))
        handler._kt_stderr = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)


def enable_file_logging(
    path: str | Path, level: int | str = "INFO", *, max_bytes: int = 5_000_000, backups: int = 3
) -> Path:
    """Write framework logs to a rotated file at ``path``."""
    from logging.handlers import RotatingFileHandler

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(p, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT, _DATEFMT))
    root = logging.getLogger(_ROOT)
    root.addHandler(handler)
    root.setLevel(level)
    return p


__all__ = ["KTLogger", "enable_file_logging", "enable_stderr_logging", "get_logger", "set_level"]
