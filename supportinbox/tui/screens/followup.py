"""The follow-up modal: when the conversation comes back, and what was promised.

Returns a :class:`FollowUpChoice` (``due`` ``None``: remove the follow-up) or ``None``
when cancelled. Times are typed as for a snooze: ``3d``, ``tomorrow``, ``monday``,
``YYYY-MM-DD HH:MM``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Label

from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import when_words
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppModal
from supportinbox.tui.screens.modals import snooze_until
from supportinbox.tui.widgets.dialog import Dialog

if TYPE_CHECKING:
    from textual.content import Content

DEFAULT_WHEN = "3d"


@dataclass(frozen=True)
class FollowUpChoice:
    due: datetime | None
    note: str = ""


class FollowUpModal(AppModal[FollowUpChoice | None]):
    """Set (or remove) the follow-up of one conversation."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", "Cancel", id="followup_cancel", priority=True),
        Binding("ctrl+s", "save", "Set follow-up", id="followup_save", priority=True),
    ]

    def __init__(self, subject: str, now: datetime, current: str | None = None, note: str = "") -> None:
        super().__init__(classes="modal")
        self._subject = subject
        self._now = now
        self._current = current
        self._note = note  # what the follow-up in force promised: moving it keeps that

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.title("Follow up: ", self._subject), classes="dialog-title")
            if self._current:
                yield Label(safe.line(f"Set for {self._current}"), id="followup-current")
            # The time comes first and has the focus, its default selected: typing replaces it.
            yield Label(self._when_said(DEFAULT_WHEN), id="followup-when")
            yield Input(value=DEFAULT_WHEN, placeholder="3d, tomorrow, monday, YYYY-MM-DD 09:00", id="when")
            yield Input(self._note, placeholder="what you promised (shown when it comes due)", id="note")
            yield Label(
                safe.line(
                    "It comes back into the queue then, unless the customer writes first. "
                    "Enter: next field, then set · Escape: cancel"
                ),
                id="followup-hint",
                classes="dialog-hint",
            )
            if self._current:
                yield Button("Remove the follow-up", id="remove")

    def on_mount(self) -> None:
        self.query_one("#when", Input).focus()

    def _when_said(self, when: str) -> Content:
        due = snooze_until(when, self._now)
        if due is None:
            return safe.line("Comes back: type a time ahead")
        return safe.line(f"Comes back {when_words(due, self._now)}")

    @on(Input.Changed, "#when")
    def _when_changed(self, event: Input.Changed) -> None:
        self.query_one("#followup-when", Label).update(self._when_said(event.value))

    @on(Input.Submitted, "#when")
    def _when_submitted(self) -> None:
        # What was promised is the next thing to say; an empty promise is allowed.
        if snooze_until(self.query_one("#when", Input).value, self._now) is None:
            self.action_save()  # explains the time
        else:
            self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def _note_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        when = self.query_one("#when", Input).value
        due = snooze_until(when, self._now)
        if due is None:
            self.query_one("#followup-hint", Label).update(
                safe.line(f"{one_line(when, limit=30)!r} is not a time ahead: try 3d, tomorrow or monday")
            )
            self.query_one("#when", Input).focus()
            return
        self.dismiss(FollowUpChoice(due, self.query_one("#note", Input).value.strip()))

    @on(Button.Pressed, "#remove")
    def _remove(self) -> None:
        self.dismiss(FollowUpChoice(None))

    def action_cancel(self) -> None:
        self.dismiss(None)
