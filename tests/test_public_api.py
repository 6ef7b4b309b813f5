"""The public surface of the aerorepo package, pinned."""

from __future__ import annotations

import pytest

import aerorepo
from aerorepo import exceptions

EXPECTED = [
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


def test_all_lists_exactly_the_public_names() -> None:
    assert aerorepo.__all__ == EXPECTED


def test_all_is_sorted_constants_then_classes_then_modules() -> None:
    assert aerorepo.__all__ == sorted(
        aerorepo.__all__, key=lambda n: (not n.isupper(), n)
    )


def test_every_public_name_resolves() -> None:
    for name in aerorepo.__all__:
        assert getattr(aerorepo, name) is not None, name


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        aerorepo.no_such_name  # noqa: B018


ERRORS = [
    "AerospikeConnectionError",
    "AerospikeTimeoutError",
    "BinNameError",
    "BinTypeError",
    "ClientCallError",
    "EmbeddedServerError",
    "EmptyRecordError",
    "FilteredOutError",
    "GenerationError",
    "IntegerRangeError",
    "InvalidTTLError",
    "MissingUserKeyError",
    "ModelDefinitionError",
    "OperationResultError",
    "OperationTypeError",
    "ParameterError",
    "RecordExistsError",
    "RecordNotFoundError",
    "RecordTooBigError",
    "ValueConversionError",
]


@pytest.mark.parametrize("name", ERRORS, ids=str)
def test_error_classes_are_exported_from_their_one_hierarchy(name: str) -> None:
    error_class = getattr(aerorepo, name)
    assert error_class is getattr(exceptions, name)
    assert issubclass(error_class, aerorepo.AerorepoError)


def test_server_error_stays_in_the_exceptions_module() -> None:
    # aerospike_py.ServerError is the parent of every server-side error, while
    # aerorepo's ServerError only covers codes without a class of their own.
    assert "ServerError" not in aerorepo.__all__
    assert not issubclass(exceptions.ParameterError, exceptions.ServerError)
