"""The outbox table: every reply is written here before the first SMTP byte.

Life of a row::

    queued --(claimed)--> sending --(SMTP accepted: smtp_done_at)--> ... --> sent
       |                     |
       +--> cancelled        +--(SMTP failed)--> failed --(retry)--> sending ...
       |
       +--(a teammate claimed, closed or answered)--> held --(send anyway)--> sending ...
       |
       +--(scheduled, and the customer wrote again first)--> draft --(send as it is)--> sending ...
       |
       +--(scheduled, opened in an editor)--> editing --(saved or given up)--> queued ...

A scheduled reply (``send_at``) is ``queued`` with ``not_before`` at its time.

An ``editing`` row is a scheduled reply open in an editor (``editing_since``): nothing sends
it, neither its time coming nor another process, until the edit is saved (its text and time
replaced in place, same row, same Message-ID) or given up. The editor holds a lock for it
(:mod:`supportinbox.mail.edits`); a row left ``editing`` by a process that died goes back to
its schedule unchanged at the next send.

A ``failed`` row with ``next_attempt_at`` is tried again by a sync from that time on (the
failure may pass by itself); without it, it waits for the user, like a ``held`` one.

``message_id`` is the idempotency key: a row whose ``smtp_done_at`` is set never goes to
SMTP again, and a row left in ``sending`` without it (the process died mid-send) is only
sent again after the Sent folder was searched for its Message-ID.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from supportinbox.domain.when import said_now
from supportinbox.store.db import utcnow_iso


class OutboxStatus(StrEnum):
    """Where a reply stands (the life above); the values are what the table stores."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"
    DRAFT = "draft"  # scheduled, and the customer wrote again first
    EDITING = "editing"  # scheduled, and open in an editor: never sent while so
    CANCELLED = "cancelled"


STATUSES: tuple[OutboxStatus, ...] = tuple(OutboxStatus)
# Not sent yet: what the outbox lists and the status bar counts.
WAITING: tuple[OutboxStatus, ...] = (
    OutboxStatus.QUEUED,
    OutboxStatus.SENDING,
    OutboxStatus.FAILED,
    OutboxStatus.HELD,
    OutboxStatus.DRAFT,
    OutboxStatus.EDITING,
)
# Sent only when the user names them: a teammate got there first, or the customer wrote again.
ON_REQUEST: tuple[OutboxStatus, ...] = (OutboxStatus.HELD, OutboxStatus.DRAFT)
# What a send finds to do unless held and draft ones are asked for.
SENDABLE: tuple[OutboxStatus, ...] = tuple(
    s for s in WAITING if s not in ON_REQUEST and s != OutboxStatus.EDITING
)
# What a send may take (claim): never a reply open in an editor.
CLAIMABLE: tuple[OutboxStatus, ...] = (*SENDABLE, *ON_REQUEST)
# What the user may still cancel: nothing has gone to SMTP yet.
CANCELLABLE: tuple[OutboxStatus, ...] = (
    OutboxStatus.QUEUED,
    OutboxStatus.FAILED,
    *ON_REQUEST,
    OutboxStatus.EDITING,
)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    message_id: str
    conversation_id: str | None
    reply_to_uid: int | None
    reply_to_folder: str | None
    recipients: tuple[str, ...]
    subject: str
    raw: bytes
    template: str | None
    after_status: str | None
    status: OutboxStatus
    not_before: str | None
    created_at: str
    attempts: int
    last_error: str | None
    smtp_done_at: str | None
    sent_at: str | None
    filed_in_sent: bool
    answered_set: bool
    next_attempt_at: str | None = None
    failures: int = 0
    held_by: str | None = None
    send_at: str | None = None
    editing_since: str | None = None
    # Sent as the cache held it whole when the reply was queued (see migration 26).
    sent_uidvalidity: int | None = None
    sent_uidnext: int | None = None
    # The user chose to send it without the teammate check (see mark_send_anyway).
    send_anyway: bool = False

    @property
    def reason(self) -> str:
        """Why it did not leave, as said to the reader now: a moment in it in the local clock."""
        return said_now(self.last_error or "")

    @property
    def scheduled(self) -> bool:
        """Queued to leave at a time the user chose (not merely in its undo window)."""
        return self.status == OutboxStatus.QUEUED and self.send_at is not None

    @property
    def interrupted(self) -> bool:
        """Left in ``sending`` by a process that died, or SMTP done with bookkeeping unfinished."""
        return self.status == OutboxStatus.SENDING


