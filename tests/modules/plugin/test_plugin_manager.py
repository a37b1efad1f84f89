"""PluginManager: ordering, gating, failure isolation and the API the controller calls."""

from __future__ import annotations

import logging
import time

import pytest

from kohakuterrarium.modules.plugin.base import BasePlugin, PluginBlockError, PluginContext
from kohakuterrarium.modules.plugin.manager import POST_HOOKS, PluginManager
from kohakuterrarium.parsing.events import ToolCallEvent


def make(name: str, priority: int = 50, log: list | None = None, **hooks):
    """A BasePlugin subclass with the given hook functions (sync or async)."""
    attrs = {"name": name, "priority": priority}
    attrs.update(hooks)
    plugin = type(f"P_{name}", (BasePlugin,), attrs)()
    plugin.log = log
    return plugin


def recorder(log: list, tag: str, ret=None):
    async def hook(self, *args, **kw):
        log.append((tag, args, kw))
        return ret

    return hook


# --------------------------------------------------------------------------- registry


def test_register_list_get_enable_disable_unregister():
    pm = PluginManager()
    a = make("a", 20)
    a.description = "first"
    b = make("b", 10)
    pm.register(a)
    pm.register(b, enabled=False)
    assert pm.list() == [
        {"name": "b", "priority": 10, "enabled": False, "description": ""},
        {"name": "a", "priority": 20, "enabled": True, "description": "first"},
    ]
    assert pm.get("a") is a and pm.get("zzz") is None
    assert pm.enable("b") and pm.is_enabled("b")
    assert pm.disable("a") and not pm.is_enabled("a")
    assert not pm.enable("zzz")
    assert pm.unregister("a") and not pm.unregister("a")
    assert [p["name"] for p in pm.list()] == ["b"]
    assert len(pm) == 1 and "b" in pm


def test_register_is_duck_typed():
    calls = []

    class Duck:
        name = "duck"

        def on_event(self, event):
            calls.append(event)

    pm = PluginManager()
    pm.register(Duck())
    assert pm.has_hook("on_event")
    assert not pm.has_hook("pre_llm_call")
    assert pm.list()[0]["priority"] == 50


async def test_duck_plugin_sync_hooks_run():
    calls = []

    class Duck:
        name = "duck"

        def on_event(self, event):
            calls.append(event)

        def pre_llm_call(self, messages, **kw):
            return [*messages, "added"]

    pm = PluginManager()
    pm.register(Duck())
    await pm.notify("on_event", event="ev")
    assert calls == ["ev"]
    assert await pm.transform("pre_llm_call", ["m"], model="x", tools=None) == ["m", "added"]


def test_same_name_replaces_and_unnamed_plugins_coexist():
    pm = PluginManager()
    first, second = make("x"), make("x")
    pm.register(first)
    pm.register(second)
    assert pm.get("x") is second and len(pm) == 1
    k1 = pm.register(BasePlugin())
    k2 = pm.register(BasePlugin())
    assert k1 != k2 and len(pm) == 3


# --------------------------------------------------------------------------- ordering


async def test_pre_hooks_and_notifications_run_in_ascending_priority_stable_by_registration():
    log: list = []
    pm = PluginManager()
    pm.register(make("late", 90, pre_llm_call=recorder(log, "late")))
    pm.register(make("early", 5, pre_llm_call=recorder(log, "early")))
    pm.register(make("mid1", 50, pre_llm_call=recorder(log, "mid1")))
    pm.register(make("mid2", 50, pre_llm_call=recorder(log, "mid2")))
    await pm.transform("pre_llm_call", [], model="m", tools=None)
    assert [t for t, *_ in log] == ["early", "mid1", "mid2", "late"]


