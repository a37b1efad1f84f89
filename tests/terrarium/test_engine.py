"""The Terrarium engine: creatures, channels between creatures, graphs, crashes, shutdown."""

from __future__ import annotations

import asyncio

import pytest
from terrarium_helpers import cfg, llm, native, user_texts, wait_for

from kohakuterrarium import EventFilter, EventKind, Terrarium, TurnResult
from kohakuterrarium.errors import (
    KTError,
    MissingFileError,
    TerrariumError,
    UnknownKeyError,
    UnknownModelError,
)


async def test_add_creature_builds_at_once_and_bad_input_raises_now(tmp_path):
    async with Terrarium() as engine:
        with pytest.raises(MissingFileError):
            await engine.add_creature(tmp_path / "nope")
        with pytest.raises(UnknownKeyError):
            await engine.add_creature({"name": "x", "tool": []}, llm=llm())
        with pytest.raises(UnknownModelError):
            await engine.add_creature(cfg("x"), llm="no-such-profile-anywhere")
        assert len(engine) == 0 and engine.list_graphs() == []
        a = await engine.add_creature(cfg("a"), llm=llm())
        with pytest.raises(TerrariumError, match="already exists"):
            await engine.add_creature(cfg("b"), creature_id="a", llm=llm())
        twin = await engine.add_creature(cfg("a"), llm=llm())
        assert twin.creature_id == "a_2"
        assert engine["a"] is a and "a" in engine and a in engine
        assert [c.creature_id for c in engine] == ["a", "a_2"]
        assert engine.get_creature("a_2") is twin
        with pytest.raises(TerrariumError, match="did you mean"):
            engine.get_creature("a_3")
        with pytest.raises(KeyError):
            engine["zzz"]


async def test_creature_handle_runs_chats_and_reports_status():
    async with Terrarium() as engine:
        c = await engine.add_creature(cfg("solo"), llm=llm("first", "second", "third"))
        result = await c.run("hi", timeout=5)
        assert isinstance(result, TurnResult) and result.ok and result.text == "first"
        chunks = [t async for t in c.chat("more")]
        assert "".join(chunks) == "second"
        injected = await c.inject_input("again")
        assert injected.text == "third"
        status = c.get_status()
        for key in (
            "creature_id",
            "graph_id",
            "model",
            "running",
            "is_processing",
            "tools",
            "listen_channels",
            "send_channels",
            "is_privileged",
            "parent_creature_id",
        ):
            assert key in status
        assert status["running"] and "send_channel" in status["tools"]
        assert engine.status(c)["creature_id"] == "solo"
        assert engine.status()["creatures"] == 1


async def test_stopped_creature_restarts_with_its_history():
    async with Terrarium() as engine:
        c = await engine.add_creature(cfg("c"), llm=llm("one", "two"))
        await c.run("remember me")
        await c.stop()
        assert not c.is_running and c.state == "stopped"
        await c.start()
        result = await c.run("still there?")
        assert result.text == "two"
        history = [m.get("content") for m in c.agent.conversation_history]
        assert "remember me" in history


async def test_broadcast_channel_reaches_every_listening_creature():
    async with Terrarium() as engine:
        scripts = {}
        creatures = []
        for i in range(5):
            scripts[i] = llm(f"ack {i}")
            creatures.append(await engine.add_creature(cfg(f"c{i}"), llm=scripts[i]))
        graph = creatures[0].graph_id
        await engine.add_channel(graph, "news", "Announcements")
        for c in creatures:
            await engine.wire_channel(c, "news", graph=graph)
        assert len(engine.list_graphs()) == 1  # wiring into the channel merged them
        await engine.send(graph, "news", "hello all", sender="boss")
        await wait_for(lambda: all(s.call_count == 1 for s in scripts.values()))
        for s in scripts.values():
            assert user_texts(s) == ["[Channel 'news' from boss]: hello all"]


async def test_queue_channel_gives_each_message_to_one_creature():
    async with Terrarium() as engine:
        w1, w2 = llm("done"), llm("done")
        a = await engine.add_creature(cfg("w1"), llm=w1)
        b = await engine.add_creature(cfg("w2"), llm=w2)
        await engine.add_channel(a, "tasks", channel_type="queue")
        await engine.wire_channel(a, "tasks")
        await engine.wire_channel(b, "tasks", graph=a.graph_id)
        for i in range(4):
            await engine.send(a.graph_id, "tasks", f"job {i}")
        await wait_for(lambda: sum(len(user_texts(s)) for s in (w1, w2)) >= 2)
        await asyncio.sleep(0.05)
        seen = " ".join(user_texts(w1) + user_texts(w2))
        for i in range(4):
            assert seen.count(f"job {i}") == 1  # exactly one consumer per message
        assert "job 0" in " ".join(user_texts(w1)) and "job 1" in " ".join(user_texts(w2))


