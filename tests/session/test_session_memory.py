"""SessionMemory (full-text now) and create_embedder."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from kohakuterrarium.errors import BadValueError, SessionError
from kohakuterrarium.session.embedding import ApiEmbedder, NullEmbedder, create_embedder
from kohakuterrarium.session.memory import MemoryHit, SessionMemory
from kohakuterrarium.session.store import SessionStore


@pytest.fixture
def store(session_path: Path):
    with SessionStore(session_path) as s:
        yield s


def test_search_returns_typed_blocks_of_the_history(store: SessionStore):
    store.append_event(
        "a", "user_message", {"role": "user", "content": "where is the ledger"}, turn_index=3
    )
    call = {
        "id": "c",
        "type": "function",
        "function": {"name": "grep", "arguments": '{"q": "ledger"}'},
    }
    store.append_event(
        "a",
        "assistant_message",
        {"role": "assistant", "content": "", "tool_calls": [call]},
        turn_index=3,
    )
    store.append_event(
        "a", "tool_message", {"role": "tool", "name": "grep", "content": "ledger.csv"}, turn_index=3
    )
    store.append_channel_message("ops", "bot", "ledger closed for today")
    memory = SessionMemory(store.path, store=store)
    assert memory.index_events("a") == 0  # indexed on write already
    hits = memory.search("ledger", k=10)
    by_type = {h.block_type: h for h in hits}
    assert set(by_type) == {"user", "tool", "text"}
    user = by_type["user"]
    assert (user.content, user.round_num, user.agent, user.block_num) == (
        "where is the ledger",
        3,
        "a",
        1,
    )
    tools = [h for h in hits if h.block_type == "tool"]
    assert {h.tool_name for h in tools} == {"grep"}
    assert by_type["text"].channel == "ops"
    assert all(isinstance(h, MemoryHit) and h.score > 0 for h in hits)
    assert user.age_str == "just now"
    assert memory.search("ledger", k=1, agent="a")[0].agent == "a"


def test_private_fields_packs_use(store: SessionStore):
    memory = SessionMemory(store.path, embedder=None, store=store)
    assert memory._has_vectors is False and memory._vec is None and memory._embedder is None
    memory_id = memory._fts.insert(
        "the user prefers tabs over spaces", {"agent": "a", "block_type": "memory", "round_num": 2}
    )
    assert len(memory._fts) == 1 and memory_id in memory._fts
    assert memory._fts[memory_id]["content"] == "the user prefers tabs over spaces"
    [(found_id, score, meta)] = memory._fts.search("tabs")
    assert found_id == memory_id and score > 0 and meta["agent"] == "a"
    [hit] = memory.search("prefers tabs")
    assert (hit.block_type, hit.round_num, hit.content) == (
        "memory",
        2,
        "the user prefers tabs over spaces",
    )


def test_semantic_modes_fall_back_to_full_text_and_bad_modes_fail(store: SessionStore):
    store.append_event("a", "user_message", {"role": "user", "content": "vectors later"})
    memory = SessionMemory(store.path, store=store)
    assert len(memory.search("vectors", mode="hybrid")) == 1
    assert len(memory.search("vectors", mode="semantic")) == 1
    with pytest.raises(SessionError, match="unknown memory search mode"):
        memory.search("x", mode="psychic")


def test_memory_opens_the_file_itself_when_given_no_store(session_path: Path):
    with SessionStore(session_path) as store:
        store.append_event("a", "user_message", {"role": "user", "content": "persisted words"})
    memory = SessionMemory(session_path)
    try:
        assert [h.content for h in memory.search("persisted")] == ["persisted words"]
    finally:
        memory.close()
    with pytest.raises(SessionError, match="no such session file"):
        SessionMemory(session_path.with_name("missing.kohakutr"))


def test_age_str_buckets():
    hit = MemoryHit("x", 0, 0, "a", "text", 1.0, time.time() - 7200)
    assert hit.age_str == "2h ago"


# --------------------------------------------------------------------------- embedders


def test_none_and_auto_never_download_anything():
    assert isinstance(create_embedder({"provider": "none"}), NullEmbedder)
    assert isinstance(create_embedder({"provider": "auto"}), NullEmbedder)
    assert isinstance(create_embedder(None), NullEmbedder)
    with pytest.raises(SessionError, match="no embedder is configured"):
        NullEmbedder().encode_one("x")


@pytest.mark.parametrize(
    "provider", ["model2vec", "sentence-transformer", "sentence_transformers", "onnx"]
)
def test_local_embedders_are_refused_clearly(provider: str):
    with pytest.raises(BadValueError, match="local embedders are not installed") as info:
        create_embedder({"provider": provider})
    assert info.value.key == "embedding.provider" and "api" in (info.value.hint or "")


def test_bad_embedding_configs_name_the_key(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(BadValueError, match="unknown embedding provider 'magic'"):
        create_embedder({"provider": "magic"})
    monkeypatch.delenv("KT_TEST_EMBED_KEY", raising=False)
    with pytest.raises(BadValueError, match="KT_TEST_EMBED_KEY") as info:
        create_embedder({"provider": "api", "api_key_env": "KT_TEST_EMBED_KEY"})
    assert info.value.key == "embedding.api_key_env"
    with pytest.raises(BadValueError, match="positive integer"):
        create_embedder({"provider": "api", "dimensions": -3})


class _EmbeddingHandler(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, self.headers.get("Authorization", ""), body))
        data = [
            {"index": i, "embedding": [float(len(t)), 1.0, 0.5]}
            for i, t in enumerate(body["input"])
        ]
        payload = json.dumps({"data": list(reversed(data))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return


def test_api_embedder_talks_to_an_openai_compatible_endpoint(monkeypatch: pytest.MonkeyPatch):
    server = HTTPServer(("127.0.0.1", 0), _EmbeddingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("KT_TEST_EMBED_KEY", "sk-test")
    try:
        embedder = create_embedder(
            {
                "provider": "api",
                "base_url": f"http://127.0.0.1:{server.server_port}/v1",
                "api_key_env": "KT_TEST_EMBED_KEY",
                "model": "tiny-embed",
            }
        )
        assert isinstance(embedder, ApiEmbedder) and embedder.dimensions == 0
        assert embedder.encode(["ab", "abcd"]) == [[2.0, 1.0, 0.5], [4.0, 1.0, 0.5]]
        assert embedder.encode_one("xyz") == [3.0, 1.0, 0.5]
        assert embedder.dimensions == 3
        path, auth, body = _EmbeddingHandler.requests[0]
        assert (path, auth, body) == (
            "/v1/embeddings",
            "Bearer sk-test",
            {"model": "tiny-embed", "input": ["ab", "abcd"]},
        )
        embedder.close()
    finally:
        server.shutdown()
        server.server_close()
