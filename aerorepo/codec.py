"""Conversion between Python values and the values aerospike-py can store.

aerospike-py stores only None, bool, int, float, str, bytes, list and dict. Every other
type is converted here, once per field, by a codec chosen from the field's annotation:

| Python type            | stored as                                                   |
|------------------------|-------------------------------------------------------------|
| int                    | int, refused outside -2**63 .. 2**63-1                       |
| float                  | float (an int value such as 2 is sent as 2.0)               |
| datetime               | int, microseconds since 1970-01-01 UTC; must be aware       |
| date                   | int, days since 1970-01-01                                  |
| Enum                   | its value (IntEnum as int, StrEnum as str)                  |
| UUID, Decimal          | str                                                         |
| nested pydantic model  | dict keyed by its fields' (alias) names; not held to the    |
|                        | 15-byte bin-name limit, as they are map keys                |
| list, tuple, set       | list                                                        |
| dict                   | dict; keys must be str, int, bytes or an Enum of those       |

Lists and dicts may nest at most 64 levels deep (MAX_NESTING), as aerospike-py allows;
deeper values are refused before any call, naming the field.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
import uuid
from collections import abc
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

import pydantic

from aerorepo.exceptions import IntegerRangeError, InvalidTTLError, ValueConversionError

#: Smallest int Aerospike stores (signed 64 bits).
INT64_MIN: Final = -(2**63)
#: Largest int Aerospike stores (signed 64 bits).
INT64_MAX: Final = 2**63 - 1

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_MICROSECOND: Final = dt.timedelta(microseconds=1)

Encoder = Callable[[Any, str], Any]
Decoder = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


class ValueCodec:
    """Converts one field's values to stored values and back.

    Attributes:
        encode: Takes (value, path) and returns the stored value; `path` names the
            field in error messages, e.g. "Flight.dep_delay".
        decode: Takes a stored value and returns a value pydantic can validate.
        needs_decode: False when `decode` is the identity, so reads can skip it.
        python_type: The annotated type without Optional/Annotated wrappers.
        nullable: Whether the annotation admits None.
    """

    __slots__ = ("decode", "encode", "needs_decode", "nullable", "python_type")

    def __init__(
        self,
        encode: Encoder,
        decode: Decoder = _identity,
        *,
        python_type: Any = object,
        nullable: bool = False,
    ) -> None:
        self.encode = encode
        self.decode = decode
        self.needs_decode = decode is not _identity
        self.python_type = python_type
        self.nullable = nullable


def describe(value: Any) -> str:
    """Return a short description of a value for error messages (type and repr)."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_int64(value: int, path: str) -> int:
    """Return `value` if it fits in signed 64 bits.

    Args:
        value: The int to check.
        path: Names the field or operation in the error message.

    Raises:
        IntegerRangeError: When the value lies outside -2**63 .. 2**63-1.
    """
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise IntegerRangeError(
        f"{path}: the int {value} is outside the range Aerospike stores "
        f"({INT64_MIN} .. {INT64_MAX}, signed 64 bits); store larger numbers as str "
        "or Decimal"
    )


def _wrong_type(path: str, expected: str, value: Any) -> ValueConversionError:
    return ValueConversionError(f"{path}: expected {expected}, got {describe(value)}")


# Scalar encoders.


def _encode_int(value: Any, path: str) -> Any:
    if type(value) is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value
        return check_int64(value, path)
    if isinstance(value, int) and not isinstance(value, bool):
        return check_int64(int(value), path)
    raise _wrong_type(path, "int", value)


def _encode_float(value: Any, path: str) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _wrong_type(path, "float (or int)", value)


