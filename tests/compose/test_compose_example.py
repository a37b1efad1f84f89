"""The compose example runs end to end as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "compose" / "pipeline.py"


def test_pipeline_example_runs_offline():
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), "tea?"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['TEA WAS FIRST DRUNK IN CHINA.', 'A short poem about tea.']"
