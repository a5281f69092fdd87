"""Advisory file locks shared by processes of the same account (TUI, CLI, cron)."""

from __future__ import annotations

import fcntl
import time


def wait_for_flock(fd: int, wait: float, interval: float = 0.05) -> bool:
    """Take an exclusive ``flock`` on ``fd``, retrying for up to ``wait`` seconds.

    Returns False when another process still holds it after ``wait``; the caller decides
    how to say so. Closing ``fd`` (or LOCK_UN) releases the lock.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)
