"""Tiny wire-format servers for provider tests: OpenAI chat completions and Anthropic messages.

A :class:`WireServer` is a real HTTP/1.1 server on 127.0.0.1 (ephemeral port) running in the
test's event loop. Tests queue replies (:class:`JSONReply`, :class:`SSEReply`); every request is
recorded (method, path, headers, JSON body) and a client that hangs up mid-stream is noticed
(:attr:`WireServer.disconnects`). The real SDKs talk to it, so these tests cover our request
shapes, the SDKs' parsing and our error mapping end to end.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    529: "Overloaded",
}


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Gate:
    """A pause inside an SSE stream: the server waits until the test sets ``event``."""

    event: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class JSONReply:
    """A whole JSON response."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    async def write(
        self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader, srv: WireServer
    ) -> None:
        data = json.dumps(self.body).encode()
        head = [
            f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Status')}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await writer.drain()


@dataclass
class SSEReply:
    """A chunked ``text/event-stream`` response.

    ``events`` are raw SSE blocks (``"data: {...}\\n\\n"``) or :class:`Gate` pauses. ``then``
    says how it ends: ``end`` (properly), ``die`` (the connection drops without the closing
    chunk) or ``hang`` (stay open until the client hangs up).
    """

    events: list[Any]
    then: str = "end"
    delay: float = 0.0

    async def write(
        self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader, srv: WireServer
    ) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode())
        await writer.drain()
        for ev in self.events:
            if isinstance(ev, Gate):
                await asyncio.wait_for(ev.event.wait(), 10)
                continue
            if self.delay:
                await asyncio.sleep(self.delay)
            data = ev.encode()
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
        if self.then == "die":
            writer.transport.abort()
            return
        if self.then == "hang":
            await srv._wait_for_hangup(reader)
            return
        writer.write(b"0\r\n\r\n")
        await writer.drain()


class WireServer:
    """An HTTP server that answers each request with the next queued reply."""

    def __init__(self) -> None:
        self.replies: deque[Any] = deque()
        self.requests: list[Recorded] = []
        self.disconnects = 0
        """Clients that hung up while a ``hang`` stream was open."""
        self.disconnected = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> WireServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._conns):
            task.cancel()
        await asyncio.gather(*self._conns, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def push(self, *replies: Any) -> WireServer:
        self.replies.extend(replies)
        return self

    async def _wait_for_hangup(self, reader: asyncio.StreamReader) -> None:
        try:
            while await asyncio.wait_for(reader.read(1024), 10):
                pass
        except (ConnectionError, TimeoutError):
            pass
        self.disconnects += 1
        self.disconnected.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            self.requests.append(Recorded(method, path, headers, body))
            reply = (
                self.replies.popleft()
                if self.replies
                else JSONReply(
                    500, {"error": {"message": "no scripted reply left", "type": "server_error"}}
                )
            )
            await reply.write(writer, reader, self)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._conns.discard(task)
            if not writer.transport.is_closing():
                writer.close()


# --------------------------------------------------------------------------- OpenAI wire format


def oa_chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, usage: Any = None
) -> str:
    """One ``data:`` block of a chat.completion.chunk."""
    choices = (
        []
        if delta is None and finish is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    )
    payload = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "test-model",
        "choices": choices,
    }
    if usage is not None:
        payload["usage"] = usage
    return f"data: {json.dumps(payload)}\n\n"


OA_DONE = "data: [DONE]\n\n"
OA_USAGE = {
    "prompt_tokens": 20,
    "completion_tokens": 5,
    "total_tokens": 25,
    "prompt_tokens_details": {"cached_tokens": 8},
    "completion_tokens_details": {"reasoning_tokens": 3},
}


def openai_text(*pieces: str, usage: dict[str, Any] | None = None, then: str = "end") -> SSEReply:
    """A streamed plain-text reply, then a usage chunk and ``[DONE]``."""
    events: list[Any] = [oa_chunk({"role": "assistant", "content": ""})]
    events += [oa_chunk({"content": p}) for p in pieces]
    events += [oa_chunk({}, finish="stop"), oa_chunk(None, usage=usage or OA_USAGE), OA_DONE]
    return SSEReply(events, then=then)


