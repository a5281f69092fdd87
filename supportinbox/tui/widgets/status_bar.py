"""One line at the bottom: last sync, sync progress, offline state and the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from supportinbox.domain.safetext import steady_line
from supportinbox.domain.when import age_words, parse_time
from supportinbox.tui import safe


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows; the app replaces it as a whole (it is a reactive)."""

    account: str = ""
    last_sync: str | None = None
    syncing: bool = False
    progress: str = ""
    offline: str = ""
    outbox: int = 0
    label: str = ""  # the service's words for the account, e.g. "demo mailbox"
    has_server: bool = True  # there is a server to be synced with

    def update(self, **changes: object) -> SyncStatus:
        return replace(self, **changes)  # type: ignore[arg-type]


def synced_when(last_sync: str, now: datetime) -> str:
    """``just now`` within the first minute (not "0m ago"), then ``12m ago``, ``3h 05m ago``.

    A sync stamped after ``now`` (the wall clock stepped back since, or a clock read before
    the sync ended) is just now as well: there is no "-1m ago", and "0m ago" is what this
    replaces.
    """
    moment = parse_time(last_sync)
    return "—" if moment is None else age_words(now - moment, " ago")


SEPARATOR = " · "
OFFLINE_LIMIT = 60  # characters of the offline reason at most
OFFLINE_MIN = 12  # ... and at least, however narrow the terminal


class StatusBar(Widget):
    """Shows :class:`SyncStatus`; never blocks (it only formats what it is given)."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    """

    status: reactive[SyncStatus] = reactive(SyncStatus, layout=False)
    position: reactive[str] = reactive("", layout=False)
    """Where the cursor is, set by the screen (e.g. ``12/340``)."""

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now

    def render(self) -> Content:
        status = self.status
        parts: list[Content] = []
        if status.account:
            parts.append(safe.line(status.account, limit=24, style="bold"))
        if status.label:
            parts.append(safe.line(status.label, style="$warning"))
        offline_at = len(parts)
        if status.syncing:
            progress = steady_line(status.progress, limit=50) or "syncing"
            parts.append(safe.line(f"⟳ {progress}", style="$accent"))
        elif status.last_sync:
            parts.append(safe.line(f"synced {synced_when(status.last_sync, self._now())}"))
        elif status.has_server:
            parts.append(safe.line("not synced yet"))
        if status.outbox:
            parts.append(safe.line(f"outbox {status.outbox}", style="$warning bold"))
        if self.position:
            parts.append(safe.line(self.position))
        if status.offline:
            # The reason gets the room the rest leaves: "synced", the outbox and the position
            # stay in sight on a narrow terminal (the whole reason is in the log).
            rest = sum(p.cell_length for p in parts) + len(SEPARATOR) * len(parts)
            room = min(OFFLINE_LIMIT, self.content_size.width - rest - len("offline: "))
            reason = steady_line(status.offline, limit=max(room, OFFLINE_MIN))
            parts.insert(offline_at, safe.line(f"offline: {reason}", style="$error bold"))
        return safe.join(SEPARATOR, parts)
