"""Exact ``max-record-size`` boundaries: the flat record size a real server counts.

Measured by bisection on Aerospike CE 8.1.2 (max-record-size 1 MiB): a record is
refused with 13 when its flat size is above the limit, where the flat size is a
39-byte header, the bin count as a varint, 4 bytes of void time when the record
expires, 1 + the set name, the stored key (type byte and value, plus their length as
a varint), and per bin 1 + its name + its particle (an integer 2 + 1/2/4/8 bytes,
a float 9, a bool 2, anything else 5 + its payload).
"""

from __future__ import annotations

from typing import Any

import aerospike_py
import pytest
from aerospike_py import RecordTooBig
from support import result_code

MAX_RECORD_SIZE = 1024 * 1024
SEND = {"key": aerospike_py.POLICY_KEY_SEND}


def _varint_len(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)


def _int_width(v: int) -> int:
    if v < 0:
        return 8
    return next(w for w in (1, 2, 4, 8) if v < 1 << (8 * w))


def _particle_size(value: Any) -> int:
    if isinstance(value, bool):
        return 2
    if isinstance(value, int):
        return 2 + _int_width(value)
    if isinstance(value, float):
        return 9
    if isinstance(value, str):
        return 5 + len(value.encode())
    if isinstance(value, bytes):
        return 5 + len(value)
    raise TypeError(value)


def _key_size(user_key: Any) -> int:
    stored = 9 if isinstance(user_key, int) else 1 + len(str(user_key).encode())
    return _varint_len(stored) + stored


def _size_without_blob(
    set_name: str, bins: dict[str, Any], stored_key: Any, expires: bool
) -> int:
    """Flat size of the record with a last bin ``z`` holding an empty blob."""
    n_bins = len(bins) + 1
    size = 39 + _varint_len(n_bins) + 1 + len(set_name) + (4 if expires else 0)
    size += 0 if stored_key is None else _key_size(stored_key)
    size += sum(1 + len(name) + _particle_size(v) for name, v in bins.items())
    return size + 1 + 1 + 5


CASES = {
    "blob only": ({}, None, False),
    "int key sent": ({}, 7, False),
    "127-char key sent": ({}, "k" * 127, False),
    "expiring": ({}, None, True),
    "ints of each width": (
        {"a": 255, "b": 256, "c": 1 << 16, "d": 1 << 32, "e": -1},
        None,
        False,
    ),
    "float, bool, str, blob": (
        {"f": 1.5, "t": True, "s": "abc", "bb": b"xy"},
        None,
        False,
    ),
    "987 small ints": ({f"b{i}": i % 200 for i in range(987)}, None, False),
    "128 bins": ({f"{i:03}": 0 for i in range(127)}, None, False),
}


@pytest.mark.parametrize("case", CASES)
def test_largest_accepted_and_smallest_refused_blob(client, key, aerospike_set, case):
    extra, stored_key, expires = CASES[case]
    k = key(stored_key if stored_key is not None else "digest-only")
    policy = SEND if stored_key is not None else None
    meta = {"ttl": 1000} if expires else None
    largest = MAX_RECORD_SIZE - _size_without_blob(
        aerospike_set, extra, stored_key, expires
    )

    client.put(k, extra | {"z": b"x" * largest}, policy=policy, meta=meta)
    client.remove(k)
    with pytest.raises(RecordTooBig) as excinfo:
        client.put(k, extra | {"z": b"x" * (largest + 1)}, policy=policy, meta=meta)
    assert result_code(excinfo) == 13
    assert client.exists(k).meta is None


def test_list_and_map_count_their_msgpack_bytes(client, key, aerospike_set):
    # [1, 2, 3] is 4 msgpack bytes, {"a": 1} 5 (the key is a typed string: 0xa2 0x03 a).
    extra = {"l": [1, 2, 3], "m": {"a": 1}}
    bins = (1 + 1 + 5 + 4) + (1 + 1 + 5 + 5)
    largest = (
        MAX_RECORD_SIZE - _size_without_blob(aerospike_set, {}, None, False) - bins
    )
    client.put(key(1), extra | {"z": b"x" * largest})
    client.remove(key(1))
    with pytest.raises(RecordTooBig):
        client.put(key(1), extra | {"z": b"x" * (largest + 1)})
