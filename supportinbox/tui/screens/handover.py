"""The hand-over modals: ``h`` gives the conversation to a teammate, ``F`` forwards it outside.

Both say what the practice asks (hand a customer over at most once, to someone who can solve
it) and return what was typed, or ``None`` when cancelled; the screen does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label

from supportinbox.config import is_agent_name
from supportinbox.domain.forward import forward_address
from supportinbox.domain.safetext import one_line
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppModal
from supportinbox.tui.widgets.dialog import Dialog


@dataclass(frozen=True)
class HandOver:
    """Who gets the conversation and why."""

    agent: str
    note: str


@dataclass(frozen=True)
class ForwardChoice:
    """Where the forward goes, how much of the thread, and a line for them."""

    to: str
    excerpt: int | None
    note: str
    attachments: bool = False


class HandOverModal(AppModal[HandOver | None]):
    """Type the teammate (completed from the agents seen on this mailbox) and, optionally, why."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="handover_cancel", priority=True)]  # noqa: RUF012

    def __init__(self, subject: str, teammates: list[str], holder: str | None, handed: int) -> None:
        super().__init__(classes="modal")
        self._subject = subject
        self._teammates = teammates
        self._holder = holder
        self._handed = handed
        self._unseen_ok = ""  # a name seen nowhere on this mailbox, confirmed with a second Enter

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.title("Hand over: ", self._subject), classes="dialog-title")
            if self._handed:
                yield Label(
                    safe.line(
                        f"Already handed over {self._handed}×: hand a customer over at most once, "
                        "to someone who can solve it.",
                        style="$warning",
                    ),
                    id="handover-warning",
                )
            known = ", ".join(one_line(t, limit=30) for t in self._teammates[:8])
            yield Input(
                placeholder="teammate",
                id="handover-agent",
                suggester=SuggestFromList(self._teammates, case_sensitive=False),
            )
            yield Input(placeholder="why, for them and the team (optional)", id="handover-note")
            held = f"Now with {one_line(self._holder, limit=30)}. " if self._holder else ""
            hint = f"{held}Teammates: {known}." if known else f"{held}No teammate seen on this mailbox yet."
            yield Label(
                safe.line(f"{hint} Enter hands over, Escape cancels.", limit=240),
                id="handover-hint",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#handover-agent", Input).focus()

    @on(Input.Submitted, "#handover-agent")
    def _agent_typed(self) -> None:
        if self._agent() is not None:
            self.query_one("#handover-note", Input).focus()

    @on(Input.Submitted, "#handover-note")
    def _note_typed(self) -> None:
        agent = self._agent()
        if agent is not None:
            self.dismiss(HandOver(agent, self.query_one("#handover-note", Input).value.strip()))

    def _agent(self) -> str | None:
        agent = self.query_one("#handover-agent", Input).value.strip()
        if not is_agent_name(agent):
            self._say("Type a teammate's name (letters, digits, . _ -).")
            self.query_one("#handover-agent", Input).focus()
            return None
        seen = {t.casefold() for t in self._teammates}
        if seen and agent.casefold() not in seen and agent != self._unseen_ok:
            # A typo would give the customer to nobody (and fixing it costs a second hand-over).
            self._unseen_ok = agent
            known = ", ".join(one_line(t, limit=30) for t in self._teammates[:8])
            self._say(
                f"{one_line(agent, limit=30)} has not been seen on this mailbox (teammates: {known}): "
                "Enter again hands over to them anyway."
            )
            self.query_one("#handover-agent", Input).focus()
            return None
        return agent

    def _say(self, text: str) -> None:
        self.query_one("#handover-hint", Label).update(safe.line(text, limit=240, style="$error"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ForwardModal(AppModal[ForwardChoice | None]):
    """Type the address, optionally how many of the last messages, and a line for them."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="forward_cancel", priority=True)]  # noqa: RUF012

    def __init__(self, subject: str, messages: int, files: int = 0) -> None:
        super().__init__(classes="modal")
        self._subject = subject
        self._messages = messages
        self._files = files  # attachments in the conversation

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            yield Label(safe.title("Forward: ", self._subject), classes="dialog-title")
            yield Input(placeholder="to: name@example.com", id="forward-to")
            yield Input(
                placeholder=f"how many of the last messages (empty: all {self._messages})",
                id="forward-excerpt",
                type="integer",
            )
            if self._files:
                plural = "" if self._files == 1 else "s"
                yield Checkbox(
                    f"attach the {self._files} file{plural} (fetched from the server; else only named)",
                    id="forward-files",
                )
            yield Input(placeholder="a line for them, above the messages (optional)", id="forward-note")
            yield Label(
                safe.line(
                    "It goes through the outbox as a new mail 'Fwd: …'; the customer's thread is not "
                    "touched, and the team sees a note. Enter on the last line sends, Escape cancels.",
                    limit=240,
                ),
                id="forward-hint",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#forward-to", Input).focus()

    @on(Input.Submitted, "#forward-to")
    def _to_typed(self) -> None:
        if self._to() is not None:
            self.query_one("#forward-excerpt", Input).focus()

    @on(Input.Submitted, "#forward-excerpt")
    def _excerpt_typed(self) -> None:
        if self._excerpt() != -1:
            self.query_one("#forward-note", Input).focus()

    @on(Input.Submitted, "#forward-note")
    def _note_typed(self) -> None:
        to, excerpt = self._to(), self._excerpt()
        if to is not None and excerpt != -1:
            note = self.query_one("#forward-note", Input).value.strip()
            files = self.query("#forward-files")
            attach = bool(files) and files.first(Checkbox).value
            self.dismiss(ForwardChoice(to, excerpt, note, attach))

    def _to(self) -> str | None:
        field = self.query_one("#forward-to", Input)
        to = field.value.strip()
        if forward_address(to) is None:
            self._say("Type one address, like name@example.com.")
            field.focus()
            return None
        return to

    def _excerpt(self) -> int | None:
        """The number typed (None: every message); -1 when it is not one."""
        field = self.query_one("#forward-excerpt", Input)
        typed = field.value.strip()
        if not typed:
            return None
        count = int(typed) if typed.isdigit() else 0
        if count < 1:
            self._say(f"Type how many of the last messages, 1 to {self._messages}, or leave it empty.")
            field.focus()
            return -1
        return min(count, self._messages)

    def _say(self, text: str) -> None:
        self.query_one("#forward-hint", Label).update(safe.line(text, limit=240, style="$error"))

    def action_cancel(self) -> None:
        self.dismiss(None)
