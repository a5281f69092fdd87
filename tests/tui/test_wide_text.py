"""Queue cells are cut to the terminal cells they take, not to their characters (real Dovecot).

A Japanese or Chinese character takes two cells, a Persian zero-width non-joiner (U+200C)
none. Cut by characters, a Japanese subject ran past its column and lost its "…" to the
table's crop, and a Persian subject that fits its column was cut short with a "…".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Label, OptionList, Static

from supportinbox.domain.safetext import has_right_to_left
from supportinbox.tui.app import SupportInboxApp
from tests.harness.bidi import (
    assert_columns_read_right,
    assert_fields_read_right,
    column_starts,
    drawn,
    logical,
)
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.terminals import starts_everywhere_at
from tests.tui.support import pilot_test, queue, synced_app, wait_until

pytestmark = pytest.mark.server

SUBJECT_CELLS = 27  # the Subject column at 80 columns
JAPANESE = "請求書のダウンロードができません"  # 16 characters, 32 cells
ZWNJ = "\u200c"
# "I cannot see the invoices": 27 cells in 30 characters, with three non-joiners.
PERSIAN = f"نمی{ZWNJ}توانم صورت{ZWNJ}حساب{ZWNJ}ها را بینم"


def _row_with(lines: list[Strip], text: str) -> str:
    return next(line.text for line in lines if text in line.text)


def _from_cell(line: str, cells: int) -> str:
    """What ``line`` shows from its cell ``cells`` on."""
    index = next(i for i in range(len(line) + 1) if cell_len(line[:i]) >= cells)
    return line[index:]


@pilot_test
async def test_cjk_and_persian_subjects_are_cut_to_their_cells(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    assert cell_len(PERSIAN) == SUBJECT_CELLS < len(PERSIAN)
    raws = [
        make_message(
            sender="Hanako Sato <hanako@customer.test>", subject=JAPANESE, body="請求書のPDFが開けません。"
        ),
        make_message(
            sender="Mahsa Rezaei <mahsa@customer.test>", subject=PERSIAN, body="سلام، لطفاً بررسی کنید."
        ),
    ]
    async with synced_app(supportinbox_home, dovecot, raws, (80, 24)) as (app, _):
        table = queue(app)
        assert table.total == 2
        lines = [table.render_line(y) for y in range(3)]
        header = lines[0].text
        subject_at = cell_len(header[: header.index("Subject")])
        waiting_at = cell_len(header[: header.index("Waiting")])
        assert waiting_at - subject_at - 2 == SUBJECT_CELLS  # a cell of padding on each side

        japanese = _row_with(lines, "請求書")
        shown = japanese[japanese.index("請求書") :]
        # Cut to 26 cells (13 wide characters), and the "…" in the last one.
        assert shown.startswith("請求書のダウンロードができ…  5m"), shown
        persian = _row_with(lines, "بینم")
        assert PERSIAN in persian and "…" not in persian
        for line in (japanese, persian):  # the Waiting column starts where its header does
            assert _from_cell(line, waiting_at).startswith("5m"), line


ARABIC_NAME = "محمد الأحمد"
# "Payment problem through PayPal for order 4521 since 3 days", Arabic-Indic ٣ included.
ARABIC_SUBJECT = "مشكلة في الدفع عبر PayPal للطلب رقم 4521 منذ ٣ أيام"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_right_to_left_names_and_subjects_keep_their_columns(
    supportinbox_home: Path, dovecot: Dovecot, size: tuple[int, int]
) -> None:
    """Drawn by a terminal that orders bidi text, each cell stays in its column and reads right.

    Unisolated, the Arabic name and subject were one right-to-left stretch with the
    Waiting column's digits: the subject was drawn where the name belongs, "5m" broke in two,
    and the subject's halves around "PayPal" swapped.
    """
    raws = [
        make_message(sender=f"{ARABIC_NAME} <mohammed@customer.test>", subject=ARABIC_SUBJECT, body="مرحبا"),
        make_message(sender="Mahsa Rezaei <mahsa@customer.test>", subject=PERSIAN, body="سلام"),
    ]
    async with synced_app(supportinbox_home, dovecot, raws, size) as (app, _):
        table = queue(app)
        lines = [table.render_line(y).text for y in range(3)]
        header = lines[0]
        starts = column_starts(
            header, [name for name in ("Customer", "Subject", "Waiting", "#") if name in header]
        )
        starts.insert(0, 0)  # the marks before the customer
        for text in ("محمد", "بینم"):
            assert_columns_read_right(_row_with_text(lines, text), starts)


def _row_with_text(lines: list[str], text: str) -> str:
    return next(line for line in lines if text in line)


# "Since yesterday I cannot log in to Acme Pro and get error ۴۰۳. I reinstalled the app
# (version 2.4.1) and it is still the same.": wraps at 80 columns, a Latin name mid-sentence.
PERSIAN_BODY = (
    "سلام،\nمن از دیروز نمی\u200cتوانم وارد Acme Pro شوم و خطای ۴۰۳ می\u200cگیرم. "
    "برنامه را دوباره نصب کردم (نسخه\u200cی 2.4.1) و هنوز همان است.\nممنون"
)


@pytest.mark.parametrize("widget", ["thread", "reply preview"])
@pilot_test
async def test_right_to_left_mail_reads_right_row_by_row(
    supportinbox_home: Path, dovecot: Dovecot, widget: str
) -> None:
    """Each drawn row of a Persian body (an Arabic reply's preview) reads right to left,
    wrapped or not, and stays right-aligned.

    Unisolated, a terminal that orders bidi text took each row as left to right: "Acme Pro"
    stood at the wrong end of its half-sentence and the full stop at the row's start.
    """
    if widget == "thread":
        mail = make_message(sender="زهرا محمدی <zahra@customer.test>", subject=PERSIAN, body=PERSIAN_BODY)
    else:  # the Arabic template's preview quotes the subject, "PayPal" and all
        mail = make_message(
            sender=f"{ARABIC_NAME} <mohammed@customer.test>",
            subject=ARABIC_SUBJECT,
            body="مرحبا، لم يكتمل الطلب.",
        )
    async with synced_app(supportinbox_home, dovecot, [mail], (80, 24)) as (app, pilot):
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query("MessageBlock .rtl")))
        if widget == "thread":
            body = app.screen.query("MessageBlock .rtl").first()
        else:
            await pilot.press("r")
            await wait_until(pilot, lambda: bool(app.screen.query("#preview.rtl")))
            body = app.screen.query_one("#preview")
        await pilot.pause()
        rows = [strip.text for strip in body.render_lines(body.region.reset_offset)]
        written = [row for row in rows if has_right_to_left(row)]
        assert len(written) >= 4, rows  # long lines wrapped
        for row in written:
            text = logical(row)
            content = text.strip(" ")
            assert drawn(row) == text.replace(content, drawn(content, base_dir="R")), drawn(row)
            assert text.endswith(content), text  # still right-aligned


# An isolated field of a drawn line: what stands between a first-strong isolate and its pop.
_FIELD = re.compile("\u2068([^\u2066-\u2069]*)\u2069")


async def _line_with_the_subject(app: SupportInboxApp, pilot: Pilot[None], where: str) -> str:
    """The drawn line that shows the conversation's subject at ``where``."""
    if where == "customer profile":
        await pilot.press("i")
        await wait_until(pilot, lambda: bool(app.screen.query("#customer-conversations")))
        await pilot.pause()
        options = app.screen.query_one("#customer-conversations", OptionList)
        lines = [strip.text for strip in options.render_lines(options.region.reset_offset)]
    elif where == "thread head":
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query("#conversation-head")))
        await pilot.pause()
        head = app.screen.query_one("#conversation-head", Static)
        lines = [head.render_lines(head.region.reset_offset)[0].text]
    else:
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query(".message-subject")))
        await pilot.pause()
        # What each label holds, as it is drawn (the first message may be scrolled out of view).
        lines = [str(label.render()) for label in app.screen.query(".message-subject").results(Static)]
    return next(line for line in lines if "PayPal" in line)


