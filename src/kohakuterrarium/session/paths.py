"""Where session files live and how new ones are named.

>>> new_session_path("helper", "/tmp/s").name          # doctest: +SKIP
'helper_3f9a1c0e.kohakutr'
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

SESSION_SUFFIX = ".kohakutr"
"""File extension of a session file."""

HOME_ENV = "KT_CONFIG_DIR"
"""Environment variable that moves the home directory (the same one the CLI reads)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_session_dir() -> Path:
    """``$KT_CONFIG_DIR/sessions``, or ``~/.kohakuterrarium/sessions`` (not created here)."""
    override = os.environ.get(HOME_ENV)
    home = Path(override).expanduser() if override else Path.home() / ".kohakuterrarium"
    return home / "sessions"


def new_session_path(name: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """A fresh ``<name>_<8 hex>.kohakutr`` path under ``directory`` (default: the sessions dir).

    ``name`` is made file-name safe; the file itself is not created.
    """
    stem = _UNSAFE.sub("_", name).strip("._") or "session"
    base = Path(directory).expanduser() if directory is not None else default_session_dir()
    return base / f"{stem}_{secrets.token_hex(4)}{SESSION_SUFFIX}"


__all__ = ["HOME_ENV", "SESSION_SUFFIX", "default_session_dir", "new_session_path"]
