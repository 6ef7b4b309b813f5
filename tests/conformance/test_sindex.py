"""Secondary indexes: create/remove through info commands, equality and range queries."""

from __future__ import annotations

import uuid

import aerospike_py
import pytest
from aerospike_py import predicates
from support import result_code


@pytest.fixture
def index(client, aerospike_namespace):
    """Yields a factory of uniquely named indexes; removes them afterwards."""
    names: list[str] = []

    def create(set_name: str, bin_name: str, kind: str = "int") -> str:
        name = f"idx_{uuid.uuid4().hex[:12]}"
        create_fn = (
            client.index_integer_create if kind == "int" else client.index_string_create
        )
        create_fn(aerospike_namespace, set_name, bin_name, name)
        names.append(name)
        return name

    yield create
    for name in names:
        client.index_remove(aerospike_namespace, name)


def query(client, namespace, set_name, predicate, policy=None):
    q = client.query(namespace, set_name)
    q.where(predicate)
    return q.results(policy)


@pytest.fixture
def people(client, key):
    rows = [(key(i), {"age": 20 + i, "name": f"p{i % 3}"}) for i in range(10)]
    rows.append((key("str-age"), {"age": "25", "name": "p0"}))
    rows.append((key("no-age"), {"name": "p1"}))
    client.batch_write(rows)


def ages(records):
    return sorted(r.bins["age"] for r in records)


def test_integer_equality_and_range(
    client, index, people, aerospike_namespace, aerospike_set
):
    index(aerospike_set, "age")
    found = query(
        client, aerospike_namespace, aerospike_set, predicates.equals("age", 25)
    )
    assert ages(found) == [25]
    found = query(
        client, aerospike_namespace, aerospike_set, predicates.between("age", 22, 24)
    )
    assert ages(found) == [22, 23, 24]


def test_string_equality(client, index, people, aerospike_namespace, aerospike_set):
    index(aerospike_set, "name", "str")
    found = query(
        client, aerospike_namespace, aerospike_set, predicates.equals("name", "p0")
    )
    assert sorted(str(r.bins["age"]) for r in found) == ["20", "23", "25", "26", "29"]


def test_index_sees_later_writes_and_deletes(
    client, index, key, people, aerospike_namespace, aerospike_set
):
    index(aerospike_set, "age")
    client.put(key("late"), {"age": 25})
    client.remove(key(5))
    client.put(key(6), {"age": "twenty-six"})
    found = query(
        client, aerospike_namespace, aerospike_set, predicates.between("age", 25, 26)
    )
    assert ages(found) == [25]


def test_query_combines_with_a_filter_expression(
    client, index, people, aerospike_namespace, aerospike_set
):
    index(aerospike_set, "age")
    expr = aerospike_py.exp.eq(
        aerospike_py.exp.string_bin("name"), aerospike_py.exp.string_val("p1")
    )
    found = query(
        client,
        aerospike_namespace,
        aerospike_set,
        predicates.between("age", 20, 29),
        {"filter_expression": expr},
    )
    assert ages(found) == [21, 24, 27]


def test_query_without_an_index_is_index_not_found(
    client, people, aerospike_namespace, aerospike_set
):
    with pytest.raises(aerospike_py.IndexNotFound) as excinfo:
        query(client, aerospike_namespace, aerospike_set, predicates.equals("age", 25))
    assert result_code(excinfo) == 201


def test_index_of_another_type_does_not_serve_the_query(
    client, index, people, aerospike_namespace, aerospike_set
):
    index(aerospike_set, "age", "str")
    with pytest.raises(aerospike_py.IndexNotFound):
        query(client, aerospike_namespace, aerospike_set, predicates.equals("age", 25))


def test_removed_index_no_longer_serves_queries(
    client, people, aerospike_namespace, aerospike_set
):
    name = f"idx_{uuid.uuid4().hex[:12]}"
    client.index_integer_create(aerospike_namespace, aerospike_set, "age", name)
    client.index_remove(aerospike_namespace, name)
    with pytest.raises(aerospike_py.IndexNotFound):
        query(client, aerospike_namespace, aerospike_set, predicates.equals("age", 25))


def test_create_is_idempotent_and_remove_of_a_missing_index_succeeds(
    client, index, aerospike_namespace, aerospike_set
):
    name = index(aerospike_set, "age")
    client.index_integer_create(aerospike_namespace, aerospike_set, "age", name)
    client.index_remove(aerospike_namespace, f"missing_{uuid.uuid4().hex[:8]}")


def test_same_name_with_another_definition_is_index_found(
    client, index, aerospike_namespace, aerospike_set
):
    name = index(aerospike_set, "age")
    # aerospike-py 0.14.4 surfaces the server's 200 as a ClientError naming IndexFound.
    with pytest.raises(aerospike_py.ClientError, match="IndexFound"):
        client.index_integer_create(aerospike_namespace, aerospike_set, "other", name)


@pytest.mark.parametrize(("begin", "end"), [(3, 1), (25, 24), (0, -1)])
def test_a_range_with_reversed_bounds_is_refused_with_4(
    client, index, people, aerospike_namespace, aerospike_set, begin, end
):
    index(aerospike_set, "age")
    with pytest.raises(aerospike_py.ServerError) as excinfo:
        query(
            client,
            aerospike_namespace,
            aerospike_set,
            predicates.between("age", begin, end),
        )
    assert result_code(excinfo) == 4
    found = query(
        client, aerospike_namespace, aerospike_set, predicates.between("age", 24, 24)
    )
    assert ages(found) == [24]