@pytest.mark.parametrize(
    ("where", "size", "around"),
    [
        ("thread head", (120, 40), "{}"),  # the head's first line is the subject alone
        ("customer profile", (80, 24), " · {} ← "),  # "date · status · subject ← this one"
        ("later message", (120, 40), "Subject: {}"),  # over a message under another subject
    ],
)
@pilot_test
async def test_a_right_to_left_subject_reads_right_where_it_is_shown(
    supportinbox_home: Path, dovecot: Dovecot, where: str, size: tuple[int, int], around: str
) -> None:
    """Unisolated, a terminal that orders bidi text drew the Arabic subject's two halves
    around "PayPal" the wrong way round (the reader met its end first), beside its label too."""
    mail = make_message(
        sender=f"{ARABIC_NAME} <mohammed@customer.test>", subject=ARABIC_SUBJECT, body="مرحبا"
    )
    raws = [mail]
    if where == "later message":
        first = make_message(
            sender=f"{ARABIC_NAME} <mohammed@customer.test>",
            subject="Order 4521",
            message_id="<o1@customer.test>",
            date=datetime.now(UTC) - timedelta(hours=1),
        )
        second = make_message(
            sender=f"{ARABIC_NAME} <mohammed@customer.test>",
            subject=ARABIC_SUBJECT,
            body="مرحبا",
            in_reply_to="<o1@customer.test>",
            references="<o1@customer.test>",
        )
        raws = [first, second]
    async with synced_app(supportinbox_home, dovecot, raws, size) as (app, pilot):
        line = await _line_with_the_subject(app, pilot, where)
    isolated = [m.group(1) for m in _FIELD.finditer(line) if "PayPal" in m.group(1)]
    assert len(isolated) == 1, f"the subject is not isolated in {line!r}"
    subject = isolated[0]
    assert ARABIC_SUBJECT.startswith(subject.removesuffix("…")), subject  # the profile cuts it
    if where != "customer profile":
        assert subject == ARABIC_SUBJECT
    assert around.format(subject) in logical(line), line
    # Drawn in its own direction, in its place: the words around it stay as they are.
    assert drawn(line) == logical(line).replace(subject, drawn(subject, base_dir=None)), drawn(line)


