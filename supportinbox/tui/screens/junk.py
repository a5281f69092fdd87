"""Junk review: messages in the spam folder that look like real customers, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from supportinbox.domain.safetext import one_line
from supportinbox.store.junk import JunkSuspect
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.widgets.junk_list import JunkList
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.reason_line import ReasonLine
from supportinbox.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    pass


def suspect_reasons(suspect: JunkSuspect | None) -> Content:
    """``Why: replied to before · DKIM pass ...`` for the suspect under the cursor."""
    if suspect is None:
        return safe.line("No real customers found in the spam folder.", style="$text-muted")
    why = " · ".join(one_line(r) for r in suspect.reasons) or "no signs either way"
    return safe.assemble(("Why: ", "bold"), (why, "$text-success" if suspect.suspect else "$text-muted"))


class JunkScreen(AppScreen):
    """Suspects with their reasons; ``!`` rescues the one under the cursor."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back", id="junk_back", tooltip="Back to the inbox"),
    ]

    def compose(self) -> ComposeResult:
        service = self.inbox_app.service
        yield Static(
            safe.line("Junk review — real customers caught by the spam filter", style="bold"), id="junk-title"
        )
        yield JunkList(service, id="junk")
        yield ReasonLine(id="reasons")
        yield StatusBar(service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self.refresh_from_cache()
        self.query_one(JunkList).focus()

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    def refresh_from_cache(self) -> None:
        self.query_one(JunkList).reload()

    @on(JunkList.Highlighted)
    def _highlighted(self, event: JunkList.Highlighted) -> None:
        self.query_one(ReasonLine).content = suspect_reasons(event.suspect)

    def action_back(self) -> None:
        self.dismiss(None)
