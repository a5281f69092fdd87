"""Acknowledgement on arrival: the one home of the use case, run after every sync (the
``sync`` command and the app's sync, push included) before the outbox is sent.

A new conversation that arrived while the team is away, or whose first-reply target is
about to be missed, gets the account's acknowledgement template (in the customer's
language when a variant exists) — when ``[accounts.X.acknowledgement] enabled``. The
rules of who never gets one are :mod:`supportinbox.domain.acknowledgement`'s. The
acknowledgement is queued in the outbox like every reply, so it is never lost and never
sent twice, goes through the team's atomic send step (of two teammates' clients only one
sends it; the other's is dropped, see :mod:`supportinbox.mail.outbox`) and is filed in
Sent. It does not answer the conversation: no ``\\Answered``, no status change, not a first
reply in the SLA or the reports.

Only conversations whose first unanswered message arrived after acknowledgements were
switched on (the first sync that saw them on, give or take an hour) are acknowledged:
switching them on never answers the backlog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import HeaderParser
from email.policy import compat32
from pathlib import Path

from supportinbox.app.context import AccountContext
from supportinbox.domain import acknowledgement as rules
from supportinbox.domain import automated
from supportinbox.domain.conversation import MessageView
from supportinbox.domain.customer import own_addresses
from supportinbox.domain.replies import ReplyError, recipients
from supportinbox.domain.safetext import one_line
from supportinbox.domain.sla import Policy
from supportinbox.domain.when import parse_time
from supportinbox.errors import UserError
from supportinbox.store import acknowledgements
from supportinbox.store.outbox import OutboxStatus

log = logging.getLogger(__name__)

_META_SINCE = "acknowledgement_since"
# A message dated a little before acknowledgements were switched on may have been on its
# way then (or the customer's clock is off): still acknowledged.
_SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class Queued:
    """An acknowledgement put in the outbox."""

    outbox_id: int
    conversation_id: str
    customer: str
    reason: str


@dataclass
class AckReport:
    """What a run queued, and what kept it from queueing (a missing template, ...)."""

    queued: list[Queued] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _since(ctx: AccountContext) -> datetime:
    """When acknowledgements were switched on (recorded by the first run that saw them on)."""
    text = ctx.db.get_meta(_META_SINCE)
    since = parse_time(text) if text else None
    if since is None:
        since = ctx.now()
        with ctx.db.transaction():
            ctx.db.set_meta(_META_SINCE, since.isoformat(timespec="seconds"))
    return since


def _headers(ctx: AccountContext, rowid: int) -> dict[str, str]:
    """The headers the rules read, lower-case name -> value, of cached message ``rowid``."""
    row = ctx.db.conn.execute("SELECT raw_headers FROM messages WHERE id = ?", (rowid,)).fetchone()
    parsed = HeaderParser(policy=compat32).parsestr(str(row[0] or "") if row else "", headersonly=True)
    wanted = set(automated.HEADERS) | set(rules.READS)
    found: dict[str, str] = {}
    for name, value in parsed.items():
        key = name.lower()
        if (key in wanted or key.startswith("list-")) and key not in found:
            found[key] = str(value)
    return found


def _refusal(ctx: AccountContext, message: MessageView, to: list[str]) -> str | None:
    if message.poses_as_us:
        return "it poses as one of our own addresses"
    own = own_addresses(ctx.account)
    headers = _headers(ctx, message.rowid)
    for address in to or [""]:
        why = rules.refusal(headers, message.from_addr, address, own)
        if why:
            return why
    return None


def _waiting_reply(ctx: AccountContext, conversation_id: str) -> bool:
    """Whether a reply (or an acknowledgement) to the conversation is in the outbox, or was sent from here."""
    found = ctx.db.conn.execute(
        "SELECT 1 FROM outbox WHERE conversation_id = ? AND status != ? LIMIT 1",
        (conversation_id, OutboxStatus.CANCELLED),
    ).fetchone()
    return found is not None


def acknowledge_new(ctx: AccountContext, *, templates_dir: Path | None = None) -> AckReport:
    """Queue an acknowledgement for each new conversation that needs one (none are sent here:
    the outbox's send, right after, sends them)."""
    settings = ctx.account.acknowledgement
    report = AckReport()
    if not settings.enabled:
        if ctx.db.get_meta(_META_SINCE) is not None:
            with ctx.db.transaction() as conn:
                conn.execute("DELETE FROM meta WHERE key = ?", (_META_SINCE,))
        return report
    now = ctx.now()
    since = max(_since(ctx) - _SLACK, now - rules.FRESH_FOR)
    candidates = ctx.db.conn.execute(
        "SELECT id, customer_email, unanswered_since FROM conversations WHERE status = 'open' "
        "AND derived_status = 'open' AND last_agent_at IS NULL AND customer_email != '' "
        "AND unanswered_since >= ? ORDER BY unanswered_since",
        (since.isoformat(timespec="seconds"),),
    ).fetchall()
    if not candidates:
        return report
    policy = Policy.for_account(ctx.config, ctx.account)
    calendar = policy.calendar
    for conversation_id, customer, unanswered_since in candidates:
        arrived = parse_time(unanswered_since)
        if arrived is None:
            continue
        targets = policy.targets(str(customer))
        warn_at = policy.due(arrived, targets.first_reply)[0]
        rule = rules.trigger(settings.when, calendar, arrived=arrived, now=now, first_reply_warn_at=warn_at)
        if rule is None or _waiting_reply(ctx, conversation_id):
            continue
        try:
            queued = _acknowledge(ctx, conversation_id, rule, templates_dir)
        except UserError as exc:
            # One line per run is enough: the same problem stops every acknowledgement.
            report.problems.append(f"acknowledgement of {conversation_id} not sent: {exc.message}")
            break
        if queued is not None:
            report.queued.append(queued)
    return report


def _acknowledge(
    ctx: AccountContext, conversation_id: str, rule: str, templates_dir: Path | None
) -> Queued | None:
    # Building replies (templates, Jinja2) loads only when an acknowledgement is due.
    from supportinbox.domain import templates
    from supportinbox.mail import drafts, variants
    from supportinbox.mail.outbox import queue_reply
    from supportinbox.store.conversations import get_conversation

    detail = get_conversation(ctx.db, conversation_id, ctx.now())
    if any(m.from_us for m in detail.messages):
        return None  # answered, or acknowledged by a teammate (synced from Sent)
    if acknowledgements.acknowledged_messages(ctx.db.conn, [m.message_id or "" for m in detail.messages]):
        return None
    theirs = [m for m in detail.messages if not m.from_us]
    if not theirs or any(m.automated for m in theirs):
        return None
    ident, latest = drafts.customer_message(ctx.db, ctx.account, conversation_id, ctx.now())
    try:
        to = [a.addr_spec for a in recipients(drafts.original_from(latest), own_addresses(ctx.account)).to]
    except ReplyError as exc:
        log.info("conversation %s: no acknowledgement: %s", conversation_id, exc.message)
        return None
    for message in theirs:
        why = _refusal(ctx, message, to)
        if why:
            log.info("conversation %s: no acknowledgement: %s", conversation_id, why)
            return None
    window = timedelta(hours=ctx.account.acknowledgement.min_hours_between)
    if any(acknowledgements.customer_acknowledged_since(ctx.db.conn, a, ctx.now() - window) for a in to):
        log.info("conversation %s: customer acknowledged within %s", conversation_id, window)
        return None
    name = ctx.account.acknowledgement.template
    scan = templates.scan_templates(templates_dir)
    available = [t.name for t in scan.templates]
    chosen, _found = variants.variant_for(ctx.db, ctx.config, ident, name, available)
    # Signed by the team as the template says, never by the agent whose client sent it.
    account = ctx.account.model_copy(update={"auto_signature": False})
    draft = drafts.prepare_draft(
        ctx.db, ctx.config, account, ident, chosen, reply_all=False, templates_dir=templates_dir
    )
    msg = drafts.draft_message(draft, ctx.config, ctx.account, now=ctx.now())
    for header, value in rules.HEADERS:
        msg[header] = value
    reason = rules.REASONS[rule]
    customer = to[0]
    with ctx.db.transaction() as conn:
        if not acknowledgements.record(
            conn,
            message_id=latest.message_id or f"<{ident}>",
            conversation_id=ident,
            customer=customer,
            outbox_id=None,
            reason=reason,
        ):
            return None
    # No \\Answered (no folder/UID to flag), no status, no follow-up: it answers nothing.
    outbox_id = queue_reply(ctx.db, msg, ident, None, None, chosen, None, None)
    with ctx.db.transaction() as conn:
        conn.execute(
            "UPDATE acknowledgements SET outbox_id = ? WHERE conversation_id = ? AND outbox_id IS NULL",
            (outbox_id, ident),
        )
    return Queued(outbox_id, ident, one_line(customer, limit=254), reason)
