"""Raw server and client behaviour behind the ten cases of issue 3 (aerospike-py only)."""

from __future__ import annotations

import aerospike_py
import pytest
from aerospike_py import OPERATOR_WRITE
from aerospike_py import map_operations as mo
from support import NEVER

KEY = aerospike_py.MAP_RETURN_KEY
VALUE = aerospike_py.MAP_RETURN_VALUE


def size_and_apple(bin_name):
    return [mo.map_size(bin_name), mo.map_get_by_key(bin_name, "apple", VALUE)]


# Case 1: several operations on one bin.


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param({}, [0, []], id="empty"),
        pytest.param({"apple": 3, "pear": 1}, [2, [3]], id="two"),
    ],
)
def test_a_one_key_list_lookup_answers_even_when_the_key_is_missing(
    client, key, items, expected
):
    client.put(key(1), {"m": items})
    ops = [mo.map_size("m"), mo.map_get_by_key_list("m", ["apple"], VALUE)]
    assert client.operate(key(1), ops).bins == {"m": expected}


def test_reads_of_an_absent_bin_give_no_entry_at_all(client, key):
    client.put(key(1), {"other": 1})
    ops = [mo.map_size("m"), mo.map_get_by_key_list("m", ["apple"], VALUE)]
    assert client.operate(key(1), ops).bins == {}


def test_a_read_only_batch_operate_drops_the_empty_entry_too(client, key):
    client.put(key(1), {"m": {}})
    batch = client.batch_operate([key(1)], size_and_apple("m"))
    assert batch.batch_records[0].record.bins == {"m": 0}


def test_a_batch_operate_with_a_write_answers_every_operation(client, key):
    client.put(key(1), {"m": {}})
    ops = [*size_and_apple("m"), {"op": OPERATOR_WRITE, "bin": "o", "val": 1}]
    batch = client.batch_operate([key(1)], ops)
    assert batch.batch_records[0].result == 0
    assert batch.batch_records[0].record.bins == {"m": [0, None], "o": None}


def test_a_batch_operate_write_applies_the_namespace_default_ttl(client, key):
    # The policy's ttl is not sent: the record gets the namespace default, like key 2.
    client.put(key(1), {"a": 1}, meta={"ttl": 500})
    client.put(key(2), {"a": 1}, meta={"ttl": aerospike_py.TTL_NAMESPACE_DEFAULT})
    write = {"op": OPERATOR_WRITE, "bin": "a", "val": 2}
    client.batch_operate([key(1)], [write], {"ttl": 100})
    default = client.exists(key(2)).meta.ttl
    assert default - 2 <= client.exists(key(1)).meta.ttl <= default


# Case 2: an integral float stays a float.


def test_a_float_particle_reads_back_as_a_float(client, key):
    client.put(key(1), {"last": 2.0, "m": {"b": 2.0}})
    bins = client.get(key(1)).bins
    assert (bins["last"], type(bins["last"])) == (2.0, float)
    assert type(bins["m"]["b"]) is float


def test_an_int_value_lies_outside_a_float_value_range(client, key):
    # Ints sort before every float, so an int 2 is not between 2.0 and 2.9.
    client.put(key(1), {"f": {"a": 1.0, "b": 2.0, "c": 3.0}, "i": {"b": 2}})
    ops = [mo.map_get_by_value_range("f", 2.0, 2.9, KEY)]
    assert client.operate(key(1), ops).bins == {"f": ["b"]}
    ops = [mo.map_get_by_value_range("i", 2.0, 2.9, KEY)]
    assert client.operate(key(1), ops).bins == {"i": []}


# Case 4: TTL constants.


def test_batch_write_never_expire_reads_back_as_the_all_ones_ttl(client, key):
    policy = {"ttl": aerospike_py.TTL_NEVER_EXPIRE}
    client.batch_write([(key(1), {"a": 1})], policy)
    assert client.exists(key(1)).meta.ttl == NEVER


# Case 5: integer map keys stay integers.


def test_int_map_keys_read_back_as_ints_and_differ_from_str_keys(client, key):
    client.put(key(1), {"m": {1: 10, 2: 20}})
    stored = client.get(key(1)).bins["m"]
    assert stored == {1: 10, 2: 20}
    assert [type(k) for k in stored] == [int, int]
    assert client.operate(key(1), [mo.map_get_by_key("m", 1, VALUE)]).bins == {"m": 10}
    ops = [mo.map_get_by_key_list("m", ["1"], VALUE)]
    assert client.operate(key(1), ops).bins == {"m": []}


# Case 10: signed 64-bit integers.


@pytest.mark.parametrize(
    "value", [pytest.param(-(2**63), id="min"), pytest.param(2**63 - 1, id="max")]
)
def test_int64_bounds_round_trip(client, key, value):
    client.put(key(1), {"n": value})
    assert client.get(key(1)).bins == {"n": value}


@pytest.mark.parametrize(
    "value",
    [pytest.param(2**63, id="2**63"), pytest.param(11806979466381907949, id="u64")],
)
def test_unsigned_64_bit_ints_wrap_to_negative_on_the_way_in(client, key, value):
    # aerospike-py sends the low 64 bits, so the server stores value - 2**64.
    client.put(key(1), {"n": value})
    assert client.get(key(1)).bins == {"n": value - 2**64}


def test_an_int_of_2_to_the_64_is_refused_by_the_client(client, key):
    with pytest.raises(OverflowError):
        client.put(key(1), {"n": 2**64})
