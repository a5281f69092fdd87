"""Queue cells are cut to the terminal cells they take, not to their characters (real Dovecot).

A Japanese or Chinese character takes two cells, a Persian zero-width non-joiner (U+200C)
none. Cut by characters, a Japanese subject ran past its column and lost its "…" to the
table's crop, and a Persian subject that fits its column was cut short with a "…".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.strip import Strip
from textual.widgets import Label, OptionList, Static

from supportinbox.config import load_config
from supportinbox.domain.safetext import has_right_to_left
from supportinbox.tui.factory import build_app
from tests.harness.bidi import (
    assert_columns_read_right,
    assert_fields_read_right,
    column_starts,
    drawn,
    logical,
)
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.terminals import starts_everywhere_at
from tests.tui.support import pilot_test, queue, wait_until

pytestmark = pytest.mark.server

SUBJECT_CELLS = 28  # the Subject column at 80 columns
JAPANESE = "請求書のダウンロードができません"  # 16 characters, 32 cells
ZWNJ = "\u200c"
# "I cannot see the invoices": 28 cells in 31 characters, with three non-joiners.
PERSIAN = f"نمی{ZWNJ}توانم صورت{ZWNJ}حساب{ZWNJ}ها را ببینم"


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
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        table = queue(app)
        assert table.total == 2
        lines = [table.render_line(y) for y in range(3)]
        header = lines[0].text
        subject_at = cell_len(header[: header.index("Subject")])
        waiting_at = cell_len(header[: header.index("Waiting")])
        assert waiting_at - subject_at - 2 == SUBJECT_CELLS  # a cell of padding on each side

        japanese = _row_with(lines, "請求書")
        shown = japanese[japanese.index("請求書") :]
        # Cut to 27 cells, and the "…" in the last one (a wide character does not fit in one).
        assert shown.startswith("請求書のダウンロードができ …"), shown
        persian = _row_with(lines, "ببینم")
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
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        table = queue(app)
        lines = [table.render_line(y).text for y in range(3)]
        header = lines[0]
        starts = column_starts(
            header, [name for name in ("Customer", "Subject", "Waiting", "#") if name in header]
        )
        starts.insert(0, 0)  # the marks before the customer
        for text in ("محمد", "ببینم"):
            assert_columns_read_right(_row_with_text(lines, text), starts)


def _row_with_text(lines: list[str], text: str) -> str:
    return next(line for line in lines if text in line)


@pilot_test
async def test_a_right_to_left_subject_reads_right_over_its_thread(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """The thread's head line is the subject alone, drawn in its own direction.

    Unisolated, a terminal that orders bidi text drew the Arabic subject's two halves around
    "PayPal" the wrong way round: the reader met its end first.
    """
    raws = [
        make_message(sender=f"{ARABIC_NAME} <mohammed@customer.test>", subject=ARABIC_SUBJECT, body="مرحبا")
    ]
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query("#conversation-head")))
        await pilot.pause()
        head = app.screen.query_one("#conversation-head", Static)
        first = head.render_lines(head.region.reset_offset)[0].text
        assert drawn(first).strip() == drawn(ARABIC_SUBJECT, base_dir=None), drawn(first)


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
    setup = setup_account(supportinbox_home, dovecot, None, [mail], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
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


@pilot_test
async def test_a_right_to_left_subject_reads_right_in_the_customer_profile(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """The profile's line "date · status · subject ← this one" keeps the subject reading right.

    Unisolated, the halves of the Arabic subject around "PayPal" swapped places.
    """
    raws = [
        make_message(sender=f"{ARABIC_NAME} <mohammed@customer.test>", subject=ARABIC_SUBJECT, body="مرحبا")
    ]
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("i")
        await wait_until(pilot, lambda: bool(app.screen.query("#customer-conversations")))
        await pilot.pause()
        options = app.screen.query_one("#customer-conversations", OptionList)
        lines = [strip.text for strip in options.render_lines(options.region.reset_offset)]
        line = next(line for line in lines if "PayPal" in line)
        subject = logical(line).split(" · ")[-1].split(" ← ")[0]
        assert ARABIC_SUBJECT.startswith(subject.removesuffix("…")), subject
        assert drawn(subject, base_dir=None) in drawn(line), drawn(line)


@pilot_test
async def test_a_right_to_left_subject_of_a_later_message_reads_right(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """A message under another subject shows "Subject: ..." over it; an Arabic one reads right.

    Unisolated beside its label, the halves of the subject around "PayPal" swapped places.
    """
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
    setup = setup_account(supportinbox_home, dovecot, None, [first, second], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query(".message-subject")))
        await pilot.pause()
        # What each label holds, as it is drawn (the first message may be scrolled out of view).
        lines = [str(label.render()) for label in app.screen.query(".message-subject").results(Static)]
        line = next(line for line in lines if "PayPal" in line)
        assert logical(line).strip() == f"Subject: {ARABIC_SUBJECT}", line
        assert drawn(line).strip() == f"Subject: {drawn(ARABIC_SUBJECT, base_dir=None)}", drawn(line)


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
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        table = queue(app)
        lines = [table.render_line(y).text for y in range(3)]
        header = lines[0]
        emoji = _row_with_text(lines, "Deploy")
        waiting = starts_everywhere_at(emoji, "5m")
        assert set(waiting.values()) == {cell_len(header[: header.index("Waiting")])}, waiting
        subject = starts_everywhere_at(emoji, "Deploy")
        assert set(subject.values()) == {cell_len(header[: header.index("Subject")]) + 5}, subject
        assert "👩💻 Deploy DE 👍 ❤" in emoji


@pilot_test
async def test_a_long_cjk_subject_is_cut_by_cells_in_a_dialog_title(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """Cut to 50 characters, a Japanese subject took 100 cells and its title three lines of
    an 80-column dialog; cut to 50 cells it takes one, ending in "…"."""
    subject = "注文の配送が遅れています。確認をお願いします。" * 14  # 322 characters
    raws = [make_message(sender="山田 <yamada@customer.test>", subject=subject, body="確認してください。")]
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("z")
        await wait_until(pilot, lambda: bool(app.screen.query(".dialog-title")))
        await pilot.pause()
        title = app.screen.query_one(".dialog-title", Label)
        shown = title.render_line(0).text.strip()
        assert shown.startswith("Snooze: 注文の配送") and shown.endswith("…"), shown
        assert cell_len(shown) <= len("Snooze: ") + 50
        assert title.size.height == 1


@pilot_test
async def test_a_long_cjk_subject_leaves_the_mail_room_over_its_thread(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """Shown whole, a subject of 322 Japanese characters took nine of the 24 rows over its
    thread; it takes three now, cut between characters with "…"."""
    subject = "注文の配送が遅れています。確認をお願いします。" * 14
    raws = [make_message(sender="山田 <yamada@customer.test>", subject=subject, body="確認してください。")]
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query("#conversation-head")))
        await pilot.pause()
        head = app.screen.query_one("#conversation-head", Static)
        rows = [head.render_line(y).text.strip() for y in range(head.size.height)]
        title = [row for row in rows if row and "山田" not in row and "Why" not in row]
        assert len(title) == 3, rows
        assert title[0].startswith("注文の配送") and title[-1].endswith("…"), rows
        assert cell_len("".join(title)) <= 200


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
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
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


@pilot_test
async def test_an_arabic_name_and_subject_are_fields_of_their_own_in_a_confirmation(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """ "Move to Junk?" names the customer and the subject: unisolated, an Arabic name beside
    an Arabic subject read as one right-to-left run, the subject where the name belongs."""
    name, subject = "أحمد خليل", "مشكلة في الفاتورة 4521."
    raws = [make_message(sender=f"{name} <ahmed@customer.test>", subject=subject, body="مرحبا")]
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: bool(app.screen.query(".dialog-body")))
        await pilot.pause()
        body = app.screen.query_one(".dialog-body", Static)
        line = body.render_line(0).text.strip()
        assert_fields_read_right(line, [f"{name} <ahmed@customer.test>", subject])
        await pilot.press("n")
