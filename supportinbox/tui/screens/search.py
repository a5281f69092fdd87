"""``/``: search the cache as you type (words, from:, status:, owner:, is:urgent, is:unread)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.when import count_of
from supportinbox.errors import UserError
from supportinbox.tui import safe
from supportinbox.tui.screens.actions import ConversationActions
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.queue_table import QueueSource, QueueTable
from supportinbox.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    pass

RESULT_LIMIT = 500
DEBOUNCE_SECONDS = 0.15


class SearchScreen(ConversationActions):
    """A search box over the results table; results update on every key."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back", id="search_back", tooltip="Back to the inbox"),
        Binding("enter", "open", "Open", id="search_open", tooltip="Read the conversation"),
        Binding("down", "results", "Results", show=False, id="search_results"),
        *ConversationActions.ACTION_BINDINGS,
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__(id="search")
        self._query = query
        self._results: list[ConversationSummary] = []

    def compose(self) -> ComposeResult:
        service = self.inbox_app.service
        yield Input(
            self._query,
            placeholder="search: words, from:anna, status:closed, owner:me, is:urgent, is:unread",
            id="search-box",
        )
        yield Static(id="search-hint")
        yield QueueTable(now=service.now, id="results")
        yield StatusBar(service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self._run(self._query)
        self.query_one(Input).focus()

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    @on(Input.Changed, "#search-box")
    def _typed(self, event: Input.Changed) -> None:
        self._run(event.value)

    def _run(self, query: str) -> None:
        self._query = query
        if query.strip():
            self._search(query)
        else:
            self._show(query, [], "Type to search every cached message.")

    @work(thread=True, exclusive=True, exit_on_error=False, group="search", description="Searching")
    def _search(self, query: str) -> tuple[str, list[ConversationSummary], str]:
        # A short pause first: while the user is still typing, this worker is replaced
        # (exclusive) before it ever touches the index.
        time.sleep(DEBOUNCE_SECONDS)
        if get_current_worker().is_cancelled:
            return query, [], ""
        try:
            results = self.inbox_app.service.search_fresh(query, limit=RESULT_LIMIT)
        except UserError as exc:
            return query, [], exc.message
        found = count_of(len(results), "conversation")
        return query, results, f"the first {found}" if len(results) >= RESULT_LIMIT else found

    @on(Worker.StateChanged)
    def _searched(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "search":
            return
        if event.state == WorkerState.ERROR:
            self.inbox_app.worker_failed(worker)
        elif event.state == WorkerState.SUCCESS and not worker.is_cancelled:
            query, results, hint = cast("tuple[str, list[ConversationSummary], str]", worker.result)
            if query == self._query:
                self._show(query, results, hint)

    def _show(self, query: str, results: list[ConversationSummary], hint: str) -> None:
        del query
        self.query_one("#search-hint", Static).update(safe.line(hint, style="$text-muted"))
        self._results = results
        table = self.query_one(QueueTable)
        # The same search run again (after a change) keeps the cursor on its conversation.
        current = table.current
        position = next((i for i, r in enumerate(results) if current and r.id == current.id), 0)
        table.show(
            QueueSource(
                count=lambda: len(results), page=lambda offset, limit: results[offset : offset + limit]
            ),
            position=position,
        )

    def refresh_from_cache(self) -> None:
        self._run(self._query)

    def current_summary(self) -> ConversationSummary | None:
        return self.query_one(QueueTable).current

    @on(Input.Submitted)
    def _submitted(self) -> None:
        if self._results:
            self.query_one(QueueTable).focus()

    def action_results(self) -> None:
        self.query_one(QueueTable).focus()

    @on(QueueTable.RowSelected)
    def action_open(self) -> None:
        summary = self.current_summary()
        if summary is not None:
            from supportinbox.tui.screens.conversation import ConversationScreen

            self.app.push_screen(
                ConversationScreen(summary.id, neighbours=self.query_one(QueueTable).step_from)
            )

    def action_back(self) -> None:
        self.dismiss(None)
