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

import fcntl
import os
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime

from supportinbox import paths
from supportinbox.domain.replies import WIRE_POLICY, set_text, to_bytes
from supportinbox.store import outbox as store
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxStatus


class EditLock:
    """The lock an editor holds on one reply of the outbox while it is open."""

    def __init__(self, fd: int, outbox_id: int) -> None:
        self._fd: int | None = fd
        self.outbox_id = outbox_id

    @classmethod
    def take(cls, account_name: str, outbox_id: int) -> EditLock | None:
        """The lock on reply ``outbox_id``, or None when another editor holds it now."""
        path = paths.outbox_edit_lock_file(account_name, outbox_id)
        paths.ensure_private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(fd, outbox_id)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let go (closing the file releases the lock); twice is harmless."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def restore_abandoned(db: Database, account_name: str) -> list[int]:
    """Put every reply left ``editing`` by a process that is gone back on its schedule,
    unchanged; the ones restored. A reply open in an editor now is left alone."""
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
