"""Dialogs and toasts over the queue leave nothing in the cells beside them.

A box drawn over a row that isolates a right-to-left field closes the isolate (see
tests/tui/test_right_to_left_toasts.py). It did so with a pop at the start of each of its
own rows, written just after the cursor moved there: a terminal puts a zero-width
character into the cell before the cursor, one the row beneath drew. tmux showed "⁩" left
of every dialog and toast, and each redraw of the box added one more to that cell.

Here the app's output is written to a grid of cells kept as tmux keeps them
(tests/harness/terminal.py): a full redraw, then redraws of the boxes alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets._toast import Toast

from supportinbox.domain.safetext import POP_DIRECTIONAL_ISOLATE
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.compositor import open_isolates
from supportinbox.tui.widgets.dialog import Dialog
from tests.harness.dovecot import Dovecot
from tests.harness.terminal import Terminal
from tests.tui.support import demo_app, pilot_test, select_subject, settle, synced_app, wait_until
from tests.tui.test_right_to_left_toasts import ARABIC_SUBJECT, OTHERS, make_message


def _drawn_again(app: SupportInboxApp, boxes: list[Widget], size: tuple[int, int]) -> Terminal:
    """The screen written to a terminal whole, then each box drawn again alone, three times
    (a key typed in a dialog, a toast's timer): asserted to leave the cells as a whole
    redraw leaves them."""
    compositor = app.screen._compositor
    stack = app._background_screens
    terminal = Terminal(*size)
    terminal.feed(compositor.render_update(full=True, screen_stack=stack).render_segments(app.console))  # type: ignore[union-attr]
    whole = [terminal.row(y) for y in range(size[1])]
    for _ in range(3):
        compositor._dirty_regions.update(box.region for box in boxes)  # as a box's refresh does
        update = compositor.render_update(screen_stack=stack)
        assert update is not None
        terminal.feed(update.render_segments(app.console))  # type: ignore[attr-defined]
    assert [terminal.row(y) for y in range(size[1])] == whole  # nothing piled up
    return terminal


def _left_of_boxes_holds_only_the_row(terminal: Terminal, boxes: list[Widget]) -> int:
    """The cell left of each box row holds what the row beneath drew there, and a pop only
    where the covered row leaves an isolate open; how many rows needed one."""
    closed = 0
    for box in boxes:
        x = box.region.x
        assert x > 0
        for y in box.region.line_range:
            left = terminal.cells[y][x - 1]
            drawn = left.rstrip(POP_DIRECTIONAL_ISOLATE)
            before = "".join(terminal.cells[y][: x - 1]) + drawn
            assert len(left) - len(drawn) == open_isolates(before), (y, terminal.row(y))
            assert not terminal.cells[y][x].startswith(POP_DIRECTIONAL_ISOLATE), terminal.row(y)
            closed += open_isolates(before) > 0
    return closed


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_a_dialog_over_the_queue_leaves_the_cells_beside_it_alone(size: tuple[int, int]) -> None:
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await select_subject(pilot, "عاجل")  # an Arabic subject, isolated in its row
        await pilot.press("z")
        await wait_until(pilot, lambda: bool(app.screen.query(Dialog)))
        await settle(pilot)
        boxes: list[Widget] = list(app.screen.query(Dialog))
        terminal = _drawn_again(app, boxes, size)
        _left_of_boxes_holds_only_the_row(terminal, boxes)
        assert POP_DIRECTIONAL_ISOLATE not in "".join(
            terminal.cells[y][boxes[0].region.x - 1] for y in range(size[1])
        )


@pytest.mark.server
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_toasts_over_right_to_left_rows_close_them_in_their_own_cells(
    supportinbox_home: Path, dovecot: Dovecot, size: tuple[int, int]
) -> None:
    raws = [
        make_message(sender="محمد الأحمد <mohammed@customer.test>", subject=ARABIC_SUBJECT),
        *(
            make_message(sender=f"Customer {n} <c{n}@customer.test>", subject=subject)
            for n, subject in enumerate(OTHERS)
        ),
    ]
    async with synced_app(supportinbox_home, dovecot, raws, size, notifications=True) as (app, pilot):
        await select_subject(pilot, "PayPal")
        for _ in range(3):
            await pilot.press("c")
            await pilot.pause()
        await wait_until(pilot, lambda: len(app.screen.query(Toast)) == 3)
        await pilot.pause()
        boxes: list[Widget] = list(app.screen.query(Toast))
        terminal = _drawn_again(app, boxes, size)
        closed = _left_of_boxes_holds_only_the_row(terminal, boxes)
        if size == (80, 24):  # rows whose isolated subject a toast cuts: closed in its own last cell
            assert closed > 0
