"""Map operations (CDT ops) as a real Aerospike server answers them."""

from __future__ import annotations

import aerospike_py
import pytest
from aerospike_py import map_operations as mo
from support import result_code

KEY = aerospike_py.MAP_RETURN_KEY
VALUE = aerospike_py.MAP_RETURN_VALUE
KEY_VALUE = aerospike_py.MAP_RETURN_KEY_VALUE
INDEX = aerospike_py.MAP_RETURN_INDEX
RANK = aerospike_py.MAP_RETURN_RANK
COUNT = aerospike_py.MAP_RETURN_COUNT
EXISTS = aerospike_py.MAP_RETURN_EXISTS
NONE = aerospike_py.MAP_RETURN_NONE

FRUIT = {"pear": 1, "apple": 3, "fig": 2}


def code_of(client, record_key, ops):
    """Run an operate that must fail; return the server's result code."""
    with pytest.raises(aerospike_py.AerospikeError) as excinfo:
        client.operate(record_key, ops)
    return result_code(excinfo)


def test_integer_keys_are_found(client, key):
    client.put(key(1), {"m": {1: 10, 2: 20}})
    assert client.operate(key(1), [mo.map_get_by_key("m", 1, VALUE)]).bins == {"m": 10}


def test_float_value_ranges_select_floats(client, key):
    client.put(key(1), {"m": {"a": 1.0, "b": 2.0, "c": 3.0}})
    ops = [mo.map_get_by_value_range("m", 2.0, 2.9, KEY)]
    assert client.operate(key(1), ops).bins == {"m": ["b"]}


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param({}, 0, id="empty"),
        pytest.param({"apple": 3, "pear": 1}, [2, 3], id="two"),
    ],
)
def test_size_and_get_by_key_on_one_bin(client, key, items, expected):
    # A missing key gives a NULL entry, which the client drops from the bin's results.
    client.put(key(1), {"m": items})
    ops = [mo.map_size("m"), mo.map_get_by_key("m", "apple", VALUE)]
    assert client.operate(key(1), ops).bins == {"m": expected}


def test_put_and_put_items_report_the_new_size(client, key):
    assert client.operate(key(1), [mo.map_put("m", "a", 1)]).bins == {"m": 1}
    ops = [mo.map_put_items("m", {"b": 2, "a": 5})]
    assert client.operate(key(1), ops).bins == {"m": 2}
    assert client.get(key(1)).bins == {"m": {"a": 5, "b": 2}}


def test_put_of_none_stores_zero(client, key):
    client.operate(key(1), [mo.map_put("m", "z", None)])
    assert client.get(key(1)).bins == {"m": {"z": 0}}


def test_create_only_gives_24_and_update_only_23(client, key):
    client.put(key(1), {"m": {"a": 1}})
    create = {"write_mode": aerospike_py.MAP_CREATE_ONLY}
    update = {"write_mode": aerospike_py.MAP_UPDATE_ONLY}
    put = mo.map_put
    assert code_of(client, key(1), [put("m", "a", 2, create)]) == 24
    assert code_of(client, key(1), [put("m", "b", 2, update)]) == 23
    items = {"a": 7, "c": 3}
    assert code_of(client, key(1), [mo.map_put_items("m", items, create)]) == 24
    assert code_of(client, key(1), [mo.map_put_items("m", items, update)]) == 23
    client.operate(key(1), [mo.map_put("m", "a", 9, update)])
    assert client.get(key(1)).bins == {"m": {"a": 9}}


def test_increment_and_decrement_return_the_new_value(client, key):
    client.put(key(1), {"m": {"n": 10, "f": 1.5}})
    ops = [mo.map_increment("m", "n", 5), mo.map_decrement("m", "f", 1.0)]
    assert client.operate(key(1), ops).bins == {"m": [15, 0.5]}
    assert client.operate(key(1), [mo.map_increment("m", "new", 2)]).bins == {"m": 2}


def test_increment_of_an_int_by_a_half_stays_an_int(client, key):
    client.put(key(1), {"m": {"n": 1}})
    client.operate(key(1), [mo.map_increment("m", "n", 0.5)])
    stored = client.get(key(1)).bins["m"]["n"]
    assert (stored, type(stored)) == (1, int)


def test_increment_of_a_string_value_is_4(client, key):
    client.put(key(1), {"m": {"s": "x"}})
    assert code_of(client, key(1), [mo.map_increment("m", "s", 1)]) == 4


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        pytest.param(mo.map_get_by_key("m", "fig", KEY_VALUE), [("fig", 2)], id="kv"),
        pytest.param(mo.map_get_by_key("m", "kiwi", INDEX), -1, id="missing-index"),
        pytest.param(
            mo.map_get_by_key_list("m", ["fig", "kiwi"], VALUE), [2], id="keys"
        ),
        pytest.param(mo.map_get_by_key_range("m", "b", None, COUNT), 2, id="key-range"),
        pytest.param(
            mo.map_get_by_key_range("m", "a", "b", KEY), ["apple"], id="key-end"
        ),
        pytest.param(mo.map_get_by_value("m", 3, KEY), ["apple"], id="value"),
        pytest.param(mo.map_get_by_value_list("m", [1, 2], COUNT), 2, id="values"),
        pytest.param(mo.map_get_by_index("m", 0, KEY), "apple", id="index-key-order"),
        pytest.param(mo.map_get_by_index("m", -1, VALUE), 1, id="negative-index"),
        pytest.param(
            mo.map_get_by_index_range("m", 1, KEY), ["fig", "pear"], id="index-range"
        ),
        pytest.param(mo.map_get_by_rank("m", 0, KEY), "pear", id="rank"),
        pytest.param(
            mo.map_get_by_rank_range("m", 0, KEY, 2), ["pear", "fig"], id="rank-range"
        ),
        pytest.param(mo.map_get_by_key("m", "pear", RANK), 0, id="key-rank"),
        pytest.param(mo.map_get_by_key("m", "kiwi", EXISTS), False, id="exists"),
    ],
)
def test_get_by_selections_and_return_types(client, key, op, expected):
    client.put(key(1), {"m": FRUIT})
    assert client.operate(key(1), [op]).bins == {"m": expected}


