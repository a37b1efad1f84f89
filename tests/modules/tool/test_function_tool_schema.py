"""JSON schemas and docstrings of function tools (``@tool``)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Any, Literal, Optional, TypedDict

import pytest
from pydantic import BaseModel, Field

from kohakuterrarium.modules.tool.base import ToolContext
from kohakuterrarium.modules.tool.function import tool
from kohakuterrarium.modules.tool.function_schema import parse_docstring


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Size(BaseModel):
    width: int
    height: int = 1


class Page(BaseModel):
    title: str
    size: Size


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


class Movie(TypedDict):
    name: str
    year: int


class TreeNode(BaseModel):
    label: str
    children: list[TreeNode] = []


def _props(fn: Any) -> dict[str, Any]:
    return tool(fn).get_parameters_schema()["properties"]


def _walk_keys(node: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            keys.add(k)
            keys |= _walk_keys(v)
    elif isinstance(node, list):
        for v in node:
            keys |= _walk_keys(v)
    return keys


# --------------------------------------------------------------------------- type kinds


def test_primitives_map_to_json_types_and_are_required() -> None:
    def f(s: str, i: int, x: float, b: bool) -> None: ...

    schema = tool(f).get_parameters_schema()
    assert schema == {
        "type": "object",
        "properties": {
            "s": {"type": "string"},
            "i": {"type": "integer"},
            "x": {"type": "number"},
            "b": {"type": "boolean"},
        },
        "required": ["s", "i", "x", "b"],
    }


def test_collections_map_to_arrays_and_objects() -> None:
    def f(
        ints: list[int],
        pair: tuple[int, str],
        many: tuple[str, ...],
        uniq: set[str],
        scores: dict[str, float],
    ) -> None: ...

    p = _props(f)
    assert p["ints"] == {"type": "array", "items": {"type": "integer"}}
    assert p["pair"]["type"] == "array"
    assert p["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert p["many"] == {"type": "array", "items": {"type": "string"}}
    assert p["uniq"] == {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    assert p["scores"] == {"type": "object", "additionalProperties": {"type": "number"}}


def test_optional_with_default_is_nullable_and_not_required() -> None:
    def f(a: Optional[int] = None, b: str | None = "x") -> None: ...  # noqa: UP045 (both spellings)

    def g(c: int | None) -> None: ...

    schema = tool(f).get_parameters_schema()
    assert "required" not in schema
    assert schema["properties"]["a"] == {"type": ["integer", "null"], "default": None}
    assert schema["properties"]["b"] == {"type": ["string", "null"], "default": "x"}
    g_schema = tool(g).get_parameters_schema()
    assert g_schema["required"] == ["c"]  # Optional without a default is still required
    assert g_schema["properties"]["c"]["type"] == ["integer", "null"]


def test_literal_and_enum_become_enums_without_refs() -> None:
    def f(mode: Literal["fast", "deep"], only: Literal["x"], color: Color) -> None: ...

    schema = tool(f).get_parameters_schema()
    p = schema["properties"]
    assert p["mode"] == {"type": "string", "enum": ["fast", "deep"]}
    assert p["only"] == {"type": "string", "enum": ["x"]}
    assert p["color"] == {"type": "string", "enum": ["red", "blue"]}
    assert "$ref" not in _walk_keys(schema) and "$defs" not in schema


def test_pydantic_model_is_inlined_without_titles() -> None:
    def f(page: Page) -> None: ...

    schema = tool(f).get_parameters_schema()
    page = schema["properties"]["page"]
    assert page["type"] == "object"
    assert page["required"] == ["title", "size"]
    assert page["properties"]["title"] == {"type": "string"}  # a field *named* title survives
    assert page["properties"]["size"]["properties"]["height"] == {"type": "integer", "default": 1}
    keys = _walk_keys(schema)
    assert "$ref" not in keys and "$defs" not in keys
    assert all("title" not in node for node in (schema, page, page["properties"]["size"]))


def test_dataclass_and_typeddict_become_objects() -> None:
    def f(point: Point, movie: Movie) -> None: ...

    p = _props(f)
    assert p["point"]["type"] == "object"
    assert p["point"]["properties"] == {
        "x": {"type": "number"},
        "y": {"type": "number", "default": 0.0},
    }
    assert p["point"]["required"] == ["x"]
    assert p["movie"]["properties"] == {"name": {"type": "string"}, "year": {"type": "integer"}}
    assert sorted(p["movie"]["required"]) == ["name", "year"]


def test_any_and_unannotated_have_no_type() -> None:
    def f(a: Any, b, c: int = 3) -> None: ...  # type: ignore[no-untyped-def]

    p = _props(f)
    assert p["a"] == {} and p["b"] == {}
    assert p["c"] == {"type": "integer", "default": 3}


def test_annotated_descriptions_and_constraints() -> None:
    def f(
        path: Annotated[str, "File to read."],
        limit: Annotated[int, Field(description="Max lines.", ge=1)] = 10,
    ) -> None:
        """Read.

        Args:
            path: ignored because Annotated wins.
        """

    p = _props(f)
    assert p["path"] == {"type": "string", "description": "File to read."}
    assert p["limit"] == {
        "type": "integer",
        "description": "Max lines.",
        "minimum": 1,
        "default": 10,
    }


def test_recursive_model_keeps_a_single_ref() -> None:
    def f(tree: TreeNode) -> None: ...

    schema = tool(f).get_parameters_schema()
    assert schema["properties"]["tree"]["properties"]["children"]["items"] == {
        "$ref": "#/$defs/TreeNode"
    }
    assert set(schema["$defs"]) == {"TreeNode"}
    assert "title" not in schema["$defs"]["TreeNode"]


def test_context_self_args_and_kwargs_are_hidden() -> None:
    class Box:
        @tool
        def put(self, item: str, ctx: ToolContext, *rest: int, **extra: Any) -> None: ...

    schema = Box.put.get_parameters_schema()
    assert schema == {
        "type": "object",
        "properties": {"item": {"type": "string"}},
        "required": ["item"],
    }
    assert Box.put.needs_context is True


def test_function_without_arguments_has_empty_object_schema() -> None:
    def ping() -> str:
        return "pong"

    assert tool(ping).get_parameters_schema() == {"type": "object", "properties": {}}


def test_schema_is_a_fresh_copy_each_time() -> None:
    t = tool(lambda_free_func)
    first = t.get_parameters_schema()
    first["properties"]["text"]["type"] = "mutated"
    assert t.get_parameters_schema()["properties"]["text"]["type"] == "string"


def lambda_free_func(text: str) -> str:
    return text


def test_locally_defined_types_resolve_from_the_defining_frame() -> None:
    @dataclasses.dataclass
    class Local:
        n: int

    @tool
    def f(value: Local) -> int:
        return value.n

    assert f.get_parameters_schema()["properties"]["value"]["properties"] == {
        "n": {"type": "integer"}
    }


def test_unresolvable_hint_fails_at_decoration_naming_the_argument() -> None:
    def f(value: NoSuchType) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match=r"tool 'f'.*'NoSuchType'.*argument 'value'"):
        tool(f)


# --------------------------------------------------------------------------- docstrings


def test_google_docstring_gives_summary_and_argument_descriptions() -> None:
    def search(query: str, limit: int = 5) -> list[str]:
        """Search the index
        for documents.

        Ranking is by BM25.

        Args:
            query (str): Words to look
                for, space separated.
            limit: Max hits.

        Returns:
            The matching ids.

        Raises:
            ValueError: never.
        """
        return []

    t = tool(search)
    assert t.description == "Search the index for documents."
    p = t.get_parameters_schema()["properties"]
    assert p["query"]["description"] == "Words to look for, space separated."
    assert p["limit"]["description"] == "Max hits."
    assert "matching ids" not in t.description and "never" not in t.doc.body


def test_numpy_docstring_parameters() -> None:
    info = parse_docstring(
        """Scale values.

        Parameters
        ----------
        values : list of float
            The numbers
            to scale.
        factor, offset : float
            Applied as ``v * factor + offset``.

        Returns
        -------
        list of float
        """
    )
    assert info.summary == "Scale values."
    assert info.params == {
        "values": "The numbers to scale.",
        "factor": "Applied as ``v * factor + offset``.",
        "offset": "Applied as ``v * factor + offset``.",
    }
    assert "list of float" not in info.body


def test_sphinx_docstring_parameters() -> None:
    info = parse_docstring(
        """Send a message.

        :param str channel: Where to send
            it.
        :param text: The body.
        :returns: Nothing.
        :raises KeyError: unknown channel.
        """
    )
    assert info.summary == "Send a message."
    assert info.params == {"channel": "Where to send it.", "text": "The body."}
    assert info.body == "Send a message."


def test_description_option_overrides_docstring_and_missing_doc_is_empty() -> None:
    def f(x: int) -> int:
        """Original."""
        return x

    def g(x: int) -> int:
        return x

    assert tool(description="Custom.")(f).description == "Custom."
    assert tool(g).description == ""


def test_full_documentation_lists_arguments_defaults_and_body() -> None:
    @tool
    def grep(pattern: str, ignore_case: bool = False) -> str:
        """Search files.

        Uses regular expressions.

        Args:
            pattern: What to match.
        """
        return ""

    doc = grep.get_full_documentation()
    assert doc.startswith("# grep\n\nSearch files.\n\nUses regular expressions.")
    assert "- `pattern` (string, required): What to match." in doc
    assert "- `ignore_case` (boolean, default false)" in doc
