"""HTML -> readable markdown with the standard library's ``html.parser``.

Keeps what a reader needs (title, headings, paragraphs, links as ``[text](url)``, lists, code
blocks, quotes, simple tables) and drops what only a browser needs (script, style, nav, forms,
svg). No third-party dependency, so ``web_fetch`` works everywhere.

>>> html_to_markdown("<h1>Hi</h1><p>See <a href='/x'>this</a>.</p>", base_url="https://a.b/")
'# Hi\\n\\nSee [this](https://a.b/x).\\n'
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

_DROP = frozenset(
    {"script", "style", "nav", "noscript", "template", "svg", "form", "button", "iframe"}
)
"""Elements whose whole content is skipped."""
_BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "figure",
        "figcaption", "dl", "dt", "dd", "table", "details", "summary", "address",
    }
)  # fmt: skip
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "col"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _Converter(HTMLParser):
    """Collects markdown pieces while the parser walks the document."""

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.out: list[str] = []
        self.title = ""
        self._in_title = False
        self._drop_tag = ""
        self._drop_depth = 0  # nesting of _drop_tag (unclosed inner tags cannot confuse it)
        self._pre = 0
        self._lists: list[list[int | str]] = []  # [kind, counter]
        self._links: list[tuple[str, int]] = []  # (href, index in out where text starts)
        self._quote = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._rows_seen = 0

    # -- helpers
    def _emit(self, text: str) -> None:
        if self._cell is not None:
            self._cell.append(text)
        else:
            self.out.append(text)

    def _block(self) -> None:
        """End the current paragraph (a blank line, quote-prefixed inside blockquotes)."""
        if self._cell is None:
            self.out.append("\n\n" + "> " * self._quote)

    def _newline(self) -> None:
        if self._cell is None:
            self.out.append("\n" + "> " * self._quote)

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._drop_depth:
            if tag == self._drop_tag:
                self._drop_depth += 1
            return
        if tag in _DROP:
            self._drop_tag, self._drop_depth = tag, 1
            return
        if tag == "title":
            self._in_title = True
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._block()
            self._emit("#" * int(tag[1]) + " ")
        elif tag in _BLOCKS:
            if tag == "table":
                self._rows_seen = 0
            self._block()
        elif tag == "br":
            self._newline()
        elif tag == "hr":
            self._block()
            self._emit("---")
            self._block()
        elif tag == "blockquote":
            self._quote += 1
            self._block()
        elif tag in ("ul", "ol"):
            self._lists.append([tag, 0])
            if len(self._lists) == 1:
                self._block()
        elif tag == "li":
            indent = "  " * max(len(self._lists) - 1, 0)
            marker = "-"
            if self._lists and self._lists[-1][0] == "ol":
                self._lists[-1][1] = int(self._lists[-1][1]) + 1
                marker = f"{self._lists[-1][1]}."
            self._newline()
            self._emit(f"{indent}{marker} ")
        elif tag == "pre":
            self._block()
            self._emit("```\n")
            self._pre += 1
        elif tag == "code" and not self._pre:
            self._emit("`")
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            target = self.out if self._cell is None else self._cell
            self._links.append((href, len(target)))
        elif tag == "img":
            a = dict(attrs)
            alt, src = (a.get("alt") or "").strip(), a.get("src") or ""
            if alt and src:
                self._emit(f"![{alt}]({urljoin(self.base_url, src)})")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._drop_depth:
            if tag == self._drop_tag:
                self._drop_depth -= 1
            return
        if tag == "title":
            self._in_title = False
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6") or tag in _BLOCKS:
            self._block()
        elif tag == "blockquote":
            self._quote = max(self._quote - 1, 0)
            self._block()
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            if not self._lists:
                self._block()
        elif tag == "pre" and self._pre:
            self._pre -= 1
            if self.out and not self.out[-1].endswith("\n"):
                self.out.append("\n")
            self.out.append("```")
            self._block()
        elif tag == "code" and not self._pre:
            self._emit("`")
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "a" and self._links:
            self._close_link()
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(_SPACES.sub(" ", "".join(self._cell)).strip().replace("|", "\\|"))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._end_row()

    def _close_link(self) -> None:
        href, start = self._links.pop()
        target = self.out if self._cell is None else self._cell
        text = _SPACES.sub(" ", "".join(target[start:])).strip()
        del target[start:]
        if href and not href.startswith(("javascript:", "#")) and text:
            target.append(f"[{text}]({urljoin(self.base_url, href)})")
        else:
            target.append(text)

    def _end_row(self) -> None:
        row, self._row = self._row or [], None
        if not row:
            return
        self.out.append("\n| " + " | ".join(row) + " |")
        if self._rows_seen == 0:
            self.out.append("\n|" + "---|" * len(row))
        self._rows_seen += 1

    def handle_data(self, data: str) -> None:
        if self._drop_depth:
            return
        if self._in_title:
            self.title += data
            return
        if self._pre:
            self._emit(data)
            return
        text = _SPACES.sub(" ", data)
        if text.strip() or (self.out and not self.out[-1].endswith((" ", "\n"))):
            self._emit(text)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)


def _tidy(text: str) -> str:
    """Trim line ends, keep list indentation and code blocks, squeeze blank lines."""
    lines = []
    in_code = False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            in_code = not in_code
            lines.append(line.strip())
        elif in_code:
            lines.append(line)
        elif _is_item(line):
            lines.append(line.rstrip())
        else:
            lines.append(line.strip(" \t"))
    out = "\n".join(lines)
    out = re.sub(r"\n(?:> ?)?\n(?:(?:> ?)?\n)+", "\n\n", out)
    return out.strip() + "\n"


def _is_item(line: str) -> bool:
    return bool(re.match(r"\s*(?:[-*]|\d+\.) ", line))


def html_to_markdown(html: str, base_url: str = "") -> str:
    """Readable markdown for ``html``; relative links resolve against ``base_url``."""
    conv = _Converter(base_url)
    conv.feed(html)
    conv.close()
    while conv._links:
        conv._close_link()
    return _tidy("".join(conv.out))


def html_title(html: str) -> str:
    """The document's ``<title>`` (empty when it has none)."""
    conv = _Converter("")
    conv.feed(html)
    conv.close()
    return _SPACES.sub(" ", conv.title).strip()


__all__ = ["html_title", "html_to_markdown"]