@pytest.mark.parametrize("hook", sorted(POST_HOOKS))
async def test_post_hooks_run_in_reverse_priority(hook):
    log: list = []
    pm = PluginManager()
    for name, prio in (("a", 10), ("b", 20), ("c", 30)):
        pm.register(make(name, prio, **{hook: recorder(log, name)}))
    if hook == "post_llm_call":
        await pm.transform_at(hook, 1, [], "text", {}, model="m")
    else:
        await pm.transform(hook, "result", name="n", job_id="j")
    assert [t for t, *_ in log] == ["c", "b", "a"]


# --------------------------------------------------------------------------- chaining


async def test_transform_chains_non_none_returns():
    async def add(self, args, **kw):
        return {**args, self.name: True}

    async def keep(self, args, **kw):
        return None

    pm = PluginManager()
    pm.register(make("one", 1, pre_tool_execute=add))
    pm.register(make("two", 2, pre_tool_execute=keep))
    pm.register(make("three", 3, pre_tool_execute=add))
    out = await pm.transform("pre_tool_execute", {}, tool_name="t", job_id="j", context=None)
    assert out == {"one": True, "three": True}


async def test_transform_at_chains_the_response_of_post_llm_call():
    seen = []

    async def upper(self, messages, response, usage, **kw):
        seen.append((messages, response, usage, kw))
        return response.upper()

    async def exclaim(self, messages, response, usage, **kw):
        return response + "!"

    pm = PluginManager()
    pm.register(make("up", 10, post_llm_call=upper))
    pm.register(make("ex", 20, post_llm_call=exclaim))
    out = await pm.transform_at("post_llm_call", 1, ["msgs"], "hi", {"prompt_tokens": 3}, model="m")
    # reverse order: "ex" first, then "up" sees "hi!"
    assert out == "HI!"
    assert seen == [(["msgs"], "hi!", {"prompt_tokens": 3}, {"model": "m"})]


async def test_failing_hook_is_logged_and_the_chain_continues(caplog):
    async def boom(self, args, **kw):
        raise RuntimeError("kaput")

    async def mark(self, args, **kw):
        return {**args, "ok": 1}

    pm = PluginManager()
    pm.register(make("boom", 1, pre_tool_execute=boom))
    pm.register(make("mark", 2, pre_tool_execute=mark))
    with caplog.at_level(logging.ERROR, logger="kohakuterrarium"):
        out = await pm.transform("pre_tool_execute", {"a": 0}, tool_name="t")
    assert out == {"a": 0, "ok": 1}
    assert any("boom" in r.getMessage() and "kaput" in r.getMessage() for r in caplog.records)


async def test_plugin_block_error_propagates_and_stops_the_chain():
    log: list = []

    async def block(self, args, **kw):
        raise PluginBlockError("not allowed")

    pm = PluginManager()
    pm.register(make("blocker", 1, pre_tool_execute=block))
    pm.register(make("after", 2, pre_tool_execute=recorder(log, "after")))
    with pytest.raises(PluginBlockError, match="not allowed"):
        await pm.transform("pre_tool_execute", {}, tool_name="bash")
    assert log == []


async def test_pre_tool_dispatch_replaces_the_call_and_passes_the_context():
    seen = []

    async def rename(self, call, context):
        seen.append(context)
        return ToolCallEvent(name="safe_" + call.name, args=call.args)

    pm = PluginManager()
    pm.register(make("rename", pre_tool_dispatch=rename))
    ctx = PluginContext(agent_name="a")
    out = await pm.pre_tool_dispatch(ToolCallEvent(name="bash", args={"cmd": "ls"}), ctx)
    assert (out.name, out.args) == ("safe_bash", {"cmd": "ls"})
    assert seen == [ctx]


async def test_pre_tool_dispatch_block_propagates():
    async def block(self, call, context):
        raise PluginBlockError(f"{call.name} is open-circuit")

    pm = PluginManager()
    pm.register(make("breaker", pre_tool_dispatch=block))
    with pytest.raises(PluginBlockError, match="bash is open-circuit"):
        await pm.pre_tool_dispatch(ToolCallEvent(name="bash"), PluginContext())


