"""Set and bin names a real server refuses: 64-byte or NUL set names, NUL bin names."""

from __future__ import annotations

import aerospike_py
import pytest
from aerospike_py import BinNameError, RecordNotFound, ServerError
from support import result_code

WRITE = aerospike_py.OPERATOR_WRITE


def _long_set(aerospike_set: str, length: int) -> str:
    return (aerospike_set + "_" + "s" * length)[:length]


def test_a_63_byte_set_name_is_stored(client, aerospike_namespace, aerospike_set):
    k = (aerospike_namespace, _long_set(aerospike_set, 63), 1)
    client.put(k, {"a": 1})
    assert client.get(k).bins == {"a": 1}
    client.remove(k)


@pytest.mark.parametrize("how", ["put", "operate"])
def test_a_64_byte_set_name_is_refused_on_write(
    client, aerospike_namespace, aerospike_set, how
):
    k = (aerospike_namespace, _long_set(aerospike_set, 64), 1)

    def write() -> None:
        if how == "put":
            client.put(k, {"a": 1})
        else:
            client.operate(k, [{"op": WRITE, "bin": "a", "val": 1}])

    with pytest.raises(ServerError) as excinfo:
        write()
    assert result_code(excinfo) == 4
    with pytest.raises(RecordNotFound):
        client.get(k)
    with pytest.raises(RecordNotFound):
        client.remove(k)


def test_a_64_byte_set_name_is_refused_by_a_scan(
    client, aerospike_namespace, aerospike_set
):
    with pytest.raises(ServerError) as excinfo:
        client.query(aerospike_namespace, _long_set(aerospike_set, 64)).results()
    assert result_code(excinfo) == 4


def test_batch_rows_with_a_64_byte_set_name_answer_4(
    client, key, aerospike_namespace, aerospike_set
):
    client.put(key(1), {"a": 1})
    bad = (aerospike_namespace, _long_set(aerospike_set, 64), 1)
    ops = [{"op": WRITE, "bin": "b", "val": 1}]
    rows = client.batch_operate([bad, key(1)], ops).batch_records
    assert [row.result for row in rows] == [4, 0]
    reads = client.batch_read([bad, key(1)], bins=["a"]).batch_records
    assert [row.result for row in reads] == [2, 0]


def test_a_set_name_with_a_nul_byte_is_refused(
    client, aerospike_namespace, aerospike_set
):
    with pytest.raises(ServerError) as excinfo:
        client.put((aerospike_namespace, aerospike_set + "\0x", 1), {"a": 1})
    assert result_code(excinfo) == 4


@pytest.mark.parametrize("name", ["a\0b", "\0", "ab\0"])
def test_a_bin_name_with_a_nul_byte_is_refused_with_21(client, key, name):
    with pytest.raises(BinNameError) as excinfo:
        client.put(key(1), {name: 1})
    assert result_code(excinfo) == 21
    client.put(key(1), {"a": 1})
    with pytest.raises(BinNameError) as excinfo:
        client.increment(key(1), name, 1)
    assert result_code(excinfo) == 21
    with pytest.raises(BinNameError) as excinfo:
        client.select(key(1), [name])
    assert result_code(excinfo) == 21
    assert client.get(key(1)).bins == {"a": 1}


def test_an_empty_bin_name_can_be_written_by_operate(client, key):
    client.operate(key(1), [{"op": WRITE, "bin": "", "val": 1}])
    client.increment(key(1), "", 2)
    assert client.get(key(1)).bins == {"": 3}
