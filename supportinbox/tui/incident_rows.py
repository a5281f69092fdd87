"""An incident as one row of the queue that expands to its conversations.

Incidents lead the open queue (their band is the highest), so folding them only rewrites
the head of the queue: the incident rows are read once per load, each incident becomes one
row in the place of its first member, and the rest of the queue is paged as before with
its offset shifted. The head is read as a few columns of each incident's conversations
(:mod:`supportinbox.store.incident_head`), whole queue lines only for the rows shown.
No Textual here: the inbox screen wraps the pages in a QueueSource.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.incidents import read_reason
from supportinbox.store.incident_head import IncidentMember


@dataclass(frozen=True)
class IncidentRow:
    """What the row of an incident stands for: its conversations, in queue order."""

    id: str
    members: tuple[str, ...]
    expanded: bool


class IncidentFolding:
    """Pages of a queue view with each incident folded into one row (``expanded``: unfolded).

    ``count`` and ``page`` read the view unfolded; ``head`` its incidents' conversations
    (the view's first rows, as :func:`~supportinbox.store.incident_head.incident_head`
    gives them); ``lines`` the queue lines of conversations named by id.
    """

    def __init__(
        self,
        count: Callable[[], int],
        page: Callable[[int, int], Sequence[ConversationSummary]],
        head: Callable[[], Sequence[IncidentMember]],
        lines: Callable[[Sequence[str]], Sequence[ConversationSummary]],
        expanded: set[str],
    ) -> None:
        self._count = count
        self._page = page
        self._heads = head
        self._lines = lines
        self.expanded = expanded
        self.incidents: dict[str, IncidentRow] = {}
        self._head: list[ConversationSummary] = []
        self._folded = 0  # rows of the underlying view the head stands for
        self.conversations = 0  # in the view, each incident's members counted (as its tab counts)

    def _load_head(self) -> None:
        """Read the incidents at the top of the view and build the folded head."""
        members = self._heads()
        groups: dict[str, list[IncidentMember]] = {}
        for member in members:
            groups.setdefault(member.incident_id, []).append(member)
        # Whole lines only for the rows shown: each incident's first conversation, and the
        # conversations of the incidents shown unfolded.
        wanted = [group[0].id for group in groups.values()]
        wanted += [m.id for ident, group in groups.items() if ident in self.expanded for m in group]
        lines = {line.id: line for line in self._lines(wanted)}
        # A first conversation gone between the two reads (a sync removed it): the next one
        # heads its incident.
        others = [m.id for g in groups.values() if g[0].id not in lines for m in g[1:] if m.id not in lines]
        if others:
            lines.update((line.id, line) for line in self._lines(others))
        self.incidents = {}
        head: list[ConversationSummary] = []
        for ident, group in groups.items():
            shown = [lines[m.id] for m in group if m.id in lines]
            if not shown:
                continue  # gone between the two reads: the next load counts it
            open_ = ident in self.expanded
            self.incidents[ident] = IncidentRow(ident, tuple(m.id for m in group), open_)
            head.append(_header(ident, shown[0], group, open_))
            if open_:
                head.extend(shown)
        self._head = head
        self._folded = len(members)

    def count(self) -> int:
        """Rows of the folded view (the head is re-read: counting starts every load)."""
        self._load_head()
        self.conversations = self._count()
        return self.conversations - self._folded + len(self._head)

    def place(self, row: int) -> tuple[int, int]:
        """The conversations (0-based, first and last) that ``row`` of the folded view stands
        for: an incident's row stands for all its members, any other row for one."""
        if row >= len(self._head):
            at = row - len(self._head) + self._folded
            return at, at
        at = 0
        for above in self._head[:row]:
            incident = self.incidents.get(above.id)
            if incident is None:
                at += 1  # a conversation, or a member shown under its unfolded incident
            elif not incident.expanded:
                at += len(incident.members)
        incident = self.incidents.get(self._head[row].id)
        return (at, at + len(incident.members) - 1) if incident is not None else (at, at)

    def page(self, offset: int, limit: int) -> list[ConversationSummary]:
        """``limit`` rows from ``offset`` of the folded view."""
        out = list(self._head[offset : offset + limit])
        if len(out) < limit:
            start = max(0, offset - len(self._head)) + self._folded
            out.extend(self._page(start, limit - len(out)))
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
            if found is not None and conversation_id in found.members:
                return index
        place = unfolded(conversation_id)
        if place is None or place < self._folded:
            return None
        return place - self._folded + len(self._head)

    def incident_of(self, summary: ConversationSummary | None) -> IncidentRow | None:
        """The incident a row stands for, if it is an incident's own row."""
        # Incident ids ("i" and 6 characters) never equal a conversation id (8 characters).
        return self.incidents.get(summary.id) if summary is not None else None


def _header(
    ident: str, first: ConversationSummary, members: list[IncidentMember], expanded: bool
) -> ConversationSummary:
    """The row of an incident: its reason as the subject, how many customers as the customer.

    The count is the reason's (every customer who reported it, those closed too), not the
    members the view holds: the row and its Why line say one number.
    """
    reason = next((r for r in first.reasons if r.startswith("incident:")), "incident")
    # "4 customers" is the Customer column already: the subject starts with what they report,
    # which a narrow terminal would otherwise cut off.
    found = read_reason(reason)
    customers, title = (
        found if found else (len({m.customer_email for m in members}), reason.removeprefix("incident: "))
    )
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
        # As long as its longest wait: the row is as late as the latest-answered customer.
        sla_level=max((m.sla_level for m in members), default=first.sla_level),
    )
