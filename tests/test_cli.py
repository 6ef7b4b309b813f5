"""The command line: ``aerorepo serve`` with a plain client, and argument errors."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import aerospike_py
import numpy as np
import pytest

from aerorepo.cli import main

READY = re.compile(r"ready on 127\.0\.0\.1:(\d+)")


@pytest.fixture(scope="module")
def served_port() -> Iterator[int]:
    command = [
        sys.executable,
        "-m",
        "aerorepo",
        "serve",
        "--port",
        "0",
        "--namespace",
        "test",
        "--max-batch-keys",
        "5000",
    ]
    env = {key: value for key, value in os.environ.items() if key != "AEROSPIKE_HOSTS"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = READY.search(line)
    assert match, f"no ready line, got {line!r}"
    yield int(match.group(1))

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) in (0, 130)


@pytest.fixture
def client(served_port: int) -> Iterator[Any]:
    client = aerospike_py.client({"hosts": [("127.0.0.1", served_port)]}).connect()
    yield client
    client.close()


def test_serve_accepts_plain_put_get_and_operate(client: Any) -> None:
    key = ("test", "cli", "k1")

    client.put(key, {"n": 1, "s": "a"})
    record = client.operate(
        key, [{"op": 5, "bin": "n", "val": 2}, {"op": 1, "bin": "n"}]
    )

    assert client.get(key).bins == {"n": 3, "s": "a"}
    assert record.bins == {"n": 3}
    assert record.meta.gen == 2


def test_serve_accepts_batch_read_to_numpy_and_batch_operate(client: Any) -> None:
    keys = [("test", "cli_batch", i) for i in range(5)]
    for i, key in enumerate(keys[:4]):
        client.put(key, {"v": i * 10, "f": i / 2})

    outcome = client.batch_operate(keys, [{"op": 5, "bin": "v", "val": 1}])
    dtype = np.dtype([("v", "i8"), ("f", "f8")])
    columns = client.batch_read(keys, bins=["v", "f"]).to_numpy(dtype)

    assert [r.result for r in outcome.batch_records] == [0, 0, 0, 0, 0]
    assert columns.batch_records["v"].tolist() == [1, 11, 21, 31, 1]
    assert columns.batch_records["f"].tolist() == [0.0, 0.5, 1.0, 1.5, 0.0]
    assert columns.result_codes.tolist() == [0, 0, 0, 0, 0]


def test_serve_max_batch_keys_refuses_a_larger_batch_with_151(client: Any) -> None:
    keys = [("test", "cli_limit", i) for i in range(5001)]

    refused = client.batch_read(keys).batch_records
    served = client.batch_read(keys[:5000]).to_list()

    assert refused[0].result == 151
    assert served == [None] * 5000


def test_serve_limit_errors_name_the_command_line_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["serve", "--port", "0", "--max-connections", "0"])

    err = capsys.readouterr().err
    assert status == 2
    assert "--max-connections must be at least 1" in err


def test_serve_refuses_a_non_loopback_address_without_the_flag_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["serve", "--host", "0.0.0.0", "--port", "0"])

    assert status == 2
    assert "loopback" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param("0", "got 0", id="zero"),
        pytest.param("-3", "got -3", id="negative"),
        pytest.param("abc", "got 'abc'", id="not-a-number"),
        pytest.param("1.5", "got '1.5'", id="fraction"),
    ],
)
def test_demo_limit_must_be_a_positive_whole_number(
    capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["demo", "flights", "--limit", text])

    err = capsys.readouterr().err
    assert (
        f"error: argument --limit: expected a positive whole number of flights, {said}"
        in err
    )
    assert "_positive" not in err


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param(
            "70000",
            "expected a TCP port from 0 to 65535 (0 picks a free one), got 70000",
            id="above-65535",
        ),
        pytest.param(
            "65536",
            "expected a TCP port from 0 to 65535 (0 picks a free one), got 65536",
            id="65536",
        ),
        pytest.param(
            "-1",
            "expected a TCP port from 0 to 65535 (0 picks a free one), got -1",
            id="negative",
        ),
        pytest.param(
            "http", "expected a TCP port from 0 to 65535, got 'http'", id="not-a-number"
        ),
    ],
)
def test_serve_port_outside_0_to_65535_is_an_argument_error(
    capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["serve", "--port", text])

    err = capsys.readouterr().err
    assert f"aerorepo serve: error: argument --port: {said}" in err
    assert "Traceback" not in err


def test_serve_refusal_names_the_command_line_option_not_the_python_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["serve", "--host", "0.0.0.0", "--port", "0"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.endswith("pass --allow-non-loopback to do it anyway\n")
    assert "allow_non_loopback=True" not in err


def test_serve_on_a_taken_port_suggests_port_0_as_an_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["serve", "--port", str(port)])

    err = capsys.readouterr().err
    assert status == 2
    assert f"aerorepo: error: cannot listen on 127.0.0.1:{port}" in err
    assert "pass --port 0" in err
    assert "port=0" not in err


@pytest.mark.parametrize(
    "hosts",
    [
        pytest.param("127.0.0.1:notaport", id="port-not-a-number"),
        pytest.param("127.0.0.1:70000", id="port-too-big"),
        pytest.param(":3000", id="no-host"),
        pytest.param("127.0.0.1:3000,,", id="empty-entry"),
    ],
)
def test_a_bad_aerospike_hosts_setting_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    hosts: str,
) -> None:
    monkeypatch.setenv("AEROSPIKE_HOSTS", hosts)

    status = main(["demo", "flights", "--limit", "1"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("aerorepo: error: AEROSPIKE_HOSTS")
    assert err.endswith("; or unset AEROSPIKE_HOSTS to use the embedded server\n")
    assert err.count("\n") == 1


def test_an_unreachable_cluster_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AEROSPIKE_HOSTS", f"127.0.0.1:{port}")

    status = main(["demo", "flights", "--limit", "1"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(
        f"aerorepo: error: connect to the cluster at 127.0.0.1:{port} "
        "(AEROSPIKE_HOSTS) failed"
    )
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        pytest.param(
            ["test:default_ttl=-5"],
            'default_ttl -5 for namespace "test" is out of range; pass 0 to 315360000',
            id="ttl-negative",
        ),
        pytest.param(
            ["test:default_ttl=99999999999"],
            'default_ttl 99999999999 for namespace "test" is out of range',
            id="ttl-huge",
        ),
        pytest.param(
            ["test:max_record_size=-1"],
            'max_record_size -1 for namespace "test" is out of range; pass 64 to 8388608',
            id="size-negative",
        ),
        pytest.param(["test", "test"], "--namespace test is given twice", id="twice"),
    ],
)
def test_serve_out_of_range_namespace_settings_name_value_and_range(
    capsys: pytest.CaptureFixture[str], spec: list[str], said: str
) -> None:
    argv = ["serve", "--port", "0"]
    for ns in spec:
        argv += ["--namespace", ns]

    status = main(argv)

    err = capsys.readouterr().err
    assert status == 2
    assert said in err
    assert "PerNamespace" not in err
