"""Terrarium engine benchmarks: creature cost, fan-out, graph operations, many busy creatures.

Run: ``python bench/bench_terrarium.py [--quick]``. Prints figures; asserts nothing. Every
creature uses the scripted LLM, so the figures are the engine's own overhead (plus the Agent's
construction), next to the ideal where one exists.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import sys
import time

from kohakuterrarium import EventFilter, Terrarium
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry

QUICK = "--quick" in sys.argv


def _row(name: str, value: str, note: str = "") -> None:
    print(f"{name:<58} {value:>14}  {note}")


def _cfg(name: str = "c") -> AgentConfig:
    return AgentConfig(name=name, system_prompt="You are a creature.", tool_format="native")


def _rss_kb() -> int:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


async def bench_add_creature() -> None:
    n = 200 if QUICK else 1000
    async with Terrarium() as engine:
        cfg = _cfg()
        for _ in range(20):  # warm caches and imports
            await engine.add_creature(cfg, llm=ScriptedLLM(["ok"]))
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            await engine.add_creature(cfg, llm=ScriptedLLM(["ok"]))
            times.append(time.perf_counter() - t0)
        _row(
            f"add_creature (scripted LLM, started), n={n}",
            f"{statistics.median(times) * 1e6:.0f} us",
            f"(p90 {sorted(times)[int(n * 0.9)] * 1e6:.0f} us)",
        )


async def bench_idle_memory() -> None:
    n = 2000 if QUICK else 10_000
    gc.collect()
    before = _rss_kb()
    async with Terrarium() as engine:
        t0 = time.perf_counter()
        cfg = _cfg()
        for _ in range(n):
            await engine.add_creature(cfg, llm=ScriptedLLM(["ok"]))
        built = time.perf_counter() - t0
        gc.collect()
        after = _rss_kb()
        tasks = len(asyncio.all_tasks())
        _row(
            f"memory for {n} idle creatures (RSS delta)",
            f"{(after - before) / 1024:.0f} MiB",
            f"({(after - before) / n:.1f} KiB each; built in {built:.1f} s; {tasks} tasks)",
        )
        t0 = time.perf_counter()
    t_stop = time.perf_counter() - t0
    _row(f"shutdown of {n} creatures", f"{t_stop * 1000:.0f} ms")


async def _listeners(engine: Terrarium, n: int, script) -> tuple[str, list]:
    first = await engine.add_creature(_cfg("l"), llm=ScriptedLLM(script))
    graph = first.graph_id
    await engine.add_channel(graph, "news")
    creatures = [first]
    for _ in range(n - 1):
        creatures.append(await engine.add_creature(_cfg("l"), llm=ScriptedLLM(script), graph=graph))
    for c in creatures:
        await engine.wire_channel(c, "news")
    return graph, creatures


async def bench_broadcast() -> None:
    n = 1000
    async with Terrarium() as engine:
        graph, _ = await _listeners(engine, n, ["ack"])
        done = engine.subscribe(EventFilter(kinds="processing_end"), maxsize=n * 2)
        t0 = time.perf_counter()
        await engine.send(graph, "news", "hello everyone")
        fan_out = time.perf_counter() - t0
        for _ in range(n):
            await done.get()
        total = time.perf_counter() - t0
        _row(
            f"broadcast to {n} listeners: send() returns",
            f"{fan_out * 1000:.2f} ms",
            f"({fan_out / n * 1e6:.1f} us per listener)",
        )
        _row(
            f"broadcast to {n} listeners: all turns done",
            f"{total * 1000:.0f} ms",
            "(scripted LLM, no latency)",
        )


async def bench_graph_ops() -> None:
    reps = 100 if QUICK else 300
    for size in (10, 1000):
        async with Terrarium() as engine:
            hub = await engine.add_creature(_cfg("hub"), llm=ScriptedLLM(["ok"]))
            await engine.add_channel(hub, "bus")
            await engine.wire_channel(hub, "bus", direction="send")
            members = [hub]
            for _ in range(size - 1):
                m = await engine.add_creature(
                    _cfg("m"), llm=ScriptedLLM(["ok"]), graph=hub.graph_id
                )
                await engine.wire_channel(m, "bus")
                members.append(m)
            newcomer = await engine.add_creature(_cfg("new"), llm=ScriptedLLM(["ok"]))
            target = members[size // 2]
            gc.collect()
            gc.freeze()  # time the operations, not the collector walking 1000 agents
            t_merge, t_split = [], []
            for _ in range(reps):
                t0 = time.perf_counter()
                res = await engine.connect(newcomer, target)
                t1 = time.perf_counter()
                out = await engine.disconnect(newcomer, target)
                t2 = time.perf_counter()
                assert res.delta_kind == "merge" and out.delta_kind == "split"
                t_merge.append(t1 - t0)
                t_split.append(t2 - t1)
            a, b = members[1], members[2]
            t_in = []
            for _ in range(reps):
                t0 = time.perf_counter()
                await engine.connect(a, b, channel="side")
                await engine.disconnect(a, b, channel="side")  # still joined through the bus
                t_in.append(time.perf_counter() - t0)
            gc.unfreeze()
            _row(
                f"graph of {size}: connect singleton (merge)",
                f"{statistics.median(t_merge) * 1e6:.0f} us",
            )
            _row(
                f"graph of {size}: disconnect it again (split)",
                f"{statistics.median(t_split) * 1e6:.0f} us",
            )
            _row(
                f"graph of {size}: connect+disconnect inside (no split)",
                f"{statistics.median(t_in) * 1e6:.0f} us",
            )


async def bench_many_busy() -> None:
    n = 1000
    latency = 0.1
    async with Terrarium() as engine:
        graph, _ = await _listeners(
            engine, n, [ScriptEntry("answer", delay_before=latency, chunk_size=0)]
        )
        done = engine.subscribe(EventFilter(kinds="processing_end"), maxsize=n * 2)
        t0 = time.perf_counter()
        await engine.send(graph, "news", "everyone answer please")
        for _ in range(n):
            await done.get()
        wall = time.perf_counter() - t0
        _row(
            f"{n} creatures answer a message, {latency * 1000:.0f} ms LLM latency",
            f"{wall * 1000:.0f} ms",
            f"(ideal {latency * 1000:.0f} ms; overhead {(wall - latency) * 1000:.0f} ms)",
        )


async def main() -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus{' (quick)' if QUICK else ''}")
    await bench_add_creature()
    await bench_broadcast()
    await bench_graph_ops()
    await bench_many_busy()
    await bench_idle_memory()


if __name__ == "__main__":
    asyncio.run(main())
