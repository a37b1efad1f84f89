"""The plain-mode loop in-process: what reaches stdout and stderr, and the stdin reader."""

from __future__ import annotations

import asyncio
import io
import threading

import pytest

pytest.importorskip("kohakuterrarium.core.agent", reason="Agent not available yet")

from kohakuterrarium.cli.run import StdinLines, run_plain
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


async def _plain(llm, text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_plain(
        AgentConfig(name="t", system_prompt="hi"),
        llm=llm,
        stdin=io.StringIO(text),
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


async def test_replies_stream_in_order_one_per_line() -> None:
    llm = ScriptedLLM([ScriptEntry("first reply", chunk_size=3), "second reply"])
    code, out, err = await _plain(llm, "one\ntwo\n")
    assert (code, out, err) == (0, "first reply\nsecond reply\n", "")
    assert llm.call_count == 2
    assert llm.call_log[1][-1]["content"] == "two"


async def test_reply_ending_in_newline_gets_no_extra_one() -> None:
    code, out, _ = await _plain(ScriptedLLM(["done\n"]), "go\n")
    assert (code, out) == (0, "done\n")


async def test_a_failed_turn_is_reported_and_later_turns_still_run() -> None:
    llm = ScriptedLLM([ScriptEntry("half ", error="stream dropped"), "fine"])
    code, out, err = await _plain(llm, "a\nb\n")
    assert code == 1
    assert out == "half \nfine\n"
    assert err.startswith("kt run: turn 1 ended with status error: ")
    assert "stream dropped" in err and err.count("\n") == 1


async def test_stdin_reader_reads_ahead_only_a_bounded_number_of_lines() -> None:
    reads = 0
    gate = threading.Event()

    class CountingStream(io.StringIO):
        def readline(self, *args):  # type: ignore[override]
            nonlocal reads
            reads += 1
            if reads > 3:
                gate.set()
            return super().readline(*args)

    lines = StdinLines(CountingStream("".join(f"line {i}\n" for i in range(50))), read_ahead=3)
    await asyncio.sleep(0.05)
    assert reads == 3  # blocked until the consumer takes a line
    assert await lines.next_line() == "line 0"
    await asyncio.to_thread(gate.wait, 5)
    assert reads == 4
    rest = [await lines.next_line() for _ in range(50)]
    assert rest[-1] is None and rest[-2] == "line 49"
