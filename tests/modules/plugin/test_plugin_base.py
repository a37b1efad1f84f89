"""BasePlugin and PluginContext: the authoring surface installed packs build on."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest

from kohakuterrarium.errors import BadValueError, ModuleLoadError
from kohakuterrarium.modules.plugin import PluginManager as ReexportedManager
from kohakuterrarium.modules.plugin.base import (
    BasePlugin,
    PluginBlockError,
    PluginContext,
    PluginOptionError,
)
from kohakuterrarium.modules.plugin.manager import PluginManager, instantiate_plugin

# --------------------------------------------------------------------------- BasePlugin


def test_class_attribute_defaults():
    assert BasePlugin.name == "unnamed"
    assert BasePlugin.priority == 50
    assert BasePlugin.description == ""
    assert BasePlugin.applies_to == {}


def test_no_arg_init_sets_empty_options():
    assert BasePlugin().options == {}


def test_init_merges_options_dict_and_keywords():
    p = BasePlugin(options={"a": 1, "b": 2}, b=3, c=4)
    assert p.options == {"a": 1, "b": 3, "c": 4}
    assert BasePlugin(x=1).options == {"x": 1}
    assert BasePlugin({"y": 2}).options == {"y": 2}


def test_plugin_block_error_is_a_plain_exception():
    assert issubclass(PluginBlockError, Exception)
    assert PluginBlockError.__mro__[1] is Exception
    assert str(PluginBlockError("nope")) == "nope"


def test_reexports_are_the_same_objects():
    assert ReexportedManager is PluginManager


HOOK_SIGNATURES = {
    "on_load": ["context"],
    "on_unload": [],
    "pre_llm_call": ["messages", "kwargs"],
    "post_llm_call": ["messages", "response", "usage", "kwargs"],
    "pre_tool_dispatch": ["call", "context"],
    "pre_tool_execute": ["args", "kwargs"],
    "post_tool_execute": ["result", "kwargs"],
    "pre_subagent_run": ["task", "kwargs"],
    "post_subagent_run": ["result", "kwargs"],
    "on_agent_start": [],
    "on_agent_stop": [],
    "on_event": ["event"],
    "on_interrupt": [],
    "on_task_promoted": ["job_id", "tool_name"],
    "on_compact_start": ["context_length"],
    "on_compact_end": ["summary", "messages_removed"],
}


@pytest.mark.parametrize("hook", sorted(HOOK_SIGNATURES))
def test_every_hook_is_an_async_no_op_with_the_documented_parameters(hook):
    fn = getattr(BasePlugin, hook)
    assert inspect.iscoroutinefunction(fn)
    params = [p for p in inspect.signature(fn).parameters if p != "self"]
    assert params == HOOK_SIGNATURES[hook]


async def test_hooks_return_none_and_accept_the_host_keywords():
    p = BasePlugin()
    ctx = PluginContext()
    assert await p.on_load(context=ctx) is None
    assert await p.pre_llm_call([{"role": "user", "content": "x"}], model="m", tools=None) is None
    assert await p.post_llm_call([], "text", {"prompt_tokens": 1}, model="m") is None
    assert await p.pre_tool_dispatch(object(), ctx) is None
    assert await p.pre_tool_execute({}, tool_name="t", job_id="j", context=None) is None
    assert (
        await p.post_tool_execute(object(), tool_name="t", job_id="j", args={}, context=None)
        is None
    )
    assert await p.pre_subagent_run("task", name="n", job_id="j", is_background=False) is None
    assert await p.post_subagent_run(object(), name="n", job_id="j") is None
    assert await p.on_event(event=object()) is None
    assert await p.on_task_promoted("j", "bash") is None
    assert await p.on_compact_start(context_length=10) is None
    assert await p.on_compact_end(summary="s", messages_removed=3) is None


def test_sync_defaults():
    p = BasePlugin()
    assert p.should_apply(PluginContext()) is True
    assert p.contribute_termination_check() is None
    assert BasePlugin.option_schema() == {}
    assert p.get_prompt_content(PluginContext()) is None
    assert p.runtime_services(PluginContext()) == {}
    assert p.contribute_commands() == {}
    assert p.refresh_options() is None


class NoSuper(BasePlugin):
    """A plugin in the kt-biome style: it never calls super().__init__()."""

    name = "no_super"

    def __init__(self, options=None):
        self.budget = (options or {}).get("budget", 1)


async def test_plugin_that_skips_super_init_still_works():
    p = NoSuper()
    assert not hasattr(p, "options")
    assert p.should_apply(PluginContext()) is True
    assert p.get_options() == {}
    assert await p.pre_llm_call([], model="m") is None
    assert p.set_options({"anything": 1}) == {"anything": 1}
    assert p.options == {"anything": 1}
    pm = PluginManager()
    pm.register(p)
    await pm.load_all(PluginContext())
    assert pm.list()[0]["name"] == "no_super"


def test_applies_to_gates_by_agent_name_and_model_pattern():
    class Gated(BasePlugin):
        applies_to = {"agent_names": ["swe"], "model_patterns": [r"^gpt-"]}

    p = Gated()
    assert p.should_apply(PluginContext(agent_name="swe", model="gpt-5"))
    assert not p.should_apply(PluginContext(agent_name="other", model="gpt-5"))
    assert not p.should_apply(PluginContext(agent_name="swe", model="claude"))
    assert p.should_apply(None)


class Schemed(BasePlugin):
    name = "schemed"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.refreshed = 0

    @classmethod
    def option_schema(cls):
        return {
            "limit": {"type": "int", "default": 5, "min": 1, "max": 10},
            "mode": {"type": "enum", "values": ["soft", "hard"], "default": "soft"},
            "label": {"type": "string"},
        }

    def refresh_options(self):
        self.refreshed += 1


def test_get_options_fills_schema_defaults():
    assert Schemed(label="x").get_options() == {"label": "x", "limit": 5, "mode": "soft"}


def test_set_options_validates_then_refreshes():
    p = Schemed()
    p.set_options({"limit": 7, "mode": "hard"})
    assert p.options == {"limit": 7, "mode": "hard"}
    assert p.refreshed == 1


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({"limt": 3}, "no option 'limt'"),
        ({"limit": "3"}, "expects int"),
        ({"limit": True}, "expects int"),
        ({"limit": 11}, "outside"),
        ({"mode": "medium"}, "must be one of"),
    ],
)
def test_set_options_rejects_bad_values_without_changing_anything(values, fragment):
    p = Schemed()
    with pytest.raises(PluginOptionError, match=fragment) as info:
        p.set_options(values)
    assert p.options == {}
    assert p.refreshed == 0
    assert isinstance(info.value, BadValueError)
    assert isinstance(info.value, ValueError)


def test_set_options_without_schema_accepts_any_key():
    p = BasePlugin()
    assert p.set_options({"whatever": [1]}) == {"whatever": [1]}


# --------------------------------------------------------------------------- instantiate_plugin


class OptionsDict(BasePlugin):
    name = "options_dict"

    def __init__(self, options=None):
        super().__init__()
        self.options = dict(options or {})


class Keywords(BasePlugin):
    name = "keywords"

    def __init__(self, scratchpad_key="goal", reason="done", **_):
        super().__init__()
        self.scratchpad_key = scratchpad_key
        self.reason = reason


class NoOptions(BasePlugin):
    name = "no_options"

    def __init__(self):
        super().__init__()


def test_instantiate_with_options_dict_style_constructor():
    p = instantiate_plugin(OptionsDict, {"budget_usd": 5})
    assert p.options == {"budget_usd": 5}


def test_instantiate_with_keyword_style_constructor():
    p = instantiate_plugin(Keywords, {"scratchpad_key": "k", "reason": "r"})
    assert (p.scratchpad_key, p.reason) == ("k", "r")


def test_instantiate_with_empty_options_calls_no_args():
    assert isinstance(instantiate_plugin(NoOptions, {}), NoOptions)
    assert isinstance(instantiate_plugin(OptionsDict, None), OptionsDict)


def test_instantiate_with_base_signature_merges():
    assert instantiate_plugin(BasePlugin, {"a": 1}).options == {"a": 1}


def test_instantiate_failure_is_a_module_load_error_naming_the_class():
    with pytest.raises(ModuleLoadError, match="NoOptions") as info:
        instantiate_plugin(NoOptions, {"oops": 1})
    assert "oops" in str(info.value)


# --------------------------------------------------------------------------- PluginContext


def test_context_defaults():
    ctx = PluginContext()
    assert ctx.agent_name == ""
    assert ctx.working_dir == Path.cwd()
    assert ctx.session_id is None
    assert ctx.model == ""
    assert ctx.host_agent is None
    for prop in (
        "scratchpad",
        "controller",
        "session_store",
        "registry",
        "session_memory",
        "compact_manager",
        "subagent_manager",
    ):
        assert getattr(ctx, prop) is None


def test_context_working_dir_becomes_a_path(tmp_path):
    assert PluginContext(working_dir=str(tmp_path)).working_dir == tmp_path


def test_properties_delegate_to_the_host_agent():
    host = SimpleNamespace(
        scratchpad="pad",
        controller="ctl",
        session_store="store",
        registry="reg",
        session_memory="mem",
        compact_manager="cm",
        subagent_manager="sm",
    )
    ctx = PluginContext(_host_agent=host)
    assert ctx.host_agent is host
    assert (ctx.scratchpad, ctx.controller, ctx.session_store) == ("pad", "ctl", "store")
    assert (ctx.registry, ctx.session_memory) == ("reg", "mem")
    assert (ctx.compact_manager, ctx.subagent_manager) == ("cm", "sm")


def test_properties_are_read_only():
    with pytest.raises(AttributeError):
        PluginContext().scratchpad = object()  # type: ignore[misc]


def test_state_is_namespaced_by_plugin_name_in_the_session_store():
    store = SimpleNamespace(state={})
    host = SimpleNamespace(session_store=store)
    ctx = PluginContext(_host_agent=host, _plugin_name="cost")
    ctx.set_state("spent", 1.5)
    assert store.state == {"plugin:cost:spent": 1.5}
    assert ctx.get_state("spent") == 1.5
    assert ctx.get_state("missing") is None
    assert ctx.for_plugin("other").get_state("spent") is None


def test_state_without_store_is_a_silent_no_op():
    ctx = PluginContext(_host_agent=SimpleNamespace(), _plugin_name="p")
    ctx.set_state("k", 1)
    assert ctx.get_state("k") is None
    PluginContext().set_state("k", 1)
    assert PluginContext().get_state("k") is None


def test_inject_event_goes_to_controller_push_event_sync():
    pushed = []
    host = SimpleNamespace(controller=SimpleNamespace(push_event_sync=pushed.append))
    PluginContext(_host_agent=host).inject_event("ev")
    assert pushed == ["ev"]


def test_inject_event_falls_back_to_inject_event_nowait():
    got = []
    host = SimpleNamespace(inject_event_nowait=got.append)
    PluginContext(_host_agent=host).inject_event("ev")
    assert got == ["ev"]


def test_inject_event_without_host_does_not_raise():
    PluginContext().inject_event("ev")


def test_switch_model_delegates():
    host = SimpleNamespace(switch_model=lambda name: f"now {name}")
    assert PluginContext(_host_agent=host).switch_model("m2") == "now m2"
    assert PluginContext().switch_model("m2") is None


def test_inject_message_before_llm_creates_the_host_list():
    host = SimpleNamespace()
    ctx = PluginContext(_host_agent=host)
    ctx.inject_message_before_llm("system", "be brief")
    ctx.inject_message_before_llm("user", "hi")
    assert host._plugin_injected_messages == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]


async def test_emit_goes_to_the_host_output_module():
    got = []

    class Out:
        async def emit(self, event):
            got.append(event)

    await PluginContext(_host_agent=SimpleNamespace(output=Out())).emit("e")
    await PluginContext().emit("ignored")
    assert got == ["e"]
