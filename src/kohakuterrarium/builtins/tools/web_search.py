"""The ``web_search`` tool and its pluggable search backends.

A backend is anything with ``async search(query, max_results) -> list[SearchHit]``
(:class:`WebSearchBackend`). The tool's ``backend:`` option picks one:

- ``duckduckgo``: the optional ``ddgs`` package (``pip install ddgs``);
- ``searxng``: a SearXNG instance's JSON API at ``base_url`` (``/search?format=json``);
- unset: ``duckduckgo`` when ``ddgs`` is importable, else none.

With no backend the tool returns an error result that says how to get one; it never blocks
on a network it cannot reach (every request has a timeout, option ``request_timeout``).

>>> tool = WebSearchTool(ToolConfig(extra={"backend": "searxng",
...                                          "base_url": "http://127.0.0.1:8888"}))
"""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

from kohakuterrarium.builtins.tools._shared import DirectTool, object_schema
from kohakuterrarium.modules.tool.base import ToolConfig, ToolResult

NO_BACKEND = (
    "no web search backend available: install ddgs or configure backend: searxng with base_url"
)
"""The error text when no backend can be used."""
DEFAULT_MAX_RESULTS = 5
MAX_RESULTS_LIMIT = 25
DEFAULT_REQUEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class SearchHit:
    """One search result."""

    title: str
    """The page title."""
    url: str
    """The page address."""
    snippet: str = ""
    """A short excerpt of the page."""


@runtime_checkable
class WebSearchBackend(Protocol):
    """A web search engine the tool can query."""

    name: str

    async def search(self, query: str, max_results: int) -> list[SearchHit]: ...


class SearchBackendError(Exception):
    """A backend that could not answer (network, bad response); its text goes to the model."""


class DuckDuckGoBackend:
    """Searches DuckDuckGo through the optional ``ddgs`` package (blocking: run in a thread)."""

    name = "duckduckgo"

    def __init__(self, region: str | None = None, timeout: float = DEFAULT_REQUEST_TIMEOUT):
        self.region = region
        self.timeout = timeout

    @staticmethod
    def available() -> bool:
        return importlib.util.find_spec("ddgs") is not None

    async def search(self, query: str, max_results: int) -> list[SearchHit]:
        def run() -> list[dict[str, Any]]:
            from ddgs import DDGS  # type: ignore[import-not-found]

            kwargs: dict[str, Any] = {"max_results": max_results}
            if self.region:
                kwargs["region"] = self.region
            return list(DDGS(timeout=int(self.timeout)).text(query, **kwargs) or [])

        try:
            rows = await asyncio.wait_for(asyncio.to_thread(run), self.timeout + 5)
        except TimeoutError as exc:
            raise SearchBackendError(f"duckduckgo did not answer in {self.timeout:g}s") from exc
        except Exception as exc:  # ddgs raises its own exception types
            raise SearchBackendError(f"duckduckgo search failed: {exc}") from exc
        return [
            SearchHit(
                str(r.get("title") or ""),
                str(r.get("href") or r.get("url") or ""),
                str(r.get("body") or ""),
            )
            for r in rows
        ][:max_results]


