"""Every repository call against a real server (the embedded one unless AEROSPIKE_HOSTS)."""

from __future__ import annotations

import datetime as dt
import enum
import logging
import time
from typing import Annotated, Any

import aerospike_py
import pytest
from pydantic import Field

from aerorepo import (
    TTL_MAX,
    TTL_NAMESPACE_DEFAULT,
    TTL_NEVER_EXPIRE,
    Generation,
    GenerationError,
    Key,
    Model,
    RecordExistsError,
    RecordNotFoundError,
    Repository,
    Width,
    ops,
)
from aerorepo.exceptions import (
    EmptyRecordError,
    IntegerRangeError,
    InvalidTTLError,
    MissingUserKeyError,
    OperationResultError,
    ValueConversionError,
)


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


class User(Model, namespace="test", set_name="users", send_key=True):
    user_id: Annotated[int, Key()]
    display_name: str = Field(default="", alias="dname")
    login_count: int = Field(default=0, alias="logins")
    visits: int | None = None
    nickname: str | None = None
    score: float | None = None
    big: int | None = None
    born: dt.datetime | None = None
    hist: dict[int, int] = Field(default_factory=dict)
    by_color: dict[Color, int] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    version: Annotated[int, Generation()] = 0


class Code(Model, namespace="test", set_name="codes"):
    code: Annotated[str, Key()]
    label: Annotated[str, Width(3)] = ""


U: Any = User  # class attributes as served at run time


@pytest.fixture
def repo(aerospike_client: aerospike_py.Client, aerospike_set: str) -> Repository[User]:
    return Repository(User, aerospike_client, set_name=aerospike_set)


def raw_key(repo: Repository[Any], key: Any) -> tuple[str, str, Any]:
    return (repo.namespace, repo.set_name, key)


# Single records.


def test_get_of_a_missing_record_is_none_and_require_raises(
    repo: Repository[User],
) -> None:
    assert repo.get(1) is None
    with pytest.raises(
        RecordNotFoundError, match=r"require on test\.t_\w+ key 1"
    ) as info:
        repo.require(1)
    assert info.value.result_code == 2
    assert isinstance(info.value, KeyError)


