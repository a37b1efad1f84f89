"""Base classes packs subclass: BaseTrigger, BaseInputModule, BaseOutputModule, OutputEvent."""

from __future__ import annotations

import asyncio

import pytest

from kohakuterrarium.core.events import EventType, TriggerEvent
from kohakuterrarium.modules.input import BaseInputModule as InputFromPackage
from kohakuterrarium.modules.input.base import BaseInputModule, InputModule
from kohakuterrarium.modules.output import BaseOutputModule as OutputFromPackage
from kohakuterrarium.modules.output import OutputEvent as EventFromPackage
from kohakuterrarium.modules.output.base import BaseOutputModule, OutputModule
from kohakuterrarium.modules.output.event import TIMEOUT_ACTION, OutputEvent, UIReply
from kohakuterrarium.modules.trigger import BaseTrigger as TriggerFromPackage
from kohakuterrarium.modules.trigger.base import BaseTrigger


def test_package_reexports_and_aliases():
    assert TriggerFromPackage is BaseTrigger
    assert InputFromPackage is BaseInputModule and InputModule is BaseInputModule
    assert OutputFromPackage is BaseOutputModule and OutputModule is BaseOutputModule
    assert EventFromPackage is OutputEvent


# --------------------------------------------------------------------------- BaseTrigger


class Tick(BaseTrigger):
    def __init__(self, prompt=None, **options):
        super().__init__(prompt=prompt, **options)
        self.calls: list = []

    async def _on_start(self):
        self.calls.append(("start", self._running))

    async def _on_stop(self):
        self.calls.append(("stop", self._running))

    def _on_context_update(self, context):
        self.calls.append(("ctx", context))

    async def wait_for_trigger(self):
        return self._create_event(EventType.TIMER)


class NoSuperTrigger(BaseTrigger):
    """Like kt-biome's webhook: takes one options dict, never calls super().__init__()."""

    def __init__(self, options=None):
        self.port = (options or {}).get("port", 0)

    async def wait_for_trigger(self):
        return None


def test_trigger_is_abstract():
    with pytest.raises(TypeError):
        BaseTrigger()  # type: ignore[abstract]


def test_trigger_init_and_class_attrs():
    t = Tick(prompt="wake up", interval=5)
    assert t.prompt == "wake up"
    assert t.options == {"interval": 5}
    assert t._running is False and t._context == {}
    assert BaseTrigger.resumable is False and BaseTrigger.universal is False
    assert BaseTrigger.setup_tool_name is None
    assert BaseTrigger.setup_description == "" and BaseTrigger.setup_full_doc == ""
    assert BaseTrigger.setup_param_schema == {}
    assert BaseTrigger.setup_require_manual_read is False


async def test_trigger_start_and_stop_set_running_before_the_hooks():
    t = Tick()
    await t.start()
    assert t.is_running
    await t.stop()
    assert not t.is_running
    assert t.calls == [("start", True), ("stop", False)]


async def test_trigger_stop_before_start_is_safe():
    t = Tick()
    await t.stop()
    assert not t.is_running


async def test_trigger_that_skipped_super_init_can_stop_and_take_context():
    t = NoSuperTrigger({"port": 8080})
    assert not t.is_running
    await t.stop()
    t.set_context({"channel": "x"})
    ev = t._create_event("external", content="hit")
    assert ev.context == {"channel": "x"}
    assert ev.content == "hit" and ev.prompt_override is None
    assert t.to_resume_dict() == {"prompt": None, "options": {}}


async def test_failed_start_leaves_the_trigger_stopped():
    class Broken(Tick):
        async def _on_start(self):
            raise OSError("port in use")

    t = Broken()
    with pytest.raises(OSError, match="port in use"):
        await t.start()
    assert not t.is_running


def test_set_context_calls_on_context_update_synchronously():
    t = Tick()
    t.set_context({"k": 1})
    assert t.calls == [("ctx", {"k": 1})]
    assert t._context == {"k": 1}


async def test_async_context_update_is_scheduled_not_dropped():
    got = []

    class AsyncCtx(Tick):
        async def _on_context_update(self, context):
            got.append(context)

    AsyncCtx().set_context({"a": 1})
    await asyncio.sleep(0)
    assert got == [{"a": 1}]


def test_create_event_falls_back_to_prompt_and_context_copy():
    t = Tick(prompt="check the build")
    t.set_context({"channel": "ci"})
    ev = t._create_event(EventType.TIMER)
    assert isinstance(ev, TriggerEvent)
    assert ev.type == "timer"
    assert ev.content == "check the build"
    assert ev.prompt_override == "check the build"
    assert ev.context == {"channel": "ci"}
    ev.context["mutated"] = True
    assert t._context == {"channel": "ci"}


