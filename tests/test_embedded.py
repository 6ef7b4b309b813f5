from __future__ import annotations

import contextlib
import os
import pickle
import random
import socket
import struct
import subprocess
import sys
import time

import aerospike_py
import pytest

from aerorepo._native import Server, ServerError
from aerorepo.embedded import EmbeddedServer
from aerorepo.exceptions import EmbeddedServerError

HEADER = struct.Struct(">BBBBBBIIIHH")  # the 22-byte AS_MSG header


def proto(kind: int, body: bytes, version: int = 2) -> bytes:
    return bytes([version, kind]) + len(body).to_bytes(6, "big") + body


def as_msg(info1=0, info2=0, n_fields=0, n_ops=0, payload=b"") -> bytes:
    return HEADER.pack(22, info1, info2, 0, 0, 0, 0, 0, 1000, n_fields, n_ops) + payload


def field(kind: int, data: bytes) -> bytes:
    return struct.pack(">IB", len(data) + 1, kind) + data


def recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def read_reply(sock: socket.socket) -> tuple[int, bytes]:
    """Return (proto type, body) of one reply, or (-1, b"") if the server closed."""
    head = recv_exact(sock, 8)
    if len(head) < 8:
        return -1, b""
    return head[1], recv_exact(sock, int.from_bytes(head[2:], "big"))


def result_code_of(body: bytes) -> int:
    return body[5]


def is_closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.fixture
def server():
    with EmbeddedServer(namespaces=("test", "other")) as srv:
        yield srv


@pytest.fixture
def raw(server):
    sock = socket.create_connection((server.host, server.port), timeout=5)
    yield sock
    sock.close()


def assert_still_serves(server: EmbeddedServer) -> None:
    client = server.connect()
    try:
        client.put(("test", "alive", 1), {"ok": 1})
        assert client.get(("test", "alive", 1)).bins == {"ok": 1}
    finally:
        client.close()


# -- EmbeddedServer ------------------------------------------------------------------


def test_context_manager_picks_a_port_and_stops():
    with EmbeddedServer() as srv:
        assert srv.is_running()
        assert srv.port > 0
        assert srv.host == "127.0.0.1"
        assert srv.hosts == [("127.0.0.1", srv.port)]
        assert srv.client_config == {"hosts": [("127.0.0.1", srv.port)]}
        assert_still_serves(srv)
    assert not srv.is_running()
    with pytest.raises(aerospike_py.ClusterError, match="Failed to connect"):
        aerospike_py.client({"hosts": srv.hosts, "timeout": 200}).connect()


def test_stop_is_idempotent_and_closes_open_connections():
    srv = EmbeddedServer().start()
    sock = socket.create_connection((srv.host, srv.port), timeout=5)
    srv.stop()
    srv.stop()
    assert is_closed(sock)
    sock.close()


def test_cluster_name_is_reported_and_checked():
    with EmbeddedServer(cluster_name="docker") as srv:
        assert srv.client_config["cluster_name"] == "docker"
        client = srv.connect()
        assert client.info_random_node("cluster-name") == "docker"
        client.close()
        wrong = {"hosts": srv.hosts, "cluster_name": "other", "timeout": 300}
        with pytest.raises(aerospike_py.ClusterError, match="Failed to connect"):
            aerospike_py.client(wrong).connect()


def test_port_before_start_is_an_error():
    with pytest.raises(RuntimeError, match="not started"):
        _ = EmbeddedServer().port


def test_fixed_port_in_use_is_a_server_error(server):
    with pytest.raises(ServerError, match="choose another port"):
        Server(port=server.port)


