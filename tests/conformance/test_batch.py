from __future__ import annotations

import aerospike_py
import numpy as np
import pytest
from aerospike_py import OPERATOR_INCR, OPERATOR_READ, OPERATOR_WRITE


def results(batch):
    return [r.result for r in batch.batch_records]


def test_batch_write_then_batch_read_all_bins(client, key):
    keys = [key(i) for i in range(20)]
    written = client.batch_write([(k, {"i": k[2], "s": f"v{k[2]}"}) for k in keys])
    assert results(written) == [0] * 20
    found = client.batch_read(keys).to_list()
    assert found == [{"i": i, "s": f"v{i}"} for i in range(20)]


def test_batch_read_reports_missing_keys(client, key):
    client.put(key(1), {"a": 1})
    batch = client.batch_read([key(0), key(1), key(2)])
    assert results(batch) == [2, 0, 2]
    assert batch.to_list() == [None, {"a": 1}, None]


def test_batch_read_named_bins_and_header_only(client, key):
    client.put(key(1), {"a": 1, "b": 2})
    client.put(key(2), {"b": 3})
    assert client.batch_read([key(1), key(2)], bins=["a"]).to_list() == [{"a": 1}, {}]
    header = client.batch_read([key(1), key(3)], bins=[])
    assert results(header) == [0, 2]
    assert header.to_list()[0] == {}
    record = header.batch_records[0].record
    assert record[1]["gen"] == 1


def test_batch_read_with_duplicate_keys(client, key):
    client.put(key(1), {"a": 1})
    batch = client.batch_read([key(1), key(1), key(2), key(1)])
    assert results(batch) == [0, 0, 2, 0]
    assert batch.to_list() == [{"a": 1}, {"a": 1}, None, {"a": 1}]


def test_batch_read_across_two_sets(client, key, aerospike_namespace, aerospike_set):
    other = (aerospike_namespace, aerospike_set + "_b", 1)
    client.put(key(1), {"a": 1})
    client.put(other, {"a": 2})
    keys = [key(1), other, key(1), other]
    assert client.batch_read(keys).to_list() == [{"a": 1}, {"a": 2}, {"a": 1}, {"a": 2}]


def test_batch_read_of_many_large_records_streams_in_chunks(client, key):
    keys = [key(i) for i in range(3000)]
    blob = b"x" * 1000
    assert set(
        results(client.batch_write([(k, {"b": blob, "i": k[2]}) for k in keys]))
    ) == {0}
    found = client.batch_read(keys).to_list()
    assert len(found) == 3000
    assert all(rec == {"b": blob, "i": i} for i, rec in enumerate(found))


def test_batch_read_to_numpy(client, key):
    client.batch_write([(key(i), {"x": i, "y": i * 0.5}) for i in range(5)])
    dtype = np.dtype([("x", "i8"), ("y", "f8")])
    arr = client.batch_read([key(i) for i in range(6)]).to_numpy(dtype)
    assert list(arr.result_codes) == [0, 0, 0, 0, 0, 2]
    assert list(arr.batch_records["x"][:5]) == [0, 1, 2, 3, 4]
    assert list(arr.batch_records["y"][:5]) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert list(arr.meta["gen"][:5]) == [1] * 5


def test_batch_write_numpy(client, aerospike_namespace, aerospike_set):
    dtype = np.dtype([("_key", "i8"), ("v", "i4"), ("w", "f8")])
    data = np.array([(i, i * 10, i / 4) for i in range(50)], dtype=dtype)
    written = client.batch_write_numpy(data, aerospike_namespace, aerospike_set, dtype)
    assert results(written) == [0] * 50
    keys = [(aerospike_namespace, aerospike_set, i) for i in range(50)]
    assert client.batch_read(keys).to_list()[7] == {"v": 70, "w": 1.75}


def test_batch_write_honours_per_record_policies(client, key):
    client.put(key(1), {"a": 1})
    create_only = {"exists": aerospike_py.POLICY_EXISTS_CREATE_ONLY}
    written = client.batch_write(
        [
            (key(1), {"a": 2}, create_only),
            (key(2), {"a": 2}, create_only),
            (key(3), {"a": 3}),
        ]
    )
    assert results(written) == [5, 0, 0]
    assert client.get(key(1)).bins == {"a": 1}


