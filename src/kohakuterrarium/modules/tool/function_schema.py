"""What a function tool knows about its function: docstring, argument model and JSON schema.

:func:`compile_signature` reads a function's signature once, at decoration time, and builds a
pydantic model of its arguments. That model validates and converts each call's arguments
(:meth:`ToolSignature.bind`) and yields the OpenAI-style JSON schema (:meth:`ToolSignature.schema`),
with ``$ref`` inlined and ``title`` noise dropped. :func:`parse_docstring` reads Google, numpy and
Sphinx docstrings.

>>> parse_docstring('''Add two numbers.
...
... Args:
...     a: The first.
... ''').params
{'a': 'The first.'}
"""

from __future__ import annotations

import copy
import inspect
import json
import re
import sys
import textwrap
import types
import typing
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, is_dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, PydanticJsonSchemaWarning

from kohakuterrarium.modules.tool.base import ToolContext

# --------------------------------------------------------------------------- docstrings

# fmt: off
_PARAM_SECTIONS = frozenset({
    "args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "kwargs",
    "other parameters",
})
_OTHER_SECTIONS = frozenset({
    "returns", "return", "yields", "yield", "raises", "raise", "except", "exceptions", "example",
    "examples", "note", "notes", "attributes", "see also", "references", "warning", "warnings",
    "todo",
})
# fmt: on
_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*:(.*)$")
_NUMPY_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::\s*(.*))?$")
_SPHINX_PARAM = re.compile(
    r"^:(?:param|parameter|arg|argument|key|keyword)\s+(?:\S+\s+)?(\*{0,2}\w+)\s*:(.*)$"
)


@dataclass
class DocInfo:
    """What a docstring says about a function."""

    summary: str = ""
    """First paragraph, on one line: the tool's description."""
    body: str = ""
    """All text before the first section (summary included), for the long documentation."""
    params: dict[str, str] = field(default_factory=dict)
    """Parameter name -> description, from ``Args:`` / ``Parameters`` / ``:param x:``."""


def _is_underline(line: str) -> bool:
    s = line.strip()
    return len(s) >= 3 and set(s) == {"-"}


def _section_end_google(lines: list[str], start: int) -> int:
    """Index after the indented (or blank) block that starts at ``start``."""
    i = start
    while i < len(lines) and (not lines[i].strip() or lines[i][:1] in (" ", "\t")):
        i += 1
    return i


def _entries(lines: list[str], pattern: re.Pattern[str]) -> list[tuple[re.Match[str], list[str]]]:
    """Split a dedented section into (entry line match, continuation lines)."""
    out: list[tuple[re.Match[str], list[str]]] = []
    dedented = textwrap.dedent("\n".join(lines)).splitlines()
    for line in dedented:
        m = pattern.match(line) if line[:1] not in (" ", "\t") else None
        if m:
            out.append((m, []))
        elif out and line.strip():
            out[-1][1].append(line.strip())
    return out


def _add(params: dict[str, str], names: str, first: str, rest: list[str]) -> None:
    text = " ".join(part for part in [first.strip(), *rest] if part)
    for name in names.split(","):
        name = name.strip().lstrip("*")
        if name:
            params[name] = text