def test_non_loopback_needs_explicit_permission():
    with pytest.raises(EmbeddedServerError, match="allow_non_loopback"):
        EmbeddedServer(host="0.0.0.0").start()
    srv = Server(host="0.0.0.0", allow_non_loopback=True)
    assert srv.is_running()
    srv.stop()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"namespaces": []}, "namespaces is empty"),
        ({"namespaces": ["a;b"]}, "invalid"),
        ({"default_ttl": 315_360_001}, "default_ttl 315360001 is out of range"),
        ({"max_connections": 0}, "max_connections"),
        ({"host": "not-an-ip"}, "not an IP address"),
    ],
    ids=["no-namespace", "bad-namespace", "ttl", "connections", "host"],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ServerError, match=message):
        Server(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"default_ttl": -1}, "default_ttl -1 is out of range; pass 0 to 315360000"),
        ({"default_ttl": 99_999_999_999}, "default_ttl 99999999999 is out of range"),
        ({"default_ttl": 10**40}, f"default_ttl {10**40} is out of range"),
        (
            {"max_record_size": -1},
            "max_record_size -1 is out of range; pass 64 to 8388608",
        ),
        ({"max_record_size": 63}, "max_record_size 63 is out of range"),
        ({"max_record_size": 8 * 1024 * 1024 + 1}, "max_record_size 8388609 is out"),
        (
            {"namespaces": {"test": {"default_ttl": -5}}},
            'default_ttl -5 for namespace "test" is out of range; pass 0 to 315360000',
        ),
        (
            {"namespaces": {"test": {"max_record_size": 0}}},
            'max_record_size 0 for namespace "test" is out of range',
        ),
        ({"namespaces": ["test", "test"]}, "namespace 'test' is listed twice"),
    ],
    ids=[
        "ttl-negative",
        "ttl-huge",
        "ttl-beyond-128-bits",
        "size-negative",
        "size-below-64",
        "size-above-8MiB",
        "ns-ttl",
        "ns-size",
        "duplicate",
    ],
)
def test_out_of_range_settings_name_setting_value_and_range(kwargs, message):
    with pytest.raises(EmbeddedServerError) as info:
        EmbeddedServer(**kwargs).start()
    assert message in str(info.value)


def test_the_real_servers_record_size_range_is_accepted():
    for size in (64, 8 * 1024 * 1024):
        Server(max_record_size=size).stop()
        Server(max_record_size={"test": size}).stop()


def test_namespaces_as_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="sequence of names"):
        EmbeddedServer(namespaces="test")


def test_default_ttl_applies_to_namespace_default_writes():
    with EmbeddedServer(default_ttl=1000) as srv:
        client = srv.connect()
        client.put(("test", "ttl", 1), {"a": 1})
        assert 990 <= client.exists(("test", "ttl", 1)).meta.ttl <= 1000
        client.close()


def test_default_ttl_can_differ_per_namespace():
    with EmbeddedServer(namespaces=("test", "short"), default_ttl={"short": 60}) as srv:
        client = srv.connect()
        client.put(("test", "ttl", 1), {"a": 1})
        client.put(("short", "ttl", 1), {"a": 1})
        assert client.exists(("test", "ttl", 1)).meta.ttl == 4294967295
        assert 55 <= client.exists(("short", "ttl", 1)).meta.ttl <= 60
        client.close()
    with pytest.raises(ServerError, match="not served"):
        Server(default_ttl={"nope": 5})


def test_truncate_namespace_removes_every_set(server):
    client = server.connect()
    client.put(("test", "a", 1), {"a": 1})
    client.put(("test", "b", 1), {"a": 1})
    client.put(("other", "a", 1), {"a": 1})
    time.sleep(
        0.003
    )  # truncate spares records of its own millisecond, as a real server
    client.truncate("test", "")
    assert client.query("test", "").results() == []
    assert client.exists(("other", "a", 1)).meta is not None
    client.close()


def test_max_record_size_is_configurable():
    with EmbeddedServer(max_record_size=4096) as srv:
        client = srv.connect()
        client.put(("test", "big", 1), {"b": b"x" * 3000})
        with pytest.raises(aerospike_py.RecordTooBig, match=r"\(13\)"):
            client.put(("test", "big", 2), {"b": b"x" * 5000})
        client.close()


def test_second_namespace_is_served(server):
    client = server.connect()
    client.put(("other", "s", 1), {"a": 1})
    assert client.exists(("test", "s", 1)).meta is None
    assert client.get(("other", "s", 1)).bins == {"a": 1}
    assert client.info_random_node("namespaces") == "test;other"
    client.close()


UNSUPPORTED = pytest.mark.parametrize(
    "call",
    [lambda c, k: c.apply(k, "module", "function", [1])],
    ids=["udf"],
)


@UNSUPPORTED
def test_features_not_implemented_yet_answer_16(server, call):
    client = server.connect()
    key = ("test", "unsupported", 1)
    client.put(key, {"l": [1, 2], "n": 1})
    with pytest.raises(aerospike_py.ServerError, match=r"\(16\)") as excinfo:
        call(client, key)
    assert excinfo.value.result_code == 16
    assert client.get(key).bins == {"l": [1, 2], "n": 1}
    client.close()


def test_batch_udf_rows_answer_16(server):
    client = server.connect()
    client.put(("test", "unsupported", 1), {"a": 1})
    batch = client.batch_apply([("test", "unsupported", 1)], "module", "function", [])
    assert [r.result for r in batch.batch_records] == [16]
    client.close()


def test_login_is_answered_like_community_edition(server):
    client = aerospike_py.client(server.client_config).connect("user", "password")
    client.put(("test", "login", 1), {"a": 1})
    client.close()


