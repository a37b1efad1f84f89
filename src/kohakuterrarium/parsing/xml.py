"""Attribute syntax of inline-argument formats (XML: ``<read path="a.txt" limit="5"/>``).

The state machine calls :func:`scan_attributes` on a candidate opening tag only after it has seen
a known tool name, so the per-character loop here never runs over ordinary prose.

Accepted attribute forms: ``key="value"``, ``key='value'`` and ``key=value`` (no spaces or
quotes). A bare ``key`` is refused, so prose such as "I like <bash and zsh" stays text. Quoted
values may span lines and contain the end delimiter.
The five XML entities (``&quot; &apos; &lt; &gt; &amp;``) are decoded in attribute values; the
body of a block is never decoded, so code written in it arrives exactly as the model wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]*")
_ENTITY_RE = re.compile(r"&(quot|apos|lt|gt|amp);")
_ENTITIES = {"quot": '"', "apos": "'", "lt": "<", "gt": ">", "amp": "&"}

MORE = "more"
"""Scan result: the text ends before the tag does; wait for more input."""
NO = "no"
"""Scan result: this is not an opening tag; treat it as text."""


@dataclass(slots=True)
class ScannedTag:
    """A complete opening tag found by :func:`scan_attributes`."""

    attrs: dict[str, str]
    """Attributes, entity-decoded, in the order written (a repeated key keeps its last value)."""
    end: int
    """Index just past the tag's end delimiter."""
    self_closing: bool
    """True for ``<name .../>`` (the block has no body and no closing tag)."""


def unescape_attr(value: str) -> str:
    """Decode the five XML entities in an attribute value."""
    if "&" not in value:
        return value
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], value)


def escape_attr(value: str) -> str:
    """Encode a value for a double-quoted attribute (``&`` and ``"`` only; ``<``/``>`` stay)."""
    return value.replace("&", "&amp;").replace('"', "&quot;")


def scan_attributes(
    text: str,
    pos: int,
    end_delim: str,
    *,
    allow_self_close: bool,
    stop: int,
    complete: bool,
) -> ScannedTag | str:
    """Scan attributes from ``pos`` (just after the tag name) up to the tag's end delimiter.

    Only ``text[:stop]`` is read. ``complete`` says whether that window is as long as it will
    ever be (so running off its end means "not a tag" rather than "wait for more input").
    Returns a :class:`ScannedTag`, :data:`MORE` or :data:`NO`.
    """
    n = stop
    ran_out = NO if complete else MORE
    attrs: dict[str, str] = {}
    while True:
        start = pos
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return ran_out
        if text.startswith(end_delim, pos, n):
            return ScannedTag(attrs, pos + len(end_delim), False)
        if allow_self_close and text[pos] == "/":
            if text.startswith(end_delim, pos + 1, n):
                return ScannedTag(attrs, pos + 1 + len(end_delim), True)
            partial = n - pos - 1 < len(end_delim) and end_delim.startswith(text[pos + 1 : n])
            return ran_out if partial else NO
        if n - pos < len(end_delim) and end_delim.startswith(text[pos:n]):
            return ran_out
        if pos == start:
            # The name, and each attribute, must be followed by whitespace, the end, or "/".
            return NO
        match = _KEY_RE.match(text, pos, n)
        if match is None:
            return NO
        key = match.group()
        pos = match.end()
        if pos >= n:
            return ran_out
        probe = pos
        while probe < n and text[probe] in " \t":
            probe += 1
        if probe >= n:
            return ran_out
        if text[probe] != "=":
            # No bare attributes: "<bash and zsh" in prose must stay text, not become a tag.
            return NO
        pos = probe + 1
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos >= n:
            return ran_out
        quote = text[pos]
        if quote in "\"'":
            close = text.find(quote, pos + 1, n)
            if close < 0:
                return ran_out
            attrs[key] = unescape_attr(text[pos + 1 : close])
            pos = close + 1
            continue
        value_start = pos
        while pos < n:
            ch = text[pos]
            if ch.isspace() or ch in "\"'" or text.startswith(end_delim, pos, n):
                break
            if allow_self_close and text.startswith(end_delim, pos + 1, n) and ch == "/":
                break
            pos += 1
        if pos >= n:
            return ran_out
        if pos == value_start:
            return NO
        attrs[key] = unescape_attr(text[value_start:pos])


__all__ = ["MORE", "NO", "ScannedTag", "escape_attr", "scan_attributes", "unescape_attr"]
