"""The ``web_fetch`` tool: fetch a URL and return it as readable text.

HTML is converted to markdown (:mod:`.html_text`); other text (plain, JSON, XML, CSV, ...) is
returned as is; binary content is refused. Every request is bounded: a timeout (default 20 s,
tool option ``request_timeout``), a size cap (default 2 MB, option ``max_bytes``; the rest is
not downloaded) and at most 5 redirects (option ``max_redirects``).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from kohakuterrarium.builtins.tools._shared import DirectTool, cap_bytes, object_schema
from kohakuterrarium.builtins.tools.html_text import html_title, html_to_markdown
from kohakuterrarium.modules.tool.base import ToolConfig, ToolResult

DEFAULT_REQUEST_TIMEOUT = 20.0
"""Seconds for the whole request (connect, redirects, body)."""
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
"""Bytes of body read at most."""
DEFAULT_MAX_REDIRECTS = 5
"""Redirects followed at most."""

_TEXT_TYPES = (
    "application/json",
    "application/ld+json",
    "application/xml",
    "application/xhtml+xml",
    "application/javascript",
    "application/x-javascript",
    "application/x-yaml",
    "application/yaml",
    "application/toml",
    "application/rss+xml",
    "application/atom+xml",
    "application/x-sh",
)
_USER_AGENT = "KohakuTerrarium-web_fetch/1 (+https://github.com/KohakuBlueleaf/KohakuTerrarium)"


def _is_text(content_type: str, sample: bytes) -> bool:
    if content_type.startswith("text/") or content_type in _TEXT_TYPES:
        return True
    if content_type.endswith(("+json", "+xml")):
        return True
    if content_type:
        return False
    return b"\x00" not in sample[:4096]  # no declared type: sniff


def _is_html(content_type: str, body: str) -> bool:
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:512].lstrip().lower()
    return not content_type and head.startswith(("<!doctype html", "<html"))


class WebFetchTool(DirectTool):
    """Fetch a web page or text file and return readable text."""

    tool_name = "web_fetch"
    description = "Fetch a URL and return its content as markdown (HTML) or text."
    full_doc = (
        "## Behaviour\n- HTML becomes markdown (headings, paragraphs, links, lists, code); "
        "scripts, styles and navigation are dropped.\n- Plain text and JSON come back as is; "
        "binary files (images, PDFs, archives) are refused.\n- Redirects are followed (at most "
        "5); HTTP errors (404, 500, ...) fail; bodies are cut at 2 MB; requests time out after "
        "20 s."
    )

    def __init__(self, config: ToolConfig | None = None) -> None:
        super().__init__(config)
        extra = self.config.extra
        self.request_timeout = float(extra.get("request_timeout", DEFAULT_REQUEST_TIMEOUT))
        """Seconds for one fetch."""
        self.max_bytes = int(extra.get("max_bytes", DEFAULT_MAX_BYTES))
        """Body bytes read at most."""
        self.max_redirects = int(extra.get("max_redirects", DEFAULT_MAX_REDIRECTS))
        """Redirects followed at most."""

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {"url": {"type": "string", "description": "http(s) URL to fetch."}}, ["url"]
        )

    async def _execute(self, args: dict[str, Any], **_: Any) -> ToolResult:
        url = args.get("url") or args.get("content")
        if not isinstance(url, str) or not url.strip():
            return ToolResult(error="web_fetch needs a 'url'")
        url = url.strip()
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            return ToolResult(error=f"not an http(s) URL: {url!r}")
        import httpx  # imported on use: agents without web tools never pay for it

        try:
            # httpx's timeout is per network operation; this bounds the whole fetch.
            async with asyncio.timeout(self.request_timeout):
                return await self._fetch(httpx, url)
        except (TimeoutError, httpx.TimeoutException):
            return ToolResult(error=f"fetching {url} timed out after {self.request_timeout:g}s")
        except httpx.TooManyRedirects:
            return ToolResult(
                error=f"too many redirects (more than {self.max_redirects}) for {url}"
            )
        except httpx.HTTPError as exc:
            return ToolResult(error=f"could not fetch {url}: {type(exc).__name__}: {exc}")

    async def _fetch(self, httpx: Any, url: str) -> ToolResult:
        headers = {"User-Agent": _USER_AGENT, "Accept": "text/html,text/*;q=0.9,*/*;q=0.5"}
        async with (
            httpx.AsyncClient(
                follow_redirects=True,
                max_redirects=self.max_redirects,
                timeout=self.request_timeout,
                headers=headers,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                reason = response.reason_phrase or ""
                return ToolResult(
                    error=f"HTTP {response.status_code} {reason} for {response.url}".rstrip(),
                    metadata={"status": response.status_code, "url": str(response.url)},
                )
            body, cut = await self._read_capped(response)
            return self._render(response, body, cut)

    async def _read_capped(self, response: Any) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                return b"".join(chunks)[: self.max_bytes], True
        return b"".join(chunks), False

    def _render(self, response: Any, body: bytes, cut: bool) -> ToolResult:
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        final_url = str(response.url)
        meta = {"status": response.status_code, "url": final_url, "content_type": content_type}
        if not _is_text(content_type, body):
            return ToolResult(
                error=f"{final_url} is binary content ({content_type or 'unknown type'}, "
                f"{len(body)}{'+' if cut else ''} bytes); web_fetch returns text only",
                metadata=meta,
            )
        try:
            text = body.decode(response.charset_encoding or "utf-8", errors="replace")
        except LookupError:  # a charset name Python does not know
            text = body.decode("utf-8", errors="replace")
        if _is_html(content_type, text):
            title = html_title(text)
            text = html_to_markdown(text, base_url=final_url)
            header = f"Title: {title}\nURL: {final_url}\n\n" if title else f"URL: {final_url}\n\n"
            text = header + text
        if cut:
            text += f"\n[content truncated: only the first {self.max_bytes} bytes were fetched]"
        text, _ = cap_bytes(text, int(self.config.max_output or 0))
        return ToolResult(output=text, metadata={**meta, "truncated": cut})


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_REQUEST_TIMEOUT",
    "WebFetchTool",
]
