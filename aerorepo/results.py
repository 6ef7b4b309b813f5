"""Results of repository calls: outcomes per key, operate results and their assembly."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any, Final, Generic, Literal, TypeVar, overload

from aerorepo.codec import describe, ttl_from_server
from aerorepo.exceptions import (
    CLIENT_RESULT_CODE,
    AerorepoError,
    OperationResultError,
    from_result_code,
)
from aerorepo.models import KeyValue
from aerorepo.ops import Op, ReadingOp

T = TypeVar("T")
R = TypeVar("R")

_RC_OK: Final = 0

OutcomeStatus = Literal["ok", "missing", "error"]


@dataclasses.dataclass(frozen=True, slots=True)
class RecordMeta:
    """A record's generation and TTL.

    Attributes:
        generation: Incremented by each write; 16-bit on the server (65535 → 1).
        ttl: Seconds until expiry, or TTL_NEVER_EXPIRE (-1).
    """

    generation: int
    ttl: int


@dataclasses.dataclass(frozen=True, slots=True)
class BatchOutcome(Generic[T]):
    """The outcome of one key of a batch call, in the order of the request.

    Attributes:
        key: The key as given in the request. In `scan_outcomes`, the stored user
            key, or None for a record stored without it (then see `digest`).
        status: "ok" (found, or written), "missing" (result code 2) or "error".
        value: The model or operate result when `status` is "ok", else None.
        result_code: The per-record result code: 0 when ok, -1 when aerorepo
            refused the record itself (a stored record that does not fit the model,
            a model with no bins to write); see `error`.
        in_doubt: True when a failed write may still have been applied.
        failure: The aerorepo error behind a client-side "error" outcome, if any.
        digest: The record's 20-byte digest (set by `scan_outcomes`), else None.
    """

    key: KeyValue | None
    status: OutcomeStatus
    value: T | None = None
    result_code: int = _RC_OK
    in_doubt: bool = False
    failure: AerorepoError | None = None
    digest: bytes | None = None

    @property
    def ok(self) -> bool:
        """True when the record was found (reads) or the write succeeded."""
        return self.status == "ok"

    @property
    def missing(self) -> bool:
        """True when the record does not exist."""
        return self.status == "missing"

    @property
    def error(self) -> AerorepoError | None:
        """The error for this key (missing records included), or None when ok.

        A ClientCallError chosen by result code, or the aerorepo error that made
        aerorepo refuse the record (for example a ValueConversionError).
        """
        if self.status == "ok":
            return None
        if self.failure is not None:
            return self.failure
        return from_result_code(self.result_code, f"key {self.key!r}")

    def unwrap(self) -> T:
        """Return the value, or raise this key's error.

        Raises:
            AerorepoError: RecordNotFoundError when missing, a ClientCallError by
                result code, or the error that made aerorepo refuse the record.
        """
        error = self.error
        if error is not None:
            raise error
        return self.value  # type: ignore[return-value]


def refused_outcome(
    key: KeyValue | None, error: AerorepoError, digest: bytes | None = None
) -> BatchOutcome[Any]:
    """Return an "error" outcome for a record refused on the client side."""
    return BatchOutcome(
        key, "error", result_code=CLIENT_RESULT_CODE, failure=error, digest=digest
    )


class OperateResult:
    """The results of one `operate` call, addressed by operation.

    `result[op]` gives the converted result of that operation (None for operations
    without one, and for reads of absent bins); `result[i]` gives the i-th
    operation's result. Two operations on the same bin keep separate results.

    Attributes:
        generation: The record's generation after the call (0 if it was deleted).
        ttl: Seconds until expiry, TTL_NEVER_EXPIRE (-1), or 0 if deleted.
    """

    def __init__(
        self, ops: Sequence[Op[Any]], values: list[Any], meta: RecordMeta
    ) -> None:
        self._ops = tuple(ops)
        self._values = values
        self.generation = meta.generation
        self.ttl = meta.ttl

    @overload
    def __getitem__(self, item: Op[R]) -> R: ...

    @overload
    def __getitem__(self, item: int) -> Any: ...

    def __getitem__(self, item: Op[Any] | int) -> Any:
        if isinstance(item, int):
            return self._values[item]
        for op, value in zip(self._ops, self._values, strict=True):
            if op is item:
                return value
        raise KeyError(f"{item!r} is not an operation of this call")

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __repr__(self) -> str:
        return (
            f"OperateResult(values={self._values!r}, generation={self.generation}, "
            f"ttl={self.ttl})"
        )


def meta_from_server(meta: Any) -> RecordMeta:
    """Build RecordMeta from aerospike-py's meta (NamedTuple or dict), or zeros."""
    if meta is None:
        return RecordMeta(0, 0)
    if isinstance(meta, dict):
        gen, ttl = meta.get("gen", 0), meta.get("ttl", 0)
    else:
        gen, ttl = meta.gen, meta.ttl
    return RecordMeta(int(gen or 0), ttl_from_server(int(ttl or 0)))


