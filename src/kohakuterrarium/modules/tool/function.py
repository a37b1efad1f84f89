"""Tools from plain Python functions: ``@tool``, ``FunctionTool``, ``function_tool``, ``as_tool``.

The JSON schema comes from the type hints and the docstring (summary -> description, ``Args:`` ->
argument descriptions). Arguments are validated and converted before each call by a pydantic model
built once, at decoration time; bad arguments come back as ``ToolResult(error=...)``. Sync functions
run in a worker thread, async ones on the event loop. A parameter annotated :class:`ToolContext` is
injected and hidden from the schema. The decorated object stays callable like the function.

>>> @tool
... def count_words(text: str) -> str:
...     '''Count the words in a text.'''
...     return str(len(text.split()))
>>> count_words("a b")
'2'
>>> count_words.get_parameters_schema()["required"]
['text']
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import inspect
import json
import re
import sys
import types
from collections.abc import Callable
from enum import Enum
from typing import Any, Generic, ParamSpec, TypeVar, overload

from pydantic import BaseModel
from pydantic_core import to_json

from kohakuterrarium.llm.message import FilePart, ImagePart, TextPart
from kohakuterrarium.modules.tool.base import (
    BaseTool,
    ExecutionMode,
    ToolConfig,
    ToolResult,
)
from kohakuterrarium.modules.tool.function_schema import (
    DocInfo,
    ToolSignature,
    compile_signature,
    parse_docstring,
)

P = ParamSpec("P")
R = TypeVar("R")

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PARTS = (TextPart, ImagePart, FilePart)


def _check_name(name: Any, fn: Any) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(
            f"cannot make a tool from {fn!r}: tool name {name!r} is not 1-64 letters, digits, "
            "'_' or '-'; pass name=... to @tool / function_tool()"
        )
    return name


def _is_async_callable(fn: Any) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    # callable objects with an async __call__
    return not inspect.isroutine(fn) and inspect.iscoroutinefunction(type(fn).__call__)


def to_tool_result(value: Any) -> ToolResult:
    """Turn a function's return value into a ToolResult.

    str as is; None -> ""; ToolResult passes through; an Enum member -> its value; a list of
    content parts stays multimodal; dicts, lists, numbers, pydantic models and dataclasses -> JSON
    text; anything else -> str().
    """
    if isinstance(value, ToolResult):
        return value
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return ToolResult(output="")
    if isinstance(value, str):
        return ToolResult(output=value)
    if isinstance(value, BaseModel):
        return ToolResult(output=value.model_dump_json())
    if isinstance(value, (bytes, bytearray)):
        return ToolResult(output=bytes(value).decode("utf-8", errors="replace"))
    if isinstance(value, list) and value and all(isinstance(p, _PARTS) for p in value):
        return ToolResult(output=value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, (dict, list, tuple, set, frozenset, int, float, bool)):
        # json.dumps (not pydantic's compact writer) so the text matches BaseTool's coercion
        return ToolResult(output=json.dumps(value, ensure_ascii=False, default=_json_default))
    return ToolResult(output=str(value))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    return str(obj)


class FunctionTool(BaseTool, Generic[P, R]):
    """A tool made from a Python function; calling it still calls the function.

    >>> async def shout(text: str) -> str:
    ...     '''Upper-case the text.'''
    ...     return text.upper()
    >>> t = FunctionTool(shout, timeout=5)
    >>> (t.tool_name, t.description, t.execution_mode.value, t.config.timeout)
    ('shout', 'Upper-case the text.', 'direct', 5.0)
    """

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        execution_mode: ExecutionMode | str = ExecutionMode.DIRECT,
        timeout: float | None = None,
        concurrency_safe: bool = True,
        config: ToolConfig | None = None,
        _frame: Any = None,
    ) -> None:
        super().__init__(copy.copy(config) if config is not None else None)
        if isinstance(fn, FunctionTool):  # re-wrapping with other options
            fn = fn.fn
        if isinstance(fn, type) or not callable(fn):
            raise TypeError(
                f"FunctionTool wraps a function, got {fn!r}; BaseTool subclasses are tools "
                "already (pass an instance)"
            )
        target = fn.func if isinstance(fn, functools.partial) else fn
        if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
            raise TypeError(
                f"cannot make a tool from generator function {fn!r}: a tool returns one result; "
                "collect the items and return them (a list or a string)"
            )
        self.fn: Callable[P, R] = fn
        """The wrapped function."""
        default_name = getattr(target, "__name__", None)
        self.tool_name = _check_name(name if name is not None else default_name, fn)
        self.doc: DocInfo = parse_docstring(inspect.getdoc(target))
        """The parsed docstring."""
        self.description = description if description is not None else self.doc.summary
        try:
            self._execution_mode = ExecutionMode(execution_mode)
        except ValueError:
            modes = ", ".join(m.value for m in ExecutionMode)
            raise ValueError(
                f"tool '{self.tool_name}': execution_mode {execution_mode!r} is not one of {modes}"
            ) from None
        if timeout is not None:
            self.config.timeout = float(timeout)
        self.is_concurrency_safe = bool(concurrency_safe)
        self._is_async = _is_async_callable(fn)
        frame = _frame if _frame is not None else sys._getframe(1)
        self.signature: ToolSignature = compile_signature(
            fn, self.tool_name, self.doc.params, frame
        )
        """The compiled arguments (model, call layout, schema)."""
        self.needs_context = self.signature.context_param is not None
        functools.update_wrapper(self, fn, updated=())  # type: ignore[arg-type]

    # -- BaseTool surface ----------------------------------------------------------------

    @property
    def execution_mode(self) -> ExecutionMode:
        return self._execution_mode

    @property
    def is_async(self) -> bool:
        """True when the wrapped function is a coroutine function (runs on the loop)."""
        return self._is_async

    def get_parameters_schema(self) -> dict[str, Any]:
        """The arguments' JSON schema: ``{"type": "object", "properties", "required"}``."""
        return self.signature.schema()

    def get_full_documentation(self, tool_format: str = "native") -> str:
        """Long-form docs shown by ``info``: description, body text and every argument."""
        schema = self.get_parameters_schema()
        lines = [f"# {self.tool_name}", "", self.description or ""]
        body = self.doc.body
        if body and " ".join(body.split()) != self.description:
            rest = body.split("\n\n", 1)
            if len(rest) == 2 and " ".join(rest[0].split()) == self.description:
                body = rest[1].strip()
            lines += ["", body]
        props = schema.get("properties") or {}
        if props:
            required = set(schema.get("required") or [])
            lines += ["", "## Arguments"]
            for arg, spec in props.items():
                bits = [_schema_type(spec)]
                if arg in required:
                    bits.append("required")
                elif isinstance(spec, dict) and "default" in spec:
                    bits.append(f"default {to_json(spec['default'], fallback=str).decode()}")
                desc = spec.get("description", "") if isinstance(spec, dict) else ""
                lines.append(f"- `{arg}` ({', '.join(bits)})" + (f": {desc}" if desc else ""))
        lines += ["", f"Execution mode: {self.execution_mode.value}."]
        return "\n".join(lines).strip() + "\n"

    async def _execute(self, args: dict[str, Any], **kwargs: Any) -> ToolResult:
        bound = self.signature.bind(args, kwargs.get("context"))
        if isinstance(bound, str):
            return ToolResult(error=bound)
        positional, keyword = bound
        if self._is_async:
            result: Any = await self.fn(*positional, **keyword)  # type: ignore[misc]
        else:
            result = await asyncio.to_thread(self.fn, *positional, **keyword)
            if inspect.isawaitable(result):  # a sync wrapper that returned a coroutine
                result = await result
        return to_tool_result(result)

    # -- still the function --------------------------------------------------------------

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __get__(self, obj: Any, objtype: type | None = None) -> FunctionTool[Any, R]:
        """Bind like a method when the function's first parameter is ``self`` / ``cls``."""
        bound_param = self.signature.bound_param
        if bound_param is None or (obj is None and bound_param == "self"):
            return self
        owner = objtype if bound_param == "cls" else obj
        if owner is None:
            return self
        bound = copy.copy(self)
        bound.fn = types.MethodType(self.fn, owner)  # type: ignore[assignment]
        return bound

    def __repr__(self) -> str:
        return f"<FunctionTool {self.tool_name!r} ({'async' if self._is_async else 'sync'})>"


