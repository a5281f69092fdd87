"""The tag modal (``t``): ``+billing -bug`` changes the conversation's tags.

Returns the :class:`~supportinbox.domain.tags.TagChange` typed, or ``None`` when cancelled.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label

from supportinbox.domain.tags import TagChange, parse_changes
from supportinbox.errors import UserError
from supportinbox.tui import safe
from supportinbox.tui.format import tag_parts
from supportinbox.tui.screens.base import AppModal
from supportinbox.tui.widgets.dialog import Dialog


class TagModal(AppModal[TagChange | None]):
    """Type tags to add (``billing`` or ``+billing``) and to remove (``-bug``)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="tags_cancel", priority=True)]  # noqa: RUF012

    def __init__(self, subject: str, tags: tuple[str, ...], known: list[str]) -> None:
        super().__init__(classes="modal")
        self._subject = subject
        self._tags = tags
        self._known = known

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.title("Tags: ", self._subject), classes="dialog-title")
            now = safe.assemble(("Now: ", "bold"), *(tag_parts(self._tags) or [("none", "$text-muted")]))
            yield Label(now, id="tags-now")
            yield Input(placeholder="+billing -bug", id="tags-change")
            known = ", ".join(self._known[:12])
            hint = f"In use: {known}" if known else "One word per tag; - removes one."
            yield Label(safe.line(hint, limit=200), id="tags-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            change = parse_changes(event.value.split())
        except UserError as exc:
            self.query_one("#tags-hint", Label).update(safe.line(exc.message, limit=200, style="$error"))
            return
        self.dismiss(change)

    def action_cancel(self) -> None:
        self.dismiss(None)
