"""The Reports screen: opened with R or the palette, keys change period and grouping, Escape leaves."""

from __future__ import annotations

from textual.widgets import DataTable, Sparkline, Static

from supportinbox.tui.screens.reports import ReportsScreen, bar
from tests.tui.support import SIZE, demo_app, pilot_test, settle


def test_bars_are_proportional() -> None:
    assert bar(0, 10) == ""
    assert bar(10, 10, width=4) == "████"
    assert bar(5, 10, width=4) == "██"
    assert bar(1, 100, width=4) == "▏"  # never invisible when there is something


@pilot_test
async def test_reports_keys_period_grouping_and_back() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        title = str(screen.query_one("#reports-title", Static).render())
        assert "last 30 days · by day" in title
        summary = " ".join(str(cell.render()) for cell in screen.query("#reports-summary Static"))
        assert "replies out" in summary and "First reply" in summary
        # The demo has weeks of history: replies on many days, and a table of them.
        assert sum(1 for v in screen.query_one("#chart-out", Sparkline).data or [] if v) >= 10
        assert screen.query_one("#reports-table", DataTable).row_count >= 10
        await pilot.press("right_square_bracket", "b")
        await settle(pilot)
        assert "last 90 days · by week" in str(screen.query_one("#reports-title", Static).render())
        await pilot.press("b")
        await settle(pilot)
        table = screen.query_one("#reports-table", DataTable)
        agents = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"alex", "sam", "(other client)"} <= agents
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert "last 7 days" in str(screen.query_one("#reports-title", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReportsScreen)
