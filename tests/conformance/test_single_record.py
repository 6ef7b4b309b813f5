from __future__ import annotations

import aerospike_py
import pytest
from aerospike_py import (
    BinNameError,
    BinTypeError,
    RecordNotFound,
    RecordTooBig,
    ServerError,
)
from support import NEVER, result_code

ALL_TYPES = {
    "i": -42,
    "big": 2**63 - 1,
    "f": 1.25,
    "s": "héllo",
    "empty": "",
    "b": b"\x00\x01raw",
    "t": True,
    "l": [1, "two", 3.0, [4], {"k": b"v"}],
    "m": {"a": 1, "b": [1, 2], "c": {"d": None}},
}


def test_put_then_get_round_trips_every_value_type(client, key):
    client.put(key(1), ALL_TYPES, meta={"ttl": -1})
    record = client.get(key(1))
    assert record.bins == ALL_TYPES
    assert record.meta.gen == 1
    assert record.meta.ttl == NEVER


def test_get_of_missing_record_raises_not_found(client, key):
    with pytest.raises(RecordNotFound, match=r"\(2\)") as excinfo:
        client.get(key("missing"))
    assert result_code(excinfo) == 2


def test_select_returns_only_existing_named_bins(client, key):
    client.put(key(1), {"a": 1, "b": 2})
    assert client.select(key(1), ["a", "nope"]).bins == {"a": 1}
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.select(key(2), ["a"])


def test_exists_reports_metadata_or_none(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": -1})
    assert client.exists(key(1)).meta == (1, NEVER)
    assert client.exists(key(2)).meta is None


def test_remove_deletes_and_missing_remove_raises(client, key):
    client.put(key(1), {"a": 1})
    client.remove(key(1))
    assert client.exists(key(1)).meta is None
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.remove(key(1))


def test_put_of_none_deletes_that_bin(client, key):
    client.put(key(1), {"a": 1, "b": 2})
    client.put(key(1), {"b": None})
    record = client.get(key(1))
    assert record.bins == {"a": 1}
    assert record.meta.gen == 2


def test_put_of_only_none_on_missing_record_is_not_found(client, key):
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.put(key(1), {"a": None})


def test_removing_last_bin_deletes_the_record(client, key):
    client.put(key(1), {"a": 1})
    client.remove_bin(key(1), ["a"])
    assert client.exists(key(1)).meta is None


def test_touch_bumps_generation_and_sets_ttl(client, key):
    client.put(key(1), {"a": 1})
    client.touch(key(1), 1000)
    meta = client.exists(key(1)).meta
    assert meta.gen == 2
    assert 990 <= meta.ttl <= 1000
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.touch(key(2), 10)


def test_increment_adds_and_creates_missing_bins(client, key):
    client.increment(key(1), "n", 5)
    client.increment(key(1), "n", -7)
    client.increment(key(1), "f", 0.5)
    client.increment(key(1), "f", 1.0)
    record = client.get(key(1))
    assert record.bins == {"n": -2, "f": 1.5}
    assert record.meta.gen == 4


def test_integer_increment_wraps_around(client, key):
    client.put(key(1), {"n": 2**63 - 1})
    client.increment(key(1), "n", 1)
    assert client.get(key(1)).bins["n"] == -(2**63)


@pytest.mark.parametrize(
    ("initial", "offset"),
    [(1, 0.5), (1.5, 1), ("text", 1), (b"raw", 1), ([1], 1)],
    ids=["int+float", "float+int", "str", "bytes", "list"],
)
def test_increment_type_mismatch_is_bin_type_error(client, key, initial, offset):
    client.put(key(1), {"n": initial})
    with pytest.raises(BinTypeError, match=r"\(12\)") as excinfo:
        client.increment(key(1), "n", offset)
    assert result_code(excinfo) == 12
    assert client.get(key(1)).meta.gen == 1


def test_append_and_prepend_strings_and_bytes(client, key):
    client.put(key(1), {"s": "mid", "b": b"M"})
    client.append(key(1), "s", ">")
    client.prepend(key(1), "s", "<")
    client.append(key(1), "b", b"z")
    client.prepend(key(1), "b", b"a")
    client.append(key(1), "new", "x")
    assert client.get(key(1)).bins == {"s": "<mid>", "b": b"aMz", "new": "x"}


@pytest.mark.parametrize(
    ("initial", "operand"),
    [("s", b"b"), (b"b", "s"), (1, "s")],
    ids=["str+bytes", "bytes+str", "int"],
)
def test_append_type_mismatch_is_bin_type_error(client, key, initial, operand):
    client.put(key(1), {"v": initial})
    with pytest.raises(BinTypeError, match=r"\(12\)"):
        client.append(key(1), "v", operand)
    with pytest.raises(BinTypeError, match=r"\(12\)"):
        client.prepend(key(1), "v", operand)


def test_bin_name_over_15_bytes_is_refused_by_server(client, key):
    with pytest.raises(BinNameError, match=r"\(21\)") as excinfo:
        client.operate(
            key(1), [{"op": aerospike_py.OPERATOR_WRITE, "bin": "b" * 16, "val": 1}]
        )
    assert result_code(excinfo) == 21
    client.operate(
        key(1), [{"op": aerospike_py.OPERATOR_WRITE, "bin": "b" * 15, "val": 1}]
    )


def test_record_size_limit(client, key):
    client.put(key(1), {"b": b"x" * 1_000_000})
    with pytest.raises(RecordTooBig, match=r"\(13\)") as excinfo:
        client.put(key(2), {"b": b"x" * (1024 * 1024)})
    assert result_code(excinfo) == 13
    assert client.exists(key(2)).meta is None


def test_set_name_mismatch_is_parameter_error(client, key, aerospike_namespace):
    client.put(key(1), {"a": 1})
    digest = client.get(key(1)).key.digest
    other = (aerospike_namespace, "other_set_name", None, digest)
    with pytest.raises(ServerError, match=r"\(4\)") as excinfo:
        client.get(other)
    assert result_code(excinfo) == 4
    with pytest.raises(ServerError, match=r"\(4\)") as excinfo:
        client.put(other, {"a": 2})
    assert result_code(excinfo) == 4


def test_key_mismatch_with_stored_key(client, key):
    send = {"key": aerospike_py.POLICY_KEY_SEND}
    client.put(key("k1"), {"a": 1}, policy=send)
    digest = client.get(key("k1")).key.digest
    ns, set_name, _ = key("k1")
    with pytest.raises(ServerError, match=r"\(19\)") as excinfo:
        client.put((ns, set_name, "k2", digest), {"a": 2}, policy=send)
    assert result_code(excinfo) == 19


def test_durable_delete_is_enterprise_only(client, key):
    client.put(key(1), {"a": 1})
    with pytest.raises(ServerError, match=r"\(25\)") as excinfo:
        client.remove(key(1), policy={"durable_delete": True})
    assert result_code(excinfo) == 25
    assert client.exists(key(1)).meta is not None
    with pytest.raises(ServerError, match=r"\(25\)") as excinfo:
        client.remove_bin(key(1), ["a"], policy={"durable_delete": True})
    assert result_code(excinfo) == 25
    client.put(key(1), {"b": 1}, policy={"durable_delete": True})
    assert client.get(key(1)).bins == {"a": 1, "b": 1}
