"""Editing a scheduled reply in place: the lock that keeps it from leaving, and the way back.

A scheduled reply opened for editing is ``editing`` in the outbox (:mod:`supportinbox.store.outbox`):
no send takes it, not its time coming, not another process (a cron sync, ``outbox retry``).
The process editing it holds a lock file for it (``flock``) for as long as the edit is
open, and the lock goes with the process: a reply left ``editing`` by a process that died
(killed, its terminal closed) is told from one open in another window by trying its lock.
:func:`restore_abandoned` puts such a reply back on its schedule as it was (its text as
last saved), and every send runs it first, under the send lock: an edit never saved is
lost, the reply never.

``flock`` locks belong to an open file, not to a process: the app's own send finds the
lock of an edit open in the same app taken, as it should.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from supportinbox import paths
from supportinbox.domain.replies import WIRE_POLICY, set_text, to_bytes
from supportinbox.store import outbox as store
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxStatus


class EditLock:
    """The lock an editor holds on one reply of the outbox while it is open.

    Its file exists only while the lock is held: it is removed (still locked) when the edit
    ends, so the folder does not fill with one file per reply ever edited. A taker that
    locked a file removed meanwhile (opened just before the holder let go) finds its
    inode no longer at the path and tries again, so two editors never both hold it. A file
    left by a process that died holds no lock (``flock`` goes with the process) and is
    removed by the next one to take it, or by :func:`sweep_locks`.
    """

    def __init__(self, fd: int, outbox_id: int, path: Path) -> None:
        self._fd: int | None = fd
        self.outbox_id = outbox_id
        self.path = path

    @classmethod
    def take(cls, account_name: str, outbox_id: int) -> EditLock | None:
        """The lock on reply ``outbox_id``, or None when another editor holds it now."""
        path = paths.outbox_edit_lock_file(account_name, outbox_id)
        paths.ensure_private_dir(path.parent)
        return cls._take_file(path, outbox_id)

    @classmethod
    def _take_file(cls, path: Path, outbox_id: int) -> EditLock | None:
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held = _still_at(path, fd)
                os.close(fd)
                if held:
                    return None
                continue  # its holder let go and removed it as we opened it: a new file now
            if _still_at(path, fd):
                return cls(fd, outbox_id, path)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let go and remove the file (removed while still locked, then closed); twice is harmless."""
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            os.close(self._fd)
            self._fd = None


def _still_at(path: Path, fd: int) -> bool:
    """Whether the open file ``fd`` is still the file at ``path`` (not removed or replaced)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (found.st_dev, found.st_ino) == (mine.st_dev, mine.st_ino)


def sweep_locks(account_name: str) -> int:
    """Remove the lock files of this account that no process holds (left by one that died);
    how many. A lock held now is left alone."""
    folder = paths.outbox_edit_lock_file(account_name, 0).parent
    prefix = paths.outbox_edit_lock_file(account_name, 0).name.removesuffix("0.lock")
    removed = 0
    try:
        names = [p for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(".lock")]
    except FileNotFoundError:
        return 0
    for path in names:
        number = path.name[len(prefix) : -len(".lock")]
        if not number.isdigit():
            continue
        try:
            lock = EditLock._take_file(path, int(number))
        except FileNotFoundError:
            continue
        if lock is not None:
            lock.release()
            removed += 1
    return removed


def restore_abandoned(db: Database, account_name: str) -> list[int]:
    """Put every reply left ``editing`` by a process that is gone back on its schedule,
    unchanged; the ones restored. A reply open in an editor now is left alone; the lock
    files such processes left are removed."""
    restored: list[int] = []
    for row in store.list_rows(db.conn, (OutboxStatus.EDITING,)):
        lock = EditLock.take(account_name, row.id)
        if lock is None:
            continue  # open in an editor, here or in another process
        try:
            with db.transaction() as conn:
                if store.end_edit(conn, row.id):
                    restored.append(row.id)
        finally:
            lock.release()
    sweep_locks(account_name)
    return restored


def rewritten(raw: bytes, text: str, *, date: datetime | None = None) -> bytes:
    """The stored reply ``raw`` with ``text`` as its text (and dated ``date`` when given):
    every other header as it was (recipients, Subject, Message-ID, threading), the text
    written as a new reply's is (format=flowed kept when it was)."""
    msg = message_from_bytes(raw, policy=WIRE_POLICY)
    assert isinstance(msg, EmailMessage)
    flowed = msg.get_content_type() == "text/plain" and msg.get_param("format") == "flowed"
    set_text(msg, text, format_flowed=flowed)
    if date is not None and msg["Date"] is not None:
        msg.replace_header("Date", format_datetime(date))  # where it was among the headers
    elif date is not None:
        msg["Date"] = format_datetime(date)
    return to_bytes(msg)
