"""A customer's profile from the cache: every conversation, notes, first seen.

The one home of "know the customer's history" for ``customer ADDR`` and the TUI's
customer screen. By address always; by the address's domain only when asked (a company's
colleagues), and never for a public mail provider's domain, where it would mix strangers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.names import full_name_key
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import iso, now_utc, when_words
from supportinbox.errors import NotFound, UserError
from supportinbox.store.conversation_rows import queue_columns, summary_from_row
from supportinbox.store.conversations import apply_clock, resolve_id
from supportinbox.store.db import Database

MAX_CONVERSATIONS = 200
MAX_NOTES = 50

# Domains shared by unrelated people: "the same domain" says nothing there.
PUBLIC_DOMAINS = frozenset(
    (
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com",
        "msn.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "icloud.com", "me.com", "mac.com",
        "aol.com", "proton.me", "protonmail.com", "pm.me", "gmx.de", "gmx.net", "gmx.com", "web.de",
        "t-online.de", "mail.ru", "yandex.ru", "yandex.com", "qq.com", "163.com", "126.com",
        "orange.fr", "laposte.net", "free.fr", "libero.it", "zoho.com", "fastmail.com", "hey.com",
        "tutanota.com",
    )
)  # fmt: skip


@dataclass(frozen=True)
class CustomerNote:
    """An internal note on one of the customer's conversations."""

    conversation_id: str
    subject: str
    author: str
    created_at: str
    body: str

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation_id,
            "subject": self.subject,
            "author": self.author,
            "created_at": self.created_at,
            "body": self.body,
        }


@dataclass(frozen=True)
class CustomerProfile:
    """Who the customer is to us: their conversations (newest first), notes, first and last seen."""

    email: str
    name: str
    first_seen: str | None
    last_seen: str | None
    conversations: list[ConversationSummary] = field(default_factory=list)
    notes: list[CustomerNote] = field(default_factory=list)
    domain: str = ""  # set when colleagues at the same domain are included
    counts: dict[str, int] = field(default_factory=dict)
    # By conversation id: how it ended and what is still to come, for whoever answers next
    # ("closed by alice Nov 19 16:02", the reopen's reason, "follow-up Nov 23 09:00 by bob: …").
    history: dict[str, list[str]] = field(default_factory=dict)
    # Other addresses a customer of the same full name wrote from ("maria@work" and
    # "maria@home"): perhaps the same person, perhaps not; said, never merged.
    same_name: list[str] = field(default_factory=list)

    @property
    def same_name_line(self) -> str:
        """``same name, other address: maria@home.test (the same person?)``, "" for none."""
        return same_name_words(self.same_name)

    @property
    def tags(self) -> list[str]:
        """Every tag on any of the customer's conversations."""
        return sorted({tag for c in self.conversations for tag in c.tags})

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "domain": self.domain or None,
            "counts": dict(self.counts),
            "tags": self.tags,
            "conversations": [
                {**c.to_json(), "history": list(self.history.get(c.id, ()))} for c in self.conversations
            ],
            "notes": [n.to_json() for n in self.notes],
            "same_name": list(self.same_name),
        }


