"""One sync per account at a time, across processes (TUI, CLI, cron)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from supportinbox import paths
from supportinbox.errors import SyncBusy
from supportinbox.locking import open_lock, wait_for_flock


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"


# The accounts whose lock this thread holds for the syncs it runs inside (a rebuild's
# fetch): those go on under the holder's lock instead of waiting for it.
_held = threading.local()


@contextmanager
def account_lock(account_name: str, *, wait: float = 2.0, inner_syncs: bool = False) -> Iterator[None]:
    """Hold the account's sync lock; wait up to ``wait`` seconds, then raise :class:`SyncBusy`.

    ``inner_syncs``: syncs this thread runs while holding it go on under it (taking it
    again holds on) instead of reporting busy. Other threads and processes still wait.
    """
    held: set[str] = _held.__dict__.setdefault("accounts", set())
    if account_name in held:
        yield
        return
    fd = open_lock(paths.lock_file(account_name), "the sync lock")
    try:
        if not wait_for_flock(fd, wait):
            raise SyncBusy(
                f"a sync of account {account_name!r} is already running (pid {_holder(fd)}): "
                "wait for it to finish"
            )
        # Only for the busy message of another sync: a full disk must not stop this one
        # (its cache write then says the disk is full, in words).
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
        if inner_syncs:
            held.add(account_name)
        try:
            yield
        finally:
            held.discard(account_name)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