# -- Malformed frames --------------------------------------------------------------------


def test_bad_protocol_version_closes_the_connection(server, raw):
    raw.sendall(proto(3, as_msg(), version=5))
    assert is_closed(raw)
    assert_still_serves(server)


def test_unknown_proto_type_gets_a_parameter_error(server, raw):
    raw.sendall(proto(9, b"whatever"))
    kind, body = read_reply(raw)
    assert (kind, result_code_of(body)) == (3, 4)
    raw.sendall(proto(1, b"build\n"))
    assert read_reply(raw) == (1, b"build\t8.1.0.3\n")


def test_truncated_header_then_close(server, raw):
    raw.sendall(b"\x02\x03\x00")
    raw.shutdown(socket.SHUT_WR)
    assert is_closed(raw)
    assert_still_serves(server)


def test_truncated_body_then_close(server, raw):
    raw.sendall(proto(3, as_msg())[:-5])
    raw.shutdown(socket.SHUT_WR)
    assert is_closed(raw)
    assert_still_serves(server)


def test_absurd_length_is_refused_and_closed(server, raw):
    raw.sendall(b"\x02\x03" + b"\xff" * 6)
    kind, body = read_reply(raw)
    assert (kind, result_code_of(body)) == (3, 4)
    assert is_closed(raw)
    assert_still_serves(server)


def test_frame_above_the_configured_limit_is_refused_before_reading():
    with EmbeddedServer(max_frame_bytes=4096) as srv:
        sock = socket.create_connection((srv.host, srv.port), timeout=5)
        sock.sendall(proto(1, b"build\n" * 600))  # 3,600 bytes: fine
        assert read_reply(sock)[0] == 1
        sock.sendall(b"\x02\x01" + (5000).to_bytes(6, "big"))  # header only, no body
        kind, body = read_reply(sock)
        assert (kind, result_code_of(body)) == (3, 4)
        assert is_closed(sock)
        sock.close()
        assert_still_serves(srv)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x16",
        as_msg()[:-1],
        HEADER.pack(30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        as_msg(n_ops=5),
        as_msg(n_fields=3, payload=field(0, b"test")),
        as_msg(n_fields=1, payload=struct.pack(">IB", 0, 0)),
        as_msg(n_fields=1, payload=struct.pack(">IB", 0xFFFFFFFF, 0)),
        as_msg(n_ops=1, payload=struct.pack(">IBBBB", 2, 1, 0, 0, 200)),
        as_msg(n_ops=1, payload=struct.pack(">IBBBB", 0xFFFFFFF0, 1, 0, 0, 1) + b"a"),
        as_msg(n_fields=1, payload=field(0, b"test") + b"trailing"),
    ],
    ids=[
        "empty",
        "one-byte",
        "short-header",
        "bad-header-size",
        "n-ops-lie",
        "n-fields-lie",
        "zero-size-field",
        "huge-field",
        "op-shorter-than-name",
        "huge-op",
        "trailing-bytes",
    ],
)
def test_garbage_as_msg_gets_parameter_error_and_connection_survives(server, raw, body):
    raw.sendall(proto(3, body))
    kind, reply = read_reply(raw)
    assert (kind, len(reply), result_code_of(reply)) == (3, 22, 4)
    raw.sendall(proto(1, b"node\n"))
    assert read_reply(raw)[0] == 1
    assert_still_serves(server)


def single_record(
    info1: int, info2: int, fields: list[bytes], ops: bytes = b"", n_ops=0
):
    return proto(3, as_msg(info1, info2, len(fields), n_ops, b"".join(fields) + ops))


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ([field(0, b"test"), field(4, b"short")], 4),
        ([field(0, b"nope"), field(4, bytes(20))], 20),
        ([field(0, b"test"), field(4, bytes(20)), field(43, b"\x93")], 4),
    ],
    ids=["short-digest", "unknown-namespace", "malformed-filter-expression"],
)
def test_invalid_single_record_requests(raw, fields, code):
    raw.sendall(single_record(0x03, 0, fields))
    kind, reply = read_reply(raw)
    assert (kind, result_code_of(reply)) == (3, code)


def test_write_with_bad_particle_is_parameter_error(raw):
    op = (
        struct.pack(">IBBBB", 4 + 1 + 3, 2, 1, 0, 1) + b"a" + b"\x00\x01\x02"
    )  # 3-byte int
    raw.sendall(
        single_record(0, 1, [field(0, b"test"), field(4, bytes(20))], op, n_ops=1)
    )
    assert result_code_of(read_reply(raw)[1]) == 4
    op = (
        struct.pack(">IBBBB", 4 + 1 + 1, 2, 20, 0, 1) + b"a" + b"\x80"
    )  # list that is a map: a real server's list_from_wire answers 1
    raw.sendall(
        single_record(0, 1, [field(0, b"test"), field(4, bytes(20))], op, n_ops=1)
    )
    assert result_code_of(read_reply(raw)[1]) == 1


