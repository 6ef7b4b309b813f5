"""Type stubs for the native embedded Aerospike-compatible server."""

from collections.abc import Mapping, Sequence
from typing import final

from typing_extensions import Self

__all__ = ["Server", "ServerError"]

class ServerError(Exception):
    """The embedded server could not start (bad setting or address in use)."""

@final
class Server:
    """A single-node server speaking the Aerospike wire protocol, in this process.

    It starts serving on background threads as soon as it is constructed and keeps all
    records in memory. There is no authentication, so it listens on loopback unless
    ``allow_non_loopback`` is set. Idle connections are never closed; a peer that stops
    for 30 seconds in the middle of sending a request is disconnected.

    Args:
        host: IP address to listen on (``"localhost"`` means ``127.0.0.1``).
        port: TCP port; 0 lets the OS choose one (read it back from ``port``).
        namespaces: Namespaces served (default ``["test"]``; 1-31 bytes each, no
            ``:;=``, tabs or newlines).
        cluster_name: Answer to the ``cluster-name`` info command; None answers
            ``null``, which clients that set no cluster name accept.
        default_ttl: TTL in seconds for writes that ask for the namespace default
            (0 means never expire; at most ten years, 315,360,000 s). Either one value
            for every namespace, or a mapping of namespace name to TTL (namespaces
            left out never expire).
        max_record_size: Largest record in bytes (bins, bin names, set name and
            stored key); larger writes fail with result code 13.
        max_frame_bytes: Largest request body in bytes (default 128 MiB, above the
            client's 120 MiB buffer limit); a larger frame gets result code 4 and
            the connection is closed, before anything is allocated for it.
        max_connections: Open connections beyond this many (default 1024) are
            closed as soon as they are accepted.
        allow_non_loopback: Permit a non-loopback ``host``.

    Raises:
        ServerError: A setting is out of range or the address cannot be bound.
    """

    def __new__(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        namespaces: Sequence[str] = ...,
        *,
        cluster_name: str | None = None,
        default_ttl: int | Mapping[str, int] = 0,
        max_record_size: int = 1048576,
        max_frame_bytes: int = 134217728,
        max_connections: int = 1024,
        allow_non_loopback: bool = False,
    ) -> Self: ...
    @property
    def port(self) -> int:
        """The bound TCP port."""
    @property
    def host(self) -> str:
        """The bound IP address."""
    def stop(self) -> None:
        """Close the listener and every connection; calling it again does nothing."""
    def is_running(self) -> bool:
        """Whether the server still accepts connections."""
