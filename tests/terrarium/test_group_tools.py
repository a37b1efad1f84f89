"""Group tools, the pack's root tools, the runtime-graph block and the creature environment."""

from __future__ import annotations

import asyncio
import json

import pytest
from terrarium_helpers import cfg, llm, native, user_texts, wait_for

from kohakuterrarium import EventFilter, Terrarium
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.modules.tool.catalog import create_builtin_tool
from kohakuterrarium.terrarium.group_tools import PRIVILEGED_TOOLS, SendChannelTool
from kohakuterrarium.terrarium.root_tools import ROOT_TOOLS


def tool_json(result, i=0):
    call = result.tool_calls[i]
    assert call.status == "ok", call.error or call.result
    return json.loads(call.result)


async def test_privileged_bracket_creature_prompt_lists_group_tools_from_the_start():
    async with Terrarium() as engine:
        c = await engine.add_creature(
            AgentConfig(name="boss", tool_format="bracket"), llm=llm(), is_privileged=True
        )
        prompt = c.agent.get_system_prompt()
        for name in ("send_channel", "group_send", *PRIVILEGED_TOOLS):
            assert f"`{name}`" in prompt
        assert "<!-- runtime-graph -->" in prompt and "<!-- /runtime-graph -->" in prompt
        assert "You are privileged" in prompt
        plain = await engine.add_creature(cfg("plain"), llm=llm())
        assert "group_add_node" not in plain.agent.tools
        assert {"send_channel", "group_send"} <= set(plain.agent.tools)


async def test_runtime_graph_block_follows_topology_changes():
    async with Terrarium() as engine:
        a = await engine.add_creature(cfg("a"), llm=llm())
        b = await engine.add_creature(cfg("b"), llm=llm())
        assert "Listening on: nothing" in a.agent.get_system_prompt()
        await engine.add_channel(a, "tasks", "Work items", channel_type="queue")
        await engine.wire_channel(a, "tasks")
        await engine.wire_output(a, b)
        await asyncio.sleep(0.2)  # the debounced refresh
        prompt = a.agent.get_system_prompt()
        assert "Listening on: `tasks` (queue: Work items)" in prompt
        assert "sent to: `b`" in prompt
        assert prompt.count("<!-- runtime-graph -->") == 1


async def test_root_spawns_a_creature_and_removes_it_mid_run(tmp_path):
    helper_dir = tmp_path / "helper"
    helper_dir.mkdir()
    (helper_dir / "config.yaml").write_text(
        "name: helper\nsystem_prompt: You help.\n"
        "controller:\n  llm: 'scripted:helped'\n  tool_format: native\n"
    )
    async with Terrarium(pwd=tmp_path) as engine:
        events = engine.subscribe(EventFilter(kinds=["creature_started", "creature_stopped"]))
        root_llm = llm(
            native("group_add_node", config_path="helper", name="aide"),
            native("group_channel", action="create", channel="work", channel_type="queue"),
            native("group_channel", action="wire", channel="work", creature_id="aide"),
            native("group_channel", action="wire", channel="work", direction="send"),
            native("send_channel", channel="work", message="please help"),
            native("group_status"),
            native("group_remove_node", creature_id="aide"),
            "all done",
        )
        root = await engine.add_creature(cfg("root"), llm=root_llm, is_privileged=True)
        seen_helper_reply = asyncio.Event()

        async def watch():
            sub = engine.subscribe(EventFilter(kinds="processing_end", creature_ids="aide"))
            await sub.get()
            seen_helper_reply.set()

        watcher = asyncio.ensure_future(watch())

        original_run = root_llm._stream

        async def gated(messages, tools, **options):
            # hold the removal until the spawned creature has answered its channel message
            if root_llm._next == 6:
                await asyncio.wait_for(seen_helper_reply.wait(), 3)
            async for part in original_run(messages, tools, **options):
                yield part

        root_llm._stream = gated
        result = await root.run("build a team", timeout=10)
        assert result.ok, result.error
        added = tool_json(result, 0)
        assert added == {
            "creature_id": "aide",
            "graph_id": root.graph_id,
            "name": "helper",
            "parent": "root",
            "running": True,
        }
        status = tool_json(result, 5)
        assert {c["creature_id"] for c in status["creatures"]} == {"root", "aide"}
        assert status["creatures"][1]["parent"] == "root"
        assert tool_json(result, 6) == {"removed": "aide"}
        assert "aide" not in engine and result.text == "all done"
        lifecycle = []
        while (e := events.get_nowait()) is not None:
            lifecycle.append((e.kind.value, e.creature_id))
        assert ("creature_started", "aide") in lifecycle
        assert ("creature_stopped", "aide") in lifecycle
        await watcher


async def test_non_privileged_creatures_cannot_manage_the_graph():
    async with Terrarium() as engine:
        worker = await engine.add_creature(
            cfg("w"),
            llm=llm(native("group_status"), "hmm"),
        )
        # declared through the catalog: loads, but refuses at call time
        worker.agent.registry.register_tool(create_builtin_tool("group_status"))
        result = await worker.run("status?")
        assert "needs a privileged creature" in (result.tool_calls[0].error or "")


