"""Fixtures for the conformance suite: raw aerospike-py calls against any Aerospike server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aerospike_py
import pytest

Key = tuple[str, str, Any]


@pytest.fixture
def client(aerospike_client: aerospike_py.Client) -> aerospike_py.Client:
    return aerospike_client


@pytest.fixture
def key(aerospike_namespace: str, aerospike_set: str) -> Callable[[Any], Key]:
    """Build a key in this test's own set."""

    def make(user_key: Any) -> Key:
        return (aerospike_namespace, aerospike_set, user_key)

    return make
