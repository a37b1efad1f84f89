"""Function-tool benchmarks: cost of ``@tool`` decoration and of ``execute()`` per call.

Run: ``python bench/bench_function_tool.py``. Prints figures; asserts nothing. Each per-call figure
sits next to its raw floor: calling the function directly (async) or through ``asyncio.to_thread``
(sync), so the framework's own overhead (validation, result conversion) is visible.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Literal

from kohakuterrarium.modules.tool.function import tool


def _row(name: str, micros: float, note: str = "") -> None:
    print(f"{name:<52} {micros:>10.1f} µs  {note}")


def _median_us(fn, runs: int, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(runs):
            fn()
        samples.append((time.perf_counter() - t0) / runs * 1e6)
    return statistics.median(samples)


def _trivial(text: str) -> str:
    """Echo the text.

    Args:
        text: What to echo.
    """
    return text


def _rich(
    query: str,
    limit: int = 10,
    mode: Literal["fast", "deep"] = "fast",
    tags: list[str] | None = None,
) -> str:
    """Search.

    Args:
        query: What to look for.
        limit: Max results.
    """
    return query


def bench_decoration() -> None:
    _row("@tool on a 1-argument sync function", _median_us(lambda: tool(_trivial), 200))
    _row("@tool on a 4-argument function (Literal, list)", _median_us(lambda: tool(_rich), 200))
    _row(
        "  + first get_parameters_schema() (lazy, cached)",
        _median_us(lambda: tool(_rich).get_parameters_schema(), 100)
        - _median_us(lambda: tool(_rich), 100),
    )
    t = tool(_rich)
    t.get_parameters_schema()
    _row(
        "get_parameters_schema() when cached (deep copy)", _median_us(t.get_parameters_schema, 2000)
    )


async def bench_calls() -> None:
    sync_tool = tool(_trivial)

    @tool
    async def echo(text: str) -> str:
        """Echo the text."""
        return text

    async def raw_async(text: str) -> str:
        return text

    args = {"text": "hello"}
    n = 3000

    async def once(make) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        for _ in range(n):
            await make()
        return (time.perf_counter() - t0) / n * 1e6

    async def pair(floor, subject) -> tuple[float, float]:  # type: ignore[no-untyped-def]
        await once(floor)  # warm-up (thread pool, caches)
        await once(subject)
        floors, subjects = [], []
        for _ in range(5):  # interleaved, so drift on a busy machine hits both sides
            floors.append(await once(floor))
            subjects.append(await once(subject))
        return statistics.median(floors), statistics.median(subjects)

    floor_async, async_call = await pair(lambda: raw_async("hello"), lambda: echo.execute(args))
    floor_thread, sync_call = await pair(
        lambda: asyncio.to_thread(_trivial, "hello"), lambda: sync_tool.execute(args)
    )
    _row("execute() of a trivial async function", async_call, f"(raw await: {floor_async:.1f} µs)")
    _row(
        "execute() of a trivial sync function",
        sync_call,
        f"(raw asyncio.to_thread: {floor_thread:.1f} µs)",
    )
    _row("  framework overhead, async", async_call - floor_async)
    _row("  framework overhead, sync", sync_call - floor_thread)


if __name__ == "__main__":
    bench_decoration()
    asyncio.run(bench_calls())