def domain_of(email: str) -> str | None:
    """The domain whose colleagues may be grouped with ``email`` (``None`` for public providers)."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain or "@" not in email or domain in PUBLIC_DOMAINS:
        return None
    return domain


def customer_address(db: Database, text: str) -> str:
    """The address ``text`` names: an address, or a conversation id (its customer)."""
    value = text.strip()
    if "@" in value:
        return value.lower()
    ident = resolve_id(db, value)
    row = db.conn.execute("SELECT customer_email FROM conversations WHERE id = ?", (ident,)).fetchone()
    if row is None or not row[0]:
        raise UserError(f"conversation {ident} has no customer to answer (a no-reply sender)")
    return str(row[0])


def customer_profile(
    db: Database, email: str, *, by_domain: bool = False, now: datetime | None = None
) -> CustomerProfile:
    """The profile of ``email`` (with ``by_domain``: everyone at its domain, unless public)."""
    address = email.strip().lower()
    if not address:
        raise UserError("no address given")
    moment = now_utc(now)
    apply_clock(db, moment)
    domain = domain_of(address) if by_domain else None
    if by_domain and domain is None:
        public = address.rpartition("@")[2] or address
        raise UserError(f"{public} is a public mail provider: no colleagues to group there")
    where, params = "customer_email = ?", [address]
    if domain:
        where += " OR customer_email LIKE ? ESCAPE '\\'"
        params.append("%@" + _like(domain))
    rows = db.conn.execute(
        f"SELECT {queue_columns()} FROM conversations WHERE {where} "
        "ORDER BY COALESCE(last_message_at, '') DESC, id LIMIT ?",
        (*params, MAX_CONVERSATIONS),
    ).fetchall()
    if not rows:
        raise NotFound(
            f"no conversation with {address} in the cache: check the address, or find the customer "
            "with 'supportinbox search NAME' ('supportinbox sync' first if they wrote just now)"
        )
    conversations = [summary_from_row(r, moment) for r in rows]
    firsts = [c.first_message_at for c in conversations if c.first_message_at]
    lasts = [c.last_message_at for c in conversations if c.last_message_at]
    counts: dict[str, int] = {}
    for c in conversations:
        counts[c.status] = counts.get(c.status, 0) + 1
    name = next(
        (c.customer_name for c in conversations if c.customer_email == address and c.customer_name), ""
    )
    return CustomerProfile(
        email=address,
        name=name,
        first_seen=min(firsts) if firsts else None,
        last_seen=max(lasts) if lasts else None,
        conversations=conversations,
        notes=_notes(db, conversations),
        history=_history(db, conversations, moment),
        domain=domain or "",
        counts=counts,
        same_name=same_name(db, name, {c.customer_email for c in conversations}),
    )


MAX_SAME_NAME = 5


def same_name_words(addresses: list[str]) -> str:
    """``same name, other address: maria@home.test (the same person?)``, "" for none: the one
    way the hint is said, in the profile, above a conversation and before a reply."""
    if not addresses:
        return ""
    said = ", ".join(one_line(a, limit=80) for a in addresses)
    return f"same name, other address: {said} (the same person?)"


def same_name_hint(db: Database, name: str, address: str) -> str:
    """The hint for the customer ``name`` <``address``>: :func:`same_name_words` of
    :func:`same_name`; "" when no other customer has their name."""
    return same_name_words(same_name(db, name, {address.strip().lower()}))


def same_name(db: Database, name: str, addresses: set[str]) -> list[str]:
    """Other customers' addresses whose name is ``name`` in full (names.full_name_key)."""
    key = full_name_key(name)
    if not key:
        return []
    longest = max(name.replace(",", " ").split(), key=len)
    found: list[str] = []
    for email, other in db.conn.execute(
        "SELECT customer_email, customer_name FROM conversations WHERE customer_name LIKE ? ESCAPE '\\' "
        "AND customer_email != '' GROUP BY customer_email ORDER BY MAX(COALESCE(last_message_at, '')) DESC "
        "LIMIT 200",
        ("%" + _like(longest) + "%",),
    ):
        if str(email) not in addresses and full_name_key(str(other)) == key:
            found.append(str(email))
    return found[:MAX_SAME_NAME]


def _notes(db: Database, conversations: list[ConversationSummary]) -> list[CustomerNote]:
    subjects = {c.id: c.subject for c in conversations}
    ids = list(subjects)[:500]
    found = db.conn.execute(
        f"SELECT conversation_id, author, created_at, body FROM notes WHERE conversation_id IN "
        f"({', '.join('?' * len(ids))}) ORDER BY created_at DESC, id DESC LIMIT ?",
        (*ids, MAX_NOTES),
    ).fetchall()
    return [
        CustomerNote(str(r[0]), subjects.get(str(r[0]), ""), str(r[1]), str(r[2]), str(r[3])) for r in found
    ]


def _history(db: Database, conversations: list[ConversationSummary], now: datetime) -> dict[str, list[str]]:
    """How each conversation ended (who closed it, the customer writing again) and its
    follow-up still to come or come due (an agent's, with its note, or the pending reminder)."""
    ids = [c.id for c in conversations][:500]
    marks = ", ".join("?" * len(ids))
    closes = {
        str(r[0]): (str(r[1] or ""), str(r[2]))
        for r in db.conn.execute(
            "SELECT conversation_id, updated_by, updated_at FROM conversation_state "
            f"WHERE status = 'closed' AND conversation_id IN ({marks})",
            ids,
        )
    }
    # The agent's follow-up in force (the conversation's follow-up time is its due time).
    set_by = {
        str(r[0]): (str(r[1] or ""), one_line(str(r[2] or "")))
        for r in db.conn.execute(
            "SELECT f.conversation_id, f.author, f.note FROM followups f "
            "JOIN conversations c ON c.id = f.conversation_id "
            f"WHERE c.followup_at = f.due_at AND f.conversation_id IN ({marks})",
            ids,
        )
    }
    history: dict[str, list[str]] = {}
    for c in conversations:
        facts: list[str] = []
        if c.status == "closed" and c.id in closes:
            by, at = closes[c.id]
            facts.append(f"closed {f'by {by} ' if by else ''}{when_words(at, now)}")
        if c.reopened:
            facts.append(c.reopened)
        if c.followup_at:
            when = when_words(c.followup_at, now)
            due = c.followup_at <= (iso(now) or "")
            if c.id in set_by:
                by, note = set_by[c.id]
                what = f"follow-up {'due since' if due else 'set for'} {when}{f' by {by}' if by else ''}"
                facts.append(f"{what}: {note}" if note else what)
            else:
                facts.append(f"reminder {'due since' if due else 'at'} {when}: no answer to our reply")
        if facts:
            history[c.id] = facts
    return history


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
