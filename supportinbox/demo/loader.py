"""Fill a fresh cache with the demo mailbox through the same code path as a sync.

Messages go through :func:`parse_message` and :func:`upsert_message` exactly as fetched
mail does, then :func:`refresh_conversations` threads, scores and files them. The demo
account points at a host that does not resolve (``.invalid``) and the demo never opens
a connection: replies are written as ``.eml`` files to :func:`paths.demo_outbox_dir`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportinbox import paths
from supportinbox.config import AccountConfig, Config, TriageConfig
from supportinbox.demo.content import (
    FOLLOW_UPS,
    MERGES,
    NOTES,
    SCHEDULED,
    SUPPORT,
    TAGS,
    THREADS,
    VIP_SENDERS,
)
from supportinbox.demo.mailbox import demo_messages, message_id
from supportinbox.mail.parse import parse_message
from supportinbox.store.db import Database, open_database
from supportinbox.store.messages import ensure_folder, upsert_message

DEMO_ACCOUNT = "demo"
_ROLES = {"INBOX": "inbox", "Junk": "junk", "Sent": "sent"}


def demo_config(base: Config | None = None) -> Config:
    """The user's config (for theme, keys, reply settings) with the demo account in it."""
    base = base or Config()
    account = AccountConfig(
        email=SUPPORT[1],
        display_name=SUPPORT[0],
        agent="alex",
        username="demo",
        imap_host="imap.demo.invalid",
        smtp_host="smtp.demo.invalid",
        junk_folder="Junk",
        sent_folder="Sent",
    )
    triage = base.triage.model_copy(
        update={"vip_senders": tuple(dict.fromkeys((*base.triage.vip_senders, *VIP_SENDERS)))}
    )
    return Config(
        default=DEMO_ACCOUNT,
        accounts={DEMO_ACCOUNT: account},
        triage=TriageConfig.model_validate(triage.model_dump()),
        replies=base.replies,
        ui=base.ui,
    )


def demo_database_file() -> Path:
    """The demo cache, rebuilt on every start so waiting times are relative to now."""
    return paths.data_dir() / "demo.sqlite3"


def load_demo(db: Database, config: Config, now: datetime | None = None) -> int:
    """Store the demo mailbox in ``db`` and build its conversations; return the message count."""
    from supportinbox.store.conversations import refresh_conversations

    now = now or datetime.now(UTC)
    account = config.accounts[DEMO_ACCOUNT]
    messages = demo_messages(now)
    uids: dict[str, int] = {}
    with db.transaction() as conn:
        for message in messages:
            folder = ensure_folder(conn, message.folder, _ROLES[message.folder])
            uids[message.folder] = uids.get(message.folder, 0) + 1
            upsert_message(
                conn,
                folder.id,
                uids[message.folder],
                flags=message.flags,
                modseq=None,
                internaldate=message.received.isoformat(),
                size=len(message.raw),
                parsed=parse_message(message.raw),
            )
    refresh_conversations(db, config, account, now=now)
    _add_merges(db, config, now)
    _add_notes(db, now)
    _close_history(db, now)
    _add_followups(db, now)
    _add_tags(db, now)
    _add_scheduled(db, config, now)
    return len(messages)


def _close_history(db: Database, now: datetime) -> None:
    """Close the past conversations when and by whom the demo says (recorded as facts too)."""
    from datetime import timedelta

    from supportinbox.store.conversations import set_status

    for thread in THREADS:
        if thread.closed is None:
            continue
        minutes, agent = thread.closed
        row = db.conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = ?", (message_id(thread, 0),)
        ).fetchone()
        if row is not None and row[0]:
            set_status(db, row[0], "closed", agent=agent or "sam", now=now - timedelta(minutes=minutes))


