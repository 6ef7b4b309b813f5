"""List operations (CDT ops) as a real Aerospike server answers them, and the CDT rules
shared with maps."""

from __future__ import annotations

import aerospike_py
import pytest
from aerospike_py import list_operations as lo
from aerospike_py import map_operations as mo
from support import result_code

VALUE = aerospike_py.LIST_RETURN_VALUE
INDEX = aerospike_py.LIST_RETURN_INDEX
RANK = aerospike_py.LIST_RETURN_RANK
COUNT = aerospike_py.LIST_RETURN_COUNT
EXISTS = aerospike_py.LIST_RETURN_EXISTS
REVERSE_INDEX = aerospike_py.LIST_RETURN_REVERSE_INDEX
NONE = aerospike_py.LIST_RETURN_NONE

HEAP = [50, 10, 40, 20, 30]


def code_of(client, record_key, ops):
    """Run an operate that must fail; return the server's result code."""
    with pytest.raises(aerospike_py.AerospikeError) as excinfo:
        client.operate(record_key, ops)
    return result_code(excinfo)


@pytest.mark.parametrize(
    ("rank", "count", "expected"),
    [
        pytest.param(1, 2, [30, 20], id="rank-1-count-2"),
        pytest.param(2, None, [30, 40, 50], id="rank-2-to-end"),
        pytest.param(0, None, [50, 40, 30, 20, 10], id="rank-0-to-end"),
    ],
)
def test_rank_ranges_on_unordered_lists_come_back_in_heap_order(
    client, key, rank, count, expected
):
    client.put(key(1), {"l": HEAP})
    op = lo.list_get_by_rank_range("l", rank, VALUE, count)
    assert client.operate(key(1), [op]).bins == {"l": expected}


def test_append_insert_and_size_report_the_new_count(client, key):
    ops = [lo.list_append("l", 1), lo.list_append_items("l", [2, 3])]
    assert client.operate(key(1), ops).bins == {"l": [1, 3]}
    assert client.operate(key(1), [lo.list_insert("l", 0, 0)]).bins == {"l": 4}
    assert client.operate(key(1), [lo.list_size("l")]).bins == {"l": 4}
    assert client.get(key(1)).bins == {"l": [0, 1, 2, 3]}


def test_set_and_insert_past_the_end_pad_with_nils(client, key):
    client.put(key(1), {"l": [1]})
    client.operate(key(1), [lo.list_set("l", 3, 9)])
    client.operate(key(1), [lo.list_insert("l", 6, 7)])
    assert client.get(key(1)).bins == {"l": [1, None, None, 9, None, None, 7]}


def test_insert_bounded_past_the_end_is_26(client, key):
    client.put(key(1), {"l": [1]})
    bounded = {"flags": aerospike_py.LIST_WRITE_INSERT_BOUNDED}
    assert code_of(client, key(1), [lo.list_insert("l", 3, 9, bounded)]) == 26


@pytest.mark.parametrize(
    "op",
    [
        pytest.param(lo.list_get("l", 5), id="get"),
        pytest.param(lo.list_pop("l", -4), id="pop"),
        pytest.param(lo.list_remove("l", 3), id="remove"),
        pytest.param(lo.list_get_by_index("l", 3, VALUE), id="get-by-index"),
        pytest.param(lo.list_get_by_rank("l", 3, VALUE), id="get-by-rank"),
    ],
)
def test_single_index_out_of_range_is_26(client, key, op):
    client.put(key(1), {"l": [1, 2, 3]})
    assert code_of(client, key(1), [op]) == 26


def test_negative_indexes_count_from_the_end(client, key):
    client.put(key(1), {"l": [1, 2, 3, 4]})
    assert client.operate(key(1), [lo.list_get("l", -1)]).bins == {"l": 4}
    assert client.operate(key(1), [lo.list_get_range("l", -2, 5)]).bins == {"l": [3, 4]}
    assert client.operate(key(1), [lo.list_pop("l", -2)]).bins == {"l": 3}
    assert client.get(key(1)).bins == {"l": [1, 2, 4]}


