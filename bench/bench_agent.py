"""Agent runtime benchmarks: import, CLI start, build, per-turn CPU, memory, concurrency.

Run: ``python bench/bench_agent.py`` (or ``scripts/bench``). Prints figures; asserts nothing.
Each figure is printed next to its target and, where it makes sense, next to a raw-loop floor
(the same work written as bare asyncio, with no framework) so overhead is visible.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))


def _row(name: str, value: str, target: str = "", note: str = "") -> None:
    print(f"{name:<48} {value:>14}  {('target ' + target) if target else '':<18} {note}")


def _wall_of(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_startup() -> None:
    py = sys.executable
    base = _wall_of([py, "-c", "pass"])
    imp = _wall_of([py, "-c", "from kohakuterrarium import Agent; Agent"])
    _row(
        "import Agent (wall, minus bare python)",
        f"{(imp - base) * 1000:.1f} ms",
        "<= 100 ms",
        f"(python itself {base * 1000:.0f} ms)",
    )
    helpw = _wall_of([py, "-m", "kohakuterrarium", "--help"])
    _row("kt --help (wall, whole process)", f"{helpw * 1000:.1f} ms", "<= 150 ms")


def _make_agent(tools=(), script=None, latency: float = 0.0):
    from kohakuterrarium.core.agent import Agent
    from kohakuterrarium.core.config_types import AgentConfig
    from kohakuterrarium.testing import ScriptedLLM, ScriptEntry

    if script is None:
        script = [ScriptEntry("OK", delay_before=latency)]
    return Agent(
        AgentConfig(name="bench", system_prompt="Bench.", tool_format="native"),
        llm=ScriptedLLM(script),
        tools=tools,
    )


async def _per_turn_cpu(agent, turns: int, sample: range) -> float:
    """CPU microseconds per turn averaged over the turns in ``sample``."""
    cpu = []
    for i in range(1, turns + 1):
        t0 = time.process_time_ns()
        await agent.run("hello")
        if i in sample:
            cpu.append(time.process_time_ns() - t0)
    return statistics.mean(cpu) / 1000 if cpu else 0.0


async def _turn_pair(agent, label: str, target: str) -> None:
    """CPU per turn at turns 3..12 and 990..1000 of one agent."""
    await agent.start()
    early = await _per_turn_cpu(agent, 12, range(3, 13))
    late = await _per_turn_cpu(agent, 988, range(978, 989))
    await agent.stop()
    _row(f"CPU per {label} at turn 10", f"{early:.1f} µs", target)
    _row(
        f"CPU per {label} at turn 1000",
        f"{late:.1f} µs",
        "within 10 %",
        f"({(late / early - 1) * 100:+.1f} %)",
    )


async def bench_turns() -> None:
    from kohakuterrarium import tool
    from kohakuterrarium.testing import ScriptEntry

    @tool
    def echo(text: str) -> str:
        """Echo (sync: runs in a worker thread)."""
        return text

    @tool
    async def aecho(text: str) -> str:
        """Echo (async: runs on the loop)."""
        return text

    def tool_script(name: str) -> list:
        call = ScriptEntry(tool_calls=[{"name": name, "arguments": {"text": "x"}}])
        return [call, "done"] * 1000

    t0 = time.perf_counter()
    agent = _make_agent()
    await agent.start()
    _row("build + start (first agent, cold)", f"{(time.perf_counter() - t0) * 1e6:.0f} µs")
    await agent.stop()
    # Warm every code path once so the figures below measure steady state, not first use.
    warm = _make_agent(tools=[echo, aecho], script=tool_script("aecho"))
    await warm.start()
    await _per_turn_cpu(warm, 300, range(0))
    await warm.stop()
    t0 = time.perf_counter()
    agent = _make_agent()
    await agent.start()
    _row("build + start (warm)", f"{(time.perf_counter() - t0) * 1e6:.0f} µs")
    await agent.stop()
    gc.collect()
    gc.freeze()
    await _turn_pair(_make_agent(), "plain turn", "<= 50 µs")
    await _turn_pair(
        _make_agent(tools=[aecho], script=tool_script("aecho")),
        "one-tool turn (async)",
        "<= 200 µs",
    )
    await _turn_pair(
        _make_agent(tools=[echo], script=tool_script("echo")), "one-tool turn (sync)", "<= 200 µs"
    )
    gc.unfreeze()


async def _raw_floor() -> float:
    """The same plain turn as bare asyncio: stream a reply, append two messages."""

    async def llm(messages):
        yield "OK"

    messages: list[dict] = [{"role": "system", "content": "x"}]
    cpu = []
    for _ in range(1000):
        t0 = time.process_time_ns()
        messages.append({"role": "user", "content": "hello"})
        out = [c async for c in llm(messages)]
        messages.append({"role": "assistant", "content": "".join(out)})
        cpu.append(time.process_time_ns() - t0)
    return statistics.mean(cpu[100:]) / 1000


async def bench_memory() -> None:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    agents = [_make_agent() for _ in range(1000)]
    for a in agents:
        await a.start()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    _row(
        "memory per idle agent (1000 alive)",
        f"{(after - before) / 1000 / 1024:.1f} KiB",
        "<= 16 KiB",
    )
    for a in agents:
        await a.stop()


async def bench_concurrency() -> None:
    from kohakuterrarium.testing import ScriptEntry

    agents = [_make_agent(script=[ScriptEntry("OK", delay_before=0.1)]) for _ in range(1000)]
    for a in agents:
        await a.start()

    async def four(a):
        for _ in range(4):
            await a.run("hi")

    t0 = time.perf_counter()
    await asyncio.gather(*(four(a) for a in agents))
    wall = time.perf_counter() - t0
    _row(
        "1000 agents x 4 calls @100 ms", f"{wall:.3f} s", "<= 0.52 s", f"({wall / 0.4:.2f}x ideal)"
    )
    for a in agents:
        await a.stop()


async def main() -> None:
    print("# bench_agent")
    bench_startup()
    await bench_turns()
    floor = await _raw_floor()
    _row("raw-loop floor per plain turn", f"{floor:.1f} µs", "", "(bare asyncio, no framework)")
    await bench_memory()
    await bench_concurrency()


if __name__ == "__main__":
    asyncio.run(main())
