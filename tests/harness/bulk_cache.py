"""A large, deterministic cache (e.g. 100,000 messages) for UI scale tests and the TUI benchmark.

Rows go through the store's own ``message_row`` / ``upsert_messages`` and the triage
``refresh_conversations``, so the queue is what a real sync of that much mail produces;
only MIME parsing is skipped (each message is built as a ``ParsedMessage`` directly).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from supportinbox.config import AccountConfig, Config
from supportinbox.mail.parse import ParsedMessage
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, open_database
from supportinbox.store.messages import ensure_folder, message_row, upsert_messages

# The account of a bulk cache. Port 1 on loopback refuses at once, so the app starts
# "offline", as on a train, and shows only what the cache holds.
BULK_ACCOUNT_CONFIG = """
[accounts.bulk]
email = "support@acme.example"
username = "support"
agent = "alex"
password_command = "printf secret"
imap_host = "127.0.0.1"
imap_port = 1
imap_security = "none"
smtp_security = "none"
timeout = 5

[ui]
idle = false
"""

_TOPICS = (
    "Cannot log in",
    "Invoice question",
    "Refund for last month",
    "Export to CSV",
    "API rate limits",
    "Webhook retries",
    "Add a colleague",
    "Change billing email",
    "Feature request",
    "Slow dashboard",
)
_WORDS = tuple(
    "the quick brown fox reports a problem with invoices exports and login since yesterday".split()  # noqa: SIM905
)


def bulk_config(email: str = "support@acme.example") -> tuple[Config, AccountConfig]:
    account = AccountConfig(email=email, username="support", imap_host="imap.bulk.invalid", agent="alex")
    return Config(default="bulk", accounts={"bulk": account}), account


def build_bulk_cache(path: Path, messages: int, now: datetime, *, seed: int = 7) -> Database:
    """A cache at ``path`` with ``messages`` inbox/sent messages over 60 days (about 4 % waiting)."""
    config, account = bulk_config()
    rng = random.Random(seed)
    db = open_database(path)
    with db.transaction() as conn:
        inbox = ensure_folder(conn, "INBOX", "inbox")
        sent = ensure_folder(conn, "Sent", "sent")
        rows = []
        uid = {inbox.id: 0, sent.id: 0}
        made = 0
        thread = 0
        while made < messages:
            thread += 1
            customer = f"customer{thread % 40_000}@example{thread % 997}.test"
            subject = f"{rng.choice(_TOPICS)} #{thread}"
            start = now - timedelta(minutes=rng.randint(5, 60 * 24 * 60))
            previous: list[str] = []
            # Like a real mailbox's history: most threads answered long ago, a few waiting now.
            waiting = rng.random() < 0.04
            turns = 1 if waiting else rng.choice((2, 2, 4))
            if waiting:
                start = now - timedelta(minutes=rng.randint(5, 60 * 24 * 3))
            for turn in range(min(turns, messages - made)):
                ours = turn % 2 == 1
                folder = sent.id if ours else inbox.id
                uid[folder] += 1
                message_id = f"<m{thread}.{turn}@bulk.test>"
                when = start + timedelta(minutes=37 * turn)
                parsed = ParsedMessage(
                    message_id=message_id,
                    in_reply_to=previous[-1] if previous else None,
                    references=list(previous),
                    from_name="Acme Support" if ours else f"Customer {thread}",
                    from_addr=account.email if ours else customer,
                    to_addrs=[customer] if ours else [account.email],
                    subject=("Re: " if turn else "") + subject,
                    date=when.isoformat(timespec="seconds"),
                    body_text=" ".join(rng.choice(_WORDS) for _ in range(40)),
                )
                rows.append(
                    message_row(
                        folder,
                        uid[folder],
                        flags="\\Seen" if ours or rng.random() < 0.7 else "",
                        modseq=None,
                        internaldate=parsed.date,
                        size=2000,
                        parsed=parsed,
                    )
                )
                previous.append(message_id)
                made += 1
            if len(rows) >= 5000:
                upsert_messages(conn, rows)
                rows = []
        upsert_messages(conn, rows)
    refresh_conversations(db, config, account, now=now)
    return db
