"""The embedded server's controllable clock, namespace settings and expiry sweep."""

from __future__ import annotations

import time

import aerospike_py
import pytest
from aerospike_py import RecordNotFound, RecordTooBig

from aerorepo.embedded import EmbeddedServer, NamespaceConfig


@pytest.fixture
def server():
    namespaces = {
        "test": {"default_ttl": 60, "max_record_size": 4096},
        "cache": NamespaceConfig(),
    }
    with EmbeddedServer(namespaces=namespaces, nsup_period=0) as running:
        yield running


@pytest.fixture
def client(server):
    client = server.connect()
    yield client
    client.close()


def test_advancing_the_clock_expires_records_without_sleeping(server, client):
    client.put(("test", "s", 1), {"a": 1}, meta={"ttl": 100})
    server.advance_clock(99)
    # The client computes the remaining TTL from its own clock, so only presence counts.
    assert client.get(("test", "s", 1)).bins == {"a": 1}
    server.clock.advance(2)
    with pytest.raises(RecordNotFound):
        client.get(("test", "s", 1))


def test_remove_of_an_expired_record_is_ok_until_the_sweep(server, client):
    for n in (1, 2):
        client.put(("test", "s", n), {"a": n}, meta={"ttl": 10})
    server.advance_clock(20)
    client.remove(("test", "s", 1))
    assert server.expire_now() == 1
    with pytest.raises(RecordNotFound):
        client.remove(("test", "s", 2))


def test_each_namespace_has_its_own_default_ttl_and_size_limit(client):
    client.put(("test", "s", 1), {"a": 1})
    client.put(("cache", "s", 1), {"a": 1})
    assert 58 <= client.exists(("test", "s", 1)).meta.ttl <= 60
    assert client.exists(("cache", "s", 1)).meta.ttl == 4294967295
    with pytest.raises(RecordTooBig):
        client.put(("test", "s", 2), {"b": b"x" * 5000})
    client.put(("cache", "s", 2), {"b": b"x" * 5000})


def test_the_clock_offset_can_be_read_and_set(server):
    server.clock.offset = 3600
    assert server.clock.offset == pytest.approx(3600)
    server.clock.offset = 0
    assert abs(server.clock.now() - time.time()) < 5


def test_the_info_extension_advances_the_clock(server, client):
    client.put(("test", "s", 1), {"a": 1}, meta={"ttl": 5})
    reply = client.info_all("aerorepo-clock-advance:seconds=10")
    assert "offset=10" in str(reply)
    assert client.exists(("test", "s", 1)).meta is None


def test_a_clock_offset_at_start_is_applied():
    with EmbeddedServer(clock_offset=-120.0) as server:
        assert server.clock.offset == pytest.approx(-120.0)


def test_the_background_sweep_removes_expired_records():
    with EmbeddedServer(nsup_period=0.05) as server:
        client = server.connect()
        client.put(("test", "s", 1), {"a": 1}, meta={"ttl": 5})
        server.advance_clock(10)
        time.sleep(0.5)
        assert server.expire_now() == 0
        client.close()


def test_unknown_namespace_settings_are_refused():
    with pytest.raises(TypeError, match="unknown settings"):
        EmbeddedServer(namespaces={"test": {"ttl": 1}})


def test_the_ttl_constant_is_exported():
    assert aerospike_py.TTL_NEVER_EXPIRE == -1