def test_ranges_clamp_instead_of_failing(client, key):
    client.put(key(1), {"l": [1, 2, 3]})
    ops = [lo.list_get_range("l", 5, 2)]
    assert client.operate(key(1), ops).bins == {"l": []}
    ops = [lo.list_pop_range("l", -5, 3)]
    assert client.operate(key(1), ops).bins == {"l": [1]}
    assert client.operate(key(1), [lo.list_trim("l", 1, 5)]).bins == {"l": 1}
    assert client.get(key(1)).bins == {"l": [3]}


def test_remove_ops_report_counts_and_pop_values(client, key):
    client.put(key(1), {"l": [5, 6, 7, 8, 9]})
    assert client.operate(key(1), [lo.list_remove("l", 0)]).bins == {"l": 1}
    assert client.operate(key(1), [lo.list_remove_range("l", 0, 2)]).bins == {"l": 2}
    assert client.operate(key(1), [lo.list_pop_range("l", 0, 1)]).bins == {"l": [8]}
    client.operate(key(1), [lo.list_clear("l")])
    assert client.get(key(1)).bins == {"l": []}


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        pytest.param(lo.list_get_by_value("l", 3, INDEX), [0, 2], id="value-index"),
        pytest.param(lo.list_get_by_value("l", 3, COUNT), 2, id="value-count"),
        pytest.param(lo.list_get_by_value("l", 9, EXISTS), False, id="value-exists"),
        pytest.param(lo.list_get_by_value_list("l", [2, 1], VALUE), [1, 2], id="list"),
        pytest.param(
            lo.list_get_by_value_range("l", 2, 3, VALUE), [2], id="value-range"
        ),
        pytest.param(
            lo.list_get_by_value_range("l", 2, None, VALUE), [3, 3, 2], id="open-end"
        ),
        pytest.param(lo.list_get_by_index("l", 1, VALUE), 1, id="index"),
        pytest.param(lo.list_get_by_index("l", -1, REVERSE_INDEX), 0, id="rev-index"),
        pytest.param(
            lo.list_get_by_index_range("l", 1, VALUE, 2), [1, 3], id="index-range"
        ),
        pytest.param(lo.list_get_by_rank("l", 0, VALUE), 1, id="rank"),
        pytest.param(lo.list_get_by_rank("l", 1, INDEX), 3, id="rank-index"),
        pytest.param(
            lo.list_get_by_rank_range("l", 0, RANK, 2), [0, 1], id="rank-range-ranks"
        ),
    ],
)
def test_get_by_selections_and_return_types(client, key, op, expected):
    client.put(key(1), {"l": [3, 1, 3, 2]})
    assert client.operate(key(1), [op]).bins == {"l": expected}


def test_remove_by_value_removes_every_match(client, key):
    client.put(key(1), {"l": [3, 1, 3, 2]})
    ops = [lo.list_remove_by_value("l", 3, COUNT)]
    assert client.operate(key(1), ops).bins == {"l": 2}
    ops = [lo.list_remove_by_value_range("l", 2, None, NONE)]
    assert client.operate(key(1), ops).bins == {}
    assert client.get(key(1)).bins == {"l": [1]}


def test_remove_by_index_and_rank(client, key):
    client.put(key(1), {"l": [3, 1, 4, 2]})
    ops = [
        lo.list_remove_by_rank("l", 0, VALUE),
        lo.list_remove_by_index("l", 0, VALUE),
    ]
    assert client.operate(key(1), ops).bins == {"l": [1, 3]}
    ops = [lo.list_remove_by_index_range("l", 1, VALUE)]
    assert client.operate(key(1), ops).bins == {"l": [2]}
    assert client.get(key(1)).bins == {"l": [4]}


def test_cross_type_order_when_sorting(client, key):
    values = [1.5, b"b", {"a": 1}, [1], "s", 7, True, False, None]
    client.put(key(1), {"l": values})
    client.operate(key(1), [lo.list_sort("l")])
    assert client.get(key(1)).bins == {"l": values[::-1]}


def test_sort_can_drop_duplicates(client, key):
    client.put(key(1), {"l": [3, 1, 3, 2, 1]})
    client.operate(key(1), [lo.list_sort("l", aerospike_py.LIST_SORT_DROP_DUPLICATES)])
    assert client.get(key(1)).bins == {"l": [1, 2, 3]}


