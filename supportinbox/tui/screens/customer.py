"""A customer's profile: first seen, every conversation, the team's notes (``i``).

``d`` adds colleagues at the same domain (never for public providers); Enter opens a
conversation; Escape goes back. The status bar and the key hints are the ones every
screen has; a sync or a change made elsewhere re-reads the profile.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import count_of
from supportinbox.errors import UserError
from supportinbox.store.customers import CustomerProfile
from supportinbox.tui import safe
from supportinbox.tui.format import local_time, tag_style
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.widgets.banner import Banner
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.status_bar import StatusBar
from supportinbox.tui.widgets.thread_view import sender_parts

if TYPE_CHECKING:
    pass


class CustomerScreen(AppScreen):
    """Who the customer is to us, before answering them."""

    DEFAULT_CSS = """
    CustomerScreen #customer-conversations {
        height: auto;
        max-height: 60%;
    }
    CustomerScreen #customer-head, CustomerScreen #customer-body {
        padding: 0 1;
    }
    CustomerScreen .customer-section {
        margin-top: 1;
    }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("escape,backspace,q", "back", "Back", id="customer_back", tooltip="Back"),
        Binding(
            "d", "toggle_domain", "Colleagues", id="customer_domain", tooltip="Include the address's domain"
        ),
    ]

    def __init__(self, email: str, *, current: str = "") -> None:
        super().__init__(classes="customer-screen")
        self.email = email
        self.current = current
        self.by_domain = False

    def compose(self) -> ComposeResult:
        service = self.inbox_app.service
        if banner := service.banner():
            yield Banner(banner)
        yield Static(id="customer-head")
        with VerticalScroll(id="customer-body"):
            yield Static(safe.line("Conversations", style="bold"), classes="customer-section")
            yield OptionList(id="customer-conversations")
            yield Static(id="customer-notes", classes="customer-section")
        yield StatusBar(service.now, id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.watch(self.app, "sync_status", self._status_changed)
        self.show()
        self.query_one(OptionList).focus()

    def _status_changed(self) -> None:
        self.query_one(StatusBar).status = self.inbox_app.sync_status

    def refresh_from_cache(self) -> None:
        """A sync, a reply or a change on another screen: the profile is read again."""
        self.show()

    def show(self) -> None:
        """Read the profile again (at start and when ``d`` changes what it covers)."""
        profile = self.inbox_app.service.customer_profile(self.email, by_domain=self.by_domain)
        self._show_head(profile)
        options = self.query_one(OptionList)
        # Read again after a sync, the cursor stays on the conversation it was on.
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        for summary in profile.conversations:
            who = (
                f"{one_line(summary.customer_email, limit=30)} · "
                if summary.customer_email != self.email
                else ""
            )
            this = " ← this one" if summary.id == self.current else ""
            # The marker takes from the subject: at 80 columns the line stays one line.
            subject = one_line(summary.subject, limit=40 - len(this)) or "(no subject)"
            # The subject a field of its own: an Arabic one reads right to left beside the date.
            label = safe.assemble(
                f"{local_time(summary.last_message_at)} · {summary.status} · {who}", safe.line(subject), this
            )
            # How it ended and what is still to come, a line each under it (80 columns).
            lines: list[safe.Part] = [label]
            for fact in profile.history.get(summary.id, ()):
                lines += ["\n    ", safe.line(fact, limit=72, style="$text-muted")]
            options.add_option(Option(safe.assemble(*lines), id=summary.id))
        if highlighted is not None:
            with suppress(OptionDoesNotExist):  # that conversation left the profile
                options.highlighted = options.get_option_index(highlighted)
        notes = [
            safe.assemble(
                (f"{local_time(n.created_at)} {one_line(n.author, limit=30)} on ", "$text-muted"),
                (one_line(n.subject, limit=50) or "(no subject)", "$text-muted"),
                "\n  ",
                one_line(n.body, limit=400),
                "\n",
            )
            for n in profile.notes
        ]
        body = safe.assemble(
            (("Notes\n", "bold") if notes else ("No notes on this customer.", "$text-muted")), *notes
        )
        self.query_one("#customer-notes", Static).update(body)

    def _show_head(self, profile: CustomerProfile) -> None:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(profile.counts.items()))
        scope = (
            f"with everyone at {one_line(profile.domain)} (d: this address only)"
            if profile.domain
            else "d: include colleagues at the same domain"
        )
        # Lines break between the facts, never inside one (see safe.fields).
        self.query_one("#customer-head", Static).update(
            safe.fields(
                safe.row(safe.field(*sender_parts(profile.name, profile.email, style="bold $accent"))),
                safe.row(
                    safe.field(f"first seen {local_time(profile.first_seen)}"),
                    safe.field(f"last {local_time(profile.last_seen)}"),
                    safe.field(f"{count_of(len(profile.conversations), 'conversation')} ({counts})"),
                ),
                safe.row(*(safe.field((f"#{tag}", tag_style(tag)), before=" ") for tag in profile.tags)),
                safe.row(safe.field((profile.same_name_line, "$warning"))),
                safe.row(safe.field((scope, "$text-muted"))),
            )
        )

    def action_toggle_domain(self) -> None:
        self.by_domain = not self.by_domain
        try:
            self.show()
        except UserError as exc:
            self.by_domain = False
            self.notify(exc.message, title="Customer")

    @on(OptionList.OptionSelected, "#customer-conversations")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            from supportinbox.tui.screens.conversation import ConversationScreen

            self.app.push_screen(ConversationScreen(event.option.id))

    def action_back(self) -> None:
        self.dismiss(None)
