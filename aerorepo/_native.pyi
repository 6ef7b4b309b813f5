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
    ``allow_non_loopback`` is set. Idle connections are never closed unless
    ``idle_timeout`` is set; a peer that has not sent a whole request within
    ``frame_timeout`` seconds of its first byte is disconnected.

    Every value is checked before it is stored, so anything stored can be read back
    by aerospike-py: malformed lists and maps are refused with result code 1 (as a
    real server does), malformed GeoJSON with 160, and values the client could not
    read (unknown or legacy particle types, strings that are not UTF-8, nesting
    deeper than 64 levels, user keys other than integer, string or blob) with 4.

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
        max_record_size: Largest record in bytes, counted as a real server counts
            its flat record size (64 to 8,388,608, a real server's range); larger
            writes fail with result code 13.
            Either one value for every namespace, or a mapping of namespace name to
            size (namespaces left out get 1 MiB).
        max_frame_bytes: Largest request body in bytes (default 128 MiB, above the
            client's 120 MiB buffer limit); a larger frame gets result code 4 and
            the connection is closed, before anything is allocated for it.
        max_connections: Open connections beyond this many (default 15,000, a real
            server's ``proto-fd-max`` default) are closed as soon as they are
            accepted. At start the open-file soft limit is raised (up to the hard
            limit) to fit them plus 64 spare descriptors; if it cannot be, the cap is
            lowered to what fits and one WARNING is logged.
        max_batch_keys: Most keys in one batch request; a larger batch fails as a
            whole with result code 151, as a real server's ``batch-max-requests``
            does. 0 (the default, as on a real server) sets no limit beyond
            ``max_frame_bytes``; answers are streamed in chunks either way.
        allow_non_loopback: Permit a non-loopback ``host``.
        frame_timeout: Seconds (above 0, default 30) for a whole request, header
            and body, to arrive once its first byte has; slower peers are
            disconnected however they pace their bytes.
        idle_timeout: Seconds (above 0) a connection may wait between requests
            before it is closed; None (the default) keeps idle connections open,
            as aerospike-py expects (it does not retry writes on a closed one).
        data_dir: Directory holding one append-only log per namespace, replayed and
            compacted at start; None keeps records in memory only. A lock file stops
            a second server from using the same directory.
        fsync: With ``data_dir``, ``fdatasync`` each change before answering (survives
            power loss); otherwise each change is written to the OS before the
            answer (survives the process being killed).
        repair_log: With ``data_dir``, start from the intact prefix of a log damaged
            before intact entries (the whole file is kept as ``<log>.damaged[.N]``)
            instead of refusing to start. A torn last entry is always dropped.
        nsup_period: Seconds (0 turns it off, default 1) between sweeps removing
            expired records.
        clock_offset: Seconds the server clock starts ahead of the system time
            (negative: behind); it may not put the clock before 2010-01-01.

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
        max_record_size: int | Mapping[str, int] = 1048576,
        max_frame_bytes: int = 134217728,
        max_connections: int = 15000,
        max_batch_keys: int = 0,
        allow_non_loopback: bool = False,
        frame_timeout: float = 30.0,
        idle_timeout: float | None = None,
        data_dir: str | None = None,
        fsync: bool = False,
        repair_log: bool = False,
        nsup_period: float = 1.0,
        clock_offset: float = 0.0,
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
    def advance_clock(self, seconds: float) -> None:
        """Move the server clock by ``seconds`` (negative moves it back).

        Raises:
            ServerError: The clock would move before 2010-01-01 (the Aerospike epoch).
        """
    @property
    def clock_offset(self) -> float:
        """Seconds the server clock runs ahead of the system time."""
    @clock_offset.setter
    def clock_offset(self, seconds: float) -> None: ...
    def clock_now(self) -> float:
        """The server time in seconds since the Unix epoch, offset included."""
    def sweep_expired(self) -> int:
        """Remove every record expired by the server clock now; return how many."""
