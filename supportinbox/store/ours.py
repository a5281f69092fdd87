"""The one definition of "this message is ours" (sent by this account), for every layer.

A message is ours when it is filed in Sent, or when it is a copy elsewhere (a Bcc to
ourselves, a list echo, a server that also delivers sent mail to the inbox) of mail we
sent: its Message-ID is one of a reply in our outbox, or it is of our own Message-ID
domain and the same as a message's in Sent.

Never because of its From header: anyone can write ``From: support@...`` into mail
that arrives in the inbox, and a forged "reply from us" would turn the customer's
conversation to pending and out of the Open queue. Threading, statuses, the queue, the
reply target and the spam-folder check all ask :class:`OurMail`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supportinbox.config import AccountConfig
from supportinbox.domain.customer import relays_someone

# Copies of our mail outside Sent: a Message-ID from our outbox, or of our domain and in Sent.
_COPIES = (
    "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id "
    "WHERE f.role != 'sent' AND m.message_id IS NOT NULL AND ("
    "m.message_id IN (SELECT message_id FROM outbox) "
    "OR (lower(substr(m.message_id, -?)) = ? AND EXISTS ("
    "SELECT 1 FROM messages s JOIN folders sf ON sf.id = s.folder_id "
    "WHERE s.message_id = m.message_id AND sf.role = 'sent')))"
)


@dataclass(frozen=True)
class OurMail:
    """Which cached messages are ours (see the module docstring)."""

    copies: frozenset[int]
    """Row ids of messages outside Sent that are copies of mail we sent."""

    def is_ours(self, folder_role: str, rowid: int) -> bool:
        return folder_role == "sent" or rowid in self.copies


def message_id_domain(account: AccountConfig) -> str:
    """The domain of the Message-IDs our replies and notes carry."""
    return account.email.rpartition("@")[2].lower()


def our_mail(conn: sqlite3.Connection, domain: str, conversation_id: str | None = None) -> OurMail:
    """What in the cache is ours, given our Message-ID ``domain`` (only in ``conversation_id``)."""
    suffix = f"@{domain.lower()}>"
    select, params = _COPIES, [len(suffix), suffix]
    if conversation_id is not None:
        select, params = f"{select} AND m.conversation_id = ?", [*params, conversation_id]
    return OurMail(frozenset(int(row[0]) for row in conn.execute(select, params)))


def our_mail_among(conn: sqlite3.Connection, domain: str, rowids: Sequence[int]) -> OurMail:
    """:func:`our_mail`, asked only about the messages ``rowids``."""
    suffix = f"@{domain.lower()}>"
    copies: set[int] = set()
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        copies.update(
            int(row[0])
            for row in conn.execute(
                f"{_COPIES} AND m.id IN ({', '.join('?' * len(chunk))})", [len(suffix), suffix, *chunk]
            )
        )
    return OurMail(frozenset(copies))


def poses_as_us(from_addr: str, reply_to: str, own: Iterable[str], body: str = "") -> bool:
    """From one of our own addresses while relaying nobody (a contact form names its person
    in Reply-To or in its fields): said of a message that is not ours, it is forged, or was
    sent by another client that kept no copy in Sent. The conversation view warns about it."""
    addresses = [a.strip().lower() for a in own if a]
    return from_addr.strip().lower() in addresses and not relays_someone(from_addr, reply_to, addresses, body)
