"""Typed Pydantic models, atomic operations, repositories and NumPy columns for Aerospike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aerorepo import ops
from aerorepo.codec import (
    INT64_MAX,
    INT64_MIN,
    MAX_NESTING,
    TTL_KEEP_CURRENT,
    TTL_MAX,
    TTL_NAMESPACE_DEFAULT,
    TTL_NEVER_EXPIRE,
)
from aerorepo.columns import Columns
from aerorepo.exceptions import (
    AerorepoError,
    AerospikeConnectionError,
    AerospikeTimeoutError,
    BinNameError,
    BinTypeError,
    ClientCallError,
    EmbeddedServerError,
    EmptyRecordError,
    FilteredOutError,
    GenerationError,
    IntegerRangeError,
    InvalidTTLError,
    MissingUserKeyError,
    ModelDefinitionError,
    OperationResultError,
    OperationTypeError,
    ParameterError,
    RecordExistsError,
    RecordNotFoundError,
    RecordTooBigError,
    ValueConversionError,
)
from aerorepo.models import Generation, Key, Model, Width
from aerorepo.ops import BinRef, Op
from aerorepo.repository import Repository
from aerorepo.results import BatchOutcome, OperateResult, RecordMeta

if TYPE_CHECKING:
    from aerorepo.embedded import EmbeddedServer

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_NESTING",
    "TTL_KEEP_CURRENT",
    "TTL_MAX",
    "TTL_NAMESPACE_DEFAULT",
    "TTL_NEVER_EXPIRE",
    "AerorepoError",
    "AerospikeConnectionError",
    "AerospikeTimeoutError",
    "BatchOutcome",
    "BinNameError",
    "BinRef",
    "BinTypeError",
    "ClientCallError",
    "Columns",
    "EmbeddedServer",
    "EmbeddedServerError",
    "EmptyRecordError",
    "FilteredOutError",
    "Generation",
    "GenerationError",
    "IntegerRangeError",
    "InvalidTTLError",
    "Key",
    "MissingUserKeyError",
    "Model",
    "ModelDefinitionError",
    "Op",
    "OperateResult",
    "OperationResultError",
    "OperationTypeError",
    "ParameterError",
    "RecordExistsError",
    "RecordMeta",
    "RecordNotFoundError",
    "RecordTooBigError",
    "Repository",
    "ValueConversionError",
    "Width",
    "ops",
]


def __getattr__(name: str) -> Any:
    # The native extension is loaded only when the embedded server is asked for.
    if name == "EmbeddedServer":
        from aerorepo.embedded import EmbeddedServer

        return EmbeddedServer
    raise AttributeError(f"module 'aerorepo' has no attribute {name!r}")
