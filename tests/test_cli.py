"""The command line: ``aerorepo serve`` with a plain client, and argument errors."""

from __future__ import annotations

import os
import re
import signal
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


def test_serve_refuses_a_non_loopback_address_without_the_flag_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["serve", "--host", "0.0.0.0", "--port", "0"])

    assert status == 2
    assert "loopback" in capsys.readouterr().err


def test_demo_limit_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "flights", "--limit", "0"])

    assert "positive number of flights" in capsys.readouterr().err
