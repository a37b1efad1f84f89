"""Fixtures for package tests: a kt home in tmp_path, and a local bare git remote."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_remote import GitRemote


@pytest.fixture
def kt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$KT_CONFIG_DIR`` in tmp_path; packages go to ``<home>/packages``."""
    home = tmp_path / "kt-home"
    monkeypatch.setenv("KT_CONFIG_DIR", str(home))
    return home


@pytest.fixture
def remote(tmp_path: Path) -> GitRemote:
    """A bare git remote with release 1.0 (tag v1.0) on main."""
    repo = GitRemote(tmp_path)
    repo.release("1.0")
    return repo