def oa_tool_delta(
    index: int, *, id: str | None = None, name: str | None = None, args: str = ""
) -> str:
    fn: dict[str, Any] = {"arguments": args}
    if name is not None:
        fn["name"] = name
    call: dict[str, Any] = {"index": index, "type": "function", "function": fn}
    if id is not None:
        call["id"] = id
    return oa_chunk({"tool_calls": [call]})


def openai_tool_calls(*calls: tuple[str, str, dict[str, Any]], text: str = "") -> SSEReply:
    """Tool calls ``(id, name, args)`` with arguments split over several chunks; the name is
    repeated in every chunk (as some servers do) and the id sent only in the first."""
    events: list[Any] = [oa_chunk({"role": "assistant", "content": None})]
    if text:
        events.append(oa_chunk({"content": text}))
    for i, (cid, name, args) in enumerate(calls):
        payload = json.dumps(args)
        cut = max(1, len(payload) // 2)
        events.append(oa_tool_delta(i, id=cid, name=name, args=""))
        events.append(oa_tool_delta(i, name=name, args=payload[:cut]))
        events.append(oa_tool_delta(i, name=name, args=payload[cut:]))
    events += [oa_chunk({}, finish="tool_calls"), oa_chunk(None, usage=OA_USAGE), OA_DONE]
    return SSEReply(events)


def openai_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    type_: str = "invalid_request_error",
    headers: dict[str, str] | None = None,
) -> JSONReply:
    return JSONReply(
        status, {"error": {"message": message, "type": type_, "code": code}}, headers or {}
    )


# --------------------------------------------------------------------------- Anthropic wire format


def an_event(type_: str, **data: Any) -> str:
    """One ``event:`` + ``data:`` block of the Messages stream."""
    return f"event: {type_}\ndata: {json.dumps({'type': type_, **data})}\n\n"


AN_USAGE_START = {
    "input_tokens": 10,
    "output_tokens": 1,
    "cache_read_input_tokens": 100,
    "cache_creation_input_tokens": 50,
}


def an_start(usage: dict[str, Any] | None = None) -> str:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage or AN_USAGE_START,
    }
    return an_event("message_start", message=message)


def an_end(stop_reason: str = "end_turn", output_tokens: int = 7) -> list[str]:
    return [
        an_event(
            "message_delta",
            delta={"stop_reason": stop_reason, "stop_sequence": None},
            usage={"output_tokens": output_tokens},
        ),
        an_event("message_stop"),
    ]


def an_text_block(index: int, *pieces: str) -> list[str]:
    return [
        an_event("content_block_start", index=index, content_block={"type": "text", "text": ""}),
        *(
            an_event("content_block_delta", index=index, delta={"type": "text_delta", "text": p})
            for p in pieces
        ),
        an_event("content_block_stop", index=index),
    ]


def an_thinking_block(index: int, *pieces: str, signature: str = "sig-123") -> list[str]:
    return [
        an_event(
            "content_block_start",
            index=index,
            content_block={"type": "thinking", "thinking": "", "signature": ""},
        ),
        *(
            an_event(
                "content_block_delta", index=index, delta={"type": "thinking_delta", "thinking": p}
            )
            for p in pieces
        ),
        an_event(
            "content_block_delta",
            index=index,
            delta={"type": "signature_delta", "signature": signature},
        ),
        an_event("content_block_stop", index=index),
    ]


def an_tool_block(index: int, call_id: str, name: str, args: dict[str, Any]) -> list[str]:
    payload = json.dumps(args)
    cut = max(1, len(payload) // 2)
    return [
        an_event(
            "content_block_start",
            index=index,
            content_block={"type": "tool_use", "id": call_id, "name": name, "input": {}},
        ),
        an_event(
            "content_block_delta",
            index=index,
            delta={"type": "input_json_delta", "partial_json": ""},
        ),
        an_event(
            "content_block_delta",
            index=index,
            delta={"type": "input_json_delta", "partial_json": payload[:cut]},
        ),
        an_event(
            "content_block_delta",
            index=index,
            delta={"type": "input_json_delta", "partial_json": payload[cut:]},
        ),
        an_event("content_block_stop", index=index),
    ]


def anthropic_text(*pieces: str, then: str = "end") -> SSEReply:
    return SSEReply([an_start(), *an_text_block(0, *pieces), *an_end()], then=then)


def anthropic_error(
    status: int, type_: str, message: str, headers: dict[str, str] | None = None
) -> JSONReply:
    return JSONReply(
        status, {"type": "error", "error": {"type": type_, "message": message}}, headers or {}
    )
