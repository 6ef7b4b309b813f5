"""Order of CDT get/remove-by results, per return type, selection and container order.

A real server lists index and rank numbers in one of three ways: ascending over a mask
(a reverse type flips each number, so the list descends); as a contiguous run (a reverse
type flips the run as a whole, so it still ascends); or one number per element in the
order found (each flipped on its own). Unordered maps answer as if sorted by key.
"""

from __future__ import annotations

from typing import Any

import aerospike_py
import pytest
from aerospike_py import list_operations as lo
from aerospike_py import map_operations as mo
from support import result_code

LIST = [50, 10, 40, 20, 30, 20, 60, 10]
MAP = {"e": 5, "c": 1, "a": 5, "g": 3, "b": 1, "f": 2, "d": 4}

# (container, key-ordered, operation, arguments, result or result code)
CASES: list[tuple[str, bool, str, tuple[Any, ...], Any]] = [
    ("list", False, "list_get_by_index_range", ("l", 2, 1, 4), [2, 3, 4, 5]),
    ("list", False, "list_get_by_index_range", ("l", 2, 2, 4), [2, 3, 4, 5]),
    ("list", False, "list_get_by_index_range", ("l", 2, 3, 4), [5, 2, 4, 2]),
    ("list", False, "list_get_by_index_range", ("l", 2, 4, 4), [2, 5, 3, 5]),
    ("list", False, "list_get_by_rank_range", ("l", 1, 1, 4), [3, 4, 5, 7]),
    ("list", False, "list_get_by_rank_range", ("l", 1, 2, 4), [4, 3, 2, 0]),
    ("list", False, "list_get_by_rank_range", ("l", 1, 3, 4), [1, 2, 3, 4]),
    ("list", False, "list_get_by_rank_range", ("l", 1, 4, 4), [3, 4, 5, 6]),
    ("list", False, "list_remove_by_value_range", ("l", 15, 45, 1), [2, 3, 4, 5]),
    ("list", False, "list_remove_by_value_range", ("l", 15, 45, 2), [5, 4, 3, 2]),
    ("list", False, "list_remove_by_value_range", ("l", 15, 45, 3), [2, 3, 4, 5]),
    ("list", False, "list_remove_by_value_range", ("l", 15, 45, 4), [2, 3, 4, 5]),
    ("list", False, "list_get_by_value", ("l", 20, 1), [3, 5]),
    ("list", False, "list_get_by_value", ("l", 20, 2), [4, 2]),
    ("list", False, "list_get_by_value", ("l", 20, 3), [2, 3]),
    ("list", False, "list_get_by_value", ("l", 20, 4), [4, 5]),
    ("list", False, "list_get_by_value_list", ("l", [40, 10, 30], 1), [1, 2, 4, 7]),
    ("list", False, "list_get_by_value_list", ("l", [40, 10, 30], 2), [6, 5, 3, 0]),
    ("list", False, "list_get_by_value_list", ("l", [40, 10, 30], 3), [5, 0, 1, 4]),
    ("list", False, "list_get_by_value_list", ("l", [40, 10, 30], 4), [2, 7, 6, 3]),
    ("list", True, "list_get_by_index_range", ("l", 2, 1, 4), [2, 3, 4, 5]),
    ("list", True, "list_get_by_index_range", ("l", 2, 2, 4), [2, 3, 4, 5]),
    ("list", True, "list_get_by_index_range", ("l", 2, 3, 4), [2, 3, 4, 5]),
    ("list", True, "list_get_by_index_range", ("l", 2, 4, 4), [2, 3, 4, 5]),
    ("list", True, "list_get_by_rank_range", ("l", 1, 1, 4), [1, 2, 3, 4]),
    ("list", True, "list_get_by_rank_range", ("l", 1, 2, 4), [3, 4, 5, 6]),
    ("list", True, "list_get_by_rank_range", ("l", 1, 3, 4), [1, 2, 3, 4]),
    ("list", True, "list_get_by_rank_range", ("l", 1, 4, 4), [3, 4, 5, 6]),
    ("list", True, "list_remove_by_value_range", ("l", 15, 45, 1), [2, 3, 4, 5]),
    ("list", True, "list_remove_by_value_range", ("l", 15, 45, 2), [2, 3, 4, 5]),
    ("list", True, "list_remove_by_value_range", ("l", 15, 45, 3), [2, 3, 4, 5]),
    ("list", True, "list_remove_by_value_range", ("l", 15, 45, 4), [2, 3, 4, 5]),
    ("list", True, "list_get_by_value", ("l", 20, 1), [2, 3]),
    ("list", True, "list_get_by_value", ("l", 20, 2), [4, 5]),
    ("list", True, "list_get_by_value", ("l", 20, 3), [2, 3]),
    ("list", True, "list_get_by_value", ("l", 20, 4), [4, 5]),
    ("list", True, "list_get_by_value_list", ("l", [40, 10, 30], 1), [5, 0, 1, 4]),
    ("list", True, "list_get_by_value_list", ("l", [40, 10, 30], 2), [2, 6, 7, 3]),
    ("list", True, "list_get_by_value_list", ("l", [40, 10, 30], 3), [5, 0, 1, 4]),
    ("list", True, "list_get_by_value_list", ("l", [40, 10, 30], 4), [2, 6, 7, 3]),
    ("map", False, "map_get_by_key_range", ("m", "c", 1, 1), []),
    ("map", False, "map_get_by_key_range", ("m", "c", 2, 2), []),
    ("map", False, "map_get_by_key_range", ("m", "c", 3, 3), []),
    ("map", False, "map_get_by_key_range", ("m", "c", 4, 4), []),
    ("map", False, "map_get_by_key_range", ("m", "c", 6, 6), []),
    ("map", False, "map_get_by_key_range", ("m", "c", 7, 7), []),
    ("map", False, "map_get_by_index_range", ("m", 1, 1, 4), [1, 2, 3, 4]),
    ("map", False, "map_get_by_index_range", ("m", 1, 2, 4), [2, 3, 4, 5]),
    ("map", False, "map_get_by_index_range", ("m", 1, 3, 4), [0, 1, 4, 6]),
    ("map", False, "map_get_by_index_range", ("m", 1, 4, 4), [6, 5, 2, 0]),
    ("map", False, "map_get_by_index_range", ("m", 1, 6, 4), ["b", "c", "d", "e"]),
    ("map", False, "map_get_by_index_range", ("m", 1, 7, 4), [1, 1, 4, 5]),
    ("map", False, "map_remove_by_rank_range", ("m", 1, 1, 4), [2, 5, 6, 3]),
    ("map", False, "map_remove_by_rank_range", ("m", 1, 2, 4), [4, 1, 0, 3]),
    ("map", False, "map_remove_by_rank_range", ("m", 1, 3, 4), [1, 2, 3, 4]),
    ("map", False, "map_remove_by_rank_range", ("m", 1, 4, 4), [2, 3, 4, 5]),
    ("map", False, "map_remove_by_rank_range", ("m", 1, 6, 4), ["c", "f", "g", "d"]),
    ("map", False, "map_remove_by_rank_range", ("m", 1, 7, 4), [1, 2, 3, 4]),
    ("map", False, "map_get_by_value_range", ("m", 2, 5, 1), [3, 5, 6]),
    ("map", False, "map_get_by_value_range", ("m", 2, 5, 2), [3, 1, 0]),
    ("map", False, "map_get_by_value_range", ("m", 2, 5, 3), [2, 3, 4]),
    ("map", False, "map_get_by_value_range", ("m", 2, 5, 4), [2, 3, 4]),
    ("map", False, "map_get_by_value_range", ("m", 2, 5, 6), ["d", "f", "g"]),
    ("map", False, "map_get_by_value_range", ("m", 2, 5, 7), [4, 2, 3]),
    ("map", False, "map_get_by_value", ("m", 1, 1), [1, 2]),
    ("map", False, "map_get_by_value", ("m", 1, 2), [5, 4]),
    ("map", False, "map_get_by_value", ("m", 1, 3), [0, 1]),
    ("map", False, "map_get_by_value", ("m", 1, 4), [5, 6]),
    ("map", False, "map_get_by_value", ("m", 1, 6), ["b", "c"]),
    ("map", False, "map_get_by_value", ("m", 1, 7), [1, 1]),
    ("map", False, "map_get_by_value_list", ("m", [5, 1, 3], 1), [0, 1, 2, 4, 6]),
    ("map", False, "map_get_by_value_list", ("m", [5, 1, 3], 2), [6, 5, 4, 2, 0]),
    ("map", False, "map_get_by_value_list", ("m", [5, 1, 3], 3), [5, 6, 0, 1, 3]),
    ("map", False, "map_get_by_value_list", ("m", [5, 1, 3], 4), [1, 0, 6, 5, 3]),
    (
        "map",
        False,
        "map_get_by_value_list",
        ("m", [5, 1, 3], 6),
        ["a", "b", "c", "e", "g"],
    ),
    ("map", False, "map_get_by_value_list", ("m", [5, 1, 3], 7), [5, 1, 1, 5, 3]),
    ("map", False, "map_get_by_key_list", ("m", ["g", "a", "d"], 1), [6, 0, 3]),
    ("map", False, "map_get_by_key_list", ("m", ["g", "a", "d"], 2), [0, 6, 3]),
    ("map", False, "map_get_by_key_list", ("m", ["g", "a", "d"], 3), 26),
    ("map", False, "map_get_by_key_list", ("m", ["g", "a", "d"], 4), 26),
    ("map", False, "map_get_by_key_list", ("m", ["g", "a", "d"], 6), ["a", "d", "g"]),
    ("map", False, "map_get_by_key_list", ("m", ["g", "a", "d"], 7), [5, 4, 3]),
    ("map", True, "map_get_by_key_range", ("m", "c", 1, 1), []),
    ("map", True, "map_get_by_key_range", ("m", "c", 2, 2), []),
    ("map", True, "map_get_by_key_range", ("m", "c", 3, 3), []),
    ("map", True, "map_get_by_key_range", ("m", "c", 4, 4), []),
    ("map", True, "map_get_by_key_range", ("m", "c", 6, 6), []),
    ("map", True, "map_get_by_key_range", ("m", "c", 7, 7), []),
    ("map", True, "map_get_by_index_range", ("m", 1, 1, 4), [1, 2, 3, 4]),
    ("map", True, "map_get_by_index_range", ("m", 1, 2, 4), [2, 3, 4, 5]),
    ("map", True, "map_get_by_index_range", ("m", 1, 3, 4), [0, 1, 4, 6]),
    ("map", True, "map_get_by_index_range", ("m", 1, 4, 4), [6, 5, 2, 0]),
    ("map", True, "map_get_by_index_range", ("m", 1, 6, 4), ["b", "c", "d", "e"]),
    ("map", True, "map_get_by_index_range", ("m", 1, 7, 4), [1, 1, 4, 5]),
    ("map", True, "map_remove_by_rank_range", ("m", 1, 1, 4), [2, 5, 6, 3]),
    ("map", True, "map_remove_by_rank_range", ("m", 1, 2, 4), [4, 1, 0, 3]),
    ("map", True, "map_remove_by_rank_range", ("m", 1, 3, 4), [1, 2, 3, 4]),
    ("map", True, "map_remove_by_rank_range", ("m", 1, 4, 4), [2, 3, 4, 5]),
    ("map", True, "map_remove_by_rank_range", ("m", 1, 6, 4), ["c", "f", "g", "d"]),
    ("map", True, "map_remove_by_rank_range", ("m", 1, 7, 4), [1, 2, 3, 4]),
    ("map", True, "map_get_by_value_range", ("m", 2, 5, 1), [3, 5, 6]),
    ("map", True, "map_get_by_value_range", ("m", 2, 5, 2), [3, 1, 0]),
    ("map", True, "map_get_by_value_range", ("m", 2, 5, 3), [2, 3, 4]),
    ("map", True, "map_get_by_value_range", ("m", 2, 5, 4), [2, 3, 4]),
    ("map", True, "map_get_by_value_range", ("m", 2, 5, 6), ["d", "f", "g"]),
    ("map", True, "map_get_by_value_range", ("m", 2, 5, 7), [4, 2, 3]),
    ("map", True, "map_get_by_value", ("m", 1, 1), [1, 2]),
    ("map", True, "map_get_by_value", ("m", 1, 2), [5, 4]),
    ("map", True, "map_get_by_value", ("m", 1, 3), [0, 1]),
    ("map", True, "map_get_by_value", ("m", 1, 4), [5, 6]),
    ("map", True, "map_get_by_value", ("m", 1, 6), ["b", "c"]),
    ("map", True, "map_get_by_value", ("m", 1, 7), [1, 1]),
    ("map", True, "map_get_by_value_list", ("m", [5, 1, 3], 1), [0, 1, 2, 4, 6]),
    ("map", True, "map_get_by_value_list", ("m", [5, 1, 3], 2), [6, 5, 4, 2, 0]),
    ("map", True, "map_get_by_value_list", ("m", [5, 1, 3], 3), [5, 6, 0, 1, 3]),
    ("map", True, "map_get_by_value_list", ("m", [5, 1, 3], 4), [1, 0, 6, 5, 3]),
    (
        "map",
        True,
        "map_get_by_value_list",
        ("m", [5, 1, 3], 6),
        ["a", "b", "c", "e", "g"],
    ),
    ("map", True, "map_get_by_value_list", ("m", [5, 1, 3], 7), [5, 1, 1, 5, 3]),
    ("map", True, "map_get_by_key_list", ("m", ["g", "a", "d"], 1), [6, 0, 3]),
    ("map", True, "map_get_by_key_list", ("m", ["g", "a", "d"], 2), [0, 6, 3]),
    ("map", True, "map_get_by_key_list", ("m", ["g", "a", "d"], 3), 26),
    ("map", True, "map_get_by_key_list", ("m", ["g", "a", "d"], 4), 26),
    ("map", True, "map_get_by_key_list", ("m", ["g", "a", "d"], 6), ["a", "d", "g"]),
    ("map", True, "map_get_by_key_list", ("m", ["g", "a", "d"], 7), [5, 4, 3]),
]


def case_id(case: tuple[str, bool, str, tuple[Any, ...], Any]) -> str:
    _, ordered, name, args, _ = case
    return f"{'ordered' if ordered else 'unordered'}-{name}-{args[1:]}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_results_are_listed_in_the_servers_order(client, key, case) -> None:
    kind, ordered, name, args, expected = case
    module = lo if kind == "list" else mo
    op = getattr(module, name)(*args)
    if kind == "list":
        initial, pre = {"l": LIST}, [lo.list_set_order("l", 1)] if ordered else []
    else:
        initial, pre = {"m": MAP}, [mo.map_set_order("m", 1)] if ordered else []
    client.put(key(1), initial)
    if isinstance(expected, int):
        with pytest.raises(aerospike_py.AerospikeError, match=r".") as excinfo:
            client.operate(key(1), [*pre, op])
        assert result_code(excinfo) == expected
        return
    _, _, bins = client.operate(key(1), [*pre, op])
    assert bins[kind[0]] == expected
