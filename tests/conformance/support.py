"""Shared helpers for the conformance tests."""

from __future__ import annotations

import pytest

NEVER = 4294967295  # ttl the client reports for records that never expire


def result_code(excinfo: pytest.ExceptionInfo[BaseException]) -> int:
    code = getattr(excinfo.value, "result_code", None)
    assert isinstance(code, int), excinfo.value
    return code