class SearxngBackend:
    """Searches a SearXNG instance through its JSON API."""

    name = "searxng"

    def __init__(self, base_url: str, timeout: float = DEFAULT_REQUEST_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def search(self, query: str, max_results: int) -> list[SearchHit]:
        import httpx

        url = f"{self.base_url}/search"
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(url, params={"q": query, "format": "json"})
        except httpx.HTTPError as exc:
            raise SearchBackendError(f"searxng at {self.base_url} failed: {exc!r}") from exc
        if response.status_code >= 400:
            raise SearchBackendError(
                f"searxng at {self.base_url} answered HTTP {response.status_code} "
                "(is format=json enabled in its settings?)"
            )
        try:
            rows = response.json().get("results") or []
        except (ValueError, AttributeError) as exc:
            raise SearchBackendError(f"searxng at {self.base_url} sent no JSON results") from exc
        return [
            SearchHit(
                str(r.get("title") or ""), str(r.get("url") or ""), str(r.get("content") or "")
            )
            for r in rows
            if isinstance(r, dict)
        ][:max_results]


def backend_from_options(options: dict[str, Any]) -> WebSearchBackend | None:
    """The backend the tool options ask for (None: nothing usable); ValueError if misconfigured."""
    kind = str(options.get("backend") or "").strip().lower()
    timeout = float(options.get("request_timeout", DEFAULT_REQUEST_TIMEOUT))
    if kind in ("", "auto", "duckduckgo", "ddgs", "ddg"):
        if not DuckDuckGoBackend.available():
            return None
        return DuckDuckGoBackend(options.get("region"), timeout)
    if kind == "searxng":
        base_url = options.get("base_url")
        if not base_url:
            raise ValueError("web_search backend 'searxng' needs base_url (the instance's address)")
        return SearxngBackend(str(base_url), timeout)
    raise ValueError(f"unknown web_search backend '{kind}'; use duckduckgo or searxng")


def format_hits(query: str, hits: list[SearchHit]) -> str:
    """Numbered markdown list of ``hits``."""
    if not hits:
        return f"No results for '{query}'."
    lines = [f"Results for '{query}':", ""]
    for i, hit in enumerate(hits, 1):
        lines.append(f"{i}. [{hit.title or hit.url}]({hit.url})")
        if hit.snippet:
            lines.append(f"   {' '.join(hit.snippet.split())}")
    return "\n".join(lines)


class WebSearchTool(DirectTool):
    """Search the web through the configured backend."""

    tool_name = "web_search"
    description = "Search the web; returns titles, URLs and snippets."
    full_doc = (
        "## Behaviour\n- Returns up to `max_results` hits (default 5, at most 25) as a numbered "
        "list of [title](url) with a snippet.\n- Use web_fetch to read a result.\n"
        "- Backend from the tool options: `backend: duckduckgo` (needs the ddgs package) or "
        "`backend: searxng` with `base_url`."
    )

    def __init__(
        self, config: ToolConfig | None = None, *, backend: WebSearchBackend | None = None
    ) -> None:
        super().__init__(config)
        self.backend = backend
        """An explicit backend; None: chosen from the options on each call."""

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {
                "query": {"type": "string", "description": "What to search for."},
                "max_results": {
                    "type": "integer",
                    "description": f"How many results (default {DEFAULT_MAX_RESULTS}).",
                },
            },
            ["query"],
        )

    async def _execute(self, args: dict[str, Any], **_: Any) -> ToolResult:
        query = args.get("query") or args.get("content")
        if not isinstance(query, str) or not query.strip():
            return ToolResult(error="web_search needs a non-empty 'query'")
        try:
            count = int(args.get("max_results") or DEFAULT_MAX_RESULTS)
        except (TypeError, ValueError):
            return ToolResult(error=f"max_results must be an integer, got {args['max_results']!r}")
        count = max(1, min(count, MAX_RESULTS_LIMIT))
        try:
            backend = self.backend or backend_from_options(self.config.extra)
        except ValueError as exc:
            return ToolResult(error=str(exc))
        if backend is None:
            return ToolResult(error=NO_BACKEND)
        try:
            hits = await backend.search(query.strip(), count)
        except SearchBackendError as exc:
            return ToolResult(error=str(exc))
        return ToolResult(
            output=format_hits(query.strip(), hits),
            metadata={"backend": backend.name, "results": [asdict(h) for h in hits]},
        )


__all__ = [
    "NO_BACKEND",
    "DuckDuckGoBackend",
    "SearchBackendError",
    "SearchHit",
    "SearxngBackend",
    "WebSearchBackend",
    "WebSearchTool",
    "backend_from_options",
    "format_hits",
]