def _add_merges(db: Database, config: Config, now: datetime) -> None:
    """The merges the team made (as if already shared), then the conversations regrouped."""
    from datetime import timedelta

    from supportinbox.domain.threading import MERGE
    from supportinbox.store import threadlinks
    from supportinbox.store.conversations import refresh_conversations

    def first_message(conn: Any, subject: str) -> tuple[str, str] | None:
        row = conn.execute(
            "SELECT c.id, m.message_id FROM conversations c JOIN messages m ON m.conversation_id = c.id "
            "WHERE c.subject = ? ORDER BY m.date LIMIT 1",
            (subject,),
        ).fetchone()
        return (str(row[0]), str(row[1])) if row is not None else None

    with db.transaction() as conn:
        for stays, joins, author, minutes in MERGES:
            target, source = first_message(conn, stays), first_message(conn, joins)
            if target is None or source is None:
                continue
            at = threadlinks.now_text(now - timedelta(minutes=minutes))
            link = threadlinks.Link(
                MERGE, source[1], target[1], source[0], target[0], author, at, f"demo{minutes}"
            )
            threadlinks.record(conn, link)
            threadlinks.mark_uploaded(conn, link.token)
    refresh_conversations(db, config, config.accounts[DEMO_ACCOUNT], now=now)


def _add_notes(db: Database, now: datetime) -> None:
    from datetime import timedelta

    with db.transaction() as conn:
        for subject, author, minutes, body in NOTES:
            row = conn.execute("SELECT id FROM conversations WHERE subject = ?", (subject,)).fetchone()
            if row is None:
                continue
            created = (now - timedelta(minutes=minutes)).isoformat(timespec="seconds")
            conn.execute(
                "INSERT INTO notes(conversation_id, author, created_at, body, uploaded) "
                "VALUES (?, ?, ?, ?, 1)",
                (row[0], author, created, body),
            )


def _add_followups(db: Database, now: datetime) -> None:
    from datetime import timedelta

    from supportinbox.store.conversations import reapply_state
    from supportinbox.store.followups import record

    ids = []
    with db.transaction() as conn:
        for subject, author, set_ago, due_in, note in FOLLOW_UPS:
            row = conn.execute("SELECT id FROM conversations WHERE subject = ?", (subject,)).fetchone()
            if row is None:
                continue
            set_at = now - timedelta(minutes=set_ago)
            record(conn, row[0], now + timedelta(minutes=due_in), note, author=author, now=set_at)
            conn.execute("UPDATE followups SET uploaded = 1 WHERE conversation_id = ?", (row[0],))
            ids.append(str(row[0]))
    reapply_state(db, ids, now)


def _add_tags(db: Database, now: datetime) -> None:
    from supportinbox.domain.tags import TagChange
    from supportinbox.store.tags import change_tags

    for subject, tags in TAGS:
        row = db.conn.execute("SELECT id FROM conversations WHERE subject = ?", (subject,)).fetchone()
        if row is not None:
            change_tags(db, str(row[0]), TagChange(tags), agent="maya", now=now)


def _add_scheduled(db: Database, config: Config, now: datetime) -> None:
    """A reply to Yuki in Tokyo, scheduled for 09:00 her time (the next midnight UTC)."""
    from datetime import timedelta

    from supportinbox.mail import drafts

    subject, body = SCHEDULED
    row = db.conn.execute("SELECT id FROM conversations WHERE subject = ?", (subject,)).fetchone()
    if row is None:
        return
    account = config.accounts[DEMO_ACCOUNT]
    send_at = (now + timedelta(days=1)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    draft = drafts.with_body(drafts.prepare_draft(db, config, account, str(row[0]), None, now=now), body)
    message = drafts.draft_message(draft, config, account, now=send_at)
    drafts.queue_draft(db, draft, message, send_at=send_at)


def open_demo_database(config: Config, now: datetime | None = None) -> Database:
    """A new demo cache in the data folder, loaded and ready (any previous one is replaced)."""
    path = demo_database_file()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_database(path)
    load_demo(db, config, now)
    return db
