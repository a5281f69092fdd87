"""What every full screen of the app shares: the typed app, and re-reading the cache when told.

The app announces a change of the cache (a sync ended, a reply went out, mail was marked
read) by posting :class:`CacheChanged` to each screen on the stack; a screen that shows
cached data re-reads it in :meth:`AppScreen.refresh_from_cache`. When the clock moved and
nothing changed, :class:`ClockMoved` asks only for what is said relative to now ("synced 3m
ago", "waiting 2h 05m") to be said again: a screen left open offline, or on a quiet day,
would otherwise keep the ages it was drawn with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.message import Message
from textual.screen import ModalScreen, Screen

from supportinbox.tui import compositor
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from supportinbox.tui.app import SupportInboxApp


class CacheChanged(Message, bubble=False):
    """The cache changed: what a screen shows from it may be out of date."""


class ClockMoved(Message, bubble=False):
    """Time passed and the cache did not change: ages shown may be out of date."""


class HoldsTyping:
    """A screen holding text the user typed: quitting asks before that text is lost."""

    def unsaved_text(self) -> str:
        """What quitting now would lose, in a sentence ("" when nothing)."""
        return ""


ResultType = TypeVar("ResultType")


class AppModal(ModalScreen[ResultType]):
    """A dialog of this app, over the screen it was opened from: what its box covers of a
    row closes that row's isolates (:mod:`supportinbox.tui.compositor`).

    It carries key hints of its own, drawn over the footer of the screen beneath: that
    footer's keys do nothing while the dialog is up, and a user reading the bottom row
    of a dialog should see what works there (Escape cancels, not "Back").
    """

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        compositor.install(self)

    def on_mount(self) -> None:
        # Mounted here, not composed: every dialog composes its own box, and the hints
        # are the same for all of them (the subclass's on_mount runs as well).
        self.mount(KeyHints())


class AppScreen(Screen[None]):
    """A full screen of this app (toasts are drawn over it: see :class:`AppModal`)."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        compositor.install(self)

    @property
    def inbox_app(self) -> SupportInboxApp:
        """The app, with its service and settings (every screen runs inside it)."""
        return cast("SupportInboxApp", self.app)

    def refresh_from_cache(self) -> None:
        """Re-read what this screen shows from the cache (a screen that shows none has nothing to do)."""

    def on_cache_changed(self, _message: CacheChanged) -> None:
        self.refresh_from_cache()

    def refresh_ages(self) -> None:
        """Say again what is shown relative to now; the status bar's "synced ... ago" here."""
        for bar in self.query(StatusBar):
            bar.refresh()

    def on_clock_moved(self, _message: ClockMoved) -> None:
        self.refresh_ages()