def batch_message(payload: bytes) -> bytes:
    return proto(3, as_msg(0x08, 0, 1, 0, field(41, payload)))


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        struct.pack(">IB", 5, 0x0D),
        struct.pack(">IB", 1, 0x0D) + bytes(24) + b"\x01",
        struct.pack(">IB", 1, 0x0D) + bytes(24) + b"\x00\x03\x00\x00\x00\x00",
        struct.pack(">IB", 0xFFFFFFFF, 0x0D) + bytes(30),
    ],
    ids=[
        "empty",
        "count-lie",
        "first-row-repeat",
        "row-without-namespace",
        "huge-count",
    ],
)
def test_malformed_batch_fails_the_whole_call_with_4(server, raw, payload):
    raw.sendall(batch_message(payload))
    kind, reply = read_reply(raw)
    assert (kind, len(reply)) == (3, 22)
    assert reply[3] & 0x01  # LAST marker
    assert result_code_of(reply) == 4
    assert_still_serves(server)


def test_malformed_scan_fails_with_4(raw):
    pids = field(11, b"\x01\x02\x03")  # odd length
    raw.sendall(proto(3, as_msg(0x01, 0, 2, 0, field(0, b"test") + pids)))
    kind, reply = read_reply(raw)
    assert (kind, reply[3] & 1, result_code_of(reply)) == (3, 1, 4)


def test_random_frames_never_break_the_server(server):
    rng = random.Random(1234)
    for _ in range(300):
        sock = socket.create_connection((server.host, server.port), timeout=5)
        kind = rng.choice([1, 2, 3, 3, 3, 7])
        body = as_msg(
            rng.randrange(256), rng.randrange(256), rng.randrange(4), rng.randrange(4)
        )
        body = (
            body[:2]
            + rng.randbytes(rng.randrange(0, 20))
            + body[2 + rng.randrange(20) :]
        )
        body += rng.randbytes(rng.randrange(0, 64))
        sock.sendall(proto(kind, body))
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
        sock.close()
    assert_still_serves(server)


def test_connections_beyond_the_limit_are_closed():
    with EmbeddedServer(max_connections=2) as srv:
        socks = [
            socket.create_connection((srv.host, srv.port), timeout=5) for _ in range(2)
        ]
        for s in socks:
            s.sendall(proto(1, b"build\n"))
            assert read_reply(s)[0] == 1
        extra = socket.create_connection((srv.host, srv.port), timeout=5)
        assert is_closed(extra)
        extra.close()
        socks[1].sendall(proto(1, b"build\n"))
        assert read_reply(socks[1])[0] == 1, "open connections are still served"
        socks[0].close()
        assert_admits_a_connection_again(srv)
        socks[1].close()