def parse_docstring(doc: str | None) -> DocInfo:
    """Parse a docstring: summary, body and per-parameter descriptions."""
    if not doc or not doc.strip():
        return DocInfo()
    lines = inspect.cleandoc(doc).splitlines()
    body: list[str] = []
    params: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped and i + 1 < len(lines) and _is_underline(lines[i + 1]):  # numpy section
            j = i + 2
            while j < len(lines) and not (
                lines[j].strip() and j + 1 < len(lines) and _is_underline(lines[j + 1])
            ):
                j += 1
            if stripped.lower() in _PARAM_SECTIONS:
                for m, rest in _entries(lines[i + 2 : j], _NUMPY_ENTRY):
                    _add(params, m.group(1), "", rest)
            i = j
            continue
        header = _GOOGLE_HEADER.match(line)
        if header and header.group(1).lower() in _PARAM_SECTIONS | _OTHER_SECTIONS:
            j = _section_end_google(lines, i + 1)
            if header.group(1).lower() in _PARAM_SECTIONS:
                for m, rest in _entries(lines[i + 1 : j], _GOOGLE_ENTRY):
                    _add(params, m.group(1), m.group(3), rest)
            i = j
            continue
        if stripped.startswith(":") and re.match(r"^:\w[^:]*:", stripped):  # sphinx field
            j = i + 1
            while j < len(lines) and lines[j].strip() and lines[j][:1] in (" ", "\t"):
                j += 1
            m = _SPHINX_PARAM.match(stripped)
            if m:
                _add(params, m.group(1), m.group(2), [ln.strip() for ln in lines[i + 1 : j]])
            i = j
            continue
        body.append(line)
        i += 1
    text = "\n".join(body).strip()
    summary = " ".join(re.split(r"\n\s*\n", text, maxsplit=1)[0].split()) if text else ""
    return DocInfo(summary=summary, body=text, params=params)


# --------------------------------------------------------------------------- type helpers


