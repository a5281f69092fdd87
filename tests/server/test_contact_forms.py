"""Contact-form mail end to end: the customer is the Reply-To person everywhere.

A website form sends as ``noreply@`` or as our own support address and puts the person in
Reply-To. Real Dovecot, real SMTP, the real command line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.domain.senders import NOT_IN_SENT
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

FORM_SUBJECT = "New message from the contact form"


def _form(message_id: str, reply_to: str, body: str, *, sender: str, minutes: int) -> bytes:
    return make_message(
        sender=sender,
        subject=FORM_SUBJECT,
        message_id=message_id,
        body=body,
        date=datetime.now(UTC) - timedelta(minutes=minutes),
        headers={"Reply-To": reply_to},
    )


def _contact_forms() -> list[bytes]:
    return [
        _form(
            "<form-lina@acme.test>",
            "Lina Haddad <lina@customer.test>",
            "Name: Lina Haddad\nMessage: I cannot log in since this morning.",
            sender="Acme Website <noreply@acme.test>",
            minutes=50,
        ),
        # The same form, another person, sent as our own support address.
        _form(
            "<form-omar@acme.test>",
            '"Farouk, Omar" <omar@example.test>',
            "Name: Omar Farouk\nMessage: Where is my invoice for October?",
            sender="Acme Support <support@acme.test>",
            minutes=40,
        ),
        # A form that names the person only in its From name.
        _form(
            "<form-sara@acme.test>",
            "sara@example.test",
            "Message: Do you ship to Norway?",
            sender='"Sara Berg via Acme Contact" <wordpress@acme.test>',
            minutes=30,
        ),
    ]


def _lina_earlier() -> bytes:
    """Lina's own mail three days ago: her history."""
    return make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Invoice address",
        message_id="<lina-earlier@customer.test>",
        body="Please change our invoice address.",
        date=datetime.now(UTC) - timedelta(days=3),
    )


def test_contact_form_customers_queue_greeting_reply_and_history(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    earlier = _lina_earlier()
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [earlier, *_contact_forms()])
    lina = setup.conversation_of("<form-lina@acme.test>")
    omar = setup.conversation_of("<form-omar@acme.test>")
    sara = setup.conversation_of("<form-sara@acme.test>")
    # Same subject, different people: never one conversation.
    assert len({lina, omar, sara}) == 3

    listed = run_cli(capsys, "list", "--json")
    assert listed.code == 0, listed.err
    rows = {row["id"]: row for row in json.loads(listed.out)}
    assert {row["customer"] for row in rows.values()} == {
        "lina@customer.test",
        "omar@example.test",
        "sara@example.test",
    }
    assert (rows[lina]["customer_name"], rows[omar]["customer_name"], rows[sara]["customer_name"]) == (
        "Lina Haddad",
        "Farouk, Omar",
        "Sara Berg",
    )
    assert rows[omar]["status"] == "open"  # sent as our address, but the customer's message

    # History: Lina's earlier conversation is hers; nobody else's form is.
    shown = json.loads(run_cli(capsys, "show", lina, "--json").out)
    assert shown["customer"] == "lina@customer.test"
    history = run_cli(capsys, "search", "from:lina@customer.test", "--json")
    assert {row["id"] for row in json.loads(history.out)} == {
        lina,
        setup.conversation_of("<lina-earlier@customer.test>"),
    }

    for conversation, to, hello in (
        (lina, "Lina Haddad <lina@customer.test>", "Hi Lina,"),
        (omar, '"Farouk, Omar" <omar@example.test>', "Hi Omar,"),
        (sara, "sara@example.test", "Hi Sara,"),
    ):
        draft = run_cli(capsys, "reply", conversation, "--template", "acknowledge-investigating")
        assert draft.code == 0, draft.err
        assert f"To: {to}" in draft.out
        assert hello in draft.out
        assert "Hi Acme" not in draft.out and "noreply@" not in draft.out
        sent = run_cli(
            capsys, "reply", conversation, "--template", "acknowledge-investigating", "--send", "--yes"
        )
        assert sent.code == 0, sent.err

    received = smtp_server.received
    assert [r.rcpt_tos for r in received] == [
        ["lina@customer.test"],
        ["omar@example.test"],
        ["sara@example.test"],
    ]