def test_rank_ranges_come_back_ascending_by_rank(client, key):
    client.put(key(1), {"m": {"a": 50, "b": 10, "c": 40, "d": 20, "e": 30}})
    ops = [mo.map_get_by_rank_range("m", 0, VALUE)]
    assert client.operate(key(1), ops).bins == {"m": [10, 20, 30, 40, 50]}


def test_index_out_of_range_is_26(client, key):
    client.put(key(1), {"m": FRUIT})
    assert code_of(client, key(1), [mo.map_get_by_index("m", 3, KEY)]) == 26


def test_removes_report_what_they_removed(client, key):
    client.put(key(1), {"m": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}})
    ops = [mo.map_remove_by_key("m", "a", VALUE)]
    assert client.operate(key(1), ops).bins == {"m": 1}
    ops = [mo.map_remove_by_key_list("m", ["b", "x"], COUNT)]
    assert client.operate(key(1), ops).bins == {"m": 1}
    # Unordered maps list value-range results in stored order, which depends on the
    # order the client happened to send the keys in.
    ops = [mo.map_remove_by_value_range("m", 4, None, KEY)]
    assert sorted(client.operate(key(1), ops).bins["m"]) == ["d", "e"]
    ops = [mo.map_remove_by_rank("m", 0, KEY)]
    assert client.operate(key(1), ops).bins == {"m": "c"}
    assert client.get(key(1)).bins == {"m": {}}


def test_remove_by_index_range_and_rank_range(client, key):
    client.put(key(1), {"m": {"a": 3, "b": 2, "c": 1, "d": 0}})
    ops = [mo.map_remove_by_index_range("m", 2, KEY)]
    assert client.operate(key(1), ops).bins == {"m": ["c", "d"]}
    ops = [mo.map_remove_by_rank_range("m", 0, KEY, 1)]
    assert client.operate(key(1), ops).bins == {"m": ["b"]}
    ops = [mo.map_remove_by_value("m", 3, NONE), mo.map_size("m")]
    assert client.operate(key(1), ops).bins == {"m": 0}


def test_key_ordered_maps_are_sorted_by_key(client, key):
    ordered = {"order": aerospike_py.MAP_KEY_ORDERED}
    client.operate(key(1), [mo.map_put_items("m", {"c": 3, "a": 1, "b": 2}, ordered)])
    client.operate(key(1), [mo.map_put("m", "B", 0)])
    assert list(client.get(key(1)).bins["m"]) == ["B", "a", "b", "c"]


def test_set_order_sorts_an_existing_map(client, key):
    client.put(key(1), {"m": {"b": 2, "a": 1}})
    client.operate(key(1), [mo.map_set_order("m", aerospike_py.MAP_KEY_ORDERED)])
    assert list(client.get(key(1)).bins["m"]) == ["a", "b"]


def test_clear_keeps_an_empty_map(client, key):
    client.put(key(1), {"m": FRUIT})
    assert client.operate(key(1), [mo.map_clear("m")]).bins == {}
    assert client.get(key(1)).bins == {"m": {}}


def test_remove_of_a_missing_key_still_counts_as_a_write(client, key):
    client.put(key(1), {"m": {"a": 1}})
    record = client.operate(key(1), [mo.map_remove_by_key("m", "x", VALUE)])
    assert (record.bins, record.meta.gen) == ({}, 2)


def test_map_op_on_a_bin_of_another_type_is_12(client, key):
    client.put(key(1), {"l": [1]})
    assert code_of(client, key(1), [mo.map_size("l")]) == 12


def test_nested_values_are_stored_and_read_back(client, key):
    value = {"list": [1, [2, {"x": b"\x00"}]], "map": {"k": None}, "f": 1.5}
    client.operate(key(1), [mo.map_put("m", "deep", value)])
    ops = [mo.map_get_by_key("m", "deep", VALUE)]
    assert client.operate(key(1), ops).bins == {"m": value}


def test_batch_operate_runs_map_ops_per_key(client, key):
    client.put(key(1), {"m": FRUIT})
    batch = client.batch_operate(
        [key(1), key(2)], [mo.map_get_by_key("m", "fig", VALUE)]
    )
    results = [
        (r.result, r.record.bins if r.record else None) for r in batch.batch_records
    ]
    assert results == [(0, {"m": 2}), (2, None)]