async def test_creature_does_not_hear_its_own_posts_unless_opted_in():
    async with Terrarium() as engine:
        talker = llm(native("send_channel", channel="chat", message="hi there"), "sent")
        other = llm("heard")
        a = await engine.add_creature(cfg("talker"), llm=talker)
        b = await engine.add_creature(cfg("other"), llm=other)
        await engine.connect(a, b, channel="chat")
        await engine.wire_channel(a, "chat")  # a also listens: but not to itself
        result = await a.run("say hi")
        assert result.ok, result.error
        await wait_for(lambda: other.call_count == 1)
        await asyncio.sleep(0.05)
        assert talker.call_count == 2  # the tool round and the reply; no extra turn
        assert user_texts(other) == ["[Channel 'chat' from talker]: hi there"]
        # opting in: a second listener edge flag makes it hear itself
        echo = llm(native("send_channel", channel="echo", message="me again"), "sent", "heard")
        c = await engine.add_creature(cfg("echo"), llm=echo)
        await engine.add_channel(c, "echo")
        await engine.wire_channel(c, "echo", direction="send")
        await engine.wire_channel(c, "echo", receive_own=True)
        await c.run("post")
        await wait_for(lambda: echo.call_count == 3)
        assert user_texts(echo)[-1] == "[Channel 'echo' from echo]: me again"


async def test_send_channel_without_an_edge_explains_how_to_get_one():
    async with Terrarium() as engine:
        a = await engine.add_creature(
            cfg("a"), llm=llm(native("send_channel", channel="x", message="m"), "ok")
        )
        await engine.add_channel(a, "x")
        result = await a.run("go")
        err = result.tool_calls[0].error or result.tool_calls[0].result
        assert "no send edge" in err and "root" in err


async def test_connect_merges_and_disconnect_splits():
    async with Terrarium() as engine:
        a = await engine.add_creature(cfg("a"), llm=llm())
        b = await engine.add_creature(cfg("b"), llm=llm())
        assert a.graph_id != b.graph_id
        res = await engine.connect(a, b)
        assert res.delta_kind == "merge" and res.channel == "a_to_b"
        assert res.trigger_id == "listen:b:a_to_b"
        topo = engine.get_graph(a.graph_id)
        assert set(topo.creature_ids) == {"a", "b"}
        assert topo.send_edges["a"] == ("a_to_b",) and topo.listen_edges["b"] == ("a_to_b",)
        again = await engine.connect(a, b, channel="a_to_b")
        assert again.delta_kind == "nothing"
        out = await engine.disconnect(a, b)
        assert out.delta_kind == "split" and out.channels == ("a_to_b",)
        assert a.graph_id != b.graph_id and len(engine.list_graphs()) == 2
        assert not engine.get_graph(a.graph_id).channels  # the auto channel went with its edges
        assert (await engine.disconnect(a, b)).delta_kind == "nothing"


async def test_disconnect_keeps_graph_when_another_path_remains():
    async with Terrarium() as engine:
        a, b, c = [await engine.add_creature(cfg(n), llm=llm()) for n in "abc"]
        await engine.connect(a, b)
        await engine.connect(b, c)
        await engine.connect(c, a)
        out = await engine.disconnect(a, b)
        assert out.delta_kind == "nothing"
        assert a.graph_id == b.graph_id == c.graph_id


async def test_removing_a_hub_splits_into_pieces():
    async with Terrarium() as engine:
        hub = await engine.add_creature(cfg("hub"), llm=llm())
        leaves = [await engine.add_creature(cfg(f"l{i}"), llm=llm()) for i in range(3)]
        for leaf in leaves:
            await engine.connect(hub, leaf)
        assert len(engine.list_graphs()) == 1
        events = engine.subscribe(EventFilter(kinds="topology_changed"))
        await engine.remove_creature(hub)
        assert "hub" not in engine
        assert len({leaf.graph_id for leaf in leaves}) == 3
        seen = []
        while (e := events.get_nowait()) is not None:
            seen.append(e.payload.get("kind"))
        assert seen.count("split") == 2 and "creature_removed" in seen


async def test_channel_type_conflict_blocks_a_merge():
    async with Terrarium() as engine:
        a = await engine.add_creature(cfg("a"), llm=llm())
        b = await engine.add_creature(cfg("b"), llm=llm())
        await engine.add_channel(a, "x", channel_type="queue")
        await engine.add_channel(b, "x", channel_type="broadcast")
        with pytest.raises(TerrariumError, match="cannot merge"):
            await engine.connect(a, b, channel="x")
        assert a.graph_id != b.graph_id


