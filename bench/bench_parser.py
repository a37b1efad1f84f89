"""Streaming tool-call parser benchmarks: cost per 1 KB of plain text and per tool call.

Run: ``python bench/bench_parser.py``. Prints figures; asserts nothing. Each figure is shown next
to a raw-loop floor (iterating the same chunks and calling ``str.find`` on each, with no parser)
so the parser's own overhead is visible.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kohakuterrarium.parsing import StreamParser, create_parser, format_tool_call

TOOLS = {
    "bash": {"properties": {"command": {"type": "string"}, "timeout": {"type": "integer"}}},
    "read": {"properties": {"path": {"type": "string"}, "limit": {"type": "integer"}}},
    "write": {"properties": {"path": {"type": "string"}, "content": {"type": "string"}}},
}
PROSE = (
    "The quick brown fox jumps over the lazy dog; a <b>bold</b> claim [citation] needed. "
    "Numbers 1 < 2 > 0, arrays a[0], and a path like src/x.py appear in ordinary prose.\n"
)


def _kb_of_text() -> str:
    return (PROSE * (1024 // len(PROSE) + 1))[:1024]


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _best_us(fn: Callable[[], object], repeat: int = 7, number: int = 200) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best * 1e6


def _row(name: str, value: float, floor: float | None = None) -> None:
    extra = f"   (floor {floor:7.2f} µs)" if floor is not None else ""
    print(f"{name:<52} {value:9.2f} µs{extra}")


def bench_plain_text() -> None:
    text = _kb_of_text()
    for fmt in ("bracket", "xml"):
        for size in (1024, 20, 1):
            chunks = _chunks(text, size)
            start = "[" if fmt == "bracket" else "<"

            parser = create_parser(fmt, tools=TOOLS)

            def run(chunks: list[str] = chunks, parser: StreamParser = parser) -> None:
                for chunk in chunks:
                    parser.feed(chunk)
                parser.flush()

            def floor(chunks: list[str] = chunks, start: str = start) -> None:
                for chunk in chunks:
                    chunk.find(start)

            number = 200 if size > 1 else 20
            _row(
                f"{fmt}: 1 KB plain text in {size}-char chunks",
                _best_us(run, number=number),
                _best_us(floor, number=number),
            )


def bench_tool_calls() -> None:
    calls_per_run = 100
    for fmt in ("bracket", "xml"):
        read = format_tool_call(fmt, "read", {"path": "src/app.py", "limit": 50})
        write = format_tool_call(
            fmt, "write", {"path": "a.txt", "content": "line\n" * 40}, body_arg="content"
        )
        for label, call in (("small read call", read), ("write call, 200-char body", write)):
            text = ("Now: " + call + "\n") * calls_per_run
            for size in (len(text), 20):
                chunks = _chunks(text, size)

                parser = create_parser(fmt, tools=TOOLS)

                def run(chunks: list[str] = chunks, parser: StreamParser = parser) -> None:
                    for chunk in chunks:
                        parser.feed(chunk)
                    parser.flush()

                per_call = _best_us(run, number=20) / calls_per_run
                how = "whole" if size == len(text) else f"{size}-char chunks"
                _row(f"{fmt}: per {label} ({how})", per_call)


def main() -> None:
    print("Streaming tool-call parser (best of 7; lower is better)")
    bench_plain_text()
    bench_tool_calls()
    t0 = time.perf_counter()
    for _ in range(1000):
        create_parser("bracket", tools=TOOLS)
    _row("create_parser (3 tools)", (time.perf_counter() - t0) / 1000 * 1e6)


if __name__ == "__main__":
    main()