def _strip_annotated(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(tp) is Annotated:
        return tp.__origin__, tuple(tp.__metadata__)
    return tp, ()


def _non_none(tp: Any) -> list[Any]:
    """Members of a union other than None (``[tp]`` for a non-union)."""
    if get_origin(tp) in (Union, types.UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return [tp]


def is_context_annotation(tp: Any) -> bool:
    """True for ``ToolContext`` (also wrapped in Optional or Annotated)."""
    base, _ = _strip_annotated(tp)
    members = _non_none(base)
    if len(members) != 1:
        return False
    base, _ = _strip_annotated(members[0])
    return isinstance(base, type) and issubclass(base, ToolContext)


def type_label(tp: Any) -> str:
    """A short readable name of a type hint, for error messages (``list[int]``, ``int | None``)."""
    if tp is inspect.Parameter.empty or tp is Any:
        return "any"
    if tp is type(None) or tp is None:
        return "None"
    if tp is Ellipsis:
        return "..."
    base, _ = _strip_annotated(tp)
    if base is not tp:
        return type_label(base)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return " | ".join(type_label(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_label(a) for a in args)}]" if args else name
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return f"{tp.__name__} (one of {', '.join(repr(m.value) for m in tp)})"
        return tp.__name__
    return str(tp).replace("typing.", "")


_STRUCTURED = (list, tuple, set, frozenset, dict)


def _accepts_json_text(tp: Any) -> bool:
    """Whether a string argument may be JSON text for this type (lists, dicts, models...)."""
    base, _ = _strip_annotated(tp)
    members = _non_none(base)
    if any(_strip_annotated(m)[0] is str for m in members):
        return False
    for m in members:
        m, _ = _strip_annotated(m)
        origin = get_origin(m) or m
        if isinstance(origin, type) and (
            issubclass(origin, (*_STRUCTURED, BaseModel)) or is_dataclass(origin)
        ):
            return True
        if typing.is_typeddict(m):
            return True
    return False


_TD_CACHE: dict[type, Any] = {}


def _compat(tp: Any) -> Any:
    """Swap ``typing.TypedDict`` classes for ``typing_extensions`` ones (pydantic, py < 3.12)."""
    if sys.version_info >= (3, 12):
        return tp
    if isinstance(tp, type) and typing.is_typeddict(tp) and type(tp).__module__ == "typing":
        if tp not in _TD_CACHE:
            import typing_extensions as te

            hints = typing.get_type_hints(tp, include_extras=True)
            fields = {
                k: (te.Required if k in tp.__required_keys__ else te.NotRequired)[_compat(v)]
                for k, v in hints.items()
            }
            _TD_CACHE[tp] = te.TypedDict(tp.__name__, fields)  # type: ignore[operator]
        return _TD_CACHE[tp]
    args = get_args(tp)
    origin = get_origin(tp)
    if not args or origin is Literal:
        return tp
    if origin is Annotated:
        inner = _compat(args[0])
        return tp if inner is args[0] else Annotated[(inner, *tp.__metadata__)]
    new = tuple(_compat(a) for a in args)
    if all(n is o for n, o in zip(new, args, strict=True)):
        return tp
    try:
        # Union[...] because the members are a runtime tuple
        return Union[new] if origin in (Union, types.UnionType) else origin[new]  # noqa: UP007
    except TypeError:
        return tp


# --------------------------------------------------------------------------- JSON schema


class _SchemaGen(GenerateJsonSchema):
    """Types with no JSON form (sockets, arbitrary classes) become ``{}`` (any), not an error."""

    def handle_invalid_for_json_schema(self, schema: Any, error_info: str) -> dict[str, Any]:
        return {}


_MAP_KEYS = ("properties", "patternProperties")
_ONE_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames")
_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")


def _simplify(node: dict[str, Any]) -> dict[str, Any]:
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        rest = {k: v for k, v in node.items() if k != "allOf"}
        node = {**all_of[0], **rest}
    if "const" in node and "enum" not in node:
        node = {
            ("enum" if k == "const" else k): ([v] if k == "const" else v) for k, v in node.items()
        }
    any_of = node.get("anyOf")
    if isinstance(any_of, list) and len(any_of) == 2 and {"type": "null"} in any_of:
        other = any_of[0] if any_of[1] == {"type": "null"} else any_of[1]
        kind = other.get("type") if isinstance(other, dict) else None
        if isinstance(kind, str) and not ({"enum", "anyOf", "oneOf"} & other.keys()):
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            node = {**other, **rest, "type": [kind, "null"]}
    return node


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline ``$ref``s (recursive models keep theirs under ``$defs``) and drop ``title``s."""
    defs: dict[str, Any] = schema.get("$defs") or {}
    recursive: set[str] = set()

    def walk(node: Any, stack: frozenset[str]) -> Any:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/") :]
            siblings = {k: v for k, v in node.items() if k not in ("$ref", "title")}
            if name in stack or name not in defs:
                recursive.add(name)
                return {"$ref": ref, **siblings}
            return _simplify({**walk(defs[name], stack | {name}), **siblings})
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$defs" or (key == "title" and isinstance(value, str)):
                continue
            if key in _MAP_KEYS and isinstance(value, dict):
                out[key] = {n: walk(s, stack) for n, s in value.items()}
            elif key in _ONE_KEYS and isinstance(value, dict):
                out[key] = walk(value, stack)
            elif key in _LIST_KEYS and isinstance(value, list):
                out[key] = [walk(s, stack) for s in value]
            else:
                out[key] = copy.deepcopy(value)
        return _simplify(out)

    result = walk(schema, frozenset())
    kept: dict[str, Any] = {}
    while recursive - kept.keys():
        for name in sorted(recursive - kept.keys()):
            kept[name] = walk(defs.get(name, {}), frozenset({name})) if name in defs else {}
    if kept:
        result["$defs"] = kept
    return result


# --------------------------------------------------------------------------- the signature


@dataclass
class ArgSlot:
    """One parameter of the wrapped function, in call order."""

    name: str
    """The Python parameter name (and the JSON argument name)."""
    field: str | None
    """Field of the argument model; None for the injected ``ToolContext`` parameter."""
    positional_only: bool = False
    """Must be passed positionally."""
    label: str = "any"
    """Readable type, for error messages."""
    json_text: bool = False
    """A string value may be JSON text to decode first (LLMs sometimes send lists as text)."""
    default: Any = inspect.Parameter.empty
    """The Python default, if any."""


@dataclass
class ToolSignature:
    """A function's parameters compiled once: argument model, call layout and schema."""

    tool_name: str
    """Name used in error messages."""
    slots: list[ArgSlot]
    """Parameters in call order (``self``/``cls``/``*args``/``**kwargs`` excluded)."""
    model: type[BaseModel]
    """Validates and converts one call's arguments."""
    bound_param: str | None = None
    """``"self"`` or ``"cls"`` when the first parameter is one (methods)."""
    var_keyword: bool = False
    """The function takes ``**kwargs``: unknown arguments go there."""
    _schema: dict[str, Any] | None = None

    @property
    def context_param(self) -> str | None:
        return next((s.name for s in self.slots if s.field is None), None)

    @property
    def argument_names(self) -> list[str]:
        return [s.name for s in self.slots if s.field is not None]

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments (computed on first use, then copied from a cache)."""
        if self._schema is None:
            with warnings.catch_warnings():  # unserialisable defaults are simply left out
                warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
                raw = self.model.model_json_schema(schema_generator=_SchemaGen)
            schema = clean_schema(raw)
            schema.pop("additionalProperties", None)
            schema["type"] = "object"
            schema.setdefault("properties", {})
            ordered = {"type": "object", "properties": schema.pop("properties")}
            required = schema.pop("required", None)
            if required:
                ordered["required"] = required
            ordered.update({k: v for k, v in schema.items() if k != "type"})
            self._schema = ordered
        return copy.deepcopy(self._schema)

    def bind(
        self, args: Mapping[str, Any] | None, context: ToolContext | None
    ) -> tuple[list[Any], dict[str, Any]] | str:
        """Validate ``args`` into (positional, keyword) call arguments, or return an error text."""
        if args is None:
            args = {}
        if not isinstance(args, Mapping):
            return (
                f"tool '{self.tool_name}': arguments must be a JSON object of named arguments, "
                f"got {type(args).__name__}"
            )
        data: dict[str, Any] = dict(args)
        extras: dict[str, Any] = {}
        for slot in self.slots:
            if slot.json_text and isinstance(data.get(slot.name), str):
                text = data[slot.name].strip()
                if text[:1] in ("[", "{"):
                    try:
                        data[slot.name] = json.loads(text)
                    except ValueError:
                        pass  # leave it: validation names the argument and the expected type
        if self.var_keyword:
            known = {s.name for s in self.slots}
            extras = {k: data.pop(k) for k in list(data) if k not in known}
        try:
            values = self.model.model_validate(data).__dict__
        except pydantic.ValidationError as exc:
            return self._describe(exc)
        positional: list[Any] = []
        keyword: dict[str, Any] = {}
        for slot in self.slots:
            if slot.field is None:
                if context is None and slot.default is not inspect.Parameter.empty:
                    value = slot.default
                else:  # a direct execute() without a context still gets a usable one
                    value = context if context is not None else ToolContext()
            else:
                value = values[slot.field]
            if slot.positional_only:
                positional.append(value)
            else:
                keyword[slot.name] = value
        keyword.update(extras)
        return positional, keyword

    def _describe(self, exc: pydantic.ValidationError) -> str:
        by_name = {s.name: s for s in self.slots if s.field is not None}
        problems: list[str] = []
        unknown = False
        for err in exc.errors(include_url=False):
            loc = err.get("loc") or ()
            top = str(loc[0]) if loc else ""
            slot = by_name.get(top)
            expected = f"expected {slot.label}" if slot else ""
            if err["type"] == "missing" and len(loc) == 1:
                problems.append(f"missing required argument '{top}' ({expected})")
            elif err["type"] == "extra_forbidden" and len(loc) == 1:
                unknown = True
                problems.append(f"unknown argument '{top}'")
            else:
                path = ".".join(str(p) for p in loc)
                got = _short(err.get("input"))
                problems.append(f"argument '{path}' ({expected}): {err['msg']}, got {got}")
        text = f"tool '{self.tool_name}': invalid arguments: " + "; ".join(problems)
        if unknown:
            text += f". Accepted arguments: {', '.join(by_name) or '(none)'}"
        return text


def _short(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _resolve_signature(fn: Callable[..., Any], frame: Any, tool_name: str) -> inspect.Signature:
    """The signature with string annotations evaluated (using the defining frame's locals)."""
    try:
        return inspect.signature(fn, eval_str=True)
    except (NameError, SyntaxError, TypeError, AttributeError):
        pass
    except ValueError as exc:  # builtins implemented in C may have no signature
        raise TypeError(
            f"tool '{tool_name}': cannot read the signature of {fn!r} ({exc}); wrap it in a "
            "Python function with type hints"
        ) from exc
    sig = inspect.signature(fn)
    target = inspect.unwrap(fn.func if hasattr(fn, "func") else fn)  # partials and wrappers
    globalns = dict(getattr(target, "__globals__", {}))
    localns = dict(frame.f_locals) if frame is not None else {}
    params = []
    for p in sig.parameters.values():
        ann = p.annotation
        if isinstance(ann, str):
            try:
                ann = eval(ann, globalns, localns)  # the author's own annotation text
            except Exception as exc:
                raise TypeError(
                    f"tool '{tool_name}': cannot resolve the type hint {p.annotation!r} of "
                    f"argument '{p.name}' ({type(exc).__name__}: {exc}); import or define that "
                    "type at module level"
                ) from exc
        params.append(p.replace(annotation=ann))
    return sig.replace(parameters=params)


def compile_signature(
    fn: Callable[..., Any], tool_name: str, param_docs: Mapping[str, str], frame: Any = None
) -> ToolSignature:
    """Read ``fn``'s parameters once and build its argument model."""
    sig = _resolve_signature(fn, frame, tool_name)
    slots: list[ArgSlot] = []
    fields: dict[str, Any] = {}
    bound_param = None
    var_keyword = False
    P = inspect.Parameter
    for index, p in enumerate(sig.parameters.values()):
        if index == 0 and p.name in ("self", "cls") and p.kind is not P.KEYWORD_ONLY:
            bound_param = p.name
            continue
        if p.kind is P.VAR_POSITIONAL:
            continue
        if p.kind is P.VAR_KEYWORD:
            var_keyword = True
            continue
        ann = p.annotation
        positional_only = p.kind is P.POSITIONAL_ONLY
        if ann is not P.empty and is_context_annotation(ann):
            slots.append(ArgSlot(p.name, None, positional_only, "ToolContext", default=p.default))
            continue
        field_name = f"f{len(fields)}"
        hint = Any if ann is P.empty else _compat(ann)
        _, metadata = _strip_annotated(hint)
        desc = next((m for m in metadata if isinstance(m, str)), None)
        has_field_desc = any(isinstance(m, FieldInfo) and m.description for m in metadata)
        if desc is None and not has_field_desc:
            desc = param_docs.get(p.name)
        kwargs: dict[str, Any] = {"alias": p.name}
        if desc and not has_field_desc:
            kwargs["description"] = desc
        if p.default is not P.empty:
            kwargs["default"] = p.default
        fields[field_name] = (hint, Field(**kwargs))
        slots.append(
            ArgSlot(
                p.name,
                field_name,
                positional_only,
                type_label(ann),
                _accepts_json_text(hint),
                p.default,
            )
        )
    try:
        model = pydantic.create_model(  # type: ignore[call-overload]
            f"{tool_name}_arguments",
            __config__=ConfigDict(
                extra="forbid", arbitrary_types_allowed=True, coerce_numbers_to_str=True
            ),
            **fields,
        )
    except Exception as exc:
        raise TypeError(
            f"tool '{tool_name}': cannot build argument validation from the type hints "
            f"({type(exc).__name__}: {exc}); use JSON-friendly hints (str, int, list[...], "
            "pydantic models, dataclasses)"
        ) from exc
    return ToolSignature(tool_name, slots, model, bound_param, var_keyword)


__all__ = [
    "ArgSlot",
    "DocInfo",
    "ToolSignature",
    "clean_schema",
    "compile_signature",
    "is_context_annotation",
    "parse_docstring",
    "type_label",
]
