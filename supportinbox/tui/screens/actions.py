"""What can be done to the conversation under the cursor, shared by the inbox and the thread.

Every change is written by a worker thread; the screen only learns the outcome through
the worker's state. A status, claim or note is in the cache at once (never waiting for a
sync or the server); a second worker then shares it with the team and speaks up only when
that did not work. Status changes and snoozes can be undone with ``u``; marking as spam
asks first (it moves mail on the server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.safetext import one_line
from supportinbox.domain.senders import sender_label
from supportinbox.domain.tags import TagChange
from supportinbox.domain.when import parse_time, when_words
from supportinbox.errors import UserError
from supportinbox.tui import safe
from supportinbox.tui.format import local_time
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.screens.followup import FollowUpChoice, FollowUpModal
from supportinbox.tui.screens.handover import ForwardChoice, ForwardModal, HandOver, HandOverModal
from supportinbox.tui.screens.modals import ConfirmModal, SnoozeModal
from supportinbox.tui.screens.note import NoteModal
from supportinbox.tui.screens.tags import TagModal

if TYPE_CHECKING:
    from textual.notifications import Notification


@dataclass(frozen=True)
class Change:
    """A finished change, how to take it back, and which conversation to share then."""

    message: str
    undo: Callable[[], Change] | None = None
    flags_changed: bool = False  # read state: sent to the server shortly
    share: str | None = None
    conversation: str | None = None  # the conversation changed (when not shared, e.g. spam)
    warns: bool = False  # it did not all go as asked (said as a warning)

    @property
    def changed(self) -> str | None:
        return self.share or self.conversation


class ConversationActions(AppScreen):
    """What screens that show a current conversation (``current_summary``) can do to it."""

    ACTION_BINDINGS: ClassVar[list[Binding]] = [
        Binding("r", "reply", "Reply", id="reply", tooltip="Reply with a template"),
        Binding("o", "set_status('open')", "Mark open", show=False, id="status_open", tooltip="Mark open"),
        Binding("p", "set_status('pending')", "Pending", id="status_pending", tooltip="Waiting on customer"),
        Binding("c", "set_status('closed')", "Close", id="status_closed", tooltip="Close the conversation"),
        Binding("z", "snooze", "Snooze", id="snooze", tooltip="Hide until a time"),
        Binding("f", "followup", "Follow up", show=False, id="followup", tooltip="Bring it back at a time"),
        Binding("i", "customer", "Customer", show=False, id="customer", tooltip="The customer's history"),
        Binding("t", "tags", "Tags", show=False, id="tags", tooltip="Add or remove tags"),
        Binding(
            "a",
            "claim",
            "Claim/release",
            show=False,
            id="claim",
            tooltip="Take this conversation, or give yours back",
        ),
        Binding(
            "greater_than_sign",
            "hand_over",
            "Hand over",
            show=False,
            id="hand_over",
            tooltip="Give it to a teammate",
        ),
        Binding("F", "forward", "Forward", show=False, id="forward", tooltip="Forward it to an address"),
        Binding("n", "note", "Note", show=False, id="note", tooltip="Add an internal note"),
        Binding("exclamation_mark", "spam", "Move to Junk", show=False, id="spam", tooltip="Move it to Junk"),
        Binding("u", "undo", "Undo", show=False, id="undo", tooltip="Undo the last change"),
        Binding(
            "m", "toggle_read", "Read/unread", show=False, id="toggle_read", tooltip="Mark read or unread"
        ),
    ]

    _undo: Callable[[], Change] | None = None
    # Each share under way: the conversation it is about and the toast that said the change.
    _shares: dict[Worker[str], tuple[str, Notification]] | None = None
    # The conversation the user's own last change was about: it leaving the view is no news.
    own_change: str | None = None

    def current_summary(self) -> ConversationSummary | None:
        raise NotImplementedError

    def _target(self) -> ConversationSummary | None:
        summary = self.current_summary()
        if summary is None:
            if why := self.no_target_reason():
                self.app.notify(why, markup=False)
            else:
                self.app.bell()
        return summary

    def no_target_reason(self) -> str:
        """Why the cursor's row takes no conversation key, in words ("" to only ring the bell)."""
        return ""

    def action_set_status(self, status: str) -> None:
        summary = self._target()
        if summary is not None and summary.status != status:
            self._change(self._status_change(summary, status, None))

    def action_snooze(self) -> None:
        summary = self._target()
        if summary is None:
            return

        def chosen(until: datetime | None) -> None:
            if until is not None:
                self._change(self._status_change(summary, "snoozed", until.astimezone(UTC)))

        self.app.push_screen(SnoozeModal(self.inbox_app.service.now(), summary.subject), chosen)

    def _status_change(
        self, summary: ConversationSummary, status: str, until: datetime | None
    ) -> Callable[[], Change]:
        service = self.inbox_app.service
        before_status, before_until = summary.status, summary.snoozed_until
        subject = safe.isolated(summary.subject, limit=40)

        def undo() -> Change:
            previous = parse_time(before_until)
            ident = service.set_status(summary.id, before_status, previous)
            return Change(f"Back to {before_status}: {subject}", share=ident)

        def apply() -> Change:
            ident = service.set_status(summary.id, status, until)
            label = f"Snoozed until {when_words(until, service.now())}" if until else status.capitalize()
            return Change(f"{label}: {subject} (u to undo)", undo, share=ident)

        return apply

    def action_followup(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        subject = safe.isolated(summary.subject, limit=40)
        current = local_time(summary.followup_at) if summary.followup_at else None

        def chosen(choice: FollowUpChoice | None) -> None:
            if choice is not None:
                self._change(
                    lambda: Change(
                        f"{service.set_followup(summary.id, choice.due, choice.note)}: {subject}",
                        conversation=summary.id,
                    )
                )

        note = service.followup_note(summary.id) if current else ""
        self.app.push_screen(FollowUpModal(summary.subject, service.now(), current, note), chosen)

    def action_tags(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        subject = safe.isolated(summary.subject, limit=40)

        def chosen(change: TagChange | None) -> None:
            if change is not None:
                self._change(
                    lambda: Change(f"{service.tag(summary.id, change)}: {subject}", conversation=summary.id)
                )

        self.app.push_screen(TagModal(summary.subject, summary.tags, service.tags_in_use()), chosen)

    def action_customer(self) -> None:
        summary = self._target()
        if summary is None:
            return
        if not summary.customer_email:
            self.app.notify("No customer here: the mail comes from a no-reply sender.")
            return
        from supportinbox.tui.screens.customer import CustomerScreen

        self.app.push_screen(CustomerScreen(summary.customer_email, current=summary.id))

    def action_claim(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        subject = safe.isolated(summary.subject, limit=40)

        def release(undo: Callable[[], Change] | None) -> Change:
            said = f"{service.release(summary.id)}: {subject}" + (" (u to undo)" if undo else "")
            return Change(said, undo, share=summary.id)

        # The app shows no conversation ids: a refusal names it by its subject and customer.
        named = self._named(summary.id) or "this conversation"

        def claim(undo: Callable[[], Change] | None) -> Change:
            from supportinbox.team.server import TeamConflict

            try:
                claimed = service.claim(summary.id)
            except TeamConflict as exc:
                if not exc.holder:
                    raise
                raise TeamConflict(f"{exc.holder} holds {named}; ask them first.", exc.holder) from None
            said = f"{claimed}: {subject}" + (" (u to undo)" if undo else "")
            return Change(said, undo, share=summary.id)

        if summary.assigned_to == service.account.agent:
            # One's own claim is given back to the team (the app's one way to release it).
            self._change(lambda: release(lambda: claim(None)))
        else:
            self._change(lambda: claim(lambda: release(None)))

    def action_hand_over(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        subject = safe.isolated(summary.subject, limit=40)

        def chosen(handover: HandOver | None) -> None:
            if handover is not None:
                self._change(
                    lambda: Change(
                        f"{service.assign(summary.id, handover.agent, handover.note)}: {subject}",
                        share=summary.id,
                    )
                )

        holder = summary.assigned_to
        self.app.push_screen(
            HandOverModal(summary.subject, service.teammates(), holder, service.handovers(summary.id)),
            chosen,
        )

    def action_forward(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        subject = safe.isolated(summary.subject, limit=40)

        def chosen(choice: ForwardChoice | None) -> None:
            if choice is None:
                return

            def apply() -> Change:
                result = service.forward(
                    summary.id, choice.to, choice.note, choice.excerpt, attachments=choice.attachments
                )
                self.app.call_from_thread(self.inbox_app.outbox_changed)
                to = safe.isolated(choice.to, limit=60)
                if result.sent:
                    return Change(f"Forwarded to {to}: {subject}", share=summary.id)
                return Change(
                    f"The forward to {to} waits in the outbox "
                    f"({one_line(result.message, limit=80)}); O shows it",
                    share=summary.id,
                    warns=True,
                )

            self._change(apply)

        files = service.attachment_count(summary.id)
        self.app.push_screen(ForwardModal(summary.subject, summary.message_count, files), chosen)

    def action_note(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        subject = safe.isolated(summary.subject, limit=40)

        def written(text: str | None) -> None:
            if text:
                self._change(
                    lambda: Change(f"{service.add_note(summary.id, text)}: {subject}", share=summary.id)
                )

        self.app.push_screen(NoteModal(summary.subject), written)

    def action_spam(self) -> None:
        summary = self._target()
        if summary is None:
            return
        app = self.inbox_app
        service = app.service

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._change(lambda: Change(service.mark_spam(summary.id), conversation=summary.id))

        self.app.push_screen(
            ConfirmModal(
                "Move to Junk?",
                # Fields of their own: an Arabic name beside an Arabic subject reads as one run.
                safe.assemble(
                    safe.line(sender_label(summary.customer_name, summary.customer_email, reason=False)),
                    ": ",
                    safe.line(summary.subject, limit=60),
                    "\nThe conversation's messages move to Junk. It can be rescued from the "
                    f"Junk view ({app.key_for('view_junk', '5')}; {app.key_for('junk_all', 'a')} "
                    "lists all of Junk, not only the suspects).",
                ),
                yes="Move to Junk",
            ),
            confirmed,
        )

    def action_toggle_read(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        subject = safe.isolated(summary.subject, limit=40)
        read = summary.unread_count > 0

        def mark(now_read: bool) -> Callable[[], Change]:
            def apply() -> Change:
                message = service.mark_read(summary.id, now_read)
                return Change(f"{message}: {subject} (u to undo)", mark(not now_read), flags_changed=True)

            return apply

        self._change(mark(read))

    def action_undo(self) -> None:
        undo = self._undo
        if undo is None:
            self.app.notify("Nothing to undo.")
            return
        self._undo = None
        self._change(undo)

    def action_reply(self) -> None:
        summary = self._target()
        if summary is not None:
            from supportinbox.tui.screens.reply import TemplatePickerScreen

            self.app.push_screen(TemplatePickerScreen(summary.id))

    def _change(self, apply: Callable[[], Change]) -> None:
        self._run_change(apply)

    @work(thread=True, exit_on_error=False, group="change", description="Saving a change")
    def _run_change(self, apply: Callable[[], Change]) -> Change:
        return apply()

    @work(thread=True, exit_on_error=False, group="share", description="Telling the team")
    def _share(self, conversation_id: str) -> str:
        return self.inbox_app.service.share(conversation_id)

    def _sharing(self) -> dict[Worker[str], tuple[str, Notification]]:
        """The conversation each share under way is about and its toast (for a refusal)."""
        if self._shares is None:
            self._shares = {}
        return self._shares

    def _named(self, conversation_id: str | None) -> str:
        """“Subject” (customer) of a cached conversation; empty when it is not there."""
        if conversation_id is None:
            return ""
        try:
            summary = self.inbox_app.service.conversation(conversation_id).summary
        except UserError:
            return ""
        subject = one_line(summary.subject, limit=60) or "(no subject)"
        customer = one_line(summary.customer_name or summary.customer_email, limit=40)
        return f"“{subject}” ({customer})" if customer else f"“{subject}”"

    @on(Worker.StateChanged)
    def _change_done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group not in ("change", "share"):
            return
        if event.state == WorkerState.ERROR:
            from supportinbox.team.server import TeamConflict  # loaded by the share that failed

            error = worker.error
            if worker.group == "share" and isinstance(error, TeamConflict):
                # A teammate's claim the server had and this cache did not (both pressed at
                # once): the change just toasted did not stand, so it has nothing to undo.
                self._undo = None
                conversation, toast = self._sharing().pop(worker, (None, None))
                if toast is not None:
                    self.inbox_app.withdraw(toast)  # "Claimed by you … (u to undo)" is false now
                message = f"Your change was not taken: {error.message}"
                named = self._named(conversation)
                if named and error.holder:
                    # The app shows no conversation ids: the conversation by its customer and subject.
                    message = f"Your change was not taken: {error.holder} holds {named}; ask them first."
                self.inbox_app.show_error(TeamConflict(message, error.holder))
            else:
                self.inbox_app.worker_failed(worker)
            if worker.group == "share":
                self.inbox_app.refresh_views()  # a teammate's claim found meanwhile is shown
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, Change):
            change = worker.result
            if change.undo is not None:
                self._undo = change.undo
            toast = self.inbox_app.toast(
                change.message, severity="warning" if change.warns else "information"
            )
            for screen in self.app.screen_stack:
                if isinstance(screen, ConversationActions):
                    screen.own_change = change.changed
            self.inbox_app.refresh_views()
            if change.flags_changed:
                self.inbox_app.schedule_push()
            if change.share:
                self._sharing()[self._share(change.share)] = (change.share, toast)
        elif event.state == WorkerState.SUCCESS and worker.group == "share":
            self._sharing().pop(worker, None)
            if worker.result:
                self.app.notify(str(worker.result), severity="warning")