async def test_group_tools_outside_a_terrarium_say_so():
    agent = Agent(
        cfg("alone"),
        llm=llm(native("send_channel", channel="x", message="y"), "ok"),
        tools=[SendChannelTool()],
    )
    async with agent:
        result = await agent.run("try")
    assert "only works inside a terrarium" in (result.tool_calls[0].error or "")


async def test_pack_root_tools_load_from_config_and_drive_the_engine(tmp_path):
    root_cfg = {
        "name": "lead",
        "system_prompt": "You lead.",
        "controller": {"tool_format": "native"},
        "tools": [{"name": n} for n in ROOT_TOOLS],
    }
    async with Terrarium(pwd=tmp_path) as engine:
        worker_llm = llm("working on it")
        root_llm = llm(
            native("terrarium_send", channel="tasks", message="task one"),
            native("terrarium_history", channel="tasks"),
            native("terrarium_observe", channel="results", timeout=2),
            native("terrarium_status"),
            native("creature_stop", creature_id="worker"),
            native("creature_start", creature_id="worker"),
            native("terrarium_stop"),
            "ok",
        )
        root = await engine.add_creature(root_cfg, llm=root_llm, creature_id="root")
        assert set(ROOT_TOOLS) <= set(root.agent.tools)
        worker = await engine.add_creature(cfg("worker"), llm=worker_llm, graph=root.graph_id)
        await engine.add_channel(root, "tasks", channel_type="queue")
        await engine.add_channel(root, "results", channel_type="queue")
        await engine.wire_channel(worker, "tasks")
        await engine.wire_channel(worker, "results", direction="send")
        await engine.assign_root(root)

        async def post_result():
            await wait_for(lambda: worker_llm.call_count == 1)
            await worker.environment.send("results", "finished task one")

        poster = asyncio.ensure_future(post_result())
        result = await root.run("go", timeout=10)
        await poster
        assert tool_json(result, 0)["sent"] is True
        history = tool_json(result, 1)["messages"]
        assert [m["content"] for m in history] == ["task one"]
        observed = tool_json(result, 2)
        assert [m["content"] for m in observed["messages"]] == ["finished task one"]
        assert tool_json(result, 3)["root"] == "root"
        assert tool_json(result, 4) == {"creature_id": "worker", "running": False}
        assert tool_json(result, 5) == {"creature_id": "worker", "running": True}
        assert tool_json(result, 6) == {"stopped": ["worker"]}
        assert user_texts(worker_llm)[0] == "[Channel 'tasks' from root]: task one"


async def test_environment_send_and_subscribe_back_the_builtin_channel_tools():
    async with Terrarium() as engine:
        a = await engine.add_creature(cfg("a"), llm=llm())
        b = await engine.add_creature(cfg("b"), llm=llm(), graph=a.graph_id)
        await engine.add_channel(a, "chat")
        env_a, env_b = a.agent.environment, b.agent.environment
        assert env_a is a.environment and env_a.creature_id == "a"
        sub = env_b.subscribe("chat")
        own = env_a.subscribe("chat")
        message_id = await env_a.send("chat", {"k": 1}, metadata={"m": True}, reply_to="msg_x")
        got = await sub.get(timeout=1)
        assert got.message_id == message_id and got.content == {"k": 1}
        assert got.sender == "a" and got.sender_id == "a" and got.reply_to == "msg_x"
        assert await own.get(timeout=0.05) is None  # not its own post
        assert "chat" in env_a.shared_channels
        with pytest.raises(Exception, match="no channel 'nope'"):
            await env_a.send("nope", "x")
        sub.close()
        own.close()


async def test_builtin_send_message_and_channel_trigger_work_through_the_environment():
    from kohakuterrarium.builtins.triggers.channel import ChannelTrigger
    from kohakuterrarium.core.config_types import ToolEntry

    async with Terrarium() as engine:
        talker_cfg = cfg("talker")
        talker_cfg.tools = [ToolEntry("send_message")]
        talker = await engine.add_creature(
            talker_cfg,
            llm=llm(
                native("send_message", channel="chat", message="hello"),
                native("send_message", channel="fresh", message="new", channel_type="queue"),
                "sent",
            ),
        )
        watcher_llm = llm("heard")
        watcher = await engine.add_creature(cfg("watcher"), llm=watcher_llm, graph=talker.graph_id)
        await engine.add_channel(talker, "chat")
        await watcher.agent.add_trigger(
            ChannelTrigger(channel_name="chat", environment=watcher.environment)
        )
        result = await talker.run("talk")
        assert (
            result.ok and "Message sent to channel 'chat' (id msg_" in result.tool_calls[0].result
        )
        assert engine.get_graph(talker.graph_id).channels["fresh"].channel_type == "queue"
        await wait_for(lambda: watcher_llm.call_count == 1)
        assert user_texts(watcher_llm) == ["[Channel 'chat' from talker]: hello"]
