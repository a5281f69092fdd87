"""Edit the reply, then send it with an undo window shown as a countdown.

``ctrl+s`` queues the reply in the outbox (nothing leaves yet) and shows the countdown;
``u`` or Escape during it cancels and brings the text back. When the countdown ends the
app sends it in the background; a failure leaves it in the outbox and says why.
``ctrl+e`` opens the text in ``$VISUAL`` / ``$EDITOR`` with the terminal handed over.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.widgets import Label, ProgressBar, Static, TextArea
from textual.worker import Worker, WorkerState

from supportinbox import paths
from supportinbox.domain.customer import own_addresses
from supportinbox.domain.replies import Addressees, reply_subject
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import UserError
from supportinbox.mail.drafts import Draft, EarlierReply, RepliedMeanwhile, ReplyHeld
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppModal, AppScreen, HoldsTyping
from supportinbox.tui.screens.reply import template_label
from supportinbox.tui.widgets.dialog import Dialog
from supportinbox.tui.widgets.directed_text import DirectedTextArea
from supportinbox.tui.widgets.key_hints import KeyHints

if TYPE_CHECKING:
    from textual.content import Content


@dataclass(frozen=True)
class Scheduled:
    """A reply put in the outbox to leave at ``when``."""

    outbox_id: int
    when: datetime


SEND_ANYWAY = "anyway"


class UndoModal(AppModal[bool | str]):
    """``Sending in 9 s — u to undo``; returns True to send, False when cancelled.

    With a teammate holding the conversation it is the one place to decide: the reply
    goes to the outbox (True), or :data:`SEND_ANYWAY` over their claim, or back (False).
    """

    BINDINGS = [  # noqa: RUF012
        Binding("u,escape", "undo", "Undo send", id="undo_send", tooltip="Cancel; the reply stays a draft"),
        Binding("enter", "send_now", "Send now", id="send_now", tooltip="Skip the wait"),
        Binding(
            "S",
            "send_anyway",
            "Send anyway",
            id="undo_send_anyway",
            tooltip="Send it although a teammate holds the conversation",
        ),
    ]

    def __init__(
        self, recipient: str, seconds: float, held_for: str | None = None, *, saved_only: bool = False
    ) -> None:
        super().__init__(classes="modal")
        self._recipient = recipient
        # Replies that are saved, never sent (the demo): the countdown says "Saving".
        self._verb = ("Saving", "save") if saved_only else ("Sending", "send")
        self._total = max(seconds, 0.1)
        self._left = seconds
        # A teammate holds the conversation: the reply will wait in the outbox, not leave.
        self._held_for = held_for
        self.paused = False  # while the app asks something over it (quitting)

    @property
    def recipient(self) -> str:
        return self._recipient

    @property
    def held_for(self) -> str | None:
        return self._held_for

    def pause(self) -> None:
        """Stop the countdown (a question is asked over it); :meth:`resume` goes on."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog"):
            # Held for a teammate it is not being sent: the title says where it goes instead.
            title = "To the outbox: the reply to" if self._held_for else f"{self._verb[0]} the reply to"
            yield Label(
                safe.title(f"{title} ", self._recipient, limit=None, missing=""), classes="dialog-title"
            )
            yield ProgressBar(total=self._total, show_eta=False, show_percentage=False, id="undo-bar")
            yield Static(id="undo-left", classes="dialog-body")

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(0.1, self._tick)

    def _tick(self) -> None:
        if self.paused:
            return  # not the screen on top: it could not dismiss itself
        self.query_one(ProgressBar).update(progress=self._total - self._left)
        left = f"{max(self._left, 0):.0f} s"
        if self._held_for:
            said = safe.assemble(
                (f"To the outbox in {left}", "bold"),
                f" — {one_line(self._held_for, limit=40)} holds this conversation, so it waits there. "
                "S sends it anyway now, u or Escape undoes, Enter puts it there now",
            )
        else:
            doing, do = self._verb
            said = safe.assemble(
                (f"{doing} in {left}", "bold"), f" — press u or Escape to undo, Enter to {do} now"
            )
        self.query_one("#undo-left", Static).update(said)
        if self._left <= 0:
            self.dismiss(True)
        self._left -= 0.1

    def action_undo(self) -> None:
        self.dismiss(False)

    def action_send_now(self) -> None:
        self.dismiss(True)

    def action_send_anyway(self) -> None:
        if self._held_for:
            self.dismiss(SEND_ANYWAY)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "send_anyway" or bool(self._held_for)