def test_a_no_reply_notification_names_no_customer_and_is_not_answered(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    notices = [
        make_message(
            sender="Acme Billing <no-reply@acme.test>",
            subject="Payment failed",
            message_id=f"<notice-{index}@acme.test>",
            body=f"Payment {index} failed.",
            date=datetime.now(UTC) - timedelta(minutes=60 - index),
        )
        for index in range(2)
    ]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, notices)
    first = setup.conversation_of("<notice-0@acme.test>")
    listed = {row["id"]: row for row in json.loads(run_cli(capsys, "list", "--json", "--status", "all").out)}
    assert listed[first]["customer"] == ""  # the no-reply address is never a customer
    # Without a customer, the subject fallback does not join them either.
    assert setup.conversation_of("<notice-1@acme.test>") != first

    refused = run_cli(capsys, "reply", first, "--template", "acknowledge-investigating", "--send", "--yes")
    assert refused.code != 0
    assert "no-reply address" in refused.err
    assert smtp_server.received == []


def test_spam_check_judges_a_contact_form_by_its_person(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    earlier = _lina_earlier()
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [earlier])
    append(dovecot, _contact_forms()[:1], folder="Junk")
    setup.sync()
    checked = run_cli(capsys, "junk", "list", "--all", "--json")
    assert checked.code == 0, checked.err
    (suspect,) = json.loads(checked.out)
    assert suspect["customer"] == "lina@customer.test"
    assert suspect["customer_name"] == "Lina Haddad"
    assert "+30 sender wrote to the inbox before" in suspect["reasons"]
    assert suspect["suspect"] is True


def _forms_without_reply_to() -> list[bytes]:
    return [
        # Contact Form 7's default mail: the person on its first line, no Reply-To.
        make_message(
            sender='"WordPress" <wordpress@acme.test>',
            subject='Acme "Contact us"',
            message_id="<wp-mateo@acme.test>",
            body="From: Mateo García <mateo@example.test>\nSubject: Refund for double charge\n\n"
            "Message Body:\nI was charged twice this month. Could you refund one?\n\n--\n"
            "This e-mail was sent from a contact form on Acme (https://acme.test)\n",
            date=datetime.now(UTC) - timedelta(minutes=20),
        ),
        # A form sending as our own address, the person in its fields only.
        make_message(
            sender="Acme Support <support@acme.test>",
            subject="Website enquiry",
            message_id="<form-priya@acme.test>",
            body="First name: Priya\nLast name: Raman\nE-mail: priya@example.test\n\n"
            "Message:\nDo you offer a discount for non-profits?",
            date=datetime.now(UTC) - timedelta(minutes=10),
        ),
    ]


def test_a_form_without_reply_to_is_the_person_its_fields_name(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, _forms_without_reply_to())
    mateo = setup.conversation_of("<wp-mateo@acme.test>")
    priya = setup.conversation_of("<form-priya@acme.test>")

    listed = {row["id"]: row for row in json.loads(run_cli(capsys, "list", "--json").out)}
    assert (listed[mateo]["customer"], listed[mateo]["customer_name"]) == (
        "mateo@example.test",
        "Mateo García",
    )
    assert (listed[priya]["customer"], listed[priya]["customer_name"]) == (
        "priya@example.test",
        "Priya Raman",
    )
    assert listed[priya]["status"] == "open"
    # Sent as our address, but naming its person: no forged-reply warning.
    shown = run_cli(capsys, "show", priya)
    assert shown.code == 0, shown.err
    assert NOT_IN_SENT not in shown.out

    for conversation, to, hello in (
        (mateo, "To: Mateo García <mateo@example.test>", "Hi Mateo,"),
        (priya, "To: Priya Raman <priya@example.test>", "Hi Priya,"),
    ):
        draft = run_cli(capsys, "reply", conversation, "--template", "acknowledge-investigating")
        assert draft.code == 0, draft.err
        assert to in draft.out and hello in draft.out
        # Where the address came from is said, as a Reply-To elsewhere is.
        address = to.rpartition("<")[2].rstrip(">")
        assert (
            f"To is the address the contact form's fields give (it sets no Reply-To): {address}" in draft.out
        )
        sent = run_cli(
            capsys, "reply", conversation, "--template", "acknowledge-investigating", "--send", "--yes"
        )
        assert sent.code == 0, sent.err
    assert [r.rcpt_tos for r in smtp_server.received] == [["mateo@example.test"], ["priya@example.test"]]
    assert "Hi Mateo," in smtp_server.received[0].message.get_content()
