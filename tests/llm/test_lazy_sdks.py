"""Provider SDKs load only when a request is made (Part C 1 and 30)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import os, sys
os.environ["KT_CONFIG_DIR"] = sys.argv[1]
import kohakuterrarium
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig
agent = Agent(AgentConfig(name="t", llm="local"))       # an OpenAI-compatible provider, built
loaded = sorted(m for m in ("openai", "anthropic", "httpx", "httpx2") if m in sys.modules)
print(type(agent.llm).__name__, loaded)
"""


def test_building_a_provider_imports_no_sdk(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "OpenAIProvider []"
