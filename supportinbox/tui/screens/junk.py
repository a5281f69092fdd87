"""Junk review: messages in the spam folder that look like real customers, and why; and one
of them read before it is rescued (still in Junk: reading it moves nothing, marks nothing)."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from supportinbox.domain.conversation import MessageView
from supportinbox.domain.safetext import one_line
from supportinbox.domain.subjects import HEAD_SUBJECT_CELLS
from supportinbox.errors import NotFound
from supportinbox.store.junk import JunkSuspect
from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.widgets.junk_list import GONE, JunkList
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.reason_line import ReasonLine
from supportinbox.tui.widgets.status_bar import StatusBar
from supportinbox.tui.widgets.thread_view import MessageBlock, ThreadKeys, ThreadScrolling


def suspect_reasons(suspect: JunkSuspect | None, *, everything: bool = False) -> Content:
    """``Why: replied to before · DKIM pass ...`` for the suspect under the cursor (None: the
    list is empty, of suspects or, with ``everything``, of all of Junk)."""
    if suspect is None:
        empty = "Nothing in Junk." if everything else "No real customers found in the spam folder."
        return safe.line(empty, style="$text-muted")
    why = " · ".join(one_line(r) for r in suspect.reasons) or "no signs either way"
    return safe.assemble(("Why: ", "bold"), (why, "$text-success" if suspect.suspect else "$text-muted"))


TITLE = "Junk review — real customers caught by the spam filter"
TITLE_ALL = "Junk review — every message in Junk, the likely customers first"


class JunkScreen(AppScreen):
    """Suspects with their reasons; ``!`` rescues the one under the cursor."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back", id="junk_back", tooltip="Back to the inbox"),
    ]

    def compose(self) -> ComposeResult:
        service = self.inbox_app.service
        yield Static(safe.line(TITLE, style="bold"), id="junk-title")
        yield JunkList(service, id="junk")
        yield ReasonLine(id="reasons")
        yield StatusBar(service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self.refresh_from_cache()
        self.query_one(JunkList).focus()

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    def refresh_from_cache(self) -> None:
        self.query_one(JunkList).reload()

    @on(JunkList.Highlighted)
    def _highlighted(self, event: JunkList.Highlighted) -> None:
        everything = self.query_one(JunkList).showing_all
        self.query_one(ReasonLine).content = suspect_reasons(event.suspect, everything=everything)
        title = TITLE_ALL if everything else TITLE
        self.query_one("#junk-title", Static).update(safe.line(title, style="bold"))

    def action_back(self) -> None:
        self.dismiss(None)


class SuspectScreen(ThreadScrolling, AppScreen):
    """One suspect read as the conversation view shows a message, with why it is a suspect.

    It stays in Junk: nothing is moved or marked read. ``!`` goes back to the list it was
    opened from and has the list rescue it (``rescue``: one rescue, one toast, wherever it is
    asked for); Escape goes back with nothing done.
    """

    BINDINGS = [  # noqa: RUF012
        Binding(
            "escape,backspace", "back", "Back", id="suspect_back", tooltip="Back to the list, nothing moved"
        ),
        Binding("exclamation_mark,R", "rescue", "Rescue", id="rescue", tooltip="Move it to the inbox"),
        Binding("e", "expand", "Expand quotes", id="expand", tooltip="Show quoted text and signatures"),
        Binding("H", "headers", "Headers", show=False, id="headers", tooltip="Show message headers"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id="scroll_down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="scroll_up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="thread_page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="thread_page_up"),
        Binding("g,home", "top", "Top", show=False, id="thread_top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="thread_bottom"),
    ]

    def __init__(self, suspect: JunkSuspect, message: MessageView, rescue: Callable[[], None]) -> None:
        super().__init__(classes="suspect-screen")
        self.suspect = suspect
        self.message = message
        self._rescue = rescue

    def compose(self) -> ComposeResult:
        app = self.inbox_app
        rescue = app.key_for("rescue", "!")
        yield Static(
            # Said first: a stranger wonders whether opening it here already let it in.
            safe.line(
                f"In Junk — reading it here moves nothing; {rescue} moves it to the inbox.", style="bold"
            ),
            id="junk-title",
        )
        yield Static(self._head(), id="suspect-head")
        keys = ThreadKeys(app.key_for("expand", "e"), save="")
        with VerticalScroll(id="thread"):
            yield MessageBlock(self.message, keys=keys)
        yield StatusBar(app.service.now, id="status")
        yield KeyHints()

    def _head(self) -> safe.FieldLines:
        suspect = self.suspect
        reasons = [one_line(r) for r in suspect.reasons if one_line(r)] or ["no signs either way"]
        style = "$text-success" if suspect.suspect else "$text-muted"
        facts = [f"score {suspect.score}"]  # the date is the message's own, below
        if suspect.rescue_queued:
            facts.append("rescue queued for the next sync")
        return safe.fields(
            safe.row(
                safe.field(
                    safe.line(
                        one_line(suspect.subject) or "(no subject)", limit=HEAD_SUBJECT_CELLS, style="bold"
                    )
                )
            ),
            safe.row(
                safe.field(safe.line(suspect.who(), style="bold $accent")),
                *(
                    safe.field((fact, "$text-muted"), before="  " if i == 0 else " · ")
                    for i, fact in enumerate(facts)
                ),
            ),
            safe.row(
                *(
                    safe.field(*([("Why: ", "bold")] if i == 0 else []), (reason, style))
                    for i, reason in enumerate(reasons)
                ),
                hang=len("Why: "),
                joint_style=style,
            ),
        )

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self.query_one("#thread").focus()

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    def refresh_from_cache(self) -> None:
        """After a sync: the message may have left Junk (rescued by a teammate, deleted)."""
        try:
            message = self.inbox_app.service.junk_message(self.suspect)
        except NotFound:
            message = None
        gone = message is None or message.folder_role != "junk" or message.uid != self.message.uid
        if gone and self.app.screen is self:
            self.notify(GONE, severity="warning")
            self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_rescue(self) -> None:
        self.dismiss(None)
        self._rescue()

    def action_expand(self) -> None:
        block = self.query_one(MessageBlock)
        block.expanded = not block.expanded

    def action_headers(self) -> None:
        self.query_one(MessageBlock).toggle_class("show-headers")