async def test_pre_tool_dispatch_ignores_a_non_call_return():
    async def bad(self, call, context):
        return "not a call"

    pm = PluginManager()
    pm.register(make("bad", pre_tool_dispatch=bad))
    call = ToolCallEvent(name="bash")
    assert await pm.pre_tool_dispatch(call, PluginContext()) is call


async def test_notify_swallows_even_block_errors():
    log: list = []

    async def block(self, **kw):
        raise PluginBlockError("x")

    pm = PluginManager()
    pm.register(make("b", 1, on_agent_stop=block))
    pm.register(make("r", 2, on_agent_stop=recorder(log, "r")))
    await pm.notify("on_agent_stop")
    assert [t for t, *_ in log] == ["r"]


async def test_on_event_receives_event_keyword():
    log: list = []
    pm = PluginManager()
    pm.register(make("e", on_event=recorder(log, "e")))
    await pm.notify("on_event", event="ev")
    assert log == [("e", (), {"event": "ev"})]


async def test_compact_start_veto_and_compact_end_keywords():
    log: list = []

    async def veto(self, context_length):
        log.append(("veto", context_length))
        return False

    async def allow(self, context_length):
        log.append(("allow", context_length))
        return True

    pm = PluginManager()
    assert await pm.compact_start(100) is True
    pm.register(make("allow", 1, on_compact_start=allow))
    assert await pm.compact_start(100) is True
    pm.register(make("veto", 2, on_compact_start=veto))
    assert await pm.compact_start(200) is False
    assert ("allow", 200) in log and ("veto", 200) in log
    pm.register(make("end", on_compact_end=recorder(log, "end")))
    await pm.compact_end("sum", 4)
    assert log[-1] == ("end", (), {"summary": "sum", "messages_removed": 4})


# --------------------------------------------------------------------------- gating


async def test_should_apply_gets_the_load_context_and_gates_hooks():
    log: list = []

    def only_swe(self, context):
        return context is not None and context.agent_name == "swe"

    pm = PluginManager()
    pm.register(make("g", on_event=recorder(log, "g"), should_apply=only_swe))
    pm._load_context = PluginContext(agent_name="other")
    await pm.notify("on_event", event=1)
    assert log == []
    pm._load_context = PluginContext(agent_name="swe")
    await pm.notify("on_event", event=2)
    assert log == [("g", (), {"event": 2})]


async def test_should_apply_raising_means_applicable():
    log: list = []

    def broken(self, context=None):
        raise ValueError("bad gate")

    pm = PluginManager()
    pm.register(make("g", on_event=recorder(log, "g"), should_apply=broken))
    await pm.notify("on_event", event=1)
    assert len(log) == 1


async def test_disabled_plugins_do_not_run():
    log: list = []
    pm = PluginManager()
    pm.register(make("d", on_event=recorder(log, "d")), enabled=False)
    assert not pm.has_hook("on_event")
    await pm.notify("on_event", event=1)
    assert log == []
    pm.enable("d")
    await pm.notify("on_event", event=2)
    assert len(log) == 1


# --------------------------------------------------------------------------- fast path


async def test_zero_plugins_fast_path_returns_values_untouched():
    pm = PluginManager()
    msgs = [{"role": "user", "content": "x"}]
    for hook in ("pre_llm_call", "pre_tool_execute", "post_tool_execute", "on_event"):
        assert not pm.has_hook(hook)
    assert await pm.transform("pre_llm_call", msgs, model="m", tools=None) is msgs
    assert await pm.transform_at("post_llm_call", 1, msgs, "resp", {}, model="m") == "resp"
    call = ToolCallEvent(name="t")
    assert await pm.pre_tool_dispatch(call, None) is call
    assert await pm.compact_start(5) is True
    assert pm.collect_termination_checkers() == []
    assert pm.collect_prompt_content(None) == []
    assert pm.collect_runtime_services(None) == {}
    t0 = time.perf_counter()
    for _ in range(20_000):
        await pm.transform("pre_llm_call", msgs, model="m", tools=None)
    # generous bound: the point is "a dict lookup", not a benchmark
    assert time.perf_counter() - t0 < 1.0


