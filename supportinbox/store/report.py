"""The report use case: support facts from the cache, turned into figures by the domain."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from supportinbox.config import AccountConfig, Config
from supportinbox.domain import sla
from supportinbox.domain.customer import customer_of, form_message, form_subject, own_addresses
from supportinbox.domain.quoting import new_text
from supportinbox.domain.report import Grouping, Report, build_report
from supportinbox.domain.topics import Topic, growing_topics
from supportinbox.domain.when import iso, now_utc
from supportinbox.store.db import Database


def conversation_tags(db: Database) -> dict[str, tuple[str, ...]]:
    """Each conversation's tags as the team sees them (store.tags): set by hand, by a
    teammate, or by a template's reply once sent."""
    found: dict[str, list[str]] = defaultdict(list)
    for conversation, tag in db.conn.execute(
        "SELECT conversation_id, tag FROM tags ORDER BY conversation_id, tag"
    ):
        found[str(conversation)].append(str(tag))
    return {conversation: tuple(tags) for conversation, tags in found.items()}


def make_report(
    db: Database,
    config: Config,
    account: AccountConfig,
    *,
    since: timedelta,
    grouping: Grouping = "day",
    now: datetime | None = None,
) -> Report:
    """The report of the last ``since`` up to ``now``."""
    until = now_utc(now)
    start = until - since
    tags = conversation_tags(db)
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


def customer_texts(db: Database, account: AccountConfig, start: datetime, end: datetime) -> list[list[str]]:
    """Subject and own text of every customer message in the inbox from ``start`` to ``end``,
    by customer (the topics count customers, not how often each wrote).

    Automated mail (bounces, auto-replies, lists) is no customer question, and a contact
    form's subject and field labels are the website's, the same for everyone who uses it:
    its own subject and message fields are what the person asked.
    """
    own = own_addresses(account)
    rows = db.conn.execute(
        "SELECT m.subject, substr(m.body_text, 1, 4000), m.from_addr, m.reply_to "
        "FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.role = 'inbox' AND m.automated = '' AND m.date >= ? AND m.date < ?",
        (iso(start), iso(end)),
    )
    texts: dict[str, list[str]] = defaultdict(list)
    for subject, body, from_addr, reply_to in rows:
        sender, text = str(from_addr).lower(), str(body)
        customer = customer_of("", sender, "", str(reply_to), own, text)
        if not customer:
            continue  # nobody's question: our own mail, a relay naming nobody
        if customer.email != sender:  # a contact form: what the person typed into it
            subject, text = form_subject(text), form_message(text) or text
        texts[customer.email].append(f"{subject}\n{new_text(text, str(subject))}")
    return list(texts.values())


def make_topics(
    db: Database, account: AccountConfig, *, since: timedelta, now: datetime | None = None, limit: int = 15
) -> list[Topic]:
    """The topics that grew most in the last ``since`` against the ``since`` before it."""
    until = now_utc(now)
    start = until - since
    return growing_topics(
        customer_texts(db, account, start, until), customer_texts(db, account, start - since, start), limit
    )
