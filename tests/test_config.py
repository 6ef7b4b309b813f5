"""Parsing AEROSPIKE_HOSTS."""

from __future__ import annotations

import pytest

from aerorepo._config import parse_hosts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("127.0.0.1:3000", [("127.0.0.1", 3000)], id="one"),
        pytest.param("a:3000, b:3100", [("a", 3000), ("b", 3100)], id="two-with-space"),
        pytest.param("db.local", [("db.local", 3000)], id="default-port"),
        pytest.param("[::1]:3001", [("::1", 3001)], id="ipv6"),
    ],
)
def test_parse_hosts_accepts_host_port_lists(
    text: str, expected: list[tuple[str, int]]
) -> None:
    assert parse_hosts(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a:port", "port 'port'", id="not-a-number"),
        pytest.param("a:70000", "port '70000'", id="out-of-range"),
        pytest.param("a:3000,,b:3000", "empty entry", id="empty-entry"),
        pytest.param("", "empty entry", id="empty"),
        pytest.param(":3000", "no host", id="no-host"),
        pytest.param("host:", "port ''", id="empty-port"),
    ],
)
def test_parse_hosts_refuses_bad_entries(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hosts(text)
