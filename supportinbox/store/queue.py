"""Reading the triage queue: one page, most urgent first, with the clock applied.

Everything a queue page needs and nothing a refresh needs: ``supportinbox list --json``
(scripts, status bars, cron) answers from an up-to-date cache without loading threading,
scoring or the config model (see :mod:`supportinbox.cli.quick`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from supportinbox.domain import sla
from supportinbox.domain.conversation import QUEUE_STATUSES, ConversationSummary
from supportinbox.domain.when import now_utc, when_words
from supportinbox.errors import UserError
from supportinbox.store.conversation_rows import queue_columns, summary_from_row
from supportinbox.store.triage_fresh import apply_clock

# Not typing.TYPE_CHECKING (see store/triage_fresh.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from supportinbox.store.db import Database


def acknowledged_note() -> str:
    """The reason line of an acknowledgement sent on arrival (its rule's own wording)."""
    from supportinbox.domain.acknowledgement import NOTE

    return NOTE


def list_queue(
    db: Database,
    *,
    status: str = "open",
    limit: int = 50,
    offset: int = 0,
    assigned_to: str | None = None,
    unassigned: bool = False,
    tag: str | None = None,
    now: datetime | None = None,
) -> list[ConversationSummary]:
    """The triage queue, most urgent first (``status="all"`` lists every conversation).

    The clock is applied first (:func:`apply_clock`); the page itself is one query over
    the ``conversations_queue`` index.
    """
    moment = now_utc(now)
    apply_clock(db, moment)
    clause, params, order = view_sql(status, assigned_to=assigned_to, unassigned=unassigned, tag=tag)
    rows = db.conn.execute(
        f"SELECT {queue_columns()} FROM conversations {clause}{order} LIMIT ? OFFSET ?",
        (*params, max(0, limit), max(0, offset)),
    ).fetchall()
    return with_scheduled(db, [summary_from_row(r, moment) for r in rows], moment)


def view_sql(
    status: str, *, assigned_to: str | None = None, unassigned: bool = False, tag: str | None = None
) -> tuple[str, list[object], str]:
    """The WHERE clause (with its parameters) and ORDER BY of a queue view, in list order."""
    where: list[str] = []
    params: list[object] = []
    if status != "all":
        if status not in QUEUE_STATUSES:
            raise UserError(f"unknown status {status!r}: use one of {', '.join((*QUEUE_STATUSES, 'all'))}")
        where.append("status = ?")
        params.append(status)
    if assigned_to is not None:
        where.append("assigned_to = ?")
        params.append(assigned_to)
    if unassigned:
        where.append("(assigned_to IS NULL OR assigned_to = '')")
    if tag is not None:
        where.append("id IN (SELECT conversation_id FROM tags WHERE tag = ?)")
        params.append(tag)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    # rowid breaks ties the way the index is read (no sort step), as queue_position counts.
    order = f"ORDER BY {'status, ' if status != 'all' else ''}{sla.queue_order_sql()}, rowid"
    return clause, params, order


def with_scheduled(
    db: Database, summaries: list[ConversationSummary], now: datetime
) -> list[ConversationSummary]:
    """``summaries``, saying what the outbox holds for them that no refresh has seen yet:
    a reply scheduled for later (send later: when it leaves), and an acknowledgement on
    arrival sent but not yet synced back from Sent (the refresh says it from then on).

    The outbox is read here, not kept with the conversation: scheduling, sending or
    cancelling a reply changes no conversation row.
    """
    if not summaries:
        return summaries
    waiting = dict(
        db.conn.execute(
            # An edit open on a scheduled reply keeps its time: still scheduled.
            "SELECT conversation_id, MIN(not_before) FROM outbox WHERE status IN ('queued', 'editing') "
            "AND send_at IS NOT NULL AND conversation_id IS NOT NULL GROUP BY conversation_id"
        ).fetchall()
    )
    acknowledged = {
        str(row[0])
        for row in db.conn.execute(
            "SELECT a.conversation_id FROM acknowledgements a JOIN outbox o ON o.id = a.outbox_id "
            "WHERE o.status = 'sent' AND NOT EXISTS "
            "(SELECT 1 FROM messages m WHERE m.message_id = o.message_id)"
        )
    }
    if not waiting and not acknowledged:
        return summaries
    note = acknowledged_note() if acknowledged else ""
    out = []
    for summary in summaries:
        at = waiting.get(summary.id)
        if at is not None:
            said = f"reply scheduled for {when_words(at, now, ahead=True)}"
            summary = replace(summary, scheduled_at=at, reasons=[*summary.reasons, said])
        if summary.id in acknowledged and note not in summary.reasons:
            summary = replace(summary, reasons=[*summary.reasons, note])
        out.append(summary)
    return out
