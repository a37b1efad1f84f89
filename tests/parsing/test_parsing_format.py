"""Format resolution, rendering calls as text, and the prompt syntax hint."""

from __future__ import annotations

import pytest

from kohakuterrarium.errors import BadValueError
from kohakuterrarium.parsing import (
    BRACKET_FORMAT,
    XML_FORMAT,
    TextEvent,
    ToolCallEvent,
    ToolCallFormat,
    coalesce_text,
    create_parser,
    format_tool_call,
    resolve_format,
    syntax_hint,
)

READ = {
    "type": "object",
    "properties": {
        "path": {"type": "string"},
        "limit": {"type": "integer"},
        "raw": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["path"],
}
GREP = {
    "type": "object",
    "properties": {"pattern": {"type": "string"}, "max": {"type": "integer"}},
    "required": ["pattern", "max"],
}
CUSTOM = {"start_char": "<<", "end_char": ">>"}


def test_resolve_named_formats():
    assert resolve_format("bracket") is BRACKET_FORMAT
    assert resolve_format("xml") is XML_FORMAT
    assert resolve_format(" XML ") is XML_FORMAT
    assert resolve_format("native") == "native"
    assert resolve_format(XML_FORMAT) is XML_FORMAT
    assert ToolCallFormat("[", "]", True, "line", "@@", "=") == BRACKET_FORMAT


def test_resolve_unknown_name_has_a_hint():
    with pytest.raises(BadValueError) as info:
        resolve_format("braket")
    assert info.value.key == "tool_format"
    assert "did you mean 'bracket'" in str(info.value)


def test_resolve_dict_of_fields():
    fmt = resolve_format(CUSTOM)
    assert isinstance(fmt, ToolCallFormat)
    assert fmt.open_tag("read") == "<</read>>"
    assert fmt.close_tag("read") == "<<read/>>"
    xml_like = resolve_format(
        {"start_char": "<", "end_char": ">", "slash_means_open": False, "arg_style": "inline"}
    )
    assert xml_like == XML_FORMAT


def test_resolve_dict_with_unknown_key_has_a_hint():
    with pytest.raises(BadValueError) as info:
        resolve_format({"start_chr": "<<"})
    assert info.value.key == "tool_format.start_chr"
    assert "did you mean 'start_char'" in str(info.value)


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"start_char": ""}, "tool_format.start_char"),
        ({"end_char": "a]"}, "tool_format.end_char"),
        ({"start_char": "/"}, "tool_format.start_char"),
        ({"arg_prefix": "@ @"}, "tool_format.arg_prefix"),
        ({"slash_means_open": "yes"}, "tool_format.slash_means_open"),
        ({"arg_style": "inlin"}, "tool_format.arg_style"),
    ],
)
def test_bad_field_values_are_rejected(spec, key):
    with pytest.raises(BadValueError) as info:
        resolve_format(spec)
    assert info.value.key == key


def test_arg_style_typo_has_a_hint():
    with pytest.raises(BadValueError, match="did you mean 'inline'"):
        ToolCallFormat(arg_style="inlin")  # type: ignore[arg-type]


def test_resolve_rejects_other_types():
    with pytest.raises(BadValueError):
        resolve_format(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- rendering


def test_format_bracket_call():
    text = format_tool_call("bracket", "read", {"path": "a.txt", "limit": 5})
    assert text == "[/read]\n@@path=a.txt\n@@limit=5\n[read/]"
    assert format_tool_call("bracket", "jobs", {}) == "[/jobs][jobs/]"
    assert (
        format_tool_call("bracket", "bash", {"command": "ls\npwd"}, body_arg="command")
        == "[/bash]\nls\npwd\n[bash/]"
    )


def test_format_xml_call():
    assert format_tool_call("xml", "read", {"path": 'a"b&c'}) == '<read path="a&quot;b&amp;c"/>'
    assert (
        format_tool_call("xml", "bash", {"command": "ls", "timeout": 3}, body_arg="command")
        == '<bash timeout="3">\nls\n</bash>'
    )


@pytest.mark.parametrize("fmt", ["bracket", "xml", CUSTOM])
def test_formatted_calls_parse_back_with_types(fmt):
    args = {"path": "dir/a b.txt", "limit": 7, "raw": False, "tags": ["x", "y"]}
    text = format_tool_call(fmt, "read", args)
    parser = create_parser(fmt, tools={"read": READ})
    events = coalesce_text([*parser.feed(f"before {text} after"), *parser.flush()])
    assert events == [
        TextEvent("before "),
        ToolCallEvent("read", args, raw=text),
        TextEvent(" after"),
    ]


@pytest.mark.parametrize("fmt", ["bracket", "xml", CUSTOM])
def test_formatted_body_parses_back(fmt):
    code = 'for i in range(3):\n    print("<%d>" % i)'
    text = format_tool_call(fmt, "python", {"code": code}, body_arg="code")
    parser = create_parser(fmt, tools={"python": None})
    (event,) = parser.feed(text)
    assert event.args == {"code": code}


def test_unrepresentable_calls_are_refused():
    with pytest.raises(BadValueError, match="spans lines"):
        format_tool_call("bracket", "read", {"path": "a\nb"})
    with pytest.raises(BadValueError, match="closing tag"):
        format_tool_call("bracket", "bash", {"command": "echo [bash/]"}, body_arg="command")
    with pytest.raises(BadValueError, match="argument line"):
        format_tool_call("bracket", "write", {"content": "@@x=1\nrest"}, body_arg="content")
    with pytest.raises(BadValueError, match="not an identifier"):
        format_tool_call("bracket", "read", {"bad key": "v"})
    with pytest.raises(BadValueError, match="native"):
        format_tool_call("native", "read", {"path": "a"})


# --------------------------------------------------------------------------- syntax hint


@pytest.mark.parametrize("fmt", ["bracket", "xml", CUSTOM])
def test_syntax_hint_examples_use_real_tools_and_parse(fmt):
    hint = syntax_hint(fmt, [("read", READ), ("grep", GREP)])
    assert hint.startswith("## Calling tools")
    assert "run_in_background" in hint
    examples = hint.split("Examples:", 1)[1]
    parser = create_parser(fmt, tools={"read": READ, "grep": GREP})
    calls = [e for e in [*parser.feed(examples), *parser.flush()] if not isinstance(e, TextEvent)]
    assert [(c.name, sorted(c.args)) for c in calls] == [
        ("read", ["path"]),
        ("grep", ["max", "pattern"]),
    ]
    assert calls[1].args["max"] == 10


def test_syntax_hint_describes_the_format():
    assert "@@key=value" in syntax_hint("bracket", [])
    assert "@@run_in_background=true" in syntax_hint("bracket", [])
    xml = syntax_hint("xml", [])
    assert 'key="value"' in xml and "/>" in xml
    assert "Examples" not in xml


def test_syntax_hint_is_empty_for_native():
    assert syntax_hint("native", [("read", READ)]) == ""
