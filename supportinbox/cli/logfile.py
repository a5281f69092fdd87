"""The log file: private, rotated by size, written by every process of the user at once.

The app may stay open all day while cron runs ``supportinbox sync`` every minute; both append
to the same file, and either may find it full. So each line is written, and the file
rotated, while holding the log's lock (``<log>.lock``); a process that finds the log was
rotated by another since its last line reopens it first. No line then goes into a backup
being renamed or removed, none is written half, and the backups stay in order.

Rotation is the standard library's: past :data:`MAX_BYTES` the log becomes ``<log>.1``,
``<log>.1`` becomes ``<log>.2`` and so on; what would become ``<log>.<BACKUPS + 1>`` is removed.
"""

from __future__ import annotations

import fcntl
import io
import logging
import logging.handlers
import os
from pathlib import Path

from supportinbox.locking import open_lock, wait_for_flock

MAX_BYTES = 1024 * 1024
"""The log's size at which it is rotated: about 7,000 lines of a sync that fails, nearly five
days of one a minute (a sync that works logs next to nothing)."""

BACKUPS = 3
"""How many rotated logs are kept beside it (``<log>.1`` is the newest)."""

# A line is written in microseconds: a lock held longer belongs to a process stopped in
# the middle (Ctrl+Z), whose log must not stop this one. The line is then written anyway,
# whole (one append), and the rotation left to the next line.
LOCK_WAIT_SECONDS = 1.0


class SharedRotatingLog(logging.handlers.RotatingFileHandler):
    """The log at ``path`` (0600, as are its backups), rotated past ``max_bytes`` with
    ``backups`` kept (by default :data:`MAX_BYTES` and :data:`BACKUPS`), shared safely with
    other processes writing it.

    A line that cannot be written (the disk is full) is dropped, never printed as a
    "--- Logging error ---" traceback over the command's own one-line answer.
    Raises :class:`~supportinbox.errors.StorageError` when the log's lock cannot be made.
    """

    def __init__(self, path: Path, *, max_bytes: int | None = None, backups: int | None = None) -> None:
        self._lock_fd: int | None = open_lock(path.with_name(f"{path.name}.lock"), "the log's lock")
        try:
            super().__init__(
                path,
                maxBytes=MAX_BYTES if max_bytes is None else max_bytes,
                backupCount=BACKUPS if backups is None else backups,
                encoding="utf-8",
            )
        except BaseException:
            self._close_lock()
            raise

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise

    def emit(self, record: logging.LogRecord) -> None:
        try:
            locked = self._lock_fd is not None and wait_for_flock(
                self._lock_fd, LOCK_WAIT_SECONDS, interval=0.005
            )
            try:
                self._follow()
                if locked and self.shouldRollover(record):
                    self.doRollover()
                logging.FileHandler.emit(self, record)
            finally:
                if locked and self._lock_fd is not None:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        except Exception:  # noqa: BLE001 - as logging's own handlers do: a log line never stops the program
            self.handleError(record)

    def _follow(self) -> None:
        """Reopen the log when the file at its path is no longer the one this process
        writes (another process rotated it, or it was removed)."""
        if self.stream is None:
            return
        try:
            there = os.stat(self.baseFilename)
        except FileNotFoundError:
            there = None
        mine = os.fstat(self.stream.fileno())
        if there is None or (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino):
            self.stream.close()
            self.stream = self._open()

    def handleError(self, record: logging.LogRecord) -> None:
        del record

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._close_lock()

    def _close_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
