"""Spam-folder verdicts in the cache: who in Junk is probably a real customer.

:func:`refresh_junk_verdicts` runs after each sync (and after :func:`refresh_conversations`
so message-to-conversation links are current); it looks each spam-folder message up
against the inbox and sent folders and stores the verdict with its reasons.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.parser import HeaderParser
from email.policy import compat32
from functools import partial

from supportinbox.config import AccountConfig
from supportinbox.domain import spamcheck
from supportinbox.domain.automated import Automated
from supportinbox.domain.customer import customer_of, own_addresses
from supportinbox.domain.senders import sender_label
from supportinbox.errors import NotFound
from supportinbox.store import pending
from supportinbox.store.conversation_rows import form_head
from supportinbox.store.db import Database
from supportinbox.store.ours import message_id_domain, our_mail
from supportinbox.store.rows import columns, load, sql

_BULK_PRECEDENCE = {"bulk", "list", "junk"}


@dataclass(frozen=True)
class JunkSuspect:
    """A spam-folder message with its verdict. ``uid`` is how commands name it."""

    rowid: int
    folder: str
    uid: int
    message_id: str | None
    from_name: str
    from_addr: str
    subject: str
    date: str | None
    score: int
    suspect: bool
    reasons: list[str]
    rescue_queued: bool = False  # rescued offline: moves to the inbox at the next sync
    customer_email: str = ""  # the person behind it (a contact form's Reply-To), else the sender
    customer_name: str = ""

    def who(self, *, reason: bool = True) -> str:
        """The customer as one line: ``Name <address>``, with the sender warning when there is one
        (and its reason, unless ``reason`` is False: a narrow table row)."""
        if self.customer_email:
            return sender_label(self.customer_name, self.customer_email, limit=30, reason=reason)
        return sender_label(self.from_name, self.from_addr, limit=30, reason=reason)

    def to_json(self) -> dict[str, object]:
        """The JSON shape of ``junk list --json`` (``id`` is the UID to pass to ``junk rescue``)."""
        return {
            "id": self.uid,
            "folder": self.folder,
            "message_id": self.message_id,
            "from_name": self.from_name,
            "from": self.from_addr,
            "subject": self.subject,
            "date": self.date,
            "score": self.score,
            "suspect": self.suspect,
            "reasons": list(self.reasons),
            "rescue_queued": self.rescue_queued,
            "customer": self.customer_email or self.from_addr,
            "customer_name": self.customer_name if self.customer_email else self.from_name,
        }


@dataclass
class _Known:
    sent_subjects: dict[str, str]
    conversations: dict[str, str]
    inbox_senders: set[str]
    written_to: set[str]
    domains: set[str]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _known(conn: sqlite3.Connection, account: AccountConfig) -> _Known:
    ours = account.email.lower()
    mine = our_mail(conn, message_id_domain(account))
    known = _Known({}, {}, set(), set(), set())
    # conversation_id is the last column of a wide row: read it from its covering index.
    links = {
        int(r[0]): str(r[1])
        for r in conn.execute(
            "SELECT id, conversation_id FROM messages INDEXED BY messages_conversation "
            "WHERE conversation_id IS NOT NULL"
        )
    }
    own = own_addresses(account)
    rows = conn.execute(
        "SELECT m.id, f.role, m.message_id, m.subject, m.from_addr, m.to_addrs, m.cc_addrs, m.reply_to "
        "FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.role IN ('inbox', 'sent')"
    )
    for rowid, role, message_id, subject, from_addr, to_addrs, cc_addrs, reply_to in rows:
        conversation_id = links.get(int(rowid))
        mid = (message_id or "").lower()
        sender = customer_of(
            "", str(from_addr), "", str(reply_to), own, body=partial(form_head, conn, int(rowid))
        ).email
        if mine.is_ours(str(role), int(rowid)):
            if mid:
                known.sent_subjects[mid] = str(subject)
            for address in f"{to_addrs} {cc_addrs}".lower().split():
                if address != ours:
                    known.written_to.add(address)
                    known.domains.add(_domain(address))
        elif sender:  # a malformed or missing From has no address to know anyone by
            known.inbox_senders.add(sender)
            known.domains.add(_domain(sender))
        if mid and conversation_id:
            known.conversations[mid] = str(conversation_id)
    known.domains -= spamcheck.FREEMAIL_DOMAINS
    known.domains.discard(_domain(ours))
    return known


def bulk_signs(raw_headers: str) -> list[str]:
    """Which bulk-mail headers a header block carries (List-Unsubscribe, List-Id, Precedence)."""
    try:
        headers = HeaderParser(policy=compat32).parsestr(raw_headers or "", headersonly=True)
    except Exception:  # noqa: BLE001 - hostile header text must not stop the check
        return []
    signs: list[str] = []
    if headers.get("list-unsubscribe") is not None:
        signs.append("List-Unsubscribe")
    if headers.get("list-id") is not None:
        signs.append("List-Id")
    precedence = str(headers.get("precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        signs.append(f"Precedence: {precedence}")
    return signs


@dataclass(slots=True)
class _JudgedRow:
    """What the spam-folder check reads of a message (see :mod:`supportinbox.store.rows`)."""

    id: int
    message_id: str | None
    in_reply_to: str | None
    refs: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    subject: str
    body: str = field(metadata=sql("substr(m.body_text, 1, 20000)"))
    auth_results: str
    spam_headers: str | None
    list_headers: str | None
    raw_headers: str
    reply_to: str
    automated: str
    automated_reason: str


def refresh_junk_verdicts(db: Database, account: AccountConfig) -> int:
    """Recompute the verdict of every cached spam-folder message; return how many are suspects."""
    conn = db.conn
    if not conn.execute(
        "SELECT EXISTS(SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.role = 'junk')"
    ).fetchone()[0]:
        with db.transaction() as tx:
            tx.execute("DELETE FROM junk_verdicts")
        return 0
    known = _known(conn, account)
    rows = conn.execute(
        f"SELECT {columns(_JudgedRow, 'm.')} FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.role = 'junk'"
    ).fetchall()
    own = own_addresses(account)
    verdicts: list[tuple[int, int, int, str]] = []
    for found in rows:
        row = load(_JudgedRow, found)
        # A contact form in Junk is judged by the person behind it, not by the form.
        sender = (
            customer_of("", row.from_addr, "", row.reply_to, own, body=row.body).email
            or row.from_addr.lower()
        )
        referenced = [r.lower() for r in row.refs.split()]
        if row.in_reply_to:
            referenced.append(row.in_reply_to.lower())
        answers = next(
            (known.sent_subjects[r] for r in reversed(referenced) if r in known.sent_subjects), None
        )
        continues = next(
            (known.conversations[r] for r in reversed(referenced) if r in known.conversations), None
        )
        try:
            spam_headers = {str(k).lower(): str(v) for k, v in json.loads(row.spam_headers or "{}").items()}
        except (ValueError, AttributeError):
            spam_headers = {}
        signs = bulk_signs(str(row.raw_headers))
        if row.list_headers and not signs:
            signs = ["mailing-list headers"]
        facts = spamcheck.JunkFacts(
            from_addr=sender,
            subject=str(row.subject),
            body=str(row.body),
            answers_our_message=answers,
            continues_conversation=continues,
            sender_wrote_before=bool(sender) and sender in known.inbox_senders,
            we_wrote_to_sender=bool(sender) and sender in known.written_to,
            domain_known=bool(sender) and _domain(sender) in known.domains,
            auth_results=str(row.auth_results),
            authserv_id=account.authserv_id,
            spam_headers=spam_headers,
            bulk_signs=signs,
            recipients=len(f"{row.to_addrs} {row.cc_addrs}".split()),
            automated=Automated(row.automated, row.automated_reason).describe() if row.automated else "",
        )
        verdict = spamcheck.judge(facts)
        verdicts.append(
            (
                int(row.id),
                verdict.score,
                int(verdict.suspect),
                json.dumps(verdict.reasons, ensure_ascii=False),
            )
        )
    with db.transaction() as tx:
        tx.execute("DELETE FROM junk_verdicts")
        tx.executemany(
            "INSERT INTO junk_verdicts(message_rowid, score, suspect, reasons) VALUES (?, ?, ?, ?)", verdicts
        )
    return sum(v[2] for v in verdicts)


@dataclass(slots=True)
class _SuspectRow:
    """A spam-folder message and its verdict (see :mod:`supportinbox.store.rows`); a message
    not judged yet has score 0, not a suspect, no reasons."""

    id: int
    folder: str = field(metadata=sql("f.name"))
    uid: int
    message_id: str | None
    from_name: str
    from_addr: str
    subject: str
    date: str | None
    score: int = field(metadata=sql("COALESCE(v.score, 0)"))
    suspect: int = field(metadata=sql("COALESCE(v.suspect, 0)"))
    reasons: str = field(metadata=sql("COALESCE(v.reasons, '[]')"))
    reply_to_name: str
    reply_to: str
    form_body: str = field(metadata=sql("substr(m.body_text, 1, 2000)"))


def _suspect(found: Sequence[object], own: Sequence[str]) -> JunkSuspect:
    row = load(_SuspectRow, found)
    try:
        reasons = [str(r) for r in json.loads(str(row.reasons))]
    except ValueError:
        reasons = []
    party = customer_of(
        str(row.from_name),
        str(row.from_addr),
        str(row.reply_to_name),
        str(row.reply_to),
        own,
        body=row.form_body,
    )
    return JunkSuspect(
        customer_email=party.email,
        customer_name=party.name,
        rowid=int(str(row.id)),
        folder=str(row.folder),
        uid=int(str(row.uid)),
        message_id=None if row.message_id is None else str(row.message_id),
        from_name=str(row.from_name),
        from_addr=str(row.from_addr),
        subject=str(row.subject),
        date=None if row.date is None else str(row.date),
        score=int(str(row.score)),
        suspect=bool(row.suspect),
        reasons=reasons,
    )


def list_suspects(db: Database, *, include_all: bool = False) -> list[JunkSuspect]:
    """Spam-folder messages judged to be real customers (every judged one with ``include_all``)."""
    where = "" if include_all else "WHERE v.suspect = 1 "
    rows = db.conn.execute(
        f"SELECT {columns(_SuspectRow, 'm.')} FROM junk_verdicts v JOIN messages m ON m.id = v.message_rowid "
        f"JOIN folders f ON f.id = m.folder_id {where}ORDER BY v.score DESC, m.date DESC"
    ).fetchall()
    queued = queued_rescues(db.conn)
    own = _our_addresses(db)
    suspects = [_suspect(r, own) for r in rows]
    return [replace(s, rescue_queued=True) if (s.folder, s.uid) in queued else s for s in suspects]


def queued_rescues(conn: sqlite3.Connection) -> set[tuple[str, int]]:
    """(folder, uid) of the messages with a move queued for the next sync."""
    out: set[tuple[str, int]] = set()
    for op in pending.list_pending(conn):
        if op.kind == "move":
            try:
                out.add((str(op.payload["folder"]), int(op.payload["uid"])))
            except (KeyError, TypeError, ValueError):
                continue
    return out


def get_junk_message(db: Database, uid: int) -> JunkSuspect:
    """The spam-folder message with ``uid`` and its verdict (as listed by ``junk list``)."""
    row = db.conn.execute(
        f"SELECT {columns(_SuspectRow, 'm.')} FROM messages m JOIN folders f ON f.id = m.folder_id "
        "LEFT JOIN junk_verdicts v ON v.message_rowid = m.id WHERE f.role = 'junk' AND m.uid = ?",
        (uid,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no message {uid} in Junk: see 'supportinbox junk list --all'")
    return _suspect(row, _our_addresses(db))


def _our_addresses(db: Database) -> tuple[str, ...]:
    # Recorded by the last refresh, as the conversation view reads it.
    stored = db.get_meta("triage_our_address")
    return (stored,) if stored else ()
