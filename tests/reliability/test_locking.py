"""The run lock: atomic creation, a clear refusal, expiry, dead holders, renewal, S3 conditional writes."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import subprocess
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from gluestar.exceptions import ConfigurationError, LockError
from gluestar.locking import LOCK_NAME, LockInfo, RunLock

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _lock(root: str, run_id: str, clock: Clock, **kwargs) -> RunLock:
    return RunLock(root, run_id, ttl_seconds=600, now=clock, **kwargs)


def test_the_lock_file_names_its_holder_and_goes_on_release(tmp_path: Path) -> None:
    clock = Clock()
    with _lock(str(tmp_path), "r1", clock):
        info = LockInfo.from_json((tmp_path / LOCK_NAME).read_text())
        assert (info.run_id, info.host, info.acquired_at, info.expires_at) == (
            "r1",
            socket.gethostname(),
            "2025-03-01T12:00:00+00:00",
            "2025-03-01T12:10:00+00:00",
        )
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_second_run_fails_fast_naming_the_first(tmp_path: Path) -> None:
    clock = Clock()
    with _lock(str(tmp_path), "r1", clock), pytest.raises(LockError) as refused:
        _lock(str(tmp_path), "r2", clock).acquire()
    assert str(refused.value) == (
        f"run r1 is in progress on {tmp_path} (locked on host {socket.gethostname()} since "
        "2025-03-01T12:00:00+00:00, until 2025-03-01T12:10:00+00:00); wait for it to finish, "
        f"or delete {tmp_path}/{LOCK_NAME} if that run is known to be dead"
    )


def test_an_expired_lock_is_taken_over_and_the_old_holder_cannot_renew(tmp_path: Path) -> None:
    clock = Clock()
    first = _lock(str(tmp_path), "r1", clock)
    first.acquire()
    clock.now = T0 + dt.timedelta(minutes=11)
    second = _lock(str(tmp_path), "r2", clock)
    second.acquire()
    assert LockInfo.from_json((tmp_path / LOCK_NAME).read_text()).run_id == "r2"
    with pytest.raises(LockError, match=re.escape(f"run r1 lost its lock {tmp_path}/{LOCK_NAME}")):
        first.renew()
    first.release()  # not the holder any more: leaves r2's lock alone
    assert LockInfo.from_json((tmp_path / LOCK_NAME).read_text()).run_id == "r2"
    second.release()


def test_renewal_pushes_the_expiry(tmp_path: Path) -> None:
    clock = Clock()
    with _lock(str(tmp_path), "r1", clock) as lock:
        clock.now = T0 + dt.timedelta(minutes=9)
        lock.renew()
        clock.now = T0 + dt.timedelta(minutes=15)
        with pytest.raises(LockError, match=r"^run r1 is in progress"):
            _lock(str(tmp_path), "r2", clock).acquire()


def test_the_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path: Path) -> None:
    process = subprocess.Popen(["true"])
    process.wait()
    stale = LockInfo("killed", "t", socket.gethostname(), process.pid, T0.isoformat(), "2099-01-01T00:00:00+00:00")
    (tmp_path / LOCK_NAME).write_text(stale.to_json())
    with _lock(str(tmp_path), "r2", Clock()):
        assert LockInfo.from_json((tmp_path / LOCK_NAME).read_text()).run_id == "r2"


def test_an_unreadable_lock_counts_as_expired(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text("{half a json")
    with _lock(str(tmp_path), "r2", Clock()):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["run_id"] == "r2"


def test_invalid_settings_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^the lock time-to-live must be positive; got 0$"):
        RunLock(str(tmp_path), "r", ttl_seconds=0)
    with pytest.raises(ConfigurationError, match=r"^run locks support local paths and s3:// URIs; got 'hdfs://n/p'$"):
        RunLock("hdfs://n/p", "r", ttl_seconds=1)


@mock_aws
def test_on_s3_the_lock_uses_conditional_writes() -> None:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="bucket-1")
    clock = Clock()
    root = "s3a://bucket-1/processed/finance"
    first = _lock(root, "r1", clock, s3_client=client)
    first.acquire()
    body = client.get_object(Bucket="bucket-1", Key=f"processed/finance/{LOCK_NAME}")["Body"].read()
    assert LockInfo.from_json(body.decode()).run_id == "r1"
    with pytest.raises(LockError, match=r"^run r1 is in progress on s3a://bucket-1/processed/finance "):
        _lock(root, "r2", clock, s3_client=client).acquire()
    clock.now = T0 + dt.timedelta(hours=1)
    second = _lock(root, "r2", clock, s3_client=client)
    second.acquire()
    with pytest.raises(LockError, match=r"^run r1 lost its lock"):
        first.renew()
    second.release()
    assert client.list_objects_v2(Bucket="bucket-1").get("KeyCount") == 0
