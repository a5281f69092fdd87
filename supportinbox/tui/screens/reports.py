"""``R``: how support is going, with charts: volume and backlog per day, first reply times, SLA,
and what customers asked more than before (the topics of ``report topics``).

The report is computed in a worker thread (its own connection to the cache); ``[`` and
``]`` change the period, ``b`` the grouping of the table, Escape goes back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, cast

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from supportinbox.domain.report import (
    GROUPINGS,
    Grouping,
    Report,
    percent_text,
    summary_lines,
    table_cells,
)
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.widgets.day_chart import DayChart
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from supportinbox.domain.topics import Topic

PERIODS: tuple[tuple[str, timedelta], ...] = (
    ("7 days", timedelta(days=7)),
    ("30 days", timedelta(days=30)),
    ("90 days", timedelta(days=90)),
    ("365 days", timedelta(days=365)),
)
BAR_WIDTH = 24


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``value`` against ``top`` in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(width * 8 * value / top))
    full, rest = divmod(eighths, 8)
    return "█" * full + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[rest]


def _table(report: Report) -> Table:
    """The report's rows, newest day first; a column with nothing in any row is left out."""
    rows = report.rows
    if report.grouping in ("day", "week"):
        rows = [r for r in reversed(rows) if r.messages_in or r.replies_out or r.closed]
    headers, cells = table_cells(report, rows)
    table = Table(show_edge=False, pad_edge=False, expand=False)
    table.add_column(safe.column(report.grouping), min_width=10)
    for header in headers:
        # A header or a time of two words may wrap ("1h" over "11m"); a count never does.
        table.add_column(safe.column(header), justify="right", no_wrap=" " not in header)
    for row, line in zip(rows, cells, strict=True):
        table.add_row(safe.cell(row.key, limit=24), *(safe.cell(cell) for cell in line))
    return table


def _topics(topics: list[Topic], period: str) -> Group:
    """The topics that grew, as ``report topics`` lists them: customers now and before."""
    table = Table(show_edge=False, pad_edge=False, expand=False)
    table.add_column(safe.column("topic"))
    table.add_column(safe.column("customers"), justify="right")
    table.add_column(safe.column("before"), justify="right")
    for topic in topics:
        table.add_row(
            safe.cell(topic.phrase, limit=40), safe.cell(str(topic.now)), safe.cell(str(topic.before))
        )
    # The title over the whole width: a table's own title wraps to the width of its columns.
    return Group(safe.heading(f"What customers asked more in the last {period}"), FitTable(table))


class FitTable:
    """A table that drops the space around its cells when it is wider than the screen.

    The rules between the cells still part them, and every figure stays whole where
    the table would otherwise be cut at the edge or scrolled sideways.
    """

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.table.padding = (0, 1)
        wide = console.measure(self.table, options=options.update_width(10_000)).maximum
        if wide > options.max_width:
            self.table.padding = (0, 0)
        yield self.table


