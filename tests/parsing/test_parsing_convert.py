"""Typed argument conversion for text-mode and native tool calls."""

from __future__ import annotations

import pytest

from kohakuterrarium.errors import KTError, ToolError
from kohakuterrarium.parsing import ToolArgumentError, convert_args, convert_json_args


def schema(**props) -> dict:
    return {"type": "object", "properties": props}


INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
STR = {"type": "string"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5), (" -3 ", -3), ("+7", 7), ("3.0", 3), ("1_000", 1000)],
)
def test_integer_conversion(text, value):
    out = convert_args({"n": text}, schema(n=INT))
    assert out == {"n": value}
    assert type(out["n"]) is int


@pytest.mark.parametrize("text", ["3.5", "abc", "", "1e400", "nan", "true"])
def test_integer_conversion_errors(text):
    with pytest.raises(ToolArgumentError):
        convert_args({"n": text}, schema(n=INT))


@pytest.mark.parametrize(("text", "value"), [("5", 5), ("2.5", 2.5), ("-1e3", -1000.0)])
def test_number_conversion(text, value):
    assert convert_args({"x": text}, schema(x=NUM)) == {"x": value}


@pytest.mark.parametrize("text", ["inf", "nan", "five", ""])
def test_number_rejects_non_finite_and_words(text):
    with pytest.raises(ToolArgumentError):
        convert_args({"x": text}, schema(x=NUM))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("False", False),
        ("no", False),
        ("0", False),
        (" OFF ", False),
    ],
)
def test_boolean_conversion(text, value):
    assert convert_args({"b": text}, schema(b=BOOL)) == {"b": value}


@pytest.mark.parametrize("text", ["", "maybe", "2", "tru"])
def test_boolean_rejects_anything_else(text):
    with pytest.raises(ToolArgumentError):
        convert_args({"b": text}, schema(b=BOOL))


def test_run_in_background_is_always_a_boolean():
    assert convert_args({"run_in_background": "false"}, None) == {"run_in_background": False}
    assert convert_args({"run_in_background": "true"}, schema(x=STR)) == {"run_in_background": True}
    with pytest.raises(ToolArgumentError):
        convert_args({"run_in_background": "later"}, None)


def test_strings_and_unknown_arguments_pass_through():
    out = convert_args({"s": " 5 ", "other": "7"}, schema(s=STR))
    assert out == {"s": " 5 ", "other": "7"}


def test_no_schema_leaves_strings():
    assert convert_args({"a": "1"}, None) == {"a": "1"}


def test_array_from_json_and_from_comma_list():
    arr = {"type": "array", "items": STR}
    assert convert_args({"a": '["x", "y,z"]'}, schema(a=arr)) == {"a": ["x", "y,z"]}
    assert convert_args({"a": "x, y ,z"}, schema(a=arr)) == {"a": ["x", "y", "z"]}
    assert convert_args({"a": ""}, schema(a=arr)) == {"a": []}
    assert convert_args({"a": "solo"}, schema(a={"type": "array"})) == {"a": ["solo"]}


def test_comma_list_items_are_converted_by_item_type():
    arr = {"type": "array", "items": INT}
    assert convert_args({"a": "1, 2,3"}, schema(a=arr)) == {"a": [1, 2, 3]}
    with pytest.raises(ToolArgumentError):
        convert_args({"a": "1, two"}, schema(a=arr))


def test_array_of_objects_needs_json():
    arr = {"type": "array", "items": {"type": "object"}}
    assert convert_args({"a": '[{"k": 1}]'}, schema(a=arr)) == {"a": [{"k": 1}]}
    with pytest.raises(ToolArgumentError):
        convert_args({"a": "k=1"}, schema(a=arr))
    with pytest.raises(ToolArgumentError, match="invalid JSON"):
        convert_args({"a": "[1,"}, schema(a=arr))


def test_object_from_json():
    obj = {"type": "object"}
    assert convert_args({"o": '{"a": [1, 2]}'}, schema(o=obj)) == {"o": {"a": [1, 2]}}
    with pytest.raises(ToolArgumentError):
        convert_args({"o": "[1]"}, schema(o=obj))
    with pytest.raises(ToolArgumentError, match="invalid JSON"):
        convert_args({"o": "{a: 1}"}, schema(o=obj))


