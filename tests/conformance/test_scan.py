from __future__ import annotations

import aerospike_py
import pytest


def scan(client, namespace, set_name, policy=None, bins=()):
    query = client.query(namespace, set_name)
    if bins:
        query.select(*bins)
    return query.results(policy)


def test_scan_returns_every_record_of_the_set(
    client, key, aerospike_namespace, aerospike_set
):
    client.batch_write([(key(i), {"i": i}) for i in range(100)])
    records = scan(client, aerospike_namespace, aerospike_set)
    assert sorted(r.bins["i"] for r in records) == list(range(100))
    first = records[0]
    assert first.key.namespace == aerospike_namespace
    assert first.key.set_name == aerospike_set
    assert first.key.user_key is None
    assert len(first.key.digest) == 20
    assert first.meta.gen == 1


def test_scan_returns_user_key_when_it_was_sent(
    client, key, aerospike_namespace, aerospike_set
):
    send = {"key": aerospike_py.POLICY_KEY_SEND}
    client.put(key("str-key"), {"a": 1}, policy=send)
    client.put(key(7), {"a": 2}, policy=send)
    client.put(key(b"blob"), {"a": 3}, policy=send)
    client.put(key("unsent"), {"a": 4})
    found = {
        r.bins["a"]: r.key.user_key
        for r in scan(client, aerospike_namespace, aerospike_set)
    }
    assert found[1] == "str-key"
    assert found[2] == 7
    assert found[3] in (b"blob", "blob")
    assert found[4] is None


def test_scan_of_empty_set_is_empty(client, aerospike_namespace, aerospike_set):
    assert scan(client, aerospike_namespace, aerospike_set) == []


def test_scan_selected_bins(client, key, aerospike_namespace, aerospike_set):
    client.put(key(1), {"a": 1, "b": 2})
    client.put(key(2), {"c": 3})
    records = scan(client, aerospike_namespace, aerospike_set, bins=["a"])
    assert [r.bins for r in records] == [{"a": 1}]


def test_scan_max_records(client, key, aerospike_namespace, aerospike_set):
    client.batch_write([(key(i), {"i": i}) for i in range(50)])
    records = scan(
        client, aerospike_namespace, aerospike_set, policy={"max_records": 10}
    )
    assert len(records) == 10


def test_scan_by_partition(client, key, aerospike_namespace, aerospike_set):
    client.batch_write([(key(i), {"i": i}) for i in range(300)])
    digest = client.get(key(0)).key.digest
    pid = (digest[0] | digest[1] << 8) & 0xFFF
    policy = {"partition_filter": aerospike_py.partition_filter_by_id(pid)}
    records = scan(client, aerospike_namespace, aerospike_set, policy=policy)
    assert 0 in [r.bins["i"] for r in records]
    assert all((r.key.digest[0] | r.key.digest[1] << 8) & 0xFFF == pid for r in records)
    everything = aerospike_py.partition_filter_by_range(0, 4096)
    assert (
        len(
            scan(
                client,
                aerospike_namespace,
                aerospike_set,
                {"partition_filter": everything},
            )
        )
        == 300
    )


def test_scan_of_whole_namespace_includes_the_set(
    client, key, aerospike_namespace, aerospike_set
):
    client.put(key(1), {"a": 1})
    records = scan(client, aerospike_namespace, "")
    assert any(r.key.set_name == aerospike_set and r.bins == {"a": 1} for r in records)


def test_scan_foreach_streams_records(client, key, aerospike_namespace, aerospike_set):
    client.batch_write([(key(i), {"i": i}) for i in range(30)])
    seen = []
    client.query(aerospike_namespace, aerospike_set).foreach(
        lambda r: seen.append(r.bins["i"])
    )
    assert sorted(seen) == list(range(30))


@pytest.mark.parametrize("nanos_offset", [None, "between"], ids=["all", "lut"])
def test_truncate_set(client, key, aerospike_namespace, aerospike_set, nanos_offset):
    import time

    client.put(key(1), {"a": 1})
    # A real server keeps last-update times in whole milliseconds and truncates only
    # records strictly older than the cut-off, so step past the write's millisecond.
    time.sleep(0.003)
    cutoff = time.time_ns()
    time.sleep(0.01)
    client.put(key(2), {"a": 2})
    other = (aerospike_namespace, aerospike_set + "_keep", 1)
    client.put(other, {"a": 3})
    time.sleep(0.003)
    if nanos_offset is None:
        client.truncate(aerospike_namespace, aerospike_set)
        expected = []
    else:
        client.truncate(aerospike_namespace, aerospike_set, cutoff)
        expected = [{"a": 2}]
    deadline = time.time() + 5
    while time.time() < deadline:
        bins = [r.bins for r in scan(client, aerospike_namespace, aerospike_set)]
        if bins == expected:
            break
        time.sleep(0.05)
    assert bins == expected
    assert client.get(other).bins == {"a": 3}
    client.truncate(aerospike_namespace, aerospike_set + "_keep")


def test_query_with_predicate_and_no_index_is_index_not_found(
    client, key, aerospike_namespace, aerospike_set
):
    client.put(key(1), {"no_index_bin": 1})
    query = client.query(aerospike_namespace, aerospike_set)
    query.where(aerospike_py.predicates.equals("no_index_bin", 1))
    with pytest.raises(aerospike_py.IndexNotFound, match=r"\(201\)"):
        query.results()


def test_scan_without_bin_data_still_returns_bins(
    client, key, aerospike_namespace, aerospike_set
):
    # Measured against a real server: this client does not send the no-bin-data flag.
    client.put(key(1), {"a": 1})
    policy = {"include_bin_data": False}
    records = scan(client, aerospike_namespace, aerospike_set, policy=policy)
    assert [r.bins for r in records] == [{"a": 1}]