def _row(row: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=int(row["id"]),
        message_id=str(row["message_id"]),
        conversation_id=row["conversation_id"],
        reply_to_uid=row["reply_to_uid"],
        reply_to_folder=row["reply_to_folder"],
        recipients=tuple(str(row["recipients"]).split()),
        subject=str(row["subject"]),
        raw=bytes(row["raw"]),
        template=row["template"],
        after_status=row["after_status"],
        status=OutboxStatus(row["status"]),
        not_before=row["not_before"],
        created_at=str(row["created_at"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        smtp_done_at=row["smtp_done_at"],
        sent_at=row["sent_at"],
        filed_in_sent=bool(row["filed_in_sent"]),
        answered_set=bool(row["answered_set"]),
        next_attempt_at=row["next_attempt_at"],
        failures=int(row["failures"]),
        held_by=row["held_by"],
        send_at=row["send_at"],
        editing_since=row["editing_since"],
        sent_uidvalidity=row["sent_uidvalidity"],
        sent_uidnext=row["sent_uidnext"],
        send_anyway=bool(row["send_anyway"]),
    )


def insert(
    conn: sqlite3.Connection,
    *,
    message_id: str,
    recipients: list[str],
    subject: str,
    raw: bytes,
    conversation_id: str | None = None,
    reply_to_uid: int | None = None,
    reply_to_folder: str | None = None,
    template: str | None = None,
    after_status: str | None = None,
    not_before: datetime | None = None,
    send_at: datetime | None = None,
) -> int:
    """Add a queued reply (``send_at``: scheduled for that time); returns its outbox id."""
    if send_at is not None:
        send_at = not_before = send_at.astimezone(UTC)
    cursor = conn.execute(
        "INSERT INTO outbox (message_id, conversation_id, reply_to_uid, reply_to_folder, recipients, "
        "subject, raw, template, after_status, status, not_before, created_at, send_at, "
        "sent_uidvalidity, sent_uidnext) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        # What of Sent was there to be seen as this reply was written (the collision check's).
        "(SELECT uidvalidity FROM folders WHERE role = 'sent' AND uidnext IS NOT NULL), "
        "(SELECT uidnext FROM folders WHERE role = 'sent' AND uidvalidity IS NOT NULL))",
        (
            message_id,
            conversation_id,
            reply_to_uid,
            reply_to_folder,
            " ".join(recipients),
            subject,
            raw,
            template,
            after_status,
            OutboxStatus.QUEUED,
            not_before.isoformat(timespec="seconds") if not_before else None,
            utcnow_iso(),
            send_at.isoformat(timespec="seconds") if send_at else None,
        ),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def get(conn: sqlite3.Connection, outbox_id: int) -> OutboxRow | None:
    """The row with ``outbox_id``, or None."""
    row = conn.execute("SELECT * FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    return None if row is None else _row(row)


def list_rows(conn: sqlite3.Connection, statuses: tuple[OutboxStatus, ...] | None = None) -> list[OutboxRow]:
    """Rows in ``statuses`` (all when None), oldest first."""
    if statuses:
        marks = ", ".join("?" for _ in statuses)
        rows = conn.execute(f"SELECT * FROM outbox WHERE status IN ({marks}) ORDER BY id", statuses)
    else:
        rows = conn.execute("SELECT * FROM outbox ORDER BY id")
    return [_row(r) for r in rows]


def due(
    conn: sqlite3.Connection,
    now: datetime,
    *,
    include_failed: bool,
    ignore_delay: bool,
    include_held: bool = False,
) -> list[OutboxRow]:
    """Rows to work on now: queued (past their undo window or scheduled time), interrupted,
    failed ones whose retry time has come, every failed one on request (``include_failed``),
    held and draft ones only when asked for (``include_held``)."""
    statuses = CLAIMABLE if include_held else SENDABLE
    stamp = now.isoformat(timespec="seconds")

    def wanted(row: OutboxRow) -> bool:
        if row.status == OutboxStatus.QUEUED:
            return ignore_delay or row.not_before is None or row.not_before <= stamp
        if row.status == OutboxStatus.FAILED and not include_failed:
            return row.next_attempt_at is not None and row.next_attempt_at <= stamp
        return True

    return [row for row in list_rows(conn, statuses) if wanted(row)]


def anything_to_send(conn: sqlite3.Connection) -> bool:
    """Whether a reply is queued, being sent or failed: what a send that takes no held or
    draft reply could find to do (scheduled replies are queued ones). One being edited
    counts: a send puts it back on its schedule if its editor is gone."""
    statuses = (*SENDABLE, OutboxStatus.EDITING)
    marks = ", ".join("?" * len(statuses))
    query = f"SELECT EXISTS(SELECT 1 FROM outbox WHERE status IN ({marks}))"
    return bool(conn.execute(query, statuses).fetchone()[0])


def retry_now(conn: sqlite3.Connection, now: datetime) -> int:
    """Make the failed replies waiting for their retry time due at ``now`` (the server is
    reachable again: the wait after a failure was for an outage that is over); how many."""
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    cursor = conn.execute(
        "UPDATE outbox SET next_attempt_at = ? WHERE status = ? AND next_attempt_at > ?",
        (stamp, OutboxStatus.FAILED, stamp),
    )
    return cursor.rowcount


def next_attempt(conn: sqlite3.Connection) -> str | None:
    """The earliest time a failed reply is due to be tried again or a scheduled one to leave."""
    row = conn.execute(
        "SELECT MIN(at) FROM (SELECT next_attempt_at AS at FROM outbox WHERE status = ? "
        "AND next_attempt_at IS NOT NULL UNION ALL SELECT not_before FROM outbox "
        "WHERE status = ? AND send_at IS NOT NULL)",
        (OutboxStatus.FAILED, OutboxStatus.QUEUED),
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def scheduled_rows(conn: sqlite3.Connection) -> list[OutboxRow]:
    """Replies waiting for the time the user chose, soonest first."""
    rows = conn.execute(
        "SELECT * FROM outbox WHERE status = ? AND send_at IS NOT NULL ORDER BY not_before, id",
        (OutboxStatus.QUEUED,),
    )
    return [_row(r) for r in rows]


def begin_edit(conn: sqlite3.Connection, outbox_id: int, now: datetime) -> bool:
    """Take a scheduled reply for editing (or one left ``editing`` by a process that died:
    the caller holds its edit lock); False when it is not a scheduled reply waiting any more
    (sent, being sent, kept as a draft, discarded)."""
    cursor = conn.execute(
        "UPDATE outbox SET status = ?, editing_since = ? WHERE id = ? AND smtp_done_at IS NULL "
        "AND send_at IS NOT NULL AND status IN (?, ?)",
        (
            OutboxStatus.EDITING,
            now.astimezone(UTC).isoformat(timespec="seconds"),
            outbox_id,
            OutboxStatus.QUEUED,
            OutboxStatus.EDITING,
        ),
    )
    return cursor.rowcount == 1


def end_edit(
    conn: sqlite3.Connection,
    outbox_id: int,
    *,
    send_at: datetime | None = None,
    raw: bytes | None = None,
    subject: str | None = None,
) -> bool:
    """Put a reply being edited back on its schedule: with its new text (``raw``) and time
    (``send_at``) when given, else as it was. False when it is no longer being edited (it
    was discarded meanwhile)."""
    at = send_at.astimezone(UTC).isoformat(timespec="seconds") if send_at is not None else None
    cursor = conn.execute(
        "UPDATE outbox SET status = ?, editing_since = NULL, raw = COALESCE(?, raw), "
        "subject = COALESCE(?, subject), send_at = COALESCE(?, send_at), "
        "not_before = COALESCE(?, not_before) WHERE id = ? AND status = ?",
        (OutboxStatus.QUEUED, raw, subject, at, at, outbox_id, OutboxStatus.EDITING),
    )
    return cursor.rowcount == 1


def mark_draft(conn: sqlite3.Connection, outbox_id: int, reason: str) -> bool:
    """A scheduled reply the customer overtook: kept, sent only when the user says so."""
    cursor = conn.execute(
        "UPDATE outbox SET status = ?, last_error = ? WHERE id = ? AND status = ? AND smtp_done_at IS NULL",
        (OutboxStatus.DRAFT, reason, outbox_id, OutboxStatus.QUEUED),
    )
    return cursor.rowcount == 1


def waiting_count(conn: sqlite3.Connection) -> int:
    """Replies not sent yet (queued, sending, failed or held)."""
    marks = ", ".join("?" for _ in WAITING)
    row = conn.execute(f"SELECT COUNT(*) FROM outbox WHERE status IN ({marks})", WAITING).fetchone()
    return int(row[0])


def claim(conn: sqlite3.Connection, outbox_id: int, *, from_statuses: tuple[OutboxStatus, ...]) -> bool:
    """Move a row to ``sending`` and count the attempt, if it is still in ``from_statuses``."""
    marks = ", ".join("?" for _ in from_statuses)
    cursor = conn.execute(
        f"UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = NULL "
        f"WHERE id = ? AND status IN ({marks})",
        (OutboxStatus.SENDING, outbox_id, *from_statuses),
    )
    return cursor.rowcount == 1


def mark_smtp_done(conn: sqlite3.Connection, outbox_id: int, note: str | None = None) -> None:
    """The SMTP server accepted the reply: from now on it is never handed to SMTP again."""
    conn.execute(
        "UPDATE outbox SET smtp_done_at = COALESCE(smtp_done_at, ?), last_error = ? WHERE id = ?",
        (utcnow_iso(), note, outbox_id),
    )


def mark_filed(conn: sqlite3.Connection, outbox_id: int) -> None:
    """A copy is in the server's Sent folder."""
    conn.execute("UPDATE outbox SET filed_in_sent = 1 WHERE id = ?", (outbox_id,))


def mark_answered(conn: sqlite3.Connection, outbox_id: int) -> None:
    """The customer's message carries \\Answered on the server."""
    conn.execute("UPDATE outbox SET answered_set = 1 WHERE id = ?", (outbox_id,))


def mark_sent(conn: sqlite3.Connection, outbox_id: int, note: str | None = None) -> None:
    """Everything is done: sent, filed, flagged."""
    conn.execute(
        "UPDATE outbox SET status = ?, sent_at = ?, last_error = ? WHERE id = ?",
        (OutboxStatus.SENT, utcnow_iso(), note, outbox_id),
    )


def mark_failed(
    conn: sqlite3.Connection, outbox_id: int, error: str, *, retry_at: datetime | None = None
) -> None:
    """SMTP did not accept the reply: it stays in the outbox, for a sync to try again from
    ``retry_at`` (counted as one more consecutive failure), or for the user when None."""
    conn.execute(
        # A reply sent anyway keeps whom it had been held for: its note names them when it goes.
        "UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ?, "
        "held_by = CASE WHEN send_anyway THEN held_by END, "
        "failures = failures + ? WHERE id = ? AND smtp_done_at IS NULL",
        (
            OutboxStatus.FAILED,
            error,
            retry_at.isoformat(timespec="seconds") if retry_at else None,
            1 if retry_at else 0,
            outbox_id,
        ),
    )


def mark_held(conn: sqlite3.Connection, outbox_id: int, by: str, reason: str) -> None:
    """A teammate got there first: the reply waits for the user's decision."""
    conn.execute(
        "UPDATE outbox SET status = ?, held_by = ?, last_error = ?, next_attempt_at = NULL "
        "WHERE id = ? AND smtp_done_at IS NULL",
        (OutboxStatus.HELD, by, reason, outbox_id),
    )


def mark_send_anyway(conn: sqlite3.Connection, outbox_id: int) -> None:
    """The user chose to send the reply without the teammate check (``--force``, send
    anyway): every later try of it does so too, until it goes out."""
    conn.execute("UPDATE outbox SET send_anyway = 1 WHERE id = ? AND smtp_done_at IS NULL", (outbox_id,))


def note_error(conn: sqlite3.Connection, outbox_id: int, error: str) -> None:
    """Remember why the bookkeeping after a successful send is not finished yet."""
    conn.execute("UPDATE outbox SET last_error = ? WHERE id = ?", (error, outbox_id))


def cancel(conn: sqlite3.Connection, outbox_id: int) -> bool:
    """Cancel a reply that has not started sending; False once sending has begun."""
    marks = ", ".join("?" for _ in CANCELLABLE)
    cursor = conn.execute(
        f"UPDATE outbox SET status = ? WHERE id = ? AND status IN ({marks}) AND smtp_done_at IS NULL",
        (OutboxStatus.CANCELLED, outbox_id, *CANCELLABLE),
    )
    return cursor.rowcount == 1