def test_batch_write_of_duplicate_keys_applies_every_row(client, key):
    written = client.batch_write(
        [(key(1), {"a": 1}), (key(1), {"b": 2}), (key(1), {"a": 3})]
    )
    assert results(written) == [0, 0, 0]
    record = client.get(key(1))
    # A clustered server may apply rows of one key in any order.
    assert record.bins["b"] == 2
    assert record.bins["a"] in (1, 3)
    assert record.meta.gen == 3


def test_batch_operate_incr_and_read_reports_per_op_entries(client, key):
    client.put(key(1), {"n": 1})
    ops = [
        {"op": OPERATOR_INCR, "bin": "n", "val": 1},
        {"op": OPERATOR_READ, "bin": "n"},
    ]
    batch = client.batch_operate([key(1), key(2)], ops)
    assert results(batch) == [0, 0]
    assert [r.record.bins for r in batch.batch_records] == [
        {"n": [None, 2]},
        {"n": [None, 1]},
    ]


def test_batch_operate_bare_read_all_returns_bins(client, key):
    client.put(key(1), {"a": 1, "b": 2})
    batch = client.batch_operate([key(1), key(2)], [{"op": OPERATOR_READ}])
    assert results(batch) == [0, 2]
    assert batch.batch_records[0].record.bins == {"a": 1, "b": 2}


def test_batch_operate_write_with_read_all_fails_every_row(client, key):
    client.put(key(1), {"a": 1})
    ops = [{"op": OPERATOR_WRITE, "bin": "q", "val": 1}, {"op": OPERATOR_READ}]
    assert results(client.batch_operate([key(1), key(2)], ops)) == [4, 4]
    assert client.get(key(1)).bins == {"a": 1}


def test_batch_type_error_leaves_neighbours_intact(client, key):
    client.batch_write([(key(0), {"n": 1}), (key(1), {"n": "s"}), (key(2), {"n": 1})])
    ops = [{"op": OPERATOR_INCR, "bin": "n", "val": 1}]
    assert results(client.batch_operate([key(0), key(1), key(2)], ops)) == [0, 12, 0]
    assert client.batch_read([key(0), key(2)]).to_list() == [{"n": 2}, {"n": 2}]


def test_batch_remove_existing_and_missing(client, key):
    client.put(key(1), {"a": 1})
    assert results(client.batch_remove([key(0), key(1)])) == [2, 0]
    assert client.exists(key(1)).meta is None


@pytest.mark.parametrize("count", [1, 2, 257])
def test_batch_sizes(client, key, count):
    keys = [key(i) for i in range(count)]
    client.batch_write([(k, {"i": 1}) for k in keys])
    assert client.batch_read(keys).to_list() == [{"i": 1}] * count


LARGE_BATCHES = pytest.mark.parametrize("count", [6_000, 20_000], ids=["6k", "20k"])


@LARGE_BATCHES
def test_large_batch_write_then_read_streams_every_record_in_order(client, key, count):
    keys = [key(i) for i in range(count)]
    written = client.batch_write([(k, {"i": k[2]}) for k in keys])
    assert results(written) == [0] * count
    missing = [key(-1 - i) for i in range(count // 10)]
    found = client.batch_read(keys + missing).to_list()
    assert found == [{"i": i} for i in range(count)] + [None] * len(missing)


@LARGE_BATCHES
def test_large_batch_operate_answers_every_row(client, key, count):
    keys = [key(i) for i in range(count)]
    client.batch_write([(k, {"n": k[2]}) for k in keys])
    ops = [
        {"op": OPERATOR_INCR, "bin": "n", "val": 1},
        {"op": OPERATOR_READ, "bin": "n"},
    ]
    batch = client.batch_operate(keys, ops)
    assert results(batch) == [0] * count
    assert [r.record.bins["n"][1] for r in batch.batch_records] == [
        i + 1 for i in range(count)
    ]


@LARGE_BATCHES
def test_large_batch_remove_removes_every_record(client, key, count):
    keys = [key(i) for i in range(count)]
    client.batch_write([(k, {"i": 1}) for k in keys])
    assert results(client.batch_remove(keys)) == [0] * count
    assert client.batch_read(keys).to_list() == [None] * count
    assert results(client.batch_remove(keys[:10])) == [2] * 10
