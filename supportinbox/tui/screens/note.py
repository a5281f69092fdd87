"""The modal an internal note is written in: Ctrl+S saves, Escape cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label, TextArea

from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppModal, HoldsTyping
from supportinbox.tui.widgets.dialog import Dialog
from supportinbox.tui.widgets.directed_text import DirectedTextArea


class NoteModal(HoldsTyping, AppModal[str | None]):
    """Write an internal note for the team; returns the text, or None when cancelled or empty."""

    DEFAULT_CSS = """
    NoteModal #note-text {
        height: 10;
    }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", "Save note", id="note_save", priority=True),
        Binding("escape", "cancel", "Cancel", id="note_cancel", priority=True),
    ]

    def __init__(self, subject: str) -> None:
        super().__init__(classes="modal")
        self._subject = subject

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.title("Internal note: ", self._subject), classes="dialog-title")
            yield DirectedTextArea(id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Label(
                safe.line("Only the team sees notes, never the customer. Ctrl+S saves, Escape cancels."),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def unsaved_text(self) -> str:
        return "The note you are writing is lost." if self.query_one(TextArea).text.strip() else ""

    def action_save(self) -> None:
        # An empty note is not worth a round trip to the server: nothing is saved.
        text = self.query_one(TextArea).text.strip()
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