async def test_plugins_without_an_override_are_not_in_the_hook_list():
    class Touchy(BasePlugin):
        name = "touchy"

        async def on_event(self, event=None):
            pass

        def should_apply(self, context):
            raise AssertionError("gate must not be consulted for hooks it does not implement")

    pm = PluginManager()
    pm.register(Touchy())
    assert not pm.has_hook("pre_llm_call")
    msgs: list = []
    assert await pm.transform("pre_llm_call", msgs, model="m", tools=None) is msgs


# --------------------------------------------------------------------------- lifecycle


async def test_load_all_passes_context_keyword_and_unload_runs_in_reverse():
    log: list = []

    def loader(tag):
        async def on_load(self, context):
            log.append(("load", tag, context._plugin_name, context.agent_name))

        return on_load

    def unloader(tag):
        async def on_unload(self):
            log.append(("unload", tag))

        return on_unload

    pm = PluginManager()
    pm.register(make("b", 20, on_load=loader("b"), on_unload=unloader("b")))
    pm.register(make("a", 10, on_load=loader("a"), on_unload=unloader("a")))
    ctx = PluginContext(agent_name="creature")
    await pm.load_all(ctx)
    assert pm._load_context is ctx
    assert log == [("load", "a", "a", "creature"), ("load", "b", "b", "creature")]
    await pm.unload_all()
    assert log[2:] == [("unload", "b"), ("unload", "a")]


async def test_on_load_must_be_called_with_context_keyword():
    got = {}

    class KwOnly(BasePlugin):
        name = "kw"

        async def on_load(self, *, context):
            got["ctx"] = context

    pm = PluginManager()
    pm.register(KwOnly())
    await pm.load_all(PluginContext(agent_name="x"))
    assert got["ctx"].agent_name == "x"


async def test_failing_on_load_does_not_stop_other_plugins():
    log: list = []

    async def boom(self, context):
        raise RuntimeError("no sdk")

    pm = PluginManager()
    pm.register(make("boom", 1, on_load=boom))
    pm.register(make("ok", 2, on_load=recorder(log, "ok")))
    await pm.load_all(PluginContext())
    assert len(log) == 1


async def test_enabled_later_plugin_is_loaded_by_load_pending():
    log: list = []
    pm = PluginManager()
    pm.register(make("later", on_load=recorder(log, "later")), enabled=False)
    await pm.load_all(PluginContext())
    assert log == []
    pm.enable("later")
    await pm.load_pending()
    await pm.load_pending()
    assert len(log) == 1


# --------------------------------------------------------------------------- contributions


def test_collect_termination_checkers_prompt_content_and_services():
    def check(ctx):
        return None

    pm = PluginManager()
    pm.register(
        make(
            "a",
            1,
            contribute_termination_check=lambda self: check,
            get_prompt_content=lambda self, ctx: "Be careful.",
            runtime_services=lambda self, ctx: {"runner": "a-runner"},
        )
    )
    pm.register(
        make(
            "b",
            2,
            contribute_termination_check=lambda self: None,
            get_prompt_content=lambda self, ctx: "  ",
            runtime_services=lambda self, ctx: {"runner": "b-runner", "other": 1},
        )
    )
    pm.register(make("c", 3, get_prompt_content=lambda self, ctx: 1 / 0))
    assert pm.collect_termination_checkers() == [check]
    assert pm.collect_prompt_content(None) == ["Be careful."]
    assert pm.collect_runtime_services(None) == {"runner": "a-runner", "other": 1}


def test_collect_prompt_content_uses_the_load_context_when_none_given():
    seen = []
    pm = PluginManager()
    pm.register(make("p", get_prompt_content=lambda self, ctx: seen.append(ctx)))
    ctx = PluginContext(agent_name="z")
    pm._load_context = ctx
    pm.collect_prompt_content(None)
    assert seen == [ctx]
