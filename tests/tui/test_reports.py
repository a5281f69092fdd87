"""The Reports screen: opened with R or the palette, keys change period and grouping, Escape leaves."""

from __future__ import annotations

import re
from datetime import timedelta

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from supportinbox.tui.screens.reports import ReportsScreen, bar
from supportinbox.tui.widgets.day_chart import DayChart, chart_rows, columns_of, figure
from tests.tui.support import SIZE, demo_app, pilot_test, settle


def shown_lines(box: Static) -> list[str]:
    """What ``box`` shows, one string per screen line."""
    return [strip.text.rstrip() for strip in box.render_lines(box.region.reset_offset)]


def table_lines(screen: ReportsScreen) -> list[str]:
    """The report table as the user sees it, one string per screen line."""
    return shown_lines(screen.query_one("#reports-table", Static))


async def open_reports(pilot: Pilot[None], app: App[None]) -> ReportsScreen:
    """Press R on the inbox and wait for the report."""
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ReportsScreen)
    return screen


def test_bars_are_proportional() -> None:
    assert bar(0, 10) == ""
    assert bar(10, 10, width=4) == "████"
    assert bar(5, 10, width=4) == "██"
    assert bar(1, 100, width=4) == "▏"  # never invisible when there is something


def test_chart_bars_start_at_zero() -> None:
    """Bars stretched from the smallest value drew 5 as empty and 6 as full."""
    top, bottom = chart_rows([5, 6], width=2)
    assert bottom == "██" and top == "▅█"  # 5 of 6: 13 of 16 eighths
    assert chart_rows([0, 3], width=2) == [" █", " █"]  # nothing is nothing
    assert chart_rows([1, 100], width=2) == [" █", "▁█"]  # something is never invisible


def test_chart_columns_are_days_or_the_busiest_day_of_a_group() -> None:
    assert columns_of([1, 2, 3], width=7) == [1, 1, 2, 2, 3, 3]  # two columns a day
    assert columns_of([1, 5, 2, 0, 0, 7], width=3) == [5, 2, 7]
    assert len(columns_of(list(range(365)), width=33)) == 33
    assert (figure(21), figure(2.5), figure(1234), figure(12_345)) == ("21", "2.5", "1.2k", "12k")


def chart_lines(chart: DayChart) -> list[str]:
    return [strip.text for strip in chart.render_lines(chart.region.reset_offset)]


