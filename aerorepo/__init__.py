"""Typed Pydantic models, atomic operations, repositories and NumPy columns for Aerospike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aerorepo import ops
from aerorepo.codec import (
    INT64_MAX,
    INT64_MIN,
    TTL_KEEP_CURRENT,
    TTL_MAX,
    TTL_NAMESPACE_DEFAULT,
    TTL_NEVER_EXPIRE,
)
from aerorepo.columns import Columns
from aerorepo.exceptions import (
    AerorepoError,
    GenerationError,
    ModelDefinitionError,
    RecordExistsError,
    RecordNotFoundError,
)
from aerorepo.models import Generation, Key, Model, Width
from aerorepo.ops import BinRef, Op
from aerorepo.repository import BatchOutcome, OperateResult, RecordMeta, Repository

if TYPE_CHECKING:
    from aerorepo.embedded import EmbeddedServer

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "TTL_KEEP_CURRENT",
    "TTL_MAX",
    "TTL_NAMESPACE_DEFAULT",
    "TTL_NEVER_EXPIRE",
    "AerorepoError",
    "BatchOutcome",
    "BinRef",
    "Columns",
    "EmbeddedServer",
    "Generation",
    "GenerationError",
    "Key",
    "Model",
    "ModelDefinitionError",
    "Op",
    "OperateResult",
    "RecordExistsError",
    "RecordMeta",
    "RecordNotFoundError",
    "Repository",
    "Width",
    "ops",
]


def __getattr__(name: str) -> Any:
    # The native extension is loaded only when the embedded server is asked for.
    if name == "EmbeddedServer":
        from aerorepo.embedded import EmbeddedServer

        return EmbeddedServer
    raise AttributeError(f"module 'aerorepo' has no attribute {name!r}")
