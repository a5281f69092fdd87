"""Fallback for servers that refuse custom keywords: a hidden state folder.

When the inbox's PERMANENTFLAGS lacks ``\\*`` the shared state travels as small messages
APPENDed to the folder :data:`STATE_FOLDER`, one per change, each holding JSON::

    {"conversation": ID, "status": ..., "snoozed_until": ..., "assigned_to": ...,
     "author": AGENT, "at": ISO-TIME, "base": UID-OF-THE-STATE-IT-CHANGED}

Messages are read in UID order (the server's order of arrival, the same for every
client). A message whose ``base`` is the previous one simply replaces the state; one
written concurrently (its ``base`` is older) changes only the fields its author changed,
and cannot take a claim that someone else took first: the earlier claim (lower UID) wins.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from typing import Any

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.store.db import Database
from supportinbox.team.keywords import Resolution, TeamState

log = logging.getLogger(__name__)

STATE_FOLDER = "Support State"
STATE_HEADER = "X-Supportinbox-State"
MAX_STATE_SIZE = 16_384
_META_VALIDITY = "team_state_uidvalidity"
_META_LAST_UID = "team_state_last_uid"


@dataclass(frozen=True)
class LogEntry:
    """One state message."""

    uid: int
    conversation_id: str
    base_uid: int
    state: TeamState
    author: str
    written_at: str = ""


@dataclass(frozen=True)
class LogConflict:
    """A concurrent claim that lost to an earlier one."""

    uid: int
    author: str
    wanted: str | None
    holder: str | None


def resolve_log(entries: Iterable[LogEntry]) -> tuple[Resolution, list[LogConflict], str | None]:
    """Replay one conversation's state messages; also return lost claims and the last write time."""
    states: dict[int, TeamState] = {}
    head_uid = 0
    current = TeamState()
    conflicts: list[LogConflict] = []
    seen: set[str] = set()
    claimants: set[str] = set()
    last_writer: str | None = None
    written_at: str | None = None
    for entry in sorted(entries, key=lambda e: e.uid):
        base = states.get(entry.base_uid, TeamState()) if entry.base_uid else TeamState()
        wanted = entry.state.normalized()
        if entry.base_uid == head_uid or (entry.base_uid and entry.base_uid not in states):
            merged = wanted
        else:
            # Written without seeing the latest state: keep what it did not change.
            status_changed = (wanted.status, wanted.snoozed_until) != (base.status, base.snoozed_until)
            status, snooze = (
                (wanted.status, wanted.snoozed_until)
                if status_changed
                else (current.status, current.snoozed_until)
            )
            claim = current.assigned_to
            if wanted.assigned_to != base.assigned_to:
                if current.assigned_to == base.assigned_to:
                    claim = wanted.assigned_to
                elif wanted.assigned_to != current.assigned_to:
                    conflicts.append(LogConflict(entry.uid, entry.author, wanted.assigned_to, claim))
            merged = TeamState(status, snooze, claim)
        if merged.assigned_to:
            claimants.add(merged.assigned_to)
        current = merged
        states[entry.uid] = merged
        head_uid = entry.uid
        if entry.author:
            seen.add(entry.author)
            last_writer = entry.author
        written_at = entry.written_at or written_at
    resolution = Resolution(
        current,
        (current.assigned_to,) if current.assigned_to else (),
        last_writer,
        frozenset(seen | claimants),
        head_uid or None,
        written_at=written_at,
    )
    return resolution, conflicts, written_at


def build_state_message(
    account: AccountConfig,
    agent: str,
    conversation_id: str,
    state: TeamState,
    base_uid: int,
    status_at: str | None = None,
) -> bytes:
    """The message that records one state change (``status_at``: when the status was set)."""
    state = state.normalized()
    now = datetime.now(UTC)
    payload = {
        "conversation": conversation_id,
        "status": state.status,
        "snoozed_until": state.snoozed_until,
        "assigned_to": state.assigned_to,
        "author": agent,
        "at": status_at or now.isoformat(timespec="seconds"),
        "base": base_uid,
    }
    msg = EmailMessage()
    msg["From"] = account.email
    msg["To"] = account.email
    msg["Subject"] = f"supportinbox state {conversation_id}"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=account.email.rpartition("@")[2] or "supportinbox.invalid")
    msg[STATE_HEADER] = conversation_id
    msg.set_content(json.dumps(payload, ensure_ascii=True, sort_keys=True) + "\n")
    return msg.as_bytes()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and len(value) < 200 else None