EMOJI_SUBJECT = "👩\u200d💻 Deploy 🇩🇪 👍🏽 ❤\ufe0f"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_emoji_sequences_leave_every_column_where_each_terminal_draws_it(
    supportinbox_home: Path, dovecot: Dovecot, size: tuple[int, int]
) -> None:
    """Rich measured 👩‍💻 two cells, VTE and xterm draw it in four (and tmux draws 👍🏽 in
    four): every column after the subject moved. Shown in its steady form, each terminal
    draws the row as it was laid out."""
    raws = [
        make_message(sender="Lina 👩\u200d💻 <lina@customer.test>", subject=EMOJI_SUBJECT, body="🎉"),
        make_message(sender="Sven <sven@customer.test>", subject="Invoice address wrong", body="Hi"),
    ]
    async with synced_app(supportinbox_home, dovecot, raws, size) as (app, _):
        table = queue(app)
        lines = [table.render_line(y).text for y in range(3)]
        header = lines[0]
        emoji = _row_with_text(lines, "Deploy")
        waiting = starts_everywhere_at(emoji, "5m")
        assert set(waiting.values()) == {cell_len(header[: header.index("Waiting")])}, waiting
        subject = starts_everywhere_at(emoji, "Deploy")
        assert set(subject.values()) == {cell_len(header[: header.index("Subject")]) + 5}, subject
        assert "👩💻 Deploy DE 👍 ❤" in emoji


CJK_SUBJECT = "注文の配送が遅れています。確認をお願いします。" * 14  # 322 characters


