"""The merge picker (``M``) and the split picker (``X``) of the thread.

The merge picker lists the customer's other conversations first (the usual case: the same
person wrote again under a new subject), then the rest of the queue; it returns the id of
the conversation to merge into the one shown. The split picker lists the thread's messages
and returns the number (from 1) of the one the new conversation starts at; the first
message cannot be chosen (it starts this conversation already).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from supportinbox.domain.conversation import ConversationSummary, MessageView
from supportinbox.domain.safetext import one_line
from supportinbox.domain.senders import sender_short
from supportinbox.errors import UserError
from supportinbox.tui import safe
from supportinbox.tui.format import local_time
from supportinbox.tui.screens.base import AppModal
from supportinbox.tui.widgets.dialog import Dialog


class MergePickerModal(AppModal[ConversationSummary | None]):
    """Pick the conversation to merge into this one; typing finds others (subject, name, id)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="merge_cancel")]  # noqa: RUF012

    def __init__(
        self,
        summary: ConversationSummary,
        candidates: Sequence[ConversationSummary],
        search: Callable[[str], Sequence[ConversationSummary]] | None = None,
    ) -> None:
        super().__init__(classes="modal")
        self._summary = summary
        self._candidates = list(candidates)
        self._search = search
        self._shown: dict[str, ConversationSummary] = {}

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog picker-dialog"):
            yield Label(safe.title("Merge into: ", self._summary.subject), classes="dialog-title")
            # Not selected on focus: the first character typed on the list is already in it.
            yield Input(
                placeholder="type to find: subject, name or id", id="merge-filter", select_on_focus=False
            )
            yield OptionList(*self._options(self._candidates), id="merge-candidates")
            yield Label(
                safe.line(
                    "Enter merges the highlighted conversation into this one (its messages, notes, "
                    "tags and claim move here); Escape cancels."
                ),
                classes="dialog-hint",
            )

    def _options(self, candidates: Sequence[ConversationSummary]) -> list[Option]:
        options: list[Option] = []
        same = self._summary.customer_email
        self._shown = {}
        shown_rest = False
        for other in candidates:
            if other.id == self._summary.id or other.id in self._shown:
                continue
            self._shown[other.id] = other
            if other.customer_email != same and not shown_rest:
                shown_rest = True
                options.append(Option(safe.line("Other customers", style="bold"), disabled=True))
            who = (
                ""
                if other.customer_email == same
                else f"{sender_short(other.customer_name, other.customer_email, limit=24)} · "
            )
            label = (
                f"{local_time(other.last_message_at)} · {other.status} · {who}"
                f"{one_line(other.subject, limit=50) or '(no subject)'}"
            )
            options.append(Option(safe.line(label), id=other.id))
        if not self._shown:
            options.append(Option(safe.line("No other conversation found."), disabled=True))
        return options

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_key(self, event: events.Key) -> None:
        # Typing on the list finds: the character goes to the search field.
        field = self.query_one("#merge-filter", Input)
        if event.is_printable and event.character and self.focused is not field:
            event.stop()
            event.prevent_default()
            field.focus()
            field.insert_text_at_cursor(event.character)

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        text = event.value.strip()
        found = self._candidates
        if text:
            wanted = text.casefold()
            found = [
                c
                for c in self._candidates
                if wanted in f"{c.id} {c.subject} {c.customer_name} {c.customer_email}".casefold()
            ]
            if self._search is not None and len(text) >= 2:
                # Not a search the cache understands: the matches above stay.
                with contextlib.suppress(UserError):
                    found = [*found, *self._search(text)]
            same = self._summary.customer_email
            found.sort(key=lambda c: c.customer_email != same)  # stable: the customer's own first
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(found))
        first = next((i for i, o in enumerate(options.options) if not o.disabled), None)
        options.highlighted = first

    @on(Input.Submitted)
    def _take_first(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is not None and not options.get_option_at_index(index).disabled:
            self.dismiss(self._shown.get(options.get_option_at_index(index).id or ""))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._shown.get(event.option.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SplitPickerModal(AppModal[int | None]):
    """Pick the message a new conversation starts at."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="split_cancel")]  # noqa: RUF012

    def __init__(self, subject: str, messages: Sequence[MessageView]) -> None:
        super().__init__(classes="modal")
        self._subject = subject
        self._messages = list(messages)

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog picker-dialog"):
            yield Label(safe.title("Split off from: ", self._subject), classes="dialog-title")
            options = []
            for number, message in enumerate(self._messages, 1):
                who = sender_short(message.from_name, message.from_addr, limit=24)
                label = (
                    f"{number}. {local_time(message.date)} · {who}{' (us)' if message.from_us else ''} · "
                    f"{one_line(message.body_text, limit=50) or '(no text)'}"
                )
                options.append(Option(safe.line(label), id=str(number), disabled=number == 1))
            yield OptionList(*options, id="split-messages")
            yield Label(
                safe.line(
                    "The chosen message and the later ones become a new conversation (replies "
                    "to earlier messages stay); Enter splits, Escape cancels."
                ),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        # The customer's last message is the usual place: a new question under an old subject.
        customer = [i for i, m in enumerate(self._messages) if i > 0 and not m.from_us]
        if customer:
            options.highlighted = customer[-1]
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0) or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