def parse_state_message(uid: int, raw: bytes) -> LogEntry | None:
    """A state message as a log entry; ``None`` for anything malformed (never raises)."""
    try:
        msg = message_from_bytes(raw, policy=default_policy)
        header = str(msg.get(STATE_HEADER, "")).strip()
        body = msg.get_body(("plain",)) if isinstance(msg, EmailMessage) else None
        data = json.loads(body.get_content() if body is not None else "")
    except Exception:  # noqa: BLE001 - a hostile or broken message is skipped, never fatal
        return None
    if not isinstance(data, dict) or not header or data.get("conversation") != header:
        return None
    status = _text(data.get("status"))
    if status not in (None, "open", "pending", "snoozed", "closed"):
        return None
    base = data.get("base")
    return LogEntry(
        uid,
        header,
        base if isinstance(base, int) and 0 <= base < uid else 0,
        TeamState(status, _text(data.get("snoozed_until")), _text(data.get("assigned_to"))),
        _text(data.get("author")) or "",
        _text(data.get("at")) or "",
    )


def sync_log(imap: IMAPClient, db: Database, *, create: bool = False) -> bool:
    """Fetch new state messages into ``team_state_log``; False if the folder does not exist."""
    if not imap.folder_exists(STATE_FOLDER):
        if not create:
            return False
        imap.create_folder(STATE_FOLDER)
    info = imap.select_folder(STATE_FOLDER, readonly=True)
    validity = str(info.get(b"UIDVALIDITY", ""))
    last_uid = int(db.get_meta(_META_LAST_UID) or 0)
    if db.get_meta(_META_VALIDITY) != validity:
        with db.transaction() as tx:
            tx.execute("DELETE FROM team_state_log")
            db.set_meta(_META_VALIDITY, validity)
            db.set_meta(_META_LAST_UID, "0")
        last_uid = 0
    uids = [u for u in imap.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid]
    if not uids:
        return True
    sizes = imap.fetch(uids, ["RFC822.SIZE"])
    wanted = [u for u in uids if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= MAX_STATE_SIZE]
    bodies = imap.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
    entries = [parse_state_message(u, bytes(bodies[u].get(b"BODY[]") or b"")) for u in wanted if u in bodies]
    with db.transaction() as tx:
        tx.executemany(
            "INSERT OR REPLACE INTO team_state_log(uid, conversation_id, base_uid, status, snoozed_until, "
            "assigned_to, author, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.uid,
                    e.conversation_id,
                    e.base_uid,
                    e.state.status,
                    e.state.snoozed_until,
                    e.state.assigned_to,
                    e.author,
                    e.written_at,
                )
                for e in entries
                if e is not None
            ],
        )
        db.set_meta(_META_LAST_UID, str(max(uids)))
    return True


def log_entries(conn: sqlite3.Connection, conversation_id: str | None = None) -> dict[str, list[LogEntry]]:
    """Cached state messages, grouped by conversation."""
    query = (
        "SELECT uid, conversation_id, base_uid, status, snoozed_until, assigned_to, author, written_at "
        "FROM team_state_log"
    )
    params: tuple[str, ...] = ()
    if conversation_id is not None:
        query += " WHERE conversation_id = ?"
        params = (conversation_id,)
    grouped: dict[str, list[LogEntry]] = {}
    for row in conn.execute(query + " ORDER BY uid", params):
        grouped.setdefault(str(row[1]), []).append(
            LogEntry(int(row[0]), str(row[1]), int(row[2]), TeamState(row[3], row[4], row[5]), row[6], row[7])
        )
    return grouped


def append_state(
    imap: IMAPClient,
    account: AccountConfig,
    agent: str,
    conversation_id: str,
    state: TeamState,
    base_uid: int,
    status_at: str | None = None,
) -> None:
    """Record a state change on the server."""
    if not imap.folder_exists(STATE_FOLDER):
        imap.create_folder(STATE_FOLDER)
    imap.append(
        STATE_FOLDER, build_state_message(account, agent, conversation_id, state, base_uid, status_at)
    )
