"""Who the customer of a message is (contact forms, notifications, ordinary mail)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from supportinbox.config import parse_config
from supportinbox.domain.customer import (
    NOBODY,
    Party,
    customer_of,
    form_sender,
    form_topic,
    is_no_reply,
    relays_someone,
)
from supportinbox.domain.names import full_name_key
from supportinbox.domain.replies import Original, ReplyError, recipients, template_variables
from supportinbox.domain.threading import ThreadMessage, thread_messages
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG

OWN = ("support@acme.test",)


@pytest.mark.parametrize(
    ("from_name", "from_addr", "reply_to_name", "reply_to", "expected"),
    [
        # Ordinary mail: the sender, whatever Reply-To says.
        ("Lina Haddad", "lina@customer.test", "", "", Party("lina@customer.test", "Lina Haddad")),
        ("Lina Haddad", "lina@customer.test", "", "lh@home.test", Party("lina@customer.test", "Lina Haddad")),
        # Forms: the Reply-To person.
        (
            "Acme Website",
            "noreply@acme.test",
            "Lina Haddad",
            "lina@c.test",
            Party("lina@c.test", "Lina Haddad"),
        ),
        ("Acme Support", "support@acme.test", "", "omar@e.test", Party("omar@e.test", "")),
        (
            "Sara Berg via Acme Contact",
            "wordpress@acme.test",
            "",
            "sara@e.test",
            Party("sara@e.test", "Sara Berg"),
        ),
        ("Sara Berg (via Form)", "no_reply@forms.test", "", "sara@e.test", Party("sara@e.test", "Sara Berg")),
        ("Website", "website@acme.test", "", "sara@e.test", Party("sara@e.test", "")),
        ("Shop", "Do-Not-Reply@shop.test", "Kim", "kim@e.test", Party("kim@e.test", "Kim")),
        # A relay that names nobody (or only itself, or us) is nobody's.
        ("Acme Billing", "no-reply@acme.test", "", "", NOBODY),
        ("Acme Billing", "no-reply@acme.test", "", "no-reply@acme.test", NOBODY),
        ("Acme Website", "noreply@acme.test", "", "support@acme.test", NOBODY),
        ("Acme Support", "support@acme.test", "", "", NOBODY),
        # A colleague at our domain without Reply-To is still who wrote.
        ("Bob", "bob@acme.test", "", "", Party("bob@acme.test", "Bob")),
    ],
)
def test_customer_of(
    from_name: str, from_addr: str, reply_to_name: str, reply_to: str, expected: Party
) -> None:
    assert customer_of(from_name, from_addr, reply_to_name, reply_to, OWN) == expected


def test_no_reply_addresses() -> None:
    assert all(
        is_no_reply(a)
        for a in ("noreply@x.test", "no-reply@x.test", "donotreply@x.test", "notifications@x.test")
    )
    assert not any(is_no_reply(a) for a in ("lina@x.test", "info@x.test", "replies@x.test", "support@x.test"))


def test_our_address_relaying_someone_is_not_our_message() -> None:
    assert relays_someone("support@acme.test", "omar@e.test", OWN)
    assert not relays_someone("support@acme.test", "", OWN)
    assert not relays_someone("lina@customer.test", "omar@e.test", OWN)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Contact Form 7's default mail: the person on a leading From line.
        (
            "From: Mateo García <mateo.garcia@example.test>\nSubject: Refund\n\nMessage Body:\nHello",
            Party("mateo.garcia@example.test", "Mateo García"),
        ),
        (
            "First name: Priya\nLast name: Raman\nE-mail: Priya.Raman@example.test\n\nMessage:\nHi",
            Party("priya.raman@example.test", "Priya Raman"),
        ),
        (
            "Name: Lina Haddad\nYour email address: <lina@c.test>\nMessage: hi",
            Party("lina@c.test", "Lina Haddad"),
        ),
        (
            "Ihr Name: Jonas Weber\nE-Mail-Adresse: jonas@weber.test\n",
            Party("jonas@weber.test", "Jonas Weber"),
        ),
        ("الاسم: سمير\nالبريد الإلكتروني: samir@x.test\n", Party("samir@x.test", "سمير")),
        ("Courriel : anne@x.test\n", Party("anne@x.test", "")),
        # No address field: nobody; an address in the text is no field.
        ("Name: Lina\nMessage: write to me at lina@c.test", NOBODY),
        ("Email: (none given)\nMessage: hi", NOBODY),
        # A From line further down is quoted history, not the form's.
        ("Thanks!\n\nFrom: Lina <lina@c.test>\nSent: Monday", NOBODY),
    ],
)
def test_form_sender(body: str, expected: Party) -> None:
    assert form_sender(body) == expected


def test_a_form_without_reply_to_is_the_person_its_fields_name() -> None:
    body = "Name: Lina Haddad\nEmail: lina@c.test\n\nMessage:\nI cannot log in."
    assert customer_of("Acme", "noreply@acme.test", "", "", OWN, body=body) == Party(
        "lina@c.test", "Lina Haddad"
    )
    assert customer_of("Acme", "support@acme.test", "", "", OWN, body=lambda: body) == Party(
        "lina@c.test", "Lina Haddad"
    )
    # Reply-To comes first; the body is not even read for it.
    assert customer_of("Acme", "noreply@acme.test", "", "omar@e.test", OWN, body=_unread) == Party(
        "omar@e.test", ""
    )
    # Nor for ordinary mail, whatever its text says.
    assert customer_of("Lina", "lina@c.test", "", "", OWN, body=_unread) == Party("lina@c.test", "Lina")
    # A form naming us, a colleague or another no-reply address names nobody.
    for named in ("support@acme.test", "bob@acme.test", "noreply@x.test"):
        assert customer_of("Acme", "noreply@acme.test", "", "", OWN, body=f"Email: {named}") == NOBODY
    assert relays_someone("support@acme.test", "", OWN, body)


def _unread() -> str:
    raise AssertionError("the body was read")


def test_a_form_without_reply_to_is_answered_to_its_person() -> None:
    original = Original(
        from_name="WordPress",
        from_addr="wordpress@acme.test",
        subject="Acme Contact us",
        body_text="From: Mateo García <mateo@example.test>\nSubject: Refund\n\nMessage Body:\nHello",
    )
    (to,) = recipients(original, OWN).to
    assert (to.display_name, to.addr_spec) == ("Mateo García", "mateo@example.test")


def _form(rowid: int, reply_to: str, minutes: int) -> ThreadMessage:
    return ThreadMessage(
        rowid=rowid,
        message_id=f"<form{rowid}@acme.test>",
        in_reply_to=None,
        references=(),
        subject="New message from the contact form",
        from_addr="noreply@acme.test",
        to_addrs=("support@acme.test",),
        when=datetime(2026, 11, 26, 9, tzinfo=UTC) + timedelta(minutes=minutes),
        from_us=False,
        customer_addr=customer_of("", "noreply@acme.test", "", reply_to, OWN).email,
    )


def test_same_form_subject_from_different_people_stays_apart() -> None:
    threads = thread_messages(
        [_form(1, "lina@c.test", 0), _form(2, "omar@e.test", 5), _form(3, "lina@c.test", 9)]
    )
    groups = sorted(sorted(m.rowid for m in t.messages) for t in threads)
    # Lina's two forms join by the subject fallback; Omar's never does.
    assert groups == [[1, 3], [2]]


def test_forms_naming_nobody_are_never_joined_by_subject() -> None:
    threads = thread_messages([_form(1, "", 0), _form(2, "", 5)])
    assert len(threads) == 2


def test_reply_to_a_no_reply_sender_without_reply_to_is_refused() -> None:
    original = Original(from_name="Acme Billing", from_addr="no-reply@shop.test", subject="Paid")
    with pytest.raises(ReplyError, match="no-reply address"):
        recipients(original, OWN)


def test_reply_goes_to_the_reply_to_person_by_name() -> None:
    original = Original(
        from_name="Acme Website",
        from_addr="noreply@acme.test",
        subject="Form",
        reply_to=("lina@c.test",),
        reply_to_name="Lina Haddad",
    )
    (to,) = recipients(original, OWN).to
    assert (to.display_name, to.addr_spec) == ("Lina Haddad", "lina@c.test")


@pytest.mark.parametrize(
    ("body", "topic"),
    [
        (
            "Name: Lina Haddad\nEmail: lina@c.test\n\nMessage:\nI cannot log in since this morning; "
            "the page says my password is wrong.",
            "I cannot log in since this morning; the page says my…",
        ),
        (
            "Name: N\n\nMessage:\nDo you offer a discount for non-profits? We are 12.",
            "Do you offer a discount for non-profits?",
        ),
        ("Name: X\nSubject: Refund for March\nMessage: hello", "Refund for March"),
        ("Name: X\nBetreff:   Rechnung falsch \nNachricht: …", "Rechnung falsch"),
        (
            "الاسم: سمير\nالرسالة: لا يمكنني تسجيل الدخول منذ الصباح. ساعدوني",
            "لا يمكنني تسجيل الدخول منذ الصباح",
        ),
        ("Just a message without fields.", ""),
        ("Message:\n\n", ""),
    ],
)
def test_a_forms_topic_is_what_the_customer_wrote(body: str, topic: str) -> None:
    assert form_topic(body) == topic


ACCOUNT = parse_config(OFFLINE_ACCOUNT_CONFIG).account()[1]


def test_a_reply_greets_both_given_names_the_customer_signs_with() -> None:
    mail = Original(
        from_name="Maria Grazia Bianchi",
        from_addr="mg.bianchi@c.test",
        subject="Esportazione PDF",
        body_text=(
            "Buongiorno,\nl'esportazione PDF non funziona.\n\nGrazie,\nMaria Grazia\n"
            "-- \nMaria Grazia Bianchi\nStudio Bianchi\n"
        ),
    )
    assert template_variables(mail, ACCOUNT, "c1").customer_first_name == "Maria Grazia"
    # Quoted history below is not the customer's sign-off.
    quoting = replace(
        mail,
        from_name="Mary Jane Watson",
        body_text="Thanks, all good.\n\nOn Mon, 7 Dec 2026, Mary Jane Watson <mj@c.test> wrote:\n> Mary Jane",
    )
    assert template_variables(quoting, ACCOUNT, "c1").customer_first_name == "Mary"


def test_a_reply_to_a_form_restates_the_customers_words_not_the_websites_subject() -> None:
    form = Original(
        from_name="Acme Website",
        from_addr="noreply@acme.test",
        subject="New message from the contact form",
        reply_to=("lina@c.test",),
        reply_to_name="Lina Haddad",
        body_text="Name: Lina Haddad\n\nMessage:\nThe export button does nothing.",
    )
    values = template_variables(form, ACCOUNT, "c1")
    assert (values.customer_first_name, values.subject) == ("Lina", "The export button does nothing")
    # A form without a message field keeps the mail's subject; so does ordinary mail.
    bare = replace(form, body_text="Name: Lina Haddad")
    assert template_variables(bare, ACCOUNT, "c1").subject == "New message from the contact form"
    mail = Original(
        from_name="Lina Haddad",
        from_addr="lina@c.test",
        subject="Re: Export broken",
        body_text="Message: not a form, just a line.",
    )
    assert template_variables(mail, ACCOUNT, "c1").subject == "Export broken"


@pytest.mark.parametrize(
    ("from_name", "reply_to_name"),
    [
        ("Weber GmbH via Website", ""),  # the company in the relay's From name
        ("Acme Website", "Weber GmbH"),  # the company in Reply-To
        ("Acme Website", ""),  # no name in the headers at all
    ],
)
def test_a_form_that_names_the_person_only_in_its_body_greets_the_person(
    from_name: str, reply_to_name: str
) -> None:
    form = Original(
        from_name=from_name,
        from_addr="noreply@acme.test",
        subject="New enquiry from the website",
        reply_to=("jonas.weber@weber-gmbh.test",),
        reply_to_name=reply_to_name,
        body_text="Name: Jonas Weber\nCompany: Weber GmbH\n\nMessage:\nCan I change the billing address?",
    )
    values = template_variables(form, ACCOUNT, "c1")
    assert (values.customer_first_name, values.customer_name) == ("Jonas", "Jonas Weber")


def test_a_forms_name_field_never_overrides_a_person_in_the_headers_or_an_ordinary_sender() -> None:
    form = Original(
        from_name="Acme Website",
        from_addr="noreply@acme.test",
        subject="New message from the contact form",
        reply_to=("lina@c.test",),
        reply_to_name="Lina Haddad",
        body_text="Name: Omar Farouk\nMessage: hello",
    )
    assert template_variables(form, ACCOUNT, "c1").customer_first_name == "Lina"
    mail = Original(
        from_name="Weber GmbH",
        from_addr="info@weber-gmbh.test",
        subject="Question",
        body_text="Name: Jonas Weber\nWe have a question.",
    )
    values = template_variables(mail, ACCOUNT, "c1")
    assert (values.customer_first_name, values.customer_name) == ("there", "Weber GmbH")
    # A name field that names no person keeps the fallback.
    unnamed = replace(form, reply_to_name="", body_text="Name: Weber GmbH\nMessage: hello")
    assert template_variables(unnamed, ACCOUNT, "c1").customer_first_name == "there"


_GMAIL_FORWARD = (
    "Can support take this one? Big account.\n\n"
    "---------- Forwarded message ---------\n"
    "From: Priya Nair <priya@lotus-retail.test>\n"
    "Date: Mon, Dec 7, 2026 at 9:02 AM\n"
    "Subject: Cannot export invoices\n"
    "To: Tom Sales <tom.sales@acme.test>\n\n"
    "Hi Tom, the invoice export fails.\n"
)
_OUTLOOK_FORWARD = (
    "FYI\n\n________________________________\n"
    'From: "Nair, Priya" <priya@lotus-retail.test>\n'
    "Sent: Monday, December 7, 2026 9:02 AM\nTo: Tom Sales\nSubject: Cannot export invoices\n\nHi"
)
# Outlook's HTML forward as text: its rule is gone, the header block stands alone.
_OUTLOOK_HTML_FORWARD = (
    "Can you take this?\n\nFrom: Jens Ohm <jens@ohm-elektro.test>\nSent: Monday, December 7, 2026 10:00 AM\n"
    "To: Tom Sales <tom.sales@acme.test>\nSubject: Locked out\n\nHi Tom, I cannot log in."
)
_APPLE_FORWARD = (
    "Begin forwarded message:\n\nFrom: priya@lotus-retail.test\nSubject: Export\nDate: today\n\nHi"
)


@pytest.mark.parametrize(
    ("from_addr", "own", "body", "expected"),
    [
        # A colleague forwards a customer's mail: the customer is the one waiting.
        ("tom.sales@acme.test", OWN, _GMAIL_FORWARD, Party("priya@lotus-retail.test", "Priya Nair")),
        ("tom.sales@acme.test", OWN, _OUTLOOK_FORWARD, Party("priya@lotus-retail.test", "Nair, Priya")),
        ("tom.sales@acme.test", OWN, _APPLE_FORWARD, Party("priya@lotus-retail.test", "")),
        ("tom.sales@acme.test", OWN, _OUTLOOK_HTML_FORWARD, Party("jens@ohm-elektro.test", "Jens Ohm")),
        # A form's own fields (no date, no recipient) are not a forwarded mail's header.
        (
            "tom.sales@acme.test",
            OWN,
            "From: Priya <priya@lotus-retail.test>\nSubject: hi\n\nquestion",
            Party("tom.sales@acme.test", "Tom"),
        ),
        # A partner forwarding their client's mail is who asks us (and who is answered).
        ("dan@partner.test", OWN, _GMAIL_FORWARD, Party("dan@partner.test", "Tom")),
        # On a public provider the same domain is no colleague.
        ("tom@gmail.com", ("support@gmail.com",), _GMAIL_FORWARD, Party("tom@gmail.com", "Tom")),
        # A colleague forwarding a colleague's mail, or none: the colleague.
        (
            "tom.sales@acme.test",
            OWN,
            _GMAIL_FORWARD.replace("priya@lotus-retail.test", "ceo@acme.test"),
            Party("tom.sales@acme.test", "Tom"),
        ),
        ("tom.sales@acme.test", OWN, "Where is the invoice export?", Party("tom.sales@acme.test", "Tom")),
    ],
)
def test_a_colleague_s_forward_stands_for_the_customer_it_forwards(
    from_addr: str, own: tuple[str, ...], body: str, expected: Party
) -> None:
    assert customer_of("Tom", from_addr, "", "", own, body=body) == expected


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Maria Santos", "MARIA SANTOS", True),
        ("Maria Santos", "Santos, María", True),
        ("Maria Santos", "Maria Lopez", False),
        ("Maria", "Maria", False),  # a first name alone says nothing
        ("Weber GmbH", "Weber GmbH", False),  # nor a company
        ("Acme Support", "Acme Support", False),  # nor a role
        ("maria@x.test", "maria@x.test", False),
    ],
)
def test_full_names_compare_across_addresses(first: str, second: str, same: bool) -> None:
    key = full_name_key(first)
    assert (bool(key) and key == full_name_key(second)) is same
