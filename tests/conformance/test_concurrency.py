from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def test_concurrent_increments_are_atomic(client, key):
    def bump(_):
        for _ in range(250):
            client.increment(key("counter"), "n", 1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(bump, range(8)))
    record = client.get(key("counter"))
    assert record.bins == {"n": 2000}
    assert record.meta.gen == 2000


def test_concurrent_batches_and_scans(client, key, aerospike_namespace, aerospike_set):
    keys = [key(i) for i in range(500)]
    client.batch_write([(k, {"i": k[2]}) for k in keys])

    def work(n):
        if n % 2:
            return len(client.query(aerospike_namespace, aerospike_set).results())
        return sum(1 for rec in client.batch_read(keys).to_list() if rec is not None)

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(work, range(24))) == {500}


def test_concurrent_scans_of_different_and_same_sets_see_exactly_their_records(
    client, aerospike_namespace, aerospike_set
):
    sets = [f"{aerospike_set}_{n}" for n in range(3)]
    expected = {}
    for n, set_name in enumerate(sets):
        ids = [n * 10_000 + i for i in range(200 * (n + 1))]
        rows = [((aerospike_namespace, set_name, i), {"i": i, "s": n}) for i in ids]
        client.batch_write(rows)
        expected[set_name] = sorted(ids)

    def scan(task):
        set_name = sets[task % len(sets)] if task % 4 else sets[0]
        records = client.query(aerospike_namespace, set_name).results()
        return set_name, sorted(r.bins["i"] for r in records)

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(scan, range(24)))
    assert {name for name, _ in seen} == set(sets)
    for set_name, ids in seen:
        assert ids == expected[set_name], set_name
