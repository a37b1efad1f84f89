"""Output wiring: a creature's turn-end text delivered to other creatures."""

from __future__ import annotations

import asyncio
import time

from terrarium_helpers import cfg, llm, native, user_texts, wait_for

from kohakuterrarium import EventFilter, EventKind, Terrarium
from kohakuterrarium.core.config_types import OutputWiringEntry
from kohakuterrarium.core.events import TriggerEvent
from kohakuterrarium.testing import ScriptEntry


def record_deliveries(creatures, log):
    for c in creatures:
        original = c.deliver_event

        async def wrapped(event, _c=c, _orig=original):
            log.append((_c.creature_id, event.prompt_override))
            return await _orig(event)

        c.deliver_event = wrapped


async def test_turn_output_reaches_targets_in_wire_order_turn_after_turn():
    async with Terrarium() as engine:
        src = await engine.add_creature(cfg("src"), llm=llm("out1", "out2", "out3"))
        t1 = await engine.add_creature(cfg("t1"), llm=llm("ok"))
        t2 = await engine.add_creature(cfg("t2"), llm=llm("ok"))
        e1 = await engine.wire_output(src, t1)
        e2 = await engine.wire_output(src, "t2")
        assert [e.edge_id for e in engine.list_output_wiring(src)] == [e1, e2]
        assert src.graph_id == t1.graph_id == t2.graph_id  # wires join graphs
        log: list = []
        record_deliveries([t1, t2], log)
        for i in range(3):
            await src.run(f"turn {i}")
        await wait_for(lambda: len(log) == 6)
        assert log == [
            (t, f"[output-wire from src] out{i}") for i in (1, 2, 3) for t in ("t1", "t2")
        ]
        await wait_for(lambda: t1.agent.llm.call_count >= 1)
        assert user_texts(t1.agent.llm)[0].startswith("[output-wire from src] out1")


async def test_ping_custom_prompts_and_self_wires():
    async with Terrarium() as engine:
        src = await engine.add_creature(cfg("src"), llm=llm("the text"))
        ping, custom, jin = [await engine.add_creature(cfg(n), llm=llm()) for n in ("p", "c", "j")]
        await engine.wire_output(src, ping, with_content=False)
        await engine.wire_output(
            src, custom, prompt="{source}->{target} #{turn_index}: {content}{nope}"
        )
        await engine.wire_output(
            src, jin, prompt="{{ source|upper }} says {{ content }}", prompt_format="jinja"
        )
        await engine.wire_output(src, src)  # a self wire is skipped by default
        log: list = []
        record_deliveries([ping, custom, jin, src], log)
        await src.run("go")
        await wait_for(lambda: len(log) == 3)
        await asyncio.sleep(0.05)
        assert dict(log) == {
            "p": "[output-wire from src] (turn-end signal, no content)",
            "c": "src->c #1: the text",
            "j": "SRC says the text",
        }


async def test_self_trigger_when_allowed():
    async with Terrarium() as engine:
        src = await engine.add_creature(cfg("loop"), llm=llm("again"))
        await engine.wire_output(src, src, allow_self_trigger=True, with_content=False)
        await src.run("start")
        await wait_for(lambda: src.agent.llm.call_count >= 3)  # it keeps waking itself
        await src.stop()


async def test_root_target_declared_in_config_and_unwire():
    async with Terrarium() as engine:
        boss_llm = llm("noted")
        boss = await engine.add_creature(cfg("boss"), llm=boss_llm)
        worker_cfg = cfg("worker")
        worker_cfg.output_wiring = [OutputWiringEntry(to="root", with_content=False)]
        worker = await engine.add_creature(worker_cfg, llm=llm("done"), graph=boss.graph_id)
        await engine.assign_root(boss)
        events = engine.subscribe(EventFilter(kinds=["output_wire_removed"]))
        await worker.run("work")
        await wait_for(lambda: boss_llm.call_count == 1)
        assert user_texts(boss_llm) == ["[output-wire from worker] (turn-end signal, no content)"]
        (edge,) = engine.list_output_wiring(worker)
        assert await engine.unwire_output(edge.edge_id)
        assert not await engine.unwire_output(edge.edge_id)
        assert (await events.get(timeout=1)).kind == EventKind.OUTPUT_WIRE_REMOVED
        await worker.run("more")
        await asyncio.sleep(0.05)
        assert boss_llm.call_count == 1


async def test_delivery_never_blocks_the_source():
    async with Terrarium() as engine:
        slow = llm(ScriptEntry("thinking slowly", delay_before=0.5))
        src = await engine.add_creature(cfg("src"), llm=llm("quick"))
        target = await engine.add_creature(cfg("slow"), llm=slow)
        await engine.wire_output(src, target)
        await target.agent.inject_event(TriggerEvent("user_input", "keep busy"))
        t0 = time.perf_counter()
        for _ in range(3):
            assert (await src.run("go")).ok
        assert time.perf_counter() - t0 < 0.4


async def test_group_send_is_direct_and_respects_privilege():
    async with Terrarium() as engine:
        root_llm = llm("thanks")
        root = await engine.add_creature(cfg("root"), llm=root_llm, is_privileged=True)
        peer = await engine.add_creature(cfg("peer"), llm=llm(), graph=root.graph_id)
        worker = await engine.add_creature(
            cfg("worker"),
            llm=llm(
                native("group_send", to="peer", message="psst"),
                native("group_send", to="root", message="status: done"),
                "sent",
            ),
            graph=root.graph_id,
        )
        result = await worker.run("report")
        first, second = result.tool_calls
        assert "only to privileged" in (first.error or first.result)
        assert '"delivered": true' in second.result
        await wait_for(lambda: root_llm.call_count == 1)
        assert user_texts(root_llm) == ["[direct from worker] status: done"]
        assert peer.agent.llm.call_count == 0
