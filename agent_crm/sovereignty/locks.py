"""Per-tenant advisory file locks (``fcntl.flock``): exclusive across processes, re-entrant within a thread.

A lock held by a process that dies (even by SIGKILL) is released by the kernel, so a crashed writer never
leaves a tenant locked.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent_crm.errors import BackendError


class TenantFileLock:
    """An exclusive lock on one lock file, shared by the threads of a process and serialising processes.

    Args:
        path: the lock file (created with mode 0600 when missing).
        timeout: seconds to wait for another process before raising BackendError (None = wait forever).
    """

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Return whether the calling thread holds the lock (only meaningful inside :meth:`hold`)."""
        return self._depth > 0

    def _acquire_file(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(fd)
                    raise BackendError(
                        f"{self.path} is held by another process (waited {self.timeout:.0f} s)"
                    ) from None
                time.sleep(0.02)

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Hold the lock for the block; yield True when this call took it (outermost), False when nested."""
        with self._thread_lock:
            outermost = self._depth == 0
            if outermost:
                self._fd = self._acquire_file()
            self._depth += 1
            try:
                yield outermost
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None
