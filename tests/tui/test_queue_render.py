"""The queue redraws only the rows a cursor move changes, and draws them right."""

from __future__ import annotations

from typing import Any

import pytest
from textual.strip import Strip
from textual.widgets import DataTable

from tests.tui.support import SIZE, demo_app, pilot_test, queue, settle


def _rows(table: DataTable[Any], count: int) -> list[Strip]:
    """The first ``count`` rows as drawn (line 0 is the header)."""
    return [table.render_line(y) for y in range(1, count + 1)]


@pilot_test
async def test_a_cursor_move_restyles_the_row_left_and_the_row_entered() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        before = _rows(table, 4)
        await pilot.press("j")
        moved = _rows(table, 4)
        assert moved[0] != before[0] and moved[1] != before[1]
        assert [s.text for s in moved] == [s.text for s in before]  # only the styles changed
        assert moved[2:] == before[2:]
        await pilot.press("k")
        assert _rows(table, 4) == before


@pilot_test
async def test_scrolling_by_a_row_renders_the_cells_of_two_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    app = demo_app()
    async with app.run_test(size=(120, 16)) as pilot:  # room for about nine rows
        await settle(pilot)
        table = queue(app)
        assert table.total > 15
        await pilot.press(*["j"] * 12)  # the table has scrolled: each move scrolls it a row
        await pilot.pause()
        assert table.scroll_offset.y > 0
        rendered: list[int] = []
        render_cell = type(table)._render_cell

        def counting(self: DataTable[Any], row_index: int, *args: Any, **kwargs: Any) -> Any:
            rendered.append(row_index)
            return render_cell(self, row_index, *args, **kwargs)  # type: ignore[arg-type]

        # DataTable's cell renderer is private; counting its calls is the only way to see
        # how much of the table a key press draws again.
        scrolled = table.scroll_offset.y
        monkeypatch.setattr(type(table), "_render_cell", counting)
        await pilot.press("j")
        await pilot.pause()
        assert table.position == 13 and table.scroll_offset.y == scrolled + 1
        # The row the cursor left and the row it entered; every other row comes from the cache.
        assert set(rendered) == {12, 13}, sorted(set(rendered))


@pilot_test
async def test_after_a_theme_change_the_queue_is_drawn_as_if_started_in_that_theme() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "k")  # lines of several rows cached in the dark theme
        before = _rows(queue(app), 6)
        await pilot.press("T")
        await settle(pilot)
        assert app.theme == "textual-light"
        toggled = _rows(queue(app), 6)
    fresh = demo_app('[ui]\ntheme = "textual-light"\n')
    async with fresh.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        assert _rows(queue(fresh), 6) == toggled != before


@pilot_test
async def test_a_cell_is_drawn_as_datatable_draws_it() -> None:
    """The queue renders a cell once per look and adds its place after (for mouse clicks):
    segment for segment what DataTable's own renderer gives, cursor and hover included."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        await pilot.press("6")  # every conversation: Arabic, Persian, hostile names, each status
        await settle(pilot)
        assert table.row_count > 20
        compared = 0
        for row in range(table.row_count):
            for column, spec in enumerate(table.ordered_columns):
                width = spec.get_render_width(table)
                for cursor, hover in ((False, False), (True, False), (False, True), (True, True)):
                    ours = table._render_cell(row, column, table.rich_style, width, cursor, hover)
                    theirs = DataTable._render_cell(
                        table, row, column, table.rich_style, width, cursor, hover
                    )
                    assert ours == theirs, (row, column, cursor, hover)
                    assert [s.style.meta for s in ours[0] if s.style] == [
                        {"row": row, "column": column} for s in ours[0] if s.style
                    ]
                    compared += 1
        assert compared == table.row_count * len(table.ordered_columns) * 4


@pilot_test
async def test_a_click_on_a_row_puts_the_cursor_on_that_conversation() -> None:
    """The row and column a cell carries for the mouse are its own, not those of the first
    row that looked the same (cells are rendered once per look)."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        region = table.content_region
        for row in (4, 2, 7):
            await pilot.click(offset=(region.x + 3, region.y + 1 + row))  # line 0 is the header
            await pilot.pause()
            assert table.cursor_row == row and table.position == row
            assert table.current is not None


@pilot_test
async def test_nobody_waits_on_a_closed_conversation() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        assert "Waiting" in [str(c.label) for c in table.ordered_columns]
        await pilot.press("4")  # Closed
        await settle(pilot)
        assert table.total > 0
        assert "Waiting" not in [str(c.label) for c in table.ordered_columns]
        await pilot.press("6", "G")  # All, to its closed end
        await settle(pilot)
        labels = [str(c.label) for c in table.ordered_columns]
        row = table.get_row_at(table.cursor_row)
        assert str(row[labels.index("Status")]) == "closed"
        assert str(row[labels.index("Waiting")]) == ""
