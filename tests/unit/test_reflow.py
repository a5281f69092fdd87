"""A reply's text reflowed for the template picker's preview, narrower than 72 columns:
the template rule's paragraphs (:func:`reflow`) each made one line."""

from __future__ import annotations

from supportinbox.domain.templates import reflow


def preview(text: str) -> str:
    return reflow(text, width=None)


TEMPLATE_BODY = (
    "Hi Hannah,\n"
    "\n"
    'Thank you for letting us know about this ("Audit log retention"), and\n'
    "sorry for the trouble it is causing you.\n"
    "\n"
    "I am looking into it now. I will write to you again within one business\n"
    "day with what I have found, even if it is not fully solved by then, so\n"
    "you always know where things stand.\n"
    "\n"
    "What helps us most:\n"
    "- the time it happened, as exactly as you can, and the page you were on when\n"
    "- it failed\n"
    "1. a screenshot\n"
    "\n"
    "Best regards,\n"
    "Alex\n"
    "Acme Support\n"
    "\n"
    "You wrote:\n"
    "> Thanks. Our lawyer asks whether that can be extended to 7 years for compliance.\n"
    "> Please advise quickly, the audit is next week.\n"
    "-- \n"
    "Acme Support, Berlin"
)


def test_hard_wrapped_paragraphs_become_one_line_each() -> None:
    lines = preview(TEMPLATE_BODY).split("\n")
    assert (
        'Thank you for letting us know about this ("Audit log retention"), and '
        "sorry for the trouble it is causing you."
    ) in lines
    assert (
        "I am looking into it now. I will write to you again within one business day with what I "
        "have found, even if it is not fully solved by then, so you always know where things stand."
    ) in lines


def test_short_lines_quotes_lists_and_signatures_keep_their_breaks() -> None:
    lines = preview(TEMPLATE_BODY).split("\n")
    assert lines[:2] == ["Hi Hannah,", ""]
    assert lines[lines.index("Best regards,") : lines.index("Best regards,") + 3] == [
        "Best regards,",
        "Alex",
        "Acme Support",
    ]
    assert "- it failed" in lines and "1. a screenshot" in lines  # list items stay items
    assert "> Please advise quickly, the audit is next week." in lines  # quoted lines stay quoted
    assert lines[-2:] == ["-- ", "Acme Support, Berlin"]


def test_nothing_but_line_breaks_changes() -> None:
    text = preview(TEMPLATE_BODY)
    assert text.split() == TEMPLATE_BODY.split()
    assert preview("") == "" and preview("one line") == "one line"
    rtl = (
        "سلام،\n"
        + "متشکرم که این مشکل را گزارش کردید. در حال بررسی آن هستیم و به زودی\n"
        + "نتیجه را به شما اطلاع می‌دهیم."
    )
    assert preview(rtl).count("\n") == 2  # a Persian paragraph reflows the same way
