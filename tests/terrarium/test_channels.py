"""Channel semantics in isolation: broadcast, queue, own messages, backpressure, history."""

from __future__ import annotations

import asyncio

import pytest

from kohakuterrarium.errors import BadValueError, TerrariumError
from kohakuterrarium.terrarium.channels import (
    CallbackSubscription,
    Channel,
    ChannelMessage,
    ChannelSubscription,
)
from kohakuterrarium.terrarium.tasks import TaskOwner


def msg(text: str, sender: str = "user", sender_id: str | None = None) -> ChannelMessage:
    return ChannelMessage(sender, text, sender_id=sender_id)


def sub(name: str, **kw) -> ChannelSubscription:
    return ChannelSubscription(name, owner_id=kw.pop("owner_id", name), owner_name=name, **kw)


def texts(s: ChannelSubscription) -> list[str]:
    return [m.content for m in s.drain()]


async def test_broadcast_reaches_every_subscriber_and_late_joiners_see_only_later():
    ch = Channel("chat", channel_type="broadcast")
    a, b = ch.add_subscriber(sub("a")), ch.add_subscriber(sub("b"))
    await ch.send(msg("one"))
    late = ch.add_subscriber(sub("late"))
    await ch.send(msg("two"))
    assert texts(a) == ["one", "two"]
    assert texts(b) == ["one", "two"]
    assert texts(late) == ["two"]
    assert [m.content for m in ch.history] == ["one", "two"]
    assert all(m.channel == "chat" for m in ch.history)


async def test_queue_gives_each_message_to_one_consumer_round_robin():
    ch = Channel("tasks", channel_type="queue")
    a, b = ch.add_subscriber(sub("a")), ch.add_subscriber(sub("b"))
    for i in range(4):
        await ch.send(msg(f"t{i}"))
    assert texts(a) == ["t0", "t2"]
    assert texts(b) == ["t1", "t3"]


async def test_queue_backlog_waits_for_the_first_consumer():
    ch = Channel("tasks", channel_type="queue")
    await ch.send(msg("early"))
    assert ch.backlog == 1
    a = ch.add_subscriber(sub("a"))
    assert texts(a) == ["early"] and ch.backlog == 0


async def test_own_messages_are_skipped_unless_opted_in():
    ch = Channel("chat")
    me = ch.add_subscriber(sub("me"))
    me_too = ch.add_subscriber(sub("me_too", owner_id="me", receive_own=True))
    other = ch.add_subscriber(sub("other"))
    await ch.send(msg("mine", sender="me", sender_id="me"))
    assert texts(me) == []
    assert texts(me_too) == ["mine"]
    assert texts(other) == ["mine"]


async def test_own_filter_falls_back_to_sender_name():
    ch = Channel("chat")
    me = ch.add_subscriber(sub("me"))
    await ch.send(msg("from outside, same name", sender="me"))
    assert texts(me) == []


async def test_queue_never_hands_a_consumer_its_own_message():
    ch = Channel("tasks", channel_type="queue")
    me = ch.add_subscriber(sub("me"))
    other = ch.add_subscriber(sub("other"))
    for _ in range(3):
        await ch.send(msg("job", sender="me", sender_id="me"))
    assert texts(me) == [] and len(texts(other)) == 3


async def test_broadcast_backpressure_drops_oldest_and_reports():
    drops = []
    ch = Channel("chat", on_drop=lambda c, s: drops.append(s.dropped))
    slow = ch.add_subscriber(sub("slow", capacity=2))
    for i in range(5):
        await ch.send(msg(f"m{i}"))
    assert texts(slow) == ["m3", "m4"]
    assert slow.dropped == 3
    assert drops == [1, 2, 3]


async def test_queue_backpressure_makes_the_sender_wait_then_fail():
    ch = Channel("tasks", channel_type="queue", capacity=1)
    a = ch.add_subscriber(sub("a", capacity=1))
    await ch.send(msg("first"))
    waiting = asyncio.ensure_future(ch.send(msg("second"), timeout=2))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the sender waits for room...
    assert (await a.get()).content == "first"
    await asyncio.wait_for(waiting, 1)  # ...and goes on once the consumer took one
    assert texts(a) == ["second"]
    await ch.send(msg("third"))
    with pytest.raises(TerrariumError, match="full"):
        await ch.send(msg("fourth"), timeout=0.05)


async def test_taps_see_queue_traffic_without_consuming():
    ch = Channel("tasks", channel_type="queue")
    worker = ch.add_subscriber(sub("worker"))
    root = ch.add_subscriber(sub("root", tap=True))
    await ch.send(msg("a"))
    await ch.send(msg("b"))
    assert texts(worker) == ["a", "b"]
    assert texts(root) == ["a", "b"]
    only_root = Channel("results", channel_type="queue")
    r = only_root.add_subscriber(sub("root", tap=True))
    await only_root.send(msg("done"))
    assert texts(r) == ["done"] and only_root.backlog == 0


async def test_history_is_bounded():
    ch = Channel("chat", history_size=3)
    for i in range(10):
        await ch.send(msg(str(i)))
    assert [m.content for m in ch.history] == ["7", "8", "9"]


async def test_unknown_channel_type_is_refused():
    with pytest.raises(BadValueError, match="unknown type"):
        Channel("x", channel_type="fanout")


async def test_callback_subscription_uses_fast_path_then_pumps_in_order():
    owner = TaskOwner("t")
    inbox: list[str] = []
    room = {"free": True}

    def try_deliver(m):
        if room["free"]:
            inbox.append(m.content)
            return True
        return False

    async def deliver(m):
        inbox.append(m.content)

    ch = Channel("chat")
    ch.add_subscriber(
        CallbackSubscription("c", owner=owner, try_deliver=try_deliver, deliver=deliver)
    )
    await ch.send(msg("fast"))
    assert inbox == ["fast"] and len(owner) == 0  # no task for the fast path
    room["free"] = False
    await ch.send(msg("slow1"))
    await ch.send(msg("slow2"))
    room["free"] = True
    await ch.send(msg("after"))  # must not overtake the buffered ones
    await asyncio.sleep(0.01)
    assert inbox == ["fast", "slow1", "slow2", "after"]
    await owner.cancel_all()


async def test_subscription_get_times_out_and_close_wakes_waiters():
    ch = Channel("chat")
    s = ch.add_subscriber(sub("s"))
    assert await s.get(timeout=0.01) is None
    waiter = asyncio.ensure_future(s.get())
    await asyncio.sleep(0)
    s.close()
    assert await asyncio.wait_for(waiter, 1) is None
    assert "s" not in ch.subscribers
