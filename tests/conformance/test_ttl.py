"""TTL and expiry rules that hold on the embedded server and on a real one alike.

The expiry test waits for a real one-second TTL to pass instead of moving a clock, so
it runs unchanged against a cluster (``AEROSPIKE_HOSTS``); it is the only test here
that sleeps.
"""

from __future__ import annotations

import contextlib
import time

import aerospike_py
import pytest
from aerospike_py import RecordNotFound, ServerError
from support import NEVER, result_code

TEN_YEARS = 315_360_000


def test_a_positive_ttl_is_reported_as_remaining_seconds(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": 1000})
    assert 995 <= client.get(key(1)).meta.ttl <= 1000
    assert 995 <= client.exists(key(1)).meta.ttl <= 1000


def test_the_ten_year_maximum_is_accepted_and_one_more_second_is_not(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": TEN_YEARS})
    assert TEN_YEARS - 5 <= client.exists(key(1)).meta.ttl <= TEN_YEARS
    with pytest.raises(ServerError) as excinfo:
        client.put(key(2), {"a": 1}, meta={"ttl": TEN_YEARS + 1})
    assert result_code(excinfo) == 4


def test_never_expire_reports_the_largest_ttl(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": aerospike_py.TTL_NEVER_EXPIRE})
    assert client.get(key(1)).meta.ttl == NEVER


def test_dont_update_on_a_create_behaves_as_the_namespace_default(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": aerospike_py.TTL_NAMESPACE_DEFAULT})
    client.put(key(2), {"a": 1}, meta={"ttl": aerospike_py.TTL_DONT_UPDATE})
    default = client.exists(key(1)).meta.ttl
    created = client.exists(key(2)).meta.ttl
    assert abs(default - created) <= 2


def test_dont_update_keeps_a_never_expiring_record_never_expiring(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": aerospike_py.TTL_NEVER_EXPIRE})
    client.put(key(1), {"a": 2}, meta={"ttl": aerospike_py.TTL_DONT_UPDATE})
    record = client.get(key(1))
    assert (record.bins, record.meta.ttl, record.meta.gen) == ({"a": 2}, NEVER, 2)


def test_every_write_recomputes_the_void_time(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": 5000})
    client.increment(key(1), "a", 1, meta={"ttl": 100})
    assert 95 <= client.exists(key(1)).meta.ttl <= 100
    client.touch(key(1), 2000)
    record = client.get(key(1))
    assert 1995 <= record.meta.ttl <= 2000
    assert record.meta.gen == 3


def test_touch_of_a_missing_record_is_not_found(client, key):
    with pytest.raises(RecordNotFound):
        client.touch(key(1), 100)


def test_expired_records_are_gone_for_every_kind_of_access(client, key):
    for n in range(1, 6):
        client.put(key(n), {"a": n}, meta={"ttl": 1})
    client.put(key(9), {"a": 9}, meta={"ttl": -1})
    time.sleep(2.2)

    assert client.batch_read([key(1), key(9)]).to_list() == [None, {"a": 9}]
    update_only = {"exists": aerospike_py.POLICY_EXISTS_UPDATE_ONLY}
    with pytest.raises(RecordNotFound):
        client.put(key(1), {"b": 1}, policy=update_only)
    with pytest.raises(RecordNotFound):
        client.touch(key(2), 100)

    create_only = {"exists": aerospike_py.POLICY_EXISTS_CREATE_ONLY}
    client.put(key(3), {"b": 3}, policy=create_only)
    created = client.get(key(3))
    assert (created.bins, created.meta.gen) == ({"b": 3}, 1)

    client.increment(key(4), "a", 10)
    incremented = client.get(key(4))
    assert (incremented.bins, incremented.meta.gen) == ({"a": 10}, 1)

    # A delete answers OK until the expiry sweep has run, not found after it.
    with contextlib.suppress(RecordNotFound):
        client.remove(key(5))
    assert client.exists(key(5)).meta is None
    assert client.get(key(9)).bins == {"a": 9}
