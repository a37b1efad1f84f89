"""The streaming parser: bracket grammar, XML, custom delimiters, classification, streaming."""

from __future__ import annotations

import random

import pytest

from kohakuterrarium.parsing import (
    CommandEvent,
    MalformedCallEvent,
    OutputCallEvent,
    StreamParser,
    SubAgentCallEvent,
    TextEvent,
    ToolCallEvent,
    coalesce_text,
    create_parser,
)
from kohakuterrarium.parsing.state_machine import MAX_OPEN_TAG

STR = {"type": "string"}
TOOLS: dict[str, dict | None] = {
    "bash": {"properties": {"command": STR, "timeout": {"type": "integer"}}},
    "python": None,
    "edit": {"properties": {"path": STR, "diff": STR}},
    "write": {"properties": {"path": STR, "content": STR}},
    "read": {
        "properties": {"path": STR, "limit": {"type": "integer"}, "offset": {"type": "integer"}}
    },
    "glob": None,
    "grep": None,
    "tree": None,
    "send_message": None,
    "info": None,
    "read_job": None,
    "web_fetch": {"properties": {"url": STR, "raw": {"type": "boolean"}}, "required": ["url"]},
    "notes": {"properties": {"title": STR, "content": STR}},
    "ranked": {"properties": {"count": {"type": "integer"}, "query": STR, "tag": STR}},
    "counter": {"properties": {"n": {"type": "integer"}}},
    "output_console": None,
}


def make(fmt="bracket", **kw) -> StreamParser:
    kw.setdefault("tools", TOOLS)
    kw.setdefault("subagents", ("explore", "plan"))
    kw.setdefault("outputs", ("discord", "console"))
    return create_parser(fmt, **kw)


def parse(text: str, fmt="bracket", **kw):
    """Parse ``text`` fed whole, then flushed; adjacent text merged."""
    parser = make(fmt, **kw)
    return coalesce_text([*parser.feed(text), *parser.flush()])


def parse_chunked(text: str, sizes, fmt="bracket", **kw):
    parser = make(fmt, **kw)
    events = []
    pos = 0
    for size in sizes:
        events += parser.feed(text[pos : pos + size])
        pos += size
    events += parser.feed(text[pos:])
    events += parser.flush()
    return coalesce_text(events)