def _schema_type(spec: Any) -> str:
    if not isinstance(spec, dict):
        return "any"
    if "enum" in spec:
        return "one of " + ", ".join(to_json(v).decode() for v in spec["enum"])
    kind = spec.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array" and isinstance(spec.get("items"), dict):
        return f"array of {_schema_type(spec['items'])}"
    if kind:
        return str(kind)
    options = spec.get("anyOf") or spec.get("oneOf")
    if isinstance(options, list):
        return " | ".join(_schema_type(o) for o in options)
    return "any"


@overload
def tool(fn: Callable[P, R], /) -> FunctionTool[P, R]: ...


@overload
def tool(
    name: str | None = None,
    /,
    *,
    description: str | None = None,
    execution_mode: ExecutionMode | str = ExecutionMode.DIRECT,
    timeout: float | None = None,
    concurrency_safe: bool = True,
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    execution_mode: ExecutionMode | str = ExecutionMode.DIRECT,
    timeout: float | None = None,
    concurrency_safe: bool = True,
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


def tool(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    execution_mode: ExecutionMode | str = ExecutionMode.DIRECT,
    timeout: float | None = None,
    concurrency_safe: bool = True,
) -> Any:
    """Turn a sync or async function into a :class:`FunctionTool`; bare or with options.

    >>> @tool(name="add", timeout=10)
    ... async def add_numbers(a: int, b: int = 1) -> int:
    ...     '''Add two numbers.'''
    ...     return a + b
    >>> add_numbers.tool_name, add_numbers.config.timeout
    ('add', 10.0)
    """
    options: dict[str, Any] = {
        "description": description,
        "execution_mode": execution_mode,
        "timeout": timeout,
        "concurrency_safe": concurrency_safe,
    }
    if isinstance(fn, str):  # @tool("name")
        if name is not None:
            raise TypeError("@tool got the tool name twice (positionally and as name=)")
        name, fn = fn, None
    if fn is not None:
        return FunctionTool(fn, name=name, _frame=sys._getframe(1), **options)

    def decorate(func: Callable[P, R]) -> FunctionTool[P, R]:
        return FunctionTool(func, name=name, _frame=sys._getframe(1), **options)

    return decorate


def function_tool(
    fn: Callable[P, R],
    *,
    name: str | None = None,
    description: str | None = None,
    execution_mode: ExecutionMode | str = ExecutionMode.DIRECT,
    timeout: float | None = None,
    concurrency_safe: bool = True,
) -> FunctionTool[P, R]:
    """Wrap ``fn`` as a :class:`FunctionTool` (the non-decorator form of ``@tool``)."""
    return FunctionTool(
        fn,
        name=name,
        description=description,
        execution_mode=execution_mode,
        timeout=timeout,
        concurrency_safe=concurrency_safe,
        _frame=sys._getframe(1),
    )


def as_tool(obj: Any) -> BaseTool:
    """Whatever a user passed as a tool, as a :class:`BaseTool`.

    Accepts a BaseTool instance (returned as is, FunctionTools included), a BaseTool subclass
    (instantiated with no arguments) or a plain function (wrapped); anything else is a TypeError.
    """
    if isinstance(obj, BaseTool):
        return obj
    if isinstance(obj, type):
        if not issubclass(obj, BaseTool):
            raise TypeError(
                f"as_tool() got the class {obj.__qualname__}, which is not a BaseTool subclass; "
                "subclass kohakuterrarium.modules.tool.base.BaseTool or pass a function"
            )
        try:
            return obj()
        except TypeError as exc:
            raise TypeError(
                f"tool class {obj.__qualname__} cannot be built with no arguments ({exc}); "
                "pass an instance instead"
            ) from exc
    if callable(obj):
        return FunctionTool(obj, _frame=sys._getframe(1))
    raise TypeError(
        f"as_tool() cannot make a tool from {type(obj).__name__} {obj!r}: pass a BaseTool "
        "instance or subclass, or a function (decorated with @tool or plain)"
    )


__all__ = ["FunctionTool", "as_tool", "function_tool", "to_tool_result", "tool"]
