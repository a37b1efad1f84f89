"""The streaming parser for every text tool-call format (bracket, XML, custom delimiters).

Feed it the model's stream in slices of any size; it returns parse events as soon as they are
certain::

    parser = create_parser("bracket", tools={"read": None})
    parser.feed("Let me look. [/read]@@path=a.")   # [TextEvent("Let me look. ")]
    parser.feed("txt[read/] done")                 # [ToolCallEvent("read", {"path": "a.txt"}),
                                                   #  TextEvent(" done")]
    parser.flush()                                 # []

Guarantees:

- **Slicing does not matter.** Any slicing of the same text yields the same events once adjacent
  :class:`TextEvent` s are merged (:func:`coalesce_text`). Within one ``feed`` adjacent text is
  already merged; across calls text is emitted promptly instead of being held back.
- **Text is only held back while it may be an opening tag** (``[/re`` at the end of a slice,
  or an XML opening tag whose attributes are still arriving), bounded by :data:`MAX_OPEN_TAG`.
- **A call is emitted the moment its closing tag completes**, so the tool can start while the
  model is still writing.
- **Only known names open blocks**: tools, sub-agents, commands and ``output_<target>`` for
  named outputs. Anything else (``[/path]`` in prose, ``<b>`` in HTML) is text straight away,
  so an unknown name can never swallow the rest of a reply. An unknown "call" therefore comes
  out as its raw text, as the contract requires.
- **No nesting**: inside a block only the block's own closing tag is looked for; everything else
  (other tags, ``<letter``, ``[/``) is content.
- **An unclosed block** at :meth:`StreamParser.flush` comes back as its raw text followed by a
  :class:`MalformedCallEvent` saying which closing tag was missing, so the model can be told.
- **The parser never raises** on model output: arguments that cannot be converted to the tool's
  declared types give a :class:`MalformedCallEvent` (see :mod:`.convert`).

Cost: outside blocks, plain text is skipped with one ``str.find`` per slice; inside a block, each
slice costs one ``str.find`` over the slice plus a few characters of the previous one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.parsing.calls import DEFAULT_COMMANDS, CallClassifier
from kohakuterrarium.parsing.events import ParseEvent, TextEvent
from kohakuterrarium.parsing.format import ToolCallFormat, text_format
from kohakuterrarium.parsing.xml import MORE, NO, ScannedTag, scan_attributes

MAX_OPEN_TAG = 8192
"""Longest opening tag (with its attributes) the parser waits for before calling it text."""

_NAME_RE = re.compile(r"[A-Za-z0-9_]*")


@dataclass(slots=True)
class _OpenBlock:
    """A block whose opening tag has been read and whose closing tag has not."""

    name: str
    """The block's name."""
    open_text: str
    """The opening tag exactly as written."""
    attrs: dict[str, str]
    """Inline attributes of the opening tag."""
    close: str
    """The closing tag being looked for."""
    parts: list[str] = field(default_factory=list)
    """Content slices received so far."""
    tail: str = ""
    """Last ``len(close) - 1`` content characters, where a split closing tag may begin."""


