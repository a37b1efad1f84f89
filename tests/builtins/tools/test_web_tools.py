"""web_fetch and web_search against real local HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from kohakuterrarium.builtins.tools import web_search
from kohakuterrarium.builtins.tools.web_fetch import WebFetchTool
from kohakuterrarium.builtins.tools.web_search import (
    NO_BACKEND,
    SearchHit,
    SearxngBackend,
    WebSearchTool,
)
from kohakuterrarium.modules.tool.base import ToolConfig

Route = Callable[[BaseHTTPRequestHandler], None]

PAGE = """<!doctype html><html><head><title>Test Page</title>
<style>.x { color: red }</style><script>alert('no')</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<h1>Main heading</h1>
<p>First paragraph with a <a href="/docs/intro.html">relative link</a>.</p>
<h2>List</h2><ul><li>alpha</li><li>beta</li></ul>
<pre><code>print("hi")
    indented()</code></pre>
</body></html>"""


def reply(status: int, body: bytes, content_type: str, headers: dict | None = None) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        try:
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (timeout and size-cap tests)

    return route


def redirect(to: str) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", to)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return route


def slow(h: BaseHTTPRequestHandler) -> None:
    time.sleep(1.5)
    reply(200, b"late", "text/plain")(h)


def searx(h: BaseHTTPRequestHandler) -> None:
    query = parse_qs(urlsplit(h.path).query)
    assert query["format"] == ["json"]
    results = [
        {"title": f"Result {i} for {query['q'][0]}", "url": f"https://e.x/{i}", "content": "c"}
        for i in range(8)
    ]
    reply(200, json.dumps({"results": results}).encode(), "application/json")(h)


ROUTES: dict[str, Route] = {
    "/page": reply(200, PAGE.encode(), "text/html; charset=utf-8"),
    "/plain": reply(200, b"just text\n", "text/plain"),
    "/data.json": reply(200, b'{"a": 1}', "application/json"),
    "/image.png": reply(200, b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    "/big": reply(200, b"z" * 50_000, "text/plain"),
    "/hop1": redirect("/hop2"),
    "/hop2": redirect("/plain"),
    "/loop": redirect("/loop"),
    "/slow": slow,
    "/search": searx,
    "/broken/search": reply(500, b"oops", "text/plain"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        route = ROUTES.get(urlsplit(self.path).path)
        if route is None:
            reply(404, b"not here", "text/plain")(self)
        else:
            route(self)

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------- web_fetch


async def test_web_fetch_converts_html_to_markdown(server):
    result = await WebFetchTool().execute({"url": f"{server}/page"})
    text = result.output
    assert result.error is None
    assert text.startswith(f"Title: Test Page\nURL: {server}/page\n\n# Main heading\n")
    assert f"[relative link]({server}/docs/intro.html)" in text
    assert "## List\n\n- alpha\n- beta" in text
    assert '```\nprint("hi")\n    indented()\n```' in text
    for dropped in ("alert", "color: red", "About", "Home"):
        assert dropped not in text


async def test_web_fetch_returns_plain_text_and_json_as_is(server):
    assert (await WebFetchTool().execute({"url": f"{server}/plain"})).output == "just text\n"
    assert (await WebFetchTool().execute({"url": f"{server}/data.json"})).output == '{"a": 1}'


async def test_web_fetch_follows_redirects(server):
    result = await WebFetchTool().execute({"url": f"{server}/hop1"})
    assert result.output == "just text\n"
    assert result.metadata["url"] == f"{server}/plain"


async def test_web_fetch_stops_redirect_loops(server):
    result = await WebFetchTool().execute({"url": f"{server}/loop"})
    assert "too many redirects (more than 5)" in result.error


async def test_web_fetch_http_error_is_an_error_result(server):
    result = await WebFetchTool().execute({"url": f"{server}/missing"})
    assert result.error == f"HTTP 404 Not Found for {server}/missing"
    assert result.metadata["status"] == 404


async def test_web_fetch_refuses_binary(server):
    result = await WebFetchTool().execute({"url": f"{server}/image.png"})
    assert "binary content (image/png" in result.error


async def test_web_fetch_caps_the_body(server):
    tool = WebFetchTool(ToolConfig(extra={"max_bytes": 1000}))
    result = await tool.execute({"url": f"{server}/big"})
    body, _, note = result.output.partition("\n[content truncated")
    assert body == "z" * 1000 and "first 1000 bytes" in note
    assert result.metadata["truncated"] is True


async def test_web_fetch_times_out(server):
    tool = WebFetchTool(ToolConfig(extra={"request_timeout": 0.3}))
    started = time.monotonic()
    result = await tool.execute({"url": f"{server}/slow"})
    assert time.monotonic() - started < 1.2
    assert "timed out after 0.3s" in result.error


async def test_web_fetch_rejects_non_http_urls():
    for url in ("file:///etc/passwd", "ftp://x/y", "not a url"):
        result = await WebFetchTool().execute({"url": url})
        assert "not an http(s) URL" in result.error


async def test_web_fetch_connection_refused_is_an_error_result():
    result = await WebFetchTool(ToolConfig(extra={"request_timeout": 2})).execute(
        {"url": "http://127.0.0.1:9/"}
    )
    assert result.error and "could not fetch" in result.error


# --------------------------------------------------------------------------- web_search


async def test_web_search_with_searxng_backend(server):
    tool = WebSearchTool(ToolConfig(extra={"backend": "searxng", "base_url": server}))
    result = await tool.execute({"query": "kohaku", "max_results": 3})
    assert result.error is None
    lines = result.output.splitlines()
    assert lines[0] == "Results for 'kohaku':"
    assert lines[2] == "1. [Result 0 for kohaku](https://e.x/0)"
    assert len(result.metadata["results"]) == 3 and result.metadata["backend"] == "searxng"


async def test_searxng_backend_errors_are_error_results(server):
    tool = WebSearchTool(ToolConfig(extra={"backend": "searxng", "base_url": f"{server}/broken"}))
    result = await tool.execute({"query": "x"})
    assert "answered HTTP 500" in result.error


async def test_searxng_backend_returns_hits(server):
    hits = await SearxngBackend(server).search("q", 2)
    assert hits == [
        SearchHit("Result 0 for q", "https://e.x/0", "c"),
        SearchHit("Result 1 for q", "https://e.x/1", "c"),
    ]


async def test_web_search_without_a_backend_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(web_search.DuckDuckGoBackend, "available", staticmethod(lambda: False))
    result = await WebSearchTool().execute({"query": "anything"})
    assert result.error == NO_BACKEND
    result = await WebSearchTool(ToolConfig(extra={"backend": "duckduckgo"})).execute(
        {"query": "anything"}
    )
    assert result.error == NO_BACKEND


async def test_web_search_misconfiguration_is_explained():
    no_url = await WebSearchTool(ToolConfig(extra={"backend": "searxng"})).execute({"query": "q"})
    assert "needs base_url" in no_url.error
    bad = await WebSearchTool(ToolConfig(extra={"backend": "bing"})).execute({"query": "q"})
    assert "unknown web_search backend 'bing'" in bad.error
    assert "non-empty 'query'" in (await WebSearchTool().execute({})).error


async def test_web_search_accepts_a_custom_backend():
    class Fixed:
        name = "fixed"

        async def search(self, query, max_results):
            return [SearchHit("T", "https://t", "snip")] * max_results

    result = await WebSearchTool(backend=Fixed()).execute({"query": "q", "max_results": 2})
    assert result.output.count("[T](https://t)") == 2
    assert isinstance(Fixed(), web_search.WebSearchBackend)
