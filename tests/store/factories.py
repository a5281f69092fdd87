"""Put messages into a temporary cache the way the sync engine does (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from supportinbox.mail.parse import ParsedMessage
from supportinbox.store.db import Database
from supportinbox.store.messages import ensure_folder, upsert_message

FOLDERS = {"INBOX": "inbox", "Sent": "sent", "Junk": "junk"}
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# An account whose servers are never reached: store and CLI tests that only need a config.
OFFLINE_ACCOUNT_CONFIG = """
[accounts.support]
email = "support@acme.test"
display_name = "Acme Support"
agent = "alice"
username = "support"
imap_host = "127.0.0.1"
imap_security = "none"
smtp_security = "none"
smtp_port = 1
password_command = "false"
"""
# Automatic UIDs start far above any UID a test gives by hand: an xdist worker's counter
# reaches small numbers in whatever order the tests ran, and a message given UID 41 must
# never be overwritten by another one that happened to draw 41.
_uids = count(100_000)


def at(hours_ago: float) -> datetime:
    """A time ``hours_ago`` before the fixed test clock :data:`NOW`."""
    return NOW - timedelta(hours=hours_ago)


def add_message(
    db: Database,
    *,
    folder: str = "INBOX",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    sender: str = "lina@customer.test",
    name: str = "Lina Haddad",
    to: tuple[str, ...] = ("support@acme.test",),
    cc: tuple[str, ...] = (),
    subject: str = "Cannot log in",
    body: str = "Hello",
    when: datetime | None = None,
    flags: str = "",
    priority: int | None = None,
    auth_results: str = "",
    spam_headers: dict[str, str] | None = None,
    list_headers: bool = False,
    raw_headers: str = "",
    uid: int | None = None,
) -> int:
    """Insert one message into ``folder``; return its row id."""
    date = (when or NOW).astimezone(UTC).isoformat(timespec="seconds")
    parsed = ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=list(references),
        from_name=name,
        from_addr=sender,
        to_addrs=list(to),
        cc_addrs=list(cc),
        subject=subject,
        date=date,
        body_text=body,
        auth_results=auth_results,
        spam_headers=spam_headers or {},
        priority=priority,
        list_headers=list_headers,
        raw_headers=raw_headers,
    )
    with db.transaction() as conn:
        box = ensure_folder(conn, folder, FOLDERS.get(folder, "inbox"))
        return upsert_message(
            conn,
            box.id,
            uid if uid is not None else next(_uids),
            flags=flags,
            modseq=None,
            internaldate=date,
            size=len(body),
            parsed=parsed,
        )


def add_raw(
    db: Database, raw: bytes, *, folder: str = "INBOX", flags: str = "", uid: int | None = None
) -> int:
    """Parse a raw RFC 5322 message as the sync engine does and cache it in ``folder``."""
    from supportinbox.mail.parse import parse_message

    parsed = parse_message(raw)
    with db.transaction() as conn:
        box = ensure_folder(conn, folder, FOLDERS.get(folder, "inbox"))
        return upsert_message(
            conn,
            box.id,
            uid if uid is not None else next(_uids),
            flags=flags,
            modseq=None,
            internaldate=parsed.date,
            size=len(raw),
            parsed=parsed,
        )


def mark_synced(db: Database, when: datetime | None = None) -> None:
    """Record every folder as synced at ``when`` (now), as a sync does when it finishes."""
    stamp = (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    with db.transaction() as conn:
        conn.execute("UPDATE folders SET last_sync = ?", (stamp,))
