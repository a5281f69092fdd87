"""Internal notes: small messages in a shared IMAP folder, never sent to anyone.

A note is APPENDed to ``account.notes_folder`` (created on demand) as::

    From: AGENT <account.email>
    Subject: Note: <conversation subject>
    X-Supportinbox-Note: <conversation id>
    X-Supportinbox-Agent: AGENT
    In-Reply-To / References: the conversation's messages

Notes never go near SMTP. A note written offline is kept in the ``notes`` table with
``uploaded = 0`` and APPENDed at the next sync; before APPENDing, the folder is searched
for its Message-ID, so a crash between APPEND and bookkeeping never duplicates it.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime, make_msgid

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.safetext import clean, one_line
from supportinbox.domain.when import as_utc, parse_time
from supportinbox.errors import UserError
from supportinbox.mail.imap import own_folder
from supportinbox.mail.parse import decode_header_value, parse_message
from supportinbox.store.db import Database
from supportinbox.team import marks
from supportinbox.team.store import ConversationRef, conversation_ref, now_iso

log = logging.getLogger(__name__)

NOTE_HEADER = "X-Supportinbox-Note"
MAX_NOTE_SIZE = 262_144
MAX_NOTE_CHARS = 20_000
FETCH_BATCH = 200
_META_VALIDITY = "team_notes_uidvalidity"
_META_LAST_UID = "team_notes_last_uid"


@dataclass(frozen=True)
class NoteRecord:
    """A note as read from the server."""

    conversation_id: str
    author: str
    created_at: str
    body: str
    message_id: str
    refers_to: tuple[str, ...] = ()


def build_note(
    account: AccountConfig,
    agent: str,
    ref: ConversationRef,
    body: str,
    *,
    message_id: str,
    created_at: datetime,
) -> bytes:
    """The raw note message."""
    msg = EmailMessage()
    msg["From"] = str(Address(display_name=agent, addr_spec=account.email))
    msg["To"] = account.email
    msg["Subject"] = f"Note: {one_line(ref.subject, limit=200)}"
    msg["Date"] = format_datetime(created_at)
    msg["Message-ID"] = message_id
    msg[NOTE_HEADER] = ref.id
    msg[AGENT_HEADER] = agent
    if ref.message_ids:
        msg["In-Reply-To"] = ref.message_ids[-1]
        msg["References"] = " ".join(ref.message_ids[-20:])
    msg.set_content(body)
    return msg.as_bytes()


def parse_note(raw: bytes) -> NoteRecord | None:
    """A note message as a record; ``None`` for a message that is not a note (never raises)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:65536], headersonly=True)
        conversation = one_line(decode_header_value(headers.get(NOTE_HEADER)), limit=64)
        agent = one_line(decode_header_value(headers.get(AGENT_HEADER)), limit=64)
    except Exception:  # noqa: BLE001 - hostile headers: not a note of ours
        return None
    if not conversation:
        return None
    parsed = parse_message(raw)
    if not parsed.message_id:
        return None
    return NoteRecord(
        conversation_id=conversation,
        author=agent or parsed.from_name or parsed.from_addr or "?",
        created_at=parsed.date or now_iso(),
        body=parsed.body_text.strip(),
        message_id=parsed.message_id,
        refers_to=tuple(m for m in dict.fromkeys([parsed.in_reply_to, *parsed.references]) if m),
    )


def local_conversation(conn: sqlite3.Connection, note: NoteRecord) -> str:
    """The local id of the note's conversation.

    Normally the id in the note; if this cache threads the conversation under another id
    (it holds an older message of the thread), the messages the note refers to decide.
    """
    if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (note.conversation_id,)).fetchone():
        return note.conversation_id
    for message_id in note.refers_to:
        row = conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = ? AND conversation_id IS NOT NULL "
            "LIMIT 1",
            (message_id,),
        ).fetchone()
        if row:
            return str(row[0])
    return note.conversation_id


def add_local_note(
    conn: sqlite3.Connection,
    account: AccountConfig,
    conversation_id: str,
    body: str,
    *,
    now: datetime | None = None,
) -> str:
    """Record a note in the cache (to be uploaded), written ``now`` (the current time when None);
    return its Message-ID.

    Escape sequences, control characters and bidi overrides are removed before it is kept:
    what goes to the server and to every teammate's mail client is inert text (newlines and
    right-to-left scripts stay)."""
    text = clean(body).strip()
    if not text:
        raise UserError("the note is empty: nothing saved")
    if len(text) > MAX_NOTE_CHARS:
        raise UserError(f"the note is {len(text)} characters long; notes are limited to {MAX_NOTE_CHARS}")
    conversation_ref(conn, conversation_id)  # NotFound for an unknown conversation
    message_id = make_msgid(domain=account.email.rpartition("@")[2] or "supportinbox.invalid")
    conn.execute(
        "INSERT INTO notes(conversation_id, author, created_at, body, message_id, uploaded) "
        "VALUES (?, ?, ?, ?, ?, 0)",
        (
            conversation_id,
            account.agent,
            as_utc(now).isoformat(timespec="seconds") if now else now_iso(),
            text,
            message_id,
        ),
    )
    return message_id


def _ensure_folder(imap: IMAPClient, folder: str) -> None:
    if not imap.folder_exists(folder):
        imap.create_folder(folder)
        # Subscribing makes the folder visible to teammates' mail clients; optional.
        try:
            imap.subscribe_folder(folder)
        except Exception:  # noqa: BLE001 - a server without subscriptions is fine
            log.debug("could not subscribe to %s", folder)


