"""Full-text search: indexed on write, ranked by BM25, safe for any query text."""

from __future__ import annotations

from pathlib import Path

import pytest

from kohakuterrarium.errors import SessionError
from kohakuterrarium.session.reader import SessionReader
from kohakuterrarium.session.store import SessionStore


def msg(role: str, text: str, **extra) -> dict:
    return {"role": role, "content": text, **extra}


@pytest.fixture
def store(session_path: Path):
    with SessionStore(session_path) as s:
        yield s


def test_a_word_is_found_right_after_it_is_written(store: SessionStore):
    event_id = store.append_event("a", "user_message", msg("user", "Deploy the kangaroo service"))
    [hit] = store.search("kangaroo")
    assert (hit.event_id, hit.agent, hit.type) == (event_id, "a", "user_message")
    assert "kangaroo" in hit.snippet and hit.score > 0
    store.flush()
    with SessionReader(store.path) as reader:
        assert [h.event_id for h in reader.search("kangaroo")] == [event_id]


def test_tool_calls_tool_results_and_channel_messages_are_indexed(store: SessionStore):
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "grep", "arguments": '{"pattern": "zebra"}'},
    }
    store.append_event("a", "assistant_message", msg("assistant", "", tool_calls=[call]))
    store.append_event(
        "a", "tool_message", msg("tool", "found zebra in zoo.txt", tool_call_id="c1")
    )
    store.append_event(
        "a", "user_message", msg("user", [{"type": "text", "text": "zebra picture"}])
    )
    store.append_channel_message("animals", "keeper", "the zebra escaped")
    store.append_event("a", "tool_done", {"name": "grep", "result": "found zebra in zoo.txt"})
    hits = store.search("zebra", k=10)
    kinds = sorted(h.type for h in hits)
    # tool_done repeats the tool message: it is not indexed a second time.
    assert kinds == ["assistant_message", "channel_message", "tool_message", "user_message"]
    channel_hit = next(h for h in hits if h.type == "channel_message")
    assert (channel_hit.channel, channel_hit.agent, channel_hit.event_id) == (
        "animals",
        "keeper",
        None,
    )


def test_queries_with_punctuation_or_fts_syntax_never_fail(store: SessionStore):
    store.append_event("a", "user_message", msg("user", 'run "pytest -k test_edit" (again) now'))
    for query in [
        'pytest -k "test_edit',
        "again) OR (",
        "NEAR(run now)",
        "col:value*",
        "^run",
        "'quoted'",
        "!!!",
        "",
    ]:
        store.search(query)  # must not raise
    assert store.search("???") == []
    assert len(store.search('"pytest" (again)')) == 1


def test_results_are_ranked_and_limited(store: SessionStore):
    store.append_event("a", "user_message", msg("user", "apple banana cherry date elderberry"))
    store.append_event("a", "user_message", msg("user", "apple apple apple pie"))
    for i in range(20):
        store.append_event("a", "user_message", msg("user", f"filler text number {i} apple"))
    hits = store.search("apple", k=5)
    assert len(hits) == 5
    assert hits[0].text == "apple apple apple pie"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_all_words_must_match_unless_none_do(store: SessionStore):
    both = store.append_event("a", "user_message", msg("user", "red car parked outside"))
    store.append_event("a", "user_message", msg("user", "red apple"))
    assert [h.event_id for h in store.search("red car")] == [both]
    # Nothing holds both words: any word may match instead.
    assert len(store.search("red banana")) == 2


def test_words_are_stemmed(store: SessionStore):
    store.append_event("a", "user_message", msg("user", "searching the archives"))
    assert len(store.search("searched archive")) == 1


def test_search_filters_by_agent(store: SessionStore):
    store.append_event("a", "user_message", msg("user", "shared word"))
    store.append_event("b", "user_message", msg("user", "shared word"))
    assert [h.agent for h in store.search("shared", agent="b")] == ["b"]


def test_snippet_is_cut_around_the_match(store: SessionStore):
    text = "lorem ipsum " * 50 + "the needle is here " + "dolor sit " * 50
    store.append_event("a", "tool_message", msg("tool", text))
    [hit] = store.search("needle")
    assert "needle" in hit.snippet and len(hit.snippet) < 200 and hit.text == text


def test_reader_search_modes(store: SessionStore):
    store.append_event("a", "user_message", msg("user", "semantic search later"))
    store.flush()
    with SessionReader(store.path) as reader:
        assert len(reader.search("semantic", mode="fts")) == 1
        assert len(reader.search("semantic", mode="auto")) == 1
        for mode in ("semantic", "hybrid"):
            with pytest.raises(SessionError, match="no embeddings in this session; run"):
                reader.search("semantic", mode=mode)
        with pytest.raises(SessionError, match="unknown search mode"):
            reader.search("x", mode="fuzzy")  # type: ignore[arg-type]