def spread_results(
    ops: Sequence[Op[Any]], bins: dict[str, Any] | None, *, every_op: bool = False
) -> list[Any]:
    """Assign the bins of an operate reply to the operations that produced them.

    The reply holds one value per bin; when k > 1 operations on one bin answer,
    the value is the list of their k answers, in operation order.

    Args:
        ops: The operations, in the order sent.
        bins: The reply's bins.
        every_op: True when every bin operation answers (batch operate replies,
            where writes answer None); otherwise only reading operations do.

    Raises:
        OperationResultError: When a bin's reply does not match its operations.
    """
    bins = bins or {}
    by_bin: dict[str, list[int]] = {}
    for index, op in enumerate(ops):
        if op.bin_name is not None and (op.has_result or every_op):
            by_bin.setdefault(op.bin_name, []).append(index)

    values: list[Any] = [None] * len(ops)
    for bin_name, indexes in by_bin.items():
        answers = _split(bin_name, bins.get(bin_name), len(indexes))
        for index, value in zip(indexes, answers, strict=True):
            values[index] = ops[index].convert_result(value)
    return values


def _split(bin_name: str, raw: Any, count: int) -> list[Any]:
    if count == 1:
        return [raw]
    if raw is None:
        return [None] * count
    if isinstance(raw, list) and len(raw) == count:
        return raw
    raise OperationResultError(
        f"bin {bin_name!r}: {count} operations returned {describe(raw)}; expected one "
        f"result per operation; split the operations into separate calls"
    )


def check_ops(ops: Sequence[Any]) -> None:
    """Refuse an empty operation list or anything that is not an aerorepo `Op`."""
    if not ops:
        raise ValueError(
            "operate needs at least one operation, e.g. Model.field.read()"
        )
    for op in ops:
        if not isinstance(op, Op):
            raise TypeError(f"expected an aerorepo operation, got {describe(op)}")


def answering_ops(ops: Sequence[Op[Any]]) -> list[Op[Any]]:
    """Return the operations to send so that no read of a shared bin goes unanswered.

    A read sharing its bin with another read is replaced by its answering form
    (see `ReadingOp.answering_form`); every other operation is sent as given.
    """
    shared = _shared_bins(ops)
    return [
        op.answering_form()
        if isinstance(op, ReadingOp) and op.bin_name in shared
        else op
        for op in ops
    ]


def unfoldable_read(ops: Sequence[Op[Any]]) -> str | None:
    """Describe reads whose results a folded operate reply cannot tell apart, if any.

    With answering forms, the reads of one bin all answer or all give nothing,
    unless an operation between them can add or remove that bin: then some may
    answer and some not, and the folded list no longer says which.

    Returns:
        None when one `operate` keeps every result apart, else a description of
        the first conflicting operations (positions count from 0).
    """
    for bin_name, indexes in _shared_bins(ops).items():
        first, last = indexes[0], indexes[-1]
        for between in range(first + 1, last):
            if ops[between].may_change_bin(bin_name):
                return (
                    f"operations {first} and {last} read bin {bin_name!r} on both "
                    f"sides of operation {between} ({ops[between]!r}), which can add "
                    "or remove that bin"
                )
    return None


def _shared_bins(ops: Sequence[Op[Any]]) -> dict[str, list[int]]:
    # The bins read by more than one operation, with those operations' positions.
    reads: dict[str, list[int]] = {}
    for index, op in enumerate(ops):
        if op.bin_name is not None and op.has_result:
            reads.setdefault(op.bin_name, []).append(index)
    return {name: indexes for name, indexes in reads.items() if len(indexes) > 1}
