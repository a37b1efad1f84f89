"""Where ``kt`` keeps its files: ``~/.kohakuterrarium/`` or ``$KT_CONFIG_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "KT_CONFIG_DIR"
"""Environment variable that moves the home directory (tests point it at a temp folder)."""


def kt_home() -> Path:
    """The home directory (not created here)."""
    override = os.environ.get(HOME_ENV)
    return Path(override).expanduser() if override else Path.home() / ".kohakuterrarium"


def sessions_dir() -> Path:
    """Where new session files go by default."""
    return kt_home() / "sessions"


__all__ = ["HOME_ENV", "kt_home", "sessions_dir"]
