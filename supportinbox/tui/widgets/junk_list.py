"""Real customers found in the spam folder, with the reasons; ``!`` rescues one."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from supportinbox.domain.safetext import one_line
from supportinbox.errors import NotFound
from supportinbox.store.junk import JunkSuspect
from supportinbox.tui import safe
from supportinbox.tui.format import age

if TYPE_CHECKING:
    from supportinbox.tui.app import SupportInboxApp
    from supportinbox.tui.service import InboxService


# Said when a suspect about to be read, or being read, has left Junk since it was listed.
GONE = "This message is no longer in Junk: it was moved or deleted on the server."


class JunkList(DataTable[Content]):
    """Suspects, most likely customer first; ``a`` lists all of Junk (mail moved there by
    hand is seldom a suspect: this is where it is found again)."""

    DEFAULT_CSS = """
    JunkList {
        height: 1fr;
    }
    JunkList > .datatable--header {
        text-style: bold;
        background: $panel;
    }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("enter", "open", "Read", id="junk_read", tooltip="Read it and why it is a suspect"),
        Binding("exclamation_mark,R", "rescue", "Rescue", id="rescue", tooltip="Move it to the inbox"),
        # One key, two bindings: the one that would change nothing is hidden (check_action).
        Binding("a", "show_all(True)", "All of Junk", id="junk_all", tooltip="Every message in Junk, scored"),
        Binding("a", "show_all(False)", "Suspects only", id="junk_suspects_only", tooltip="Likely customers"),
        Binding("j", "cursor_down", "Down", show=False, id="junk_down"),
        Binding("k", "cursor_up", "Up", show=False, id="junk_up"),
    ]

    class Highlighted(Message):
        """The suspect under the cursor (None when the list is empty)."""

        def __init__(self, suspect: JunkSuspect | None) -> None:
            self.suspect = suspect
            super().__init__()

    def __init__(self, service: InboxService, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self._service = service
        self._suspects: list[JunkSuspect] = []
        self.showing_all = False  # every message in Junk, not only the suspects
        # Cells longer than their column are cut with "…", as in the queue (not clipped).
        self._sender_width = 22
        self._subject_width = 10

    def on_resize(self) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        # Hidden (before its view is first shown) the list has no size: its container's.
        parent = self.parent
        width = self.size.width or (parent.size.width if isinstance(parent, Widget) else 0) or 80
        sender = self._sender_width = 22 if width < 100 else 34
        subject = self._subject_width = max(width - sender - 5 - 8 - 10, 10)
        self.clear(columns=True)
        self.add_column(safe.column("Score"), key="score", width=5)
        self.add_column(safe.column("From"), key="from", width=sender)
        self.add_column(safe.column("Subject"), key="subject", width=subject)
        self.add_column(safe.column("Age"), key="age", width=8)
        self._fill()

    @property
    def total(self) -> int:
        """How many suspects the list holds (its rows may not be built yet: see on_resize)."""
        return len(self._suspects)

    @property
    def current(self) -> JunkSuspect | None:
        row = self.cursor_row
        return self._suspects[row] if 0 <= row < len(self._suspects) else None

    def reload(self) -> None:
        """Re-read the suspects from the cache (they are recomputed after every sync)."""
        self._suspects = self._service.junk_suspects(everything=self.showing_all)
        if self.columns:
            self._fill()
        else:
            # Never laid out: the Resize that would have built the columns may not come when
            # the view is shown in the size the list was given while hidden.
            self._lay_out()
        self.post_message(self.Highlighted(self.current))
        self.refresh_bindings()  # Read and Rescue offered only with a row to act on

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_all":
            return parameters[0] != self.showing_all
        if action in ("open", "rescue") and not self._suspects:
            return None  # shown, disabled: nothing to read or rescue
        return True

    def action_show_all(self, everything: bool) -> None:
        """List every message in Junk (scored, the suspects first), or only the suspects."""
        self.showing_all = everything
        self.reload()
        self.move_cursor(row=0)

    def _fill(self) -> None:
        now = self._service.now()
        self.clear()
        for suspect in self._suspects:
            self.add_row(
                safe.line(str(suspect.score), style="bold $success" if suspect.suspect else "$text-muted"),
                safe.line(suspect.who(), limit=self._sender_width),
                safe.line(
                    ("(rescue queued) " if suspect.rescue_queued else "")
                    + (one_line(suspect.subject) or "(no subject)"),
                    limit=self._subject_width,
                ),
                safe.line(age(suspect.date, now)),
                key=str(suspect.rowid),
            )

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        self.post_message(self.Highlighted(self.current))

    @on(DataTable.RowSelected)
    def _clicked(self, event: DataTable.RowSelected) -> None:
        # A click on a row: read it, as Enter does (the screen's own Enter opens nothing here).
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Enter on a suspect: read it, with why it is one, before it joins the inbox."""
        suspect = self.current
        if suspect is None:
            self.app.bell()
            return
        try:
            message = self._service.junk_message(suspect)
        except NotFound:
            self.app.notify(GONE, severity="warning")
            self.reload()
            return
        from supportinbox.tui.screens.junk import SuspectScreen  # the screen imports this list

        self.app.push_screen(SuspectScreen(suspect, message, rescue=lambda: self.rescue_one(suspect)))

    def action_rescue(self) -> None:
        suspect = self.current
        if suspect is None:
            self.app.bell()
            return
        self._rescue(suspect)

    def rescue_one(self, suspect: JunkSuspect) -> None:
        """Rescue ``suspect`` (read on its own screen: the cursor may have moved since)."""
        self._rescue(suspect)

    @work(thread=True, exclusive=True, exit_on_error=False, group="junk", description="Rescuing from Junk")
    def _rescue(self, suspect: JunkSuspect) -> str:
        return self._service.rescue(suspect)

    @on(Worker.StateChanged)
    def _rescued(self, event: Worker.StateChanged) -> None:
        app = cast("SupportInboxApp", self.app)
        if event.state == WorkerState.ERROR:
            app.worker_failed(event.worker)
        elif event.state == WorkerState.SUCCESS:
            app.notify(str(event.worker.result), title="Rescue")
            app.refresh_views()
