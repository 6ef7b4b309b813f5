"""Python values to stored values and back: round trips, refusals and TTL rules."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from aerorepo import (
    MAX_NESTING,
    TTL_KEEP_CURRENT,
    TTL_MAX,
    TTL_NAMESPACE_DEFAULT,
    TTL_NEVER_EXPIRE,
)
from aerorepo.codec import (
    bin_codec,
    check_nesting,
    check_ttl,
    codec_for,
    encode_any,
    ttl_from_server,
)
from aerorepo.exceptions import IntegerRangeError, InvalidTTLError, ValueConversionError


class Color(enum.IntEnum):
    RED = 1


class Mood(str, enum.Enum):
    HAPPY = "happy"


class Point(BaseModel):
    x: int
    when: dt.datetime


UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("annotation", "value", "stored"),
    [
        pytest.param(int, -(2**63), -(2**63), id="int-min"),
        pytest.param(int, 2**63 - 1, 2**63 - 1, id="int-max"),
        pytest.param(float, 2, 2.0, id="float-given-int"),
        pytest.param(bool, False, False, id="bool"),
        pytest.param(str, "", "", id="empty-str"),
        pytest.param(bytes, b"\x00", b"\x00", id="bytes"),
        pytest.param(
            dt.datetime,
            dt.datetime(2019, 1, 1, 12, tzinfo=PLUS2),
            1546336800 * 10**6,
            id="aware",
        ),
        pytest.param(dt.date, dt.date(1970, 1, 11), 10, id="date-days"),
        pytest.param(Color, Color.RED, 1, id="int-enum"),
        pytest.param(Mood, Mood.HAPPY, "happy", id="str-enum"),
        pytest.param(uuid.UUID, uuid.UUID(int=1), str(uuid.UUID(int=1)), id="uuid"),
        pytest.param(Decimal, Decimal("1.10"), "1.10", id="decimal"),
        pytest.param(dict[int, int], {1: 10, 2: 20}, {1: 10, 2: 20}, id="int-keys"),
        pytest.param(dict[Color, int], {Color.RED: 5}, {1: 5}, id="enum-keys"),
        pytest.param(
            dict[str, float],
            {"a": 1, "b": 2.0},
            {"a": 1.0, "b": 2.0},
            id="float-values",
        ),
        pytest.param(list[float], (1, 2), [1.0, 2.0], id="tuple-to-list"),
        pytest.param(set[int], {3}, [3], id="set-to-list"),
        pytest.param(float | None, None, None, id="optional-none"),
        pytest.param(
            Point,
            Point(x=1, when=dt.datetime(1970, 1, 1, tzinfo=UTC)),
            {"x": 1, "when": 0},
            id="nested-model",
        ),
        pytest.param(Any, [1, (2, Color.RED)], [1, [2, 1]], id="any"),
    ],
)
def test_encode_gives_the_stored_value(
    annotation: Any, value: Any, stored: Any
) -> None:
    encoded = codec_for(annotation).encode(value, "f")
    assert encoded == stored
    assert type(encoded) is type(stored)


@pytest.mark.parametrize(
    ("annotation", "stored", "decoded"),
    [
        pytest.param(
            dt.datetime,
            1546336800 * 10**6,
            dt.datetime(2019, 1, 1, 10, tzinfo=UTC),
            id="datetime",
        ),
        pytest.param(dt.date, 10, dt.date(1970, 1, 11), id="date"),
        pytest.param(
            list[dt.datetime | None],
            [0, None],
            [dt.datetime(1970, 1, 1, tzinfo=UTC), None],
            id="list",
        ),
        pytest.param(
            Point,
            {"x": 1, "when": 0},
            {"x": 1, "when": dt.datetime(1970, 1, 1, tzinfo=UTC)},
            id="nested",
        ),
    ],
)
def test_decode_restores_values_pydantic_cannot_guess(
    annotation: Any, stored: Any, decoded: Any
) -> None:
    assert codec_for(annotation).decode(stored) == decoded


def test_aware_datetime_round_trips_equal_and_aware() -> None:
    codec = codec_for(dt.datetime)
    original = dt.datetime(2019, 1, 1, 12, 0, 0, 123456, tzinfo=PLUS2)
    restored = codec.decode(codec.encode(original, "f"))
    assert restored == original
    assert restored.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("annotation", "value", "error", "message"),
    [
        pytest.param(
            int,
            2**63,
            IntegerRangeError,
            r"f: the int 9223372036854775808 is outside .*"
            r"\(-9223372036854775808 \.\. 9223372036854775807",
            id="int-2-63",
        ),
        pytest.param(
            int,
            11806979466381907949,
            IntegerRangeError,
            r"int 11806979466381907949 is outside",
            id="int-u64",
        ),
        pytest.param(
            int, -(2**63) - 1, IntegerRangeError, r"is outside", id="int-below-min"
        ),
        pytest.param(
            list[int],
            [1, 2**64],
            IntegerRangeError,
            r"int 18446744073709551616",
            id="in-list",
        ),
        pytest.param(
            dict[int, int],
            {2**63: 1},
            IntegerRangeError,
            r"int 9223372036854775808",
            id="map-key",
        ),
        pytest.param(
            int,
            "3",
            ValueConversionError,
            r"f: expected int, got str '3'",
            id="str-as-int",
        ),
        pytest.param(
            int,
            True,
            ValueConversionError,
            r"expected int, got bool True",
            id="bool-as-int",
        ),
        pytest.param(
            float,
            "x",
            ValueConversionError,
            r"expected float \(or int\)",
            id="str-float",
        ),
        pytest.param(
            dt.datetime,
            dt.datetime(2020, 1, 1),
            ValueConversionError,
            r"f: naive datetime 2020-01-01T00:00:00 refused",
            id="naive-datetime",
        ),
        pytest.param(
            Any,
            object(),
            ValueConversionError,
            r"f: cannot store object",
            id="unknown-type",
        ),
        pytest.param(
            Any,
            {1.5: 1},
            ValueConversionError,
            r"map key float 1.5 cannot be stored",
            id="float-key",
        ),
    ],
)
def test_encode_refuses_values_before_any_call(
    annotation: Any, value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        codec_for(annotation).encode(value, "f")


def test_integer_range_error_is_a_value_error_and_overflow_error() -> None:
    assert issubclass(IntegerRangeError, ValueError)
    assert issubclass(IntegerRangeError, OverflowError)


def test_float_map_key_type_is_refused_when_the_codec_is_built() -> None:
    with pytest.raises(ValueConversionError, match=r"map key type <class 'float'>"):
        codec_for(dict[float, int])


def test_encode_any_passes_plain_values_through() -> None:
    assert encode_any({"a": [1, "b", None, b"c"]}, "f") == {"a": [1, "b", None, b"c"]}


@pytest.mark.parametrize(
    "ttl",
    [
        pytest.param(TTL_NEVER_EXPIRE, id="never-expire"),
        pytest.param(TTL_KEEP_CURRENT, id="keep-current"),
        pytest.param(TTL_NAMESPACE_DEFAULT, id="namespace-default"),
        pytest.param(1, id="one-second"),
        pytest.param(315_360_000, id="ten-years"),
    ],
)
def test_allowed_ttls_pass_through_unchanged(ttl: int) -> None:
    assert check_ttl(ttl) == ttl


def test_ttl_constants_have_the_aerospike_values() -> None:
    assert (TTL_NEVER_EXPIRE, TTL_KEEP_CURRENT, TTL_NAMESPACE_DEFAULT) == (-1, -2, 0)


@pytest.mark.parametrize(
    "ttl",
    [
        pytest.param(-5, id="minus-5"),
        pytest.param(-3, id="minus-3"),
        pytest.param(315_360_001, id="ten-years-and-a-second"),
        pytest.param(2**32 - 2, id="client-keep-current-trap"),
        pytest.param(2**32 - 1, id="client-never-expire-trap"),
        pytest.param(2**32, id="too-big"),
        pytest.param(1.5, id="float"),
        pytest.param(True, id="bool"),
    ],
)
def test_other_ttls_are_refused_with_the_allowed_values(ttl: Any) -> None:
    with pytest.raises(
        InvalidTTLError,
        match=rf"TTL {ttl!r} is not allowed; use seconds 1 \.\. 315360000 "
        r"\(TTL_MAX, 10 years\), TTL_NEVER_EXPIRE \(-1\), TTL_KEEP_CURRENT \(-2\) or "
        r"TTL_NAMESPACE_DEFAULT \(0\)",
    ):
        check_ttl(ttl)


def test_ttl_max_is_ten_years_of_seconds() -> None:
    assert TTL_MAX == 315_360_000 == 10 * 365 * 24 * 3600


# Nesting of lists and dicts.


def nested(levels: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value} if kind == "dict" else [value]
    return value


@pytest.mark.parametrize(
    ("annotation", "kind"),
    [
        pytest.param(dict[str, Any], "dict", id="dict"),
        pytest.param(list[Any], "list", id="list"),
        pytest.param(Any, "dict", id="any"),
        pytest.param(dict[str, Any] | None, "dict", id="optional-dict"),
    ],
)
def test_bin_codec_accepts_64_levels_and_refuses_65(annotation: Any, kind: str) -> None:
    codec = bin_codec(codec_for(annotation))

    assert codec.encode(nested(MAX_NESTING, kind), "M.deep") == nested(64, kind)
    with pytest.raises(
        ValueConversionError,
        match=r"M\.deep: the value nests lists and dicts more than 64 levels deep",
    ):
        codec.encode(nested(MAX_NESTING + 1, kind), "M.deep")


def test_bin_codec_leaves_scalar_codecs_alone() -> None:
    assert bin_codec(codec_for(int)) is codec_for(int)


def test_check_nesting_counts_mixed_lists_and_dicts() -> None:
    value = nested(32, "list")
    for _ in range(33):
        value = {"k": value}
    with pytest.raises(ValueConversionError, match=r"at most 64 levels"):
        check_nesting(value, "M.mixed")


@pytest.mark.parametrize(
    ("annotation", "nullable"),
    [
        pytest.param(Any, True, id="any"),
        pytest.param(object, True, id="object"),
        pytest.param(Literal["a", None], True, id="literal-with-none"),
        pytest.param(int | None, True, id="optional-int"),
        pytest.param(int, False, id="int"),
        pytest.param(Literal["a", "b"], False, id="literal"),
        pytest.param(int | str, False, id="union-without-none"),
    ],
)
def test_codecs_know_whether_the_annotation_admits_none(
    annotation: Any, nullable: bool
) -> None:
    assert codec_for(annotation).nullable is nullable


def test_server_never_expire_reads_as_the_constant() -> None:
    assert ttl_from_server(4294967295) == TTL_NEVER_EXPIRE
    assert ttl_from_server(99) == 99
