"""The aerorepo exception tree, wrapping the errors aerospike-py raises."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import aerospike_py

logger = logging.getLogger(__name__)

#: Result code aerospike-py gives to errors raised on the client side.
CLIENT_RESULT_CODE: Final = -1


class AerorepoError(Exception):
    """Base class of every error aerorepo raises.

    Attributes:
        result_code: The Aerospike result code when the error came from a client
            call (-1 for client-side failures), or None when aerorepo refused the
            input itself before calling the client.
    """

    def __init__(self, message: str, *, result_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result_code = result_code

    def __str__(self) -> str:
        return self.message


# Definition and input errors, raised before any client call.


class ModelDefinitionError(AerorepoError, TypeError):
    """A model class breaks an Aerospike rule; raised when the class is defined."""


class ValueConversionError(AerorepoError, ValueError):
    """A Python value cannot be stored as an Aerospike value (or read back)."""


class IntegerRangeError(ValueConversionError, OverflowError):
    """An int lies outside the signed 64-bit range that Aerospike stores."""


class InvalidTTLError(AerorepoError, ValueError):
    """A TTL is not one of the values Aerospike accepts."""


class OperationTypeError(AerorepoError, TypeError):
    """An operation does not fit the type of the bin it targets."""


class MissingUserKeyError(AerorepoError, LookupError):
    """A scanned record carries no user key, so no whole model can be built.

    Attributes:
        digest: The record's 20-byte digest, which identifies it without the key.
    """

    def __init__(self, message: str, *, digest: bytes | None = None) -> None:
        super().__init__(message)
        self.digest = digest


class EmptyRecordError(AerorepoError, ValueError):
    """A write would leave a record with no bins, which Aerospike cannot store."""


class OperationResultError(AerorepoError, LookupError):
    """The results of an operate call cannot be matched to its operations."""


# Errors reported by the client or the server.


class EmbeddedServerError(AerorepoError, RuntimeError):
    """The embedded server could not start: a bad setting, or the address is taken."""


class ClientCallError(AerorepoError):
    """A call through aerospike-py failed; `result_code` holds the code."""


class RecordNotFoundError(ClientCallError, KeyError):
    """The record does not exist (result code 2)."""


class RecordExistsError(ClientCallError):
    """A create-only write met an existing record (result code 5)."""


class GenerationError(ClientCallError):
    """The record's generation differs from the one expected (result code 3)."""


class RecordTooBigError(ClientCallError, ValueError):
    """The record exceeds the namespace's record size limit (result code 13)."""


class BinNameError(ClientCallError, ValueError):
    """A bin name is invalid or over 15 bytes (result code 21)."""


class BinTypeError(ClientCallError, TypeError):
    """An operation does not fit the stored bin's type (result code 12)."""


class FilteredOutError(ClientCallError):
    """A filter expression excluded the record (result code 27)."""


class ParameterError(ClientCallError, ValueError):
    """The server refused the request's parameters (result code 4)."""


class AerospikeConnectionError(ClientCallError, ConnectionError):
    """The client could not reach the cluster or is not connected."""


class AerospikeTimeoutError(ClientCallError, TimeoutError):
    """The call timed out on the client or the server."""


class ServerError(ClientCallError):
    """The server answered with an error code without a dedicated class."""


_BY_RESULT_CODE: Final[dict[int, type[ClientCallError]]] = {
    2: RecordNotFoundError,
    3: GenerationError,
    4: ParameterError,
    5: RecordExistsError,
    9: AerospikeTimeoutError,
    12: BinTypeError,
    13: RecordTooBigError,
    21: BinNameError,
    27: FilteredOutError,
}


def error_class_for(result_code: int) -> type[ClientCallError]:
    """Return the aerorepo error class for an Aerospike result code.

    Args:
        result_code: A server result code (positive) or a client code (negative).

    Returns:
        The dedicated subclass, or ServerError when the code has none.
    """
    return _BY_RESULT_CODE.get(result_code, ServerError)


def from_result_code(result_code: int, context: str) -> ClientCallError:
    """Build the error for a per-record result code reported inside a batch.

    Args:
        result_code: The record's result code.
        context: What was being done, e.g. "batch_read of key 3"; starts the message.

    Returns:
        An instance of the class chosen by `error_class_for`.
    """
    error_class = error_class_for(result_code)
    message = f"{context} failed with result code {result_code}"
    return error_class(message, result_code=result_code)


def from_client_error(
    exc: aerospike_py.AerospikeError, context: str
) -> ClientCallError:
    """Translate an aerospike-py exception into the matching aerorepo error.

    Args:
        exc: The exception raised by aerospike-py.
        context: What was being done, e.g. "get of test.flights key 3".

    Returns:
        The aerorepo error, carrying the same `result_code`.
    """
    code = int(getattr(exc, "result_code", CLIENT_RESULT_CODE))
    error_class = _class_for_client_error(exc, code)
    return error_class(
        f"{context} failed: {exc} (result code {code})", result_code=code
    )


def _class_for_client_error(
    exc: aerospike_py.AerospikeError, code: int
) -> type[ClientCallError]:
    # Client-side failures all carry -1; their class tells them apart.
    if isinstance(exc, aerospike_py.AerospikeTimeoutError):
        return AerospikeTimeoutError
    if isinstance(exc, aerospike_py.ClusterError):
        return AerospikeConnectionError
    if isinstance(exc, aerospike_py.ClientError) and "not connected" in str(exc):
        return AerospikeConnectionError
    return error_class_for(code)


@contextmanager
def translated_errors(context: str) -> Iterator[None]:
    """Re-raise aerospike-py exceptions inside the block as aerorepo errors.

    aerospike-py also raises builtin TypeError, ValueError and OverflowError for
    input it cannot convert (for example a str with a lone surrogate); those become
    ValueConversionError. aerorepo's own errors pass through unchanged.

    Args:
        context: What the block does, used to start the error message.

    Raises:
        ClientCallError: A subclass chosen by result code, raised from the original.
        ValueConversionError: When aerospike-py refused a value it was given.
    """
    try:
        yield
    except AerorepoError:
        raise
    except aerospike_py.AerospikeError as exc:
        raise from_client_error(exc, context) from exc
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueConversionError(
            f"{context}: aerospike-py refused a value: {type(exc).__name__}: {exc}; "
            "check the model's values (str must be valid UTF-8, ints 64-bit, lists "
            "and dicts at most 64 levels deep)",
            result_code=CLIENT_RESULT_CODE,
        ) from exc