def assert_admits_a_connection_again(srv: EmbeddedServer) -> None:
    """A connection slot freed by a close is reused (the close is seen asynchronously)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        # Until the server has seen the close, a new connection is still refused:
        # closed at once, or reset while the request is on its way.
        with (
            contextlib.suppress(ConnectionError),
            socket.create_connection((srv.host, srv.port), timeout=5) as sock,
        ):
            sock.sendall(proto(1, b"build\n"))
            if read_reply(sock)[0] == 1:
                return
        time.sleep(0.05)
    raise AssertionError("no connection admitted after one closed")


def test_client_vanishing_mid_stream_does_not_hurt_the_server(server):
    client = server.connect()
    client.batch_write(
        [(("test", "stream", i), {"b": b"x" * 2000}) for i in range(2000)]
    )
    client.close()
    for _ in range(5):
        sock = socket.create_connection((server.host, server.port), timeout=5)
        scan = as_msg(0x01, 0, 2, 0, field(0, b"test") + field(1, b"stream"))
        sock.sendall(proto(3, scan))
        sock.recv(100)
        sock.close()  # about 4 MB of reply left unread
    assert_still_serves(server)


def test_idle_connections_are_kept_open(raw):
    time.sleep(1.5)
    raw.sendall(proto(1, b"status\n"))
    assert read_reply(raw) == (1, b"status\tok\n")


def test_pipelined_requests_are_answered_in_order(raw):
    raw.sendall(
        proto(1, b"build\n")
        + proto(1, b"status\n")
        + proto(9, b"")
        + proto(1, b"node\n")
    )
    assert read_reply(raw) == (1, b"build\t8.1.0.3\n")
    assert read_reply(raw) == (1, b"status\tok\n")
    assert result_code_of(read_reply(raw)[1]) == 4
    kind, body = read_reply(raw)
    assert kind == 1
    assert body.startswith(b"node\tBB9")


# -- values are checked before they are stored ------------------------------------------

BAD_SET = b"badvals"


def write_op(particle: int, value: bytes, op: int = 2, name: bytes = b"v") -> bytes:
    return (
        struct.pack(">IBBBB", 4 + len(name) + len(value), op, particle, 0, len(name))
        + name
        + value
    )


def put_raw(
    sock, ops: list[bytes], key: bytes | None = None, digest: bytes = bytes(20)
):
    fields = [field(0, b"test"), field(1, BAD_SET), field(4, digest)]
    if key is not None:
        fields.append(field(2, key))
    sock.sendall(single_record(0, 1, fields, b"".join(ops), n_ops=len(ops)))
    return result_code_of(read_reply(sock)[1])


def assert_set_reads_back(server: EmbeddedServer) -> None:
    """Every record of BAD_SET can be read by the real client (get and scan)."""
    client = server.connect()
    try:
        for record in client.query("test", BAD_SET.decode()).results():
            assert record.bins is not None
    finally:
        client.close()


def nested_list(levels: int) -> bytes:
    return b"\x91" * (levels - 1) + b"\x90"


@pytest.mark.parametrize(
    ("particle", "value", "code"),
    [
        (20, b"\x9f\x01", 1),
        (20, b"\xdd\xff\xff\xff\xff\x01", 1),
        (19, b"\xdf\xff\xff\xff\xff\x01\x01", 1),
        (20, nested_list(100_000), 4),
        (20, nested_list(66), 4),
        (19, b"\x81\xcb" + struct.pack(">d", 1.5) + b"\x01", 1),
        (19, b"\x81\xc3\x01", 1),
        (20, b"\x91\xd4\xff\x01", 1),
        (20, b"\x91\xa0", 4),
        (20, b"\x91\xa2\x09x", 4),
        (20, b"\x91\xa2\x03\xff", 4),
        (23, b"garbage", 160),
        (23, b"\x00\x00\x09{}", 160),
        (3, b"\xff\xfe", 4),
        (99, b"x", 4),
        (7, b"x", 4),
        (16, b"x", 4),
    ],
    ids=[
        "list-claims-15-items",
        "list-count-2^32-1",
        "map-count-2^32-1",
        "list-100000-deep",
        "list-66-deep",
        "map-float-key",
        "map-bool-key",
        "list-holding-infinity",
        "zero-length-msgpack-string",
        "unknown-string-type-byte",
        "msgpack-string-not-utf8",
        "geojson-garbage",
        "geojson-cells-overrun",
        "string-not-utf8",
        "particle-99",
        "legacy-java-blob",
        "vector",
    ],
)
def test_unreadable_values_are_refused_on_write(server, raw, particle, value, code):
    assert put_raw(raw, [write_op(particle, value)]) == code
    assert put_raw(raw, [write_op(1, bytes(8))]) == 0
    assert_set_reads_back(server)


def test_deepest_values_the_client_writes_are_stored_and_read_back(server, raw):
    assert put_raw(raw, [write_op(20, nested_list(65))]) == 0
    client = server.connect()
    try:
        (record,) = client.query("test", BAD_SET.decode()).results()
        value, depth = record.bins["v"], 1
        while value:
            value, depth = value[0], depth + 1
        assert depth == 65
    finally:
        client.close()


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (b"\x63abc", 4),
        (b"\x14\x90", 4),
        (b"", 16),
        (b"\x01\x00\x07", 16),
        (b"\x03\xff", 4),
    ],
    ids=["particle-99", "list-key", "empty", "short-int", "string-not-utf8"],
)
def test_bad_user_keys_are_refused(server, raw, key, code):
    assert put_raw(raw, [write_op(1, bytes(8))], key=key) == code
    assert put_raw(raw, [write_op(1, bytes(8))], key=b"\x03ok") == 0
    assert_set_reads_back(server)


@pytest.mark.parametrize(
    ("op", "particle"),
    [(5, 7), (9, 11), (10, 99), (5, 16)],
    ids=["incr-java-blob", "append-erlang-blob", "prepend-99", "incr-vector"],
)
def test_modify_operands_of_unreadable_types_are_refused(server, raw, op, particle):
    assert put_raw(raw, [write_op(particle, b"abcdefgh", op=op)]) == 4
    assert_set_reads_back(server)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x94\x01\x9f\x01\x00\x00",  # list append of a list claiming 15 items
        b"\x94\x01\x91\xa0\x00\x00",  # list append of a zero-length string
        b"\x94\x01" + nested_list(70) + b"\x00\x00",  # list append, too deep
        b"\x94\x43\xcb" + struct.pack(">d", 1.5) + b"\x01\x00",  # map put, float key
        b"\x93\x44\x81\xc3\x01\x00",  # map put_items, bool key
        b"\x94\x01\xd4\xff\x01\x00\x00",  # list append of Infinity
    ],
    ids=[
        "append-truncated",
        "append-empty-str",
        "append-deep",
        "map-put-float-key",
        "put-items-bool-key",
        "append-infinity",
    ],
)
def test_cdt_modify_with_unreadable_values_is_refused(server, raw, payload):
    assert put_raw(raw, [write_op(4, payload, op=4)]) == 4
    assert_set_reads_back(server)


def batch_write_row(index: int, digest: bytes, ops: list[bytes]) -> bytes:
    row = (
        struct.pack(">I", index) + digest + bytes([0x0E, 0, 0x81, 0, 0, 0, 0, 0, 0, 0])
    )
    row += struct.pack(">HH", 2, len(ops)) + field(0, b"test") + field(1, BAD_SET)
    return row + b"".join(ops)


def test_batch_rows_with_unreadable_values_are_refused(server, raw):
    rows = [
        batch_write_row(0, b"\x01" * 20, [write_op(20, b"\x9f\x01")]),
        batch_write_row(1, b"\x02" * 20, [write_op(1, bytes(8))]),
        batch_write_row(2, b"\x03" * 20, [write_op(99, b"x")]),
        batch_write_row(
            3, b"\x04" * 20, [write_op(4, b"\x94\x01\x91\xa0\x00\x00", op=4)]
        ),
    ]
    raw.sendall(batch_message(struct.pack(">IB", len(rows), 0x0D) + b"".join(rows)))
    _kind, body = read_reply(raw)
    codes = []
    while body:
        header = HEADER.unpack_from(body)
        if header[3] & 0x01:
            break
        codes.append((header[8], header[5]))
        body = body[22:]
        for _ in range(header[10]):  # op entries (RESPOND_ALL_OPS)
            body = body[4 + struct.unpack_from(">I", body)[0] :]
    assert codes == [(0, 1), (1, 0), (2, 4), (3, 4)]
    assert_set_reads_back(server)


# -- untrusted framing: every length is checked against the data -----------------------


def scan_message(*extra_fields: bytes) -> bytes:
    fields = [field(0, b"test"), *extra_fields]
    return proto(3, as_msg(0x01, 0, len(fields), 0, b"".join(fields)))


@pytest.mark.parametrize(
    "extra",
    [field(12, bytes(21)), field(11, struct.pack("<H", 4096)), field(13, b"\x01\x02")],
    ids=["digest-array-21-bytes", "partition-4096", "max-records-2-bytes"],
)
def test_malformed_scan_fields_fail_with_4(server, raw, extra):
    raw.sendall(scan_message(extra))
    kind, reply = read_reply(raw)
    assert (kind, reply[3] & 1, result_code_of(reply)) == (3, 1, 4)
    assert_still_serves(server)


@pytest.mark.parametrize(
    "row_tail",
    [
        struct.pack(">HH", 1, 0) + struct.pack(">IB", 50, 0) + b"test",
        struct.pack(">HH", 1, 1)
        + field(0, b"test")
        + struct.pack(">IBBBB", 90, 2, 1, 0, 1),
        struct.pack(">HH", 0xFFFF, 0xFFFF),
    ],
    ids=["field-overruns-row", "op-overruns-row", "huge-field-and-op-counts"],
)
def test_batch_rows_that_overrun_the_payload_fail_with_4(server, raw, row_tail):
    row = struct.pack(">I", 0) + bytes(20) + bytes([0x0E, 0, 0x81, 0, 0, 0, 0, 0, 0, 0])
    raw.sendall(batch_message(struct.pack(">IB", 1, 0x0D) + row + row_tail))
    kind, reply = read_reply(raw)
    assert (kind, len(reply), reply[3] & 1, result_code_of(reply)) == (3, 22, 1, 4)
    assert_still_serves(server)


def test_odd_info_bodies_are_answered(server, raw):
    raw.sendall(proto(1, b"\xff\xfe\n" + b"x" * 200_000 + b"\n\n\nbuild"))
    kind, body = read_reply(raw)
    lines = body.split(b"\n")
    assert kind == 1
    assert lines[0] == b"\xff\xfe\tERROR:4:unrecognized command"
    assert lines[2] == b"build\t8.1.0.3"
    assert_still_serves(server)


# -- connection limits and timeouts ----------------------------------------------------


def test_a_trickled_frame_is_closed_at_the_total_deadline():
    with EmbeddedServer(frame_timeout=1.0) as srv:
        slow = socket.create_connection((srv.host, srv.port), timeout=5)
        idle = socket.create_connection((srv.host, srv.port), timeout=5)
        slow.sendall(b"\x02\x01" + (256).to_bytes(6, "big"))
        started = time.monotonic()
        try:
            for _ in range(
                30
            ):  # one byte every 0.2 s: each read is quick, the frame is not
                time.sleep(0.2)
                slow.sendall(b"x")
        except OSError:
            pass
        assert is_closed(slow)
        assert time.monotonic() - started < 4
        idle.sendall(proto(1, b"build\n"))
        assert read_reply(idle) == (1, b"build\t8.1.0.3\n")
        slow.close()
        idle.close()


def test_idle_timeout_is_off_by_default_and_closes_when_set():
    with EmbeddedServer(idle_timeout=0.3) as srv:
        sock = socket.create_connection((srv.host, srv.port), timeout=5)
        busy = socket.create_connection((srv.host, srv.port), timeout=5)
        for _ in range(6):
            time.sleep(0.1)
            busy.sendall(proto(1, b"build\n"))
            assert read_reply(busy)[0] == 1
        assert is_closed(sock)
        assert not is_closed_yet(busy)
        sock.close()
        busy.close()
        assert_still_serves(srv)


def is_closed_yet(sock: socket.socket) -> bool:
    """Whether the peer has closed `sock`, without waiting for data."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frame_timeout": 0},
        {"frame_timeout": -1.0},
        {"idle_timeout": 0.0},
        {"frame_timeout": float("nan")},
    ],
    ids=["zero-frame", "negative-frame", "zero-idle", "nan-frame"],
)
def test_bad_timeouts_are_refused(kwargs):
    with pytest.raises(EmbeddedServerError, match="timeout"):
        EmbeddedServer(**kwargs).start()


