"""Pure text edits shared by ``edit`` and ``multi_edit``: exact search/replace and strict
unified-diff application. Nothing here touches the disk; failures raise :class:`EditFailure`
with a message written for the model.

>>> replace_exact("a = 1\\nb = 2\\n", "b = 2", "b = 3")
('a = 1\\nb = 3\\n', 1)
>>> apply_unified_diff("x\\ny\\n", "@@ -1,2 +1,2 @@\\n x\\n-y\\n+z\\n")
'x\\nz\\n'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field


class EditFailure(ValueError):
    """An edit that cannot be applied; the message says why and what to do."""


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def closest_line_hint(text: str, old: str) -> str:
    """A hint naming the file line most similar to the first line of ``old``."""
    probe = next((ln.strip() for ln in old.splitlines() if ln.strip()), "")
    if not probe:
        return ""
    lines = text.splitlines()
    stripped = [ln.strip() for ln in lines]
    best = difflib.get_close_matches(probe, stripped, n=1, cutoff=0.5)
    if not best:
        return " No similar line was found; read the file again to see its current content."
    number = stripped.index(best[0]) + 1
    return f" The closest line is {number}: {lines[number - 1].strip()!r}."


def replace_exact(text: str, old: str, new: str, replace_all: bool = False) -> tuple[str, int]:
    """Replace ``old`` with ``new`` in ``text``; returns (new text, replacements made).

    ``old`` must occur exactly once unless ``replace_all``. CRLF files accept LF-written
    ``old``/``new`` (they are converted to the file's line ending).
    """
    if not old:
        raise EditFailure("`old` is empty; give the exact text to replace")
    if old == new:
        raise EditFailure("`old` and `new` are identical; nothing would change")
    count = text.count(old)
    if count == 0 and "\r\n" in text and "\n" in old and "\r\n" not in old:
        old, new = old.replace("\n", "\r\n"), new.replace("\r\n", "\n").replace("\n", "\r\n")
        count = text.count(old)
    if count == 0:
        hint = closest_line_hint(text, old)
        if old.strip() and text.count(old.strip()) == 1:
            hint = " It does occur once without its surrounding whitespace; match it exactly."
        raise EditFailure(f"`old` was not found in the file.{hint}")
    if count > 1 and not replace_all:
        lines, start = [], 0
        for _ in range(min(count, 10)):
            start = text.index(old, start)
            lines.append(str(_line_of(text, start)))
            start += len(old)
        raise EditFailure(
            f"`old` occurs {count} times (lines {', '.join(lines)}); add surrounding lines to "
            "make it unique, or set replace_all=true to replace every occurrence"
        )
    return text.replace(old, new) if replace_all else text.replace(old, new, 1), count


# --------------------------------------------------------------------------- unified diff

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    """One ``@@`` section of a unified diff."""

    header: str
    """The ``@@ ... @@`` line as written (used in error messages)."""
    old_start: int | None
    """1-based first line in the old file (None for a bare ``@@``)."""
    old: list[str] = field(default_factory=list)
    """Context and removed lines: what must be in the file."""
    new: list[str] = field(default_factory=list)
    """Context and added lines: what replaces it."""
    new_eol: bool | None = None
    """False when the diff says the new file has no final newline."""


def parse_unified_diff(diff: str) -> list[Hunk]:
    """The hunks of a unified diff (``---``/``+++`` headers and ``diff``/``index`` lines skipped)."""
    hunks: list[Hunk] = []
    current: Hunk | None = None
    last_kind = ""
    raw_lines = [ln.rstrip("\r") for ln in diff.splitlines()]
    for index, line in enumerate(raw_lines):
        if line.startswith("@@"):
            m = _HUNK_RE.match(line)
            current = Hunk(line, int(m.group(1)) if m else None)
            hunks.append(current)
            last_kind = ""
            continue
        if current is None:
            if line.startswith(("---", "+++", "diff ", "index ")) or not line.strip():
                continue
            raise EditFailure(
                f"the diff has text before its first @@ hunk header: {line!r}; write a "
                "unified diff such as '@@ -3,2 +3,2 @@' followed by ' ', '-' and '+' lines"
            )
        following = raw_lines[index + 1] if index + 1 < len(raw_lines) else ""
        if line.startswith(("diff ", "--- ")) and (
            line.startswith("diff ") or following.startswith("+++ ")
        ):
            raise EditFailure(
                "the diff changes more than one file; `edit` changes one file per call"
            )
        if line.startswith("\\"):  # "\ No newline at end of file" applies to the line above
            if last_kind in ("+", " "):
                current.new_eol = False
            elif last_kind == "-" and current.new_eol is None:
                current.new_eol = True
            continue
        kind, body = (line[:1], line[1:]) if line else (" ", "")
        if kind == " ":
            current.old.append(body)
            current.new.append(body)
        elif kind == "-":
            current.old.append(body)
        elif kind == "+":
            current.new.append(body)
        else:
            raise EditFailure(
                f"hunk {len(hunks)} ({current.header}): line {line!r} does not start with "
                "' ', '-' or '+'"
            )
        last_kind = kind
    if not hunks:
        raise EditFailure("the diff has no @@ hunk; write a unified diff ('@@ -l,n +l,n @@' ...)")
    for hunk in hunks:
        # Trailing blank lines are usually an artefact of how the diff was written.
        while hunk.old and hunk.new and hunk.old[-1] == "" and hunk.new[-1] == "":
            hunk.old.pop()
            hunk.new.pop()
    return hunks


def _find_block(lines: list[str], block: list[str], start: int, expected: int) -> int | None:
    """Index of ``block`` in ``lines`` at or after ``start``, nearest to ``expected``."""
    if not block:
        return None
    first, size = block[0], len(block)
    hits = [
        i
        for i in range(start, len(lines) - size + 1)
        if lines[i] == first and lines[i : i + size] == block
    ]
    return min(hits, key=lambda i: abs(i - expected)) if hits else None


def apply_unified_diff(text: str, diff: str) -> str:
    """Apply ``diff`` to ``text`` strictly: every context and removed line must match exactly.

    A hunk is tried at its stated line first; if the content is not there, the same content is
    searched (nearest occurrence after the previous hunk wins). A hunk whose content is nowhere
    raises EditFailure naming the hunk and the first line that differs.
    """
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    final_eol = bool(lines) and lines[-1] == ""
    if final_eol:
        lines.pop()
    out: list[str] = []
    cursor = 0
    delta = 0
    for number, hunk in enumerate(parse_unified_diff(diff), 1):
        expected = max((hunk.old_start or 1) - 1 + delta, cursor)
        if hunk.old_start is not None and hunk.old_start == 0 and not hunk.old:
            expected = cursor
        if not hunk.old:  # pure insertion: only the stated position can place it
            if hunk.old_start is None:
                raise EditFailure(
                    f"hunk {number} ({hunk.header}) adds lines but gives no line number"
                )
            pos = min(hunk.old_start + delta if hunk.old_start else 0, len(lines))
            pos = max(pos, cursor)
        elif lines[expected : expected + len(hunk.old)] == hunk.old:
            pos = expected
        else:
            found = _find_block(lines, hunk.old, cursor, expected)
            if found is None:
                raise EditFailure(_mismatch(number, hunk, lines, expected))
            pos = found
        out.extend(lines[cursor:pos])
        out.extend(hunk.new)
        cursor = pos + len(hunk.old)
        delta += len(hunk.new) - len(hunk.old)
        if hunk.new_eol is not None and cursor >= len(lines):
            final_eol = hunk.new_eol
    out.extend(lines[cursor:])
    return eol.join(out) + (eol if final_eol and out else "")


def _mismatch(number: int, hunk: Hunk, lines: list[str], expected: int) -> str:
    msg = f"hunk {number} ({hunk.header}) does not match the file"
    for i, want in enumerate(hunk.old):
        at = expected + i
        have = lines[at] if at < len(lines) else None
        if have != want:
            where = f"line {at + 1}" if have is not None else f"line {at + 1} (past the end)"
            msg += f": at {where} the diff expects {want!r} but the file has {have!r}"
            break
    return msg + (
        ". Its context and '-' lines were not found anywhere in the file either; read the file "
        "again and rewrite the hunk from its current content"
    )


__all__ = [
    "EditFailure",
    "Hunk",
    "apply_unified_diff",
    "closest_line_hint",
    "parse_unified_diff",
    "replace_exact",
]
