"""An incident as one row of the queue that expands to its conversations.

Incidents lead the open queue (their band is the highest), so folding them only rewrites
the head of the queue: the incident rows are read once per load, each incident becomes one
row in the place of its first member, and the rest of the queue is paged as before with
its offset shifted. No Textual here: the inbox screen wraps the pages in a QueueSource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.sla import BAND_INCIDENT

# The head is read in pages until a row that is no incident's: a first short page, since
# every view switch and refresh counts the view (most have a few incidents or none).
_FIRST_HEAD_PAGE = 32
_HEAD_PAGE = 200
_REPORTED = re.compile(r"incident: \d+ customers report (.+)")


@dataclass(frozen=True)
class IncidentRow:
    """What the row of an incident stands for."""

    id: str
    members: tuple[ConversationSummary, ...]
    expanded: bool


class IncidentFolding:
    """Pages of a queue view with each incident folded into one row (``expanded``: unfolded)."""

    def __init__(
        self,
        count: Callable[[], int],
        page: Callable[[int, int], Sequence[ConversationSummary]],
        expanded: set[str],
    ) -> None:
        self._count = count
        self._page = page
        self.expanded = expanded
        self.incidents: dict[str, IncidentRow] = {}
        self._head: list[ConversationSummary] = []
        self._folded = 0  # rows of the underlying view the head stands for
        self._read: list[ConversationSummary] = []  # the view's first rows, as counting read them

    def _load_head(self) -> None:
        """Read the incident rows at the top of the view and build the folded head."""
        rows: list[ConversationSummary] = []
        read: list[ConversationSummary] = []
        offset, size = 0, _FIRST_HEAD_PAGE
        while True:
            page = self._page(offset, size)
            read.extend(page)
            inside = [r for r in page if r.band >= BAND_INCIDENT and r.incident_id]
            rows.extend(inside)
            if len(inside) < len(page) or len(page) < size:
                break
            offset, size = offset + size, _HEAD_PAGE
        groups: dict[str, list[ConversationSummary]] = {}
        for row in rows:
            groups.setdefault(str(row.incident_id), []).append(row)
        self.incidents = {}
        head: list[ConversationSummary] = []
        for ident, members in groups.items():
            open_ = ident in self.expanded
            self.incidents[ident] = IncidentRow(ident, tuple(members), open_)
            head.append(_header(ident, members, open_))
            if open_:
                head.extend(members)
        self._head = head
        self._folded = len(rows)
        self._read = read

    def count(self) -> int:
        """Rows of the folded view (the head is re-read: counting starts every load)."""
        self._load_head()
        return self._count() - self._folded + len(self._head)

    def page(self, offset: int, limit: int) -> list[ConversationSummary]:
        """``limit`` rows from ``offset`` of the folded view.

        The first page after :meth:`count` (a view shown or reloaded) takes the rows
        counting has just read instead of reading them again; later pages read afresh.
        """
        out = list(self._head[offset : offset + limit])
        read, self._read = self._read, []
        if len(out) < limit:
            start = max(0, offset - len(self._head)) + self._folded
            kept = read[start : start + limit - len(out)]
            out.extend(kept)
            if len(out) < limit:
                out.extend(self._page(start + len(kept), limit - len(out)))
        return out

    def locate(self, conversation_id: str, unfolded: Callable[[str], int | None]) -> int | None:
        """The row of ``conversation_id`` (or of an incident) in the folded view, or None.

        ``unfolded`` gives its place in the view without folding. A member of a folded
        incident is found at its incident's row.
        """
        for index, row in enumerate(self._head):
            if row.id == conversation_id:
                return index
        for index, row in enumerate(self._head):
            found = self.incidents.get(row.id)
            if found is not None and any(m.id == conversation_id for m in found.members):
                return index
        place = unfolded(conversation_id)
        if place is None or place < self._folded:
            return None
        return place - self._folded + len(self._head)

    def incident_of(self, summary: ConversationSummary | None) -> IncidentRow | None:
        """The incident a row stands for, if it is an incident's own row."""
        # Incident ids ("i" and 6 characters) never equal a conversation id (8 characters).
        return self.incidents.get(summary.id) if summary is not None else None


def _header(ident: str, members: list[ConversationSummary], expanded: bool) -> ConversationSummary:
    """The row of an incident: its reason as the subject, how many customers as the customer."""
    first = members[0]
    customers = len({m.customer_email for m in members})
    reason = next((r for r in first.reasons if r.startswith("incident:")), "incident")
    # "4 customers" is the Customer column already: the subject starts with what they report,
    # which a narrow terminal would otherwise cut off.
    found = _REPORTED.fullmatch(reason)
    title = found.group(1) if found else reason.removeprefix("incident: ")
    marker = "▾" if expanded else "▸"
    return replace(
        first,
        id=ident,
        subject=f"{marker} incident: {title}",
        customer_name=f"{customers} customers",  # the first member's address stays: a real one
        reasons=[reason],
        unread_count=sum(m.unread_count for m in members),
        assigned_to=None,
        message_count=len(members),
        waiting_since=min((m.waiting_since for m in members if m.waiting_since), default=first.waiting_since),
    )
