"""Fixtures of the session tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def session_path(tmp_path: Path) -> Path:
    """A not-yet-existing session file in a not-yet-existing folder."""
    return tmp_path / "sessions" / "run.kohakutr"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point KT_CONFIG_DIR at a temp folder so "auto" sessions never touch the real home."""
    home = tmp_path / "kt-home"
    monkeypatch.setenv("KT_CONFIG_DIR", str(home))
    return home
