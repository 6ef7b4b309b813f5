"""Persistence of the embedded server: data survives restarts and ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aerospike_py
import pytest
from aerospike_py import RecordNotFound

from aerorepo.embedded import EmbeddedServer
from aerorepo.exceptions import EmbeddedServerError

N_RECORDS = 3000


def _serve(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "aerorepo.cli", "--log-level", "WARNING", "serve"]
    command += ["--port", "0", "--data-dir", str(data_dir)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "ready on" in line, line
    return proc, int(line.split("ready on ")[1].split()[0].rsplit(":", 1)[1])


def _client(port: int) -> aerospike_py.Client:
    return aerospike_py.client({"hosts": [("127.0.0.1", port)]}).connect()


def _write_workload(client: aerospike_py.Client) -> dict[int, tuple[dict, int]]:
    """Write, update and delete records; return what each surviving key must hold."""
    expected: dict[int, tuple[dict, int]] = {}
    for n in range(N_RECORDS):
        bins = {"n": n, "l": [n, "x", [1.5]], "m": {"k": n, "s": "v" * (n % 7)}}
        client.put(("test", "p", n), bins, meta={"ttl": -1 if n % 2 else 3600})
        expected[n] = (bins, 1)
    for n in range(0, N_RECORDS, 3):
        client.increment(("test", "p", n), "n", 1)
        bins = dict(expected[n][0], n=n + 1)
        expected[n] = (bins, 2)
    for n in range(1, N_RECORDS, 10):
        client.remove(("test", "p", n))
        del expected[n]
    return expected


def test_acknowledged_writes_survive_kill_9(tmp_path):
    proc, port = _serve(tmp_path)
    client = _client(port)
    expected = _write_workload(client)
    client.close()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    proc, port = _serve(tmp_path)
    try:
        client = _client(port)
        for n in range(N_RECORDS):
            if n in expected:
                record = client.get(("test", "p", n))
                assert (record.bins, record.meta.gen) == expected[n]
                assert record.meta.ttl == (4294967295 if n % 2 else record.meta.ttl)
            else:
                assert client.exists(("test", "p", n)).meta is None
        client.close()
    finally:
        proc.kill()
        proc.wait()


def test_a_torn_log_tail_is_dropped_and_the_rest_kept(tmp_path):
    with EmbeddedServer(data_dir=tmp_path) as server:
        client = server.connect()
        for n in range(10):
            client.put(("test", "p", n), {"n": n})
        client.close()
    log = tmp_path / "test.log"
    data = log.read_bytes()
    log.write_bytes(data[:-5])

    with EmbeddedServer(data_dir=tmp_path) as server:
        client = server.connect()
        present = [client.exists(("test", "p", n)).meta is not None for n in range(10)]
        client.close()
    assert present == [True] * 9 + [False]
    assert (tmp_path / "test.log.damaged").exists()


def _log_of_ten_records(data_dir: Path) -> Path:
    with EmbeddedServer(data_dir=data_dir) as server:
        client = server.connect()
        for n in range(10):
            client.put(("test", "p", n), {"n": n})
        client.close()
    return data_dir / "test.log"


def _present(server: EmbeddedServer) -> list[bool]:
    client = server.connect()
    present = [client.exists(("test", "p", n)).meta is not None for n in range(10)]
    client.close()
    return present


def test_a_second_torn_start_keeps_both_backups(tmp_path):
    log = _log_of_ten_records(tmp_path)
    first = log.read_bytes()[:-5]
    log.write_bytes(first)
    EmbeddedServer(data_dir=tmp_path).start().stop()
    second = log.read_bytes() + b"\x07\x07"
    log.write_bytes(second)

    with EmbeddedServer(data_dir=tmp_path) as server:
        assert _present(server) == [True] * 9 + [False]
    assert (tmp_path / "test.log.damaged").read_bytes() == first
    assert (tmp_path / "test.log.damaged.1").read_bytes() == second


def _damage_the_middle(log: Path) -> tuple[bytes, int]:
    """Flip one payload byte of the fourth entry; return the log and that entry's offset."""
    data = bytearray(log.read_bytes())
    at = 0
    for _ in range(3):
        at += 8 + int.from_bytes(data[at : at + 4], "little")
    data[at + 8 + 2] ^= 0x40
    log.write_bytes(bytes(data))
    return bytes(data), at


def test_damage_before_intact_entries_refuses_to_start(tmp_path):
    log = _log_of_ten_records(tmp_path)
    damaged, offset = _damage_the_middle(log)

    with pytest.raises(EmbeddedServerError) as info:
        EmbeddedServer(data_dir=tmp_path).start()
    message = str(info.value)
    assert str(log) in message
    assert f"byte offset {offset}" in message
    assert "repair_log=True" in message
    assert log.read_bytes() == damaged


def test_repair_log_keeps_the_intact_prefix_and_a_backup(tmp_path):
    log = _log_of_ten_records(tmp_path)
    damaged, _ = _damage_the_middle(log)

    with EmbeddedServer(data_dir=tmp_path, repair_log=True) as server:
        assert sum(_present(server)) == 3
    assert (tmp_path / "test.log.damaged").read_bytes() == damaged


def test_serve_repair_log_flag_starts_a_damaged_log(tmp_path):
    _damage_the_middle(_log_of_ten_records(tmp_path))
    command = [sys.executable, "-m", "aerorepo.cli", "--log-level", "WARNING", "serve"]
    command += ["--port", "0", "--data-dir", str(tmp_path)]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert "--repair-log" in refused.stderr + refused.stdout

    proc = subprocess.Popen(
        [*command, "--repair-log"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert "ready on" in proc.stdout.readline()
    finally:
        proc.kill()
        proc.wait()


def test_truncate_and_expiry_are_persisted(tmp_path):
    with EmbeddedServer(data_dir=tmp_path, nsup_period=0) as server:
        client = server.connect()
        client.put(("test", "gone", 1), {"a": 1})
        client.put(("test", "kept", 1), {"a": 1})
        client.put(("test", "kept", 2), {"a": 1}, meta={"ttl": 10})
        time.sleep(0.003)  # truncate spares records of its own millisecond
        client.truncate("test", "gone")
        server.advance_clock(20)
        assert server.expire_now() == 1
        client.close()

    with EmbeddedServer(data_dir=tmp_path) as server:
        client = server.connect()
        with pytest.raises(RecordNotFound):
            client.get(("test", "gone", 1))
        assert client.get(("test", "kept", 1)).bins == {"a": 1}
        assert client.exists(("test", "kept", 2)).meta is None
        client.close()


def test_two_servers_cannot_share_a_data_dir(tmp_path):
    refused = pytest.raises(EmbeddedServerError, match="different data_dir")
    with EmbeddedServer(data_dir=tmp_path), refused:
        EmbeddedServer(data_dir=tmp_path).start()
    with EmbeddedServer(data_dir=tmp_path, fsync=True) as server:
        assert server.is_running()
