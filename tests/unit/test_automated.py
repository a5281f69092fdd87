"""Automated mail: which headers make a message automated, and what a bounce says."""

from __future__ import annotations

import pytest

from supportinbox.domain.automated import (
    AUTO_REPLY,
    BOUNCE,
    BULK,
    MAILING_LIST,
    NOTIFICATION,
    PERSON,
    Automated,
    Bounce,
    Said,
    bounce_report,
    bounced_reply,
    classify,
)


@pytest.mark.parametrize(
    ("headers", "sender", "expected"),
    [
        ({}, "lina@customer.test", PERSON),
        ({"auto-submitted": "no"}, "lina@customer.test", PERSON),
        (
            {"auto-submitted": "auto-replied"},
            "l@c.test",
            Automated(AUTO_REPLY, "Auto-Submitted: auto-replied"),
        ),
        (
            {"auto-submitted": "Auto-Generated; x=y"},
            "n@s.test",
            Automated(NOTIFICATION, "Auto-Submitted: auto-generated"),
        ),
        ({"x-autoreply": "yes"}, "lina@customer.test", Automated(AUTO_REPLY, "X-Autoreply")),
        ({"x-autorespond": "Out of office"}, "lina@customer.test", Automated(AUTO_REPLY, "X-Autorespond")),
        ({"precedence": "bulk"}, "news@shop.test", Automated(BULK, "Precedence: bulk")),
        ({"precedence": "junk"}, "news@shop.test", Automated(BULK, "Precedence: junk")),
        ({"precedence": "list"}, "dev@lists.test", Automated(MAILING_LIST, "Precedence: list")),
        ({"list-id": "<weekly.news.test>"}, "editor@news.test", Automated(MAILING_LIST, "List-Id")),
        # A newsletter sent by a mailing service often has List-Unsubscribe and nothing else.
        (
            {"list-unsubscribe": "<https://mail.shop.test/u/123>"},
            "news@shop.test",
            Automated(BULK, "List-Unsubscribe"),
        ),
        ({"list-unsubscribe": ""}, "lina@customer.test", PERSON),
        ({}, "MAILER-DAEMON@mx.test", Automated(BOUNCE, "from MAILER-DAEMON")),
        ({}, "postmaster@mx.test", Automated(BOUNCE, "from postmaster")),
        (
            {"content-type": 'multipart/report; report-type="delivery-status"; boundary="x"'},
            "mail@gmail.test",
            Automated(BOUNCE, "delivery status report"),
        ),
        # A read receipt is a report too, but not a bounce; a normal multipart is a person.
        ({"content-type": "multipart/alternative; boundary=x"}, "lina@customer.test", PERSON),
    ],
)
def test_classify(headers: dict[str, str], sender: str, expected: Automated) -> None:
    assert classify(headers, sender) == expected


def test_a_parsed_newsletter_with_only_list_unsubscribe_is_bulk() -> None:
    from supportinbox.mail.parse import parse_header_block

    parsed = parse_header_block(
        b"From: Shop News <news@shop.test>\r\nTo: support@acme.test\r\nSubject: Our winter sale\r\n"
        b"List-Unsubscribe: <https://mail.shop.test/u/123>\r\n"
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n"
    )
    assert (parsed.automated, parsed.automated_reason) == (BULK, "List-Unsubscribe")


POSTFIX_STATUS = (
    "Reporting-MTA: dns; mx.savanna-apps.test\r\n"
    "X-Postfix-Queue-ID: 4Fq1x\r\n"
    "\r\n"
    "Final-Recipient: rfc822; kwame@savanna-apps.test\r\n"
    "Original-Recipient: rfc822;kwame@savanna-apps.test\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <kwame@savanna-apps.test>: Recipient address\r\n"
    "    rejected: User unknown\r\n"
)
RETURNED = "From: support@acme.test\r\nMessage-ID: <Reply-Kwame@acme.test>\r\nSubject: Re: x\r\n"


