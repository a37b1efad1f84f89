"""Helpers for driving the real ``kt`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def kt_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a ``kt`` subprocess whose home directory is a fresh temp folder."""
    env = dict(os.environ)
    env["KT_CONFIG_DIR"] = str(tmp_path / "kt-home")
    env.pop("PYTHONSTARTUP", None)
    return env


@pytest.fixture
def kt(kt_env: dict[str, str]):
    """Run ``python -m kohakuterrarium ARGS`` (the ``kt`` command) and return the finished process."""

    def run(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kohakuterrarium", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=kt_env,
            timeout=timeout,
        )

    return run


@pytest.fixture
def creature(tmp_path: Path) -> Path:
    """A minimal creature folder: ``config.yaml`` with a name and a system prompt."""
    folder = tmp_path / "creature"
    folder.mkdir()
    (folder / "config.yaml").write_text("name: t\nsystem_prompt: hi\n", encoding="utf-8")
    return folder
