"""Where the cluster is: the ``AEROSPIKE_HOSTS`` setting and its parsing."""

from __future__ import annotations

from typing import Final

HOSTS_ENV: Final = "AEROSPIKE_HOSTS"
DEFAULT_PORT: Final = 3000


def parse_hosts(text: str) -> list[tuple[str, int]]:
    """Parse ``host:port[,host:port]`` into aerospike-py's ``hosts`` list.

    A host without a port gets 3000. IPv6 addresses go in brackets: ``[::1]:3000``.

    Raises:
        ValueError: an entry is empty, has no host, or its port is not a number from
            1 to 65535.
    """
    hosts = [_parse_one(entry.strip(), text) for entry in text.split(",")]
    if not hosts:
        raise ValueError(f"{HOSTS_ENV} is empty; set it to host:port[,host:port]")
    return hosts


def _parse_one(entry: str, text: str) -> tuple[str, int]:
    if not entry:
        raise ValueError(
            f"{HOSTS_ENV}={text!r} has an empty entry; use host:port[,host:port]"
        )

    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        sep, port_text = rest[:1], rest[1:]
    else:
        host, sep, port_text = entry.partition(":")

    if not host:
        raise ValueError(f"{HOSTS_ENV} entry {entry!r} has no host; use host:port")
    port = _parse_port(port_text, entry) if sep else DEFAULT_PORT
    return host, port


def _parse_port(port_text: str, entry: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(
            f"{HOSTS_ENV} entry {entry!r} has port {port_text!r}; "
            "give a number from 1 to 65535, as in 127.0.0.1:3000"
        )
    return int(port_text)
