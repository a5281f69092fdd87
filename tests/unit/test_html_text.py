"""HTML mail as text: what a reader of the HTML sees, no more (hidden preheaders) and in its
layout (a table's rows as lines, columns aligned). Fixtures in tests/data/html_mail.py."""

from __future__ import annotations

import pytest

from supportinbox.mail.html import TABLE_WIDTH, html_to_text
from tests.data import html_mail


def test_a_newsletter_shows_its_body_without_the_hidden_preheader() -> None:
    assert html_to_text(html_mail.NEWSLETTER) == (
        "Hi Lina, our winter sale is on.\nYou receive this because you signed up at acme.test."
    )


@pytest.mark.parametrize(
    "style",
    [
        "display:none",
        "DISPLAY: NONE !important",
        "visibility:hidden",
        "mso-hide:all;max-height:0;overflow:hidden",
        "max-height:0;overflow:hidden",
        "max-height: 0px; overflow: hidden",
        "height:0;width:0;overflow:hidden",
        "opacity:0",
        "font-size:0",
        "font-size:0px;line-height:0",
    ],
)
def test_each_way_of_hiding_text_hides_it(style: str) -> None:
    html = f'<div>Visible words.</div><span style="{style}">Hidden words</span><p>After.</p>'
    assert html_to_text(html) == "Visible words.\n\nAfter."


@pytest.mark.parametrize(
    "style",
    [
        "mso-hide:all",
        "max-height:0",
        "opacity:0.5",
        "font-size:10px",
        "height:0.5em;overflow:hidden",
        "display:block",
        "max-height:300px;overflow:hidden",
    ],
)
def test_styles_that_do_not_hide_keep_the_text(style: str) -> None:
    assert html_to_text(f'<span style="{style}">Shown words</span>') == "Shown words"


def test_the_hidden_attribute_hides_and_a_sized_column_inside_font_size_zero_shows() -> None:
    html = (
        '<p hidden>not shown</p><div style="font-size:0">gap<div style="font-size:14px">Column text</div>'
        "gap<span>still zero</span></div>tail"
    )
    assert html_to_text(html) == "Column text\n\ntail"


def test_a_receipt_keeps_each_item_and_total_on_one_line() -> None:
    assert html_to_text(html_mail.RECEIPT) == (
        "Thank you for your purchase!\n\n"
        "Order #1042 · placed December 7, 2026\n\n"
        "Blue Widget × 2  $40.00\n"
        "Large\n\n"
        "USB-C Cable × 1  $9.50\n\n"
        "Subtotal      $49.50\n"
        "Shipping       $5.00\n"
        "Total     $54.50 USD"
    )


def test_replies_from_gmail_outlook_and_apple_mail_keep_their_tables() -> None:
    gmail = html_to_text(html_mail.GMAIL_TABLE_REPLY)
    assert "Invoice   Amount\nINV-2031  1,200.00\nINV-2032     85.10\n\nThanks, Lina" in gmail
    assert gmail.endswith("wrote:\n\n> Which invoices are missing?")
    outlook = html_to_text(html_mail.OUTLOOK_TABLE_REPLY)
    assert (
        "Here are the details you asked for:\n\nOrder   1042\nSerial  SN-77A-0193\n\nBest regards," in outlook
    )
    apple = html_to_text(html_mail.APPLE_TABLE_REPLY)
    assert apple.startswith(
        "Both devices fail the same way:\n\niPhone 15  iOS 18.1\niPad Air   iPadOS 18.0\n\nSami"
    )


def test_wide_or_east_asian_cells_align_by_terminal_columns() -> None:
    html = "<table><tr><td>注文</td><td>1042</td></tr><tr><td>Total</td><td>¥5,400</td></tr></table>"
    assert html_to_text(html) == "注文   1042\nTotal  ¥5,400"


def test_a_table_too_wide_to_align_reads_as_its_cells_in_order() -> None:
    long = "word " * (TABLE_WIDTH // 5 + 2)
    html = f"<table><tr><td>{long}</td><td>Side column</td></tr><tr><td></td><td>x</td></tr></table>"
    assert html_to_text(html) == f"{long.strip()}\nSide column\nx"


def test_mail_laid_out_in_one_cell_keeps_its_paragraphs_apart() -> None:
    """Most HTML mail sits in a one-cell layout table: its heading, paragraphs and sign-off
    read as they do outside one, a blank line between, not run together line by line."""
    body = "<h1>Hello team</h1><p>After the update the charts are blank.</p><p>Thanks,<br>Nora</p>"
    expected = "Hello team\n\nAfter the update the charts are blank.\n\nThanks,\nNora"
    assert html_to_text(body) == expected
    assert html_to_text(f"<table><tr><td>{body}</td></tr></table>") == expected
    assert html_to_text(f'<table width="600"><tr><td></td><td>{body}</td><td></td></tr></table>') == expected


def test_a_table_in_a_quote_is_quoted_line_by_line_and_a_caption_leads() -> None:
    html = (
        "<p>See below</p><blockquote><table><caption>Your order</caption>"
        "<tr><th>Item</th><th>Qty</th></tr><tr><td>Cable</td><td>1</td></tr></table></blockquote>"
    )
    assert html_to_text(html) == "See below\n\n> Your order\n> Item   Qty\n> Cable  1"


def test_hidden_rows_and_cells_of_a_table_are_left_out() -> None:
    html = (
        "<table><tr><td>Item</td><td style='display:none'>SKU-1</td><td align='right'>$5.00</td></tr>"
        "<tr style='display:none'><td>Hidden row</td><td>x</td></tr>"
        "<tr><td><span>Cable</span></td><td style='font-size:0'>spacer</td>"
        "<td align='right'>$12.50</td></tr></table>"
    )
    assert html_to_text(html) == "Item    $5.00\nCable  $12.50"
