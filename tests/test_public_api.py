"""The public surface of the aerorepo package, pinned."""

from __future__ import annotations

import pytest

import aerorepo

EXPECTED = [
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
