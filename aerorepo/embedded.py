"""Run the native Aerospike-compatible server inside this process."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import aerospike_py

from aerorepo._native import Server, ServerError
from aerorepo.exceptions import EmbeddedServerError

DEFAULT_MAX_RECORD_SIZE: Final = 1024 * 1024
DEFAULT_MAX_FRAME_BYTES: Final = 128 * 1024 * 1024
DEFAULT_MAX_CONNECTIONS: Final = 15_000
#: Most keys in one batch request; 0 = no limit, a real server's default.
DEFAULT_MAX_BATCH_KEYS: Final = 0
DEFAULT_FRAME_TIMEOUT: Final = 30.0
#: Seconds between background sweeps that remove expired records.
DEFAULT_NSUP_PERIOD: Final = 1.0
#: Largest TCP port.
MAX_PORT: Final = 65535


@dataclass(frozen=True)
class NamespaceConfig:
    """Settings of one namespace of an embedded server.

    Args:
        default_ttl: TTL in seconds for writes that ask for the namespace default
            (0 means never expire; at most 315,360,000 s, ten years). None uses the
            server-wide ``default_ttl``.
        max_record_size: Largest record in bytes (64 to 8,388,608, a real server's
            range); bigger writes fail with result code 13. None uses the server-wide
            ``max_record_size``.
    """

    default_ttl: int | None = None
    max_record_size: int | None = None

    @classmethod
    def from_mapping(cls, name: str, settings: Mapping[str, int]) -> NamespaceConfig:
        """Build from a mapping such as ``{"default_ttl": 60}``.

        Raises:
            TypeError: The mapping has a key other than the two settings.
        """
        unknown = sorted(set(settings) - {"default_ttl", "max_record_size"})
        if unknown:
            raise TypeError(
                f"namespace {name!r} has unknown settings {unknown}; "
                "use default_ttl and max_record_size"
            )
        return cls(settings.get("default_ttl"), settings.get("max_record_size"))


#: What ``EmbeddedServer(namespaces=...)`` accepts for each namespace's settings.
NamespaceSettings = NamespaceConfig | Mapping[str, int]


class ServerClock:
    """The clock of a running embedded server: void times and expiry follow it.

    It is the system time plus an offset; moving the offset makes records expire
    without waiting. Records are hidden as soon as their void time passes; the
    background sweep removes them within ``nsup_period`` seconds (or call
    `EmbeddedServer.expire_now`).
    """

    def __init__(self, server: Server) -> None:
        self._server = server

    def now(self) -> float:
        """The server time in seconds since the Unix epoch, offset included."""
        return self._server.clock_now()

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (negative moves it back).

        Raises:
            EmbeddedServerError: The move would put the clock before 2010-01-01 (the
                Aerospike epoch) or ``seconds`` is not finite.
        """
        try:
            self._server.advance_clock(seconds)
        except ServerError as exc:
            raise EmbeddedServerError(str(exc)) from exc

    @property
    def offset(self) -> float:
        """Seconds the clock runs ahead of the system time (negative: behind)."""
        return self._server.clock_offset

    @offset.setter
    def offset(self, seconds: float) -> None:
        try:
            self._server.clock_offset = seconds
        except ServerError as exc:
            raise EmbeddedServerError(str(exc)) from exc


