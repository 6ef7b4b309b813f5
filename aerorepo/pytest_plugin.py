"""Pytest fixtures that give tests an Aerospike server: embedded, or a real cluster."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import aerospike_py
import pytest

from aerorepo._config import HOSTS_ENV, parse_hosts
from aerorepo.embedded import EmbeddedServer

NAMESPACE_ENV = "AEROSPIKE_NAMESPACE"
CLUSTER_NAME_ENV = "AEROSPIKE_CLUSTER_NAME"


@pytest.fixture(scope="session")
def aerospike_namespace() -> str:
    """The namespace tests write to: ``$AEROSPIKE_NAMESPACE`` or ``"test"``."""
    return os.environ.get(NAMESPACE_ENV, "test")


@pytest.fixture(scope="session")
def aerospike_hosts(aerospike_namespace: str) -> Iterator[list[tuple[str, int]]]:
    """Seed hosts: ``$AEROSPIKE_HOSTS``, or an embedded server started for the session."""
    configured = os.environ.get(HOSTS_ENV)
    if configured:
        yield parse_hosts(configured)
        return
    with EmbeddedServer(namespaces=(aerospike_namespace,)) as server:
        yield server.hosts


@pytest.fixture(scope="session")
def aerospike_client(
    aerospike_hosts: list[tuple[str, int]],
) -> Iterator[aerospike_py.Client]:
    """A connected aerospike_py client shared by the session."""
    config: dict[str, object] = {"hosts": aerospike_hosts}
    cluster_name = os.environ.get(CLUSTER_NAME_ENV)
    if cluster_name and os.environ.get(HOSTS_ENV):
        config["cluster_name"] = cluster_name
    client = aerospike_py.client(config).connect()
    yield client
    client.close()


@pytest.fixture
def aerospike_set(
    aerospike_client: aerospike_py.Client, aerospike_namespace: str
) -> Iterator[str]:
    """A set name unique to the test, so data of other tests or users never collides.

    On a cluster named by ``AEROSPIKE_HOSTS`` the set is truncated after the test,
    so repeated runs leave no records behind (the empty set's name stays known to
    the cluster until it restarts). The embedded server is left as it is.
    """
    set_name = f"t_{uuid.uuid4().hex[:16]}"
    yield set_name

    if os.environ.get(HOSTS_ENV):
        # Truncate spares records written in its own millisecond; step past it.
        time.sleep(0.002)
        aerospike_client.truncate(aerospike_namespace, set_name)
