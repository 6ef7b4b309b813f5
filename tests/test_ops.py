"""Operation builders compile to exactly the dicts aerospike-py's operate calls take."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import aerospike_py
import pytest
from aerospike_py import map_operations
from pydantic import Field

from aerorepo import Key, Model, Width, ops
from aerorepo.exceptions import (
    InvalidTTLError,
    OperationTypeError,
    ValueConversionError,
)


class Item(Model, namespace="test", set_name="items"):
    item_id: Annotated[int, Key()]
    name: Annotated[str, Width(4)] = ""
    price: float | None = None
    views: int = Field(default=0, alias="v")
    note: str | None = None
    flag: bool = False
    seen: dt.datetime | None = None
    items: dict[str, int] = Field(default_factory=dict)
    prices: dict[str, float] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    anything: Any = None


It: Any = Item  # class attributes as the metaclass serves them at run time


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        pytest.param(It.views.incr(1), {"op": 5, "bin": "v", "val": 1}, id="incr-int"),
        pytest.param(
            It.views.incr(), {"op": 5, "bin": "v", "val": 1}, id="incr-default"
        ),
        pytest.param(
            It.price.incr(1.5), {"op": 5, "bin": "price", "val": 1.5}, id="incr-float"
        ),
        pytest.param(
            It.price.incr(2),
            {"op": 5, "bin": "price", "val": 2.0},
            id="incr-float-by-2",
        ),
        pytest.param(
            It.note.append("x"), {"op": 9, "bin": "note", "val": "x"}, id="append"
        ),
        pytest.param(
            It.note.prepend("y"), {"op": 10, "bin": "note", "val": "y"}, id="prepend"
        ),
        pytest.param(
            It.name.write("ab"), {"op": 2, "bin": "name", "val": "ab"}, id="write-str"
        ),
        pytest.param(
            It.price.write(2), {"op": 2, "bin": "price", "val": 2.0}, id="write-float-2"
        ),
        pytest.param(
            It.note.write(None), {"op": 2, "bin": "note", "val": None}, id="write-none"
        ),
        pytest.param(
            It.flag.write(True), {"op": 2, "bin": "flag", "val": True}, id="write-bool"
        ),
        pytest.param(
            It.seen.write(dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)),
            {"op": 2, "bin": "seen", "val": 1_000_000},
            id="write-datetime-micros",
        ),
        pytest.param(
            It.prices.write({"a": 1, "b": 2.0}),
            {"op": 2, "bin": "prices", "val": {"a": 1.0, "b": 2.0}},
            id="write-dict-of-float",
        ),
        pytest.param(It.views.read(), {"op": 1, "bin": "v"}, id="read"),
        pytest.param(
            It.note.delete(), {"op": 2, "bin": "note", "val": None}, id="delete-bin"
        ),
        pytest.param(ops.touch(60), {"op": 11}, id="touch"),
        pytest.param(ops.delete_record(), {"op": 12}, id="delete-record"),
    ],
)
def test_op_compiles_to_the_exact_operator_dict(
    op: Any, expected: dict[str, Any]
) -> None:
    compiled = op.to_dict()
    assert compiled == expected
    assert [type(v) for v in compiled.values()] == [type(v) for v in expected.values()]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        pytest.param(It.items.size(), map_operations.map_size("items"), id="map-size"),
        pytest.param(
            It.items.get_by_key("apple"),
            map_operations.map_get_by_key(
                "items", "apple", aerospike_py.MAP_RETURN_VALUE
            ),
            id="map-get-by-key",
        ),
        pytest.param(
            It.prices.keys_by_value_range(2, 2.9),
            map_operations.map_get_by_value_range(
                "prices", 2.0, 2.9, aerospike_py.MAP_RETURN_KEY
            ),
            id="map-keys-by-value-range",
        ),
    ],
)
def test_map_op_equals_aerospike_py_helper_output(
    op: Any, expected: dict[str, Any]
) -> None:
    assert op.to_dict() == expected
    assert [type(v) for v in op.to_dict().values()] == [
        type(v) for v in expected.values()
    ]


def test_touch_carries_its_ttl_and_refuses_negative_five() -> None:
    assert ops.touch(-1).ttl == -1
    with pytest.raises(
        InvalidTTLError, match=r"TTL -5 is not allowed.*TTL_NEVER_EXPIRE \(-1\)"
    ):
        ops.touch(-5)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: It.name.incr(1),
            r"Item\.name\.incr\(\) needs a numeric",
            id="incr-str",
        ),
        pytest.param(
            lambda: It.flag.incr(1),
            r"Item\.flag\.incr\(\) needs a numeric",
            id="incr-bool",
        ),
        pytest.param(
            lambda: It.views.append("x"),
            r"Item\.views\.append\(\) needs a str",
            id="append-int",
        ),
        pytest.param(
            lambda: It.price.prepend("x"),
            r"Item\.price\.prepend\(\) needs a str",
            id="prepend-float",
        ),
        pytest.param(
            lambda: It.views.size(),
            r"Item\.views\.size\(\) needs a dict",
            id="size-int",
        ),
    ],
)
def test_builder_on_the_wrong_kind_of_bin_is_refused(build: Any, message: str) -> None:
    with pytest.raises(OperationTypeError, match=message):
        build()


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        pytest.param("views", "int", id="int-with-default"),
        pytest.param("name", "str", id="width-str"),
        pytest.param("flag", "bool", id="bool"),
        pytest.param("items", "dict[str, int]", id="dict"),
        pytest.param("tags", "list[str]", id="list"),
    ],
)
@pytest.mark.parametrize(
    ("builder", "build"),
    [
        pytest.param("write(None)", lambda ref: ref.write(None), id="write-none"),
        pytest.param("delete()", lambda ref: ref.delete(), id="delete"),
    ],
)
def test_removing_the_bin_of_a_required_field_is_refused(
    field: str, kind: str, builder: str, build: Any
) -> None:
    with pytest.raises(
        OperationTypeError,
        match=rf"^Item\.{field}\.{re.escape(builder)} would remove the bin, but the "
        rf"field is required \({re.escape(kind)}\), so the record could not be read "
        rf"back; declare it Optional \({field}: {re.escape(kind)} \| None = None\)",
    ):
        build(Item.bin(field))


@pytest.mark.parametrize(
    "field",
    [
        pytest.param("price", id="optional-float"),
        pytest.param("note", id="optional-str"),
        pytest.param("anything", id="any"),
    ],
)
def test_removing_the_bin_of_a_field_that_admits_none_is_allowed(field: str) -> None:
    bin_name = Item.bin(field).bin_name
    expected = {"op": 2, "bin": bin_name, "val": None}
    assert Item.bin(field).write(None).to_dict() == expected
    assert Item.bin(field).delete().to_dict() == expected


def test_operation_type_error_is_a_type_error() -> None:
    assert issubclass(OperationTypeError, TypeError)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: It.views.write("3"),
            r"Item\.views: str '3' refused",
            id="str-to-int",
        ),
        pytest.param(
            lambda: It.views.write(2**63),
            r"int 9223372036854775808 is outside",
            id="int-2-63",
        ),
        pytest.param(
            lambda: It.views.incr(1.5), r"amount must be an int", id="float-incr-int"
        ),
        pytest.param(
            lambda: It.name.write("abcde"), r"at most 4 characters", id="too-wide"
        ),
        pytest.param(
            lambda: It.seen.write(dt.datetime(2020, 1, 1)),
            r"naive datetime",
            id="naive-datetime",
        ),
        pytest.param(
            lambda: It.note.append(3), r"expected str, got int 3", id="append-int-value"
        ),
    ],
)
def test_written_values_of_the_wrong_type_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValueConversionError, match=message):
        build()


def test_read_result_converts_to_the_field_type() -> None:
    assert It.seen.read().convert_result(1_000_000) == dt.datetime(
        1970, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc
    )
    assert It.views.read().convert_result(None) is None


def test_get_by_key_answers_as_a_one_key_list_lookup_when_asked() -> None:
    lookup = It.items.get_by_key("apple")
    answering = lookup.answering_form()

    assert answering.to_dict() == map_operations.map_get_by_key_list(
        "items", ["apple"], aerospike_py.MAP_RETURN_VALUE
    )
    assert (answering.convert_result([]), answering.convert_result([3])) == (None, 3)
    assert answering.bin_name == "items"


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: It.items.size(), id="size"),
        pytest.param(lambda: It.items.keys_by_value_range(1, 2), id="value-range"),
        pytest.param(lambda: It.note.read(), id="read"),
    ],
)
def test_reads_that_always_answer_are_their_own_answering_form(build: Any) -> None:
    op = build()
    assert op.answering_form() is op


@pytest.mark.parametrize(
    ("build", "is_write", "changes_note"),
    [
        pytest.param(lambda: It.note.read(), False, False, id="read"),
        pytest.param(lambda: It.note.write("x"), True, True, id="write"),
        pytest.param(lambda: It.note.delete(), True, True, id="delete-bin"),
        pytest.param(lambda: It.note.append("x"), True, True, id="append"),
        pytest.param(lambda: It.views.incr(1), True, False, id="other-bin"),
        pytest.param(lambda: ops.delete_record(), True, True, id="delete-record"),
        pytest.param(lambda: ops.touch(10), True, False, id="touch"),
    ],
)
def test_an_operation_tells_whether_it_writes_and_can_change_a_bin(
    build: Any, is_write: bool, changes_note: bool
) -> None:
    op = build()
    assert (op.is_write, op.may_change_bin("note")) == (is_write, changes_note)