class EmbeddedServer:
    """Context manager running the native server on 127.0.0.1.

    The server keeps every record in memory and speaks the Aerospike wire protocol, so
    the unchanged ``aerospike_py`` client (or any other Aerospike client) can use it.

    Example:
        >>> with EmbeddedServer() as server:
        ...     client = server.connect()
        ...     client.put(("test", "demo", 1), {"a": 1})
        ...     client.close()

    Args:
        port: TCP port, 0 .. 65535; 0 (the default) lets the OS choose a free one.
        namespaces: Namespaces served: a sequence of names, or a mapping of name to
            its settings (a `NamespaceConfig` or a mapping such as
            ``{"default_ttl": 60, "max_record_size": 131072}``; ``{}`` for none).
        host: IP address to listen on; only loopback unless ``allow_non_loopback``.
        cluster_name: Cluster name reported to clients (and put in ``client_config``).
        default_ttl: TTL in seconds for writes that ask for the namespace default
            (0 means never expire), for every namespace or as a mapping of namespace
            name to TTL.
        max_record_size: Largest record in bytes; bigger writes fail with code 13.
        max_frame_bytes: Largest request body in bytes; bigger frames are refused.
        max_connections: Most connections open at once (default 15,000, a real
            server's ``proto-fd-max``; lowered, with a warning, if the open-file limit
            cannot be raised to fit it). Further connections are closed on accept.
        max_batch_keys: Most keys in one batch request; a larger batch fails with
            result code 151 (a real server's ``batch-max-requests``). 0 (the
            default, as on a real server) means no limit beyond ``max_frame_bytes``.
        allow_non_loopback: Permit listening on a non-loopback address (the server
            has no authentication).
        frame_timeout: Seconds a request may take to arrive in full once its first
            byte has; a slower peer is disconnected.
        idle_timeout: Seconds a connection may sit idle between requests before it is
            closed; None (the default) never closes idle connections, which clients
            expect.
        data_dir: Directory that keeps the records across restarts (one log per
            namespace, compacted at start); None (the default) keeps them in memory.
            Only one server may use a directory at a time.
        fsync: With ``data_dir``, flush every change to the disk before answering it,
            so acknowledged writes survive a power loss; without it (the default) they
            survive the server process being killed, not the machine crashing.
        repair_log: With ``data_dir``, start from the intact prefix of a log that is
            damaged before intact entries, keeping the whole file as
            ``<namespace>.log.damaged`` (``.damaged.1``, ... if that exists). Without
            it (the default) such a start is refused with the file and byte offset. A
            torn last entry (left by a killed process) is always dropped with a
            WARNING.
        nsup_period: Seconds between background sweeps that remove expired records
            (default 1.0); 0 turns the sweep off (expired records stay hidden).
        clock_offset: Seconds the server clock starts ahead of the system time
            (negative: behind); it may not put the clock before 2010-01-01.
    """

    def __init__(
        self,
        port: int = 0,
        namespaces: Sequence[str] | Mapping[str, NamespaceSettings] = ("test",),
        *,
        host: str = "127.0.0.1",
        cluster_name: str | None = None,
        default_ttl: int | Mapping[str, int] = 0,
        max_record_size: int = DEFAULT_MAX_RECORD_SIZE,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_batch_keys: int = DEFAULT_MAX_BATCH_KEYS,
        allow_non_loopback: bool = False,
        frame_timeout: float = DEFAULT_FRAME_TIMEOUT,
        idle_timeout: float | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        fsync: bool = False,
        repair_log: bool = False,
        nsup_period: float = DEFAULT_NSUP_PERIOD,
        clock_offset: float = 0.0,
    ) -> None:
        if isinstance(namespaces, str):
            raise TypeError(
                f"namespaces must be a sequence of names, not the string {namespaces!r}; "
                f"pass ({namespaces!r},)"
            )
        self._requested_port = port
        self._host = host
        settings = _namespace_settings(namespaces)
        self._namespaces = tuple(settings)
        self._cluster_name = cluster_name
        self._options: dict[str, Any] = {
            "default_ttl": _per_namespace(settings, "default_ttl", default_ttl),
            "max_record_size": _per_namespace(
                settings, "max_record_size", max_record_size
            ),
            "data_dir": None if data_dir is None else os.fspath(data_dir),
            "fsync": fsync,
            "repair_log": repair_log,
            "nsup_period": nsup_period,
            "clock_offset": clock_offset,
            "max_frame_bytes": max_frame_bytes,
            "max_connections": max_connections,
            "max_batch_keys": max_batch_keys,
            "allow_non_loopback": allow_non_loopback,
            "frame_timeout": frame_timeout,
            "idle_timeout": idle_timeout,
        }
        self._server: Server | None = None

    def start(self) -> EmbeddedServer:
        """Start serving; does nothing if already running.

        Returns:
            This server, so ``EmbeddedServer().start()`` can be chained.

        Raises:
            EmbeddedServerError: A setting is invalid or the port is taken.
        """
        if self._server is None or not self._server.is_running():
            self._server = self._bind()
        return self

    def _bind(self) -> Server:
        try:
            return Server(
                self._host,
                self._requested_port,
                self._namespaces,
                cluster_name=self._cluster_name,
                **self._options,
            )
        except ServerError as exc:
            raise EmbeddedServerError(str(exc)) from exc
        except (OverflowError, TypeError) as exc:
            raise EmbeddedServerError(self._bad_setting(exc)) from exc

    def _bad_setting(self, exc: Exception) -> str:
        port = self._requested_port
        if not (isinstance(port, int) and 0 <= port <= MAX_PORT):
            return (
                f"port {port!r} is not a TCP port; give 0 .. {MAX_PORT}, or pass "
                "port=0 to let the OS choose a free one"
            )
        return f"a server setting has the wrong type or is out of range: {exc}"

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call more than once."""
        if self._server is not None:
            self._server.stop()

    def is_running(self) -> bool:
        """Whether the server is started and accepting connections."""
        return self._server is not None and self._server.is_running()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port being served (the OS-chosen one when started with port 0)."""
        return self._running().port

    @property
    def host(self) -> str:
        """The IP address being served."""
        return self._running().host

    @property
    def clock(self) -> ServerClock:
        """The server clock; advance it to make records expire without sleeping."""
        return ServerClock(self._running())

    def advance_clock(self, seconds: float) -> None:
        """Move the server clock forward by ``seconds`` (negative moves it back).

        Raises:
            EmbeddedServerError: The move would put the clock before 2010-01-01 (the
                Aerospike epoch) or ``seconds`` is not finite.
        """
        self.clock.advance(seconds)

    def expire_now(self) -> int:
        """Remove every record expired by the server clock now; return how many."""
        return self._running().sweep_expired()

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The namespaces served."""
        return self._namespaces

    @property
    def hosts(self) -> list[tuple[str, int]]:
        """The ``hosts`` list for an aerospike_py client config."""
        return [(self.host, self.port)]

    @property
    def client_config(self) -> dict[str, Any]:
        """A complete aerospike_py client config for this server."""
        config: dict[str, Any] = {"hosts": self.hosts}
        if self._cluster_name is not None:
            config["cluster_name"] = self._cluster_name
        return config

    def connect(self) -> aerospike_py.Client:
        """Return an aerospike_py client connected to this server; close it when done."""
        return aerospike_py.client(self.client_config).connect()

    def _running(self) -> Server:
        if self._server is None:
            raise RuntimeError(
                "the embedded server is not started; call start() or use it in a with block"
            )
        return self._server

    def __repr__(self) -> str:
        if self._server is None:
            return f"EmbeddedServer(host={self._host!r}, not started)"
        state = "running" if self._server.is_running() else "stopped"
        return f"EmbeddedServer(host={self.host!r}, port={self.port}, {state})"


def _namespace_settings(
    namespaces: Sequence[str] | Mapping[str, NamespaceSettings],
) -> dict[str, NamespaceConfig]:
    if not isinstance(namespaces, Mapping):
        _refuse_duplicates(list(namespaces))
        return {name: NamespaceConfig() for name in namespaces}
    return {name: _as_config(name, cfg) for name, cfg in namespaces.items()}


def _refuse_duplicates(names: Sequence[str]) -> None:
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise EmbeddedServerError(
            f"namespace {twice[0]!r} is listed twice in {list(names)!r}; list each "
            "namespace once"
        )


def _as_config(name: str, settings: NamespaceSettings) -> NamespaceConfig:
    if isinstance(settings, NamespaceConfig):
        return settings
    return NamespaceConfig.from_mapping(name, settings)


def _per_namespace(
    settings: Mapping[str, NamespaceConfig],
    field: str,
    server_wide: int | Mapping[str, int],
) -> int | dict[str, int]:
    """One value for all namespaces, or a mapping when some namespace has its own."""
    values = {name: getattr(config, field) for name, config in settings.items()}
    own = {name: value for name, value in values.items() if value is not None}
    if not own:
        return server_wide if isinstance(server_wide, int) else dict(server_wide)
    base = dict(server_wide) if not isinstance(server_wide, int) else {}
    fallback = server_wide if isinstance(server_wide, int) else None
    merged = {n: base.get(n, fallback) for n in settings}
    merged.update(own)
    return {n: v for n, v in merged.items() if v is not None}
