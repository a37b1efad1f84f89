"""The example creatures run a scripted multi-tool turn end to end through `kt run --mode plain`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "creatures"


def kt(args: list[str], stdin: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KT_CONFIG_DIR": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "kohakuterrarium", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_coder_runs_a_multi_tool_turn_in_plain_mode(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "greet.py").write_text("print('helo world')\n")
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            [
                {"tool_calls": [{"name": "grep", "arguments": {"pattern": "helo"}}]},
                {"tool_calls": [{"name": "read", "arguments": {"path": "greet.py"}}]},
                {
                    "tool_calls": [
                        {
                            "name": "edit",
                            "arguments": {"path": "greet.py", "old": "helo", "new": "hello"},
                        },
                        {"name": "bash", "arguments": {"command": "python greet.py"}},
                    ]
                },
                "Fixed: greet.py now prints hello world.",
            ]
        )
    )
    out = kt(
        [
            "run",
            str(EXAMPLES / "coder"),
            "--mode",
            "plain",
            "--llm",
            f"scripted-file:{script}",
            "--pwd",
            str(work),
            "--no-session",
        ],
        "fix the greeting\n",
        work,
        tmp_path / "home",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Fixed: greet.py now prints hello world."
    assert (work / "greet.py").read_text() == "print('hello world')\n"


def test_a_bad_script_file_is_one_clear_line(tmp_path):
    script = tmp_path / "bad.json"
    script.write_text("{not json")
    out = kt(
        [
            "run",
            str(EXAMPLES / "assistant"),
            "--mode",
            "plain",
            "--llm",
            f"scripted-file:{script}",
            "--no-session",
        ],
        "hi\n",
        tmp_path,
        tmp_path / "home",
    )
    assert out.returncode == 1
    assert "bad script" in out.stderr and len(out.stderr.strip().splitlines()) == 1