def test_many_idle_sockets_leave_room_for_a_client():
    with EmbeddedServer() as srv:
        socks = [
            socket.create_connection((srv.host, srv.port), timeout=5)
            for _ in range(1100)
        ]
        try:
            assert_still_serves(srv)
        finally:
            for sock in socks:
                sock.close()


# -- pytest plugin -----------------------------------------------------------------------


def test_plugin_uses_aerospike_hosts_from_the_environment(tmp_path):
    test_file = tmp_path / "test_env_hosts.py"
    test_file.write_text(
        "def test_hosts(aerospike_hosts, aerospike_client, aerospike_namespace, "
        "aerospike_set):\n"
        "    import os\n"
        "    assert aerospike_hosts == [('127.0.0.1', int(os.environ['PORT']))]\n"
        "    assert aerospike_namespace == 'other'\n"
        "    key = (aerospike_namespace, aerospike_set, 1)\n"
        "    aerospike_client.put(key, {'a': 1})\n"
        "    assert aerospike_client.get(key).bins == {'a': 1}\n"
    )
    with EmbeddedServer(namespaces=("other",)) as srv:
        env = {
            **os.environ,
            "AEROSPIKE_HOSTS": f"127.0.0.1:{srv.port}",
            "AEROSPIKE_NAMESPACE": "other",
            "PORT": str(srv.port),
        }
        args = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            test_file,
        ]
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        # The write reached this server, and the plugin truncated the test's set after
        # the test, as it does on every cluster named by AEROSPIKE_HOSTS.
        assert "1 passed" in done.stdout
        client = srv.connect()
        assert client.query("other", "").results() == []
        client.close()


