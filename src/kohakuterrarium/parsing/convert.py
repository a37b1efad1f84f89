"""Typed conversion of tool-call arguments, driven by the tool's JSON parameters schema.

Text-mode calls (bracket, XML, custom) deliver every argument as a string; :func:`convert_args`
turns them into the types the schema declares, so ``@@run_in_background=false`` is ``False`` and
``@@limit=20`` is ``20``. Native calls arrive as JSON; :func:`convert_json_args` parses it and
repairs obviously mistyped scalars (``"5"`` for an integer). A value that cannot be converted
raises :class:`ToolArgumentError`, naming the tool, the argument, the expected type and the value.

Rules (per schema property; arguments the schema does not declare pass through unchanged):

- ``string``: kept as written. If a union allows a string, the value stays a string.
- ``integer``: ``int()`` of the stripped text; ``"3.0"`` is accepted as ``3``, ``"3.5"`` is not.
- ``number``: an int when the text is integral, else a finite float.
- ``boolean``: ``true/false/yes/no/1/0/on/off``, case-insensitive; anything else is an error.
- ``null``: ``null``, ``none`` or the empty string.
- ``array``: JSON text (``[...]``), or a comma-separated list whose items are converted with
  the ``items`` schema (strings when it has none). The empty string is ``[]``.
- ``object``: JSON text that decodes to an object.
- ``anyOf`` / ``oneOf`` / ``type: [..]``: the first alternative that converts, tried in the
  order null, integer, number, boolean, array, object.
- ``enum`` / ``const`` / ``$ref`` are not checked here: the tool validates its own values.

``run_in_background`` is always converted as a boolean, declared or not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from kohakuterrarium.errors import ToolError

BACKGROUND_ARG = "run_in_background"
"""The argument every tool and sub-agent accepts to run as a background job."""

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
_NULL = frozenset({"null", "none", ""})
# Order in which union alternatives are tried: the most specific reading wins ("1" is 1, not True).
_UNION_ORDER = ("null", "integer", "number", "boolean", "array", "object")
_SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})
_GOT_LIMIT = 120


class ToolArgumentError(ToolError):
    """A tool-call argument that cannot be converted to the type the tool's schema declares."""

    def __init__(
        self,
        *,
        tool: str | None,
        arg: str | None,
        expected: str,
        got: Any,
        detail: str | None = None,
    ) -> None:
        self.arg = arg
        """The argument name (None when the whole argument payload is bad)."""
        self.expected = expected
        """What the schema wanted, in words ("integer", "boolean", "a JSON object")."""
        self.got = got
        """The value the model wrote."""
        shown = _short(got)
        where = f"argument '{arg}'" if arg else "arguments"
        message = f"{where} must be {expected}, got {shown}"
        if detail:
            message += f" ({detail})"
        message += f"; {_how_to_write(expected)}"
        super().__init__(message, tool=tool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _GOT_LIMIT else text[: _GOT_LIMIT - 3] + "..."


def _how_to_write(expected: str) -> str:
    hints = {
        "integer": "write a whole number such as 10",
        "number": "write a number such as 2.5",
        "boolean": "write true or false",
        "null": "write null",
        "array": 'write a JSON list such as ["a", "b"] or a comma-separated list',
        "object": 'write a JSON object such as {"key": "value"}',
    }
    return hints.get(expected, "check the tool's documentation with the info command")


# --------------------------------------------------------------------------- schema helpers


def schema_properties(schema: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The ``properties`` map of a JSON object schema ({} for None or a schema without one)."""
    if not schema:
        return {}
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def alternatives(prop: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Flatten ``anyOf``/``oneOf``/type lists into single-type alternatives.

    An alternative with no recognisable type is returned as ``{}`` (meaning "anything").
    """
    out: list[Mapping[str, Any]] = []
    for key in ("anyOf", "oneOf"):
        subs = prop.get(key)
        if isinstance(subs, list):
            for sub in subs:
                if isinstance(sub, Mapping):
                    out.extend(alternatives(sub))
    typ = prop.get("type")
    if isinstance(typ, list):
        out.extend({**prop, "type": t} for t in typ if isinstance(t, str))
    elif isinstance(typ, str):
        out.append(prop)
    elif not out:
        if "properties" in prop:
            out.append({**prop, "type": "object"})
        elif "items" in prop:
            out.append({**prop, "type": "array"})
        else:
            out.append({})
    return out


def accepts_string(prop: Mapping[str, Any]) -> bool:
    """Whether a text value is acceptable as-is for this property (string or untyped)."""
    return any(alt.get("type", "string") == "string" for alt in alternatives(prop))


# --------------------------------------------------------------------------- scalar converters


def to_bool(value: str) -> bool:
    """``true/false/yes/no/1/0/on/off`` (any case) to a bool; anything else raises ValueError."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def _to_int(value: str) -> int:
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        number = float(text)  # "3.0" is a whole number written as a float
        if math.isfinite(number) and number.is_integer():
            return int(number)
        raise


def _to_number(value: str) -> int | float:
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(value) from None
        return number


def _to_null(value: str) -> None:
    if value.strip().lower() in _NULL:
        return None
    raise ValueError(value)


def _to_object(value: str) -> dict[str, Any]:
    decoded = json.loads(value)
    if not isinstance(decoded, dict):
        raise ValueError(value)
    return decoded


def _to_array(value: str, prop: Mapping[str, Any]) -> list[Any]:
    text = value.strip()
    if text.startswith("["):
        decoded = json.loads(text)
        if not isinstance(decoded, list):
            raise ValueError(value)
        return decoded
    if not text:
        return []
    items = prop.get("items")
    item_schema = items if isinstance(items, Mapping) else {}
    item_types = {alt.get("type", "string") for alt in alternatives(item_schema)}
    if not item_types <= _SCALARS:
        # A list of objects or lists cannot be written as comma-separated text.
        raise ValueError(value)
    parts = [part.strip() for part in text.split(",")]
    return [convert_value(part, item_schema) for part in parts]


def _convert_single(value: str, alt: Mapping[str, Any]) -> Any:
    typ = alt.get("type", "string")
    if typ == "string":
        return value
    if typ == "integer":
        return _to_int(value)
    if typ == "number":
        return _to_number(value)
    if typ == "boolean":
        return to_bool(value)
    if typ == "null":
        return _to_null(value)
    if typ == "array":
        return _to_array(value, alt)
    if typ == "object":
        return _to_object(value)
    return value  # a type we do not know: leave it to the tool


def _expected_name(alts: list[Mapping[str, Any]]) -> str:
    names = [str(alt.get("type", "string")) for alt in alts]
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else " or ".join(unique)


def convert_value(value: str, prop: Mapping[str, Any]) -> Any:
    """Convert one text value to the type ``prop`` declares; raises ValueError when it cannot."""
    alts = alternatives(prop)
    if any(alt.get("type", "string") == "string" for alt in alts):
        return value
    if len(alts) == 1:
        return _convert_single(value, alts[0])
    by_type = {str(alt.get("type")): alt for alt in reversed(alts)}
    for typ in _UNION_ORDER:
        alt = by_type.get(typ)
        if alt is None:
            continue
        try:
            return _convert_single(value, alt)
        except ValueError:
            continue
    raise ValueError(value)


# --------------------------------------------------------------------------- public API


def convert_args(
    args: Mapping[str, str],
    schema: Mapping[str, Any] | None,
    *,
    tool: str | None = None,
) -> dict[str, Any]:
    """Convert text-mode arguments to the types ``schema`` declares.

    >>> convert_args({"limit": "20", "run_in_background": "no"},
    ...              {"properties": {"limit": {"type": "integer"}}})
    {'limit': 20, 'run_in_background': False}

    Raises :class:`ToolArgumentError` for a value that cannot be converted.
    """
    props = schema_properties(schema)
    out: dict[str, Any] = {}
    for key, value in args.items():
        if not isinstance(value, str):
            out[key] = value
            continue
        prop = props.get(key)
        if key == BACKGROUND_ARG:
            prop = {"type": "boolean"}
        if not isinstance(prop, Mapping):
            out[key] = value
            continue
        try:
            out[key] = convert_value(value, prop)
        except ValueError as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else None
            raise ToolArgumentError(
                tool=tool,
                arg=key,
                expected=_expected_name(alternatives(prop)),
                got=value,
                detail=f"invalid JSON: {detail}" if detail else None,
            ) from None
    return out


def _coerce_json_value(key: str, value: Any, prop: Mapping[str, Any], tool: str | None) -> Any:
    alts = alternatives(prop)
    types = {str(alt.get("type", "string")) for alt in alts}
    if isinstance(value, str):
        if "string" in types:
            return value
        try:
            return convert_value(value, prop)
        except ValueError:
            raise ToolArgumentError(
                tool=tool, arg=key, expected=_expected_name(alts), got=value
            ) from None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and "integer" in types and "number" not in types:
        if value.is_integer():
            return int(value)
        return value
    if isinstance(value, int | float) and types == {"string"}:
        return str(value)
    return value


def convert_json_args(
    arguments_json: str,
    schema: Mapping[str, Any] | None,
    *,
    tool: str | None = None,
) -> dict[str, Any]:
    """Parse a native call's JSON arguments and repair obviously mistyped scalars.

    ``""`` means no arguments. Strings given for non-string properties are converted with the
    text-mode rules (``"5"`` -> 5, ``"false"`` -> False); whole floats given for integers become
    ints; numbers given for string-only properties become their text. Raises
    :class:`ToolArgumentError` for invalid JSON, a non-object payload, or a string that cannot be
    converted.
    """
    text = arguments_json.strip() if arguments_json else ""
    if not text:
        return {}
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolArgumentError(
            tool=tool,
            arg=None,
            expected="object",
            got=text,
            detail=f"invalid JSON: {exc.msg} at position {exc.pos}",
        ) from None
    if not isinstance(decoded, dict):
        raise ToolArgumentError(tool=tool, arg=None, expected="object", got=decoded)
    props = schema_properties(schema)
    out: dict[str, Any] = {}
    for key, value in decoded.items():
        prop = {"type": "boolean"} if key == BACKGROUND_ARG else props.get(key)
        if isinstance(prop, Mapping):
            out[key] = _coerce_json_value(key, value, prop, tool)
        else:
            out[key] = value
    return out


__all__ = [
    "BACKGROUND_ARG",
    "ToolArgumentError",
    "accepts_string",
    "alternatives",
    "convert_args",
    "convert_json_args",
    "convert_value",
    "schema_properties",
    "to_bool",
]