@pilot_test
async def test_every_chart_says_its_scale_at_80_columns() -> None:
    """A reader could not tell what a bar's height meant: each chart now says the figure
    a full column stands for, and 0 at its foot."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reports(pilot, app)
        for name in ("chart-in", "chart-backlog", "chart-out"):
            chart = screen.query_one(f"#{name}", DayChart)
            top = max(chart.data)
            assert top >= 2, (name, chart.data)
            head, foot = chart_lines(chart)
            assert head.startswith(f"{top:g}▕") and foot.lstrip().startswith("0▕"), (head, foot)
            assert chart.region.right <= 80 and len(head) == len(foot) <= chart.size.width
            # The busiest day is a full column; a day with nothing is empty.
            days = [column for column, _ in enumerate(head) if column > len(f"{top:g}")]
            assert any(head[c] == "█" and foot[c] == "█" for c in days)
            if 0 in chart.data:
                assert any(head[c] == " " and foot[c] == " " for c in days)


@pilot_test
async def test_reports_keys_period_grouping_and_back() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot, app)
        title = str(screen.query_one("#reports-title", Static).render())
        assert "last 30 days · by day" in title
        summary = " ".join(str(cell.render()) for cell in screen.query("#reports-summary Static"))
        assert "replies out" in summary and "First reply" in summary
        # The demo has weeks of history: replies on many days, and a table of them.
        assert sum(1 for v in screen.query_one("#chart-out", DayChart).data if v) >= 10
        assert sum(1 for line in table_lines(screen) if line.startswith("20")) >= 10
        await pilot.press("right_square_bracket", "b")
        await settle(pilot)
        assert "last 90 days · by week" in str(screen.query_one("#reports-title", Static).render())
        await pilot.press("b")
        await settle(pilot)
        agents = {line.split("│")[0].strip() for line in table_lines(screen)[2:]}
        assert {"alex", "sam", "(other client)"} <= agents
        # As the command line's table: no column left blank in every agent's row.
        labels = [cell.strip() for cell in table_lines(screen)[0].split("┃")]
        assert labels[:3] == ["agent", "out", "closed"] and "backlog" not in labels, labels
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert "last 7 days" in str(screen.query_one("#reports-title", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReportsScreen)


@pilot_test
async def test_every_figure_of_the_table_is_whole_at_80_columns() -> None:
    """At 80x24 no column is cut at the edge, and an agent's row has no customer counts."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reports(pilot, app)
        for grouping in ("day", "week", "agent", "tag"):
            assert f"by {grouping}" in str(screen.query_one("#reports-title", Static).render())
            lines = table_lines(screen)
            width = screen.query_one("#reports-table", Static).size.width
            assert width <= 80 - 2 and all(len(line) <= width for line in lines), lines
            assert not any("…" in line for line in lines), lines
            header = [cell.strip() for cell in lines[0].split("┃")]
            for column in ("out", "closed", "1st reply", "1st p90", "resolved in", "SLA met"):
                assert column in header, (grouping, lines)
            assert ("backlog" in header) == (grouping in ("day", "week")), (grouping, lines)
            rows = [line.split("│") for line in lines[2:]]
            assert rows and all(len(cells) == len(header) for cells in rows), lines
            # Customers write to the team: an agent's row says nothing of new and in.
            assert ("new" in header and "in" in header) == (grouping != "agent"), (grouping, lines)
            await pilot.press("b")
            await settle(pilot)


def _summary(screen: ReportsScreen) -> str:
    return " ".join(str(cell.render()) for cell in screen.query("#reports-summary Static"))


@pilot_test
async def test_a_close_shows_in_the_report_at_once() -> None:
    """The report was made at the moment the queue's clock was last applied (up to a minute
    back): a close made since was left out of the backlog until the next tick."""
    from supportinbox.cli.tui_cmds import build_demo_app
    from supportinbox.config import Config
    from tests.tui.support import NOW, first_conversation

    clock = [NOW]
    app = build_demo_app(Config(), now=lambda: clock[0])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        before = _summary(app.screen)
        await pilot.press("escape")
        await settle(pilot)
        clock[0] = NOW + timedelta(seconds=40)  # before the next tick of the queue's clock
        await first_conversation(pilot)
        await pilot.press("c")
        await settle(pilot)
        clock[0] += timedelta(seconds=1)
        await pilot.press("R")
        await settle(pilot)
        after = _summary(app.screen)
    closed, waiting = (re.search(r"(\d+) closed", before), re.search(r"Backlog (\d+) waiting", before))
    assert closed and waiting, before
    assert f"{int(closed[1]) + 1} closed" in after, (before, after)
    assert f"Backlog {int(waiting[1]) - 1} waiting" in after, (before, after)


@pilot_test
async def test_the_reports_say_what_customers_asked_more_than_before() -> None:
    """What customers ask most was only in 'report topics': the screen lists it under the
    table, as the command line does, customers now and before, for the period shown."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reports(pilot, app)
        box = screen.query_one("#reports-topics", Static)
        lines = shown_lines(box)
        assert lines[0].strip() == "What customers asked more in the last 30 days", lines
        rows = {cells[0].strip(): cells[1:] for line in lines[3:] if len(cells := line.split("│")) == 3}
        # The demo's export questions: 11 customers, 8 of them about the CSV export; none before.
        assert [c.strip() for c in rows["export"]] == ["11", "0"], lines
        assert [c.strip() for c in rows["csv export"]] == ["8", "0"], lines
        assert box.size.width <= 80 - 2 and all(len(line) <= box.size.width for line in lines)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        lines = shown_lines(box)
        assert "last 7 days" in lines[0], lines
