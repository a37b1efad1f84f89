"""The composition algebra over plain callables and real agents."""

from __future__ import annotations

import asyncio
import time

import pytest

from kohakuterrarium.compose import Effects, Pure, agent, factory
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.errors import CompositionError, RouteError, StepFailed
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


def upper(x: str) -> str:
    return x.upper()


async def exclaim(x: str) -> str:
    return x + "!"


async def test_sequence_of_sync_and_async_callables():
    pipeline = Pure(upper) >> exclaim >> (lambda s: s * 2)
    assert await pipeline("hi") == "HI!HI!"
    assert len(pipeline.steps) == 3  # nested sequences flatten


async def test_parallel_returns_a_list_in_order_and_runs_concurrently():
    async def slow(tag):
        async def run(x):
            await asyncio.sleep(0.2)
            return f"{tag}:{x}"

        return run

    par = Pure(await slow("a")) & await slow("b") & await slow("c")
    t0 = time.perf_counter()
    assert await par("x") == ["a:x", "b:x", "c:x"]
    assert time.perf_counter() - t0 < 0.5


async def test_fallback_runs_backup_on_the_original_input():
    def broken(x):
        raise ValueError("no")

    pipeline = Pure(broken) | upper
    assert await pipeline("keep") == "KEEP"
    assert isinstance(pipeline.last_error, ValueError)


async def test_retry_makes_at_most_n_attempts_and_reraises():
    calls = []

    def flaky(x):
        calls.append(x)
        if len(calls) < 3:
            raise RuntimeError(f"fail {len(calls)}")
        return "ok"

    assert await (Pure(flaky) * 3)("x") == "ok"
    calls.clear()
    with pytest.raises(RuntimeError, match="fail 2"):
        await (2 * Pure(flaky))("x")
    assert len(calls) == 2


async def test_precedence_is_pythons():
    # (a >> b) & c | d  parses as  ((a >> b) & c) | d
    a, b = Pure(lambda x: x + "a"), Pure(lambda x: x + "b")
    p = a >> b & Pure(lambda x: x + "c") | Pure(lambda x: "fallback")
    assert await p("") == ["ab", "c"]
    q = Pure(lambda x: x + 1) * 2 >> Pure(lambda x: x * 10)
    assert await q(1) == 20


async def test_router_by_key_and_pair_and_default():
    route = Pure(lambda x: x) >> {"a": upper, "b": exclaim}
    assert await route("a") == "A"
    assert await route(("b", "hey")) == "hey!"
    with pytest.raises(RouteError) as err:
        await route("zzz")
    assert isinstance(err.value, KeyError)
    with_default = Pure(lambda x: x) >> {"a": upper, "_default": exclaim}
    assert await with_default("other") == "other!"


async def test_map_contramap_fails_when():
    p = Pure(upper).map(exclaim).contramap(lambda x: x.strip())
    assert await p("  hi ") == "HI!"
    guarded = Pure(upper).fails_when(lambda out: "BAD" in out)
    with pytest.raises(CompositionError):
        await guarded("bad")
    assert await (guarded | exclaim)("bad") == "bad!"


async def test_iterate_feeds_outputs_back_and_feed_overrides():
    seen = []
    it = Pure(lambda x: x + 1).iterate(0)
    async for value in it:
        seen.append(value)
        if value == 2:
            it.feed(10)
        if value >= 12:
            break
    assert seen == [1, 2, 11, 12]


async def test_cancelling_a_parallel_pipeline_cancels_every_branch():
    cancelled = []

    async def hang(x):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(x)
            raise

    task = asyncio.create_task((Pure(hang) & hang & hang)("x"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == ["x", "x", "x"]


async def test_a_failing_branch_cancels_its_siblings():
    cancelled = asyncio.Event()

    async def hang(x):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def boom(x):
        raise ValueError("branch failed")

    with pytest.raises(ValueError, match="branch failed"):
        await (Pure(hang) & boom)("x")
    assert cancelled.is_set()


async def test_effects_compose():
    a = Pure(upper, effects=Effects(cost=1.0, latency=2.0, reliability=0.9))
    b = Pure(upper, effects=Effects(cost=0.5, latency=1.0, reliability=0.8))
    assert (a >> b).effects == Effects(1.5, 3.0, pytest.approx(0.72))
    par = (a & b).effects
    assert par.latency == 2.0 and par.cost == 1.5
    fb = (a | b).effects
    assert fb.reliability == pytest.approx(1 - 0.1 * 0.2)
    assert (a * 2).effects.reliability == pytest.approx(0.99)

    class Unknown(Pure):
        effects = None

        def __init__(self, fn):
            self.fn = fn

    assert (a >> Unknown(upper)).effects is None


async def test_pipeline_over_real_agents():
    writer_llm = ScriptedLLM(["draft one", "draft two"])
    critic_llm = ScriptedLLM([ScriptEntry("NEEDS WORK"), ScriptEntry("APPROVED")])
    async with (
        await agent(AgentConfig(name="writer"), llm=writer_llm) as writer,
        await agent(AgentConfig(name="critic"), llm=critic_llm) as critic,
    ):
        drafts = []
        async for verdict in (writer >> critic).iterate("write a poem"):
            drafts.append(verdict)
            if "APPROVED" in verdict:
                break
    assert drafts == ["NEEDS WORK", "APPROVED"]
    # The persistent writer kept its conversation: its second call saw the first exchange.
    assert writer_llm.call_log[1][1]["content"] == "write a poem"
    assert writer_llm.call_log[1][-1]["content"] == "NEEDS WORK"


async def test_mixed_pipeline_with_parallel_and_fallback_over_agents():
    failing = ScriptedLLM([ScriptEntry("", error="model down")])
    async with (
        await agent(AgentConfig(name="a"), llm=ScriptedLLM(["alpha"])) as a,
        await agent(AgentConfig(name="b"), llm=ScriptedLLM(["beta"])) as b,
        await agent(AgentConfig(name="bad"), llm=failing) as bad,
    ):
        result = await ((a >> upper) & b | bad)("go")
        assert result == ["ALPHA", "beta"]
        rescued = await (bad | b)("go")
        assert rescued == "beta"
        with pytest.raises(StepFailed) as err:
            await bad("go")
        assert err.value.result.status == "error"


async def test_factory_builds_a_fresh_agent_per_call():
    llm = ScriptedLLM(["one", "two"])
    step = factory(AgentConfig(name="fresh"), llm=llm)
    assert await step("a") == "one"
    assert await step("b") == "two"
    # Fresh creature each time: the second call saw no earlier history.
    assert [m["role"] for m in llm.call_log[1]] == ["system", "user"]


async def test_agents_on_a_terrarium_engine_compose_and_are_removed_after():
    from kohakuterrarium import Terrarium

    async with Terrarium() as engine:
        a = await agent(AgentConfig(name="alpha"), engine=engine, llm=ScriptedLLM(["from a"]))
        b = await agent(AgentConfig(name="beta"), engine=engine, llm=ScriptedLLM(["from b"]))
        c = await agent(AgentConfig(name="gamma"), engine=engine, llm=ScriptedLLM(["from c"]))
        assert len(engine) == 3
        result = await ((a >> upper) & b | c)("go")
        assert result == ["FROM A", "from b"]
        fresh = factory(AgentConfig(name="delta"), engine=engine, llm=ScriptedLLM(["d"]))
        assert await fresh("x") == "d"
        assert len(engine) == 3  # the factory's creature was removed after its call
        for step in (a, b, c):
            await step.close()
        assert len(engine) == 0
