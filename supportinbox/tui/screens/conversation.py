"""One conversation: why it is urgent, internal notes, the thread, the customer's other mail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import AwaitMount
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from supportinbox.domain import sla
from supportinbox.domain.conversation import (
    ConversationDetail,
    ConversationSummary,
    MessageView,
    attachment_name,
    listed_attachments,
)
from supportinbox.domain.customer import nameless_sender
from supportinbox.domain.safetext import one_line
from supportinbox.domain.senders import sender_label, sender_short
from supportinbox.domain.subjects import HEAD_SUBJECT_CELLS
from supportinbox.domain.when import count_of, iso, when_words
from supportinbox.errors import NotFound
from supportinbox.store.scheduled import wrote
from supportinbox.tui import safe
from supportinbox.tui.format import age, local_time, tag_style
from supportinbox.tui.screens.actions import Change, ConversationActions
from supportinbox.tui.screens.modals import ChooseModal, ConfirmModal
from supportinbox.tui.screens.regroup import MergePickerModal, SplitPickerModal
from supportinbox.tui.widgets.banner import Banner
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.status_bar import StatusBar
from supportinbox.tui.widgets.thread_view import (
    MessageBlock,
    NoteBlock,
    ThreadKeys,
    ThreadScrolling,
    sender_parts,
)

if TYPE_CHECKING:
    pass

# (conversation id, step) -> the conversation that many rows away in the opening list.
Neighbours = Callable[[str, int], ConversationSummary | None]


def _identity(message: MessageView) -> tuple[str, ...]:
    """The same message across re-reads (a folder fetched again renumbers its UIDs)."""
    return (message.message_id,) if message.message_id else (message.folder, str(message.uid))


class ConversationScreen(ThreadScrolling, ConversationActions):
    """The thread as readable text; quoted history and signatures folded until ``e``."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape,backspace", "back", "Back", id="back", tooltip="Back to the inbox"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id="scroll_down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="scroll_up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="thread_page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="thread_page_up"),
        Binding("g,home", "top", "Top", show=False, id="thread_top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="thread_bottom"),
        Binding("e", "expand", "Expand quotes", id="expand", tooltip="Show quoted text and signatures"),
        Binding("H", "headers", "Headers", show=False, id="headers", tooltip="Show message headers"),
        Binding("d", "save_attachment", "Save attachment", show=False, id="save_attachment", tooltip="Save"),
        Binding(
            "J,right_square_bracket",
            "step(1)",
            "Next conversation",
            show=False,
            id="next_conversation",
            tooltip="The next conversation of the list this one was opened from",
        ),
        Binding(
            "K,left_square_bracket",
            "step(-1)",
            "Previous conversation",
            show=False,
            id="previous_conversation",
            tooltip="The previous conversation of the list this one was opened from",
        ),
        Binding(
            "M", "merge", "Merge", show=False, id="merge", tooltip="Merge another conversation into this one"
        ),
        Binding(
            "X", "split", "Split", show=False, id="split", tooltip="Start a new conversation at a message"
        ),
        *ConversationActions.ACTION_BINDINGS,
    ]

    def __init__(self, conversation_id: str, *, neighbours: Neighbours | None = None) -> None:
        super().__init__(classes="conversation-screen")
        self.conversation_id = conversation_id
        # Steps through the list this conversation was opened from (its queue order).
        self._neighbours = neighbours
        self._detail: ConversationDetail | None = None
        self._fetched = 0  # the newest message in the cache when the thread was last read
        self._expanded = False
        self._headers = False
        self._same_name = ""  # another customer has this one's name (the profile's hint)
        self._gone = False  # its mail left the mailbox: the screen closes when next shown
        self._mounted: AwaitMount | None = None  # the thread's blocks, mounting

    def compose(self) -> ComposeResult:
        service = self.inbox_app.service
        if banner := service.banner():
            yield Banner(banner)
        yield Static(id="conversation-head")
        yield VerticalScroll(id="thread")
        yield StatusBar(service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self.refresh_from_cache()
        if self._gone:
            return
        self.query_one("#thread").focus()
        self._open_at_news()
        self._mark_opened(self.conversation_id)

    def _open_at_news(self) -> None:
        """Start at the first message not read yet, else at the newest one.

        A long thread opened at its first message hid the customer's latest words, the
        ones waiting for an answer, below the fold. A thread read from its start (every
        message new, or it fits the screen) stays at the top.
        """
        blocks = list(self.query(MessageBlock))
        if not blocks:
            return
        target = next(
            (b for b in blocks if not b.message.from_us and "\\Seen" not in b.message.flags), blocks[-1]
        )
        if target is not blocks[0]:
            thread = self.query_one("#thread", VerticalScroll)
            mounted = self._mounted

            async def scroll() -> None:
                # Where the target is, is known once it is mounted and laid out: on a busy
                # machine the first refresh came before that, and the scroll went nowhere.
                if mounted is not None:
                    await mounted
                self.call_after_refresh(thread.scroll_to_widget, target, animate=False, top=True)

            self.call_later(scroll)

    @work(thread=True, exit_on_error=False, group="read", description="Marking read")
    def _mark_opened(self, conversation_id: str) -> bool:
        return self.inbox_app.service.read_on_open(conversation_id)

    @on(Worker.StateChanged)
    def _opened_marked(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "read":
            return
        if event.state == WorkerState.SUCCESS and event.worker.result:
            self.inbox_app.read_state_changed(skip=self)
        elif event.state == WorkerState.ERROR:
            self.inbox_app.worker_failed(event.worker)

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    def current_summary(self) -> ConversationSummary | None:
        return self._detail.summary if self._detail else None

    def refresh_ages(self) -> None:
        super().refresh_ages()
        if self._detail is not None:
            self._show_head(self._detail)

    def refresh_from_cache(self) -> None:
        """Read the conversation again (after a change, a reply or a sync)."""
        service = self.inbox_app.service
        try:
            detail = service.conversation(self.conversation_id)
        except NotFound:
            # Merged into another conversation (here or by a teammate), or regrouped under
            # another id: show that one. Its mail deleted or moved on the server: leave.
            into = service.merged_into(self.conversation_id)
            now_in = into or self._regrouped_as()
            if now_in is None:
                self._leave_gone()
                return
            self.conversation_id = now_in
            if into is not None:
                self.notify(f"This conversation was merged into {into}: showing that one.")
            else:
                self.notify(f"This conversation's messages are in {now_in} now: showing that one.")
            detail = service.conversation(now_in)
        before, self._detail = self._detail, detail
        fetched_before, self._fetched = self._fetched, service.newest_message()
        if before is not None and before.id == detail.id and self.app.screen is self:
            self._say_written_again(before, detail, fetched_before)
        # Read with the conversation, not at each redraw of the head (ages tick every minute).
        self._same_name = service.same_name_hint(detail.summary.customer_name, detail.summary.customer_email)
        self._show_head(detail)
        thread = self.query_one("#thread", VerticalScroll)
        thread.remove_children()
        widgets: list[Static | MessageBlock | NoteBlock | OptionList] = [
            NoteBlock(note) for note in detail.notes
        ]
        app = self.inbox_app
        keys = ThreadKeys(app.key_for("expand", "e"), app.key_for("save_attachment", "d"))
        for message in detail.messages:
            block = MessageBlock(message, expanded=self._expanded, subject=detail.summary.subject, keys=keys)
            block.set_class(self._headers, "show-headers")
            widgets.append(block)
        others = service.customer_conversations(detail.summary.customer_email, exclude=detail.id)
        if others:
            widgets.append(
                Static(
                    safe.line("Other conversations with this customer (i: profile)", style="bold"),
                    classes="others-title",
                )
            )
            widgets.append(
                OptionList(
                    *(
                        Option(
                            safe.line(
                                f"{local_time(o.last_message_at)}  {o.status:<8} "
                                f"{one_line(o.subject, limit=70) or '(no subject)'}"
                            ),
                            id=o.id,
                        )
                        for o in others
                    ),
                    # A class, not an id: a second re-read in the same turn (a sync ending as
                    # mail is marked read) mounts its list before the first one is removed.
                    classes="others",
                )
            )
        self._mounted = thread.mount_all(widgets)

    def _say_written_again(self, before: ConversationDetail, after: ConversationDetail, fetched: int) -> None:
        """A person wrote in the open conversation: said, since the new message may be below
        what is in sight (a reply being written says it itself). Only mail fetched since the
        last read (``fetched``: the newest cache row then): a merge brings older mail in."""
        seen = {_identity(m) for m in before.messages}
        new = [m for m in after.messages if _identity(m) not in seen and m.rowid > fetched and wrote(m)]
        if not new:
            return
        latest = new[-1]
        who = one_line(latest.from_name or latest.from_addr, limit=40) or "The customer"
        when = when_words(latest.date, self.inbox_app.service.now())
        said = one_line(latest.body_text, limit=80)
        self.notify(
            f"{who} wrote again {when}" + (f": “{said}”" if said else "") + " (End shows it).",
            title="New in this conversation",
            markup=False,
        )

    def _regrouped_as(self) -> str | None:
        """The conversation holding the messages this screen showed, if any is cached still."""
        if self._detail is None:
            return None
        ids = [m.message_id for m in self._detail.messages if m.message_id]
        return self.inbox_app.service.conversation_holding(ids)

    def _leave_gone(self) -> None:
        """The conversation left the mailbox: say so and go back, once this screen is shown
        (a reply being written on top of it stays open, and its text with it)."""
        self._gone = True
        if self.app.screen is self:
            self.call_later(self._close_gone)

    def on_screen_resume(self) -> None:
        if self._gone:
            self.call_later(self._close_gone)

    def _close_gone(self) -> None:
        # Only the screen on top may close itself (dismiss pops the top one), and only once.
        if self.app.screen is not self or not self._gone:
            return
        self._gone = False
        self.notify(
            "This conversation is no longer in the mailbox: its mail was deleted or moved on the server.",
            severity="warning",
        )
        self.dismiss(None)

    def _show_head(self, detail: ConversationDetail) -> None:
        summary = detail.summary
        now = self.inbox_app.service.now()
        facts = [summary.status]
        if summary.assigned_to:
            facts.append(f"owner {one_line(summary.assigned_to)}")
        if summary.waiting_since and summary.status == "open":
            facts.append(f"waiting {age(summary.waiting_since, now)}")
        if summary.snoozed_until and summary.status == "snoozed":
            facts.append(f"until {local_time(summary.snoozed_until)}")
        if summary.followup_at and summary.followup_at > (iso(now) or ""):
            facts.append(f"follow-up {local_time(summary.followup_at)}")
        facts.append(count_of(summary.message_count, "message"))
        if detail.notes:
            # Notes stand above the thread, and it opens at the news below them: a teammate's
            # hand-over reason was out of sight with nothing saying it was there.
            facts.append(f"{count_of(len(detail.notes), 'note')} at the top")
        who = (
            safe.field(*sender_parts(summary.customer_name, summary.customer_email, style="bold $accent"))
            if not nameless_sender(summary.customer_name, summary.customer_email)
            else safe.field((one_line(summary.customer_name), "bold"), ("  no one to answer", "$text-muted"))
        )
        # Each fact, tag and reason is a field: a line breaks between them, never inside
        # "waiting 3h 00m", a name or "follow-up due Mon 14 Dec".
        why_style = "$warning" if sla.is_lifted(summary.band) else "$text-muted"
        reasons = [one_line(r) for r in summary.reasons if one_line(r)]
        subject = one_line(summary.subject) or "(no subject)"
        self.query_one("#conversation-head", Static).update(
            safe.fields(
                safe.row(safe.field(safe.line(subject, limit=HEAD_SUBJECT_CELLS, style="bold"))),
                safe.row(
                    who,
                    *(safe.field(fact, before="  " if i == 0 else " · ") for i, fact in enumerate(facts)),
                    *(
                        safe.field((f"#{tag}", tag_style(tag)), before="  " if i == 0 else " ")
                        for i, tag in enumerate(summary.tags)
                    ),
                ),
                safe.row(safe.field((self._same_name, "$warning"))),
                safe.row(
                    *(
                        safe.field(*([("Why: ", "bold")] if i == 0 else []), (reason, why_style))
                        for i, reason in enumerate(reasons)
                    ),
                    hang=len("Why: "),
                    joint_style=why_style,
                ),
            )
        )

    @on(OptionList.OptionSelected, ".others")
    def _open_other(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(ConversationScreen(event.option.id))

    def action_step(self, step: int) -> None:
        """Show the next (1) or previous (-1) conversation of the list this one came from."""
        if self._neighbours is None:
            self.notify("Open a conversation from the inbox or a search to step through the list.")
            return
        summary = self._neighbours(self.conversation_id, step)
        if summary is None:
            self.app.bell()
            self.notify("That was the last one in this list." if step > 0 else "That was the first one.")
            return
        self.conversation_id = summary.id
        self.refresh_from_cache()
        self.query_one("#thread", VerticalScroll).scroll_home(animate=False)
        self._open_at_news()
        self._mark_opened(summary.id)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_expand(self) -> None:
        self._expanded = not self._expanded
        for block in self.query(MessageBlock):
            block.expanded = self._expanded

    def action_save_attachment(self) -> None:
        detail = self._detail
        messages = detail.messages if detail else []
        found = [(m, a) for m in messages for a in listed_attachments(m.attachments)]
        if not found:
            self.notify("No attachments in this conversation.")
            return
        choices = [
            (
                str(index),
                f"{one_line(attachment_name(a), limit=60)} — "
                f"{sender_short(m.from_name, m.from_addr, limit=30)}, {local_time(m.date)}",
            )
            for index, (m, a) in enumerate(found)
        ]

        def chosen(key: str | None) -> None:
            if key is not None:
                message, attachment = found[int(key)]
                self._save(message, attachment)

        self.app.push_screen(ChooseModal("Save which attachment?", choices), chosen)

    @work(thread=True, exit_on_error=False, group="attachment", description="Saving an attachment")
    def _save(self, message: MessageView, attachment: dict[str, Any]) -> Path:
        return self.inbox_app.service.save_attachment(message, attachment)

    @on(Worker.StateChanged)
    def _saved(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "attachment":
            return
        if event.state == WorkerState.SUCCESS:
            self.notify(f"Saved to {event.worker.result}", title="Attachment")
        elif event.state == WorkerState.ERROR:
            self.inbox_app.worker_failed(event.worker)

    def action_merge(self) -> None:
        summary = self._target()
        if summary is None:
            return
        service = self.inbox_app.service
        candidates = service.merge_candidates(summary.id, summary.customer_email)
        subject = one_line(summary.subject, limit=40)

        def confirmed(other: ConversationSummary, force: bool, yes: bool | None) -> None:
            if yes:
                self._change(
                    lambda: Change(
                        f"{service.merge(summary.id, [other.id], force=force)}: {subject}",
                        conversation=summary.id,
                    )
                )

        def chosen(other: ConversationSummary | None) -> None:
            if other is None:
                return
            who = sender_label(other.customer_name, other.customer_email, reason=False)
            apart = service.customers_apart([summary, other])
            warning = (
                safe.assemble(
                    "Two different customers: ",
                    safe.line(apart[1], limit=60),
                    " and ",
                    safe.line(apart[0], limit=60),
                    ". Each one's mail will show in the other's conversation.\n\n",
                )
                if apart
                else ""
            )
            self.app.push_screen(
                ConfirmModal(
                    "Merge two customers' conversations?" if apart else "Merge into this conversation?",
                    safe.assemble(
                        warning,
                        safe.line(one_line(other.subject) or "(no subject)", limit=60),
                        " (",
                        safe.line(who, limit=40),
                        ") joins ",
                        safe.line(one_line(summary.subject) or "(no subject)", limit=60),
                        ": its messages, notes, tags and claim move here, for the whole team. "
                        "'X' splits them apart again.",
                    ),
                    yes="Merge anyway" if apart else "Merge",
                ),
                lambda yes: confirmed(other, bool(apart), yes),
            )

        self.app.push_screen(MergePickerModal(summary, candidates, service.search), chosen)

    def action_split(self) -> None:
        summary = self._target()
        if summary is None or self._detail is None:
            return
        messages = self._detail.messages
        if len(messages) < 2:
            self.notify("One message only: there is nothing to split off.")
            return
        service = self.inbox_app.service
        subject = one_line(summary.subject, limit=40)

        def chosen(number: int | None) -> None:
            if number:
                self._change(
                    lambda: Change(
                        f"{service.split(summary.id, number)[1]}: {subject}", conversation=summary.id
                    )
                )

        self.app.push_screen(SplitPickerModal(summary.subject, messages), chosen)

    def action_headers(self) -> None:
        self._headers = not self._headers
        for block in self.query(MessageBlock):
            block.set_class(self._headers, "show-headers")
