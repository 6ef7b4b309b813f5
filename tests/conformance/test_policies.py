from __future__ import annotations

import time

import aerospike_py
import pytest
from aerospike_py import (
    RecordExistsError,
    RecordGenerationError,
    RecordNotFound,
    ServerError,
)
from support import NEVER, result_code

EXISTS = "exists"


def test_create_only_fails_on_existing_record(client, key):
    policy = {EXISTS: aerospike_py.POLICY_EXISTS_CREATE_ONLY}
    client.put(key(1), {"a": 1}, policy=policy)
    with pytest.raises(RecordExistsError, match=r"\(5\)") as excinfo:
        client.put(key(1), {"a": 2}, policy=policy)
    assert result_code(excinfo) == 5
    assert client.get(key(1)).bins == {"a": 1}


def test_update_only_needs_an_existing_record_and_merges(client, key):
    policy = {EXISTS: aerospike_py.POLICY_EXISTS_UPDATE_ONLY}
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.put(key(1), {"a": 1}, policy=policy)
    client.put(key(1), {"a": 1})
    client.put(key(1), {"b": 2}, policy=policy)
    assert client.get(key(1)).bins == {"a": 1, "b": 2}


def test_replace_creates_or_drops_other_bins(client, key):
    policy = {EXISTS: aerospike_py.POLICY_EXISTS_REPLACE}
    client.put(key(1), {"a": 1}, policy=policy)
    client.put(key(1), {"b": 2}, policy=policy)
    record = client.get(key(1))
    assert record.bins == {"b": 2}
    assert record.meta.gen == 2


def test_replace_only_needs_an_existing_record(client, key):
    policy = {EXISTS: aerospike_py.POLICY_EXISTS_REPLACE_ONLY}
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.put(key(1), {"a": 1}, policy=policy)
    client.put(key(1), {"a": 1, "c": 3})
    client.put(key(1), {"b": 2}, policy=policy)
    assert client.get(key(1)).bins == {"b": 2}


def test_replace_with_a_bin_delete_is_parameter_error(client, key):
    client.put(key(1), {"a": 1})
    policy = {EXISTS: aerospike_py.POLICY_EXISTS_REPLACE}
    with pytest.raises(ServerError, match=r"\(4\)") as excinfo:
        client.put(key(1), {"a": None, "b": 1}, policy=policy)
    assert result_code(excinfo) == 4


def test_generation_equal_check(client, key):
    client.put(key(1), {"a": 1})
    with pytest.raises(RecordGenerationError, match=r"\(3\)") as excinfo:
        client.put(key(1), {"a": 2}, meta={"gen": 5})
    assert result_code(excinfo) == 3
    client.put(key(1), {"a": 2}, meta={"gen": 1})
    assert client.get(key(1)).meta.gen == 2


def test_generation_greater_check(client, key):
    client.put(key(1), {"a": 1})
    client.put(key(1), {"a": 1})
    gt = {"gen": aerospike_py.POLICY_GEN_GT}
    with pytest.raises(RecordGenerationError, match=r"\(3\)"):
        client.put(key(1), {"a": 2}, meta={"gen": 2}, policy=gt)
    client.put(key(1), {"a": 2}, meta={"gen": 3}, policy=gt)
    assert client.get(key(1)).meta.gen == 3


def test_generation_checked_delete(client, key):
    client.put(key(1), {"a": 1})
    with pytest.raises(RecordGenerationError, match=r"\(3\)"):
        client.remove(key(1), meta={"gen": 7})
    client.remove(key(1), meta={"gen": 1})
    assert client.exists(key(1)).meta is None


def test_generation_wraps_from_65535_to_1(client, key):
    client.put(key(1), {"n": 0})
    touch = [{"op": aerospike_py.OPERATOR_TOUCH}]
    for rows in (5000,) * 13 + (534,):  # 65,534 touches, batched
        batch = client.batch_operate([key(1)] * rows, touch)
        assert {r.result for r in batch.batch_records} == {0}
    assert client.exists(key(1)).meta.gen == 65535
    client.put(key(1), {"n": 1})
    assert client.exists(key(1)).meta.gen == 1


def test_ttl_seconds_and_never_expire(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": 500})
    assert 490 <= client.exists(key(1)).meta.ttl <= 500
    client.put(key(1), {"a": 2}, meta={"ttl": aerospike_py.TTL_NEVER_EXPIRE})
    assert client.exists(key(1)).meta.ttl == NEVER


def test_ttl_dont_update_keeps_the_void_time(client, key):
    client.put(key(1), {"a": 1}, meta={"ttl": 500})
    before = client.exists(key(1)).meta.ttl
    client.put(key(1), {"a": 2}, meta={"ttl": aerospike_py.TTL_DONT_UPDATE})
    after = client.exists(key(1)).meta
    assert after.gen == 2
    assert before - 2 <= after.ttl <= before


def test_ttl_above_ten_years_is_parameter_error(client, key):
    with pytest.raises(ServerError, match=r"\(4\)") as excinfo:
        client.put(key(1), {"a": 1}, meta={"ttl": 315_360_001})
    assert result_code(excinfo) == 4
    client.put(key(1), {"a": 1}, meta={"ttl": 315_360_000})


def test_expired_records_are_absent_everywhere(
    client, key, aerospike_namespace, aerospike_set
):
    client.put(key(1), {"a": 1}, meta={"ttl": 1})
    client.put(key(2), {"a": 2}, meta={"ttl": -1})
    time.sleep(2.1)
    with pytest.raises(RecordNotFound, match=r"\(2\)"):
        client.get(key(1))
    assert client.exists(key(1)).meta is None
    found = client.batch_read([key(1), key(2)]).to_list()
    assert found == [None, {"a": 2}]
    scanned = client.query(aerospike_namespace, aerospike_set).results()
    assert [r.bins for r in scanned] == [{"a": 2}]
    client.put(key(1), {"b": 1})
    assert client.get(key(1)).meta.gen == 1
