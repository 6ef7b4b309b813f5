from __future__ import annotations

import aerospike_py
import pytest
from aerospike_py import (
    OPERATOR_APPEND,
    OPERATOR_DELETE,
    OPERATOR_INCR,
    OPERATOR_PREPEND,
    OPERATOR_READ,
    OPERATOR_TOUCH,
    OPERATOR_WRITE,
    RecordNotFound,
    ServerError,
)
from support import result_code


def read(bin_name=None):
    return (
        {"op": OPERATOR_READ}
        if bin_name is None
        else {"op": OPERATOR_READ, "bin": bin_name}
    )


def write(bin_name, value):
    return {"op": OPERATOR_WRITE, "bin": bin_name, "val": value}


def test_write_then_read_returns_the_new_value(client, key):
    client.put(key(1), {"a": 1})
    record = client.operate(key(1), [write("a", 5), read("a")])
    assert record.bins == {"a": 5}
    assert record.meta.gen == 2


def test_incr_then_read_and_append_prepend(client, key):
    client.put(key(1), {"n": 1, "s": "b"})
    ops = [
        {"op": OPERATOR_INCR, "bin": "n", "val": 2},
        {"op": OPERATOR_APPEND, "bin": "s", "val": "c"},
        {"op": OPERATOR_PREPEND, "bin": "s", "val": "a"},
        read("n"),
        read("s"),
    ]
    assert client.operate(key(1), ops).bins == {"n": 3, "s": "abc"}


def test_incr_on_missing_record_creates_it(client, key):
    record = client.operate(
        key(1), [{"op": OPERATOR_INCR, "bin": "cnt", "val": 1}, read("cnt")]
    )
    assert record.bins == {"cnt": 1}
    assert record.meta.gen == 1


def test_repeated_reads_of_one_bin_come_back_as_a_list(client, key):
    client.put(key(1), {"a": 1})
    ops = [read("a"), {"op": OPERATOR_INCR, "bin": "a", "val": 1}, read("a")]
    assert client.operate(key(1), ops).bins == {"a": [1, 2]}


def test_read_of_missing_bin_gives_no_entry(client, key):
    client.put(key(1), {"a": 1})
    assert client.operate(key(1), [read("zz"), read("a")]).bins == {"a": 1}


def test_read_only_operate_on_missing_record_is_not_found(client, key):
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.operate(key(1), [read("a")])


def test_read_all_ignores_other_reads_when_read_only(client, key):
    client.put(key(1), {"a": 1, "b": 2})
    assert client.operate(key(1), [read(), read("a")]).bins == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    "ops",
    [[write("a", 9), read()], [{"op": OPERATOR_INCR, "bin": "a", "val": 1}, read()]],
    ids=["write", "incr"],
)
def test_read_all_after_a_write_returns_every_bin(client, key, ops):
    client.put(key(1), {"a": 1, "b": 2})
    bins = client.operate(key(1), ops).bins
    assert bins["b"] == 2
    assert bins["a"] in (9, 2)


def test_read_all_with_write_and_named_read_is_parameter_error(client, key):
    client.put(key(1), {"a": 1})
    with pytest.raises(ServerError, match=r"\(4\)") as excinfo:
        client.operate(key(1), [write("z", 1), read(), read("a")])
    assert result_code(excinfo) == 4
    assert client.get(key(1)).bins == {"a": 1}


def test_delete_then_write_keeps_only_the_new_bin(client, key):
    client.put(key(1), {"a": 1, "b": 2})
    record = client.operate(key(1), [{"op": OPERATOR_DELETE}, write("c", 3)])
    assert record.meta.gen == 2
    assert client.get(key(1)).bins == {"c": 3}


def test_delete_then_write_on_missing_record_creates_it(client, key):
    client.operate(key(1), [{"op": OPERATOR_DELETE}, write("c", 3)])
    record = client.get(key(1))
    assert (record.bins, record.meta.gen) == ({"c": 3}, 1)


def test_delete_op_removes_the_record(client, key):
    client.put(key(1), {"a": 1})
    client.operate(key(1), [{"op": OPERATOR_DELETE}])
    assert client.exists(key(1)).meta is None
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.operate(key(1), [{"op": OPERATOR_DELETE}])


def test_two_writes_to_one_bin_last_wins(client, key):
    client.operate(key(1), [write("a", 1), write("a", 2)])
    assert client.get(key(1)).bins == {"a": 2}


def test_write_of_none_deletes_the_bin(client, key):
    client.put(key(1), {"a": 1, "b": 2})
    client.operate(key(1), [write("a", None)])
    assert client.get(key(1)).bins == {"b": 2}


def test_touch_op_needs_the_record_and_bumps_generation(client, key):
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.operate(key(1), [{"op": OPERATOR_TOUCH}])
    client.put(key(1), {"a": 1})
    record = client.operate(
        key(1), [{"op": OPERATOR_TOUCH}, read("a")], meta={"ttl": 300}
    )
    assert record.bins == {"a": 1}
    assert record.meta.gen == 2
    assert 290 <= record.meta.ttl <= 300


def test_failed_op_leaves_the_record_unchanged(client, key):
    client.put(key(1), {"a": 1, "s": "x"})
    with pytest.raises(aerospike_py.BinTypeError, match=r"\(12\)"):
        client.operate(
            key(1), [write("a", 2), {"op": OPERATOR_INCR, "bin": "s", "val": 1}]
        )
    record = client.get(key(1))
    assert (record.bins, record.meta.gen) == ({"a": 1, "s": "x"}, 1)


def test_empty_operate_is_parameter_error(client, key):
    client.put(key(1), {"a": 1})
    with pytest.raises(ServerError, match=r"\(4\)") as excinfo:
        client.operate(key(1), [])
    assert result_code(excinfo) == 4


def test_operate_ordered_returns_bin_tuples(client, key):
    client.put(key(1), {"a": 1})
    result = client.operate_ordered(key(1), [write("b", 2), read("a"), read("b")])
    assert sorted(result.ordered_bins) == [("a", 1), ("b", 2)]


def test_an_empty_bin_name_is_the_bin_named_empty_not_every_bin(client, key):
    # Only a read op without a bin name (sent with the get-all bit) reads every bin.
    client.put(key(1), {"a": 1, "b": 2})

    assert client.select(key(1), [""]).bins == {}
    assert (
        client.operate(key(1), [{"op": aerospike_py.OPERATOR_READ, "bin": ""}]).bins
        == {}
    )
    write_then_read = [
        {"op": aerospike_py.OPERATOR_WRITE, "bin": "c", "val": 3},
        {"op": aerospike_py.OPERATOR_READ, "bin": ""},
    ]
    assert client.operate(key(1), write_then_read).bins == {}
    assert client.batch_read([key(1)], bins=[""]).batch_records[0].record[2] == {}
    every_bin = client.operate(key(1), [{"op": aerospike_py.OPERATOR_READ}]).bins
    assert every_bin == {"a": 1, "b": 2, "c": 3}
