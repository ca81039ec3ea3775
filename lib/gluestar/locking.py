"""One run at a time per pipeline root: a lock file with an owner, an expiry and atomic creation.

The lock is ``<processed_path>/<pipeline>/_lock.json``, holding the run id, a random token, the
host and process id and an expiry. It is created only if absent, atomically:

* local paths: ``open(O_CREAT | O_EXCL)``;
* ``s3://`` / ``s3a://`` URIs: an S3 conditional write (``PutObject`` with ``If-None-Match: *``);
  taking over an expired lock and renewing one are conditional on its ETag (``If-Match``), so two
  runs can never both win.

A second run fails fast with :class:`~gluestar.exceptions.LockError` naming the holder and when its
lock expires. A lock whose expiry has passed is taken over (the holder is presumed dead: Glue
stopped it, or it was killed), as is one held by a process of this host that no longer exists. The
holder renews the expiry at every stage, so a long run keeps it.

Examples
--------
>>> with RunLock("/tmp/gluestar-doc-lock", "r1", ttl_seconds=60):  # doctest: +SKIP
...     pass
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import socket
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from gluestar.exceptions import ConfigurationError, LockError

__all__ = ["LOCK_NAME", "LockInfo", "RunLock"]

log = logging.getLogger("gluestar.locking")

#: Name of the lock file under the pipeline root.
LOCK_NAME = "_lock.json"
_S3 = re.compile(r"^s3[an]?://([^/]+)/(.*)$")


@dataclass(frozen=True)
class LockInfo:
    """What a lock file says: who holds it and until when."""

    run_id: str
    token: str
    host: str
    pid: int
    acquired_at: str
    expires_at: str

    def to_json(self) -> str:
        """The lock file's content."""
        return json.dumps(vars(self))

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        """Parse a lock file; an unreadable one counts as expired long ago."""
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            return cls("?", "?", "?", 0, "1970-01-01T00:00:00+00:00", "1970-01-01T00:00:00+00:00")

    def expired(self, now: dt.datetime) -> bool:
        """True when the expiry has passed."""
        return dt.datetime.fromisoformat(self.expires_at) <= now

    def holder_gone(self) -> bool:
        """True when the holder was a process of this host that no longer runs."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class _LocalBackend:
    def __init__(self, path: str) -> None:
        self.path = re.sub(r"^file:(//)?", "", path)

    def create(self, text: str) -> bool:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return True

    def read(self) -> tuple[str, Any] | None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return None
        # The version of a local lock is its token (an inode number can be reused at once).
        return text, LockInfo.from_json(text).token

    def replace(self, text: str, seen: Any) -> bool:
        """Overwrite the lock if it still holds the token we read."""
        current = self.read()
        if current is None or current[1] != seen:
            return False
        temporary = f"{self.path}.{uuid.uuid4().hex}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, self.path)
        return True

    def take_over(self, text: str, seen: Any) -> bool:
        # Renaming the stale lock away is atomic: of two runs taking over, one rename fails.
        current = self.read()
        if current is None or current[1] != seen:
            return False
        stale = f"{self.path}.stale-{uuid.uuid4().hex}"
        try:
            os.rename(self.path, stale)
        except FileNotFoundError:
            return False
        os.remove(stale)
        return self.create(text)

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)


class _S3Backend:
    def __init__(self, path: str, client: Any = None) -> None:
        match = _S3.match(path)
        if match is None:
            raise ConfigurationError(f"not an S3 URI: {path!r}")
        self.bucket, self.key = match.group(1), match.group(2)
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.client = client

    @staticmethod
    def _precondition_failed(exc: Exception) -> bool:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        return code in ("PreconditionFailed", "412", "ConditionalRequestConflict")

    def _put(self, text: str, **condition: str) -> bool:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=text.encode("utf-8"), **condition)
        except Exception as exc:
            if self._precondition_failed(exc):
                return False
            raise
        return True

    def create(self, text: str) -> bool:
        return self._put(text, IfNoneMatch="*")

    def read(self) -> tuple[str, Any] | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                return None
            raise
        return found["Body"].read().decode("utf-8"), found["ETag"]

    def replace(self, text: str, seen: Any) -> bool:
        return self._put(text, IfMatch=seen)

    def take_over(self, text: str, seen: Any) -> bool:
        return self._put(text, IfMatch=seen)

    def delete(self) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key)


class RunLock:
    """The run lock of a pipeline root, as a context manager.

    Parameters
    ----------
    root : str
        ``<processed_path>/<pipeline>``: a local path, ``file:`` URI or ``s3://``/``s3a://`` URI.
    run_id : str
        The run taking the lock.
    ttl_seconds : float
        How long the lock holds without renewal.
    now : callable, optional
        Clock (UTC), for tests.
    s3_client : optional
        A boto3 S3 client to use for ``s3://`` roots.

    Raises
    ------
    LockError
        On entry, if another run holds an unexpired lock.
    ConfigurationError
        If the root is neither local nor S3, or ``ttl_seconds`` is not positive.
    """

    def __init__(
        self,
        root: str,
        run_id: str,
        *,
        ttl_seconds: float,
        now: Any = None,
        s3_client: Any = None,
    ) -> None:
        if ttl_seconds <= 0:
            raise ConfigurationError(f"the lock time-to-live must be positive; got {ttl_seconds}")
        self.path = f"{root.rstrip('/')}/{LOCK_NAME}"
        self.run_id = run_id
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self.token = uuid.uuid4().hex
        if _S3.match(self.path):
            self._backend: Any = _S3Backend(self.path, s3_client)
        elif "://" in self.path and not self.path.startswith("file:"):
            raise ConfigurationError(f"run locks support local paths and s3:// URIs; got {root!r}")
        else:
            self._backend = _LocalBackend(self.path)
        self._seen: Any = None
        self.held = False

    def _info(self) -> LockInfo:
        now = self._now()
        return LockInfo(
            self.run_id,
            self.token,
            socket.gethostname(),
            os.getpid(),
            now.isoformat(timespec="seconds"),
            (now + self.ttl).isoformat(timespec="seconds"),
        )

    def acquire(self) -> None:
        """Take the lock, or raise :class:`LockError` naming the holder."""
        for _ in range(3):
            if self._backend.create(self._info().to_json()):
                self._mark_held()
                return
            current = self._backend.read()
            if current is None:
                continue  # released meanwhile: try again
            text, seen = current
            holder = LockInfo.from_json(text)
            if holder.expired(self._now()) or holder.holder_gone():
                why = "expired" if holder.expired(self._now()) else "its process is gone"
                if self._backend.take_over(self._info().to_json(), seen):
                    log.warning("took over the lock of run %s (%s): %s", holder.run_id, why, self.path)
                    self._mark_held()
                    return
                continue
            raise LockError(
                f"run {holder.run_id} is in progress on {self.path.rsplit('/', 1)[0]} (locked on host "
                f"{holder.host} since {holder.acquired_at}, until {holder.expires_at}); wait for it to finish, "
                f"or delete {self.path} if that run is known to be dead"
            )
        raise LockError(f"could not take the lock {self.path}: other runs keep changing it")

    def _mark_held(self) -> None:
        current = self._backend.read()
        if current is None or LockInfo.from_json(current[0]).token != self.token:
            raise LockError(f"lost the lock {self.path} right after taking it: another run took it")
        self._seen = current[1]
        self.held = True

    def renew(self) -> None:
        """Push the expiry ``ttl`` ahead; raise :class:`LockError` if another run took the lock."""
        if not self.held:
            return
        if not self._backend.replace(self._info().to_json(), self._seen):
            self.held = False
            raise LockError(f"run {self.run_id} lost its lock {self.path} (it expired and another run took it)")
        current = self._backend.read()
        self._seen = current[1] if current else None

    def release(self) -> None:
        """Delete the lock if this run still holds it."""
        if not self.held:
            return
        current = self._backend.read()
        if current is not None and LockInfo.from_json(current[0]).token == self.token:
            self._backend.delete()
        self.held = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
