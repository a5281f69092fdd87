"""One detector for the writer's new text, quoted history and signatures.

Every shape in tests/data/quote_cases.py (attributions wrapped over lines, Outlook header
blocks, separators, header blocks starting with Date:, bottom-posting, attributions in
many languages, HTML replies as our HTML-to-text renders them) is cut where its history
starts; the two detectors the product had before missed most of them.
"""

from __future__ import annotations

import re
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportinbox.domain import quoting
from supportinbox.domain.quoting import Part, new_text, split_body
from supportinbox.mail.html import html_to_text
from tests.data.quote_cases import CASES, QuoteCase


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_new_text_keeps_the_writer_s_words_and_drops_history(case: QuoteCase) -> None:
    body = html_to_text(case.body) if case.html else case.body
    found = _norm(new_text(body))
    for phrase in case.new:
        assert _norm(phrase) in found
    for phrase in case.history:
        assert _norm(phrase) not in found


def test_parts_in_order_for_the_thread_view() -> None:
    body = (
        "Hi,\n\n> Which browser?\n\nFirefox.\n\n-- \nLina Haddad\nCEO\n\n"
        "On Mon, 23 Nov 2026 at 10:00, Acme <support@acme.test> wrote:\n> Hello Lina\n"
    )
    parts = split_body(body)
    assert [p.kind for p in parts] == ["text", "quote", "text", "signature", "quote"]
    assert parts[2].text.strip() == "Firefox."
    assert parts[3].text.startswith("-- \nLina Haddad\nCEO")


def test_display_parts_are_inert_and_scoring_text_keeps_words() -> None:
    body = "Broken \x1b[31mexport\x1b[0m\n> old"
    assert "\x1b" not in split_body(body)[0].text
    assert "export" in new_text(body)


def test_pasted_mail_at_the_top_is_content_with_its_headers_folded() -> None:
    body = (
        "From: Billing <billing@vendor.test>\nSent: Monday\nSubject: Payment failed\n\nYour payment failed."
    )
    assert new_text(body) == "Your payment failed."
    assert split_body(body)[0].kind == "quote"


def test_a_contact_forms_own_from_and_subject_fields_are_its_text() -> None:
    # Contact Form 7's default mail: the person and their subject, then the message.
    body = (
        "From: Mateo García <mateo@example.test>\nSubject: Refund for double charge\n\n"
        "Message Body:\nI was charged twice.\n\n-- \nThis e-mail was sent from a contact form"
    )
    assert new_text(body) == (
        "From: Mateo García <mateo@example.test>\nSubject: Refund for double charge\n\n"
        "Message Body:\nI was charged twice."
    )
    assert [p.kind for p in split_body(body)] == ["text", "signature"]


def test_a_signature_line_that_is_prose_stays() -> None:
    assert new_text("Here it is\n\nSent from my desk, which is easier.") == (
        "Here it is\n\nSent from my desk, which is easier."
    )
    assert new_text("Here it is\n\nSent from my iPhone") == "Here it is"


def test_no_body_gives_no_text() -> None:
    assert new_text("") == ""
    assert split_body("") == [Part("text", "")]
    assert split_body("> only a quote") == [Part("quote", "> only a quote")]


def test_html_rendering_of_a_gmail_reply_is_read_through_the_attribution() -> None:
    html = (
        '<div dir="ltr">Thanks!</div><div class="gmail_quote"><div class="gmail_attr">'
        "On Mon, Nov 23, 2026 at 10:00 AM Acme &lt;support@acme.test&gt; wrote:<br></div>"
        "<blockquote>urgent outage</blockquote></div>"
    )
    assert new_text(html_to_text(html)) == "Thanks!"


# Lines each check stops at, in the shapes and cases the checks are written for (and their
# neighbours: case, dashes, digits other than 0-9, a long s that matches "s" ignoring case).
TRICKY_LINES = (
    "On Mon, 3 Nov 2026, Ann <ann@x.test> wrote:",
    "ON TUESDAY, 4 NOV 2026 AT 10:00 BOB <bob@x.test>",
    "wrote:",
    "--- On Mon, 3 Nov 2026 Ann wrote:",
    "Le 3 nov. 2026 à 10:00, Ann <ann@x.test> a écrit :",
    "Am 1. Jan. 2026 um 17:22 Uhr schrieb John <j@x.test>:",
    "W dniu 3.11.2026 o 10:00, Ann <ann@x.test> napisał:",
    "w  dniu 3.11.2026 Ann",
    "В понедельник, 3 ноября 2026 г. Ann <ann@x.test> написал:",
    "Vào 10:00 3/11/2026, Ann <ann@x.test> đã viết:",
    "Στις 3/11/2026 Ann <ann@x.test> έγραψε:",
    "في 3 نوفمبر 2026، كتب Ann <ann@x.test>:",
    "در 3 نوامبر 2026، Ann <ann@x.test> نوشت:",
    "2026/11/23 10:00、Acme のメッセージ:",
    "²⁰²⁶/11/23 Ann <ann@x.test>:",
    "① Ann <ann@x.test> wrote:",
    "2011/4/7 Nathan <n@x.test>",
    "2026/11/23 Ann Smith\n<ann@x.test>:",
    "Ann <ann@x.test> wrote -",
    '26.06.2014, 14:41, "Alexander" <a@x.test>:',
    "---- John Smith wrote ----",
    "Thanks, fixed. On Wed, 4 Nov 2026, bob@x.test wrote:",
    "-----Original Message-----",
    "________________________________",
    "_____",
    "From: Ann <ann@x.test>",
    "*From:* Ann",
    "Sent: Monday",
    "Date: Mon, 3 Nov 2026",
    "To: support@acme.test",
    "Subject: Export",
    "Von: Ann",
    "De : Ann",
    "差出人: Ann",
    "-- ",
    "--",
    "—",
    "__",
    "Sent from my iPhone",
    "ſent from my phone",
    "SENT FROM MY PHONE",
    "Get Outlook for Android",
    "Envoyé de mon iPhone",
    "Von meinem iPhone gesendet",
    "Enviado desde mi móvil",
    "iPhoneから送信",
    "从我的 iPhone 发送",
    "---------- Forwarded message ---------",
    "Begin forwarded message:",
    "転送メッセージ",
    "> quoted",
    "   > quoted with spaces",
    ">> twice",
    "a link that broke a quoted line: https://x.test/a=b",
    "ends with a dash -",
    "ends with an angle >",
    "",
    "   ",
    "\u200b",
    "Hello team,",
    "The export fails since this morning.",
    "on the other hand",
    "Onboarding is slow",
    "sentence about sending",
)


