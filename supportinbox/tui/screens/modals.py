"""Small modal screens that return a value with ``dismiss()``: error, confirm, snooze, choose."""

from __future__ import annotations

from datetime import datetime

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from supportinbox.domain.sendtime import parse_send_time
from supportinbox.domain.when import example_wake_up, when_words
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppModal
from supportinbox.tui.widgets.dialog import Dialog


class ErrorModal(AppModal[None]):
    """A readable error: a title and one or two lines, closed with Enter or Escape."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape,enter,q", "dismiss_modal", "Close", id="close_modal"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="modal")
        self._title = title
        self._message = message

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog error-dialog"):
            yield Label(safe.line(self._title, limit=60, style="bold"), classes="dialog-title")
            yield Static(safe.text(self._message), classes="dialog-body")
            yield Button("OK", id="ok", variant="error")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    @on(Button.Pressed)
    def action_dismiss_modal(self) -> None:
        self.dismiss(None)


class ConfirmModal(AppModal[bool]):
    """Ask before an outward or destructive action; ``y`` / Enter yes, ``n`` / Escape no."""

    BINDINGS = [  # noqa: RUF012
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    def __init__(self, question: str, detail: str | Content = "", yes: str = "Yes") -> None:
        """``detail`` as text, or as content built of fields (:func:`safe.assemble`)."""
        super().__init__(classes="modal")
        self._question = question
        self._detail = detail
        self._yes = yes

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.line(self._question, style="bold"), classes="dialog-title")
            if self._detail:
                detail = self._detail
                yield Static(
                    detail if isinstance(detail, Content) else safe.text(detail), classes="dialog-body"
                )
            with Vertical(classes="dialog-buttons"):
                yield Button(safe.line(f"{self._yes} (y)"), id="yes", variant="primary")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


SNOOZE_PRESETS: tuple[tuple[str, str], ...] = (
    ("1h", "One hour"),
    ("4h", "Four hours"),
    ("tomorrow", "Tomorrow 09:00"),
    ("monday", "Next Monday 09:00"),
    ("1w", "One week"),
)


def snooze_until(choice: str, now: datetime) -> datetime | None:
    """The moment a snooze choice ends: a preset, or a time typed as the command line's
    reply and snooze take it (``3h``, ``tomorrow 14:00``, ``fri``, ``2026-12-14 09:00``)."""
    choice = choice.strip().lower()
    if choice == "monday":  # "Next Monday": on a Monday morning too, never today
        choice = "next monday"
    return parse_send_time(choice, now)


class SnoozeModal(AppModal[datetime | None]):
    """Pick a preset or type a custom time (``3h``, ``2d``, ``YYYY-MM-DD HH:MM``)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="snooze_cancel")]  # noqa: RUF012

    def __init__(self, now: datetime, subject: str = "") -> None:
        super().__init__(classes="modal")
        self._now = now
        self._subject = subject  # of the conversation snoozed, named as the other dialogs do

    def _example(self) -> str:
        return f"3h, tomorrow 14:00 or {example_wake_up(self._now.astimezone()):%Y-%m-%d %H:%M}"

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.title("Snooze: ", self._subject), classes="dialog-title")
            yield OptionList(
                *(Option(safe.line(label), id=key) for key, label in SNOOZE_PRESETS), id="presets"
            )
            # Not selected on focus: the first character typed on the presets is already in it.
            yield Input(placeholder=f"or type: {self._example()}", id="custom", select_on_focus=False)
            yield Label("", id="snooze-hint", classes="dialog-hint")

    @on(OptionList.OptionSelected)
    def _preset(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(snooze_until(event.option.id or "", self._now))

    def on_key(self, event: events.Key) -> None:
        # "or type: 3h" is read as an invitation to type: a character typed while the
        # presets have the focus goes to the time field, not nowhere (Enter would then
        # snooze for the highlighted preset instead of the time typed).
        field = self.query_one("#custom", Input)
        if event.is_printable and event.character and self.focused is not field:
            event.stop()
            event.prevent_default()
            field.focus()
            field.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#custom")
    def _typed(self, event: Input.Changed) -> None:
        # As the follow-up box does: what a typed "fri" means is said before Enter.
        moment = snooze_until(event.value, self._now) if event.value.strip() else None
        said = f"Comes back {when_words(moment, self._now)}" if moment is not None else ""
        self.query_one("#snooze-hint", Label).update(safe.line(said))

    @on(Input.Submitted)
    def _custom(self, event: Input.Submitted) -> None:
        moment = snooze_until(event.value, self._now)
        if moment is None:
            self.query_one("#snooze-hint", Label).update(
                safe.line(f"Not a time in the future: try {self._example()}", style="$error")
            )
            return
        self.dismiss(moment)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChooseModal(AppModal[str | None]):
    """Pick one of a few named choices (e.g. the account to switch to)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choose_cancel")]  # noqa: RUF012

    def __init__(self, title: str, choices: list[tuple[str, str]], *, highlight: str | None = None) -> None:
        super().__init__(classes="modal")
        self._title = title
        self._choices = choices
        self._highlight = highlight  # the key of the choice the cursor starts on

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.line(self._title, style="bold"), classes="dialog-title")
            yield OptionList(*(Option(safe.line(label), id=key) for key, label in self._choices))
            # The key hints at the bottom say Escape; Enter is the list's own key, not shown there.
            yield Label(safe.line("Enter chooses, Escape cancels."), classes="dialog-hint")

    def on_mount(self) -> None:
        keys = [key for key, _ in self._choices]
        if self._highlight in keys:
            self.query_one(OptionList).highlighted = keys.index(self._highlight)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