def test_create_event_explicit_content_and_context_win():
    t = Tick(prompt="p")
    ev = t._create_event("cron", content="c", context={"x": 1})
    assert (ev.content, ev.context, ev.prompt_override) == ("c", {"x": 1}, "p")


def test_create_event_without_prompt_gives_empty_content():
    ev = Tick()._create_event("timer")
    assert ev.content == "" and ev.prompt_override is None


def test_resume_round_trip_and_setup_args():
    t = Tick(prompt="p", every=3)
    data = t.to_resume_dict()
    assert data == {"prompt": "p", "options": {"every": 3}}
    back = Tick.from_resume_dict(data)
    assert (back.prompt, back.options) == ("p", {"every": 3})
    made = Tick.from_setup_args({"prompt": "q", "interval": 9})
    assert (made.prompt, made.options) == ("q", {"interval": 9})
    assert made.post_setup(object()) is None


def test_trigger_event_accepts_arbitrary_type_strings():
    ev = TriggerEvent(type="skill_nudge", content="x", stackable=True)
    assert ev.type == "skill_nudge"
    assert ev.get_text_content() == "x"
    assert Tick(prompt="p")._create_event("my.custom/type").type == "my.custom/type"
    with pytest.raises(ValueError):
        TriggerEvent(type="")


# --------------------------------------------------------------------------- BaseInputModule


class NeedsSdk(BaseInputModule):
    async def _on_start(self):
        raise ImportError("python-telegram-bot is not installed: pip install python-telegram-bot")

    async def get_input(self):
        return None


class Lines(BaseInputModule):
    def __init__(self, lines):
        super().__init__()
        self._lines = iter(lines)
        self.stopped = False

    async def _on_stop(self):
        self.stopped = True

    async def get_input(self):
        text = next(self._lines, None)
        return None if text is None else TriggerEvent(EventType.USER_INPUT, text)


def test_input_is_abstract_and_has_no_arg_init():
    with pytest.raises(TypeError):
        BaseInputModule()  # type: ignore[abstract]
    assert Lines([]).is_running is False


async def test_input_start_propagates_import_error():
    mod = NeedsSdk()
    with pytest.raises(ImportError, match="pip install"):
        await mod.start()
    assert not mod.is_running


async def test_input_lifecycle_and_get_input():
    mod = Lines(["a"])
    await mod.start()
    assert mod.is_running
    ev = await mod.get_input()
    assert ev.content == "a" and await mod.get_input() is None
    await mod.stop()
    assert mod.stopped and not mod.is_running


async def test_input_stop_propagates_errors():
    class BadStop(Lines):
        async def _on_stop(self):
            raise RuntimeError("close failed")

    with pytest.raises(RuntimeError):
        await BadStop([]).stop()


# --------------------------------------------------------------------------- BaseOutputModule


class Buffered(BaseOutputModule):
    def __init__(self):
        super().__init__()
        self.log: list = []
        self.buffer: list[str] = []

    async def write(self, text):
        self.log.append(("write", text))

    async def write_stream(self, chunk):
        self.buffer.append(chunk)

    async def flush(self):
        if self.buffer:
            self.log.append(("flush", "".join(self.buffer)))
            self.buffer.clear()

    async def _on_stop(self):
        self.log.append(("on_stop", None))


class Minimal(BaseOutputModule):
    def __init__(self):
        super().__init__()
        self.written: list[str] = []

    async def write(self, text):
        self.written.append(text)


def test_output_is_abstract():
    with pytest.raises(TypeError):
        BaseOutputModule()  # type: ignore[abstract]


async def test_output_stop_flushes_before_on_stop():
    out = Buffered()
    await out.start()
    assert out.is_running
    await out.write_stream("hel")
    await out.write_stream("lo")
    await out.stop()
    assert out.log == [("flush", "hello"), ("on_stop", None)]
    assert not out.is_running


async def test_output_defaults():
    out = Minimal()
    await out.write_stream("chunk")
    assert out.written == ["chunk"]
    assert await out.flush() is None
    assert await out.on_processing_start() is None
    assert await out.on_processing_end() is None
    assert await out.on_user_input("hi") is None
    assert out.on_activity("tool_start", "bash", {"job_id": "1"}) is None
    assert await out.emit(OutputEvent(type="notification", content="x")) is None
    await out.stop()
    assert out.written == ["chunk"]


def test_output_event_and_reply_defaults():
    a, b = OutputEvent(type="confirm", interactive=True), OutputEvent(type="text")
    assert a.id != b.id and len(a.id) == 12
    assert a.surface == "chat" and a.payload == {} and a.metadata == {}
    assert a.update_target is None and a.timeout_s is None and a.correlation_id is None
    reply = UIReply(event_id=a.id, action_id=TIMEOUT_ACTION)
    assert reply.timed_out and reply.values == {}
