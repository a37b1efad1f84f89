"""parse_frontmatter: YAML between two ``---`` lines at the top of a skill or prompt file."""

from __future__ import annotations

import pytest

from kohakuterrarium.prompt.skill_loader import parse_frontmatter


def test_front_matter_and_body():
    text = (
        "---\nname: git-commit-flow\ndescription: Commit in small steps\n---\n# Steps\n1. stage\n"
    )
    meta, body = parse_frontmatter(text)
    assert meta == {"name": "git-commit-flow", "description": "Commit in small steps"}
    assert body == "# Steps\n1. stage\n"


def test_nested_yaml_values():
    meta, body = parse_frontmatter("---\ntags: [a, b]\nlimits:\n  max: 3\n---\nbody")
    assert meta == {"tags": ["a", "b"], "limits": {"max": 3}}
    assert body == "body"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just a body",
        "# Title\n---\nname: x\n---\n",  # front matter must open on the first line
        "---\nname: x\nno closing line\n",
        "---\n: : not yaml [\n---\nbody",
        "---\n- a list\n- not a mapping\n---\nbody",
        "----\nname: x\n----\nbody",
    ],
)
def test_text_without_valid_front_matter_is_returned_unchanged(text):
    assert parse_frontmatter(text) == ({}, text)


def test_empty_front_matter_gives_empty_dict_and_body():
    assert parse_frontmatter("---\n---\nbody\n") == ({}, "body\n")


def test_crlf_line_endings_and_blank_line_after_block():
    meta, body = parse_frontmatter("---\r\nname: x\r\n---\r\n\r\nbody\r\n")
    assert meta == {"name": "x"}
    assert body == "body\r\n"


def test_dots_close_the_block_and_bom_is_tolerated():
    assert parse_frontmatter("\ufeff---\nname: x\n...\nbody") == ({"name": "x"}, "body")


def test_body_keeps_later_horizontal_rules():
    meta, body = parse_frontmatter("---\na: 1\n---\nintro\n---\nmore")
    assert meta == {"a": 1}
    assert body == "intro\n---\nmore"
