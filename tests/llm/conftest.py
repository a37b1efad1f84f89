"""Fixtures for provider tests: a wire server, an isolated home directory, fast retries."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# Loaded under a unique name so it cannot clash with another tests folder's ``servers``.
_spec = importlib.util.spec_from_file_location(
    "kt_llm_wire", Path(__file__).with_name("servers.py")
)
assert _spec is not None and _spec.loader is not None
wire = importlib.util.module_from_spec(_spec)
sys.modules["kt_llm_wire"] = wire
_spec.loader.exec_module(wire)

KEY_ENVS = (
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "MIMO_API_KEY",
    "MOONSHOT_API_KEY",
    "ZAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
)


@pytest.fixture(autouse=True)
def kt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``KT_CONFIG_DIR`` and no provider keys from the outer environment."""
    home = tmp_path / "kt-home"
    monkeypatch.setenv("KT_CONFIG_DIR", str(home))
    for name in KEY_ENVS:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
async def server():
    async with wire.WireServer() as srv:
        yield srv