def upload_pending(imap: IMAPClient, db: Database, account: AccountConfig) -> int:
    """APPEND every note not yet on the server; return how many were uploaded."""
    rows = db.conn.execute(
        "SELECT id, conversation_id, author, created_at, body, message_id FROM notes "
        "WHERE uploaded = 0 ORDER BY id"
    ).fetchall()
    if not rows:
        return 0
    folder = own_folder(imap, account.notes_folder)
    _ensure_folder(imap, folder)
    imap.select_folder(folder)
    uploaded = 0
    for note_id, conversation_id, author, created_at, body, message_id in rows:
        existing = imap.search(["HEADER", "Message-ID", str(message_id)])
        uid: int | None = int(existing[0]) if existing else None
        if uid is None:
            try:
                ref = conversation_ref(db.conn, str(conversation_id))
            except UserError:
                ref = ConversationRef(str(conversation_id), "", None, (), ())
            when = parse_time(str(created_at)) or datetime.now(UTC)
            raw = build_note(
                account,
                str(author),
                ref,
                str(body),
                message_id=str(message_id),
                created_at=when,
            )
            response = imap.append(folder, raw, flags=("\\Seen",))
            uid = _appended_uid(response)
        with db.transaction() as tx:
            tx.execute("UPDATE notes SET uploaded = 1, uid = ? WHERE id = ?", (uid, note_id))
        uploaded += 1
    return uploaded


def _appended_uid(response: object) -> int | None:
    text = response.decode("ascii", "replace") if isinstance(response, bytes) else str(response)
    if "APPENDUID" in text.upper():
        parts = text.upper().split("APPENDUID", 1)[1].strip(" ]").split()
        if len(parts) >= 2 and parts[1].rstrip("]").isdigit():
            return int(parts[1].rstrip("]"))
    return None


def download(imap: IMAPClient, db: Database, account: AccountConfig) -> list[NoteRecord]:
    """Bring the notes folder into the cache; return notes new to this client."""
    folder = own_folder(imap, account.notes_folder)
    try:
        status = imap.folder_status(folder, [item.encode() for item in marks.NOTES_STATUS_ITEMS])
    except IMAPClientError:
        # No notes folder: none written yet, or deleted by another mail client.
        _restore(imap, db, account, "uploaded = 1")
        return []
    named = {bytes(key).decode("ascii", "replace").upper(): value for key, value in status.items()}
    fingerprint = marks.notes_mark(named)
    if marks.notes_current(db, named):
        return []  # nothing added or removed since the last look
    info = imap.select_folder(folder, readonly=True)
    validity = str(info.get(b"UIDVALIDITY", ""))
    last_uid = int(db.get_meta(_META_LAST_UID) or 0)
    if db.get_meta(_META_VALIDITY) != validity:
        last_uid = 0
        with db.transaction() as tx:
            tx.execute("UPDATE notes SET uid = NULL WHERE uploaded = 1")
            db.set_meta(_META_VALIDITY, validity)
    on_server = set(imap.search(["ALL"]))
    new_uids = sorted(u for u in on_server if u > last_uid)
    received: list[NoteRecord] = []
    records: list[tuple[int, NoteRecord]] = []
    if new_uids:
        sizes = imap.fetch(new_uids, ["RFC822.SIZE"])
        wanted = [u for u in new_uids if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= MAX_NOTE_SIZE]
        for start in range(0, len(wanted), FETCH_BATCH):
            batch = wanted[start : start + FETCH_BATCH]
            bodies = imap.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                note = parse_note(bytes(bodies.get(uid, {}).get(b"BODY[]") or b""))
                if note is not None:
                    records.append((uid, note))
    with db.transaction() as tx:
        for uid, note in records:
            known = tx.execute("SELECT id FROM notes WHERE message_id = ?", (note.message_id,)).fetchone()
            if known:
                tx.execute("UPDATE notes SET uid = ?, uploaded = 1 WHERE id = ?", (uid, known[0]))
                continue
            tx.execute(
                "INSERT INTO notes(conversation_id, author, created_at, body, message_id, uid, uploaded) "
                "VALUES (?, ?, ?, ?, ?, ?, 1)",
                (local_conversation(tx, note), note.author, note.created_at, note.body, note.message_id, uid),
            )
            received.append(note)
        # A note deleted on the server (by anyone) disappears here too.
        gone = [
            r[0]
            for r in tx.execute("SELECT id, uid FROM notes WHERE uploaded = 1 AND uid IS NOT NULL")
            if int(r[1]) not in on_server
        ]
        tx.executemany("DELETE FROM notes WHERE id = ?", [(i,) for i in gone])
        if new_uids:
            db.set_meta(_META_LAST_UID, str(max(new_uids)))
        db.set_meta(marks.NOTES_STATUS, fingerprint)
    # Notes of the folder read before, not in this one (created again by another client).
    _restore(imap, db, account, "uploaded = 1 AND uid IS NULL")
    return received


def _restore(imap: IMAPClient, db: Database, account: AccountConfig, which: str) -> None:
    """Write back the notes ``which`` (a condition) names: shared before, missing now.

    A notes folder deleted by another mail client (tidying its folder list, say) would
    otherwise take every note with it for anyone whose cache is new or rebuilt, while the
    caches that had them kept showing them. A note deleted on its own is gone everywhere:
    its folder is still there (see :func:`download`). Two teammates restoring at once may
    write a note twice; it is shown once (by Message-ID).
    """
    with db.transaction() as tx:
        lost = tx.execute(f"UPDATE notes SET uploaded = 0, uid = NULL WHERE {which}").rowcount
    if lost:
        log.warning("%s was missing notes this cache had: writing back %d", account.notes_folder, lost)
        upload_pending(imap, db, account)