def chunkings(text: str, seed: int = 0):
    """Whole, 1-char, fixed sizes, and random slicings of ``text``."""
    yield [len(text)]
    for size in (1, 2, 3, 7, 10):
        yield [size] * (len(text) // size + 1)
    rng = random.Random(seed)
    for _ in range(12):
        yield [rng.randint(1, 12) for _ in range(len(text))]


# --------------------------------------------------------------------------- bracket grammar


def test_bracket_call_with_args_and_body_is_a_tool_call():
    events = parse("Let me check.\n[/bash]\n@@timeout=30\nls -la\n[bash/]\nDone.")
    assert events == [
        TextEvent("Let me check.\n"),
        ToolCallEvent(
            "bash",
            {"timeout": 30, "command": "ls -la"},
            raw="[/bash]\n@@timeout=30\nls -la\n[bash/]",
        ),
        TextEvent("\nDone."),
    ]


@pytest.mark.parametrize(
    ("tool", "arg"),
    [
        ("bash", "command"),
        ("python", "code"),
        ("edit", "diff"),
        ("write", "content"),
        ("read", "path"),
        ("glob", "pattern"),
        ("grep", "pattern"),
        ("tree", "path"),
        ("send_message", "message"),
        ("info", "name"),
        ("read_job", "job_id"),
    ],
)
def test_body_fills_the_builtin_content_argument(tool, arg):
    (event,) = parse(f"[/{tool}]\nthe body\n[{tool}/]")
    assert event == ToolCallEvent(tool, {arg: "the body"}, raw=f"[/{tool}]\nthe body\n[{tool}/]")


def test_info_as_a_tool_puts_the_body_in_name_not_tool_name():
    (event,) = parse("[/info]bash[info/]")
    assert event.args == {"name": "bash"}


@pytest.mark.parametrize(
    ("tool", "arg"),
    [
        ("notes", "content"),  # the schema has a `content` property
        ("web_fetch", "url"),  # its only required string property
        ("ranked", "query"),  # its first string property
        ("counter", "content"),  # no string property at all
    ],
)
def test_body_argument_of_other_tools_comes_from_the_schema(tool, arg):
    (event,) = parse(f"[/{tool}]x[{tool}/]")
    assert isinstance(event, ToolCallEvent)
    assert event.args == {arg: "x"}


def test_explicit_argument_wins_over_the_body():
    (event,) = parse("[/bash]\n@@command=pwd\nls\n[bash/]")
    assert event.args == {"command": "pwd"}


def test_argument_on_the_same_line_as_the_opening_tag():
    (event,) = parse("[/read]@@path=x[read/]")
    assert event == ToolCallEvent("read", {"path": "x"}, raw="[/read]@@path=x[read/]")


def test_argument_lines_split_on_first_separator_and_are_stripped():
    (event,) = parse("[/bash]\n@@ command = a=b \n[bash/]")
    assert event.args == {"command": "a=b"}


def test_flag_argument_alone_is_empty_string():
    (event,) = parse("[/write]\n@@path=a.txt\n@@append\nhello\n[write/]")
    assert event.args == {"path": "a.txt", "append": "", "content": "hello"}


def test_blank_lines_among_arguments_are_skipped_and_body_is_stripped():
    (event,) = parse("[/write]\n\n@@path=a.txt\n\n\n  line one\nline two  \n\n[write/]")
    assert event.args == {"path": "a.txt", "content": "line one\nline two"}


def test_first_non_argument_line_starts_the_body_even_if_later_lines_look_like_args():
    (event,) = parse("[/write]\n@@path=a\nbody\n@@path=b\n[write/]")
    assert event.args == {"path": "a", "content": "body\n@@path=b"}


def test_diff_hunk_header_is_body_not_an_argument():
    diff = "@@ -1,2 +1,2 @@\n-old\n+new"
    (event,) = parse(f"[/edit]\n@@path=f.py\n{diff}\n[edit/]")
    assert event.args == {"path": "f.py", "diff": diff}


def test_mismatched_close_tag_is_content():
    (event,) = parse("[/bash]echo [read/] done[bash/]")
    assert event.args == {"command": "echo [read/] done"}


def test_blocks_do_not_nest():
    events = parse("[/bash]echo [/read]x[read/] y[bash/]")
    assert events == [
        ToolCallEvent("bash", {"command": "echo [/read]x[read/] y"}, raw=events[0].raw)
    ]


def test_name_must_follow_the_slash_directly():
    assert parse("[/ bash]ls[bash/]") == [TextEvent("[/ bash]ls[bash/]")]


def test_close_tag_outside_a_block_is_text():
    assert parse("a [bash/] b") == [TextEvent("a [bash/] b")]


def test_several_calls_and_text_keep_their_order():
    events = parse("a[/read]x[read/]b[/glob]*.py[glob/]c")
    assert [type(e).__name__ for e in events] == [
        "TextEvent",
        "ToolCallEvent",
        "TextEvent",
        "ToolCallEvent",
        "TextEvent",
    ]
    assert events[3].args == {"pattern": "*.py"}


# --------------------------------------------------------------------------- classification


def test_unknown_name_comes_back_as_raw_text():
    text = "see [/foo]@@a=1\nbody[foo/] ok"
    assert parse(text) == [TextEvent(text)]


def test_unknown_name_is_not_held_back():
    parser = make()
    assert parser.feed("see [/foo]body") == [TextEvent("see [/foo]body")]


def test_output_block_for_a_known_output():
    (event,) = parse("[/output_discord]\nHello @@everyone\n[output_discord/]")
    assert event == OutputCallEvent(
        "discord", "Hello @@everyone", raw="[/output_discord]\nHello @@everyone\n[output_discord/]"
    )


def test_output_block_takes_precedence_over_a_tool_of_the_same_name():
    (event,) = parse("[/output_console]hi[output_console/]")
    assert isinstance(event, OutputCallEvent)
    assert event.target == "console"


def test_output_block_for_an_unknown_output_is_text():
    text = "[/output_slack]hi[output_slack/]"
    assert parse(text) == [TextEvent(text)]


def test_subagent_call_gets_task_from_body_and_converted_background():
    (event,) = parse("[/explore]\n@@run_in_background=false\n@@depth=2\nfind the bug\n[explore/]")
    assert event == SubAgentCallEvent(
        "explore",
        {"task": "find the bug", "run_in_background": False, "depth": "2"},
        raw=event.raw,
    )


def test_subagent_explicit_task_argument_wins():
    (event,) = parse("[/plan]@@task=a[plan/]")
    assert event.args == {"task": "a"}


def test_commands_become_command_events():
    events = parse("[/jobs][jobs/] [/read_job]abc --lines 5[read_job/]", tools={})
    assert events == [
        CommandEvent("jobs", "", raw="[/jobs][jobs/]"),
        TextEvent(" "),
        CommandEvent("read_job", "abc --lines 5", raw="[/read_job]abc --lines 5[read_job/]"),
    ]


def test_command_arguments_from_argument_lines():
    (event,) = parse("[/read_job]\n@@job_id=bash_1\n@@lines=5\n[read_job/]", tools={})
    assert event == CommandEvent("read_job", "bash_1 --lines 5", raw=event.raw)


def test_tool_wins_over_a_command_of_the_same_name():
    (event,) = parse("[/read_job]abc[read_job/]")
    assert event == ToolCallEvent("read_job", {"job_id": "abc"}, raw=event.raw)


def test_extra_commands_from_plugins_are_recognised():
    (event,) = parse("[/skill]pdf[skill/]", commands=("info", "skill"))
    assert event == CommandEvent("skill", "pdf", raw=event.raw)


# --------------------------------------------------------------------------- conversion


def test_run_in_background_false_is_false():
    (event,) = parse("[/bash]\n@@run_in_background=false\nsleep 1\n[bash/]")
    assert event.args == {"run_in_background": False, "command": "sleep 1"}


def test_arguments_are_converted_by_schema():
    (event,) = parse("[/read]\n@@path=a.txt\n@@limit=20\n@@offset=0\n[read/]")
    assert event.args == {"path": "a.txt", "limit": 20, "offset": 0}


def test_unconvertible_argument_gives_malformed_event_and_never_raises():
    text = "[/read]\n@@path=a\n@@limit=lots\n[read/] after"
    events = parse(text)
    assert isinstance(events[0], MalformedCallEvent)
    assert events[0].name == "read"
    assert events[0].raw == "[/read]\n@@path=a\n@@limit=lots\n[read/]"
    assert "limit" in events[0].error
    assert "integer" in events[0].error
    assert "'lots'" in events[0].error
    assert events[1:] == [TextEvent(" after")]


def test_bad_background_flag_is_malformed():
    (event,) = parse("[/explore]@@run_in_background=maybe\ngo[explore/]")
    assert isinstance(event, MalformedCallEvent)
    assert "run_in_background" in event.error


# --------------------------------------------------------------------------- streaming


def test_plain_text_is_emitted_promptly_character_by_character():
    parser = make()
    for ch in "hello, world":
        assert parser.feed(ch) == [TextEvent(ch)]
    assert parser.flush() == []


def test_only_a_possible_opening_tag_is_held_back():
    parser = make()
    assert parser.feed("abc [") == [TextEvent("abc ")]
    assert parser.feed("/re") == []
    assert parser.feed("x] more") == [TextEvent("[/rex] more")]
    assert parser.feed("see [/bash") == [TextEvent("see ")]
    assert parser.feed("ful] text") == [TextEvent("[/bashful] text")]


def test_a_call_is_emitted_when_its_closing_tag_completes():
    parser = make()
    text = "[/bash]ls[bash/]"
    for ch in text[:-1]:
        assert parser.feed(ch) == []
    assert parser.in_block
    (event,) = parser.feed(text[-1])
    assert event == ToolCallEvent("bash", {"command": "ls"}, raw=text)
    assert parser.flush() == []


def test_closing_tag_split_across_chunks():
    parser = make()
    assert parser.feed("[/bash]echo hi[ba") == []
    assert parser.in_block
    assert parser.feed("sh/") == []
    (event,) = parser.feed("]tail")[:1]
    assert event.args == {"command": "echo hi"}


def test_unclosed_block_at_end_is_text_then_malformed():
    events = parse("start [/bash]\nls -la")
    assert events[0] == TextEvent("start [/bash]\nls -la")
    assert isinstance(events[1], MalformedCallEvent)
    assert events[1].name == "bash"
    assert "[bash/]" in events[1].error
    assert events[1].raw == "[/bash]\nls -la"


def test_partial_tag_at_end_of_stream_is_flushed_as_text():
    parser = make()
    assert parser.feed("abc [/ba") == [TextEvent("abc ")]
    assert parser.flush() == [TextEvent("[/ba")]


def test_parser_is_reusable_after_flush():
    parser = make()
    parser.feed("[/bash]never closed")
    parser.flush()
    assert parser.feed("[/read]a[read/]") == [
        ToolCallEvent("read", {"path": "a"}, raw="[/read]a[read/]")
    ]


CORPUS = {
    "bracket": [
        "Intro text [with] brackets [/ and [x/] stuff.\n[/bash]\n@@timeout=5\nls\n[bash/]\n"
        "[/read]@@path=a.txt[read/][/unknown]x[unknown/] [/explore]task here[explore/]"
        "[/jobs][jobs/][/output_discord]hi![output_discord/] [/read]@@limit=x\n@@path=p[read/]"
        "[/write]\n@@path=f\n[/bash]nested[bash/]\n[write/]tail [/bas",
        "[/bash][bash/][[//bash]]x[bash/]] [/edit]@@path=a\n@@ -1 +1 @@\n-a\n+b[edit/] [/python]",
    ],
    "xml": [
        'Some <b>html</b> & a<b. <read path="a.txt" limit="3"/> then <bash timeout="5">'
        "ls <dir> && echo </bashx> ok</bash> and <explore run_in_background='false'>look</explore>"
        '<jobs/> <output_discord>hey</output_discord> <read path="x" limit="x"/> I like <bash '
        'and zsh. <grep pattern="a>b" path=src>ignored</grep> <write path="f">unclosed',
        "<<bash>>x</bash> </read> <info>bash</info><read\npath='multi\nline'\n/>",
    ],
    "custom": [
        "a << b <</bash>>ls<<bash/>> <</read>>@@path=x<<read/>>< <</nope>> <</ba",
        "<<<</bash>>echo <<x>> <<bash/>><<bash/>> end <</jobs>><<jobs/>>",
    ],
}
CUSTOM = {"start_char": "<<", "end_char": ">>"}


def _fmt(key: str):
    return CUSTOM if key == "custom" else key


@pytest.mark.parametrize(
    ("fmt", "text"),
    [(fmt, text) for fmt, texts in CORPUS.items() for text in texts],
)
def test_event_sequence_does_not_depend_on_slicing(fmt, text):
    expected = parse(text, _fmt(fmt))
    assert any(not isinstance(e, TextEvent) for e in expected)
    for seed, sizes in enumerate(chunkings(text)):
        assert parse_chunked(text, sizes, _fmt(fmt)) == expected, (seed, sizes[:20])


def _rebuild(events) -> str:
    """The stream text again: text, plus the raw text of every call (unclosed blocks are text)."""
    out = []
    for index, event in enumerate(events):
        if isinstance(event, TextEvent):
            out.append(event.text)
        elif isinstance(event, MalformedCallEvent) and "never closed" in event.error:
            assert index == len(events) - 1
            assert events[index - 1].text.endswith(event.raw)
        else:
            out.append(event.raw)
    return "".join(out)


@pytest.mark.parametrize(
    ("fmt", "text"),
    [(fmt, text) for fmt, texts in CORPUS.items() for text in texts],
)
def test_text_is_never_lost_or_duplicated(fmt, text):
    assert _rebuild(parse(text, _fmt(fmt))) == text


# --------------------------------------------------------------------------- XML


def test_xml_self_closing_call_with_attributes():
    (event,) = parse('<read path="a.txt" limit="5"/>', "xml")
    assert event == ToolCallEvent(
        "read", {"path": "a.txt", "limit": 5}, raw='<read path="a.txt" limit="5"/>'
    )


def test_xml_block_with_body_and_attributes():
    events = parse('Run <bash timeout="9">\nls -la\n</bash> now', "xml")
    assert events[1] == ToolCallEvent(
        "bash", {"timeout": 9, "command": "ls -la"}, raw='<bash timeout="9">\nls -la\n</bash>'
    )
    assert events[0] == TextEvent("Run ") and events[2] == TextEvent(" now")


def test_xml_html_in_prose_stays_text_and_is_not_held():
    parser = make("xml")
    assert parser.feed("<b>bold</b> <br/> a<b") == [TextEvent("<b>bold</b> <br/> a")]
    assert parser.flush() == [TextEvent("<b")]


def test_xml_letter_inside_block_is_content():
    (event,) = parse("<python>if a<b and c>d: print('<read>')</python>", "xml")
    assert event.args == {"code": "if a<b and c>d: print('<read>')"}


def test_xml_attribute_forms_and_entities():
    (event,) = parse('<read path=\'it&apos;s &amp; "q"\' limit=7 offset = "2"/>', "xml")
    assert event.args == {"path": 'it\'s & "q"', "limit": 7, "offset": 2}


def test_xml_end_delimiter_inside_quoted_attribute():
    (event,) = parse('<write path="a>b.txt">x</write>', "xml")
    assert event.args == {"path": "a>b.txt", "content": "x"}


def test_xml_bare_attribute_word_keeps_prose_as_text():
    text = "I like <bash and zsh, both."
    assert parse(text, "xml") == [TextEvent(text)]


def test_xml_command_subagent_and_output():
    events = parse(
        '<jobs/><explore run_in_background="false">look</explore>'
        "<output_discord>hey</output_discord>",
        "xml",
    )
    assert events == [
        CommandEvent("jobs", "", raw="<jobs/>"),
        SubAgentCallEvent(
            "explore", {"task": "look", "run_in_background": False}, raw=events[1].raw
        ),
        OutputCallEvent("discord", "hey", raw="<output_discord>hey</output_discord>"),
    ]


def test_xml_unknown_tag_name_is_text():
    text = '<unknown a="1">x</unknown>'
    assert parse(text, "xml") == [TextEvent(text)]


def test_xml_unclosed_block_is_text_then_malformed():
    events = parse("<bash>ls", "xml")
    assert events[0] == TextEvent("<bash>ls")
    assert isinstance(events[1], MalformedCallEvent)
    assert "</bash>" in events[1].error


def test_xml_opening_tag_longer_than_the_limit_is_text():
    text = '<write path="' + "x" * (MAX_OPEN_TAG + 10) + '">body</write>'
    events = parse(text, "xml")
    assert events == [TextEvent(text)]
    for sizes in ([1000] * 20, [37] * 500):
        assert parse_chunked(text, sizes, "xml") == events


# --------------------------------------------------------------------------- custom formats


def test_custom_multi_character_delimiters_are_parsed():
    events = parse("a << b <</read>>@@path=x<<read/>> c", CUSTOM)
    assert events == [
        TextEvent("a << b "),
        ToolCallEvent("read", {"path": "x"}, raw="<</read>>@@path=x<<read/>>"),
        TextEvent(" c"),
    ]


def test_custom_delimiter_prefix_at_chunk_end_is_held():
    parser = make(CUSTOM)
    assert parser.feed("text <") == [TextEvent("text ")]
    assert parser.feed("</bash>>ls<<bash/") == []
    assert parser.feed(">>") == [
        ToolCallEvent("bash", {"command": "ls"}, raw="<</bash>>ls<<bash/>>")
    ]


def test_custom_argument_prefix_and_separator():
    fmt = {"arg_prefix": "--", "arg_kv_sep": ":"}
    (event,) = parse("[/read]\n--path: a.txt\n--limit: 4\n[read/]", fmt)
    assert event.args == {"path": "a.txt", "limit": 4}


def test_custom_inline_format_with_braces():
    fmt = {"start_char": "{", "end_char": "}", "slash_means_open": False, "arg_style": "inline"}
    events = parse('x {read path="a"/} {bash}ls{/bash} {b}', fmt)
    assert events == [
        TextEvent("x "),
        ToolCallEvent("read", {"path": "a"}, raw='{read path="a"/}'),
        TextEvent(" "),
        ToolCallEvent("bash", {"command": "ls"}, raw="{bash}ls{/bash}"),
        TextEvent(" {b}"),
    ]


def test_native_format_has_no_text_parser():
    from kohakuterrarium.errors import BadValueError

    with pytest.raises(BadValueError):
        create_parser("native", tools={})


def test_many_calls_in_one_large_slice_match_small_slices():
    text = "".join(f"step {i}: [/read]@@path=f{i}.txt[read/]\n" for i in range(300))
    whole = parse(text)
    assert [e.args["path"] for e in whole if isinstance(e, ToolCallEvent)] == [
        f"f{i}.txt" for i in range(300)
    ]
    assert parse_chunked(text, [13] * (len(text) // 13 + 1)) == whole


def test_coalesce_text_merges_neighbours_and_drops_empty_text():
    call = CommandEvent("jobs")
    assert coalesce_text([TextEvent("a"), TextEvent(""), TextEvent("b"), call, TextEvent("c")]) == [
        TextEvent("ab"),
        call,
        TextEvent("c"),
    ]