def _pool() -> list[str]:
    lines = list(TRICKY_LINES)
    for case in CASES:
        body = html_to_text(case.body) if case.html else case.body
        lines.extend(body.split("\n"))
    return lines


POOL = _pool()


def _slow_parts(text: str) -> list[Part]:
    """The parts with every line going through every check (no line skipped as plain)."""
    with patch.object(quoting, "_lines_that_may_start", lambda lines: list(range(len(lines) + 1))):
        return quoting._parts(text)


def test_every_line_a_check_stops_at_is_looked_at() -> None:
    bodies = [html_to_text(c.body) if c.html else c.body for c in CASES] + ["\n".join(TRICKY_LINES)]
    for body in bodies:
        lines = [line.rstrip() for line in body.rstrip("\n").split("\n")]
        looked_at = set(quoting._lines_that_may_start(lines))
        for index, line in enumerate(lines):
            stops = (
                quoting._is_quoted(line)
                or quoting._FORWARD.match(line) is not None
                or quoting._history_start(lines, index) is not None
                or quoting._is_signature_start(lines, index)
            )
            assert not stops or index in looked_at, line


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(POOL), max_size=40))
def test_skipping_plain_lines_changes_no_part(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert quoting._parts(text) == _slow_parts(text)


def test_skipping_plain_lines_changes_no_part_of_any_case() -> None:
    for case in CASES:
        body = html_to_text(case.body) if case.html else case.body
        assert quoting._parts(body) == _slow_parts(body)


@pytest.mark.parametrize(
    "attribution",
    [
        "",  # a client that writes no attribution line above the quote
        "Acme Support &lt;support@acme.test&gt; schrieb am Mo., 23. Nov. 2026, 10:00:",  # Gmail in German
        "Acme Support wrote:",
    ],
)
def test_an_html_blockquote_is_quoted_whatever_stands_above_it(attribution: str) -> None:
    html = (
        f'<div>Thanks, all good now!</div><div class="gmail_quote"><div>{attribution}<br></div>'
        "<blockquote><div>Hi Lina,<br><br>We have an URGENT outage: the export is not working.</div>"
        "</blockquote></div>"
    )
    own = new_text(html_to_text(html))
    assert own.startswith("Thanks, all good now!")
    assert "URGENT" not in own and "not working" not in own


def test_html_blockquotes_read_as_plain_text_quotes_level_by_level() -> None:
    html = (
        "<p>Fixed, thanks.</p><blockquote><div>Hi Lina,<br><br>Try again now.</div>"
        "<blockquote>It fails <b>every</b> time.<p>Lina</p></blockquote><div>Acme</div></blockquote>"
        "<p>Sent from my phone</p>"
    )
    assert html_to_text(html) == (
        "Fixed, thanks.\n\n> Hi Lina,\n>\n> Try again now.\n>\n"
        ">> It fails every time.\n>> Lina\n>\n> Acme\n\nSent from my phone"
    )


_OUTLOOK_BLOCK = (
    "Kannst du das übernehmen?\n\n________________________________\n"
    "Von: Jens Ohm <jens@ohm-elektro.test>\nGesendet: Montag, 7. Dezember 2026 10:00\n"
    "An: Hanna Vogel <hanna.vogel@acme.test>\nBetreff: Zugang gesperrt\n\n"
    "Hallo Hanna,\nmein Zugang ist gesperrt.\nJens"
)


@pytest.mark.parametrize(
    ("subject", "forwarded"),
    [
        ("WG: Zugang gesperrt", True),
        ("FW: Zugang gesperrt", True),
        ("[Support] Fwd: Zugang gesperrt", True),
        ("AW: Zugang gesperrt", False),  # a reply: the block is the history it answers
        ("Re: Fwd: Zugang gesperrt", False),
        ("Zugang gesperrt", False),
        (None, False),
    ],
)
def test_a_forward_s_subject_makes_the_forwarded_message_text(subject: str | None, forwarded: bool) -> None:
    text = new_text(_OUTLOOK_BLOCK, subject)
    assert ("mein Zugang ist gesperrt." in text) is forwarded
    assert text.startswith("Kannst du das übernehmen?")
    kinds = [p.kind for p in split_body(_OUTLOOK_BLOCK, subject)]
    assert kinds == (["text"] if forwarded else ["text", "quote"])


def test_only_the_first_block_of_a_forward_is_content() -> None:
    body = (
        "FYI\n\n-----Original Message-----\nFrom: Jens <jens@ohm.test>\nSent: Monday\nTo: Hanna\n"
        "Subject: Locked out\n\nI cannot log in.\n\n-----Original Message-----\nFrom: Hanna\nSent: Sunday\n"
        "To: Jens\nSubject: Welcome\n\nWelcome aboard."
    )
    text = new_text(body, "FW: Locked out")
    assert "I cannot log in." in text and "Welcome aboard." not in text
