"""Advisory file locks shared by processes of the same account (TUI, CLI, cron)."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from supportinbox import paths
from supportinbox.errors import StorageError


def open_lock(path: Path, what: str, *, aftermath: str | None = None) -> int:
    """Open the lock file ``path`` (made 0600 in a private folder when missing) for
    :func:`wait_for_flock`; the caller closes the descriptor.

    Raises :class:`StorageError` naming ``what`` ("the sync lock") when it cannot be made,
    ending in ``aftermath`` (what the caller leaves undone) when given.
    """
    try:
        paths.ensure_private_dir(path.parent)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StorageError(
            f"cannot open {what} {path}: {paths.why_not_written(exc)}", aftermath=aftermath
        ) from None


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