@pytest.mark.parametrize("where", ["snooze dialog", "thread head"])
@pilot_test
async def test_a_long_cjk_subject_is_cut_by_cells(
    supportinbox_home: Path, dovecot: Dovecot, where: str
) -> None:
    """Cut to 50 characters, a Japanese subject took 100 cells and its title three lines of
    an 80-column dialog; cut to 50 cells it takes one, ending in "…". Shown whole, it took
    nine of the 24 rows over its thread; it takes three now, cut between characters with "…"."""
    raws = [
        make_message(sender="山田 <yamada@customer.test>", subject=CJK_SUBJECT, body="確認してください。")
    ]
    async with synced_app(supportinbox_home, dovecot, raws, (80, 24)) as (app, pilot):
        if where == "snooze dialog":
            await pilot.press("z")
            await wait_until(pilot, lambda: bool(app.screen.query(".dialog-title")))
            await pilot.pause()
            title = app.screen.query_one(".dialog-title", Label)
            shown = title.render_line(0).text.strip()
            assert shown.startswith("Snooze: 注文の配送") and shown.endswith("…"), shown
            assert cell_len(shown) <= len("Snooze: ") + 50
            assert title.size.height == 1
        else:
            await pilot.press("enter")
            await wait_until(pilot, lambda: bool(app.screen.query("#conversation-head")))
            await pilot.pause()
            head = app.screen.query_one("#conversation-head", Static)
            rows = [head.render_line(y).text.strip() for y in range(head.size.height)]
            lines = [row for row in rows if row and "山田" not in row and "Why" not in row]
            assert len(lines) == 3, rows
            assert lines[0].startswith("注文の配送") and lines[-1].endswith("…"), rows
            assert cell_len("".join(lines)) <= 200


@pilot_test
async def test_a_dialog_over_a_right_to_left_name_reads_left_to_right(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """The help dialog covered the pop closing an Arabic name in the queue and left its isolate
    open: a terminal that orders bidi text drew the dialog's row after it right to left
    ("claim  Claim/release  a"). The dialog's rows close it first."""
    raws = [
        make_message(sender=f"رضا احمدی <reza{n}@customer.test>", subject=f"Invoice {n}", body="سلام")
        for n in range(8)
    ]
    async with synced_app(supportinbox_home, dovecot, raws, (120, 40)) as (app, pilot):
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: bool(app.screen.query(".help-dialog")))
        await pilot.pause()
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        # The names' isolates are open where the dialog covers their pops, beside its rows of keys.
        rows = [line for line in lines if "\u2068" in line and "█" in line and "view" in line]
        assert rows, lines
        for row in rows:
            edge = row.index("█")
            assert drawn(row).endswith(logical(row[edge:])), drawn(row)


NAME, SUBJECT = "أحمد خليل", "مشكلة في الفاتورة 4521."
ATTACHMENT = "فاتورة رقم 4521.pdf"  # "invoice number 4521.pdf"


@pytest.mark.parametrize(
    ("key", "where", "fields"),
    [
        # "Move to Junk?" names the customer and the subject.
        ("exclamation_mark", ".dialog-body", [f"{NAME} <ahmed@customer.test>", SUBJECT]),
        # A dialog's title names the subject after its label.
        ("z", ".dialog-title", [SUBJECT]),
        ("n", ".dialog-title", [SUBJECT]),
        ("f", ".dialog-title", [SUBJECT]),
        ("t", ".dialog-title", [SUBJECT]),
        # The thread names an attachment beside its type and size.
        ("enter", ".attachments", [ATTACHMENT]),
    ],
)
@pilot_test
async def test_an_arabic_name_and_subject_are_fields_of_their_own_in_a_dialog(
    supportinbox_home: Path, dovecot: Dovecot, key: str, where: str, fields: list[str]
) -> None:
    """Unisolated, an Arabic name beside an Arabic subject read as one right-to-left run, the
    subject where the name belongs; isolated together with its label ("Snooze: "), a subject
    took the label's direction, and its digits and full stop stood at the wrong end."""
    raws = [
        make_message(
            sender=f"{NAME} <ahmed@customer.test>",
            subject=SUBJECT,
            body="مرحبا",
            attachment=(ATTACHMENT, b"%PDF"),
        )
    ]
    async with synced_app(supportinbox_home, dovecot, raws, (80, 24)) as (app, pilot):
        await pilot.press(key)
        await wait_until(pilot, lambda: bool(app.screen.query(where)))
        await pilot.pause()
        shown = app.screen.query_one(where, Static)
        assert_fields_read_right(shown.render_line(0).text.strip(), fields)
        await pilot.press("escape")
