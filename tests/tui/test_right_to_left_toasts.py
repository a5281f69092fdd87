"""Toasts and the command palette over rows of Arabic and Persian subjects (real Dovecot).

A terminal that orders bidi text (VTE, Konsole, mlterm) reads each screen row as one
paragraph. A toast over a queue row covered the pop closing the row's isolated subject,
and the toast's own text joined the subject's right-to-left run; a toast whose isolated
subject wrapped kept it isolated on its first row only, its other rows bare.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets._toast import Toast

from supportinbox.domain.safetext import has_right_to_left
from tests.harness.bidi import drawn, logical
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.tui.support import pilot_test, select_subject, synced_app, wait_until

pytestmark = pytest.mark.server

# "Payment problem through PayPal for order 4521 since 3 days": its halves around "PayPal"
# change places when a row of it is read left to right.
ARABIC_SUBJECT = "مشكلة في الدفع عبر PayPal للطلب رقم 4521 منذ ٣ أيام"
# Long enough to run under a toast at the right of the screen, at 80 and 120 columns.
OTHERS = [
    f"{subject} {n}"
    for n, subject in enumerate(
        [
            "لم تصل الفاتورة الشهرية لشهر نوفمبر حتى الآن",  # the invoice for November did not arrive
            "سؤال درباره‌ی فاکتور ماهانه و نشانی شرکت روی آن",  # the monthly invoice's address
            "تغيير عنوان الشركة في جميع الفواتير القادمة",  # the company address on coming invoices
            "مشکل در همگام‌سازی انبار از دیروز تا امروز",  # the warehouse has not synced since yesterday
        ]
        * 9
    )
]
# A right-to-left field of a row, isolated on it: opened by a first-strong or a
# right-to-left isolate, closed by its pop, nothing else between.
_ISOLATED = re.compile("[\u2067\u2068]([^\u2066-\u2069]*)\u2069")


def _at_cell(row: str, cells: int) -> int:
    """The index in ``row`` of what is drawn from its cell ``cells`` on."""
    return next(i for i in range(len(row) + 1) if cell_len(row[:i]) >= cells)


def _read_alone(row: str) -> str:
    """``row`` as it reads when each isolated field in it reads on its own, right to left."""
    return logical(_ISOLATED.sub(lambda m: drawn(m.group(1), base_dir="R"), row))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_every_row_of_a_toast_over_right_to_left_rows_reads_right(
    supportinbox_home: Path, dovecot: Dovecot, size: tuple[int, int]
) -> None:
    raws = [
        make_message(
            sender="محمد الأحمد <mohammed@customer.test>",
            subject=ARABIC_SUBJECT,
            body="مرحبا، لم يكتمل الطلب.",
            message_id="<first@customer.test>",
        ),
        *(
            make_message(
                sender=f"Customer {n} <c{n}@customer.test>",
                subject=subject,
                body=f"Question number {n} about something else entirely.",
                message_id=f"<m{n}@customer.test>",
            )
            for n, subject in enumerate(OTHERS)
        ),
    ]
    async with synced_app(supportinbox_home, dovecot, raws, size, notifications=True) as (app, pilot):
        await select_subject(pilot, "PayPal")
        for _ in range(3):  # three toasts, stacked up over the queue's rows
            await pilot.press("c")
            await pilot.pause()
        await wait_until(pilot, lambda: len(app.screen.query(Toast)) == 3)
        await pilot.pause()
        screen = [strip.text for strip in app.screen._compositor.render_strips()]
        rows, parts = [], []
        for toast in app.screen.query(Toast):
            for row in screen[toast.region.y : toast.region.bottom]:
                edge = _at_cell(row, toast.region.x)
                rows.append(row)
                parts.append((row[:edge], row[edge:]))
        # The queue's isolated subjects under the toasts, their pops covered by them.
        assert any(under.count("\u2068") > under.count("\u2069") for under, _ in parts), rows
        said = " ".join(logical(part).strip(" ▌") for _, part in parts)
        assert "Closed: مشكلة" in said, said
        for row, (_, part) in zip(rows, parts, strict=True):
            # Nothing of the row beneath takes the toast's row into its run.
            assert drawn(row).endswith(drawn(part)), drawn(row)
            # What the row shows of a subject is isolated on the row, and reads as it would alone.
            assert not has_right_to_left(_ISOLATED.sub("", part)), part
            assert drawn(part) == _read_alone(part), drawn(part)
        if size == (80, 24):
            assert sum(has_right_to_left(part) for _, part in parts) > 1, rows  # the subject wrapped
