"""The test servers themselves work: Dovecot speaks IMAP with CONDSTORE/QRESYNC, SMTP records."""

from __future__ import annotations

import smtplib

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.smtp import SmtpServer


def test_dovecot_accepts_mail_and_advertises_qresync(dovecot: Dovecot) -> None:
    append(dovecot, [make_message(subject="one"), make_message(subject="two")])
    with client(dovecot) as imap:
        caps = imap.capabilities()
        assert b"QRESYNC" in caps and b"CONDSTORE" in caps and b"IDLE" in caps
        info = imap.select_folder("INBOX")
        assert info[b"EXISTS"] == 2
        junk = [f for f in imap.list_folders() if b"\\Junk" in f[0]]
        assert junk and junk[0][2] == "Junk"


@pytest.mark.dovecot_only  # files written into the Maildir: Cyrus keeps its own spool
def test_maildir_delivery_is_seen(dovecot: Dovecot) -> None:
    dovecot.deliver_files([make_message(subject=f"m{i}") for i in range(5)])
    with client(dovecot) as imap:
        assert imap.select_folder("INBOX")[b"EXISTS"] == 5


def test_smtp_server_records(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=10) as smtp:
        smtp.sendmail("support@acme.test", ["lina@customer.test"], make_message(subject="hi"))
    assert [r.message["Subject"] for r in smtp_server.received] == ["hi"]