def test_bounce_report_reads_recipient_reason_and_our_message() -> None:
    report = bounce_report(POSTFIX_STATUS, RETURNED)
    assert report is not None
    assert report.message_id == "<reply-kwame@acme.test>"
    assert report.recipient == "kwame@savanna-apps.test"
    assert report.reason == "550 5.1.1 <kwame@savanna-apps.test>: Recipient address rejected: User unknown"


def test_bounce_report_without_diagnostic_uses_the_status() -> None:
    status = "Final-Recipient: rfc822; a@b.test\nAction: failed\nStatus: 5.2.2\n"
    report = bounce_report(status, "")
    assert report is not None and report.reason == "5.2.2" and report.message_id is None


def test_a_delayed_delivery_says_so_and_a_delivered_one_is_no_bounce() -> None:
    delayed = bounce_report("Final-Recipient: rfc822; a@b.test\nAction: delayed\nStatus: 4.4.1\n", "")
    assert delayed is not None and delayed.reason.startswith("delayed, still trying")
    assert bounce_report("Final-Recipient: rfc822; a@b.test\nAction: delivered\nStatus: 2.0.0\n", "") is None


def _bounce(recipient: str, of: str | None = "<r1@acme.test>") -> Said:
    return Said(
        ours=False,
        person=False,
        sender="mailer-daemon@mx.test",
        bounce=Bounce(of, recipient, "550 no such user"),
    )


CUSTOMER = Said(ours=False, person=True, sender="kwame@savanna.test", message_id="<q1@savanna.test>")
REPLY = Said(ours=True, person=True, sender="", message_id="<r1@acme.test>")
ACK = Said(ours=True, person=False, sender="", message_id="<ack@acme.test>")


def test_a_bounce_of_our_last_reply_is_found_by_its_message_id() -> None:
    assert bounced_reply([CUSTOMER, REPLY, _bounce("kwame@savanna.test")]) == 2
    # A bounce of a message that is not one of our replies here (an acknowledgement, or
    # mail of someone else's) says nothing of ours.
    assert bounced_reply([CUSTOMER, REPLY, _bounce("kwame@savanna.test", "<elsewhere@x.test>")]) is None
    assert bounced_reply([CUSTOMER, ACK, _bounce("kwame@savanna.test", "<ack@acme.test>")]) is None
    assert bounced_reply([CUSTOMER, REPLY, _bounce("kwame@savanna.test", None)]) is None


def test_a_bounce_is_no_last_word_once_we_or_its_address_wrote_since() -> None:
    bounce = _bounce("kwame@savanna.test")
    again = Said(ours=True, person=True, sender="", message_id="<r2@acme.test>")
    assert bounced_reply([CUSTOMER, REPLY, bounce, again]) is None
    assert bounced_reply([CUSTOMER, REPLY, bounce, CUSTOMER]) is None  # the address works
    colleague = Said(ours=False, person=True, sender="ama@savanna.test")
    assert bounced_reply([CUSTOMER, REPLY, bounce, colleague]) == 2
    # An auto-reply or our acknowledgement after it changes nothing.
    auto = Said(ours=False, person=False, sender="kwame@savanna.test")
    assert bounced_reply([CUSTOMER, REPLY, bounce, auto, ACK]) == 2


def test_a_reply_to_a_bounced_address_is_warned_of_by_its_recipient() -> None:
    """The reply editor asks whether the address it writes to bounced our last reply."""
    bounce = _bounce("kwame@savanna.test", None)  # no Message-ID in the returned headers
    assert bounced_reply([CUSTOMER, REPLY, bounce], {"kwame@savanna.test"}) == 2
    assert bounced_reply([CUSTOMER, REPLY, bounce], {"ama@savanna.test"}) is None
    assert bounced_reply([CUSTOMER, REPLY, bounce, CUSTOMER], {"kwame@savanna.test"}) is None
