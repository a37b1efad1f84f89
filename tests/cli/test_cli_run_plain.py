"""``kt run --mode plain`` for real: a ``kt`` subprocess, a creature folder, the scripted LLM.

One turn per non-empty stdin line; reply text on stdout, errors one line each on stderr; the
process exits by itself at end of input with 0 (all turns ok), 1 (a turn failed) or 130 (Ctrl+C).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("kohakuterrarium.core.agent", reason="Agent not available yet")

HELLO = ["--mode", "plain", "--llm", "scripted:hello there", "--no-session"]


def test_one_line_is_one_turn(kt, creature: Path) -> None:
    proc = kt("run", str(creature), *HELLO, stdin="hi\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "hello there\n", "")


def test_each_line_is_a_turn_and_blank_lines_are_skipped(kt, creature: Path) -> None:
    proc = kt("run", str(creature), *HELLO, stdin="first\n\n   \nsecond")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello there\nhello there\n"


def test_end_of_input_without_any_line_exits_0(kt, creature: Path) -> None:
    proc = kt("run", str(creature), *HELLO, stdin="", timeout=30)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_failing_turn_exits_1_with_the_error_on_stderr(kt, creature: Path) -> None:
    args = ["--mode", "plain", "--llm", "scripted-error:boom", "--no-session"]
    proc = kt("run", str(creature), *args, "--log-stderr", "off", stdin="hi\nagain\n")
    assert proc.returncode == 1
    failures = [line for line in proc.stderr.splitlines() if line.startswith("kt run: turn ")]
    assert len(failures) == 2  # every line still runs; each failure is reported
    assert "boom" in failures[0]
    assert "Traceback" not in proc.stderr


def test_unknown_model_is_one_line_and_exit_1(kt, creature: Path) -> None:
    proc = kt("run", str(creature), "--mode", "plain", "--llm", "no-such-model", stdin="hi\n")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("kt run: ") and "no-such-model" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_config_error_is_one_line_and_exit_1(kt, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    proc = kt("run", str(folder), *HELLO, stdin="hi\n")
    assert proc.returncode == 1
    assert proc.stderr.startswith("kt run: ")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_no_session_writes_nothing_under_home(kt, kt_env, creature: Path) -> None:
    proc = kt("run", str(creature), *HELLO, stdin="hi\n")
    assert proc.returncode == 0
    assert not (Path(kt_env["KT_CONFIG_DIR"]) / "sessions").exists()


def test_ctrl_c_exits_130(kt_env, creature: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kohakuterrarium", "run", str(creature), *HELLO],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=kt_env,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("hi\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "hello there\n"  # running, now waiting for input
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
