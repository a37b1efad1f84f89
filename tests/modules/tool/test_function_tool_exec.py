"""Running function tools: threads, results, validation, context, options and ``as_tool``."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import json
import threading
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from kohakuterrarium.llm.message import TextPart
from kohakuterrarium.modules.tool.base import (
    BaseTool,
    ExecutionMode,
    ToolConfig,
    ToolContext,
    ToolResult,
)
from kohakuterrarium.modules.tool.function import (
    FunctionTool,
    as_tool,
    function_tool,
    tool,
)


class Priority(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Task(BaseModel):
    title: str
    done: bool = False


class Opaque:
    def __str__(self) -> str:
        return "<opaque>"


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


@tool
def count_words(text: str) -> str:
    """Count the words in a text."""
    return str(len(text.split()))


@tool
async def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


# --------------------------------------------------------------------------- where it runs


async def test_sync_function_runs_in_a_worker_thread() -> None:
    seen: list[int] = []

    @tool
    def where() -> str:
        seen.append(threading.get_ident())
        return "ok"

    result = await where.execute({})
    assert result.output == "ok"
    assert seen and seen[0] != threading.get_ident()


async def test_async_function_runs_on_the_event_loop() -> None:
    seen: list[tuple[int, asyncio.AbstractEventLoop]] = []

    @tool
    async def where() -> str:
        seen.append((threading.get_ident(), asyncio.get_running_loop()))
        return "ok"

    assert (await where.execute({})).output == "ok"
    assert seen == [(threading.get_ident(), asyncio.get_running_loop())]


# --------------------------------------------------------------------------- still the function


async def test_decorated_functions_stay_callable() -> None:
    assert count_words("a b") == "2"
    assert await shout("hi") == "HI"
    assert count_words.__name__ == "count_words"
    assert count_words.__doc__ == "Count the words in a text."
    assert isinstance(count_words, FunctionTool) and isinstance(count_words, BaseTool)
    assert shout.is_async and not count_words.is_async


async def test_tool_attributes_come_from_the_function() -> None:
    assert count_words.tool_name == "count_words"
    assert count_words.description == "Count the words in a text."
    assert (await count_words.execute({"text": "one two three"})).output == "3"
    assert (await shout.execute({"text": "hey"})).output == "HEY"


async def test_method_tools_bind_to_their_instance() -> None:
    class Counter:
        def __init__(self) -> None:
            self.total = 0

        @tool
        def add(self, n: int) -> int:
            """Add to the total."""
            self.total += n
            return self.total

    c = Counter()
    assert (await c.add.execute({"n": 2})).output == "2"
    assert c.add(3) == 5
    assert c.total == 5


# --------------------------------------------------------------------------- results


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (None, ""),
        (42, "42"),
        (1.5, "1.5"),
        (True, "true"),
        ([1, "a"], '[1, "a"]'),
        (
            {"k": [1, 2], "p": Point(3), "e": Priority.HIGH},
            '{"k": [1, 2], "p": {"x": 3, "y": 0}, "e": "high"}',
        ),
        ({"t": Task(title="é")}, '{"t": {"title": "é", "done": false}}'),
        (Task(title="t"), '{"title":"t","done":false}'),
        (Point(1, 2), '{"x": 1, "y": 2}'),
        (Priority.LOW, "low"),
        (object.__new__(Opaque), "<opaque>"),
    ],
)
async def test_return_values_become_text(value: Any, expected: str) -> None:
    @tool
    def give() -> Any:
        return value

    result = await give.execute({})
    assert result.error is None
    assert result.output == expected


async def test_tool_result_and_content_parts_pass_through() -> None:
    made = ToolResult(output="x", exit_code=3, metadata={"a": 1})
    parts = [TextPart(text="hello")]

    @tool
    async def give_result() -> ToolResult:
        return made

    @tool
    def give_parts() -> list[TextPart]:
        return parts

    assert await give_result.execute({}) is made
    assert (await give_parts.execute({})).output == parts


async def test_exceptions_become_error_results() -> None:
    @tool
    def explode(n: int) -> str:
        raise ValueError(f"bad n {n}")

    @tool
    async def explode_async() -> str:
        raise KeyError("gone")

    assert (await explode.execute({"n": 3})).error == "ValueError: bad n 3"
    assert (await explode_async.execute({})).error == "KeyError: 'gone'"


# --------------------------------------------------------------------------- validation


@tool
def plan(title: str, steps: list[str], priority: Priority = Priority.LOW, limit: int = 5) -> dict:
    """Make a plan."""
    return {"title": title, "steps": steps, "priority": priority.value, "limit": limit}


async def test_missing_required_argument_is_an_error_result() -> None:
    result = await plan.execute({"steps": []})
    assert result.error is not None
    assert "tool 'plan'" in result.error
    assert "missing required argument 'title' (expected str)" in result.error


async def test_unknown_argument_is_an_error_result_listing_accepted_ones() -> None:
    result = await plan.execute({"title": "t", "steps": [], "colour": "red"})
    assert result.error is not None
    assert "unknown argument 'colour'" in result.error
    assert "Accepted arguments: title, steps, priority, limit" in result.error


async def test_wrong_type_names_argument_and_expected_type() -> None:
    result = await plan.execute({"title": "t", "steps": [], "limit": "many"})
    assert result.error is not None
    assert "tool 'plan'" in result.error
    assert "argument 'limit' (expected int)" in result.error
    assert "'many' (str)" in result.error
    bad_enum = await plan.execute({"title": "t", "steps": [], "priority": "urgent"})
    assert bad_enum.error is not None and "argument 'priority'" in bad_enum.error


async def test_arguments_are_converted_before_the_call() -> None:
    result = await plan.execute(
        {"title": 7, "steps": '["a", "b"]', "priority": "high", "limit": "3"}
    )
    assert result.error is None
    assert json.loads(result.output) == {
        "title": "7",
        "steps": ["a", "b"],
        "priority": "high",
        "limit": 3,
    }


async def test_model_and_dataclass_parameters_are_built_from_dicts() -> None:
    got: list[Any] = []

    @tool
    def store(task: Task, at: Point, mode: Literal["a", "b"] = "a") -> str:
        got.extend([task, at, mode])
        return "ok"

    result = await store.execute({"task": {"title": "x"}, "at": {"x": "4"}})
    assert result.output == "ok"
    assert got == [Task(title="x", done=False), Point(4, 0), "a"]
    nested = await store.execute({"task": {"title": "x", "done": "maybe"}, "at": {"x": 1}})
    assert nested.error is not None and "argument 'task.done'" in nested.error


async def test_non_object_arguments_are_an_error_result() -> None:
    result = await count_words.execute(["a"])  # type: ignore[arg-type]
    assert result.error is not None and "must be a JSON object" in result.error


async def test_kwargs_parameter_receives_extra_arguments() -> None:
    @tool
    def collect(name: str, **extra: Any) -> dict:
        return {"name": name, **extra}

    result = await collect.execute({"name": "n", "x": 1})
    assert json.loads(result.output) == {"name": "n", "x": 1}


# --------------------------------------------------------------------------- context


async def test_tool_context_is_injected() -> None:
    @tool
    async def who(greeting: str, ctx: ToolContext) -> str:
        return f"{greeting} {ctx.agent_name}"

    assert who.needs_context is True
    result = await who.execute({"greeting": "hi"}, ToolContext(agent_name="ada"))
    assert result.output == "hi ada"
    unknown = await who.execute({"greeting": "hi", "ctx": "x"}, ToolContext(agent_name="ada"))
    assert unknown.error is not None and "unknown argument 'ctx'" in unknown.error


async def test_context_without_a_runtime_context() -> None:
    @tool
    def where(ctx: ToolContext) -> str:
        return type(ctx).__name__

    @tool
    def maybe(ctx: ToolContext | None = None) -> str:
        return "none" if ctx is None else "some"

    assert (await where.execute({})).output == "ToolContext"
    assert (await maybe.execute({})).output == "none"
    assert (await maybe.execute({}, ToolContext())).output == "some"


# --------------------------------------------------------------------------- options


def test_defaults_are_direct_concurrency_safe_and_framework_timeout() -> None:
    assert count_words.execution_mode is ExecutionMode.DIRECT
    assert count_words.is_concurrency_safe is True
    assert count_words.config.timeout == ToolConfig().timeout


def test_decorator_options() -> None:
    @tool(name="bg_job", description="Runs later.", execution_mode="background", timeout=2.5)
    async def job() -> str:
        return ""

    @tool(concurrency_safe=False)
    def unsafe() -> None: ...

    @tool("renamed")
    def original() -> None: ...

    assert (job.tool_name, job.description) == ("bg_job", "Runs later.")
    assert job.execution_mode is ExecutionMode.BACKGROUND
    assert job.config.timeout == 2.5
    assert unsafe.is_concurrency_safe is False
    assert original.tool_name == "renamed"


def test_function_tool_wraps_without_decorating() -> None:
    def add(a: int, b: int = 1) -> int:
        """Add."""
        return a + b

    t = function_tool(add, name="plus", execution_mode=ExecutionMode.STATEFUL, timeout=0)
    assert (t.tool_name, t.execution_mode, t.config.timeout) == ("plus", "stateful", 0.0)
    assert t(1) == 2 and add(1) == 2


async def test_partials_keep_the_underlying_name_and_docs() -> None:
    def scale(x: int, factor: int) -> int:
        """Scale a number."""
        return x * factor

    doubled = as_tool(functools.partial(scale, factor=2))
    assert (doubled.tool_name, doubled.description) == ("scale", "Scale a number.")
    assert (await doubled.execute({"x": 4})).output == "8"


def test_bad_definitions_fail_at_decoration() -> None:
    def gen():  # type: ignore[no-untyped-def]
        yield 1

    with pytest.raises(ValueError, match="execution_mode 'sometimes'"):
        tool(execution_mode="sometimes")(count_words.fn)
    with pytest.raises(ValueError, match="pass name="):
        tool(lambda x: x)
    with pytest.raises(TypeError, match="generator"):
        tool(gen)
    with pytest.raises(TypeError, match="BaseTool subclasses are tools already"):
        tool(Task)
    with pytest.raises(TypeError, match="cannot read the signature"):
        tool(name="biggest")(max)


async def test_timeout_option_is_honoured_by_a_central_timeout() -> None:
    @tool(timeout=0.05)
    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    # the controller wraps execute() in asyncio.timeout(tool.config.timeout)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(slow.config.timeout):
            await slow.execute({})


# --------------------------------------------------------------------------- as_tool


class EchoTool(BaseTool):
    tool_name = "echo"
    description = "Echo."

    async def _execute(self, args: dict[str, Any], **kw: Any) -> ToolResult:
        return ToolResult(output=args.get("text", ""))


class NeedsArgs(BaseTool):
    tool_name = "needs"

    def __init__(self, required: str) -> None:
        super().__init__()


async def test_as_tool_accepts_each_kind() -> None:
    instance = EchoTool()
    assert as_tool(instance) is instance
    assert as_tool(count_words) is count_words
    built = as_tool(EchoTool)
    assert isinstance(built, EchoTool)
    assert (await built.execute({"text": "x"})).output == "x"

    def plain(n: int) -> int:
        """Double."""
        return n * 2

    wrapped = as_tool(plain)
    assert isinstance(wrapped, FunctionTool)
    assert wrapped.tool_name == "plain" and wrapped.description == "Double."
    assert (await wrapped.execute({"n": 4})).output == "8"


def test_as_tool_rejects_everything_else() -> None:
    with pytest.raises(TypeError, match="cannot make a tool from int"):
        as_tool(5)
    with pytest.raises(TypeError, match="not a BaseTool subclass"):
        as_tool(Task)
    with pytest.raises(TypeError, match="cannot be built with no arguments"):
        as_tool(NeedsArgs)
