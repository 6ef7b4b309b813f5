"""Bin references and typed operations, compiled to aerospike-py operation dicts."""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from typing import Any, Final, Generic, TypeVar, overload

import aerospike_py
import pydantic

from aerorepo.codec import ValueCodec, check_ttl, codec_for, describe
from aerorepo.exceptions import OperationTypeError, ValueConversionError

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")
V = TypeVar("V")
N = TypeVar("N", int, float)

OPERATOR_READ: Final = aerospike_py.OPERATOR_READ
OPERATOR_WRITE: Final = aerospike_py.OPERATOR_WRITE
OPERATOR_INCR: Final = aerospike_py.OPERATOR_INCR
OPERATOR_APPEND: Final = aerospike_py.OPERATOR_APPEND
OPERATOR_PREPEND: Final = aerospike_py.OPERATOR_PREPEND
OPERATOR_TOUCH: Final = aerospike_py.OPERATOR_TOUCH
OPERATOR_DELETE: Final = aerospike_py.OPERATOR_DELETE
MAP_SIZE: Final = 2017
MAP_GET_BY_KEY: Final = 2018
MAP_GET_BY_VALUE_RANGE: Final = 2021
MAP_GET_BY_KEY_LIST: Final = 2026
# Operation codes that only read; every other code writes.
_READ_CODES: Final = frozenset(
    {
        OPERATOR_READ,
        MAP_SIZE,
        MAP_GET_BY_KEY,
        MAP_GET_BY_VALUE_RANGE,
        MAP_GET_BY_KEY_LIST,
    }
)
_MAP_RETURN_KEY: Final = aerospike_py.MAP_RETURN_KEY
_MAP_RETURN_VALUE: Final = aerospike_py.MAP_RETURN_VALUE


def _no_conversion(raw: Any) -> Any:
    return raw


