"""Helpers that put mail on the test Dovecot and build realistic messages."""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from imapclient import IMAPClient

from tests.harness.dovecot import Dovecot


def client(server: Dovecot, user: str = "support") -> IMAPClient:
    """A logged-in imapclient over plain IMAP on loopback (test helper only)."""
    imap = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=30)
    imap.login(user, server.users[user])
    return imap


def append(
    server: Dovecot,
    raws: Iterable[bytes],
    folder: str = "INBOX",
    flags: tuple[bytes | str, ...] = (),
    user: str = "support",
) -> None:
    with client(server, user) as imap:
        if not imap.folder_exists(folder):
            imap.create_folder(folder)
        for raw in raws:
            imap.append(folder, raw, flags=flags)


def make_message(
    *,
    sender: str = "Lina Haddad <lina@customer.test>",
    to: str = "Acme Support <support@acme.test>",
    subject: str = "Cannot log in",
    body: str = "Hello, I cannot log in since this morning.",
    date: datetime | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime.now(UTC) - timedelta(minutes=5))
    msg["Message-ID"] = message_id or make_msgid(domain="customer.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        filename, data = attachment
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return msg.as_bytes()


def with_raw_from(sender: str, **kwargs: Any) -> bytes:
    """:func:`make_message` with ``sender`` written into the From header byte for byte.

    ``email`` would reject or rewrite a malformed or hostile From; the tests need it as sent.
    """
    raw = make_message(sender="placeholder@customer.test", **kwargs)
    return raw.replace(b"From: placeholder@customer.test", b"From: " + sender.encode(), 1)


def tls_context_for(server: Dovecot) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.cert_file))


# Three customers reporting one SSO outage in their own words: an incident.
SSO_REPORTS = (
    ("Lina Haddad", "lina@customer.test", "SSO login broken", "Our SSO login fails since 9:00."),
    ("Jonas Weber", "jonas@halden.test", "Error with SSO login", "SSO login says SAML error."),
    ("Ann Lee", "ann@brightlabs.test", "SSO login down?", "Hi,\n\nis SSO login down? We are blocked."),
)


def sso_outage(now: datetime) -> list[EmailMessage]:
    """:data:`SSO_REPORTS` as mail written 50, 40 and 30 minutes before ``now`` (``<inc0@c.test>``...)."""
    return [
        make_message(
            sender=f"{name} <{address}>",
            subject=subject,
            body=body,
            message_id=f"<inc{i}@c.test>",
            date=now - timedelta(minutes=50 - i * 10),
        )
        for i, (name, address, subject, body) in enumerate(SSO_REPORTS)
    ]


def sso_report_in_german(now: datetime) -> bytes:
    """A fourth report of :func:`sso_outage`, in German (``<inc-de@c.test>``, 20 minutes old)."""
    return make_message(
        sender="Greta Vogel <greta@vogel-werk.test>",
        subject="Fehler beim SSO-Login",
        body="Guten Tag, der SSO-Login funktioniert seit heute morgen nicht mehr. Wir kommen nicht "
        "mehr in unser Konto.",
        message_id="<inc-de@c.test>",
        date=now - timedelta(minutes=20),
    )