async def test_events_republish_agent_activity():
    async with Terrarium() as engine:
        events = engine.subscribe(EventFilter(creature_ids="c"))
        c = await engine.add_creature(cfg("c"), llm=llm("hello world"))
        await c.run("hi")
        kinds = []
        while (e := events.get_nowait()) is not None:
            kinds.append(e.kind)
        assert kinds[:2] == [EventKind.TOPOLOGY_CHANGED, EventKind.CREATURE_STARTED]
        assert EventKind.PROCESSING_START in kinds and kinds[-1] == EventKind.PROCESSING_END
        assert kinds.index(EventKind.PROCESSING_START) < kinds.index(EventKind.TEXT)


async def test_a_crashing_creature_stops_alone():
    async with Terrarium() as engine:
        errors = engine.subscribe(EventFilter(kinds="error"))
        bad_llm, good_llm = llm("never"), llm("fine")
        bad = await engine.add_creature(cfg("bad"), llm=bad_llm)
        good = await engine.add_creature(cfg("good"), llm=good_llm)
        await engine.add_channel(bad, "chat")
        await engine.wire_channel(bad, "chat")
        await engine.wire_channel(good, "chat", graph=bad.graph_id)

        async def explode(*_a, **_k):
            raise RuntimeError("boom in the loop")

        bad.agent._drive = explode  # an exception escaping the agent's worker
        await engine.send(bad.graph_id, "chat", "wake up")
        await wait_for(lambda: bad.state == "crashed" and not bad.agent.is_running)
        await wait_for(lambda: good_llm.call_count == 1)
        err = await errors.get(timeout=1)
        assert err.creature_id == "bad" and "boom in the loop" in err.payload["error"]
        await engine.send(bad.graph_id, "chat", "still alive?")
        await wait_for(lambda: good_llm.call_count == 2)
        assert bad_llm.call_count == 0 and good.is_running


async def test_a_failing_start_is_reported_and_raises():
    async with Terrarium() as engine:
        errors = engine.subscribe(EventFilter(kinds="error"))
        c = await engine.add_creature(cfg("c"), llm=llm(), start=False)

        async def broken_start():
            raise RuntimeError("cannot start")

        c.agent.start = broken_start
        with pytest.raises(TerrariumError, match="failed to start"):
            await c.start()
        assert c.state == "crashed" and isinstance(c.error, RuntimeError)
        assert (await errors.get(timeout=1)).payload["where"] == "start"
        other = await engine.add_creature(cfg("other"), llm=llm("ok"))
        assert (await other.run("hi")).ok


async def test_shutdown_is_idempotent_and_leaves_no_task_behind():
    before = asyncio.all_tasks()
    engine = Terrarium()
    listener = llm("reply")
    a = await engine.add_creature(cfg("a"), llm=llm("x"))
    b = await engine.add_creature(cfg("b"), llm=listener)
    await engine.connect(a, b)
    await engine.wire_output(b, a)
    events = engine.subscribe()
    consumer = asyncio.ensure_future(_drain(events))
    await engine.send(a.graph_id, "a_to_b", "work")
    await asyncio.sleep(0.05)
    await engine.shutdown()
    await engine.shutdown()
    assert await asyncio.wait_for(consumer, 1) >= 1  # the subscription ended by itself
    assert not a.is_running and not b.is_running
    leftover = asyncio.all_tasks() - before - {asyncio.current_task()}
    assert not [t for t in leftover if not t.done()]
    with pytest.raises(TerrariumError, match="shut down"):
        await engine.add_creature(cfg("late"), llm=llm())


async def _drain(sub) -> int:
    n = 0
    async for _ in sub:
        n += 1
    return n


async def test_errors_are_typed():
    assert issubclass(TerrariumError, KTError)


async def test_slow_broadcast_listener_drops_oldest_with_a_warning():
    async with Terrarium(channel_capacity=2) as engine:
        warnings = engine.subscribe(EventFilter(kinds="error"))
        slow = await engine.add_creature(cfg("slow"), llm=llm())
        fast_llm = llm("ok")
        fast = await engine.add_creature(cfg("fast"), llm=fast_llm, graph=slow.graph_id)
        await engine.add_channel(slow, "news")
        await engine.wire_channel(slow, "news")
        await engine.wire_channel(fast, "news")
        blocked = asyncio.Event()

        def inbox_full(_event):
            raise asyncio.QueueFull

        async def never_room(_event):
            await blocked.wait()

        slow.agent.inject_event_nowait = inbox_full
        slow.agent.inject_event = never_room
        for i in range(6):
            await engine.send(slow.graph_id, "news", f"n{i}")  # the sender never waits
        sub = slow.listen["news"]
        assert sub.pending == 2 and sub.dropped == 4  # two buffered, the four oldest lost
        levels = []
        while (e := warnings.get_nowait()) is not None:
            levels.append((e.payload["level"], e.payload["dropped"], e.creature_id))
        # rate-limited: the first drop and each power of two
        assert levels == [("warning", 1, "slow"), ("warning", 2, "slow"), ("warning", 4, "slow")]
        await wait_for(lambda: len(user_texts(fast_llm)) >= 1)
        blocked.set()
