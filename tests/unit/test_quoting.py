"""One detector for the writer's new text, quoted history and signatures.

Every shape in tests/data/quote_cases.py (attributions wrapped over lines, Outlook header
blocks, separators, header blocks starting with Date:, bottom-posting, attributions in
many languages, HTML replies as our HTML-to-text renders them) is cut where its history
starts; the two detectors the product had before missed most of them.
"""

from __future__ import annotations

import re

import pytest

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
