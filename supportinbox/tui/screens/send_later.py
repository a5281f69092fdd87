"""Send later: when the reply should leave (``tomorrow 09:00``, ``2h``, ``next business hour``).

Returns the moment (UTC) or ``None`` when cancelled. The reply then waits in the outbox
and is kept as a draft instead if the customer writes again before it leaves.
"""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label

from supportinbox.config import HoursConfig
from supportinbox.domain.safetext import one_line
from supportinbox.domain.sendtime import EXAMPLES, parse_send_choice
from supportinbox.domain.when import when_words
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppModal
from supportinbox.tui.widgets.dialog import Dialog


class SendLaterModal(AppModal[datetime | None]):
    """Pick the time a reply leaves; the line below says when that is, or why it is not one."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", "Cancel", id="send_later_cancel", priority=True),
    ]

    def __init__(self, recipient: str, now: datetime, hours: HoursConfig | None) -> None:
        super().__init__(classes="modal")
        self._recipient = recipient
        self._now = now
        self._hours = hours

    def compose(self) -> ComposeResult:
        business = parse_send_choice("next business hour", self._now, self._hours) is not None
        with Dialog(classes="dialog"):
            yield Label(safe.title("Send later to ", self._recipient, missing=""), classes="dialog-title")
            yield Input(
                value="next business hour" if business else "tomorrow 09:00",
                placeholder=EXAMPLES + (", next business hour" if self._hours else ""),
                id="send-when",
            )
            yield Label(id="send-later-when", classes="dialog-body")
            yield Label(
                safe.line(
                    "It waits in the outbox; if the customer writes first, it is kept there as a "
                    "draft. Enter schedules, Escape goes back to the reply."
                ),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._show(self.query_one("#send-when", Input).value)
        self.query_one("#send-when", Input).focus()

    def _chosen(self, text: str) -> datetime | None:
        return parse_send_choice(text, self._now, self._hours)

    def _show(self, text: str) -> None:
        moment = self._chosen(text)
        label = self.query_one("#send-later-when", Label)
        if moment is None:
            others = "next business hour, " if self._hours else ""
            label.update(
                safe.line(
                    f"{one_line(text, limit=30)!r} is not a time ahead: try {others}2h, 09:00, mon 9:30"
                )
            )
        else:
            label.update(safe.assemble("Leaves ", (when_words(moment, self._now), "bold")))

    @on(Input.Changed, "#send-when")
    def _typed(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#send-when")
    def _submitted(self, event: Input.Submitted) -> None:
        moment = self._chosen(event.value)
        if moment is None:
            self.app.bell()
            return
        self.dismiss(moment)

    def action_cancel(self) -> None:
        self.dismiss(None)
