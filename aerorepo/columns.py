"""Model fields as NumPy columns: dtypes, batch reads into arrays, and their masks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from aerorepo.exceptions import ValueConversionError

if TYPE_CHECKING:
    from aerorepo.models import BinSpec, Model

#: Bytes per character reserved when reading a `U<n>` column (UTF-8 needs at most 4).
_UTF8_MAX: Final = 4


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnSpec:
    """How one field is read as a column.

    Attributes:
        field_name: The model field, and the column's name.
        bin_name: The stored bin.
        read_dtype: The dtype aerospike-py's `to_numpy` fills (numeric or bytes).
        dtype: The column's final dtype.
        nullable: Whether the field admits None; such columns are masked arrays.
        chars: The width of a str column in characters, else None.
    """

    field_name: str
    bin_name: str
    read_dtype: np.dtype[Any]
    dtype: np.dtype[Any]
    nullable: bool
    chars: int | None = None


def column_spec(spec: BinSpec) -> ColumnSpec | None:
    """Return how a bin field is read as a column, or None if it has no column type.

    int (and IntEnum) → int64, float → float64, bool → bool, str with a width →
    `U<width>`, datetime → datetime64[us], date → datetime64[D].
    """
    kind = spec.codec.python_type
    if not isinstance(kind, type):
        return None
    if kind is str or (issubclass(kind, str) and issubclass(kind, enum.Enum)):
        return _str_column(spec)
    dtypes = _numeric_dtypes(kind)
    if dtypes is None:
        return None
    read_dtype, dtype = dtypes
    return ColumnSpec(spec.field_name, spec.bin_name, read_dtype, dtype, spec.nullable)


def _numeric_dtypes(kind: type) -> tuple[np.dtype[Any], np.dtype[Any]] | None:
    if kind is bool:
        return np.dtype(np.uint8), np.dtype(np.bool_)
    if issubclass(kind, dt.datetime):
        return np.dtype(np.int64), np.dtype("datetime64[us]")
    if issubclass(kind, dt.date):
        return np.dtype(np.int64), np.dtype("datetime64[D]")
    if issubclass(kind, int) and not issubclass(kind, bool):
        return np.dtype(np.int64), np.dtype(np.int64)
    if issubclass(kind, float):
        return np.dtype(np.float64), np.dtype(np.float64)
    return None


def _str_column(spec: BinSpec) -> ColumnSpec | None:
    if spec.max_chars is None:
        return None
    chars = spec.max_chars
    # One byte beyond the widest UTF-8 encoding shows a value that is too long.
    read_dtype = np.dtype(f"S{chars * _UTF8_MAX + 1}")
    return ColumnSpec(
        spec.field_name,
        spec.bin_name,
        read_dtype,
        np.dtype(f"U{chars}"),
        spec.nullable,
        chars,
    )


def column_specs(model: type[Model]) -> tuple[ColumnSpec, ...]:
    """Return the column specs of every columnar bin field of a model."""
    specs = (column_spec(bin_spec) for bin_spec in model.aerospike_spec().bins)
    return tuple(spec for spec in specs if spec is not None)


def numpy_dtype(model: type[Model]) -> np.dtype[Any]:
    """Return the structured dtype of a model's columns, keyed by field name."""
    return np.dtype([(spec.field_name, spec.dtype) for spec in column_specs(model)])


def select_columns(
    model: type[Model], fields: Sequence[str] | None
) -> tuple[ColumnSpec, ...]:
    """Return the column specs for `fields` (all columnar fields when None).

    Raises:
        KeyError: When a name is not a bin field of the model.
        TypeError: When a field has no column type (e.g. str without a width, lists,
            dicts, nested models).
    """
    available = column_specs(model)
    if fields is None:
        return available
    key_field = model.aerospike_spec().key_field
    by_name = {spec.field_name: spec for spec in available}
    # The key column is always returned, so asking for it is allowed.
    names = [name for name in fields if name != key_field]
    return tuple(_pick(model, by_name, name) for name in names)


def _pick(model: type[Model], by_name: dict[str, ColumnSpec], name: str) -> ColumnSpec:
    if name in by_name:
        return by_name[name]
    raise TypeError(no_column_reason(model, name))


def no_column_reason(model: type[Model], name: str) -> str:
    """Say why `name` has no column in a model's columnar reads, and what to do.

    Raises:
        KeyError: When `name` is not a bin field of the model.
    """
    spec = model.aerospike_spec()
    if name == spec.key_field:
        return f"{model.__name__}.{name} is the key; read_columns always returns it"
    bin_spec = next((b for b in spec.bins if b.field_name == name), None)
    if bin_spec is None:
        by_bin = [b.field_name for b in spec.bins if b.bin_name == name]
        hint = f" (it is the bin of field {by_bin[0]!r})" if by_bin else ""
        raise KeyError(
            f"{model.__name__} has no bin field {name!r}{hint}; bin fields are "
            f"{[b.field_name for b in spec.bins]}"
        )

    kind = bin_spec.codec.python_type
    if kind is str or (isinstance(kind, type) and issubclass(kind, str)):
        fix = f"use Annotated[str, Width(n)] (or Field(max_length=n)) for {name}"
    else:
        fix = f"read {name} with get_many(), or store it in a field of a column type"
    return (
        f"{model.__name__}.{name} has no column type; columns exist for int, float, "
        f"bool, datetime, date and str with a width; {fix}"
    )


