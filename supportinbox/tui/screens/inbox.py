"""The inbox: the triage queue by view (Open, Pending, Snoozed, Closed, Junk suspects, All,
Automated).

Opens from the cache at once; a sync running in the background refreshes it in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher, Tab, Tabs

from supportinbox.domain import sla
from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.safetext import one_line
from supportinbox.domain.status import snoozed_words
from supportinbox.errors import UserError
from supportinbox.tui import safe
from supportinbox.tui.format import tag_style
from supportinbox.tui.incident_rows import IncidentFolding
from supportinbox.tui.screens.actions import ConversationActions
from supportinbox.tui.service import VIEWS
from supportinbox.tui.widgets.banner import Banner
from supportinbox.tui.widgets.junk_list import JunkList
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.queue_table import QueueSource, QueueTable
from supportinbox.tui.widgets.reason_line import ReasonLine
from supportinbox.tui.widgets.status_bar import StatusBar
from supportinbox.tui.widgets.view_tabs import ViewTabs

if TYPE_CHECKING:
    pass


# A tab is its label with a cell of padding on each side (Textual's Tab).
_TAB_PADDING = 2
# The views' names where the full ones do not fit the width (the keys 1-7 stay the same).
_SHORT_LABELS = {"junk": "Junk", "automated": "Auto"}


class InboxScreen(ConversationActions):
    """The triage queue, newest urgent first, with the reasons of the row under the cursor."""

    BINDINGS = [  # noqa: RUF012
        Binding("enter", "open", "Open", id="open", tooltip="Read the conversation"),
        Binding("slash", "search", "Search", id="search", tooltip="Search the cache as you type"),
        Binding("J", "junk_review", "Junk review", show=False, id="junk_review", tooltip="Customers in Junk"),
        Binding(
            "R", "reports", "Reports", show=False, id="reports", tooltip="How support is going, with charts"
        ),
        Binding("right,l,tab", "next_view", "Next view", show=False, id="next_view"),
        Binding("left,h,shift+tab", "previous_view", "Previous view", show=False, id="previous_view"),
        Binding("1", "view('open')", "Open view", show=False, id="view_open"),
        Binding("2", "view('pending')", "Pending view", show=False, id="view_pending"),
        Binding("3", "view('snoozed')", "Snoozed view", show=False, id="view_snoozed"),
        Binding("4", "view('closed')", "Closed view", show=False, id="view_closed"),
        Binding("5", "view('junk')", "Junk suspects", show=False, id="view_junk"),
        Binding("6", "view('all')", "All view", show=False, id="view_all"),
        Binding("7", "view('automated')", "Automated view", show=False, id="view_automated"),
        *ConversationActions.ACTION_BINDINGS,
    ]

    # A Junk suspect is no conversation yet ('!' rescues it into one): the keys for one do
    # nothing there, so they are neither offered in the key hints nor run.
    _CONVERSATION_ONLY = frozenset(
        b.action.partition("(")[0] for b in ConversationActions.ACTION_BINDINGS if b.action != "undo"
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (getattr(self, "_view", "") == "junk" and action in self._CONVERSATION_ONLY)

    def __init__(self) -> None:
        super().__init__(classes="inbox-screen")
        self._view = "open"
        self._expanded: set[str] = set()  # incidents shown with their conversations
        self._folding: IncidentFolding | None = None
        self._empty = False  # the view shows no row
        # Conversations a reload took out of a view (by id: the summary and the view), said
        # once the queue has settled (see _say_departures).
        self._departed: dict[str, tuple[ConversationSummary, str]] = {}

    def compose(self) -> ComposeResult:
        service = self.inbox_app.service
        if banner := service.banner():
            yield Banner(banner)
        yield ViewTabs(*(Tab(label, id=f"view-{key}") for key, label in VIEWS), id="views")
        with ContentSwitcher(initial="queue", id="inbox-body"):
            yield QueueTable(now=service.now, id="queue")
            yield JunkList(service, id="junk")
        yield ReasonLine(id="reasons")
        yield StatusBar(service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self._show_view(self._view)

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status
        if self._empty and self._view != "junk":
            self._show_reasons(None)  # "nothing yet" while a first sync runs, then "nothing"

    # -- views ------------------------------------------------------------------------------

    def _show_view(self, view: str) -> None:
        self._view = view
        service = self.inbox_app.service
        self.query_one(Tabs).active = f"view-{view}"
        switcher = self.query_one(ContentSwitcher)
        if view == "junk":
            switcher.current = "junk"
            junk = self.query_one(JunkList)
            junk.reload()
            junk.focus()
        else:
            switcher.current = "queue"
            table = self.query_one(QueueTable)
            folding = self._folding = service.incident_folding(view, self._expanded)
            table.show(
                QueueSource(
                    count=folding.count,
                    page=folding.page,
                    locate=lambda found: folding.locate(found, lambda c: service.queue_position(view, c)),
                ),
                view=view,
            )
            table.focus()
        self._update_tab_counts()
        self.refresh_bindings()  # the Junk list offers other keys than the queue

    def _update_tab_counts(self) -> None:
        counts = self.inbox_app.service.view_counts()
        texts = {key: f"{label} {counts.get(key, 0)}" for key, label in VIEWS}
        # One cell more than the screen only scrolls a padding away; more would cut the last
        # counts off at 80 columns, and "Open" scrolled out of sight on the views to the right.
        if sum(len(text) + _TAB_PADDING for text in texts.values()) > self.app.size.width + 1:
            texts = {key: f"{_SHORT_LABELS.get(key, label)} {counts.get(key, 0)}" for key, label in VIEWS}
        for key, text in texts.items():
            tab = self.query_one(f"#view-{key}", Tab)
            if tab.label.plain != text:  # a new label re-lays-out the tab bar: only when it changed
                tab.label = safe.line(text)

    def on_resize(self) -> None:
        self._update_tab_counts()

    @on(Tabs.TabActivated)
    def _tab_clicked(self, event: Tabs.TabActivated) -> None:
        # A view switch by key activates its tab too, which announces itself afterwards: by
        # then a quick second key may have moved on, and following the stale announcement
        # would flip between the two views for ever. Only the tab still active counts.
        if event.tab.id != self.query_one(Tabs).active:
            return
        view = (event.tab.id or "").removeprefix("view-")
        if view and view != self._view:
            self._show_view(view)

    def action_view(self, view: str) -> None:
        self._show_view(view)

    def action_next_view(self) -> None:
        keys = [key for key, _ in VIEWS]
        self._show_view(keys[(keys.index(self._view) + 1) % len(keys)])

    def action_previous_view(self) -> None:
        keys = [key for key, _ in VIEWS]
        self._show_view(keys[(keys.index(self._view) - 1) % len(keys)])

    def refresh_from_cache(self) -> None:
        """Re-read the queue after a sync or a change, keeping the cursor's place."""
        if self._view == "junk":
            self.query_one(JunkList).reload()
        else:
            self.query_one(QueueTable).reload()
        self._update_tab_counts()
        self._say_departures()  # after a sync's last reload: what left it, and stayed out

    def refresh_ages(self) -> None:
        super().refresh_ages()
        if self._view != "junk":
            self.query_one(QueueTable).refresh_ages()

    # -- the row under the cursor -----------------------------------------------------------

    @on(QueueTable.Moved)
    def _moved(self, event: QueueTable.Moved) -> None:
        place = f"{event.position + 1}/{event.total}" if event.total else ""
        if event.total and self._folding is not None:
            # Counted in conversations, as the view's tab counts them: "1–4/37" on an incident.
            first, last = self._folding.place(event.position)
            total = self._folding.conversations
            place = f"{first + 1}/{total}" if first == last else f"{first + 1}–{last + 1}/{total}"
        self.query_one(StatusBar).position = place
        self._empty = not event.total
        self._show_reasons(event.summary)

    @on(QueueTable.Left)
    def _left_view(self, event: QueueTable.Left) -> None:
        """Say why the cursor is on another conversation: its own left this view."""
        if event.gone.id == self.own_change:
            self.own_change = None
            return  # the user's own change (closed it, marked it spam): nothing to explain
        self._departed[event.gone.id] = (event.gone, event.view)
        self._say_departures()

    def _say_departures(self) -> None:
        """Say which conversations left their view, as things stand once the queue has settled.

        A reload during a sync can catch a passing state (a scheduled reply sent: pending; the
        customer's newer mail, fetched a moment later: open again), and its Left message can
        be handled after the sync's last reload. So nothing is said while a sync runs, and
        what is said is read when it is said: a conversation back in its view goes unsaid,
        and the status named is the one it has then.
        """
        if not self._departed or self.inbox_app.sync_status.syncing:
            return
        from supportinbox.tui.screens.conversation import ConversationScreen

        departed, self._departed = self._departed, {}
        service = self.inbox_app.service
        on_top = self.app.screen
        for gone, view in departed.values():
            if isinstance(on_top, ConversationScreen) and on_top.conversation_id == gone.id:
                continue  # changed where the user reads it (their reply set its status): its head says so
            if service.queue_position(view, gone.id) is not None:
                continue  # back in the view: nothing left it
            subject = safe.isolated(gone.subject, limit=40) or "(no subject)"
            try:
                why = f"is now {service.conversation(gone.id).summary.status}"
            except UserError:
                why = "is no longer in the cache"
            label = dict(VIEWS).get(view, view)
            if on_top is not self or view != self._view:
                # The queue is not in sight: where its cursor went says nothing.
                self.app.notify(f"“{subject}” {why} and left {label}.", markup=False)
                continue
            now = self.query_one(QueueTable).current
            where = f"the cursor is on “{safe.isolated(now.subject, limit=40)}”" if now else "nothing left"
            self.app.notify(f"“{subject}” {why} and left {label}; {where}.", markup=False)

    @on(JunkList.Highlighted)
    def _junk_moved(self, event: JunkList.Highlighted) -> None:
        from supportinbox.tui.screens.junk import suspect_reasons

        junk = self.query_one(JunkList)
        self.query_one(ReasonLine).content = suspect_reasons(event.suspect, everything=junk.showing_all)
        # The place in this list, not the queue's (the status bar showed the queue's "5/34").
        place = f"{junk.cursor_row + 1}/{junk.total}" if event.suspect is not None else ""
        self.query_one(StatusBar).position = place

    def action_reports(self) -> None:
        from supportinbox.tui.screens.reports import ReportsScreen

        self.app.push_screen(ReportsScreen())

    def action_junk_review(self) -> None:
        from supportinbox.tui.screens.junk import JunkScreen

        self.app.push_screen(JunkScreen())

    def _show_reasons(self, summary: ConversationSummary | None) -> None:
        reasons = self.query_one(ReasonLine)
        if summary is None:
            reasons.content = safe.line(self._nothing_here(), style="$text-muted")
            return
        snoozed = snoozed_words(summary.status, summary.snoozed_until, self.inbox_app.service.now())
        why = [*filter(None, [snoozed]), *(one_line(r) for r in summary.reasons if one_line(r))]
        why = why or ["no urgency signals"]
        style = "$warning" if sla.is_lifted(summary.band) else "$text-muted"
        # A line breaks between reasons, never inside one ("in 38 min", a name, a date).
        reasons.content = safe.fields(
            safe.row(
                *(safe.field((f"#{tag}", tag_style(tag)), before=" ") for tag in summary.tags),
                *(
                    safe.field(
                        *([("Why: ", "bold")] if i == 0 else []),
                        (reason, style),
                        before="  " if i == 0 else " · ",
                    )
                    for i, reason in enumerate(why)
                ),
                joint_style=style,
            )
        )

    def _nothing_here(self) -> str:
        status = self.inbox_app.sync_status
        if self._empty and status.has_server and status.last_sync is None:
            if status.syncing:
                # A first sync: the queue fills once it is done, not message by message.
                return "Nothing here yet: the first sync is bringing the mailbox in (see below)."
            # A first sync that failed (offline, a refused login): the mailbox is not empty.
            return "Nothing here yet: the mailbox has not been synced (see below why)."
        return "Nothing here."

    def current_summary(self) -> ConversationSummary | None:
        if self._view == "junk":
            return None
        current = self.query_one(QueueTable).target
        if self._folding is not None and self._folding.incident_of(current) is not None:
            return None  # an incident's own row: status keys act on conversations only
        return current

    def no_target_reason(self) -> str:
        if self._current_incident() is None:
            return ""
        app = self.inbox_app
        return (
            f"This row is an incident, not a conversation: {app.key_for('open', 'enter')} unfolds it "
            f"and the keys act on each of its conversations; {app.key_for('reply', 'r')} answers them all."
        )

    def _current_incident(self) -> tuple[str, tuple[str, ...]] | None:
        """The incident under the cursor (its id and conversations), if the row is one."""
        if self._view == "junk" or self._folding is None:
            return None
        incident = self._folding.incident_of(self.query_one(QueueTable).target)
        if incident is None:
            return None
        return incident.id, incident.members

    def action_reply(self) -> None:
        found = self._current_incident()
        if found is None:
            super().action_reply()
            return
        _, members = found
        waiting = tuple(self.inbox_app.service.awaiting_answer(members))
        if not waiting:
            self.app.notify("Nobody in this incident is waiting for an answer.")
            return
        from supportinbox.tui.screens.reply import TemplatePickerScreen

        self.app.push_screen(TemplatePickerScreen(waiting[0], incident=waiting))

    @on(QueueTable.RowSelected)
    def action_open(self) -> None:
        if self._view == "junk":
            self.query_one(JunkList).action_open()
            return
        found = self._current_incident()
        if found is not None:
            ident, _ = found
            self._expanded.symmetric_difference_update({ident})
            self.query_one(QueueTable).reload()
            return
        summary = self.current_summary()
        if summary is not None:
            from supportinbox.tui.screens.conversation import ConversationScreen

            self.app.push_screen(ConversationScreen(summary.id, neighbours=self._step_from))

    def _step_from(self, conversation_id: str, step: int) -> ConversationSummary | None:
        """The conversation ``step`` rows away in the queue, passing over incidents' own rows.

        An incident's row is not a conversation (its members are the rows under it); at either
        end of the queue the cursor goes back to the conversation that is shown.
        """
        table = self.query_one(QueueTable)
        start = table.position
        summary = table.step_from(conversation_id, step)
        folding = self._folding
        while summary is not None and folding is not None and folding.incident_of(summary) is not None:
            summary = table.step_from(summary.id, step)
        if summary is None:
            table.move_to(start)
        return summary

    def action_search(self) -> None:
        from supportinbox.tui.screens.search import SearchScreen

        self.app.push_screen(SearchScreen())

    def now(self) -> datetime:
        return self.inbox_app.service.now()
