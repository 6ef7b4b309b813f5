"""Filter expressions (field 43) on single-record calls, batches and scans."""

from __future__ import annotations

import aerospike_py
import pytest
from aerospike_py import exp
from support import result_code


def only(expr):
    return {"filter_expression": expr}


@pytest.fixture
def stored(client, key):
    """One record with a bin of every scalar type, a list and a map."""
    k = key("expr")
    bins = {
        "i": 10,
        "f": 1.5,
        "s": "abc",
        "b": True,
        "y": b"\x01\x02",
        "l": [1, "x"],
        "m": {"k": 1},
    }
    client.put(k, bins, policy={"key": aerospike_py.POLICY_KEY_SEND})
    return k


MATCHING = [
    exp.eq(exp.int_bin("i"), exp.int_val(10)),
    exp.ne(exp.int_bin("i"), exp.int_val(11)),
    exp.gt(exp.int_bin("i"), exp.int_val(9)),
    exp.ge(exp.int_bin("i"), exp.int_val(10)),
    exp.lt(exp.int_bin("i"), exp.int_val(11)),
    exp.le(exp.int_bin("i"), exp.int_val(10)),
    exp.eq(exp.float_bin("f"), exp.float_val(1.5)),
    exp.eq(exp.string_bin("s"), exp.string_val("abc")),
    exp.lt(exp.string_bin("s"), exp.string_val("abd")),
    exp.eq(exp.bool_bin("b"), exp.bool_val(True)),
    exp.eq(exp.blob_bin("y"), exp.blob_val(b"\x01\x02")),
    exp.eq(exp.list_bin("l"), exp.list_val([1, "x"])),
    exp.bin_exists("s"),
    exp.not_(exp.bin_exists("nope")),
    exp.eq(exp.bin_type("s"), exp.int_val(3)),
    exp.and_(exp.bin_exists("i"), exp.or_(exp.bool_val(False), exp.bool_val(True))),
    exp.xor_(exp.bool_val(True), exp.bool_val(False)),
    exp.key_exists(),
    exp.eq(exp.key(exp.EXP_TYPE_STRING), exp.string_val("expr")),
    exp.eq(exp.ttl(), exp.int_val(-1)),
    exp.gt(exp.last_update(), exp.int_val(0)),
    exp.ge(exp.since_update(), exp.int_val(0)),
    exp.gt(exp.record_size(), exp.int_val(0)),
    exp.lt(exp.digest_modulo(3), exp.int_val(3)),
    exp.eq(exp.num_add(exp.int_bin("i"), exp.int_val(5)), exp.int_val(15)),
]

NOT_MATCHING = [
    exp.eq(exp.int_bin("i"), exp.int_val(11)),
    exp.gt(exp.string_bin("s"), exp.string_val("b")),
    exp.bin_exists("nope"),
    exp.eq(exp.int_bin("nope"), exp.int_val(1)),
    exp.ne(exp.int_bin("nope"), exp.int_val(1)),
    exp.not_(exp.eq(exp.int_bin("nope"), exp.int_val(1))),
    exp.eq(exp.int_bin("s"), exp.int_val(1)),
    exp.xor_(exp.bool_val(True), exp.bool_val(True)),
    # A real server compares no maps: equal or not, every comparison is unknown.
    exp.eq(exp.map_bin("m"), exp.map_val({"k": 1})),
    exp.ne(exp.map_bin("m"), exp.map_val({"k": 2})),
]


@pytest.mark.parametrize("expr", MATCHING, ids=range(len(MATCHING)))
def test_matching_filter_lets_the_read_through(client, stored, expr):
    assert client.get(stored, policy=only(expr)).bins["i"] == 10


@pytest.mark.parametrize("expr", NOT_MATCHING, ids=range(len(NOT_MATCHING)))
def test_false_or_unknown_filter_gives_filtered_out(client, stored, expr):
    with pytest.raises(aerospike_py.FilteredOut) as excinfo:
        client.get(stored, policy=only(expr))
    assert result_code(excinfo) == 27


def test_set_name_is_visible_to_filters(client, stored, aerospike_set):
    expr = exp.eq(exp.set_name(), exp.string_val(aerospike_set))
    assert client.get(stored, policy=only(expr)).bins["s"] == "abc"


def test_filtered_write_delete_and_operate_leave_the_record(client, stored):
    no = only(exp.eq(exp.int_bin("i"), exp.int_val(0)))
    for call in (
        lambda: client.put(stored, {"i": 1}, policy=no),
        lambda: client.remove(stored, policy=no),
        lambda: client.operate(
            stored, [{"op": aerospike_py.OPERATOR_READ, "bin": "i"}], policy=no
        ),
        lambda: client.increment(stored, "i", 1, policy=no),
    ):
        with pytest.raises(aerospike_py.FilteredOut) as excinfo:
            call()
        assert result_code(excinfo) == 27
    record = client.get(stored)
    assert (record.bins["i"], record.meta.gen) == (10, 1)


def test_matching_filter_lets_the_write_through(client, stored):
    yes = only(exp.eq(exp.int_bin("i"), exp.int_val(10)))
    client.put(stored, {"i": 11}, policy=yes)
    assert client.get(stored).bins["i"] == 11


def test_filter_is_ignored_when_the_record_is_missing(client, key):
    expr = only(exp.eq(exp.int_bin("i"), exp.int_val(0)))
    with pytest.raises(aerospike_py.RecordNotFound):
        client.get(key("missing"), policy=expr)
    client.put(key("created"), {"i": 1}, policy=expr)
    assert client.get(key("created")).bins == {"i": 1}


def test_mismatched_types_are_a_parameter_error(client, stored):
    expr = exp.eq(exp.int_bin("i"), exp.string_val("10"))
    with pytest.raises(aerospike_py.ServerError) as excinfo:
        client.get(stored, policy=only(expr))
    assert result_code(excinfo) == 4


def test_batch_rows_answer_27_when_filtered(client, key):
    client.batch_write([(key(i), {"n": i}) for i in range(4)])
    expr = only(exp.ge(exp.int_bin("n"), exp.int_val(2)))
    batch = client.batch_read([key(i) for i in range(5)], policy=expr)
    results = [r.result for r in batch.batch_records]
    assert results == [27, 27, 0, 0, 2]
    assert batch.to_list() == [None, None, {"n": 2}, {"n": 3}, None]


def test_batch_operate_and_remove_honour_the_filter(client, key):
    client.batch_write([(key(i), {"n": i}) for i in range(3)])
    expr = only(exp.eq(exp.int_bin("n"), exp.int_val(1)))
    removed = client.batch_remove([key(i) for i in range(3)], policy=expr)
    assert [r.result for r in removed.batch_records] == [27, 0, 27]
    assert client.exists(key(1)).meta is None
    assert client.exists(key(0)).meta is not None


def test_scan_skips_filtered_records(client, key, aerospike_namespace, aerospike_set):
    client.batch_write([(key(i), {"n": i}) for i in range(10)])
    expr = exp.lt(exp.int_bin("n"), exp.int_val(4))
    records = client.query(aerospike_namespace, aerospike_set).results(only(expr))
    assert sorted(r.bins["n"] for r in records) == [0, 1, 2, 3]
