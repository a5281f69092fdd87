"""What a ``cache rebuild`` stopped in the middle of its swap leaves beside the cache, put right.

The swap (:func:`supportinbox.store.rebuild.rebuild_cache`) moves the old cache's
write-ahead log, its index and any journal aside (``<cache>.replaced-wal``...), so that they
are never replayed into the new file; renames the new cache (``<cache>.rebuild``) over the
old one; then deletes what it moved aside. A power cut or ``kill -9`` between those steps
leaves the files aside, and the log may be the only copy of the old cache's latest changes
(a reply queued in the app a moment before): opened without it, the old cache would lack
them, and the next sync would remove the new cache that held them too.

So before the cache is opened, what was set aside is put right: before the rename (the new
cache is still there under its own name) it goes back where it was, and the old cache is
whole again, as a rebuild stopped before its swap leaves it; after the rename it belonged
to a file that no longer exists, and is deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from supportinbox import paths
from supportinbox.errors import StorageError
from supportinbox.locking import open_lock, wait_for_flock

SIDECARS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a cache, in the order the swap moves them aside."""

# A swap under way holds the account's sync lock for well under a second.
LOCK_WAIT_SECONDS = 5.0

log = logging.getLogger(__name__)


def aside(cache: Path, suffix: str) -> Path:
    """Where the swap moves the old cache's ``suffix`` file (``-wal``...) until its rename is done."""
    return Path(f"{cache}.replaced{suffix}")


def put_right(cache: Path, *, locked: bool = False) -> str:
    """Put right what a swap stopped halfway left beside ``cache``; what was done, in one
    line, or "" when nothing was left (the usual case: three ``stat`` calls).

    ``locked``: the caller holds the account's sync lock; otherwise it is taken here, so
    that a swap under way is waited for instead of undone. Raises :class:`StorageError`
    when the files cannot be moved, or the lock is held past :data:`LOCK_WAIT_SECONDS`.
    """
    if not any(aside(cache, suffix).exists() for suffix in SIDECARS):
        return ""
    lock = None if locked else paths.lock_file_of(cache)
    if lock is None:
        return _put_right(cache)
    fd = open_lock(lock, "the sync lock")
    try:
        if not wait_for_flock(fd, LOCK_WAIT_SECONDS):
            raise StorageError(
                f"the cache {cache} is being replaced by 'supportinbox cache rebuild': try again in a moment"
            )
        return _put_right(cache)  # a swap waited for has finished: then nothing is left
    finally:
        os.close(fd)


def _put_right(cache: Path) -> str:
    found = [suffix for suffix in SIDECARS if aside(cache, suffix).exists()]
    if not found:
        return ""
    try:
        if not paths.rebuild_file_of(cache).exists():
            # The rename was done: what was set aside belonged to the file it replaced.
            for suffix in found:
                aside(cache, suffix).unlink(missing_ok=True)
            return (
                f"removed the old cache's log a 'cache rebuild' stopped just after its swap had left "
                f"({aside(cache, found[0])}); the new cache is whole"
            )
        kept: list[Path] = []
        for suffix in found:
            if suffix == "-shm" and kept:
                # The index goes with the log in place, the one written meanwhile.
                aside(cache, suffix).unlink(missing_ok=True)
                continue
            backup = _put_back(cache, suffix)
            if backup is not None:
                kept.append(backup)
    except OSError as exc:
        raise StorageError(
            f"cannot put back the log of the cache {cache} a stopped 'cache rebuild' had set aside: "
            f"{exc.strerror or exc}"
        ) from None
    said = (
        f"put back the log of the cache a 'cache rebuild' stopped in its swap had set aside "
        f"({aside(cache, found[0])}); the old cache is whole and still in use"
    )
    if kept:
        said += f"; a log written meanwhile beside it was kept as {', '.join(map(str, kept))}"
    log.warning("%s", said)
    return said


def _put_back(cache: Path, suffix: str) -> Path | None:
    """Move ``cache``'s ``suffix`` file back from aside; the backup it was kept as instead when
    another one was written there meanwhile (a process that opened the cache in the swap's
    instant), so that neither is lost."""
    moved, place = aside(cache, suffix), Path(f"{cache}{suffix}")
    with contextlib.suppress(FileNotFoundError):
        if place.stat().st_size and suffix != "-shm":
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            backup = Path(f"{cache}.set-aside-{stamp}{suffix}")
            os.replace(moved, backup)
            return backup
    # An index (-shm) is rebuilt from the log it goes with: the one set aside is that log's.
    os.replace(moved, place)
    return None