class ReplyEditorScreen(HoldsTyping, AppScreen):
    """The reply text in an editor; the draft is never lost on the way out."""

    # Priority: the TextArea has the focus and would otherwise take these keys itself
    # (Escape moves its focus on, Ctrl+E goes to the end of the line).
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "send", "Send", id="send", tooltip="Send (with an undo window)", priority=True),
        Binding(
            "ctrl+t",
            "send_later",
            "Send later",
            id="send_later",
            tooltip="Send at a time you choose; kept as a draft if the customer writes first",
            priority=True,
        ),
        Binding(
            "ctrl+e",
            "external_editor",
            "Edit in $EDITOR",
            id="external_editor",
            tooltip="Edit the reply in $VISUAL / $EDITOR",
            priority=True,
        ),
        Binding("escape", "discard", "Discard", id="discard", tooltip="Back without sending", priority=True),
    ]

    def __init__(self, draft: Draft, *, replaces: int | None = None) -> None:
        super().__init__(id="reply-editor")
        self.draft = draft
        # The outbox reply this edit replaces (a kept draft reopened): dropped once this one
        # is sent or scheduled, never before, so giving up the edit loses nothing.
        self.replaces = replaces
        self._outbox_id: int | None = None
        self._sent_to: Addressees | None = None
        self._go: Callable[[bool], object] | None = None  # what the last send asked to do
        self._warnings: list[str] = []  # said before sending: the customer's mail gone, a bounce

    def compose(self) -> ComposeResult:
        # The picker built these from the same draft without error.
        self._sent_to = self.inbox_app.service.addressees(self.draft)
        yield Static(self._head(), id="editor-head")
        if note := self.inbox_app.service.sender.note:
            yield Static(safe.line(note), classes="demo-note")
        yield DirectedTextArea(self.draft.body, soft_wrap=True, tab_behavior="indent", id="reply-body")
        yield KeyHints()

    def _head(self) -> Content:
        from supportinbox.tui.screens.reply import addressee_lines

        draft, service = self.draft, self.inbox_app.service
        sent_to = self._sent_to or service.addressees(draft)
        self._warnings = service.reply_warnings(draft)
        return safe.assemble(
            *addressee_lines(sent_to, service.teammate_holding(draft.conversation_id), self._warnings),
            ("Subject: ", "bold"),
            safe.line(reply_subject(draft.original.subject, draft.template.subject_prefix), limit=80),
            (f"   {template_label(draft.template)}", "$text-muted"),
        )

    def refresh_from_cache(self) -> None:
        """A sync may have taken the customer's mail away (or a teammate claimed it): say so."""
        said = self._warnings
        self.query_one("#editor-head", Static).update(self._head())
        for warning in self._warnings:
            if warning not in said:
                text = f"{warning[:1].upper()}{warning[1:]}."
                self.notify(text, title="Before you send", severity="warning", markup=False, timeout=15)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def body(self) -> str:
        return self.query_one(TextArea).text

    def action_send(self) -> None:
        body = self.body
        self._when_confirmed(body, lambda again: self._queue(body, again))

    def action_send_later(self) -> None:
        from supportinbox.tui.screens.send_later import SendLaterModal

        body = self.body
        service = self.inbox_app.service

        def chosen(when: datetime | None) -> None:
            if when is not None:
                self._when_confirmed(body, lambda again: self._queue_later(body, when, again))

        if not body.strip():
            self.notify("The reply is empty.", severity="warning")
            return
        sent_to = self._sent_to or service.addressees(self.draft)
        self.app.push_screen(SendLaterModal(sent_to.to, service.now(), service.business_hours()), chosen)

    def _when_confirmed(
        self, body: str, go: Callable[[bool], object], meanwhile: EarlierReply | None = None
    ) -> None:
        """``go`` once the reply is known not to be empty, told whether a second reply was
        agreed to: asked when one of ours was sent or queued since the customer wrote, or
        (``meanwhile``) came while this one was being queued. Without that agreement the
        reply is queued only as the first (the queue checks again, as 'reply' does)."""
        if not body.strip():
            self.notify("The reply is empty.", severity="warning")
            return
        self._go = go
        earlier = meanwhile or self.inbox_app.service.earlier_reply(self.draft.conversation_id)
        if earlier is None:
            go(False)
            return
        from supportinbox.tui.screens.modals import ConfirmModal

        def answered(yes: bool | None) -> None:
            if yes:
                go(True)

        said = earlier.describe() + (" meanwhile" if meanwhile is not None else "")
        gone = "".join(f" {w[:1].upper()}{w[1:]}." for w in self._warnings)
        # The customer, not the From of their message: a contact form's mail comes from the
        # website or our own address ("Acme Support has not written since").
        customer = self.draft.original.customer(own_addresses(self.inbox_app.service.account))
        self.app.push_screen(
            ConfirmModal(
                "Send a second reply?",
                f"{said[:1].upper()}{said[1:]}, and "
                f"{one_line(customer.name or customer.email, limit=40)} has not written since.{gone}",
                yes="Send another",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="outbox", description="Queueing the reply")
    def _queue(self, body: str, again: bool) -> int:
        return self.inbox_app.service.queue(self.draft, body, again=again, replaces=self.replaces)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="outbox", description="Scheduling the reply"
    )
    def _queue_later(self, body: str, when: datetime, again: bool) -> Scheduled:
        service = self.inbox_app.service
        outbox_id = service.queue(self.draft, body, send_at=when, again=again, replaces=self.replaces)
        if self.replaces is not None:
            service.replace(self.replaces, outbox_id)
        return Scheduled(outbox_id, when)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="outbox", description="Cancelling the reply"
    )
    def _cancel(self, outbox_id: int) -> bool:
        return self.inbox_app.service.cancel(outbox_id)

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR and isinstance(worker.error, RepliedMeanwhile) and self._go:
            # Another reply (the CLI, a cron job on this account) was queued between the
            # question and this one: asked about as if it had been there before.
            self._when_confirmed(self.body, self._go, meanwhile=worker.error.earlier)
        elif event.state == WorkerState.ERROR and isinstance(worker.error, ReplyHeld):
            self._say_held(worker.error)
        elif event.state == WorkerState.ERROR:
            self.inbox_app.worker_failed(worker)
        elif event.state == WorkerState.SUCCESS and worker.name == "_queue":
            self._outbox_id = cast(int, worker.result)
            self.inbox_app.outbox_changed()
            seconds = self.inbox_app.service.config.replies.undo_seconds_tui
            if seconds <= 0:
                self._countdown_over(True)
            else:
                sent_to = self._sent_to or self.inbox_app.service.addressees(self.draft)
                recipients = sent_to.to + (f", Cc {sent_to.cc}" if sent_to.cc else "")
                held_for = self.inbox_app.service.teammate_holding(self.draft.conversation_id)
                saved_only = bool(self.inbox_app.service.sender.note)
                self.app.push_screen(
                    UndoModal(recipients, seconds, held_for, saved_only=saved_only), self._countdown_over
                )
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, Scheduled):
            scheduled = worker.result
            self.inbox_app.outbox_changed()
            # Who the reply goes to (a contact form's sender is the website, not the customer).
            sent_to = self._sent_to or self.inbox_app.service.addressees(self.draft)
            found = getaddresses([sent_to.to])
            who = safe.isolated((found[0][0] or found[0][1]) if found else "the customer", limit=40)
            when = when_words(scheduled.when, self.inbox_app.service.now())
            self.notify(
                f"Reply #{scheduled.outbox_id} leaves {when}; "
                f"kept as a draft if {who} writes first "
                f"(outbox: {self.inbox_app.key_for('outbox', 'O')}).",
                title="Scheduled",
            )
            self.dismiss(None)
        elif event.state == WorkerState.SUCCESS and worker.name == "_cancel":
            self.inbox_app.outbox_changed()
            if worker.result:
                self.notify("Not sent. The reply is back in the editor.")
            else:
                self.notify("Too late to cancel: the reply is already on its way.", severity="warning")
                self.dismiss(None)

    def _say_held(self, held: ReplyHeld) -> None:
        """Not queued beside a reply held for a teammate: which one, and where to send or edit it."""
        outbox = self.inbox_app.key_for("outbox", "O")
        advice = (
            f"the outbox ({outbox}) has it: send it anyway, edit it or discard it there; your text stays here"
        )
        self.inbox_app.show_error(ReplyHeld(held.row, advice=advice))

    def _countdown_over(self, send: bool | str | None) -> None:
        outbox_id = self._outbox_id
        if outbox_id is None:
            return
        if send:
            # Told in the countdown that a teammate holds it: its being held is no news.
            warned = self.inbox_app.service.teammate_holding(self.draft.conversation_id) is not None
            self.inbox_app.send_reply(
                outbox_id, replaces=self.replaces, anyway=send == SEND_ANYWAY, warned=warned
            )
            self.dismiss(None)
        else:
            self._outbox_id = None
            self._cancel(outbox_id)

    def unsaved_text(self) -> str:
        if self._outbox_id is not None or self.body.strip() == self.draft.body.strip():
            return ""  # queued already (the countdown speaks for it), or the template's own text
        return "Your edits to this reply are lost."

    def action_discard(self) -> None:
        from supportinbox.tui.screens.modals import ConfirmModal

        if not self.unsaved_text():
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmModal("Discard this reply?", "Your edits are lost.", yes="Discard"), answered
        )

    def action_external_editor(self) -> None:
        edited = edit_externally(self, self.body)
        if edited is not None:
            self.query_one(TextArea).load_text(edited)


def edit_externally(screen: AppScreen, text: str) -> str | None:
    """``text`` edited in ``$VISUAL`` / ``$EDITOR`` with the terminal handed over; None when
    the edit was given up (the editor failed or could not run: said in a toast or a modal)."""
    app = screen.inbox_app
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    directory = paths.ensure_private_dir(paths.state_dir() / "drafts")
    fd, name = tempfile.mkstemp(prefix="reply-", suffix=".txt", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            with app.suspend():
                finished = subprocess.run([*shlex.split(command), str(path)], check=False)
        except SuspendNotSupported:
            screen.notify("This terminal cannot hand over to an external editor.", severity="warning")
            return None
        except (OSError, ValueError) as exc:
            app.show_error(UserError(f"could not run the editor {command!r}: {exc}"))
            return None
        if finished.returncode != 0:
            # vim's :cq and friends: the user asked to throw the edit away.
            screen.notify(
                f"The editor exited with status {finished.returncode}: the reply is unchanged.",
                severity="warning",
            )
            return None
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
