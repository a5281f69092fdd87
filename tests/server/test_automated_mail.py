"""Automated mail on a real server: out of the open queue, no SLA, bounces on their reply.

The mailbox is the playground's (auto-reply, bounce with a delivery status report, mailing
list, payment notification beside customers), synced from Dovecot by the real engine.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.playground import mailbox
from tests.harness.replies import Setup, run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server


def _synced(home: Path, dovecot: Dovecot, smtp: SmtpServer, now: datetime) -> Setup:
    setup = setup_account(home, dovecot, smtp, [])
    for mail in mailbox(now):
        append(dovecot, [mail.raw], folder=mail.folder, flags=mail.flags)
    setup.sync()
    return setup


def _rows(capsys: pytest.CaptureFixture[str], status: str) -> dict[str, dict[str, Any]]:
    listed = run_cli(capsys, "list", "--status", status, "--limit", "500", "--json")
    assert listed.code == 0, listed.err
    return {row["subject"]: row for row in json.loads(listed.out)}


def test_automated_mail_has_its_own_view_and_never_waits_or_breaches(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _synced(supportinbox_home, dovecot, smtp_server, datetime.now(UTC))
    automated = _rows(capsys, "automated")
    assert set(automated) == {
        "[devops-weekly] Issue 212: incident reviews that work",
        "Payment failed for invoice 1042",
    }
    for row in automated.values():
        assert row["status"] == "automated" and row["band"] == 0 and row["waiting_since"] is None
    assert automated["Payment failed for invoice 1042"]["reasons"] == [
        "automated: notification (Auto-Submitted: auto-generated)"
    ]
    opened = _rows(capsys, "open")
    assert not set(automated) & set(opened)
    assert "Undelivered Mail Returned to Sender" not in {**opened, **_rows(capsys, "automated")}

    # An out-of-office to our answer leaves the conversation waiting on the customer.
    pending = _rows(capsys, "pending")
    claire = pending["Ajouter un collègue à notre espace"]
    assert claire["message_count"] == 3
    assert not any("urgence" in reason for reason in claire["reasons"])  # its words score nothing

    # Two days later nothing automated has breached an SLA, and it is still out of the queue.
    later = datetime.now(UTC) + timedelta(days=2)
    from supportinbox.store.conversations import list_queue

    for summary in list_queue(setup.db, status="all", limit=500, now=later):
        if summary.status == "automated":
            assert summary.band == 0 and not any("breached" in r for r in summary.reasons)


def test_a_bounce_of_our_reply_shows_on_that_conversation(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _synced(supportinbox_home, dovecot, smtp_server, datetime.now(UTC))
    kwame = setup.conversation_of("<kwame-1@savanna-apps.test>")
    assert setup.conversation_of("<bounce-kwame@mx.savanna-apps.test>") == kwame
    shown = run_cli(capsys, "show", kwame, "--json")
    detail = json.loads(shown.out)
    assert detail["status"] == "open"  # the customer never got our answer
    assert detail["reasons"][0] == (
        "your reply to kwame@savanna-apps.test bounced: "
        "550 5.1.1 <kwame@savanna-apps.test>: Recipient address rejected: User unknown"
    )
    (bounce,) = [m for m in detail["messages"] if m["automated"]]
    assert (bounce["automated"], bounce["bounce_recipient"]) == ("bounce", "kwame@savanna-apps.test")
    text = run_cli(capsys, "show", kwame)
    assert "bounced: 550 5.1.1" in text.out and "automated: bounce" in text.out


def test_automated_mail_in_junk_is_nobody_to_rescue(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    setup = _synced(supportinbox_home, dovecot, smtp_server, now)
    (ooo,) = [m for m in mailbox(now) if b"ooo-claire" in m.raw]
    append(dovecot, [ooo.raw.replace(b"ooo-claire", b"ooo-claire-junk")], folder="Junk")
    setup.sync()
    checked = json.loads(run_cli(capsys, "junk", "list", "--all", "--json").out)
    (junk_ooo,) = [s for s in checked if s["message_id"] == "<ooo-claire-junk@atelier-b.test>"]
    assert "-40 automated: auto-reply (Auto-Submitted: auto-replied)" in junk_ooo["reasons"]
    assert junk_ooo["suspect"] is False


def test_with_the_customers_mail_deleted_the_bounce_is_not_the_customer_and_a_reply_says_so(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _synced(supportinbox_home, dovecot, smtp_server, datetime.now(UTC))
    with client(dovecot) as imap:  # another mail client deletes Kwame's question
        imap.select_folder("INBOX")
        imap.delete_messages(imap.search(["HEADER", "Message-ID", "<kwame-1@savanna-apps.test>"]))
        imap.expunge()
    setup.sync()
    kwame = setup.conversation_of("<reply-kwame@acme.test>")
    assert setup.conversation_of("<bounce-kwame@mx.savanna-apps.test>") == kwame
    detail = json.loads(run_cli(capsys, "show", kwame, "--json").out)
    assert detail["customer"] == "kwame@savanna-apps.test"
    assert detail["customer_name"] != "Mail Delivery System"

    sent = run_cli(capsys, "reply", kwame, "-t", "need-more-information", "--send", "--yes", "--again")
    assert sent.code == 0, sent.err
    assert (
        "supportinbox: warning: the customer's mail is gone from the server (deleted, or moved out "
        "of the inbox): the reply follows up our earlier one"
    ) in sent.err
    assert "supportinbox: warning: our last reply to kwame@savanna-apps.test bounced (" in sent.err
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["kwame@savanna-apps.test"]
    assert received.message["In-Reply-To"] == "<reply-kwame@acme.test>"
    assert "Hi Kwame," in received.message.get_body().get_content()
    # Filed in Sent; our earlier reply there is not flagged answered (it answers nobody).
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        (earlier,) = imap.search(["HEADER", "Message-ID", "<reply-kwame@acme.test>"])
        assert b"\\Answered" not in imap.get_flags([earlier])[earlier]
        assert imap.search(["HEADER", "Message-ID", received.message["Message-ID"]])


def test_a_reply_answers_what_the_customer_wrote_not_their_out_of_office(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _synced(supportinbox_home, dovecot, smtp_server, datetime.now(UTC))
    claire = setup.conversation_of("<claire-1@atelier-b.test>")
    assert setup.conversation_of("<ooo-claire@atelier-b.test>") == claire  # her out-of-office joined it

    sent = run_cli(capsys, "reply", claire, "-t", "closing-follow-up", "--send", "--yes", "--again")
    assert sent.code == 0, sent.err
    assert "sent by a machine" not in sent.err
    (received,) = smtp_server.received
    assert received.message["Subject"] == "Re: Ajouter un collègue à notre espace"
    assert received.message["In-Reply-To"] == "<claire-1@atelier-b.test>"
    assert "Réponse automatique" not in received.message.get_body().get_content()
    with client(dovecot) as imap:  # her question is the one flagged answered, not the auto-reply
        imap.select_folder("INBOX", readonly=True)
        (question,) = imap.search(["HEADER", "Message-ID", "<claire-1@atelier-b.test>"])
        (ooo,) = imap.search(["HEADER", "Message-ID", "<ooo-claire@atelier-b.test>"])
        flags = imap.get_flags([question, ooo])
        assert b"\\Answered" in flags[question] and b"\\Answered" not in flags[ooo]


def test_answering_an_out_of_office_alone_says_no_person_wrote_it(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ooo = make_message(
        sender="Jonas Becker <jonas@becker-it.test>",
        subject="Automatic reply: Your data export is ready",
        message_id="<ooo-jonas@becker-it.test>",
        body="I am out of the office until 14 December.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [ooo])
    jonas = setup.conversation_of("<ooo-jonas@becker-it.test>")
    draft = run_cli(capsys, "reply", jonas, "-t", "acknowledge-investigating")
    assert draft.code == 0, draft.err
    assert (
        "supportinbox: warning: the message this answers was sent by a machine (auto-reply, "
        "Auto-Submitted: auto-replied), not a person: nobody may read the reply\n"
    ) in draft.err


_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
    "METHOD:{method}\r\nBEGIN:VEVENT\r\nUID:renewal-call@megacorp.test\r\n"
    "DTSTART:20261210T140000Z\r\nDTEND:20261210T150000Z\r\n"
    "ORGANIZER;CN=Helen Zhao:mailto:helen.zhao@megacorp.test\r\n"
    "SUMMARY:Urgent: contract renewal call\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _invitation(subject: str, method: str, message_id: str, *, nested: bool) -> bytes:
    """A calendar's invitation as Google (mixed > alternative > calendar) or Outlook sends it."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.utils import format_datetime

    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Urgent: contract renewal call\nThu Dec 10, 2026 2pm - 3pm (UTC)\n", "plain"))
    alternative.attach(MIMEText("<p>Urgent: contract renewal call</p>", "html"))
    calendar = MIMEText(_ICS.format(method=method), "calendar", "utf-8")
    calendar.set_param("method", method)
    alternative.attach(calendar)
    if nested:
        msg = MIMEMultipart("mixed")
        msg.attach(alternative)
    else:
        msg = alternative
    msg["From"] = "Helen Zhao <helen.zhao@megacorp.test>"
    msg["To"] = "support@acme.test"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=3))
    msg["Message-ID"] = message_id
    return msg.as_bytes()


def test_a_calendar_invitation_is_not_a_customer_waiting(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [])
    invite = "Invitation: Urgent: contract renewal call @ Thu Dec 10, 2026 2pm - 3pm (UTC)"
    cancel = "Canceled event: Urgent: contract renewal call"
    append(
        dovecot,
        [
            _invitation(invite, "REQUEST", "<invite-1@google.test>", nested=True),
            _invitation(cancel, "CANCEL", "<cancel-1@outlook.test>", nested=False),
            make_message(sender="Helen Zhao <helen.zhao@megacorp.test>", subject="SSO question"),
        ],
    )
    setup.sync()
    opened = _rows(capsys, "open")
    assert set(opened) == {"SSO question"}
    automated = _rows(capsys, "automated")
    assert automated[invite]["reasons"] == [
        "automated: notification (invitation, text/calendar method=REQUEST)"
    ]
    assert automated[cancel]["reasons"] == [
        "automated: notification (cancellation, text/calendar method=CANCEL)"
    ]
    for row in automated.values():
        assert row["band"] == 0 and row["waiting_since"] is None