def absent_reasons(model: type[Model], specs: Sequence[ColumnSpec]) -> dict[str, str]:
    """Return, for each bin field not among `specs`, why it has no column."""
    read = {spec.field_name for spec in specs}
    columnar = {spec.field_name for spec in column_specs(model)}
    reasons: dict[str, str] = {}
    for bin_spec in model.aerospike_spec().bins:
        name = bin_spec.field_name
        if name in columnar and name not in read:
            reasons[name] = f"{name} was not among the fields read; add it to fields="
        elif name not in columnar:
            reasons[name] = no_column_reason(model, name)
        if bin_spec.bin_name != name:
            reasons[bin_spec.bin_name] = (
                f"{bin_spec.bin_name!r} is the bin name of field {name}; columns are "
                "named by field"
            )
    return reasons


def read_dtype(specs: Sequence[ColumnSpec]) -> np.dtype[Any]:
    """Return the dtype handed to aerospike-py's `to_numpy`, keyed by bin name."""
    return np.dtype([(spec.bin_name, spec.read_dtype) for spec in specs])


def to_column(spec: ColumnSpec, raw: npt.NDArray[Any], path: str) -> npt.NDArray[Any]:
    """Convert one raw column filled by `to_numpy` into the column's dtype.

    Raises:
        ValueConversionError: When a stored str is wider than the declared width.
    """
    raw = np.ascontiguousarray(raw)
    if spec.chars is not None:
        return _decode_str_column(raw, spec.chars, path)
    if spec.dtype.kind in "bM":
        return raw.view(spec.dtype)
    return raw


def _decode_str_column(
    raw: npt.NDArray[Any], chars: int, path: str
) -> npt.NDArray[Any]:
    width = raw.dtype.itemsize
    as_bytes = raw.view(np.uint8).reshape(len(raw), width)

    # Fast path: ASCII values, each at most `chars` bytes long.
    if not as_bytes[:, chars:].any() and not (as_bytes >= 0x80).any():
        return raw.astype(f"S{chars}").astype(f"U{chars}")
    if as_bytes[:, -1].any():
        _raise_too_wide(raw, as_bytes[:, -1] != 0, chars, path)
    decoded = np.char.decode(raw, "utf-8")
    too_long = np.char.str_len(decoded) > chars
    if too_long.any():
        _raise_too_wide(decoded, too_long, chars, path)
    return decoded.astype(f"U{chars}")


def _raise_too_wide(
    values: npt.NDArray[Any], too_long: npt.NDArray[np.bool_], chars: int, path: str
) -> None:
    row = int(np.flatnonzero(too_long)[0])
    value = values[row]
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace") + "..."
    raise ValueConversionError(
        f"{path}: stored value {value!r} in row {row} is wider than the declared "
        f"{chars} characters ({int(too_long.sum())} rows); widen the field's Width or "
        "max_length, or fix the data"
    )


class Columns:
    """Columns of a batch read, one row per requested key, in request order.

    `cols["dep_delay"]` is a `numpy.ma.MaskedArray` whose mask is True where the
    record is missing or the bin is absent, so no absent value ever reads as 0: a
    stored 0 is not masked. NumPy's masked reductions (`mean`, `sum`, ...) leave
    masked rows out. `.data` gives the raw array (zeros under the mask), and
    `.filled(value)` a plain array with a value of your choice there. The key
    column holds the keys as requested and is never masked.

    Asking for a field that is not a column (a str without a width, a list, a dict,
    a nested model, or a field left out of `fields`) raises KeyError saying why.

    Attributes:
        found: bool array, True where the record exists.
        result_codes: int32 array of per-record result codes (0 found, 2 missing).
        generations: uint32 array of record generations (0 for missing records).
        ttls: int64 array of TTLs in seconds, -1 for never-expire, 0 when missing.
    """

    def __init__(
        self,
        columns: dict[str, npt.NDArray[Any]],
        result_codes: npt.NDArray[np.int32],
        generations: npt.NDArray[np.uint32],
        ttls: npt.NDArray[np.int64],
        absent: Mapping[str, str] | None = None,
    ) -> None:
        self._columns = columns
        self._absent = dict(absent or {})
        self.result_codes = result_codes
        self.found: npt.NDArray[np.bool_] = result_codes == 0
        self.generations = generations
        self.ttls = ttls

    def __getitem__(self, name: str) -> Any:
        """Return column `name`.

        Raises:
            KeyError: When there is no such column; the message says why (no column
                type, or not among the fields read) and what to do.
        """
        try:
            return self._columns[name]
        except KeyError:
            reason = self._absent.get(name, "no such field")
            raise KeyError(
                f"no column {name!r}: {reason}; columns are {list(self._columns)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self.result_codes)

    def __repr__(self) -> str:
        return f"Columns(rows={len(self)}, found={int(self.found.sum())}, names={self.names})"

    @property
    def names(self) -> list[str]:
        """The column names (field names), in model order, key column first."""
        return list(self._columns)

    def mask(self, name: str) -> npt.NDArray[np.bool_]:
        """Return a bool array that is True where column `name` holds no value."""
        return np.ma.getmaskarray(self[name])