def test_repr_shows_state():
    srv = EmbeddedServer()
    assert "not started" in repr(srv)
    with srv:
        assert f"port={srv.port}, running" in repr(srv)
    assert "stopped" in repr(srv)


def test_server_error_pickles():
    error = pickle.loads(pickle.dumps(ServerError("bind failed")))
    assert isinstance(error, ServerError)
    assert error.args == ("bind failed",)


# -- batch limits and namespaces -------------------------------------------------------


def test_batch_with_keys_in_several_namespaces_answers_each_from_its_own(server):
    client = server.connect()
    try:
        client.put(("test", "s", 1), {"ns": "test"})
        client.put(("other", "s", 1), {"ns": "other"})
        keys = [
            ("test", "s", 1),
            ("other", "s", 1),
            ("other", "s", 2),
            ("test", "s", 2),
        ]
        batch = client.batch_read(keys)
        assert [r.result for r in batch.batch_records] == [0, 0, 2, 2]
        assert batch.to_list()[:3] == [{"ns": "test"}, {"ns": "other"}, None]
        written = client.batch_write(
            [(("other", "s", 3), {"a": 1}), (("test", "s", 3), {"a": 2})]
        )
        assert [r.result for r in written.batch_records] == [0, 0]
        assert client.get(("other", "s", 3)).bins == {"a": 1}
        assert client.exists(("test", "s", 3)).meta is not None
    finally:
        client.close()