def test_insert_then_get_round_trips_the_model(repo: Repository[User]) -> None:
    user = User(
        user_id=1,
        dname="Ann",
        logins=2,
        born=dt.datetime(2019, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    )
    repo.insert(user)
    stored = repo.require(1)
    assert stored.model_dump(exclude={"version"}) == user.model_dump(
        exclude={"version"}
    )
    assert stored.version == 1
    assert stored.born is not None
    assert stored.born.timestamp() == 1546336800


def test_insert_on_existing_record_raises_record_exists_with_code_5(
    repo: Repository[User],
) -> None:
    repo.insert(User(user_id=1))
    with pytest.raises(
        RecordExistsError, match=r"insert on test\.t_\w+ key 1 failed"
    ) as info:
        repo.insert(User(user_id=1))
    assert info.value.result_code == 5
    assert isinstance(info.value.__cause__, aerospike_py.AerospikeError)


def test_update_on_missing_record_raises_record_not_found_with_code_2(
    repo: Repository[User],
) -> None:
    with pytest.raises(RecordNotFoundError, match=r"update on .* key 9 failed") as info:
        repo.update(User(user_id=9))
    assert info.value.result_code == 2


def test_update_keeps_undeclared_bins_and_replace_drops_them(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    aerospike_client.put(raw_key(repo, 1), {"dname": "a", "extra": 1})
    repo.update(User(user_id=1, dname="b"))
    assert aerospike_client.get(raw_key(repo, 1)).bins["extra"] == 1
    repo.replace(User(user_id=1, dname="c"))
    assert "extra" not in aerospike_client.get(raw_key(repo, 1)).bins


def test_upsert_creates_then_overwrites_and_removes_none_bins(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    repo.upsert(User(user_id=1, nickname="n", visits=3))
    repo.upsert(User(user_id=1, nickname=None, visits=0))
    assert aerospike_client.get(raw_key(repo, 1)).bins == {
        "dname": "",
        "logins": 0,
        "visits": 0,
        "hist": {},
        "by_color": {},
        "tags": [],
    }


def test_generation_field_enables_optimistic_locking(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    first = repo.require(1)
    second = repo.require(1)
    repo.update(first.model_copy(update={"visits": 1}))
    with pytest.raises(GenerationError, match=r"update on .* key 1 failed") as info:
        repo.update(second.model_copy(update={"visits": 2}))
    assert info.value.result_code == 3
    assert repo.require(1).visits == 1


def test_delete_reports_whether_the_record_existed(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    assert repo.delete(1) is True
    assert repo.delete(1) is False
    assert repo.exists(1) is False


def test_delete_with_a_stale_generation_raises(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    with pytest.raises(GenerationError, match="delete"):
        repo.delete(1, generation=5)
    assert repo.exists(1)


def test_exists_and_meta(repo: Repository[User]) -> None:
    assert repo.exists(1) is False
    assert repo.meta(1) is None
    repo.insert(User(user_id=1))
    assert repo.exists(1) is True
    meta = repo.meta(1)
    assert meta is not None
    assert meta.generation == 1


def test_touch_sets_ttl_and_missing_record_raises(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1), ttl=TTL_NEVER_EXPIRE)
    repo.touch(1, 100)
    meta = repo.meta(1)
    assert meta is not None
    assert 90 <= meta.ttl <= 100
    with pytest.raises(RecordNotFoundError, match="touch"):
        repo.touch(2, 100)


def test_never_expire_reads_back_as_the_constant_and_survives_a_resave(
    repo: Repository[User],
) -> None:
    repo.insert(User(user_id=1), ttl=TTL_NEVER_EXPIRE)
    assert repo.meta(1) == repo.meta(1)
    meta = repo.meta(1)
    assert meta is not None
    assert meta.ttl == TTL_NEVER_EXPIRE
    repo.upsert(repo.require(1).model_copy(update={"visits": 1}))
    meta = repo.meta(1)
    assert meta is not None
    assert meta.ttl == TTL_NEVER_EXPIRE


def test_ttl_minus_5_is_refused_before_the_call(repo: Repository[User]) -> None:
    with pytest.raises(
        InvalidTTLError, match=r"TTL -5 is not allowed.*\(-1\).*\(-2\).*\(0\)"
    ):
        repo.insert(User(user_id=1), ttl=-5)
    assert repo.exists(1) is False


def test_namespace_default_ttl_is_sent_as_zero(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1), ttl=TTL_NAMESPACE_DEFAULT)
    assert repo.meta(1) is not None


@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param("1", r"User key must be int, got str '1'", id="str-for-int"),
        pytest.param(True, r"User key must be int, got bool True", id="bool"),
        pytest.param(
            2**63, r"User key: the int 9223372036854775808 is outside", id="int-2-63"
        ),
    ],
)
def test_bad_keys_are_refused_before_the_call(
    repo: Repository[User], key: Any, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="aerospike_py"),
        pytest.raises(ValueConversionError, match=message),
    ):
        repo.get(key)
    assert not caplog.records


def test_a_value_of_the_wrong_type_is_refused(repo: Repository[User]) -> None:
    user = User.model_construct(user_id=1, dname=5)
    with pytest.raises(
        ValueConversionError, match=r"User\.display_name: expected str, got int 5"
    ):
        repo.insert(user)
    with pytest.raises(ValueConversionError, match=r"stores User records, got Code"):
        repo.insert(Code(code="x"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [pytest.param(-(2**63), id="min"), pytest.param(2**63 - 1, id="max")],
)
def test_int64_bounds_round_trip_exactly(repo: Repository[User], value: int) -> None:
    repo.insert(User(user_id=1, big=value))
    assert repo.require(1).big == value


@pytest.mark.parametrize(
    "value",
    [pytest.param(2**63, id="2-63"), pytest.param(11806979466381907949, id="u64")],
)
def test_ints_outside_64_bits_are_refused_with_the_range(
    repo: Repository[User], value: int
) -> None:
    with pytest.raises(
        IntegerRangeError, match=r"-9223372036854775808 \.\. 9223372036854775807"
    ):
        repo.insert(User(user_id=1, big=value))
    assert repo.exists(1) is False


def test_debug_log_has_one_line_per_call_and_no_bin_values(
    repo: Repository[User], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="aerorepo"):
        repo.insert(User(user_id=1, nickname="secret-value"))
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("aerorepo")]
    assert lines == [f"put (insert) test.{repo.set_name}"]


# Absent, zero, empty and None (issue case 9) and aliases (case 7).


def test_absent_bins_read_as_none_and_zero_and_empty_are_stored(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    aerospike_client.put(raw_key(repo, 1), {"dname": "x"})
    user = repo.require(1)
    assert (user.visits, user.nickname) == (None, None)

    repo.upsert(User(user_id=2, visits=0, nickname=""))
    assert aerospike_client.get(raw_key(repo, 2)).bins["visits"] == 0
    assert aerospike_client.get(raw_key(repo, 2)).bins["nickname"] == ""

    repo.operate(2, U.nickname.write(None))
    bins = aerospike_client.get(raw_key(repo, 2)).bins
    assert "nickname" not in bins
    assert bins["visits"] == 0


def test_aliases_are_the_only_stored_bin_names(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    repo.insert(User(user_id=1, display_name="Ann", login_count=1))
    repo.operate(1, U.login_count.incr(2))
    bins = aerospike_client.get(raw_key(repo, 1)).bins
    assert (bins["dname"], bins["logins"]) == ("Ann", 3)
    assert "user_id" not in bins
    assert "display_name" not in bins
    assert repo.require(1).login_count == 3


# Integer map keys, floats (cases 2 and 5).


def test_integer_and_enum_map_keys_stay_integers(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    repo.insert(User(user_id=1, hist={1: 10, 2: 20}, by_color={Color.RED: 5}))
    bins = aerospike_client.get(raw_key(repo, 1)).bins
    assert bins["hist"] == {1: 10, 2: 20}
    assert bins["by_color"] == {1: 5}
    assert repo.require(1).by_color == {Color.RED: 5}

    aerospike_client.put(raw_key(repo, 2), {"hist": {7: 70}})
    assert repo.require(2).hist == {7: 70}


def test_integral_float_is_stored_as_float(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    repo.insert(User(user_id=1, score=2))
    stored = aerospike_client.get(raw_key(repo, 1)).bins["score"]
    assert (stored, type(stored)) == (2.0, float)
    repo.operate(1, U.score.write(3))
    stored = aerospike_client.get(raw_key(repo, 1)).bins["score"]
    assert (stored, type(stored)) == (3.0, float)


# Operate.


def test_operate_results_are_addressed_per_operation(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1, visits=1, nickname="a"))
    incr, read_a, read_b = U.visits.incr(2), U.visits.read(), U.visits.read()
    append, read_n = U.nickname.append("b"), U.nickname.read()
    result = repo.operate(1, incr, read_a, append, read_b, read_n)
    assert (result[incr], result[read_a], result[read_b], result[read_n]) == (
        None,
        3,
        3,
        "ab",
    )
    assert list(result) == [None, 3, None, 3, "ab"]
    assert result[1] == 3
    assert result.generation == 2
    assert result.ttl == TTL_NEVER_EXPIRE


def test_operate_keeps_a_single_list_result_whole(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1, tags=["x", "y"]))
    read = U.tags.read()
    assert repo.operate(1, read)[read] == ["x", "y"]


def test_operate_read_of_absent_bin_gives_none(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    read = U.visits.read()
    assert repo.operate(1, read)[read] is None


def test_operate_with_touch_and_delete_record(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    result = repo.operate(1, U.visits.write(1), ops.touch(500))
    assert 490 <= result.ttl <= 500
    repo.operate(1, ops.delete_record())
    assert repo.exists(1) is False


def test_operate_with_a_stale_generation_raises(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    with pytest.raises(GenerationError, match="operate"):
        repo.operate(1, U.visits.write(1), generation=7)


def test_operate_without_operations_is_refused(repo: Repository[User]) -> None:
    with pytest.raises(ValueError, match="at least one operation"):
        repo.operate(1)


# Batches (case 8).


def test_get_many_tells_found_and_missing_apart_in_order(
    repo: Repository[User],
) -> None:
    repo.insert(User(user_id=1, visits=1))
    repo.insert(User(user_id=3, visits=3))
    assert [o.status for o in repo.get_many([2])] == ["missing"]

    outcomes = repo.get_many([1, 2, 3])
    assert [o.status for o in outcomes] == ["ok", "missing", "ok"]
    assert [o.value.visits if o.value else None for o in outcomes] == [1, None, 3]
    assert outcomes[1].result_code == 2
    with pytest.raises(RecordNotFoundError, match="key 2"):
        outcomes[1].unwrap()


def test_get_many_keeps_duplicate_keys(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    outcomes = repo.get_many([2, 1, 2])
    assert [(o.key, o.status) for o in outcomes] == [
        (2, "missing"),
        (1, "ok"),
        (2, "missing"),
    ]


def test_get_many_splits_into_chunks(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> None:
    repo = Repository(User, aerospike_client, set_name=aerospike_set, chunk_size=2)
    repo.upsert_many([User(user_id=i) for i in range(5)])
    assert [o.key for o in repo.get_many(list(range(6)))] == list(range(6))
    assert [o.ok for o in repo.get_many(list(range(6)))] == [True] * 5 + [False]


def test_insert_many_reports_existing_records_per_key(repo: Repository[User]) -> None:
    repo.insert(User(user_id=2))
    outcomes = repo.insert_many([User(user_id=i) for i in (1, 2, 3)])
    assert [(o.key, o.status, o.result_code) for o in outcomes] == [
        (1, "ok", 0),
        (2, "error", 5),
        (3, "ok", 0),
    ]
    error = outcomes[1].error
    assert isinstance(error, RecordExistsError)


def test_upsert_many_writes_and_removes_none_bins(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    repo.upsert_many([User(user_id=1, nickname="a"), User(user_id=2, visits=0)])
    outcomes = repo.upsert_many([User(user_id=1, nickname=None)])
    assert outcomes[0].ok
    assert "nickname" not in aerospike_client.get(raw_key(repo, 1)).bins
    assert repo.require(2).visits == 0


def test_operate_many_gives_results_per_key_and_counts_duplicates(
    repo: Repository[User],
) -> None:
    repo.upsert_many([User(user_id=1, visits=0), User(user_id=2, visits=10)])
    incr, read = U.visits.incr(1), U.visits.read()
    outcomes = repo.operate_many([1, 2, 1], incr, read)
    assert [o.value[read] if o.value else None for o in outcomes] == [1, 11, 2]
    assert repo.require(1).visits == 2


def test_operate_many_on_a_missing_key_reports_it(repo: Repository[User]) -> None:
    read = U.visits.read()
    outcomes = repo.operate_many([5], read)
    assert [o.status for o in outcomes] == ["missing"]


def test_delete_many_reports_missing_keys(repo: Repository[User]) -> None:
    repo.insert(User(user_id=1))
    outcomes = repo.delete_many([1, 2])
    assert [o.status for o in outcomes] == ["ok", "missing"]
    assert repo.exists(1) is False


# Scan.


def test_scan_yields_whole_models_with_keys(repo: Repository[User]) -> None:
    repo.upsert_many([User(user_id=i, visits=i) for i in range(20)])
    users = sorted(repo.scan(), key=lambda u: u.user_id)
    assert [(u.user_id, u.visits) for u in users] == [(i, i) for i in range(20)]


def test_scan_of_a_record_without_stored_key_raises(
    repo: Repository[User], aerospike_client: aerospike_py.Client
) -> None:
    aerospike_client.put(raw_key(repo, 1), {"dname": "x"})
    with pytest.raises(MissingUserKeyError, match="written without its user key"):
        list(repo.scan())


def test_truncate_empties_the_set(repo: Repository[User]) -> None:
    repo.upsert_many([User(user_id=i) for i in range(3)])
    time.sleep(0.003)  # step past the writes' millisecond, see Repository.truncate
    repo.truncate()
    assert [o.status for o in repo.get_many([0, 1, 2])] == ["missing"] * 3


def test_str_keys_work(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> None:
    repo = Repository(Code, aerospike_client, set_name=aerospike_set)
    repo.insert(Code(code="a", label="abc"))
    assert repo.require("a").label == "abc"


# Map operations (cases 1, 2 and 5); they need map CDT support on the server.


class Basket(Model, namespace="test", set_name="baskets"):
    basket_id: Annotated[int, Key()]
    items: dict[str, int] = Field(default_factory=dict)
    prices: dict[str, float] = Field(default_factory=dict)
    hist: dict[int, int] = Field(default_factory=dict)
    last: float = 0.0


B: Any = Basket


@pytest.fixture
def baskets(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> Repository[Basket]:
    return Repository(Basket, aerospike_client, set_name=aerospike_set)


def test_reads_around_a_write_of_their_bin_run_as_a_one_key_batch(
    baskets: Repository[Basket],
) -> None:
    baskets.insert(Basket(basket_id=1, items={"apple": 3}))
    size_before, replace = B.items.size(), B.items.write({"pear": 1})
    size_after, apple = B.items.size(), B.items.get_by_key("apple")

    result = baskets.operate(
        1, size_before, replace, size_after, apple, ttl=TTL_NAMESPACE_DEFAULT
    )

    assert list(result) == [1, None, 1, None]
    meta = baskets.meta(1)
    assert meta is not None
    assert (result.generation, result.ttl) == (2, meta.ttl)
    assert meta.generation == 2


def test_reads_around_a_record_delete_keep_one_result_each(
    baskets: Repository[Basket],
) -> None:
    baskets.insert(Basket(basket_id=1, items={"apple": 3}, last=1.5))
    before, after = B.items.get_by_key("apple"), B.items.get_by_key("apple")
    ops_ = (before, ops.delete_record(), B.last.write(2.5), after)

    result = baskets.operate(1, *ops_, ttl=TTL_NAMESPACE_DEFAULT)

    assert list(result) == [3, None, None, None]
    assert baskets.require(1).last == 2.5


@pytest.mark.parametrize(
    ("ttl", "generation", "blocker"),
    [
        pytest.param(None, None, r"the TTL resolves to -2", id="keep-current"),
        pytest.param(60, None, r"the TTL resolves to 60", id="seconds"),
        pytest.param(0, 1, r"a generation is checked", id="generation"),
    ],
)
def test_reads_around_a_write_that_a_batch_cannot_carry_are_refused_before_the_call(
    baskets: Repository[Basket], ttl: int | None, generation: int | None, blocker: str
) -> None:
    baskets.insert(Basket(basket_id=1, items={"apple": 3}))
    read, write = B.items.size(), B.items.write({})
    with pytest.raises(
        OperationResultError,
        match=r"operations 0 and 2 read bin 'items' on both sides of operation 1 .*"
        rf"{blocker}.*split the call at that operation",
    ):
        baskets.operate(1, read, write, read, ttl=ttl, generation=generation)
    meta = baskets.meta(1)
    assert meta is not None
    assert meta.generation == 1


def test_reads_around_a_write_on_a_send_key_model_are_refused(
    repo: Repository[User],
) -> None:
    repo.insert(User(user_id=1, visits=1))
    read, write = U.visits.read(), U.visits.incr(1)
    with pytest.raises(OperationResultError, match=r"User sets send_key"):
        repo.operate(1, read, write, read, ttl=TTL_NAMESPACE_DEFAULT)


def test_writes_before_or_after_the_reads_of_a_bin_stay_one_operate(
    baskets: Repository[Basket],
) -> None:
    baskets.insert(Basket(basket_id=1, items={"apple": 3}), ttl=1000)
    size, apple = B.items.size(), B.items.get_by_key("apple")
    write_first, write_last = B.items.write({"pear": 1}), B.items.write({"fig": 2})

    result = baskets.operate(1, write_first, size, apple, write_last)

    assert list(result) == [None, 1, None, None]
    assert 990 <= result.ttl <= 1000
    assert baskets.require(1).items == {"fig": 2}


class Groups(Model, namespace="test", set_name="groups"):
    groups_id: Annotated[int, Key()]
    groups: dict[str, list[int]] = Field(default_factory=dict)


G: Any = Groups


def test_operate_many_keeps_a_single_list_result_of_a_shared_bin_whole(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> None:
    repo = Repository(Groups, aerospike_client, set_name=aerospike_set)
    repo.insert(Groups(groups_id=1, groups={"a": [1, 2]}))
    get_a, get_b = G.groups.get_by_key("a"), G.groups.get_by_key("b")

    outcomes = repo.operate_many([1, 2], get_a, get_b)

    assert list(outcomes[0].unwrap()) == [[1, 2], None]
    assert outcomes[1].missing


def test_float_map_values_are_floats_for_value_ranges(
    baskets: Repository[Basket], aerospike_client: aerospike_py.Client
) -> None:
    baskets.insert(Basket(basket_id=1, prices={"a": 1.0, "b": 2.0, "c": 3.0}, last=2))
    stored = aerospike_client.get((baskets.namespace, baskets.set_name, 1)).bins
    assert (stored["last"], type(stored["last"])) == (2.0, float)
    keys = B.prices.keys_by_value_range(2.0, 2.9)
    assert baskets.operate(1, keys)[keys] == ["b"]


def test_integer_map_key_lookup(baskets: Repository[Basket]) -> None:
    baskets.insert(Basket(basket_id=1, hist={1: 10, 2: 20}))
    ten = B.hist.get_by_key(1)
    assert baskets.operate(1, ten)[ten] == 10


# Stored records that do not fit the model.


class Strict(Model, namespace="test", set_name="strict", send_key=True):
    k: Annotated[int, Key()]
    req: int
    note: str | None = None
    deep: dict[str, Any] | None = None


S: Any = Strict


class Sparse(Model, namespace="test", set_name="sparse", send_key=True):
    k: Annotated[int, Key()]
    a: int | None = None
    b: str | None = None


class Unsent(Model, namespace="test", set_name="unsent"):
    k: Annotated[int, Key()]
    v: int = 0


@pytest.fixture
def strict(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> Repository[Strict]:
    return Repository(Strict, aerospike_client, set_name=aerospike_set)


@pytest.fixture
def sparse(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> Repository[Sparse]:
    return Repository(Sparse, aerospike_client, set_name=aerospike_set)


def put_with_key(client: aerospike_py.Client, key: Any, bins: dict[str, Any]) -> None:
    client.put(key, bins, policy={"key": aerospike_py.POLICY_KEY_SEND})


UNFIT = (
    r"Strict record with key 5 in test\.t_\w+ cannot be read: the stored data does "
    r"not fit the model: "
)


@pytest.mark.parametrize(
    ("bins", "problem"),
    [
        pytest.param(
            {"req": "x"},
            r"field req \(bin 'req'\): Input should be a valid integer.*stored str 'x'",
            id="str-in-int-bin",
        ),
        pytest.param(
            {"note": "n"},
            r"field req \(bin 'req'\) is required but the bin is absent",
            id="required-bin-absent",
        ),
    ],
)
def test_get_of_an_unfit_record_names_the_key_field_and_bin(
    strict: Repository[Strict],
    aerospike_client: aerospike_py.Client,
    bins: dict[str, Any],
    problem: str,
) -> None:
    aerospike_client.put(raw_key(strict, 5), bins)
    with pytest.raises(ValueConversionError, match=UNFIT + problem):
        strict.get(5)


def test_get_many_reports_an_unfit_record_as_that_keys_error_outcome(
    strict: Repository[Strict], aerospike_client: aerospike_py.Client
) -> None:
    strict.insert(Strict(k=1, req=1))
    aerospike_client.put(raw_key(strict, 5), {"req": "x"})

    outcomes = strict.get_many([1, 5, 9])

    assert [(o.key, o.status, o.result_code) for o in outcomes] == [
        (1, "ok", 0),
        (5, "error", -1),
        (9, "missing", 2),
    ]
    assert isinstance(outcomes[1].error, ValueConversionError)
    with pytest.raises(ValueConversionError, match=UNFIT + "field req"):
        outcomes[1].unwrap()


def test_operate_many_reports_an_unfit_result_as_that_keys_error_outcome(
    strict: Repository[Strict], aerospike_client: aerospike_py.Client
) -> None:
    strict.insert(Strict(k=1, req=1))
    aerospike_client.put(raw_key(strict, 5), {"req": "x"})
    read = S.req.read()

    outcomes = strict.operate_many([1, 5], read)

    assert [(o.status, o.result_code) for o in outcomes] == [("ok", 0), ("error", -1)]
    assert outcomes[0].unwrap()[read] == 1
    with pytest.raises(
        ValueConversionError,
        match=r"operate_many on test\.t_\w+ key 5: Strict\.req \(bin 'req'\): stored "
        r"str 'x' does not fit the field's type int",
    ):
        outcomes[1].unwrap()


def test_operate_names_the_key_of_an_unfit_result(
    strict: Repository[Strict], aerospike_client: aerospike_py.Client
) -> None:
    aerospike_client.put(raw_key(strict, 5), {"req": "x"})
    with pytest.raises(
        ValueConversionError, match=r"operate on test\.t_\w+ key 5: Strict\.req"
    ):
        strict.operate(5, S.req.read())


def test_map_read_of_an_unfit_value_is_a_conversion_error(
    baskets: Repository[Basket], aerospike_client: aerospike_py.Client
) -> None:
    aerospike_client.put(raw_key(baskets, 1), {"items": {"apple": "x"}})
    with pytest.raises(
        ValueConversionError,
        match=r"key 1: Basket\.items: stored str 'x' does not fit the declared type int",
    ):
        baskets.operate(1, B.items.get_by_key("apple"))


# Scans of records without their key, or that do not fit.


def fill_for_scan(repo: Repository[Strict], client: aerospike_py.Client) -> None:
    repo.insert(Strict(k=1, req=1))
    client.put(raw_key(repo, 2), {"req": 2})
    put_with_key(client, raw_key(repo, 3), {"req": "x"})


def test_scan_outcomes_report_keyless_and_unfit_records_and_go_on(
    strict: Repository[Strict], aerospike_client: aerospike_py.Client
) -> None:
    fill_for_scan(strict, aerospike_client)

    outcomes = sorted(strict.scan_outcomes(), key=lambda o: str(o.key))

    assert [(o.key, o.status) for o in outcomes] == [
        (1, "ok"),
        (3, "error"),
        (None, "error"),
    ]
    assert outcomes[0].unwrap() == Strict(k=1, req=1)
    assert isinstance(outcomes[1].error, ValueConversionError)
    keyless = outcomes[2]
    assert keyless.digest is not None
    assert len(keyless.digest) == 20
    assert isinstance(keyless.error, MissingUserKeyError)
    assert keyless.error.digest == keyless.digest
    assert all(o.digest is not None for o in outcomes)


def test_scan_outcomes_can_skip_keyless_records(
    strict: Repository[Strict], aerospike_client: aerospike_py.Client
) -> None:
    fill_for_scan(strict, aerospike_client)
    keys = sorted(str(o.key) for o in strict.scan_outcomes(skip_keyless=True))
    assert keys == ["1", "3"]


def test_scan_skip_keyless_yields_the_other_records(
    strict: Repository[Strict], aerospike_client: aerospike_py.Client
) -> None:
    strict.insert(Strict(k=1, req=1))
    aerospike_client.put(raw_key(strict, 2), {"req": 2})
    assert [m.k for m in strict.scan(skip_keyless=True)] == [1]


@pytest.mark.parametrize(
    ("model", "fix"),
    [
        pytest.param(
            Strict,
            r"rewrite it through a Repository\(Strict\) \(which sends the key\)",
            id="send-key-declared",
        ),
        pytest.param(
            Unsent,
            r"declare Unsent with send_key=True and rewrite it",
            id="send-key-missing",
        ),
    ],
)
def test_scan_of_a_keyless_record_names_its_digest_and_the_fix(
    aerospike_client: aerospike_py.Client, aerospike_set: str, model: Any, fix: str
) -> None:
    repo = Repository(model, aerospike_client, set_name=aerospike_set)
    aerospike_client.put(raw_key(repo, 2), {"req": 2, "v": 2})
    digest = aerospike_client.exists(raw_key(repo, 2)).key.digest.hex()

    with pytest.raises(
        MissingUserKeyError,
        match=rf"^scan of test\.t_\w+: the record with digest {digest} was written "
        r"without its user key \(by another client, or before send_key was set\), so "
        rf"no {model.__name__} can be built from it; {fix}, or delete it, or pass "
        r"scan\(skip_keyless=True\)",
    ):
        list(repo.scan())


def test_scan_raises_for_an_unfit_record_naming_its_key(
    strict: Repository[Strict], aerospike_client: aerospike_py.Client
) -> None:
    put_with_key(aerospike_client, raw_key(strict, 5), {"req": "x"})
    with pytest.raises(ValueConversionError, match=UNFIT + "field req"):
        list(strict.scan())


# TTL limits.

TOO_LONG = 315_360_001


@pytest.mark.parametrize(
    ("ttl", "shown"),
    [
        pytest.param(TOO_LONG, "315360001", id="ten-years-and-a-second"),
        pytest.param(2**32 - 2, "4294967294", id="client-keep-current-trap"),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda r, t: r.insert(User(user_id=1), ttl=t), id="insert"),
        pytest.param(lambda r, t: r.upsert(User(user_id=1), ttl=t), id="upsert"),
        pytest.param(lambda r, t: r.update(User(user_id=1), ttl=t), id="update"),
        pytest.param(lambda r, t: r.replace(User(user_id=1), ttl=t), id="replace"),
        pytest.param(lambda r, t: r.insert_many([User(user_id=1)], ttl=t), id="many"),
        pytest.param(lambda r, t: r.touch(1, t), id="touch"),
        pytest.param(lambda r, t: r.operate(1, U.visits.incr(1), ttl=t), id="operate"),
        pytest.param(lambda r, t: r.operate(1, ops.touch(t)), id="ops-touch"),
    ],
)
def test_ttl_over_ten_years_is_refused_before_the_call(
    repo: Repository[User], call: Any, ttl: int, shown: str
) -> None:
    with pytest.raises(
        InvalidTTLError,
        match=rf"TTL {shown} is not allowed; use seconds 1 \.\. 315360000 \(TTL_MAX, "
        r"10 years\), TTL_NEVER_EXPIRE \(-1\), TTL_KEEP_CURRENT \(-2\) or "
        r"TTL_NAMESPACE_DEFAULT \(0\)",
    ):
        call(repo, ttl)
    assert repo.exists(1) is False


def test_ttl_of_exactly_ten_years_is_stored(repo: Repository[User]) -> None:
    repo.upsert(User(user_id=1), ttl=TTL_MAX)
    meta = repo.meta(1)
    assert meta is not None
    assert TTL_MAX - 5 <= meta.ttl <= TTL_MAX


# Records with no bins.

NO_BINS = (
    r"on test\.t_\w+ key 1: every bin of the Sparse is None, and Aerospike cannot "
    r"store a record without bins \(an update would delete it\); give at least one "
    r"bin a value, or use delete\(1\) to remove the record"
)


@pytest.mark.parametrize(
    "operation", ["insert", "upsert", "update", "replace"], ids=str
)
def test_writing_a_model_with_no_bins_is_refused_and_changes_nothing(
    sparse: Repository[Sparse], operation: str
) -> None:
    if operation != "insert":
        sparse.insert(Sparse(k=1, a=7))

    with pytest.raises(EmptyRecordError, match=rf"^{operation} {NO_BINS}$"):
        getattr(sparse, operation)(Sparse(k=1))

    expected = None if operation == "insert" else Sparse(k=1, a=7)
    assert sparse.get(1) == expected


@pytest.mark.parametrize("operation", ["insert_many", "upsert_many"], ids=str)
def test_batch_write_gives_a_model_with_no_bins_an_error_outcome(
    sparse: Repository[Sparse], operation: str
) -> None:
    models = [Sparse(k=0, a=1), Sparse(k=1), Sparse(k=2, b="x")]

    outcomes = getattr(sparse, operation)(models)

    assert [(o.key, o.status, o.result_code) for o in outcomes] == [
        (0, "ok", 0),
        (1, "error", -1),
        (2, "ok", 0),
    ]
    with pytest.raises(EmptyRecordError, match=rf"^{operation} {NO_BINS}$"):
        outcomes[1].unwrap()
    assert [o.status for o in sparse.get_many([0, 1, 2])] == ["ok", "missing", "ok"]


def test_batch_write_of_only_empty_models_sends_nothing(
    sparse: Repository[Sparse],
) -> None:
    outcomes = sparse.upsert_many([Sparse(k=1), Sparse(k=2)])
    assert [o.status for o in outcomes] == ["error", "error"]
    assert isinstance(outcomes[0].error, EmptyRecordError)


# Values aerospike-py would refuse.


def nested_dict(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def test_a_dict_nested_64_levels_round_trips(strict: Repository[Strict]) -> None:
    strict.upsert(Strict(k=1, req=1, deep=nested_dict(64)))
    stored = strict.require(1)
    assert stored.deep == nested_dict(64)


def test_a_dict_nested_65_levels_is_refused_before_the_call(
    strict: Repository[Strict],
) -> None:
    with pytest.raises(
        ValueConversionError,
        match=r"^Strict\.deep: the value nests lists and dicts more than 64 levels "
        r"deep; Aerospike accepts at most 64 levels",
    ):
        strict.upsert(Strict(k=1, req=1, deep=nested_dict(65)))
    assert strict.exists(1) is False


def test_a_value_the_client_refuses_is_wrapped_with_its_context(
    strict: Repository[Strict],
) -> None:
    with pytest.raises(
        ValueConversionError,
        match=r"^upsert on test\.t_\w+ key 1: aerospike-py refused a value: "
        r"UnicodeEncodeError: .*surrogates not allowed",
    ) as info:
        strict.upsert(Strict(k=1, req=1, note="\ud800"))
    assert info.value.result_code == -1
    assert strict.exists(1) is False


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(dict, id="dict"),
        pytest.param(aerospike_py.Client, id="client-class"),
        pytest.param(Strict(k=1, req=1), id="instance"),
    ],
)
def test_repository_of_something_else_than_a_model_class_is_refused(
    aerospike_client: aerospike_py.Client, model: Any
) -> None:
    with pytest.raises(
        TypeError,
        match=r"Repository's first argument must be an aerorepo Model subclass",
    ):
        Repository(model, aerospike_client)


@pytest.fixture
def codes(
    aerospike_client: aerospike_py.Client, aerospike_set: str
) -> Repository[Code]:
    return Repository(Code, aerospike_client, set_name=aerospike_set)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda r: r.delete_many("ab"), id="delete_many-str"),
        pytest.param(lambda r: r.get_many("ab"), id="get_many-str"),
        pytest.param(lambda r: r.get_many(b"ab"), id="get_many-bytes"),
        pytest.param(lambda r: r.get_many(None), id="get_many-none"),
        pytest.param(
            lambda r: r.operate_many("ab", Code.label.read()), id="operate_many"
        ),
        pytest.param(lambda r: r.read_columns("ab"), id="read_columns"),
        pytest.param(lambda r: r.upsert_many(Code(code="a")), id="upsert_many-model"),
    ],
)
def test_one_key_or_model_where_a_list_goes_is_refused_and_nothing_changes(
    codes: Repository[Code], call: Any
) -> None:
    codes.upsert_many([Code(code="a", label="x"), Code(code="b", label="y")])

    with pytest.raises(
        TypeError, match=r"takes a list of .*wrap a single one in a list"
    ):
        call(codes)

    assert [o.value.label for o in codes.get_many(["a", "b"]) if o.value] == ["x", "y"]


@pytest.mark.parametrize(
    ("generation", "error", "message"),
    [
        pytest.param(-1, ValueError, "generation -1 is out of range", id="negative"),
        pytest.param(65_536, ValueError, "0 to 65535", id="above-16-bits"),
        pytest.param("1", TypeError, "generation must be an int", id="str"),
        pytest.param(True, TypeError, "generation must be an int", id="bool"),
    ],
)
def test_expected_generation_outside_16_bits_is_refused_before_the_call(
    repo: Repository[User], generation: Any, error: type[Exception], message: str
) -> None:
    repo.insert(User(user_id=1))

    with pytest.raises(error, match=message):
        repo.delete(1, generation=generation)
    with pytest.raises(error, match=message):
        repo.operate(1, U.visits.write(1), generation=generation)

    assert repo.exists(1)