class ReportsScreen(AppScreen):
    """Figures and charts of the last days; keys change the period and the grouping."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back", id="reports_back", tooltip="Back to the inbox"),
        Binding(
            "left_square_bracket", "period(-1)", "Shorter", id="reports_shorter", tooltip="A shorter period"
        ),
        Binding(
            "right_square_bracket", "period(1)", "Longer", id="reports_longer", tooltip="A longer period"
        ),
        Binding("b", "grouping", "Group by", id="reports_grouping", tooltip="Day, week, agent or tag"),
    ]

    def __init__(self, period: int = 1, grouping: Grouping = "day") -> None:
        super().__init__(id="reports")
        self._period = period
        self._grouping: Grouping = grouping

    def compose(self) -> ComposeResult:
        service = self.inbox_app.service
        yield Static(id="reports-title")
        with VerticalScroll(id="reports-body"):
            # Label and value columns: a long value wraps under itself, not under its label.
            yield Grid(id="reports-summary")
            with Horizontal(id="reports-charts"):
                with Vertical(classes="reports-chart"):
                    yield Static(safe.line("Customer messages per day", style="bold"), classes="chart-title")
                    yield DayChart(id="chart-in")
                    yield Static(
                        safe.line("Backlog at the end of each day", style="bold"), classes="chart-title"
                    )
                    yield DayChart(id="chart-backlog")
                    yield Static(safe.line("Replies per day", style="bold"), classes="chart-title")
                    yield DayChart(id="chart-out")
                yield Static(id="reports-bars", classes="reports-chart")
            yield Static(id="reports-table")
            yield Static(id="reports-topics")
        yield StatusBar(service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self._load()

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    def _load(self) -> None:
        label, _ = PERIODS[self._period]
        self.query_one("#reports-title", Static).update(
            safe.assemble(
                ("Reports", "bold"),
                f" · last {label} · by {self._grouping}",
                ("   [ ] period · b grouping · Esc back", "$text-muted"),
            )
        )
        self._compute(self._period, self._grouping)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="report", description="Computing the report"
    )
    def _compute(self, period: int, grouping: Grouping) -> tuple[int, Grouping, Report, list[Topic]]:
        service, since = self.inbox_app.service, PERIODS[period][1]
        return period, grouping, service.report(since, grouping), service.topics(since)

    @on(Worker.StateChanged)
    def _computed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "report":
            return
        if event.state == WorkerState.ERROR:
            self.inbox_app.worker_failed(worker)
        elif event.state == WorkerState.SUCCESS:
            period, grouping, report, topics = cast(
                "tuple[int, Grouping, Report, list[Topic]]", worker.result
            )
            if (period, grouping) == (self._period, self._grouping):
                self._show(report, topics)

    def _show(self, report: Report, topics: list[Topic]) -> None:
        policy = self.inbox_app.service.sla_policy()
        summary = self.query_one("#reports-summary", Grid)
        with self.app.batch_update():
            summary.remove_children()
            summary.mount_all(
                cell
                for label, text in summary_lines(report, policy)
                for cell in (
                    Static(safe.line(label, style="bold"), classes="summary-label"),
                    Static(safe.line(text), classes="summary-value"),
                )
            )
        days = report.days
        self.query_one("#chart-in", DayChart).data = [float(d.messages_in or 0) for d in days]
        self.query_one("#chart-out", DayChart).data = [float(d.replies_out) for d in days]
        self.query_one("#chart-backlog", DayChart).data = [float(d.backlog or 0) for d in days]
        self.query_one("#reports-bars", Static).update(self._bars(report))
        table = _table(report)
        self.query_one("#reports-table", Static).update(
            FitTable(table)
            if table.row_count
            else safe.line("Nothing happened in this period.", style="$text-muted")
        )
        label, _ = PERIODS[self._period]
        self.query_one("#reports-topics", Static).update(
            _topics(topics, label)
            if topics
            else safe.line(f"No topic grew in the last {label}.", style="$text-muted")
        )

    def _bars(self, report: Report) -> Content:
        """First reply times and SLA met, as bars (text from no mail: labels are ours)."""
        top = max((count for _, count in report.response_bins), default=0)
        title = "First reply times" + (" (business)" if report.business_hours else "")
        parts = [safe.line(title, style="bold")]
        for label, count in report.response_bins:
            parts.append(safe.assemble(f"{label:>5} ", (bar(count, top), "$accent"), f" {count}"))
        parts.append(safe.line("SLA met", style="bold"))
        for label, rate in (
            ("first", report.sla_first_reply),
            ("next", report.sla_next_reply),
            ("resol.", report.sla_resolution),
        ):
            share = rate.percent
            style = "$success" if share is not None and share >= 90 else "$warning"
            parts.append(
                safe.assemble(f"{label:>6} ", (bar(share or 0, 100, 17), style), f" {percent_text(share)}")
            )
        return safe.join("\n", parts)

    def action_period(self, step: int) -> None:
        self._period = max(0, min(len(PERIODS) - 1, self._period + step))
        self._load()

    def action_grouping(self) -> None:
        self._grouping = GROUPINGS[(GROUPINGS.index(self._grouping) + 1) % len(GROUPINGS)]
        self._load()

    def refresh_from_cache(self) -> None:
        self._load()

    def action_back(self) -> None:
        self.dismiss(None)
