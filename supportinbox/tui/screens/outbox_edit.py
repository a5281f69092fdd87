"""Edit a scheduled reply from the outbox (``e``), keeping or changing its time.

While the screen is open the reply does not leave: not when its time comes, not when
another process sends the outbox (:func:`supportinbox.app.outbox.edit_scheduled`).
``ctrl+s`` saves it at its time; ``ctrl+t`` saves it at a new one; ``ctrl+e`` opens the
text in ``$VISUAL`` / ``$EDITOR``; Escape leaves it as it was. Its time passed while it
was open: saving asks whether it goes now or at a new time. The screen closing in any
way (the app quitting too) gives an unsaved edit up; the app killed, the next send puts
the reply back on its schedule.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import getaddresses
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TextArea
from textual.worker import Worker, WorkerState

from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import UserError
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppScreen, HoldsTyping
from supportinbox.tui.widgets.directed_text import DirectedTextArea
from supportinbox.tui.widgets.key_hints import KeyHints

if TYPE_CHECKING:
    from textual.content import Content

    from supportinbox.app.outbox import SavedEdit, ScheduledEdit


class ScheduledEditScreen(HoldsTyping, AppScreen):
    """The text of a scheduled reply, editable; it stays scheduled, and never leaves while open."""

    # Priority: the TextArea has the focus and would otherwise take these keys itself.
    BINDINGS = [  # noqa: RUF012
        Binding(
            "ctrl+s", "save", "Save", id="edit_save", tooltip="Save; it leaves at its time", priority=True
        ),
        Binding(
            "ctrl+t",
            "save_at",
            "Save, new time",
            id="edit_save_at",
            tooltip="Save and choose another time for it to leave",
            priority=True,
        ),
        Binding(
            "ctrl+e",
            "external_editor",
            "Edit in $EDITOR",
            id="edit_external_editor",
            tooltip="Edit the reply in $VISUAL / $EDITOR",
            priority=True,
        ),
        Binding(
            "escape", "back", "Back", id="edit_back", tooltip="Back; the reply stays as it was", priority=True
        ),
    ]

    def __init__(self, edit: ScheduledEdit) -> None:
        super().__init__(id="outbox-edit")
        self.edit = edit
        self._saving = False

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="editor-head")
        yield DirectedTextArea(self.edit.text, soft_wrap=True, tab_behavior="indent", id="reply-body")
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def _head(self) -> Content:
        edit = self.edit
        now = self.inbox_app.service.now()
        lines: list[safe.Part] = [
            (f"Editing scheduled reply #{edit.outbox_id}", "bold"),
            (f" · leaves {when_words(edit.send_at, now)}, never while open here", "$text-muted"),
            "\n",
            ("To: ", "bold"),
            one_line(edit.to, limit=120),
        ]
        if edit.cc:
            lines += ["\n", ("Cc: ", "bold"), one_line(edit.cc, limit=120)]
        lines += ["\n", ("Subject: ", "bold"), one_line(edit.subject, limit=100)]
        return safe.assemble(*lines)

    @property
    def body(self) -> str:
        return self.query_one(TextArea).text

    def unsaved_text(self) -> str:
        if not self.edit.open or self.body.strip() == self.edit.text.strip():
            return ""
        return f"Your edits to reply #{self.edit.outbox_id} are lost; it leaves as it was."

    # -- saving -----------------------------------------------------------------------------

    def action_save(self) -> None:
        if not self._ready():
            return
        service = self.inbox_app.service
        if self.edit.send_at > service.now():
            self._start_save(None)
            return
        from supportinbox.tui.screens.modals import ChooseModal

        def answered(choice: str | None) -> None:
            if choice == "now":
                self._start_save(None)
            elif choice == "later":
                self.action_save_at()
            # Escape: back to the text, still open.

        at = when_words(self.edit.send_at, service.now())
        self.app.push_screen(
            ChooseModal(
                f"It was to leave {at}, while you were editing it. Send it:",
                [("now", "Now"), ("later", "At another time…")],
            ),
            answered,
        )

    def action_save_at(self) -> None:
        if not self._ready():
            return
        from supportinbox.tui.screens.send_later import SendLaterModal

        service = self.inbox_app.service
        found = getaddresses([self.edit.to])
        who = (found[0][0] or found[0][1]) if found else self.edit.to

        def chosen(when: datetime | None) -> None:
            if when is not None:
                self._start_save(when)

        self.app.push_screen(SendLaterModal(who, service.now(), service.business_hours()), chosen)

    def _ready(self) -> bool:
        if self._saving:
            return False
        if not self.body.strip():
            self.notify(
                "The reply is empty: write something, or Escape to keep it as it was.", severity="warning"
            )
            return False
        return True

    def _start_save(self, when: datetime | None) -> None:
        self._saving = True  # one save at a time: a second ctrl+s while it runs does nothing
        self._save(self.body, when)

    @work(thread=True, exit_on_error=False, group="outbox-edit", description="Saving the reply")
    def _save(self, text: str, when: datetime | None) -> SavedEdit:
        return self.inbox_app.service.save_edit(self.edit, text, when)

    @on(Worker.StateChanged)
    def _saved(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "outbox-edit":
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self._saving = False
        if event.state == WorkerState.ERROR:
            self.inbox_app.outbox_changed()
            if self.edit.open:  # an empty text, say: the edit stays open
                self.inbox_app.worker_failed(worker)
                return
            # Not saved (discarded meanwhile elsewhere): the text stays here to be copied.
            error = worker.error
            message = error.message if isinstance(error, UserError) else "your edit was not saved"
            self.notify(
                f"{message[:1].upper()}{message[1:]}.", title="Not saved", severity="error", timeout=20
            )
            return
        if event.state != WorkerState.SUCCESS:
            return
        saved = cast("SavedEdit", worker.result)
        app = self.inbox_app
        app.outbox_changed()
        app.refresh_views()  # the conversation's "reply scheduled for" follows a new time
        ident = self.edit.outbox_id
        if saved.kept:
            self.notify(
                f"Reply #{ident} saved, but kept as a draft: {saved.kept}.",
                title="Not scheduled",
                severity="warning",
            )
        elif saved.due:
            self.notify(f"Reply #{ident} saved; sending it now.", title="Reply")
            app.send_reply(ident)
        else:
            when = when_words(saved.send_at, app.service.now())
            self.notify(f"Reply #{ident} saved: it leaves {when}.", title="Scheduled")
        self.dismiss(None)

    # -- leaving ----------------------------------------------------------------------------

    def action_back(self) -> None:
        if not self.unsaved_text():
            self._give_up()
            return
        from supportinbox.tui.screens.modals import ConfirmModal

        def answered(yes: bool | None) -> None:
            if yes:
                self._give_up()

        self.app.push_screen(
            ConfirmModal(
                "Leave without saving?",
                f"Your edits are lost; reply #{self.edit.outbox_id} leaves as it was, "
                f"{when_words(self.edit.send_at, self.inbox_app.service.now())}.",
                yes="Leave",
            ),
            answered,
        )

    def _give_up(self) -> None:
        """Leave: the reply stays as it was, on its schedule again."""
        if self.edit.open and not self.inbox_app.service.give_up_edit(self.edit):
            self.notify(f"Reply #{self.edit.outbox_id} was discarded meanwhile in another window.")
        self.inbox_app.outbox_changed()
        self.dismiss(None)

    def on_unmount(self) -> None:
        # Closed another way (the app quitting): an edit not saved is given up all the same.
        if self.edit.open:
            self.inbox_app.service.give_up_edit(self.edit)

    def action_external_editor(self) -> None:
        from supportinbox.tui.screens.editor import edit_externally

        edited = edit_externally(self, self.body)
        if edited is not None:
            self.query_one(TextArea).load_text(edited)
