"""Directory walking for glob / grep / tree: a small .gitignore matcher and an os.scandir walker.

The matcher follows git's rules closely enough for everyday trees: blank lines and ``#`` comments
are skipped, ``!`` negates, a trailing ``/`` matches directories only, a pattern containing a
``/`` (other than trailing) is anchored to its .gitignore's folder, ``*``/``?``/``[..]`` never
cross ``/``, and ``**`` spans folders. The last matching rule wins, nested .gitignore files apply
below their folder, and once a folder is ignored nothing under it is visited (as in git). ``.git``
is always skipped. Symlinked folders are never entered, so link loops cannot trap the walk.

>>> stack = IgnoreStack([("", parse_gitignore("*.log\\n!keep.log\\nbuild/\\n"))])
>>> stack.ignored("a/x.log", False), stack.ignored("keep.log", False), stack.ignored("build", True)
(True, False, True)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ALWAYS_SKIP = frozenset({".git"})
"""Folder names never walked into."""


@dataclass(frozen=True)
class IgnoreRule:
    """One line of a .gitignore file."""

    regex: re.Pattern[str]
    """Matches a path relative to the .gitignore's folder (posix, no leading slash)."""
    negated: bool
    """``!pattern``: re-include what an earlier rule excluded."""
    dir_only: bool
    """``pattern/``: matches folders only."""
    prefix: str = ""
    """Prepended to the path before matching (rules of a .gitignore above the walk root)."""

    def matches(self, rel: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return self.regex.match(self.prefix + rel) is not None


def glob_to_regex(pattern: str) -> str:
    """Regex source for a gitignore-style glob: ``*``/``?``/``[..]`` stay in one segment, ``**``
    spans segments (``a/**/b`` also matches ``a/b``)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                before_ok = i == 0 or pattern[i - 1] == "/"
                after = pattern[i + 2 : i + 3]
                if before_ok and after == "/":
                    out.append("(?:.*/)?")  # `**/`: zero or more folders
                    i += 3
                    continue
                if before_ok and after == "":
                    out.append(".*")
                    i += 2
                    continue
                out.append("[^/]*")  # `**` inside a segment acts like `*`
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_gitignore(text: str) -> list[IgnoreRule]:
    """The rules of one .gitignore file's text."""
    rules: list[IgnoreRule] = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        # Trailing spaces are ignored unless escaped with a backslash.
        stripped = line.rstrip(" ")
        if stripped.endswith("\\") and len(stripped) < len(line):
            stripped += " "
        line = stripped
        negated = line.startswith("!")
        if negated or line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        source = glob_to_regex(line)
        if not anchored and not line.startswith("**"):
            source = "(?:.*/)?" + source
        # A match on a folder also covers everything inside it.
        rules.append(IgnoreRule(re.compile(f"^{source}$", re.DOTALL), negated, dir_only))
    return rules


class IgnoreStack:
    """The .gitignore rules in force: (folder relative to the walk root, rules) pairs."""

    def __init__(self, layers: list[tuple[str, list[IgnoreRule]]] | None = None) -> None:
        self.layers: list[tuple[str, list[IgnoreRule]]] = layers or []

    def pushed(self, base: str, rules: list[IgnoreRule]) -> IgnoreStack:
        return IgnoreStack([*self.layers, (base, rules)]) if rules else self

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` (posix, relative to the walk root) is ignored; the last match wins."""
        result = False
        for base, rules in self.layers:
            if base:
                if not rel.startswith(base + "/"):
                    continue
                sub = rel[len(base) + 1 :]
            else:
                sub = rel
            for rule in rules:
                if rule.matches(sub, is_dir):
                    result = not rule.negated
        return result


def _read_rules(folder: Path) -> list[IgnoreRule]:
    try:
        return parse_gitignore((folder / ".gitignore").read_text("utf-8", errors="replace"))
    except OSError:
        return []


def ancestor_rules(root: Path) -> IgnoreStack:
    """Rules from .gitignore files above ``root`` up to its repository root, re-based on ``root``.

    Searching ``repo/src`` must still honour ``repo/.gitignore``; the ancestors' patterns are
    applied to paths prefixed with the part of ``root`` below each ancestor.
    """
    chain: list[Path] = []
    cur = root
    for _ in range(64):
        parent = cur.parent
        if parent == cur or (cur / ".git").exists():
            break
        chain.append(parent)
        cur = parent
    else:
        return IgnoreStack()
    if not (cur / ".git").exists():
        return IgnoreStack()  # not inside a repository: only .gitignore files at/below root count
    layers: list[tuple[str, list[IgnoreRule]]] = []
    for folder in reversed(chain):
        rules = _read_rules(folder)
        if rules:
            prefix = root.relative_to(folder).as_posix()
            shifted = [IgnoreRule(r.regex, r.negated, r.dir_only, prefix + "/") for r in rules]
            layers.append(("", shifted))
    return IgnoreStack(layers)


@dataclass(frozen=True)
class WalkEntry:
    """One file or folder met by :func:`walk`."""

    path: str
    """Absolute path."""
    rel: str
    """Path relative to the walk root, posix style."""
    is_dir: bool
    """True for folders."""
    depth: int
    """1 for entries directly in the root."""


def scan_dir(
    folder: str,
    rel_folder: str,
    depth: int,
    rules: IgnoreStack,
    *,
    gitignore: bool = True,
    hidden: bool = True,
) -> list[tuple[WalkEntry, IgnoreStack]]:
    """The visible entries of one folder, in name order, each with the rules for its content."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return []  # unreadable folder: skip it rather than fail the whole search
    out: list[tuple[WalkEntry, IgnoreStack]] = []
    for entry in entries:
        name = entry.name
        if name in ALWAYS_SKIP or (not hidden and name.startswith(".")):
            continue
        rel = f"{rel_folder}/{name}" if rel_folder else name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if gitignore and rules.ignored(rel, is_dir):
            continue
        sub_rules = rules
        if is_dir and gitignore:
            sub_rules = rules.pushed(rel, _read_rules(Path(entry.path)))
        out.append((WalkEntry(entry.path, rel, is_dir, depth + 1), sub_rules))
    return out


def root_rules(root: Path, gitignore: bool) -> IgnoreStack:
    """The rules in force for the content of ``root`` (ancestors' and its own .gitignore)."""
    if not gitignore:
        return IgnoreStack()
    return ancestor_rules(root).pushed("", _read_rules(root))


def walk(
    root: Path,
    *,
    gitignore: bool = True,
    hidden: bool = True,
    max_depth: int | None = None,
) -> Iterator[WalkEntry]:
    """Yield files and folders under ``root`` in pre-order (a folder, then its content).

    Ignored folders are not entered; symlinked folders are yielded but never entered.
    ``hidden=False`` skips names starting with a dot.
    """
    opts = {"gitignore": gitignore, "hidden": hidden}
    stack = [iter(scan_dir(str(root), "", 0, root_rules(root, gitignore), **opts))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        entry, sub_rules = item
        yield entry
        if entry.is_dir and (max_depth is None or entry.depth < max_depth):
            stack.append(iter(scan_dir(entry.path, entry.rel, entry.depth, sub_rules, **opts)))


__all__ = [
    "ALWAYS_SKIP",
    "IgnoreRule",
    "IgnoreStack",
    "WalkEntry",
    "ancestor_rules",
    "glob_to_regex",
    "parse_gitignore",
    "root_rules",
    "scan_dir",
    "walk",
]
