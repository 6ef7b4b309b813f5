"""The embedded server's speed through the real aerospike-py client, in its own process.

Run with ``.venv/bin/python benchmarks/bench_server.py [--seconds S]``. It starts
``aerorepo serve`` in a child process (or, with ``AEROSPIKE_HOSTS`` set, measures that
server instead, for a side-by-side figure; ``--server-pid`` then names its process),
then runs single-record put, get and operate and ``batch_read`` of 1,000 keys for a
fixed time each. Besides calls per second it reports where the time went: the server's
CPU time per call (read from /proc) against the client process's own CPU time. Results
go to stdout and, unless ``--no-write``, to ``docs/server-performance.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aerospike_py

from aerorepo._config import HOSTS_ENV, parse_hosts

REPORT = Path(__file__).resolve().parent.parent / "docs" / "server-performance.md"
READY = re.compile(r"ready on 127\.0\.0\.1:(\d+)")
KEYS = 10_000
BATCH = 1_000


@dataclass(frozen=True)
class Figure:
    name: str
    calls: int
    seconds: float
    client_cpu: float
    server_cpu: float | None

    @property
    def rate(self) -> float:
        return self.calls / self.seconds


@contextmanager
def served(
    server_pid: int | None,
) -> Iterator[tuple[list[tuple[str, int]], int | None]]:
    """Yield the hosts to measure and the server's pid (given, or of a child server)."""
    configured = os.environ.get(HOSTS_ENV)
    if configured:
        yield parse_hosts(configured), server_pid
        return

    command = [sys.executable, "-m", "aerorepo", "serve", "--port", "0"]
    env = {k: v for k, v in os.environ.items() if k != HOSTS_ENV}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        match = READY.search(child.stdout.readline())
        if match is None:
            raise RuntimeError("aerorepo serve did not report ready")
        yield [("127.0.0.1", int(match.group(1)))], child.pid
    finally:
        child.terminate()
        child.wait(timeout=10)


def process_cpu(pid: int | None) -> float | None:
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(
    name: str, seconds: float, pid: int | None, call: Callable[[int], Any]
) -> Figure:
    """Run ``call(i)`` for i = 0, 1, ... for about ``seconds`` and measure it."""
    server_before, client_before = process_cpu(pid), time.process_time()
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            call(calls)
            calls += 1
    elapsed = time.perf_counter() - start
    server_after = process_cpu(pid)
    server = None
    if server_before is not None and server_after is not None:
        server = server_after - server_before
    return Figure(name, calls, elapsed, time.process_time() - client_before, server)


def measure(client: Any, seconds: float, pid: int | None) -> list[Figure]:
    keys = [("test", "bench_server", i) for i in range(KEYS)]
    bins = {"n": 1, "s": "a short string", "f": 1.5}
    for key in keys:
        client.put(key, bins)
    incr = [{"op": aerospike_py.OPERATOR_INCR, "bin": "n", "val": 1}]
    batches = [keys[i : i + BATCH] for i in range(0, KEYS, BATCH)]

    return [
        timed("put", seconds, pid, lambda i: client.put(keys[i % KEYS], bins)),
        timed("get", seconds, pid, lambda i: client.get(keys[i % KEYS])),
        timed(
            "operate (incr)",
            seconds,
            pid,
            lambda i: client.operate(keys[i % KEYS], incr),
        ),
        timed(
            f"batch_read of {BATCH:,} keys",
            seconds,
            pid,
            lambda i: client.batch_read(batches[i % len(batches)]).to_list(),
        ),
    ]


def render(figures: list[Figure], where: str) -> str:
    lines = [
        "# Embedded server performance",
        "",
        f"Calls per second through aerospike-py 0.14 against {where}, client and",
        "server in separate processes on one machine",
        f"({platform.machine()}, {os.cpu_count()} cores). The CPU columns show where the",
        "time went, in microseconds per call.",
        "Produced by `.venv/bin/python benchmarks/bench_server.py`.",
        "",
        "| call | calls/s | client CPU µs/call | server CPU µs/call |",
        "| --- | ---: | ---: | ---: |",
    ]
    for f in figures:
        server = (
            "n/a" if f.server_cpu is None else f"{f.server_cpu / f.calls * 1e6:,.1f}"
        )
        lines.append(
            f"| {f.name} | {f.rate:,.0f} | {f.client_cpu / f.calls * 1e6:,.1f} | {server} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per call kind")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/")
    parser.add_argument(
        "--server-pid",
        type=int,
        default=None,
        help="with AEROSPIKE_HOSTS: the pid of that server, to report its CPU time",
    )
    args = parser.parse_args()

    with served(args.server_pid) as (hosts, pid):
        client = aerospike_py.client({"hosts": hosts}).connect()
        figures = measure(client, args.seconds, pid)
        client.close()
    where = (
        "the server at " + os.environ[HOSTS_ENV]
        if HOSTS_ENV in os.environ
        else ("the embedded server")
    )

    text = render(figures, where)
    print(text)
    if not args.no_write:
        REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
