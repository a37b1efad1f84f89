"""TerminationChecker (limits and plugin votes) and the Scratchpad plugin checks read."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from kohakuterrarium.core.scratchpad import Scratchpad
from kohakuterrarium.core.termination import (
    TerminationChecker,
    TerminationConfig,
    TerminationContext,
    TerminationDecision,
)
from kohakuterrarium.errors import BadValueError, UnknownKeyError
from kohakuterrarium.modules.plugin.base import BasePlugin
from kohakuterrarium.modules.plugin.manager import PluginManager


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- data types


def test_decision_is_frozen_with_positional_reason():
    d = TerminationDecision(True, "goal met")
    assert (d.should_stop, d.reason) == (True, "goal met")
    assert TerminationDecision(False).reason == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.should_stop = False  # type: ignore[misc]


def test_context_positional_fields_and_fresh_list_default():
    ctx = TerminationContext(3, 1.5, 0.2, "last")
    assert (ctx.turn_count, ctx.elapsed, ctx.idle_time, ctx.last_output) == (3, 1.5, 0.2, "last")
    assert ctx.scratchpad is None and ctx.recent_tool_results == []
    other = TerminationContext(0, 0, 0, "")
    other.recent_tool_results.append(1)
    assert ctx.recent_tool_results == []


def test_config_defaults_are_all_off():
    cfg = TerminationConfig()
    assert (cfg.max_turns, cfg.max_tokens, cfg.max_duration, cfg.idle_timeout) == (0, 0, 0, 0)
    assert cfg.keywords == []


def test_config_from_dict_checks_keys_and_values():
    assert TerminationConfig.from_dict({"max_turns": 4, "keywords": "DONE"}).keywords == ["DONE"]
    with pytest.raises(UnknownKeyError, match="max_turn") as info:
        TerminationConfig.from_dict({"max_turn": 4}, file="creature.yaml")
    assert "did you mean 'max_turns'" in str(info.value)
    assert "creature.yaml" in str(info.value)
    with pytest.raises(BadValueError):
        TerminationConfig.from_dict({"max_duration": -1})
    with pytest.raises(BadValueError):
        TerminationConfig.from_dict({"keywords": [1]})


# --------------------------------------------------------------------------- built-in limits


def test_no_limits_never_stops():
    checker = TerminationChecker(TerminationConfig())
    assert not checker.is_active
    checker.start()
    for _ in range(100):
        checker.record_turn(tokens=1000)
    assert checker.should_terminate("anything") is False
    assert checker.reason == ""


def test_max_turns():
    checker = TerminationChecker(TerminationConfig(max_turns=2))
    assert checker.is_active
    checker.start()
    checker.record_turn()
    assert not checker.should_terminate()
    checker.record_turn()
    assert checker.should_terminate()
    assert "max_turns" in checker.reason


def test_max_tokens():
    checker = TerminationChecker(TerminationConfig(max_tokens=100))
    checker.record_turn(tokens=60)
    assert not checker.should_terminate()
    checker.record_turn(tokens=40)
    assert checker.should_terminate() and "max_tokens" in checker.reason


def test_max_duration_and_idle_timeout_use_the_clock():
    clock = Clock()
    checker = TerminationChecker(TerminationConfig(max_duration=60, idle_timeout=10), clock=clock)
    checker.start()
    clock.now += 5
    assert not checker.should_terminate()
    clock.now += 6
    assert checker.should_terminate() and "idle_timeout" in checker.reason
    checker.record_activity()
    assert not checker.should_terminate()
    clock.now += 50
    checker.record_turn()
    assert checker.should_terminate() and "max_duration" in checker.reason


def test_start_resets_counters():
    checker = TerminationChecker(TerminationConfig(max_turns=1))
    checker.record_turn()
    assert checker.should_terminate()
    checker.start()
    assert not checker.should_terminate() and checker.turn_count == 0


def test_keywords_in_last_output():
    checker = TerminationChecker(TerminationConfig(keywords=["TERMINUS"]))
    assert not checker.should_terminate("still working")
    assert checker.should_terminate("all boxes ticked. TERMINUS")
    assert "TERMINUS" in checker.reason


# --------------------------------------------------------------------------- plugin votes


class GoalPlugin(BasePlugin):
    """Stops when the scratchpad says the goal is done (the termination_goal pattern)."""

    name = "goal"

    def __init__(self, scratchpad_key="goal_status", reason="goal reached", **_):
        super().__init__()
        self.key = scratchpad_key
        self.reason = reason
        self.seen: list[TerminationContext] = []

    def contribute_termination_check(self):
        def check(ctx: TerminationContext):
            self.seen.append(ctx)
            if ctx.scratchpad is not None and ctx.scratchpad.get(self.key) == "done":
                return TerminationDecision(True, self.reason)
            return None

        return check


def test_plugin_vote_stops_the_run():
    pad = Scratchpad()
    plugin = GoalPlugin()
    pm = PluginManager()
    pm.register(plugin)
    checker = TerminationChecker(TerminationConfig())
    checker.attach_plugins(pm)
    checker.attach_scratchpad(pad)
    checker.start()
    checker.record_turn(tokens=7)
    checker.record_tool_result("r1")
    assert not checker.should_terminate("working")
    pad.set("goal_status", "done")
    assert checker.should_terminate("finished")
    assert checker.reason == "goal reached"
    ctx = plugin.seen[-1]
    assert ctx.turn_count == 1 and ctx.last_output == "finished"
    assert ctx.scratchpad is pad and ctx.recent_tool_results == ["r1"]
    assert ctx.total_tokens == 7


def test_disabled_plugin_does_not_vote():
    pm = PluginManager()
    pm.register(_voter(TerminationDecision(True, "x")), enabled=False)
    checker = TerminationChecker()
    checker.attach_plugins(pm)
    assert not checker.should_terminate()


def _voter(result, name="voter"):
    def contribute(self):
        def check(ctx):
            if isinstance(result, Exception):
                raise result
            return result

        return check

    return type(
        "Voter", (BasePlugin,), {"name": name, "contribute_termination_check": contribute}
    )()


@pytest.mark.parametrize(
    "vote",
    [None, TerminationDecision(False, "keep going"), True, "stop", {"should_stop": True}],
)
def test_non_stopping_or_non_decision_votes_are_ignored(vote):
    pm = PluginManager()
    pm.register(_voter(vote))
    checker = TerminationChecker()
    checker.attach_plugins(pm)
    assert checker.should_terminate() is False


def test_failing_checker_is_logged_and_ignored(caplog):
    pm = PluginManager()
    pm.register(_voter(RuntimeError("checker bug"), "broken"))
    pm.register(_voter(TerminationDecision(True, "second says stop"), "ok"))
    checker = TerminationChecker()
    checker.attach_plugins(pm)
    with caplog.at_level(logging.ERROR, logger="kohakuterrarium"):
        assert checker.should_terminate()
    assert checker.reason == "second says stop"
    assert any("checker bug" in r.getMessage() for r in caplog.records)


def test_any_plugin_manager_like_object_works():
    class Fake:
        def collect_termination_checkers(self):
            return [lambda ctx: TerminationDecision(True)]

    checker = TerminationChecker()
    checker.attach_plugins(Fake())
    assert checker.should_terminate()
    assert checker.reason == "stopped by plugin"


# --------------------------------------------------------------------------- Scratchpad


def test_scratchpad_basics():
    pad = Scratchpad()
    assert pad.get("x") is None and len(pad) == 0
    pad.set("plan", "1. read")
    pad.set("notes", "n")
    assert pad.get("plan") == "1. read"
    assert "plan" in pad and "zzz" not in pad
    assert pad.list() == ["plan", "notes"]
    assert pad.to_dict() == {"plan": "1. read", "notes": "n"}
    assert pad.delete("plan") is True and pad.delete("plan") is False
    pad.update({"a": "1", "b": "2"})
    assert len(pad) == 3 and list(pad) == ["notes", "a", "b"]
    snapshot = pad.to_dict()
    snapshot["a"] = "changed"
    assert pad.get("a") == "1"


def test_scratchpad_on_write_sees_sets_and_deletes():
    writes = []
    pad = Scratchpad(on_write=lambda k, v: writes.append((k, v)))
    pad.set("k", "v")
    pad.update({"j": "w"})
    pad.delete("k")
    pad.delete("missing")
    assert writes == [("k", "v"), ("j", "w"), ("k", None)]


def test_scratchpad_on_write_failure_does_not_break_the_write():
    def boom(key, value):
        raise OSError("disk full")

    pad = Scratchpad(on_write=boom)
    pad.set("k", "v")
    assert pad.get("k") == "v"


def test_scratchpad_prompt_section():
    assert Scratchpad().to_prompt_section() == ""
    assert "**plan**: x" in Scratchpad({"plan": "x"}).to_prompt_section()
