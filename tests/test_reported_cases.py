"""The ten failure cases of issue 3, each with the exact values the issue states.

Every case runs through aerorepo's public API against the test server (the embedded
one unless AEROSPIKE_HOSTS is set) and, where it concerns what is really stored,
reads or writes the same record with a plain aerospike-py client too.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Annotated, Any, cast

import aerospike_py
import pydantic
import pytest
from pydantic import BaseModel, Field

from aerorepo import (
    TTL_KEEP_CURRENT,
    TTL_NAMESPACE_DEFAULT,
    TTL_NEVER_EXPIRE,
    EmbeddedServer,
    IntegerRangeError,
    InvalidTTLError,
    Key,
    Model,
    ModelDefinitionError,
    Repository,
    ValueConversionError,
    ops,
)

NEVER_ON_THE_WIRE = 4294967295  # the TTL aerospike-py reports for never-expire


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


class Basket(Model, namespace="test", set_name="baskets"):
    basket_id: Annotated[int, Key()]
    items: dict[str, int] = Field(default_factory=dict)
    prices: dict[str, float] = Field(default_factory=dict)
    last: float = 0.0


class Stats(Model, namespace="test", set_name="stats"):
    stats_id: Annotated[int, Key()]
    hist: dict[int, int] = Field(default_factory=dict)
    by_color: dict[Color, int] = Field(default_factory=dict)


class Place(BaseModel):
    name_of_the_street_of_the_place: str
    house_number_within_the_street: int


class Reading(Model, namespace="test", set_name="readings"):
    reading_id: Annotated[int, Key()]
    temp_avg: float = Field(default=0.0, alias="température_mo")
    place: Place | None = None


class Event(Model, namespace="test", set_name="events"):
    event_id: Annotated[int, Key()]
    at: dt.datetime | None = None


class Account(Model, namespace="test", set_name="accounts", send_key=True):
    account_id: Annotated[int, Key()]
    display_name: str = Field(default="", alias="dname")
    login_count: int = Field(default=0, alias="logins")


class Visitor(Model, namespace="test", set_name="visitors"):
    visitor_id: Annotated[int, Key()]
    name: str = ""
    visits: int | None = None
    nickname: str | None = None


class Counter(Model, namespace="test", set_name="counters"):
    counter_id: Annotated[int, Key()]
    value: int | None = None


B: Any = Basket  # class attributes as served at run time
S: Any = Stats
A: Any = Account
V: Any = Visitor
C: Any = Counter


@pytest.fixture
def make_repo(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> Callable[[type[Any]], Repository[Any]]:
    def make(model: type[Any]) -> Repository[Any]:
        return Repository(model, aerospike_client, set_name=aerospike_set)

    return make


def raw_key(repo: Repository[Any], key: Any) -> tuple[str, str, Any]:
    return (repo.namespace, repo.set_name, key)


# Case 1: several operations on one bin in one operate.


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param({}, (0, None), id="empty-map"),
        pytest.param({"apple": 3, "pear": 1}, (2, 3), id="apple-and-pear"),
    ],
)
def test_case1_size_and_get_by_key_on_one_bin_give_two_results(
    make_repo: Callable[[type[Any]], Repository[Any]],
    items: dict[str, int],
    expected: tuple[int, int | None],
) -> None:
    baskets = make_repo(Basket)
    baskets.insert(Basket(basket_id=1, items=items))
    size, apple = B.items.size(), B.items.get_by_key("apple")

    result = baskets.operate(1, size, apple)

    assert len(result) == 2
    assert (result[size], result[apple]) == expected
    assert (result[0], result[1]) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param({"a": [1, 2]}, ([1, 2], None), id="list-and-missing"),
        pytest.param({"b": [5, 6]}, (None, [5, 6]), id="missing-and-list"),
        pytest.param({"a": [1, 2], "b": [5, 6]}, ([1, 2], [5, 6]), id="two-lists"),
        pytest.param({}, (None, None), id="neither"),
    ],
)
def test_case1_a_single_list_result_is_never_taken_for_a_folded_pair(
    make_repo: Callable[[type[Any]], Repository[Any]],
    items: dict[str, list[int]],
    expected: tuple[Any, Any],
) -> None:
    class Lists(Model, namespace="test", set_name="lists"):
        lists_id: Annotated[int, Key()]
        groups: dict[str, list[int]] = Field(default_factory=dict)

    repo = make_repo(Lists)
    repo.insert(Lists(lists_id=1, groups=items))
    groups: Any = Lists.groups
    get_a, get_b = groups.get_by_key("a"), groups.get_by_key("b")

    result = repo.operate(1, get_a, get_b)

    assert (result[get_a], result[get_b]) == expected


def test_case1_reads_around_a_write_of_their_bin_keep_one_result_each(
    make_repo: Callable[[type[Any]], Repository[Any]],
) -> None:
    counters = make_repo(Counter)
    counters.insert(Counter(counter_id=1, value=7))
    before, write, after = C.value.read(), C.value.delete(), C.value.read()

    result = counters.operate(1, before, write, after, ttl=TTL_NAMESPACE_DEFAULT)

    assert list(result) == [7, None, None]


# Case 2: an integral float stays a float.


def test_case2_integral_floats_are_stored_and_compared_as_floats(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    baskets = make_repo(Basket)
    prices = {"a": 1.0, "b": 2.0, "c": 3.0}
    baskets.insert(Basket(basket_id=1, prices=prices, last=2))

    stored = aerospike_client.get(raw_key(baskets, 1)).bins
    assert (stored["last"], type(stored["last"])) == (2.0, float)
    assert [type(v) for v in stored["prices"].values()] == [float, float, float]

    keys = B.prices.keys_by_value_range(2.0, 2.9)
    assert baskets.operate(1, keys)[keys] == ["b"]

    write = B.last.write(2)
    assert write.to_dict()["val"] == 2.0
    assert type(write.to_dict()["val"]) is float
    baskets.operate(1, write)
    stored = aerospike_client.get(raw_key(baskets, 1)).bins
    assert (stored["last"], type(stored["last"])) == (2.0, float)


# Case 3: the bin-name limit is 15 bytes, not 15 characters.


def test_case3_bin_name_of_16_bytes_in_15_characters_is_refused() -> None:
    with pytest.raises(
        ModelDefinitionError,
        match=r"^TooLong\.temp_avg: bin name 'température_moy' is 16 bytes in UTF-8 "
        r"\(15 characters\); Aerospike allows at most 15 bytes",
    ):

        class TooLong(Model, namespace="test"):
            k: Annotated[int, Key()]
            temp_avg: float = Field(default=0.0, alias="température_moy")


def test_case3_bin_name_of_15_bytes_and_long_nested_names_are_stored(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    readings = make_repo(Reading)
    place = Place(
        name_of_the_street_of_the_place="Main", house_number_within_the_street=5
    )
    readings.insert(Reading(reading_id=1, temp_avg=21.5, place=place))

    bins = aerospike_client.get(raw_key(readings, 1)).bins
    assert len("température_mo".encode()) == 15
    assert bins == {
        "température_mo": 21.5,
        "place": {
            "name_of_the_street_of_the_place": "Main",
            "house_number_within_the_street": 5,
        },
    }
    assert readings.require(1) == Reading(reading_id=1, temp_avg=21.5, place=place)


# Case 4: TTL special values pass through unchanged.


class RecordingClient:
    """Forwards to a real client, recording the TTL of every write call."""

    def __init__(self, client: aerospike_py.Client) -> None:
        self._client = client
        self.ttls: list[tuple[str, Any]] = []

    def put(self, key: Any, bins: Any, meta: Any = None, policy: Any = None) -> Any:
        self.ttls.append(("put", (meta or {}).get("ttl")))
        return self._client.put(key, bins, meta=meta, policy=policy)

    def operate(
        self, key: Any, op_list: Any, meta: Any = None, policy: Any = None
    ) -> Any:
        self.ttls.append(("operate", (meta or {}).get("ttl")))
        return self._client.operate(key, op_list, meta=meta, policy=policy)

    def batch_write(self, records: Any, policy: Any = None, retry: int = 0) -> Any:
        self.ttls.append(("batch_write", (policy or {}).get("ttl")))
        return self._client.batch_write(records, policy, retry)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def recorded(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> tuple[Repository[Visitor], RecordingClient]:
    spy = RecordingClient(aerospike_client)
    client = cast(aerospike_py.Client, spy)
    return Repository(Visitor, client, set_name=aerospike_set), spy


@pytest.mark.parametrize(
    "ttl",
    [
        pytest.param(TTL_NEVER_EXPIRE, id="never-expire"),
        pytest.param(TTL_KEEP_CURRENT, id="keep-current"),
        pytest.param(TTL_NAMESPACE_DEFAULT, id="namespace-default"),
    ],
)
def test_case4_ttl_constants_are_sent_exactly(
    recorded: tuple[Repository[Visitor], RecordingClient], ttl: int
) -> None:
    visitors, spy = recorded

    visitors.upsert(Visitor(visitor_id=1), ttl=ttl)
    visitors.operate(1, V.visits.incr(1), ttl=ttl)
    visitors.upsert_many([Visitor(visitor_id=2)], ttl=ttl)
    visitors.operate(1, ops.touch(ttl))

    assert spy.ttls == [
        ("put", ttl),
        ("operate", ttl),
        ("batch_write", ttl),
        ("operate", ttl),
    ]


def test_case4_never_expire_reads_back_as_the_constant_and_survives_a_resave(
    recorded: tuple[Repository[Visitor], RecordingClient],
    aerospike_client: aerospike_py.Client,
) -> None:
    visitors, spy = recorded
    visitors.insert(Visitor(visitor_id=1), ttl=TTL_NEVER_EXPIRE)
    assert aerospike_client.exists(raw_key(visitors, 1)).meta.ttl == NEVER_ON_THE_WIRE
    assert visitors.meta(1) == visitors.meta(1)
    meta = visitors.meta(1)
    assert meta is not None
    assert meta.ttl == TTL_NEVER_EXPIRE

    visitors.upsert(visitors.require(1).model_copy(update={"visits": 1}))
    visitors.replace(visitors.require(1).model_copy(update={"visits": 2}))
    visitors.upsert_many([visitors.require(1).model_copy(update={"visits": 3})])
    result = visitors.operate(1, V.visits.incr(1))

    assert [ttl for _, ttl in spy.ttls[1:]] == [TTL_KEEP_CURRENT] * 4
    assert result.ttl == TTL_NEVER_EXPIRE
    meta = visitors.meta(1)
    assert meta is not None
    assert (meta.generation, meta.ttl) == (5, TTL_NEVER_EXPIRE)
    assert visitors.get_many([1])[0].unwrap().visits == 4


def test_case4_keep_current_keeps_a_record_s_remaining_ttl(
    make_repo: Callable[[type[Any]], Repository[Any]],
) -> None:
    visitors = make_repo(Visitor)
    visitors.insert(Visitor(visitor_id=1), ttl=1000)
    visitors.upsert(Visitor(visitor_id=1, visits=1), ttl=TTL_KEEP_CURRENT)
    meta = visitors.meta(1)
    assert meta is not None
    assert 990 <= meta.ttl <= 1000


def test_case4_namespace_default_ttl_applies_the_namespace_setting() -> None:
    with EmbeddedServer(default_ttl=3600) as server:
        client = server.connect()
        try:
            visitors = Repository(Visitor, client)
            visitors.upsert(Visitor(visitor_id=1), ttl=TTL_NAMESPACE_DEFAULT)
            meta = visitors.meta(1)
        finally:
            client.close()
    assert meta is not None
    assert 3590 <= meta.ttl <= 3600


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda r: r.insert(Visitor(visitor_id=1), ttl=-5), id="insert"),
        pytest.param(
            lambda r: r.upsert_many([Visitor(visitor_id=1)], ttl=-5), id="many"
        ),
        pytest.param(lambda r: r.operate(1, V.visits.incr(1), ttl=-5), id="operate"),
        pytest.param(lambda r: r.operate(1, ops.touch(-5)), id="touch-op"),
        pytest.param(lambda r: r.touch(1, -5), id="touch"),
    ],
)
def test_case4_ttl_minus_5_is_refused_before_the_call_with_the_allowed_values(
    recorded: tuple[Repository[Visitor], RecordingClient],
    call: Callable[[Repository[Visitor]], Any],
) -> None:
    visitors, spy = recorded
    with pytest.raises(
        InvalidTTLError,
        match=r"TTL -5 is not allowed; use seconds 1 \.\. 315360000 \(TTL_MAX, 10 "
        r"years\), TTL_NEVER_EXPIRE \(-1\), TTL_KEEP_CURRENT \(-2\) or "
        r"TTL_NAMESPACE_DEFAULT \(0\)",
    ):
        call(visitors)
    assert spy.ttls == []
    assert visitors.exists(1) is False


# Case 5: integer map keys stay integers.


def test_case5_int_and_enum_map_keys_are_stored_and_read_as_ints(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    stats = make_repo(Stats)
    stats.insert(Stats(stats_id=1, hist={1: 10, 2: 20}, by_color={Color.RED: 5}))

    bins = aerospike_client.get(raw_key(stats, 1)).bins
    assert bins == {"hist": {1: 10, 2: 20}, "by_color": {1: 5}}
    assert [type(k) for k in bins["hist"]] == [int, int]
    assert [type(k) for k in bins["by_color"]] == [int]

    ten, red = S.hist.get_by_key(1), S.by_color.get_by_key(Color.RED)
    result = stats.operate(1, ten, red)
    assert (result[ten], result[red]) == (10, 5)

    loaded = stats.require(1)
    assert loaded.hist == {1: 10, 2: 20}
    assert loaded.by_color == {Color.RED: 5}
    assert [type(k) for k in loaded.by_color] == [Color]


def test_case5_a_map_written_by_a_plain_client_reads_into_the_model(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    stats = make_repo(Stats)
    aerospike_client.put(raw_key(stats, 2), {"hist": {7: 70}, "by_color": {2: 1}})

    loaded = stats.require(2)

    assert loaded.hist == {7: 70}
    assert loaded.by_color == {Color.BLUE: 1}
    assert type(next(iter(loaded.by_color))) is Color


# Case 6: no naive datetime in, aware out.


def test_case6_a_naive_datetime_is_refused_naming_the_field(
    make_repo: Callable[[type[Any]], Repository[Any]],
) -> None:
    naive = dt.datetime(2019, 1, 1, 12, 0)
    with pytest.raises(
        pydantic.ValidationError,
        match=r"Event\.at: naive datetime 2019-01-01T12:00:00 refused",
    ):
        Event(event_id=1, at=naive)

    events = make_repo(Event)
    with pytest.raises(ValueConversionError, match=r"Event\.at: naive datetime"):
        events.insert(Event.model_construct(event_id=1, at=naive))
    with pytest.raises(ValueConversionError, match=r"Event\.at: .*naive datetime"):
        cast(Any, Event).at.write(naive)
    assert events.exists(1) is False


def test_case6_an_aware_datetime_reloads_equal_and_aware(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    events = make_repo(Event)
    at = dt.datetime(2019, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    events.insert(Event(event_id=1, at=at))

    stored = aerospike_client.get(raw_key(events, 1)).bins["at"]
    assert stored == 1546336800 * 1_000_000
    loaded = events.require(1).at
    assert loaded == at
    assert loaded is not None
    assert loaded.utcoffset() is not None
    assert loaded.timestamp() == 1546336800


# Case 7: aliases round-trip both ways.


def test_case7_aliases_are_the_stored_bin_names_both_ways(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    accounts = make_repo(Account)
    by_name = Account(account_id=1, display_name="Ann", login_count=1)
    by_alias = Account.model_validate({"account_id": 1, "dname": "Ann", "logins": 1})
    assert by_name == by_alias
    accounts.insert(by_name)

    incr = A.login_count.incr(2)
    assert incr.to_dict()["bin"] == "logins"
    accounts.operate(1, incr)

    bins = aerospike_client.get(raw_key(accounts, 1)).bins
    assert bins == {"dname": "Ann", "logins": 3}
    loaded = accounts.require(1)
    assert (loaded.display_name, loaded.login_count) == ("Ann", 3)


# Case 8: a missing key never fails a batch.


@pytest.mark.parametrize(
    ("keys", "statuses"),
    [
        pytest.param([2], ["missing"], id="only-missing"),
        pytest.param([1, 2, 3], ["ok", "missing", "ok"], id="found-missing-found"),
        pytest.param([2, 1, 2], ["missing", "ok", "missing"], id="duplicates"),
    ],
)
def test_case8_get_many_gives_one_outcome_per_requested_key(
    make_repo: Callable[[type[Any]], Repository[Any]],
    keys: list[int],
    statuses: list[str],
) -> None:
    visitors = make_repo(Visitor)
    visitors.insert_many([Visitor(visitor_id=1, name="a"), Visitor(visitor_id=3)])

    outcomes = visitors.get_many(keys)

    assert [o.key for o in outcomes] == keys
    assert [o.status for o in outcomes] == statuses
    assert [o.value.visitor_id if o.ok else None for o in outcomes] == [
        k if s == "ok" else None for k, s in zip(keys, statuses, strict=True)
    ]
    assert all(o.result_code == 2 for o in outcomes if o.missing)


# Case 9: absent, zero, empty and None are different.


def test_case9_absent_bins_read_as_none(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    visitors = make_repo(Visitor)
    aerospike_client.put(raw_key(visitors, 1), {"name": "x"})

    loaded = visitors.require(1)

    assert (loaded.visits, loaded.nickname) == (None, None)


def test_case9_zero_and_empty_are_stored_and_none_write_deletes_only_that_bin(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
) -> None:
    visitors = make_repo(Visitor)
    visitors.insert(Visitor(visitor_id=1, visits=0, nickname=""))
    bins = aerospike_client.get(raw_key(visitors, 1)).bins
    assert (bins["visits"], bins["nickname"]) == (0, "")

    visitors.operate(1, V.nickname.write(None))

    bins = aerospike_client.get(raw_key(visitors, 1)).bins
    assert "nickname" not in bins
    assert bins["visits"] == 0
    loaded = visitors.require(1)
    assert (loaded.visits, loaded.nickname) == (0, None)


# Case 10: integers outside signed 64 bits are refused before the call.

RANGE = r"outside the range Aerospike stores \(-9223372036854775808 \.\. 9223372036854775807"


@pytest.mark.parametrize(
    "value",
    [pytest.param(2**63, id="2**63"), pytest.param(11806979466381907949, id="u64")],
)
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda r, v: r.insert(Counter(counter_id=1, value=v)), id="insert"
        ),
        pytest.param(lambda r, v: r.operate(1, C.value.write(v)), id="write"),
        pytest.param(lambda r, v: r.operate(1, C.value.incr(v)), id="incr"),
        pytest.param(lambda r, v: r.get(v), id="key"),
    ],
)
def test_case10_ints_outside_64_bits_are_refused_with_the_range(
    make_repo: Callable[[type[Any]], Repository[Any]],
    value: int,
    call: Callable[[Repository[Counter], int], Any],
) -> None:
    counters = make_repo(Counter)
    with pytest.raises(IntegerRangeError, match=rf"the int {value} is {RANGE}"):
        call(counters, value)
    assert counters.exists(1) is False


@pytest.mark.parametrize(
    "value",
    [pytest.param(-(2**63), id="-2**63"), pytest.param(2**63 - 1, id="2**63-1")],
)
def test_case10_int64_bounds_round_trip_exactly(
    make_repo: Callable[[type[Any]], Repository[Any]],
    aerospike_client: aerospike_py.Client,
    value: int,
) -> None:
    counters = make_repo(Counter)
    counters.insert(Counter(counter_id=value, value=value))

    assert aerospike_client.get(raw_key(counters, value)).bins == {"value": value}
    assert counters.require(value).value == value
    read = C.value.read()
    assert counters.operate(value, read)[read] == value