def test_ordered_lists_keep_value_order(client, key):
    ordered = {"order": aerospike_py.LIST_ORDERED}
    client.operate(key(1), [lo.list_append_items("l", [5, 1, 3], ordered)])
    client.operate(key(1), [lo.list_append("l", 2)])
    assert client.get(key(1)).bins == {"l": [1, 2, 3, 5]}
    assert code_of(client, key(1), [lo.list_insert("l", 0, 9)]) == 26


def test_set_order_sorts_an_existing_list(client, key):
    client.put(key(1), {"l": [3, 1, 2]})
    client.operate(key(1), [lo.list_set_order("l", aerospike_py.LIST_ORDERED)])
    client.operate(key(1), [lo.list_append("l", 0)])
    assert client.get(key(1)).bins == {"l": [0, 1, 2, 3]}


def test_add_unique_gives_24_and_no_fail_skips(client, key):
    client.put(key(1), {"l": [1, 2]})
    unique = {"flags": aerospike_py.LIST_WRITE_ADD_UNIQUE}
    assert code_of(client, key(1), [lo.list_append("l", 2, unique)]) == 24
    flags = aerospike_py.LIST_WRITE_ADD_UNIQUE | aerospike_py.LIST_WRITE_NO_FAIL
    ops = [lo.list_append_items("l", [3, 2], {"flags": flags})]
    assert client.operate(key(1), ops).bins == {"l": 2}
    partial = {"flags": flags | aerospike_py.LIST_WRITE_PARTIAL}
    ops = [lo.list_append_items("l", [3, 2], partial)]
    assert client.operate(key(1), ops).bins == {"l": 3}
    assert client.get(key(1)).bins == {"l": [1, 2, 3]}


def test_increment_returns_the_new_value(client, key):
    client.put(key(1), {"l": [1, 2.5]})
    ops = [lo.list_increment("l", 0, 5), lo.list_increment("l", 1, 1)]
    assert client.operate(key(1), ops).bins == {"l": [6, 3.5]}


def test_increment_of_a_string_element_is_4(client, key):
    client.put(key(1), {"l": ["a"]})
    assert code_of(client, key(1), [lo.list_increment("l", 0, 1)]) == 4


def test_list_op_on_a_bin_of_another_type_is_12(client, key):
    client.put(key(1), {"n": 1})
    assert code_of(client, key(1), [lo.list_append("n", 1)]) == 12


@pytest.mark.parametrize(
    "op",
    [
        pytest.param(lo.list_pop("l", 0), id="pop"),
        pytest.param(lo.list_remove_by_value("l", 1, NONE), id="remove-by-value"),
        pytest.param(lo.list_clear("l"), id="clear"),
        pytest.param(
            mo.map_remove_by_key("m", "x", aerospike_py.MAP_RETURN_VALUE),
            id="map-remove-by-key",
        ),
        pytest.param(mo.map_clear("m"), id="map-clear"),
    ],
)
def test_modify_ops_on_a_missing_bin_still_count_as_writes(client, key, op):
    client.put(key(1), {"a": 1})
    record = client.operate(key(1), [op])
    assert record.bins == {}
    assert record.meta.gen == 2
    assert client.get(key(1)).bins == {"a": 1}


def test_nested_values_round_trip(client, key):
    nested = [{"a": [1, {"b": b"x"}]}, [[], {}], "", 2.0]
    client.operate(key(1), [lo.list_append_items("l", nested)])
    assert client.get(key(1)).bins == {"l": nested}
    ops = [lo.list_get("l", 0)]
    assert client.operate(key(1), ops).bins == {"l": nested[0]}


def test_several_ops_on_one_bin_in_one_operate(client, key):
    ops = [lo.list_append("l", 5), lo.list_size("l"), lo.list_get("l", 0)]
    assert client.operate(key(1), ops).bins == {"l": [1, 1, 5]}


def test_batch_operate_runs_list_ops_per_key(client, key):
    client.put(key(1), {"l": [1, 2]})
    client.put(key(2), {"l": [7]})
    batch = client.batch_operate([key(1), key(2), key(3)], [lo.list_size("l")])
    results = [
        (r.result, r.record.bins if r.record else None) for r in batch.batch_records
    ]
    assert results == [(0, {"l": 2}), (0, {"l": 1}), (2, None)]