class Op(Generic[R]):
    """One operation of an `operate` call; `R` is the type of its result.

    Build operations from bin references (`Flight.dep_delay.incr(1.5)`) or with
    `touch` and `delete_record` from this module, then pass them to
    `Repository.operate`. Results are addressed by operation: `result[op]`.
    """

    __slots__ = ("_dict", "bin_name")

    #: Whether the server answers this operation with a result entry.
    has_result: bool = False

    def __init__(self, op_dict: dict[str, Any]) -> None:
        self._dict = op_dict
        self.bin_name: str | None = op_dict.get("bin")

    def to_dict(self) -> dict[str, Any]:
        """Return the operation as the dict aerospike-py's operate calls take."""
        return dict(self._dict)

    @property
    def is_write(self) -> bool:
        """Whether the operation changes the record (touch and deletes included)."""
        return self._dict["op"] not in _READ_CODES

    def may_change_bin(self, bin_name: str) -> bool:
        """Whether the operation can add or remove the bin `bin_name`.

        Writes to that bin can, and so can a record-level delete.
        """
        if self._dict["op"] == OPERATOR_DELETE:
            return True
        return self.is_write and self.bin_name == bin_name

    def convert_result(self, raw: Any) -> R:
        """Convert the value the server returned for this operation."""
        return _no_conversion(raw)  # type: ignore[no-any-return]

    @property
    def ttl(self) -> int | None:
        """The TTL this operation asks for, in seconds, or None."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._dict!r})"


class ReadingOp(Op[R]):
    """An operation whose result the server returns, converted by `convert`.

    Args:
        op_dict: The aerospike-py operation dict.
        convert: Turns the raw result (never None) into the result.
        answering: The form to send when its result must not go missing (see
            `answering_form`); None when this form already answers.
    """

    __slots__ = ("_answering", "_convert")
    has_result = True

    def __init__(
        self,
        op_dict: dict[str, Any],
        convert: Any = _no_conversion,
        answering: ReadingOp[R] | None = None,
    ) -> None:
        super().__init__(op_dict)
        self._convert = convert
        self._answering = answering

    def convert_result(self, raw: Any) -> R:
        """Convert the raw result; None (absent bin or key) stays None."""
        if raw is None:
            return None  # type: ignore[return-value]
        return self._convert(raw)  # type: ignore[no-any-return]

    def answering_form(self) -> ReadingOp[R]:
        """Return the form of this read that gives a non-None answer if its bin exists.

        The server answers "nothing found" with an empty entry, which aerospike-py
        drops when it folds several results of one bin into a list. The answering
        form of a lookup that can find nothing (`get_by_key`) asks for a list of at
        most one value instead and converts it back, so such a read always answers
        while its bin exists. Other reads already answer and are their own form.
        """
        return self if self._answering is None else self._answering


class TouchOp(Op[None]):
    """Resets the record's TTL; the TTL travels in the call's metadata."""

    __slots__ = ("_ttl",)

    def __init__(self, ttl: int) -> None:
        super().__init__({"op": OPERATOR_TOUCH})
        self._ttl = ttl

    @property
    def ttl(self) -> int | None:
        """The TTL in seconds (or a TTL_* constant) this touch sets."""
        return self._ttl


def touch(ttl: int) -> TouchOp:
    """Build a record-level touch that sets the record's TTL.

    Args:
        ttl: Seconds, 1 .. TTL_MAX (315,360,000 s, 10 years), or TTL_NEVER_EXPIRE
            (-1), TTL_KEEP_CURRENT (-2) or TTL_NAMESPACE_DEFAULT (0).

    Raises:
        InvalidTTLError: When the TTL is not one of those values.
    """
    return TouchOp(check_ttl(ttl, "touch"))


def delete_record() -> Op[None]:
    """Build a record-level delete; later write operations in the call recreate it."""
    return Op({"op": OPERATOR_DELETE})


class BinRef(Generic[T]):
    """A reference to one bin of a model, served as a class attribute.

    `Flight.dep_delay` is a `BinRef[float | None]`; instances give values instead.
    Every builder returns an `Op` whose `to_dict()` is exactly the aerospike-py
    operation dict. Values go through the same codec as model fields.

    Attributes:
        model_name: The model class name, for messages.
        field_name: The Python field name.
        bin_name: The stored bin name (the field's alias, if any); at most 15 bytes.
    """

    __slots__ = (
        "_adapter",
        "_annotation",
        "_codec",
        "bin_name",
        "field_name",
        "model_name",
    )

    def __init__(
        self,
        model_name: str,
        field_name: str,
        bin_name: str,
        annotation: Any,
        codec: ValueCodec,
    ) -> None:
        self.model_name = model_name
        self.field_name = field_name
        self.bin_name = bin_name
        self._annotation = annotation
        self._codec = codec
        self._adapter: pydantic.TypeAdapter[Any] | None = None

    @property
    def path(self) -> str:
        """The field's dotted name used in messages, e.g. "Flight.dep_delay"."""
        return f"{self.model_name}.{self.field_name}"

    def __repr__(self) -> str:
        return f"BinRef({self.path}, bin={self.bin_name!r})"

    def write(self, value: T | None) -> Op[None]:
        """Build a write of `value` to this bin; None deletes the bin.

        Raises:
            ValueConversionError: When the value does not fit the field's type or
                constraints (checked strictly: "3" is refused for an int bin).
            OperationTypeError: When `value` is None but the field is required.
        """
        if value is None:
            self._require_optional("write(None)")
        stored = None if value is None else self.encode(value)
        return Op({"op": OPERATOR_WRITE, "bin": self.bin_name, "val": stored})

    def read(self) -> ReadingOp[T | None]:
        """Build a read of this bin; the result is None when the bin is absent."""
        return ReadingOp({"op": OPERATOR_READ, "bin": self.bin_name}, self.to_python)

    def delete(self) -> Op[None]:
        """Build a removal of this bin (the record stays).

        Raises:
            OperationTypeError: When the field is required (its annotation does not
                admit None), as the record could then not be read back.
        """
        self._require_optional("delete()")
        return Op({"op": OPERATOR_WRITE, "bin": self.bin_name, "val": None})

    @overload
    def incr(self: BinRef[int] | BinRef[int | None], by: int = 1) -> Op[None]: ...

    @overload
    def incr(
        self: BinRef[float] | BinRef[float | None], by: float = 1.0
    ) -> Op[None]: ...

    def incr(self, by: float = 1) -> Op[None]:
        """Build an atomic add of `by` to this numeric bin (a missing bin starts at 0).

        Args:
            by: The amount; an int for int bins, converted to float for float bins.

        Raises:
            OperationTypeError: When the bin is not an int or float bin.
            ValueConversionError: When `by` is not a number of the bin's kind.
        """
        kind = self._require_kind((int, float), "incr", "numeric (int or float)")
        value = self.encode(by) if kind is float else self._encode_int_amount(by)
        return Op({"op": OPERATOR_INCR, "bin": self.bin_name, "val": value})

    def append(self: BinRef[str] | BinRef[str | None], value: str) -> Op[None]:
        """Build an atomic append of `value` to this str bin.

        Raises:
            OperationTypeError: When the bin is not a str bin.
        """
        self._require_kind((str,), "append", "str")
        return Op(
            {"op": OPERATOR_APPEND, "bin": self.bin_name, "val": self._text(value)}
        )

    def prepend(self: BinRef[str] | BinRef[str | None], value: str) -> Op[None]:
        """Build an atomic prepend of `value` to this str bin.

        Raises:
            OperationTypeError: When the bin is not a str bin.
        """
        self._require_kind((str,), "prepend", "str")
        return Op(
            {"op": OPERATOR_PREPEND, "bin": self.bin_name, "val": self._text(value)}
        )

    def size(self: BinRef[dict[K, V]] | BinRef[dict[K, V] | None]) -> ReadingOp[int]:
        """Build a read of the number of entries in this map bin.

        Raises:
            OperationTypeError: When the bin is not a dict bin.
        """
        self._require_kind((dict,), "size", "dict")
        return ReadingOp({"op": MAP_SIZE, "bin": self.bin_name}, int)

    @overload
    def get_by_key(self: BinRef[dict[K, V]], key: K) -> ReadingOp[V | None]: ...

    @overload
    def get_by_key(self: BinRef[dict[K, V] | None], key: K) -> ReadingOp[V | None]: ...

    def get_by_key(self, key: Any) -> ReadingOp[Any]:
        """Build a read of the value under `key` in this map bin (None if absent).

        Raises:
            OperationTypeError: When the bin is not a dict bin.
        """
        self._require_kind((dict,), "get_by_key", "dict")
        map_key = self._map_key(key)
        convert = self._map_value_converter()
        op = {
            "op": MAP_GET_BY_KEY,
            "bin": self.bin_name,
            "map_key": map_key,
            "return_type": _MAP_RETURN_VALUE,
        }
        return ReadingOp(op, convert, self._key_list_lookup(map_key, convert))

    @overload
    def keys_by_value_range(
        self: BinRef[dict[K, V]], begin: V, end: V
    ) -> ReadingOp[list[K]]: ...

    @overload
    def keys_by_value_range(
        self: BinRef[dict[K, V] | None], begin: V, end: V
    ) -> ReadingOp[list[K]]: ...

    def keys_by_value_range(self, begin: Any, end: Any) -> ReadingOp[Any]:
        """Build a read of the keys whose values lie in [begin, end) in this map bin.

        Raises:
            OperationTypeError: When the bin is not a dict bin.
        """
        self._require_kind((dict,), "keys_by_value_range", "dict")
        value_codec = self._map_value_codec()
        op = {
            "op": MAP_GET_BY_VALUE_RANGE,
            "bin": self.bin_name,
            "val": value_codec.encode(begin, self.path),
            "val_end": value_codec.encode(end, self.path),
            "return_type": _MAP_RETURN_KEY,
        }
        return ReadingOp(op, self._map_keys_converter())

    def _key_list_lookup(self, map_key: Any, convert: Any) -> ReadingOp[Any]:
        # [] when the key is absent, [value] when present: never an empty entry.
        def first(raw: list[Any]) -> Any:
            return convert(raw[0]) if raw else None

        op = {
            "op": MAP_GET_BY_KEY_LIST,
            "bin": self.bin_name,
            "val": [map_key],
            "return_type": _MAP_RETURN_VALUE,
        }
        return ReadingOp(op, first)

    # Conversion helpers shared by the builders.

    def encode(self, value: Any) -> Any:
        """Validate `value` strictly against the field's type, then encode it.

        Raises:
            ValueConversionError: When the value does not fit.
        """
        try:
            validated = self._type_adapter().validate_python(value, strict=True)
        except pydantic.ValidationError as exc:
            message = exc.errors()[0]["msg"]
            raise ValueConversionError(
                f"{self.path}: {describe(value)} refused ({message}); pass a value of "
                f"the field's type {_type_name(self._annotation)}"
            ) from exc
        return self._codec.encode(validated, self.path)

    def to_python(self, raw: Any) -> Any:
        """Convert a stored value read from this bin into the field's Python type."""
        if raw is None:
            return None
        decoded = self._codec.decode(raw)
        try:
            return self._type_adapter().validate_python(decoded)
        except pydantic.ValidationError as exc:
            raise ValueConversionError(
                f"{self.path} (bin {self.bin_name!r}): stored {describe(raw)} does not "
                f"fit the field's type {_type_name(self._annotation)}; fix the stored "
                "data or the field's type"
            ) from exc

    def _type_adapter(self) -> pydantic.TypeAdapter[Any]:
        if self._adapter is None:
            self._adapter = pydantic.TypeAdapter(self._annotation)
        return self._adapter

    def _require_kind(self, kinds: tuple[type, ...], builder: str, wanted: str) -> type:
        kind = self._codec.python_type
        if isinstance(kind, type) and kind is not bool and issubclass(kind, kinds):
            return kind
        raise OperationTypeError(
            f"{self.path}.{builder}() needs a {wanted} bin, but {self.field_name} is "
            f"{_type_name(self._annotation)}; use write() to replace its value"
        )

    def _require_optional(self, builder: str) -> None:
        if self._codec.nullable:
            return
        kind = _type_name(self._annotation)
        raise OperationTypeError(
            f"{self.path}.{builder} would remove the bin, but the field is required "
            f"({kind}), so the record could not be read back; declare it Optional "
            f"({self.field_name}: {kind} | None = None) to allow removing the bin, "
            "or write a value"
        )

    def _encode_int_amount(self, by: Any) -> Any:
        if isinstance(by, bool) or not isinstance(by, int):
            raise ValueConversionError(
                f"{self.path}.incr(): the amount must be an int for an int bin, "
                f"got {describe(by)}"
            )
        return self._codec.encode(by, self.path)

    def _text(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueConversionError(
                f"{self.path}: expected str, got {describe(value)}"
            )
        return value

    def _map_args(self) -> tuple[Any, Any]:
        return _dict_args(self._annotation)

    def _map_key(self, key: Any) -> Any:
        key_type, _ = self._map_args()
        if isinstance(key, enum.Enum):
            key = key.value
        if key_type is not Any and not isinstance(key, (str, int, bytes)):
            raise ValueConversionError(
                f"{self.path}: map key {describe(key)} cannot be stored; use str, int "
                "or bytes keys"
            )
        return key

    def _map_value_codec(self) -> ValueCodec:
        _, value_type = self._map_args()
        return codec_for(value_type)

    def _map_value_converter(self) -> Any:
        _, value_type = self._map_args()
        return _converter(value_type, self._map_value_codec(), self.path)

    def _map_keys_converter(self) -> Any:
        key_type, _ = self._map_args()
        return _converter(
            list[key_type],  # type: ignore[valid-type]
            codec_for(list[key_type]),  # type: ignore[valid-type]
            self.path,
        )


def _converter(annotation: Any, codec: ValueCodec, path: str) -> Any:
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(annotation)

    def convert(raw: Any) -> Any:
        try:
            return adapter.validate_python(codec.decode(raw))
        except pydantic.ValidationError as exc:
            raise ValueConversionError(
                f"{path}: stored {describe(raw)} does not fit the declared type "
                f"{_type_name(annotation)}; fix the stored data or the field's type"
            ) from exc

    return convert


def _dict_args(annotation: Any) -> tuple[Any, Any]:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    for candidate in (annotation, *typing.get_args(annotation)):
        origin = typing.get_origin(candidate)
        if origin is dict or origin is Mapping:
            key_type, value_type = typing.get_args(candidate)
            return key_type, value_type
    return Any, Any


def _type_name(annotation: Any) -> str:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return str(annotation).replace("typing.", "")