def test_batch_above_max_batch_keys_fails_with_151_and_the_connection_serves_on():
    with EmbeddedServer(max_batch_keys=100) as srv:
        client = srv.connect()
        try:
            keys = [("test", "s", i) for i in range(101)]
            # The whole batch fails; aerospike-py reports it on the first record.
            refused = client.batch_read(keys).batch_records
            assert refused[0].result == 151
            assert client.batch_read(keys[:100]).to_list() == [None] * 100
        finally:
            client.close()


def test_max_batch_keys_defaults_to_no_limit_like_a_real_server(server):
    client = server.connect()
    try:
        keys = [("test", "big", i) for i in range(30_000)]
        assert client.batch_read(keys).to_list() == [None] * 30_000
    finally:
        client.close()


def test_empty_batch_payload_is_a_parameter_error(raw):
    payload = struct.pack(">IB", 0, 0)
    raw.sendall(proto(3, as_msg(info1=8, n_fields=1, payload=field(41, payload))))
    kind, body = read_reply(raw)
    assert (kind, result_code_of(body)) == (3, 4)


# -- logging ---------------------------------------------------------------------------

SECRET = "bin-value-7f3c9e"

# Logging is configured before the first server logs: the native logger caches the
# levels of the Python loggers it has used, so the check runs in a fresh interpreter.
LOGGING_SCRIPT = f"""
import logging, socket, sys
logging.basicConfig(
    level=logging.DEBUG, stream=sys.stdout, format="%(name)s %(levelname)s %(message)s"
)
from aerorepo.embedded import EmbeddedServer
with EmbeddedServer() as srv:
    for _ in range(3):
        with socket.create_connection((srv.host, srv.port), timeout=5) as sock:
            sock.sendall(bytes([2, 1, 0, 0, 0, 0, 0, 6]) + b"build\\n")
            sock.recv(100)
    client = srv.connect()
    client.put(("test", "s", "{SECRET}"), {{"secret": "{SECRET}", "b": b"{SECRET}"}})
    assert client.get(("test", "s", "{SECRET}")).bins["secret"] == "{SECRET}"
    client.close()
"""


def test_each_connection_logs_one_open_and_one_close_line_at_debug():
    done = subprocess.run(
        [sys.executable, "-c", LOGGING_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [
        line.split(" ", 2)
        for line in done.stdout.splitlines()
        if line.startswith("aerorepo._native.server ")
    ]
    opened = [msg.split()[1] for _, level, msg in lines if msg.endswith(" opened")]
    closed = [msg.split()[1] for _, level, msg in lines if msg.endswith(" closed")]
    assert len(opened) >= 4, done.stdout
    assert len(set(opened)) == len(opened), "one open line per connection"
    assert sorted(opened) == sorted(closed), "one close line per open one"
    conn_levels = {level for _, level, msg in lines if msg.startswith("connection ")}
    assert conn_levels == {"DEBUG"}
    assert SECRET not in done.stdout + done.stderr


BEFORE_2010 = -(time.time() - 1_262_304_000) - 86_400


def test_the_clock_cannot_be_moved_before_2010():
    with EmbeddedServer() as srv:
        for move in (
            lambda: srv.advance_clock(BEFORE_2010),
            lambda: srv.clock.advance(BEFORE_2010),
            lambda: setattr(srv.clock, "offset", BEFORE_2010),
        ):
            with pytest.raises(EmbeddedServerError, match="before 2010-01-01"):
                move()
        assert srv.clock.offset == 0
        srv.advance_clock(-86_400)
        client = srv.connect()
        reply = client.info_all("aerorepo-clock-advance:seconds=-9999999999")[
            0
        ].response
        assert reply.startswith("ERROR:4:")
        assert "before 2010-01-01" in reply
        client.close()


def test_a_clock_offset_before_2010_is_refused_at_start():
    with pytest.raises(EmbeddedServerError, match="before 2010-01-01"):
        EmbeddedServer(clock_offset=BEFORE_2010).start()
