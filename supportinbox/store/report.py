"""The report use case: support facts from the cache, turned into figures by the domain."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from supportinbox.config import AccountConfig, Config
from supportinbox.domain import sla
from supportinbox.domain.quoting import new_text
from supportinbox.domain.report import Grouping, Report, build_report
from supportinbox.domain.templates import TemplateError, list_templates
from supportinbox.domain.topics import Topic, growing_topics
from supportinbox.domain.when import iso, now_utc
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxStatus


def conversation_tags(db: Database, templates_dir: Path | None) -> dict[str, tuple[str, ...]]:
    """Each conversation's tags: those of the templates its replies from here were written with."""
    try:
        by_template = {t.name: t.tags for t in list_templates(templates_dir)}
    except (OSError, TemplateError):
        by_template = {}
    found: dict[str, set[str]] = defaultdict(set)
    for conversation, template in db.conn.execute(
        "SELECT conversation_id, template FROM outbox "
        "WHERE status = ? AND conversation_id IS NOT NULL AND template IS NOT NULL",
        (OutboxStatus.SENT,),
    ):
        found[conversation].update(by_template.get(template, ()))
    return {conversation: tuple(sorted(tags)) for conversation, tags in found.items() if tags}


def make_report(
    db: Database,
    config: Config,
    account: AccountConfig,
    *,
    since: timedelta,
    grouping: Grouping = "day",
    now: datetime | None = None,
    templates_dir: Path | None = None,
) -> Report:
    """The report of the last ``since`` up to ``now``."""
    until = now_utc(now)
    start = until - since
    tags = conversation_tags(db, templates_dir)
    # Every fact in conversation order, straight from the index: the report walks each
    # conversation once as the rows stream by (a wait may start before the window).
    cursor = db.conn.cursor()
    cursor.row_factory = None  # plain tuples: a year of facts is read row by row
    rows = cursor.execute(
        "SELECT conversation_id, kind, ts, agent, customer "
        "FROM support_events INDEXED BY support_events_walk ORDER BY conversation_id, ts, step"
    )
    policy = sla.Policy.for_account(config, account)
    return build_report(
        rows, policy, since=start, until=until, grouping=grouping, tags=lambda c: tags.get(c, ())
    )


def customer_texts(db: Database, account: AccountConfig, start: datetime, end: datetime) -> list[str]:
    """Subject and own text of every customer message in the inbox from ``start`` to ``end``."""
    rows = db.conn.execute(
        "SELECT m.subject, substr(m.body_text, 1, 4000) FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.role = 'inbox' AND lower(m.from_addr) != ? AND m.date >= ? AND m.date < ?",
        (account.email.lower(), iso(start), iso(end)),
    )
    return [f"{subject}\n{new_text(str(body))}" for subject, body in rows]


def make_topics(
    db: Database, account: AccountConfig, *, since: timedelta, now: datetime | None = None, limit: int = 15
) -> list[Topic]:
    """The topics that grew most in the last ``since`` against the ``since`` before it."""
    until = now_utc(now)
    start = until - since
    return growing_topics(
        customer_texts(db, account, start, until), customer_texts(db, account, start - since, start), limit
    )