class _Events:
    """An event list that merges adjacent text."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events: list[ParseEvent] = []

    def text(self, text: str) -> None:
        if not text:
            return
        events = self.events
        if events and isinstance(events[-1], TextEvent):
            events[-1] = TextEvent(events[-1].text + text)
        else:
            events.append(TextEvent(text))

    def add(self, event: ParseEvent) -> None:
        if isinstance(event, TextEvent):
            self.text(event.text)
        else:
            self.events.append(event)


def coalesce_text(events: Iterable[ParseEvent]) -> list[ParseEvent]:
    """Merge adjacent :class:`TextEvent` s (dropping empty ones); other events are kept as-is."""
    out = _Events()
    for event in events:
        out.add(event)
    return out.events


class StreamParser:
    """Incremental parser of one model stream in one text format. Not thread-safe."""

    def __init__(self, fmt: ToolCallFormat, classifier: CallClassifier) -> None:
        self.format = fmt
        """The format being parsed."""
        self._classifier = classifier
        self._start = fmt.start_char
        self._end = fmt.end_char
        self._single_start = len(fmt.start_char) == 1
        self._slash_open = fmt.slash_means_open
        self._self_close = not fmt.slash_means_open
        self._inline = fmt.arg_style == "inline"
        self._names = classifier.openable
        self._prefixes = frozenset(
            name[:k] for name in classifier.openable for k in range(len(name) + 1)
        )
        self._pending = ""
        self._block: _OpenBlock | None = None

    @property
    def in_block(self) -> bool:
        """Whether a block is open (its closing tag has not arrived yet)."""
        return self._block is not None

    def feed(self, text: str) -> list[ParseEvent]:
        """Consume the next slice of the stream; return the events it completes."""
        # The common case: a slice of prose with no delimiter in it.
        if (
            self._block is None
            and not self._pending
            and self._single_start
            and self._start not in text
        ):
            return [TextEvent(text)] if text else []
        out = _Events()
        # One string and an index into it: slicing the rest of a large slice at every block
        # boundary would make a slice with many calls quadratic.
        buf = self._pending + text if self._pending else text
        self._pending = ""
        pos: int | None = 0
        while pos is not None:
            if self._block is not None:
                pos = self._feed_block(buf, pos, out)
            else:
                pos = self._feed_outside(buf, pos, out)
        return out.events

    def flush(self) -> list[ParseEvent]:
        """End of stream: return held-back text, or an unclosed block (text + malformed)."""
        out = _Events()
        block = self._block
        if block is not None:
            self._block = None
            raw = block.open_text + "".join(block.parts)
            for event in self._classifier.unclosed(block.name, block.close, raw):
                out.add(event)
        elif self._pending:
            out.text(self._pending)
        self._pending = ""
        return out.events

    # ----------------------------------------------------------------------- outside blocks

    def _feed_outside(self, buf: str, pos: int, out: _Events) -> int | None:
        """Scan text outside blocks from ``pos``; return where a block's content starts, or None."""
        start = self._start
        search = pos
        while True:
            index = buf.find(start, search)
            if index < 0:
                hold = self._partial_start(buf, max(search, len(buf) - len(start) + 1))
                out.text(buf[pos:hold])
                self._pending = buf[hold:]
                return None
            match = self._match_open(buf, index)
            if match is NO:
                search = index + 1
                continue
            out.text(buf[pos:index])
            if match is MORE:
                self._pending = buf[index:]
                return None
            name, scanned = match  # type: ignore[misc]
            open_text = buf[index : scanned.end]
            if scanned.self_closing:
                out.add(self._classifier.classify(name, scanned.attrs, "", open_text))
                pos = search = scanned.end
                continue
            self._block = _OpenBlock(
                name=name,
                open_text=open_text,
                attrs=scanned.attrs,
                close=self.format.close_tag(name),
            )
            return scanned.end

    def _partial_start(self, buf: str, low: int) -> int:
        """Index of the earliest suffix of ``buf`` (from ``low``) that may begin the delimiter."""
        start = self._start
        for k in range(max(low, 0), len(buf)):
            if start.startswith(buf[k:]):
                return k
        return len(buf)

    def _match_open(self, buf: str, index: int) -> tuple[str, ScannedTag] | str:
        """Decide whether an opening tag starts at ``index``: (name, tag), MORE or NO."""
        n = len(buf)
        p = index + len(self._start)
        if self._slash_open:
            if p >= n:
                return MORE
            if buf[p] != "/":
                return NO
            p += 1
        q = _NAME_RE.match(buf, p).end()  # type: ignore[union-attr]
        name = buf[p:q]
        if q >= n:
            return MORE if name in self._prefixes else NO
        if name not in self._names:
            return NO
        if self._inline:
            limit = index + MAX_OPEN_TAG
            result = scan_attributes(
                buf,
                q,
                self._end,
                allow_self_close=self._self_close,
                stop=min(n, limit),
                complete=n >= limit,
            )
            return result if isinstance(result, str) else (name, result)
        end = self._end
        if buf.startswith(end, q):
            return name, ScannedTag({}, q + len(end), False)
        if self._self_close and buf.startswith("/" + end, q):
            return name, ScannedTag({}, q + 1 + len(end), True)
        rest = buf[q : q + len(end) + 1]
        if len(rest) == n - q and (
            end.startswith(rest) or (self._self_close and ("/" + end).startswith(rest))
        ):
            return MORE
        return NO

    # ----------------------------------------------------------------------- inside a block

    def _feed_block(self, buf: str, pos: int, out: _Events) -> int | None:
        """Collect block content from ``pos``; on its closing tag emit the call and return the
        index just past the tag, else None."""
        block = self._block
        assert block is not None
        close = block.close
        keep = len(close) - 1
        if block.tail:
            # A closing tag that started at the end of the previous slice ends in this one.
            joint = block.tail + buf[pos : pos + keep]
            found = joint.find(close)
            if 0 <= found < len(block.tail):
                content_all = "".join(block.parts)
                content = content_all[: len(content_all) - len(block.tail) + found]
                self._close_block(block, content, out)
                return pos + found + len(close) - len(block.tail)
        found = buf.find(close, pos)
        if found < 0:
            if pos < len(buf):
                block.parts.append(buf[pos:])
                if keep:
                    tail_src = buf if len(buf) - pos >= keep else block.tail + buf[pos:]
                    block.tail = tail_src[-keep:]
            return None
        block.parts.append(buf[pos:found])
        self._close_block(block, "".join(block.parts), out)
        return found + len(close)

    def _close_block(self, block: _OpenBlock, content: str, out: _Events) -> None:
        self._block = None
        raw = block.open_text + content + block.close
        out.add(self._classifier.classify(block.name, block.attrs, content, raw))


def create_parser(
    fmt: ToolCallFormat | str | Mapping[str, Any],
    *,
    tools: Mapping[str, Mapping[str, Any] | None],
    subagents: Collection[str] = (),
    commands: Collection[str] = DEFAULT_COMMANDS,
    outputs: Collection[str] = (),
) -> StreamParser:
    """A :class:`StreamParser` for ``fmt`` that knows these tools, sub-agents, commands, outputs.

    ``tools`` maps each tool name to its JSON parameters schema (or None); the schema drives
    argument conversion and which argument a block's body fills. ``fmt`` may be a format, a
    format name or a mapping of :class:`ToolCallFormat` fields; ``native`` is refused.
    """
    resolved = text_format(fmt)
    classifier = CallClassifier(
        tools=tools,
        subagents=subagents,
        commands=commands,
        outputs=outputs,
        line_args=resolved.arg_style == "line",
        arg_prefix=resolved.arg_prefix,
        arg_kv_sep=resolved.arg_kv_sep,
    )
    return StreamParser(resolved, classifier)


__all__ = ["MAX_OPEN_TAG", "StreamParser", "coalesce_text", "create_parser"]
