"""What folding the incidents at the head of a queue view needs, read cheaply.

Incidents lead every view (their band is the highest), and the TUI shows each as one row
(see :mod:`supportinbox.tui.incident_rows`). A view whose head is hundreds of reports of one
outage would otherwise cost hundreds of summaries at every switch or refresh: the head is
read as a few columns of one index range, and whole queue lines only for the rows shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from supportinbox.domain import sla
from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.when import now_utc
from supportinbox.store.conversation_rows import queue_columns, summary_from_row
from supportinbox.store.db import Database
from supportinbox.store.queue import view_sql, with_scheduled
from supportinbox.store.triage_fresh import apply_clock

# SQLite's default limit on one statement's parameters is 999 before 3.32.
_IDS_PER_QUERY = 500


class IncidentMember(NamedTuple):
    """What folding an incident into one queue row needs of each of its conversations."""

    id: str
    incident_id: str
    customer_email: str
    unread_count: int
    waiting_since: str | None
    sla_level: int = sla.LEVEL_OK  # an open conversation's, as the queue shows it (else ok)


def incident_head(db: Database, *, status: str = "open", now: datetime | None = None) -> list[IncidentMember]:
    """The conversations of incidents at the head of a queue view, in list order.

    Incidents lead every view (their band is the highest): this is the view's first rows,
    as few columns of them as folding needs, so a view whose head is hundreds of reports
    of one outage costs one index range, not hundreds of summaries.
    """
    apply_clock(db, now_utc(now))
    clause, params, order = view_sql(status)
    clause = f"{clause}{'AND' if clause else 'WHERE'} band >= ? AND incident_id IS NOT NULL "
    rows = db.conn.execute(
        "SELECT id, incident_id, customer_email, unread_count, waiting_since, "
        "CASE WHEN status = 'open' THEN sla_level ELSE ? END "
        f"FROM conversations {clause}{order}",
        (sla.LEVEL_OK, *params, sla.BAND_INCIDENT),
    ).fetchall()
    return [
        IncidentMember(str(r[0]), str(r[1]), str(r[2]), int(r[3] or 0), r[4], int(r[5] or 0)) for r in rows
    ]


def queue_summaries(
    db: Database, ids: Sequence[str], *, now: datetime | None = None
) -> list[ConversationSummary]:
    """The queue lines of the conversations ``ids``, in that order (those gone are left out)."""
    moment = now_utc(now)
    apply_clock(db, moment)
    found: dict[str, ConversationSummary] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        rows = db.conn.execute(
            f"SELECT {queue_columns()} FROM conversations WHERE id IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        ).fetchall()
        for row in rows:
            summary = summary_from_row(row, moment)
            found[summary.id] = summary
    return with_scheduled(db, [found[i] for i in ids if i in found], moment)
