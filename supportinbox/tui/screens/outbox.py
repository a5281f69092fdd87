"""The outbox: replies not sent yet, where each stands and why; retry, discard, send anyway.

It re-reads the outbox whenever the app notices a change (its own sends, the next try of a
failed reply, or the command line in another process), so what it lists is what the
status bar counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from supportinbox.app.outbox import editable_now
from supportinbox.app.sending import SendResult
from supportinbox.domain.safetext import is_rtl, one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import UserError
from supportinbox.mail.outbox import maybe_delivered, reply_text, tries_said, waiting_state
from supportinbox.store.outbox import ON_REQUEST, OutboxRow, OutboxStatus
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.screens.modals import ConfirmModal
from supportinbox.tui.widgets.directed_text import DirectedText
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    pass


def _signature(rows: list[OutboxRow]) -> tuple[tuple[object, ...], ...]:
    return tuple((r.id, r.status, r.last_error, r.next_attempt_at, r.attempts, r.held_by) for r in rows)


class OutboxScreen(AppScreen):
    """Every reply that has not gone out, oldest first, with the highlighted one below."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back", id="outbox_back", tooltip="Back"),
        Binding("r", "retry", "Send now", id="outbox_retry", tooltip="Send (or try again) this reply now"),
        Binding(
            "S",
            "send_anyway",
            "Send anyway",
            id="outbox_send_anyway",
            tooltip="Send a held reply although a teammate got there first",
        ),
        Binding("d", "discard", "Discard", id="outbox_discard", tooltip="Drop this reply: it is never sent"),
        Binding(
            "e",
            "edit",
            "Edit",
            id="outbox_edit",
            tooltip="Edit this reply: a scheduled one keeps its time (and does not leave while open); "
            "a kept draft or a held one answers the customer's latest message",
        ),
        Binding("enter", "open", "Conversation", id="outbox_open", tooltip="Read the conversation"),
        Binding("j", "cursor(1)", "Down", show=False, id="outbox_down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="outbox_up"),
    ]

    def __init__(self) -> None:
        super().__init__(id="outbox")
        self._rows: list[OutboxRow] = []
        self._shown: tuple[tuple[object, ...], ...] | None = None
        self._widths: tuple[int, int] = (20, 22)  # To, Subject: cut with … to fit

    def compose(self) -> ComposeResult:
        yield Static(safe.line("Outbox — replies not sent yet", style="bold"), id="outbox-title")
        yield DataTable[Content](cursor_type="row", id="outbox-list")
        with VerticalScroll(id="outbox-detail"):
            yield Static(id="outbox-why")
            yield Static(id="outbox-head")
            # The body apart: a reply written right to left reads so, row by row.
            yield DirectedText(id="outbox-text")
        yield StatusBar(self.inbox_app.service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self.query_one(DataTable).focus()

    def on_resize(self) -> None:
        """Columns fitted to the width: the subject takes what the others leave."""
        width = self.size.width or 80
        to = 28 if width >= 110 else 20
        subject = max(width - 5 - 25 - to - 8, 12)
        self._widths = (to, subject)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("#", key="id", width=5)
        table.add_column("State", key="state", width=25)
        table.add_column("To", key="to", width=to)
        table.add_column("Subject", key="subject", width=subject)
        self._shown = None
        self.refresh_from_cache()

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    # -- the list ---------------------------------------------------------------------------

    def refresh_from_cache(self) -> None:
        """Re-read the outbox; the table is rebuilt only when something changed."""
        tables = self.query(DataTable)
        if not tables:
            return  # pushed, not composed yet (a timer may ask first): the first resize fills it
        table = tables.first()
        if not table.columns:
            return  # not laid out yet: the first resize fills it
        rows = self.inbox_app.service.outbox_rows()
        signature = _signature(rows)
        if signature == self._shown:
            return
        keep = self.current()
        self._rows, self._shown = rows, signature
        table.clear()
        now = self.inbox_app.service.now()  # the app's clock (the demo's is its own)
        to, subject = self._widths
        for row in rows:
            table.add_row(
                safe.line(f"#{row.id}"),
                safe.line(waiting_state(row, now), style=_state_style(row)),
                safe.line(", ".join(row.recipients), limit=to),
                safe.line(one_line(row.subject) or "(no subject)", limit=subject),
                key=str(row.id),
            )
        if keep is not None and any(r.id == keep.id for r in rows):
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        self._show_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Sending anyway overrides a teammate's claim or reply: offered on a held reply only.
        if action == "send_anyway":
            row = self.current() if self._rows else None
            return row is not None and row.status == OutboxStatus.HELD
        # What waits for the user is edited again (app/outbox.py reopen), a scheduled reply in
        # place (edit_scheduled): "e Edit" on a reply leaving at once or failed would be refused.
        if action == "edit":
            row = self.current() if self._rows else None
            return row is not None and (row.status in ON_REQUEST or editable_now(row))
        return True

    def current(self) -> OutboxRow | None:
        table = self.query_one(DataTable)
        if not self._rows or table.cursor_row is None or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        self.refresh_bindings()  # "Send anyway" comes and goes with the highlighted reply
        why = self.query_one("#outbox-why", Static)
        head = self.query_one("#outbox-head", Static)
        text = self.query_one("#outbox-text", DirectedText)
        row = self.current()
        if row is None:
            why.update(safe.line("The outbox is empty: every reply went out.", style="$text-muted"))
            head.update("")
            text.update("")
            return
        why.update(self._explain(row))
        msg, body = reply_text(row)
        head.update(
            safe.join(
                "\n",
                (
                    safe.assemble(f"{name}: ", safe.line(str(msg[name])))
                    for name in ("To", "Cc", "Subject")
                    if msg[name]
                ),
            )
        )
        text.update(safe.text(f"\n{body}"))
        text.set_class(is_rtl(body.strip()), "rtl")

    def _explain(self, row: OutboxRow) -> Content:  # built by safe.assemble
        app = self.inbox_app
        now = app.service.now()
        state = waiting_state(row, now)
        reason = one_line(row.reason, limit=400)
        tries = tries_said(row)
        lines: list[tuple[str, str] | str] = [
            (f"#{row.id} {state}", "bold"),
            f" · written {when_words(row.created_at, now)}" + (f" · {tries}" if tries else ""),
        ]
        if reason:
            lines += ["\n", ("Why: ", "bold"), reason]
        yours = ""
        handed_to_us = (
            row.status == OutboxStatus.HELD
            and row.held_by not in (None, app.service.account.agent)
            and row.conversation_id is not None
            and app.service.held_by_me(row.conversation_id)
        )
        if handed_to_us:
            # Held for a teammate's claim, handed to us since: the reason above is history now.
            yours = (
                f"The conversation is yours now: {app.key_for('outbox_retry', 'r')} sends it "
                "after asking the server. "
            )
        if row.status == OutboxStatus.HELD:
            advice = yours + (
                f"{app.key_for('outbox_send_anyway', 'S')} sends it anyway, "
                f"{app.key_for('outbox_edit', 'e')} edits it again, "
                f"{app.key_for('outbox_discard', 'd')} drops it, "
                f"{app.key_for('outbox_retry', 'r')} tries to send it again (asking the server first)."
            )
        elif row.status == OutboxStatus.DRAFT:
            advice = (
                f"Kept as a draft: {app.key_for('outbox_edit', 'e')} edits it to answer the "
                f"customer's latest message, {app.key_for('outbox_retry', 'r')} sends it as it is, "
                f"{app.key_for('outbox_discard', 'd')} drops it, "
                f"{app.key_for('outbox_open', 'enter')} opens the conversation."
            )
        elif row.scheduled:
            advice = (
                f"It leaves {when_words(row.not_before or row.send_at or '', now, ahead=True)} "
                f"unless the customer writes first; {app.key_for('outbox_edit', 'e')} edits it, "
                f"{app.key_for('outbox_retry', 'r')} sends it now, "
                f"{app.key_for('outbox_discard', 'd')} drops it."
            )
        elif row.status == OutboxStatus.EDITING:
            since = when_words(row.editing_since or row.created_at, now)
            advice = (
                f"Open in an editor since {since}: it does not leave until the edit is saved. "
                f"Left open by an app that has closed, {app.key_for('outbox_edit', 'e')} edits it here."
            )
        elif row.status == OutboxStatus.FAILED and row.next_attempt_at:
            advice = (
                f"The app tries again {when_words(row.next_attempt_at, now, ahead=True)}; "
                f"{app.key_for('outbox_retry', 'r')} tries now."
            )
        elif maybe_delivered(row):
            advice = (
                f"It waits for you: {app.key_for('outbox_retry', 'r')} sends it again (after a question: "
                f"the customer may get it twice), {app.key_for('outbox_discard', 'd')} drops it."
            )
        elif row.status == OutboxStatus.FAILED:
            advice = (
                f"It waits for you: {app.key_for('outbox_retry', 'r')} tries again once the cause is "
                f"fixed, {app.key_for('outbox_discard', 'd')} drops it."
            )
        else:
            advice = ""
        if advice:
            lines += ["\n", (advice, "$text-muted")]
        return safe.assemble(*lines)

    def action_cursor(self, step: int) -> None:
        table = self.query_one(DataTable)
        if self._rows:
            table.move_cursor(row=max(0, min(table.cursor_row + step, len(self._rows) - 1)))

    # -- actions ----------------------------------------------------------------------------

    def _target(self) -> OutboxRow | None:
        row = self.current()
        if row is None:
            self.app.bell()
        return row

    def action_retry(self) -> None:
        row = self._target()
        if row is None:
            return
        if not maybe_delivered(row):
            again = row.status == OutboxStatus.FAILED
            self.notify(f"Trying reply #{row.id} again…" if again else f"Sending reply #{row.id} now…")
            self._send(row.id, anyway=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.notify(f"Sending reply #{row.id} again…")
                self._send(row.id, anyway=False)

        # The server may have taken it: one key must not send the customer a second copy.
        self.app.push_screen(
            ConfirmModal(
                f"Send reply #{row.id} again?",
                f"To {one_line(', '.join(row.recipients), limit=60)}: the server may have delivered it "
                "already, and they would get it twice.",
                yes="Send again",
            ),
            answered,
        )

    def action_send_anyway(self) -> None:
        row = self._target()
        if row is None or row.status != OutboxStatus.HELD:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(row.id, anyway=True)

        self.app.push_screen(
            ConfirmModal(
                "Send it anyway?",
                f"{one_line(row.reason or 'A teammate got there first.', limit=200)}\n"
                "The customer may get two answers.",
                yes="Send anyway",
            ),
            answered,
        )

    def action_discard(self) -> None:
        row = self._target()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._discard(row.id)

        self.app.push_screen(
            ConfirmModal(
                f"Discard reply #{row.id}?",
                f"To {one_line(', '.join(row.recipients), limit=60)}: {one_line(row.subject, limit=60)}\n"
                "It is never sent.",
                yes="Discard",
            ),
            answered,
        )

    def action_edit(self) -> None:
        row = self._target()
        if row is None:
            return
        if editable_now(row):
            self._edit_scheduled(row.id)
            return
        try:
            draft = self.inbox_app.service.reopen(row.id)
        except UserError as exc:
            self.inbox_app.show_error(exc)
            return
        from supportinbox.tui.screens.editor import ReplyEditorScreen

        self.app.push_screen(ReplyEditorScreen(draft, replaces=row.id))

    def _edit_scheduled(self, outbox_id: int) -> None:
        """Open a scheduled reply in place: from now on it does not leave until saved."""
        from supportinbox.tui.screens.outbox_edit import ScheduledEditScreen

        try:
            edit = self.inbox_app.service.edit_scheduled(outbox_id)
        except UserError as exc:
            self.inbox_app.outbox_changed()  # kept as a draft, say: the list shows it so
            self.inbox_app.show_error(exc)
            return
        self.inbox_app.outbox_changed()
        self.app.push_screen(ScheduledEditScreen(edit), lambda _: self.inbox_app.outbox_changed())

    def action_open(self) -> None:
        row = self._target()
        if row is not None and row.conversation_id:
            from supportinbox.tui.screens.conversation import ConversationScreen

            self.app.push_screen(ConversationScreen(row.conversation_id))

    def action_back(self) -> None:
        self.dismiss(None)

    @work(thread=True, exit_on_error=False, group="outbox-send", description="Sending a reply again")
    def _send(self, outbox_id: int, anyway: bool) -> SendResult:
        service = self.inbox_app.service
        return service.send_anyway(outbox_id) if anyway else service.retry(outbox_id)

    @work(thread=True, exit_on_error=False, group="outbox-discard", description="Discarding a reply")
    def _discard(self, outbox_id: int) -> tuple[int, bool]:
        return outbox_id, self.inbox_app.service.discard(outbox_id)

    @on(Worker.StateChanged)
    def _done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group not in ("outbox-send", "outbox-discard"):
            return
        if event.state == WorkerState.ERROR:
            self.inbox_app.worker_failed(worker)
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, SendResult):
            self.inbox_app.send_finished(worker.result)
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, tuple):
            outbox_id, dropped = cast("tuple[int, bool]", worker.result)
            self.notify(
                f"Reply #{outbox_id} discarded: it is never sent."
                if dropped
                else f"Reply #{outbox_id} is already on its way: too late to discard it.",
                severity="information" if dropped else "warning",
            )
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.inbox_app.outbox_changed()


def _state_style(row: OutboxRow) -> str:
    if row.status in (OutboxStatus.HELD, OutboxStatus.DRAFT, OutboxStatus.EDITING):
        return "$text-warning"
    if row.status == OutboxStatus.FAILED:
        return "$text-error" if not row.next_attempt_at else "$text-warning"
    return ""
