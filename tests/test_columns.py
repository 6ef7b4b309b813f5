"""Model dtypes and columnar reads: masks for missing records and absent bins, widths."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import aerospike_py
import numpy as np
import pytest
from pydantic import BaseModel, Field

from aerorepo import Columns, Key, Model, Repository, Width
from aerorepo.exceptions import ValueConversionError


class Flight(Model, namespace="test", set_name="flights"):
    flight_id: Annotated[int, Key()]
    carrier: Annotated[str, Width(2)]
    dep_delay: float | None = None
    seats: int | None = None
    on_time: bool = False
    origin: str = Field(default="", max_length=3, alias="orig")
    tailnum: str | None = Field(default=None, max_length=6)
    departed: dt.datetime | None = None
    note: str = ""
    legs: list[int] = Field(default_factory=list)


@pytest.fixture
def repo(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> Repository[Flight]:
    return Repository(Flight, aerospike_client, set_name=aerospike_set)


def test_numpy_dtype_is_derived_from_the_fields() -> None:
    assert Flight.numpy_dtype() == np.dtype(
        [
            ("carrier", "U2"),
            ("dep_delay", "f8"),
            ("seats", "i8"),
            ("on_time", "?"),
            ("origin", "U3"),
            ("tailnum", "U6"),
            ("departed", "M8[us]"),
        ]
    )


def test_missing_records_and_absent_bins_are_masked_but_stored_zeros_are_not(
    repo: Repository[Flight],
) -> None:
    repo.upsert_many(
        [
            Flight(flight_id=1, carrier="UA", dep_delay=0.0, seats=0, tailnum=""),
            Flight(flight_id=2, carrier="AA"),
            Flight(
                flight_id=3, carrier="B6", dep_delay=-4.5, seats=180, tailnum="N123"
            ),
        ]
    )
    cols = repo.read_columns([1, 2, 99, 3])

    assert len(cols) == 4
    assert cols.found.tolist() == [True, True, False, True]
    assert cols["flight_id"].tolist() == [1, 2, 99, 3]
    assert isinstance(cols["dep_delay"], np.ma.MaskedArray)
    assert cols["dep_delay"].tolist() == [0.0, None, None, -4.5]
    assert cols["seats"].tolist() == [0, None, None, 180]
    assert cols["tailnum"].tolist() == ["", None, None, "N123"]
    assert cols.mask("dep_delay").tolist() == [False, True, True, False]
    assert cols["carrier"].tolist() == ["UA", "AA", None, "B6"]
    assert cols.mask("carrier").tolist() == [False, False, True, False]
    assert float(cols["dep_delay"].mean()) == pytest.approx(-2.25)


def test_bool_str_and_datetime_columns_have_their_dtypes(
    repo: Repository[Flight],
) -> None:
    when = dt.datetime(2013, 1, 1, 5, tzinfo=dt.timezone.utc)
    repo.upsert_many(
        [
            Flight(
                flight_id=1, carrier="UA", on_time=True, origin="JFK", departed=when
            ),
            Flight(flight_id=2, carrier="ü", on_time=False, origin="é"),
        ]
    )
    cols = repo.read_columns([1, 2])
    assert cols["on_time"].dtype == np.bool_
    assert cols["on_time"].tolist() == [
        True,
        False,
    ]
    assert cols["origin"].dtype == np.dtype("U3")
    assert cols["origin"].tolist() == [
        "JFK",
        "é",
    ]
    assert cols["carrier"].tolist() == ["UA", "ü"]
    assert cols["departed"].dtype == np.dtype("M8[us]")
    assert cols["departed"][0] == np.datetime64("2013-01-01T05:00:00", "us")
    assert cols["departed"].mask.tolist() == [False, True]


def test_generation_and_ttl_columns(repo: Repository[Flight]) -> None:
    repo.upsert_many([Flight(flight_id=1, carrier="UA")])
    cols = repo.read_columns([1, 2])
    assert cols.generations.tolist() == [1, 0]
    assert cols.ttls.tolist()[0] == -1
    assert cols.result_codes.tolist() == [0, 2]


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("UAX", id="ascii"),
        pytest.param("ééé", id="utf8"),
        pytest.param("X" * 9, id="cut"),
    ],
)
def test_a_stored_value_wider_than_declared_raises_instead_of_being_cut(
    repo: Repository[Flight], aerospike_client: aerospike_py.Client, stored: str
) -> None:
    aerospike_client.put((repo.namespace, repo.set_name, 1), {"carrier": stored})
    with pytest.raises(
        ValueConversionError, match=r"Flight\.carrier: stored value .* wider than"
    ):
        repo.read_columns([1])


def test_selected_fields_only_and_refusals(repo: Repository[Flight]) -> None:
    repo.upsert_many([Flight(flight_id=1, carrier="UA", seats=3)])
    cols = repo.read_columns([1], fields=["seats"])
    assert cols.names == ["flight_id", "seats"]
    with pytest.raises(TypeError, match=r"Flight\.note has no column type"):
        repo.read_columns([1], fields=["note"])
    with pytest.raises(KeyError, match="no bin field 'nope'"):
        repo.read_columns([1], fields=["nope"])
    with pytest.raises(KeyError, match=r"no column 'carrier'"):
        cols["carrier"]


def test_read_columns_is_chunked_and_keeps_order(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> None:
    repo = Repository(Flight, aerospike_client, set_name=aerospike_set, chunk_size=3)
    repo.upsert_many([Flight(flight_id=i, carrier="UA", seats=i) for i in range(10)])
    keys = [9, 11, *range(9)]
    cols: Columns = repo.read_columns(keys)
    assert cols["seats"].tolist() == [9, None, *range(9)]
    assert cols.mask("carrier").tolist() == [False, True] + [False] * 9


def test_empty_key_list_gives_empty_columns(repo: Repository[Flight]) -> None:
    cols = repo.read_columns([])
    assert len(cols) == 0
    assert cols["dep_delay"].shape == (0,)


def test_required_bin_absent_from_a_stored_record_is_masked_not_zero(
    repo: Repository[Flight], aerospike_client: Any
) -> None:
    # Written by a plain client (or an older schema): no "seats" and no "carrier".
    aerospike_client.put(repo.key(7), {"dep_delay": 1.5})
    repo.upsert(Flight(flight_id=8, carrier="UA", seats=0))

    cols = repo.read_columns([7, 8])

    assert cols.found.tolist() == [True, True]
    assert cols["seats"].tolist() == [None, 0]
    assert cols["carrier"].tolist() == [None, "UA"]
    assert cols["dep_delay"].tolist() == [1.5, None]


class Point(BaseModel):
    x: int = 0


class Wide(Model, namespace="test", set_name="wide"):
    wide_id: Annotated[int, Key()]
    n: int = 0
    text: str = ""
    maybe: str | None = None
    parts: list[int] = Field(default_factory=list)
    attrs: dict[str, int] = Field(default_factory=dict)
    point: Point | None = None


STR_FIX = r"use Annotated\[str, Width\(n\)\] \(or Field\(max_length=n\)\) for "
OTHER_FIX = r"read {0} with get_many\(\), or store it in a field of a column type"


@pytest.mark.parametrize(
    ("field", "fix"),
    [
        pytest.param("text", STR_FIX + "text", id="str-without-width"),
        pytest.param("maybe", STR_FIX + "maybe", id="optional-str-without-width"),
        pytest.param("parts", OTHER_FIX.format("parts"), id="list"),
        pytest.param("attrs", OTHER_FIX.format("attrs"), id="dict"),
        pytest.param("point", OTHER_FIX.format("point"), id="nested-model"),
    ],
)
def test_a_field_without_a_column_type_is_refused_and_its_column_says_why(
    aerospike_client: aerospike_py.Client, aerospike_set: str, field: str, fix: str
) -> None:
    repo = Repository(Wide, aerospike_client, set_name=aerospike_set)
    repo.upsert(Wide(wide_id=1, n=2))
    reason = (
        rf"Wide\.{field} has no column type; columns exist for int, float, bool, "
        rf"datetime, date and str with a width; {fix}"
    )

    with pytest.raises(TypeError, match=rf"^{reason}$"):
        repo.read_columns([1], fields=[field])
    with pytest.raises(KeyError, match=rf"no column '{field}': {reason}; columns are"):
        repo.read_columns([1])[field]


def test_column_lookup_explains_fields_left_out_and_bin_names(
    repo: Repository[Flight],
) -> None:
    repo.upsert(Flight(flight_id=1, carrier="UA", seats=3))
    cols = repo.read_columns([1], fields=["seats", "flight_id"])

    assert cols.names == ["flight_id", "seats"]
    with pytest.raises(
        KeyError, match=r"no column 'carrier': carrier was not among the fields read"
    ):
        cols["carrier"]
    with pytest.raises(
        KeyError, match=r"no column 'orig': 'orig' is the bin name of field origin"
    ):
        cols["orig"]


def test_asking_for_a_bin_name_instead_of_a_field_name_says_which_field(
    repo: Repository[Flight],
) -> None:
    with pytest.raises(
        KeyError, match=r"no bin field 'orig' \(it is the bin of field 'origin'\)"
    ):
        repo.read_columns([1], fields=["orig"])


@pytest.mark.parametrize(
    ("bins", "field", "kind", "said"),
    [
        pytest.param(
            {"seats": "many"},
            "seats",
            "int",
            "cannot write string to numeric field 'seats'",
            id="str-in-int",
        ),
        pytest.param(
            {"dep_delay": "late"},
            "dep_delay",
            "float",
            "cannot write string to numeric field 'dep_delay'",
            id="str-in-float",
        ),
        pytest.param(
            {"carrier": 5},
            "carrier",
            "str",
            "cannot write integer to bytes field 'carrier'",
            id="int-in-str",
        ),
        pytest.param(
            {"dep_delay": {"a": 1}},
            "dep_delay",
            "float",
            "unsupported Aerospike value type for numpy field 'dep_delay'",
            id="map-in-float",
        ),
    ],
)
def test_a_stored_value_of_another_type_names_the_field_bin_and_key(
    repo: Repository[Flight],
    aerospike_client: aerospike_py.Client,
    bins: dict[str, Any],
    field: str,
    kind: str,
    said: str,
) -> None:
    repo.upsert(Flight(flight_id=1, carrier="UA", seats=1, dep_delay=1.0))
    aerospike_client.put(repo.key(2), {"carrier": "AA", **bins})
    repo.upsert(Flight(flight_id=3, carrier="B6", seats=1, dep_delay=1.0))

    with pytest.raises(
        ValueConversionError,
        match=rf"^Flight\.{field} \(bin '{field}'\): a stored value does not match the "
        rf"declared type {kind} in the record\(s\) with key 2 of test\.t_\w+ "
        rf"\(aerospike-py: {said}\); fix the stored records or the field's type$",
    ):
        repo.read_columns([1, 2, 3])
