"""Dot-paths into JSON documents: ``a.b[0].c``, ``["key.with.dots"]``, ``[-1]``.

>>> parse_query('a.b[0]["x.y"]')
['a', 'b', 0, 'x.y']
>>> get_at({"a": {"b": [{"c": 3}]}}, parse_query("a.b[0].c"))
3
"""

from __future__ import annotations

import json
import re
from typing import Any

from kohakuterrarium.builtins.tools._fs import FileToolError

Step = str | int
_TOKEN_RE = re.compile(
    r"""\[\s*(-?\d+)\s*\]|\[\s*("(?:[^"\\]|\\.)*"|'[^']*')\s*\]|([^.\[\]]+)|(\.)"""
)


def parse_query(query: str | None) -> list[Step]:
    """Steps of a dot-path; ``""``, ``.`` or ``$`` is the whole document."""
    text = (query or "").strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[Step] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise FileToolError(f"cannot parse query {query!r} at position {pos}: {text[pos:]!r}")
        index, quoted, key, _dot = m.groups()
        if index is not None:
            steps.append(int(index))
        elif quoted is not None:
            steps.append(json.loads(quoted) if quoted.startswith('"') else quoted[1:-1])
        elif key is not None:
            steps.append(key.strip())
        pos = m.end()
    return steps


def format_steps(steps: list[Step]) -> str:
    out = ""
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r"[^.\[\]\s]+", step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step)}]"
    return out or "(root)"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = list(value)[:20]
        more = ", …" if len(value) > 20 else ""
        return (
            f"an object with keys {', '.join(map(str, keys))}{more}" if keys else "an empty object"
        )
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a {type(value).__name__}"


def get_at(doc: Any, steps: list[Step]) -> Any:
    """The value at ``steps``; errors name the deepest path that exists and what is there."""
    cur = doc
    for depth, step in enumerate(steps):
        here = format_steps(steps[:depth])
        if isinstance(step, int) and isinstance(cur, list):
            if not -len(cur) <= step < len(cur):
                raise FileToolError(
                    f"index [{step}] is out of range at {here}: it is {_describe(cur)}"
                )
            cur = cur[step]
        elif isinstance(cur, dict):
            key = str(step)
            if key not in cur:
                raise FileToolError(f"key {key!r} not found at {here}: it is {_describe(cur)}")
            cur = cur[key]
        elif isinstance(cur, list) and isinstance(step, str) and step.lstrip("-").isdigit():
            return get_at(cur, [int(step), *steps[depth + 1 :]])
        else:
            raise FileToolError(f"cannot look up {step!r} at {here}: it is {_describe(cur)}")
    return cur


def set_at(doc: Any, steps: list[Step], value: Any) -> Any:
    """Set ``value`` at ``steps`` (missing object keys are created); returns the new document.

    A list index equal to the list's length appends.
    """
    if not steps:
        return value
    cur = doc
    for depth, step in enumerate(steps):
        last = depth == len(steps) - 1
        here = format_steps(steps[:depth])
        if isinstance(cur, list):
            if isinstance(step, str) and step.lstrip("-").isdigit():
                step = int(step)
            if not isinstance(step, int):
                raise FileToolError(f"{here} is a list; use an index like [0], not {step!r}")
            if step == len(cur):
                cur.append(value if last else {})
                step = len(cur) - 1
            elif not -len(cur) <= step < len(cur):
                raise FileToolError(
                    f"index [{step}] is out of range at {here}: it is {_describe(cur)} "
                    f"(use [{len(cur)}] to append)"
                )
            if last:
                cur[step] = value
            else:
                cur = cur[step]
        elif isinstance(cur, dict):
            key = str(step)
            if last:
                cur[key] = value
            else:
                if key not in cur:
                    cur[key] = [] if isinstance(steps[depth + 1], int) else {}
                cur = cur[key]
        else:
            raise FileToolError(f"cannot set {format_steps(steps)}: {here} is {_describe(cur)}")
    return doc


__all__ = ["format_steps", "get_at", "parse_query", "set_at"]