def _encode_bool(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        return value
    raise _wrong_type(path, "bool", value)


def _encode_str(value: Any, path: str) -> Any:
    if isinstance(value, str):
        return value
    raise _wrong_type(path, "str", value)


def _encode_bytes(value: Any, path: str) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise _wrong_type(path, "bytes", value)


def to_epoch_micros(value: dt.datetime, path: str) -> int:
    """Return an aware datetime as microseconds since 1970-01-01 UTC.

    Args:
        value: An aware datetime.
        path: Names the field in the error message.

    Raises:
        ValueConversionError: When the datetime is naive (has no tzinfo).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueConversionError(
            f"{path}: naive datetime {value.isoformat()} refused; give it a time zone, "
            "e.g. value.replace(tzinfo=datetime.timezone.utc)"
        )
    return (value - _EPOCH) // _MICROSECOND


def from_epoch_micros(value: int) -> dt.datetime:
    """Return the aware UTC datetime for microseconds since 1970-01-01 UTC."""
    return _EPOCH + dt.timedelta(microseconds=value)


def _encode_datetime(value: Any, path: str) -> Any:
    if isinstance(value, dt.datetime):
        return to_epoch_micros(value, path)
    raise _wrong_type(path, "an aware datetime", value)


def _decode_datetime(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return from_epoch_micros(value)
    return value


def _encode_date(value: Any, path: str) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.toordinal() - _EPOCH_ORDINAL
    raise _wrong_type(path, "date", value)


def _decode_date(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.date.fromordinal(value + _EPOCH_ORDINAL)
    return value


def _encode_as_str(kind: type) -> Encoder:
    def encode(value: Any, path: str) -> Any:
        if isinstance(value, kind):
            return str(value)
        raise _wrong_type(path, kind.__name__, value)

    return encode


_SCALARS: Final[dict[Any, ValueCodec]] = {
    int: ValueCodec(_encode_int, python_type=int),
    float: ValueCodec(_encode_float, python_type=float),
    bool: ValueCodec(_encode_bool, python_type=bool),
    str: ValueCodec(_encode_str, python_type=str),
    bytes: ValueCodec(_encode_bytes, python_type=bytes),
    dt.datetime: ValueCodec(
        _encode_datetime, _decode_datetime, python_type=dt.datetime
    ),
    dt.date: ValueCodec(_encode_date, _decode_date, python_type=dt.date),
    uuid.UUID: ValueCodec(_encode_as_str(uuid.UUID), python_type=uuid.UUID),
    Decimal: ValueCodec(_encode_as_str(Decimal), python_type=Decimal),
}


def encode_any(value: Any, path: str) -> Any:
    """Encode a value of any supported type, chosen by its runtime type.

    Used for fields annotated with Any, unions and Literal, and for values written
    through operations on such bins.

    Args:
        value: The value to encode.
        path: Names the field in error messages.

    Raises:
        ValueConversionError: When the value's type cannot be stored.
    """
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        return check_int64(value, path)
    if isinstance(value, enum.Enum):
        return encode_any(value.value, path)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [encode_any(item, path) for item in value]
    if isinstance(value, Mapping):
        return {_encode_map_key(k, path): encode_any(v, path) for k, v in value.items()}
    if isinstance(value, pydantic.BaseModel):
        return codec_for(type(value)).encode(value, path)
    return _encode_other_scalar(value, path)


def _encode_other_scalar(value: Any, path: str) -> Any:
    for kind, codec in _SCALARS.items():
        if isinstance(value, kind):
            return codec.encode(value, path)
    raise ValueConversionError(
        f"{path}: cannot store {describe(value)}; supported are None, bool, int, float, "
        "str, bytes, datetime, date, Enum, UUID, Decimal, pydantic models, lists and dicts"
    )


def _encode_map_key(key: Any, path: str) -> Any:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, (str, bytes)):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return check_int64(key, path)
    raise ValueConversionError(
        f"{path}: map key {describe(key)} cannot be stored; use str, int or bytes keys"
    )


_ANY_CODEC: Final = ValueCodec(encode_any, python_type=Any)
# Any (and a Literal listing None) admits None, so its bin may be absent.
_ANY_NULLABLE_CODEC: Final = ValueCodec(encode_any, python_type=Any, nullable=True)


def codec_for(annotation: Any) -> ValueCodec:
    """Return the codec for a type annotation.

    Args:
        annotation: A field annotation, e.g. `float | None` or `dict[int, int]`.

    Returns:
        The codec; unknown or dynamic annotations (Any, unions, Literal) get one
        that encodes by runtime type.

    Raises:
        ValueConversionError: When a dict key type cannot be stored (e.g. float).
    """
    annotation = _strip_annotated(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return _union_codec(annotation)
    if origin is not None:
        return _generic_codec(annotation, origin)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if annotation is Any or annotation is object:
        return _ANY_NULLABLE_CODEC
    if isinstance(annotation, type):
        return _class_codec(annotation)
    return _ANY_CODEC


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _union_codec(annotation: Any) -> ValueCodec:
    members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    nullable = len(members) < len(typing.get_args(annotation))
    inner = codec_for(members[0]) if len(members) == 1 else _ANY_CODEC
    if not nullable:
        return inner
    return _optional(inner)


def _optional(inner: ValueCodec) -> ValueCodec:
    inner_encode, inner_decode = inner.encode, inner.decode

    def encode(value: Any, path: str) -> Any:
        return None if value is None else inner_encode(value, path)

    def decode(value: Any) -> Any:
        return None if value is None else inner_decode(value)

    return ValueCodec(
        encode,
        decode if inner.needs_decode else _identity,
        python_type=inner.python_type,
        nullable=True,
    )


def _generic_codec(annotation: Any, origin: Any) -> ValueCodec:
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) or _is_sequence_origin(origin):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return _ANY_CODEC
        return _list_codec(codec_for(args[0]) if args else _ANY_CODEC)
    if origin is dict or origin is Mapping or origin is typing.Mapping:
        key_type = args[0] if args else Any
        return _dict_codec(key_type, codec_for(args[1]) if args else _ANY_CODEC)
    if origin is typing.Literal and None in args:
        return _ANY_NULLABLE_CODEC
    return _ANY_CODEC


def _is_sequence_origin(origin: Any) -> bool:
    return origin in (abc.Sequence, abc.MutableSequence, abc.Set, abc.MutableSet)


def _list_codec(item: ValueCodec) -> ValueCodec:
    item_encode, item_decode = item.encode, item.decode

    def encode(value: Any, path: str) -> Any:
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise _wrong_type(path, "a list", value)
        return [item_encode(element, path) for element in value]

    def decode(value: Any) -> Any:
        if isinstance(value, list):
            return [item_decode(element) for element in value]
        return value

    return ValueCodec(
        encode, decode if item.needs_decode else _identity, python_type=list
    )


def _dict_codec(key_type: Any, value: ValueCodec) -> ValueCodec:
    key_type = _strip_annotated(key_type)
    _check_map_key_type(key_type)
    value_encode, value_decode = value.encode, value.decode

    def encode(mapping: Any, path: str) -> Any:
        if not isinstance(mapping, Mapping):
            raise _wrong_type(path, "a dict", mapping)
        return {
            _encode_map_key(k, path): value_encode(v, path) for k, v in mapping.items()
        }

    def decode(mapping: Any) -> Any:
        if isinstance(mapping, dict):
            return {k: value_decode(v) for k, v in mapping.items()}
        return mapping

    return ValueCodec(
        encode, decode if value.needs_decode else _identity, python_type=dict
    )


def _check_map_key_type(key_type: Any) -> None:
    allowed = key_type in (str, int, bytes, Any) or (
        isinstance(key_type, type) and issubclass(key_type, enum.Enum)
    )
    if typing.get_origin(key_type) in (typing.Literal, typing.Union, types.UnionType):
        allowed = True
    if not allowed:
        raise ValueConversionError(
            f"map key type {key_type!r} cannot be stored; use str, int, bytes or an Enum "
            "of those as dict keys"
        )


def _class_codec(kind: type) -> ValueCodec:
    if issubclass(kind, enum.Enum):
        return _enum_codec(kind)
    if issubclass(kind, pydantic.BaseModel):
        return _nested_model_codec(kind)
    for scalar, codec in _SCALARS.items():
        if issubclass(kind, scalar):
            return codec
    return _ANY_CODEC


def _enum_codec(kind: type[enum.Enum]) -> ValueCodec:
    def encode(value: Any, path: str) -> Any:
        if isinstance(value, kind):
            return encode_any(value.value, path)
        raise _wrong_type(path, f"a member of {kind.__name__}", value)

    return ValueCodec(encode, python_type=kind)


_NESTED_CACHE: dict[type[pydantic.BaseModel], ValueCodec] = {}


def _nested_model_codec(kind: type[pydantic.BaseModel]) -> ValueCodec:
    cached = _NESTED_CACHE.get(kind)
    if cached is not None:
        return cached

    # Field codecs are resolved on first use, so self-referencing models work.
    fields: list[tuple[str, str, ValueCodec]] = []

    def resolve() -> list[tuple[str, str, ValueCodec]]:
        if not fields:
            for name, info in kind.model_fields.items():
                stored = info.serialization_alias or info.alias or name
                fields.append((name, stored, codec_for(info.annotation)))
        return fields

    def encode(value: Any, path: str) -> Any:
        if not isinstance(value, kind):
            raise _wrong_type(path, kind.__name__, value)
        return {
            stored: codec.encode(getattr(value, name), f"{path}.{name}")
            for name, stored, codec in resolve()
        }

    def decode(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        decoded = dict(value)
        for _, stored, codec in resolve():
            if stored in decoded:
                decoded[stored] = codec.decode(decoded[stored])
        return decoded

    codec = ValueCodec(encode, decode, python_type=kind)
    _NESTED_CACHE[kind] = codec
    return codec


# Nesting of lists and maps.

#: Deepest nesting of lists and dicts in one bin value that aerospike-py sends.
MAX_NESTING: Final = 64

_CONTAINERS: Final = (list, dict)


def check_nesting(value: Any, path: str) -> Any:
    """Return an encoded bin value if its lists and dicts nest at most 64 levels.

    Args:
        value: A value as returned by a codec's `encode` (lists and dicts only).
        path: Names the field in the error message.

    Raises:
        ValueConversionError: When a list or dict lies more than MAX_NESTING deep.
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if not isinstance(current, _CONTAINERS):
            continue
        if depth > MAX_NESTING:
            raise ValueConversionError(
                f"{path}: the value nests lists and dicts more than {MAX_NESTING} "
                f"levels deep; Aerospike accepts at most {MAX_NESTING} levels; flatten "
                "the data, or store the deep part as a JSON str"
            )
        children = current.values() if isinstance(current, dict) else current
        pending.extend((child, depth + 1) for child in children)
    return value


def bin_codec(codec: ValueCodec) -> ValueCodec:
    """Return the codec for a whole bin: `codec`, plus a nesting check for containers.

    Only the top level checks the depth, so nested codecs do not walk values twice.
    """
    kind = codec.python_type
    is_container = kind is Any or (
        isinstance(kind, type) and issubclass(kind, (list, dict, pydantic.BaseModel))
    )
    if not is_container:
        return codec
    inner_encode = codec.encode

    def encode(value: Any, path: str) -> Any:
        return check_nesting(inner_encode(value, path), path)

    wrapped = ValueCodec(
        encode, codec.decode, python_type=kind, nullable=codec.nullable
    )
    wrapped.needs_decode = codec.needs_decode
    return wrapped


# Time to live, in seconds.

#: TTL that makes a record never expire.
TTL_NEVER_EXPIRE: Final = -1
#: TTL that keeps a record's current expiry on update (namespace default on create).
TTL_KEEP_CURRENT: Final = -2
#: TTL that applies the namespace's default-ttl.
TTL_NAMESPACE_DEFAULT: Final = 0
#: Largest positive TTL in seconds: 315,360,000 s (10 years), the server's limit.
#: A real server refuses longer TTLs, and aerospike-py reads 2**32-2 as "keep current".
TTL_MAX: Final = 315_360_000

_SERVER_NEVER_EXPIRE: Final = 2**32 - 1
_ALLOWED_TTLS: Final = (
    f"use seconds 1 .. {TTL_MAX} (TTL_MAX, 10 years), TTL_NEVER_EXPIRE (-1), "
    "TTL_KEEP_CURRENT (-2) or TTL_NAMESPACE_DEFAULT (0)"
)


def check_ttl(ttl: int, path: str = "ttl") -> int:
    """Return `ttl` unchanged if Aerospike accepts it.

    Args:
        ttl: Seconds until expiry, 1 .. TTL_MAX (315,360,000 s, 10 years), or one of
            TTL_KEEP_CURRENT (-2), TTL_NEVER_EXPIRE (-1) and TTL_NAMESPACE_DEFAULT
            (0). Special values are passed through unchanged, never scaled.
        path: Names the setting in the error message.

    Raises:
        InvalidTTLError: For any other value, or a non-int.
    """
    is_int = isinstance(ttl, int) and not isinstance(ttl, bool)
    if is_int and TTL_KEEP_CURRENT <= ttl <= TTL_MAX:
        return ttl

    raise InvalidTTLError(
        f"{path}: TTL {ttl!r} is not allowed; {_ALLOWED_TTLS}; for a longer life "
        "use TTL_NEVER_EXPIRE"
    )


def ttl_from_server(ttl: int) -> int:
    """Return a TTL read from the server, with never-expire as TTL_NEVER_EXPIRE.

    aerospike-py reports a record that never expires with TTL 4294967295.
    """
    return TTL_NEVER_EXPIRE if ttl >= _SERVER_NEVER_EXPIRE else ttl
