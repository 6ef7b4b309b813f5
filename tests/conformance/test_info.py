from __future__ import annotations

import aerospike_py


def test_ping_and_node_names(client):
    assert client.ping()
    assert client.is_connected()
    assert len(client.get_node_names()) >= 1


def test_namespaces_lists_the_test_namespace(client, aerospike_namespace):
    responses = client.info_all("namespaces")
    assert all(aerospike_namespace in r.response.split(";") for r in responses)


def test_unknown_info_command_is_an_error_reply(client):
    responses = client.info_all("no-such-command-xyz")
    assert all(r.response.startswith("ERROR:4:") for r in responses)


def test_build_is_four_numbers(client):
    build = client.info_random_node("build")
    assert len(build.split(".")) == 4
    assert all(part.isdigit() for part in build.split("."))


def test_second_client_connects_alongside(aerospike_hosts, key):
    other = aerospike_py.client({"hosts": aerospike_hosts}).connect()
    try:
        other.put(key(1), {"a": 1})
        assert other.get(key(1)).bins == {"a": 1}
    finally:
        other.close()
