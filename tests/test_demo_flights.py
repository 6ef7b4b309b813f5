"""The flights job on a subset, checked against pandas on the same CSV rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from aerorepo.demo.data import data_dir, read_table
from aerorepo.demo.flights import carrier_table, format_table, load_flights, run

LIMIT = 4_000


def pandas_table(limit: int) -> pd.DataFrame:
    flights = pd.read_csv(data_dir() / "flights.csv.zip", nrows=limit)
    return flights.groupby("carrier").agg(
        flights=("flight", "size"), dep=("dep_delay", "mean"), arr=("arr_delay", "mean")
    )


@pytest.fixture(scope="module")
def report(aerospike_client: Any) -> Any:
    return run(aerospike_client, limit=LIMIT, progress=False)


def test_carrier_table_equals_pandas_on_the_same_rows(report: Any) -> None:
    expected = pandas_table(LIMIT)

    assert [row.carrier for row in report.table] == list(expected.index)
    for row in report.table:
        want = expected.loc[row.carrier]
        assert row.flights == want["flights"], row.carrier
        np.testing.assert_allclose(row.mean_dep_delay, want["dep"], rtol=1e-12)
        np.testing.assert_allclose(row.mean_arr_delay, want["arr"], rtol=1e-12)


def test_subset_has_missing_delays_so_masks_matter() -> None:
    flights = pd.read_csv(data_dir() / "flights.csv.zip", nrows=LIMIT)

    assert flights["dep_delay"].isna().sum() > 0
    assert flights["arr_delay"].isna().sum() > flights["dep_delay"].isna().sum()


def test_job_counts_every_flight_once(report: Any) -> None:
    assert report.counts["flights"] == LIMIT
    assert report.counts["flights read back"] == LIMIT
    assert report.counts["route log entries"] == LIMIT


def test_plane_counters_equal_flights_on_known_planes(report: Any) -> None:
    planes = {row["tailnum"] for row in read_table("planes")}
    flights = pd.read_csv(data_dir() / "flights.csv.zip", nrows=LIMIT)

    expected = int(flights["tailnum"].isin(planes).sum())

    assert report.counts["plane flights counted"] == expected


def test_rerun_restarts_counters_from_zero(aerospike_client: Any, report: Any) -> None:
    again = run(aerospike_client, limit=LIMIT, progress=False)

    assert again.counts == report.counts
    assert again.table == report.table


def test_job_times_each_step(report: Any) -> None:
    assert {"store flights", "read columns", "carrier table"} <= set(report.timings)
    assert all(seconds >= 0 for seconds in report.timings.values())


def test_missing_delays_are_left_out_not_counted_as_zero() -> None:
    carriers = np.array(["AA", "AA", "UA"])
    dep = np.ma.masked_array([10.0, 0.0, 5.0], mask=[False, True, False])
    arr = np.ma.masked_array([0.0, 0.0, 0.0], mask=[True, True, True])

    rows = carrier_table(carriers, dep, arr, {"AA": "American"})

    assert [(r.carrier, r.flights, r.mean_dep_delay) for r in rows] == [
        ("AA", 2, 10.0),
        ("UA", 1, 5.0),
    ]
    assert all(np.isnan(r.mean_arr_delay) for r in rows)
    assert rows[0].name == "American"


def test_load_flights_reads_na_as_none() -> None:
    flights = load_flights(limit=1_000)
    expected = pd.read_csv(data_dir() / "flights.csv.zip", nrows=1_000)

    assert len(flights) == 1_000
    assert (
        sum(f.dep_delay is None for f in flights) == expected["dep_delay"].isna().sum()
    )
    assert flights[0].carrier == expected["carrier"][0]
    assert flights[0].time_hour.utcoffset() is not None


def test_format_table_shows_each_carrier(report: Any) -> None:
    text = format_table(report.table)

    assert text.splitlines()[0].startswith("carrier")
    assert len(text.splitlines()) == len(report.table) + 2