def test_untyped_property_with_properties_is_an_object():
    assert convert_args({"o": '{"a": 1}'}, schema(o={"properties": {}})) == {"o": {"a": 1}}


def test_null_type():
    assert convert_args({"z": "null"}, schema(z={"type": "null"})) == {"z": None}


def test_type_list_with_null():
    prop = {"type": ["integer", "null"]}
    assert convert_args({"n": "4"}, schema(n=prop)) == {"n": 4}
    assert convert_args({"n": "null"}, schema(n=prop)) == {"n": None}
    assert convert_args({"n": ""}, schema(n=prop)) == {"n": None}
    with pytest.raises(ToolArgumentError, match="integer or null"):
        convert_args({"n": "x"}, schema(n=prop))


def test_any_of_and_one_of():
    any_of = {"anyOf": [BOOL, INT]}
    assert convert_args({"v": "1"}, schema(v=any_of)) == {"v": 1}
    assert convert_args({"v": "yes"}, schema(v=any_of)) == {"v": True}
    one_of = {"oneOf": [{"type": "array", "items": STR}, NUM]}
    assert convert_args({"v": "2.5"}, schema(v=one_of)) == {"v": 2.5}
    assert convert_args({"v": "a,b"}, schema(v=one_of)) == {"v": ["a", "b"]}


def test_union_allowing_string_keeps_the_text():
    prop = {"anyOf": [INT, STR]}
    assert convert_args({"v": "5"}, schema(v=prop)) == {"v": "5"}


def test_enum_is_left_to_the_tool():
    prop = {"type": "string", "enum": ["a", "b"]}
    assert convert_args({"v": "c"}, schema(v=prop)) == {"v": "c"}


def test_error_names_tool_argument_expected_type_and_value():
    with pytest.raises(ToolArgumentError) as info:
        convert_args({"limit": "lots"}, schema(limit=INT), tool="read")
    err = info.value
    assert isinstance(err, ToolError) and isinstance(err, KTError)
    assert (err.tool, err.arg, err.expected, err.got) == ("read", "limit", "integer", "lots")
    text = str(err)
    assert "read" in text and "limit" in text and "integer" in text and "'lots'" in text
    assert "whole number" in text  # says what to do


def test_error_truncates_huge_values():
    with pytest.raises(ToolArgumentError) as info:
        convert_args({"n": "x" * 10_000}, schema(n=INT))
    assert len(str(info.value)) < 400


# --------------------------------------------------------------------------- native JSON


def test_json_args_are_parsed_and_mistyped_scalars_coerced():
    sch = schema(limit=INT, path=STR, ratio=NUM, label=STR)
    out = convert_json_args(
        '{"limit": "5", "path": "a", "ratio": "0.5", "label": 3, "run_in_background": "false"}',
        sch,
    )
    assert out == {"limit": 5, "path": "a", "ratio": 0.5, "label": "3", "run_in_background": False}


def test_json_whole_float_for_integer_becomes_int():
    out = convert_json_args('{"limit": 5.0, "x": 1.5}', schema(limit=INT, x=INT))
    assert out == {"limit": 5, "x": 1.5}
    assert type(out["limit"]) is int


def test_json_correct_values_are_untouched():
    payload = '{"items": ["a"], "flag": true, "n": 2, "extra": {"k": null}}'
    sch = schema(items={"type": "array", "items": STR}, flag=BOOL, n=INT)
    assert convert_json_args(payload, sch) == {
        "items": ["a"],
        "flag": True,
        "n": 2,
        "extra": {"k": None},
    }


def test_json_empty_means_no_arguments():
    assert convert_json_args("", None) == {}
    assert convert_json_args("  ", schema(a=STR)) == {}


def test_json_errors():
    with pytest.raises(ToolArgumentError, match="invalid JSON") as info:
        convert_json_args('{"a": ', None, tool="read")
    assert info.value.tool == "read" and info.value.arg is None
    with pytest.raises(ToolArgumentError, match="object"):
        convert_json_args("[1, 2]", None)
    with pytest.raises(ToolArgumentError, match="limit"):
        convert_json_args('{"limit": "many"}', schema(limit=INT))
