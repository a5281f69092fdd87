"""The hidden state folder: small JSON messages that every teammate replays in UID order.

Messages are read in UID order (the server's order of arrival, the same for every
client). Each has the header ``X-Supportinbox-State`` and a JSON body whose ``kind`` says
what it is:

``state`` (no ``kind`` in older messages): on servers that refuse custom keywords, the
  whole shared state of a conversation, one message per change::

    {"conversation": ID, "status": ..., "snoozed_until": ..., "assigned_to": ...,
     "author": AGENT, "at": ISO-TIME, "base": UID-OF-THE-STATE-IT-CHANGED}

  A message whose ``base`` is the previous one simply replaces the state; one written
  concurrently (its ``base`` is older) changes only the fields its author changed, and
  cannot take a claim that someone else took first: the earlier claim (lower UID) wins.

``detail``: on servers with keywords, who set a conversation's status, when, and until
  when it is snoozed (what keyword names cannot carry in the bounded scheme)::

    {"kind": "detail", "conversation": ID, "status": ..., "snoozed_until": ...,
     "author": AGENT, "at": ISO-TIME}

``agent`` / ``free``: the registry of team slots (header value ``agents``)::

    {"kind": "agent", "conversation": "agents", "agent": NAME, "slot": N, "author": AGENT}

  The first registration of a free slot wins; a later one for a taken slot, or for an
  agent that already has one, changes nothing. ``free`` gives a slot back.

``hello``: an agent announcing itself at its first sync, so teammates know the name before
  it holds, notes or changes anything (header value ``agents``)::

    {"kind": "hello", "conversation": "agents", "agent": NAME, "author": NAME, "at": ISO-TIME}

``followup``: a conversation's follow-up (``due`` ``null``: cleared); the newest wins::

    {"kind": "followup", "conversation": ID, "due": ISO-TIME, "note": TEXT,
     "author": AGENT, "at": ISO-TIME}

``tags``: tags added to and removed from a conversation, replayed in UID order; the
  token lets the writer recognise its own change::

    {"kind": "tags", "conversation": ID, "add": [TAG...], "remove": [TAG...],
     "token": TEXT, "author": AGENT, "at": ISO-TIME}

``incident``: an incident closed by hand (its id in place of a conversation's) and the
  Message-IDs of its reports (the first message of each member, as many as
  :data:`INCIDENT_MEMBERS_SIZE` allows); every teammate closes it too, once their copy has
  found it: by its id, or holding one of those reports (a copy that never saw the first
  report names the incident after another one). Older entries have no ``members``::

    {"kind": "incident", "conversation": INCIDENT-ID, "closed_at": ISO-TIME,
     "members": [MSGID...], "author": AGENT, "at": ISO-TIME}

``merge`` / ``split``: conversations merged or split by hand, replayed in UID order by
  threading (:mod:`supportinbox.store.threadlinks`). A merge's conversation is the one merged
  away, ``target`` the one it joined; messages are named by Message-ID::

    {"kind": "merge", "conversation": ID, "message": MSGID, "into": MSGID, "target": ID,
     "token": TEXT, "author": AGENT, "at": ISO-TIME}
    {"kind": "split", "conversation": ID, "message": MSGID, "target": NEW-ID, ...}
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from typing import Any, TypeVar

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig, is_agent_name
from supportinbox.domain.followups import clean_note
from supportinbox.domain.tags import MAX_TAGS, normalize_tag
from supportinbox.domain.when import parse_time
from supportinbox.mail.imap import leave_read_only, own_folder
from supportinbox.store.db import Database
from supportinbox.team import marks
from supportinbox.team.keywords import SLOTS, Detail, Resolution, TeamState, normalize_snooze

log = logging.getLogger(__name__)

T = TypeVar("T")

STATE_FOLDER = marks.STATE_FOLDER
STATE_HEADER = "X-Supportinbox-State"
MAX_STATE_SIZE = 16_384
REGISTRY = "agents"
STATE, DETAIL, AGENT, FREE, FOLLOWUP, TAGS = "state", "detail", "agent", "free", "followup", "tags"
MERGE, SPLIT, HELLO, INCIDENT = "merge", "split", "hello", "incident"
_KINDS = (STATE, DETAIL, AGENT, FREE, FOLLOWUP, TAGS, MERGE, SPLIT, HELLO, INCIDENT)
_REGISTRY_KINDS = (AGENT, FREE, HELLO)
_META_VALIDITY = marks.STATE_VALIDITY
_META_LAST_UID = marks.STATE_LAST_UID
_META_UIDNEXT = marks.STATE_UIDNEXT
_CONVERSATION_ID = re.compile(r"[a-z0-9]{1,64}")
# An incident close names its reports' Message-IDs within this many characters, so hundreds
# of reports of one outage keep the entry well under MAX_STATE_SIZE.
INCIDENT_MEMBERS_SIZE = 8_000


@dataclass(frozen=True)
class LogEntry:
    """One state-folder message.

    For ``agent``/``free`` entries ``state.assigned_to`` is the agent the slot is given to
    (or taken from) and ``slot`` the slot; ``conversation_id`` is :data:`REGISTRY`.
    """

    uid: int
    conversation_id: str
    base_uid: int
    state: TeamState
    author: str
    written_at: str = ""
    kind: str = STATE
    slot: int = 0
    note: str = ""  # a follow-up's note
    changes: str = ""  # a tags entry's change, as JSON (add, remove, token)


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
        current = merged
        states[entry.uid] = merged
        head_uid = entry.uid
        if entry.author:
            last_writer = entry.author
        written_at = entry.written_at or written_at
    resolution = Resolution(
        current,
        (current.assigned_to,) if current.assigned_to else (),
        last_writer,
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
    payload: dict[str, Any] = {
        "conversation": conversation_id,
        "status": state.status,
        "snoozed_until": state.snoozed_until,
        "assigned_to": state.assigned_to,
        "base": base_uid,
    }
    return _message(account, agent, conversation_id, payload, status_at)


def build_detail_message(
    account: AccountConfig, agent: str, conversation_id: str, state: TeamState, status_at: str | None = None
) -> bytes:
    """The detail of a status written as keywords: who, when, until when snoozed."""
    state = state.normalized()
    payload: dict[str, Any] = {
        "kind": DETAIL,
        "conversation": conversation_id,
        "status": state.status,
        "snoozed_until": state.snoozed_until,
    }
    return _message(account, agent, conversation_id, payload, status_at)


def build_registry_message(
    account: AccountConfig, author: str, agent: str, slot: int, kind: str = AGENT
) -> bytes:
    """A registration of ``agent`` in ``slot`` (``kind`` ``free``: the slot given back)."""
    payload: dict[str, Any] = {"kind": kind, "conversation": REGISTRY, "agent": agent, "slot": slot}
    return _message(account, author, REGISTRY, payload, None)


def build_hello_message(account: AccountConfig) -> bytes:
    """This agent announcing itself to the team (see the module doc)."""
    payload: dict[str, Any] = {"kind": HELLO, "conversation": REGISTRY, "agent": account.agent}
    return _message(account, account.agent, REGISTRY, payload, None)


def announce(imap: IMAPClient, db: Database, account: AccountConfig) -> bool:
    """Announce this agent in the state folder unless the cached log already knows it.

    Call after :func:`sync_log` has read the folder. Returns whether an announcement went.
    """
    known = db.conn.execute(
        "SELECT 1 FROM team_state_log WHERE author = ? OR (kind IN (?, ?) AND assigned_to = ?) LIMIT 1",
        (account.agent, AGENT, HELLO, account.agent),
    ).fetchone()
    if known is not None:
        return False
    append_message(imap, build_hello_message(account))
    return True


def _message(account: AccountConfig, author: str, key: str, payload: dict[str, Any], at: str | None) -> bytes:
    now = datetime.now(UTC)
    payload = {**payload, "author": author, "at": at or now.isoformat(timespec="seconds")}
    msg = EmailMessage()
    msg["From"] = account.email
    msg["To"] = account.email
    msg["Subject"] = f"supportinbox state {key}"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=account.email.rpartition("@")[2] or "supportinbox.invalid")
    msg[STATE_HEADER] = key
    msg.set_content(json.dumps(payload, ensure_ascii=True, sort_keys=True) + "\n")
    return msg.as_bytes()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and len(value) < 200 else None


def parse_state_message(uid: int, raw: bytes, arrived: datetime | None = None) -> LogEntry | None:
    """A state message as a log entry; ``None`` for anything malformed (never raises).

    ``arrived``: the message's INTERNALDATE (the server's clock). Its ``at`` (the writer's
    clock) is never later than that, as a message's Date is never later than its arrival:
    a teammate whose clock runs hours ahead would otherwise date a status change after the
    customer's answer to it, and the conversation would not reopen.
    """
    try:
        msg = message_from_bytes(raw, policy=default_policy)
        header = str(msg.get(STATE_HEADER, "")).strip()
        body = msg.get_body(("plain",)) if isinstance(msg, EmailMessage) else None
        data = json.loads(body.get_content() if body is not None else "")
    except Exception:  # noqa: BLE001 - a hostile or broken message is skipped, never fatal
        return None
    if (
        not isinstance(data, dict)
        or not _CONVERSATION_ID.fullmatch(header)
        or data.get("conversation") != header
    ):
        return None
    kind = data.get("kind", STATE)
    if kind not in _KINDS or (header == REGISTRY) != (kind in _REGISTRY_KINDS):
        return None
    # Every field is held to what the keyword scheme can carry: a teammate's name is an
    # agent name, a time is a time. Anything else (escapes, markup, spaces) is not ours.
    author, at = _text(data.get("author")) or "", _text(data.get("at")) or ""
    if author and not is_agent_name(author):
        return None
    if at and normalize_snooze(at) is None:
        at = ""
    written, server_at = parse_time(at), arrived.astimezone(UTC) if arrived is not None else None
    if written is not None and server_at is not None and written > server_at:
        at = server_at.isoformat(timespec="seconds")
    if kind == HELLO:
        agent = _text(data.get("agent"))
        if agent is None or agent != author:
            return None  # one announces oneself only
        return LogEntry(uid, header, 0, TeamState(assigned_to=agent), author, at, kind)
    if kind in (AGENT, FREE):
        agent, slot = _text(data.get("agent")), data.get("slot")
        if agent is None or not is_agent_name(agent) or not isinstance(slot, int) or not 1 <= slot <= SLOTS:
            return None
        return LogEntry(uid, header, 0, TeamState(assigned_to=agent), author, at, kind, slot)
    if kind == FOLLOWUP:
        return _followup_entry(uid, header, data, author, at)
    if kind == INCIDENT:
        closed = _text(data.get("closed_at"))
        closed_at = _time(closed) if closed is not None else None
        members = _incident_members(data.get("members", []))
        if closed_at is None or members is None:
            return None
        changes = json.dumps({"members": members}) if members else ""
        return LogEntry(uid, header, 0, TeamState(None, closed_at), author, at, INCIDENT, changes=changes)
    if kind == TAGS:
        return _tags_entry(uid, header, data, author, at)
    if kind in (MERGE, SPLIT):
        return _thread_entry(uid, header, data, author, at, kind)
    status = _text(data.get("status"))
    if status not in (None, "open", "pending", "snoozed", "closed"):
        return None
    holder = _text(data.get("assigned_to")) if kind == STATE else None
    snoozed = _text(data.get("snoozed_until"))
    if holder is not None and not is_agent_name(holder):
        return None
    if snoozed is not None and normalize_snooze(snoozed) is None:
        return None
    base = data.get("base")
    return LogEntry(
        uid,
        header,
        base if isinstance(base, int) and 0 <= base < uid else 0,
        TeamState(status, snoozed, holder),
        author,
        at,
        kind,
    )


def _followup_entry(uid: int, header: str, data: dict[str, Any], author: str, at: str) -> LogEntry | None:
    due, note = data.get("due"), data.get("note", "")
    if due is not None and (_text(due) is None or _time(str(due)) is None):
        return None
    if not isinstance(note, str) or not at:
        return None
    due_text = _time(str(due)) if due is not None else None
    return LogEntry(uid, header, 0, TeamState(None, due_text), author, at, FOLLOWUP, note=clean_note(note))


def _tags_entry(uid: int, header: str, data: dict[str, Any], author: str, at: str) -> LogEntry | None:
    """Only well-formed tags survive: a teammate's entry cannot bring markup or a phrase."""
    add, remove, token = data.get("add"), data.get("remove"), data.get("token")
    if not (isinstance(add, list) and isinstance(remove, list) and isinstance(token, str)):
        return None
    if not 0 < len(token) <= 64 or len(add) + len(remove) > MAX_TAGS:
        return None
    added = [normalize_tag(t) if isinstance(t, str) else None for t in add]
    removed = [normalize_tag(t) if isinstance(t, str) else None for t in remove]
    if None in added or None in removed:
        return None
    change = {"add": added, "remove": removed, "token": token}
    return LogEntry(uid, header, 0, TeamState(), author, at, TAGS, changes=json.dumps(change, sort_keys=True))


_MESSAGE_ID = re.compile(r"<?[\x21-\x3b\x3d\x3f-\x7e]{1,900}>?")


def _thread_entry(
    uid: int, header: str, data: dict[str, Any], author: str, at: str, kind: str
) -> LogEntry | None:
    """A merge or split: Message-IDs and ids of the shapes the cache holds, nothing else."""
    message, into, target, token = (
        data.get("message"),
        data.get("into", ""),
        data.get("target"),
        data.get("token"),
    )
    if not all(isinstance(v, str) for v in (message, into, target, token)) or not at:
        return None
    if not _MESSAGE_ID.fullmatch(str(message)) or (into and not _MESSAGE_ID.fullmatch(str(into))):
        return None
    if (kind == MERGE) != bool(into) or not _CONVERSATION_ID.fullmatch(str(target)):
        return None
    if not 0 < len(str(token)) <= 64 or not str(token).isalnum():
        return None
    change = {"message": message, "into": into, "target": target, "token": token}
    return LogEntry(uid, header, 0, TeamState(), author, at, kind, changes=json.dumps(change, sort_keys=True))


def _incident_members(value: Any) -> list[str] | None:
    """An incident close's report Message-IDs; ``None`` unless every one is a Message-ID."""
    if not isinstance(value, list) or sum(len(v) if isinstance(v, str) else 0 for v in value) > (
        INCIDENT_MEMBERS_SIZE
    ):
        return None
    if not all(isinstance(v, str) and _MESSAGE_ID.fullmatch(v) for v in value):
        return None
    return [str(v) for v in value]


def incident_members(entry: LogEntry) -> list[str]:
    """The report Message-IDs an ``incident`` entry names (none in older entries)."""
    if entry.kind != INCIDENT or not entry.changes:
        return []
    return list(json.loads(entry.changes)["members"])


def build_thread_message(
    account: AccountConfig, agent: str, kind: str, conversation_id: str, change: dict[str, str], at: str
) -> bytes:
    """The message that shares one merge or split (``change``: message, into, target, token)."""
    payload: dict[str, Any] = {"kind": kind, "conversation": conversation_id, **change}
    return _message(account, agent, conversation_id, payload, at)


def build_tags_message(
    account: AccountConfig, agent: str, conversation_id: str, change: str, at: str
) -> bytes:
    """The message that shares one tag change (``change``: JSON with add, remove, token)."""
    payload: dict[str, Any] = {"kind": TAGS, "conversation": conversation_id, **json.loads(change)}
    return _message(account, agent, conversation_id, payload, at)


def _time(text: str) -> str | None:
    """An ISO time as the cache writes it (UTC, to the second); ``None`` if it is not one."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC).isoformat(timespec="seconds")


def build_followup_message(
    account: AccountConfig, agent: str, conversation_id: str, due: str | None, note: str, at: str
) -> bytes:
    """The message that shares a conversation's follow-up (``due`` ``None``: cleared)."""
    payload: dict[str, Any] = {"kind": FOLLOWUP, "conversation": conversation_id, "due": due, "note": note}
    return _message(account, agent, conversation_id, payload, at)


def build_incident_message(
    account: AccountConfig, agent: str, incident_id: str, closed_at: str, members: Iterable[str] = ()
) -> bytes:
    """The message that shares an incident closed by hand, with its reports' Message-IDs
    (those that fit in :data:`INCIDENT_MEMBERS_SIZE`, in the order given)."""
    named: list[str] = []
    size = 0
    for message_id in members:
        size += len(message_id)
        if size > INCIDENT_MEMBERS_SIZE:
            break
        named.append(message_id)
    payload: dict[str, Any] = {
        "kind": INCIDENT,
        "conversation": incident_id,
        "closed_at": closed_at,
        "members": named,
    }
    return _message(account, agent, incident_id, payload, closed_at)


def registry(entries: Iterable[LogEntry]) -> dict[int, str]:
    """Replay the registry: slot -> agent. The first registration of a free slot wins."""
    slots: dict[int, str] = {}
    for entry in sorted(entries, key=lambda e: e.uid):
        agent = entry.state.assigned_to
        if agent is None:
            continue
        if entry.kind == AGENT and entry.slot not in slots and agent not in slots.values():
            slots[entry.slot] = agent
        elif entry.kind == FREE and slots.get(entry.slot) == agent:
            del slots[entry.slot]
    return slots


def exchange(
    imap: IMAPClient,
    db: Database,
    account: AccountConfig,
    upload: Callable[[IMAPClient, Database, AccountConfig], int],
    take: Callable[[Database, str], tuple[list[str], list[T]]],
    what: str,
) -> tuple[list[str], list[T]]:
    """Share this client's entries of one kind (``upload``: how many went) and take the team's
    (``take``: the conversations changed, and what teammates did); ``what`` names them in the log."""
    uploaded = upload(imap, db, account)
    if uploaded:
        log.info("shared %d %s", uploaded, what)
    if not sync_log(imap, db, account, create=False):
        return [], []
    return take(db, account.agent)


def read_before_sharing(imap: IMAPClient, db: Database, account: AccountConfig) -> None:
    """Bring the cached log up to date before this client's entries are APPENDed.

    The cache can call an entry not shared that is on the server already: a cache rebuild
    that shared it from its new cache and then stopped (a full disk, a kill) leaves the old
    cache in use, saying so. :func:`is_shared` then finds it, and it is not shared twice:
    a second copy of an old change would be replayed over a teammate's newer one.
    """
    sync_log(imap, db, account)


# How an entry of each kind is known again in the log: tag changes, merges and splits by
# their token, a follow-up by its writer and time, an incident close by its time.
_SAME_ENTRY = {
    TAGS: "json_extract(changes, '$.token') = ?",
    MERGE: "json_extract(changes, '$.token') = ?",
    SPLIT: "json_extract(changes, '$.token') = ?",
    FOLLOWUP: "written_at = ?",
    INCIDENT: "snoozed_until = ?",
}


def is_shared(conn: sqlite3.Connection, kind: str, conversation_id: str, author: str, key: str) -> bool:
    """Whether the cached log holds this client's entry (see :func:`read_before_sharing`).

    ``key``: a tag change's, merge's or split's token, a follow-up's time set, an incident's
    close time.
    """
    if kind == INCIDENT:
        key = _time(key) or key
    row = conn.execute(
        f"SELECT 1 FROM team_state_log WHERE kind = ? AND conversation_id = ? AND author = ? "
        f"AND {_SAME_ENTRY[kind]} LIMIT 1",
        (kind, conversation_id, author, key),
    ).fetchone()
    return row is not None


def sync_log(imap: IMAPClient, db: Database, account: AccountConfig, *, create: bool = False) -> bool:
    """Fetch new state messages into ``team_state_log``; False if the folder does not exist.

    One STATUS when nothing was added since the last call (the selected folder is then
    left as it was); otherwise the state folder is left selected (read-only).

    A folder that is not the one read before (another UIDVALIDITY: deleted and created
    again, say by another mail client) is read afresh, and what the team still needs from
    the old one and is missing from the new one is written back (see :func:`_restore`).
    """
    folder = own_folder(imap, STATE_FOLDER)
    try:
        status = imap.folder_status(folder, [item.encode() for item in marks.STATE_STATUS_ITEMS])
    except IMAPClientError:
        # No such folder (a STATUS of a missing folder is a NO).
        if not create:
            return False
        imap.create_folder(folder)
        status = imap.folder_status(folder, [item.encode() for item in marks.STATE_STATUS_ITEMS])
    named = {bytes(key).decode("ascii", "replace").upper(): value for key, value in status.items()}
    mark = marks.state_mark(named)
    if marks.state_log_current(db, named):
        return True
    info = imap.select_folder(folder, readonly=True)
    validity = str(info.get(b"UIDVALIDITY", ""))
    last_uid = int(db.get_meta(_META_LAST_UID) or 0)
    lost: list[LogEntry] = []
    if db.get_meta(_META_VALIDITY) != validity:
        if db.get_meta(_META_VALIDITY):
            lost = _still_needed(db.conn)
        with db.transaction() as tx:
            tx.execute("DELETE FROM team_state_log")
            db.set_meta(_META_VALIDITY, validity)
            db.set_meta(_META_LAST_UID, "0")
        last_uid = 0
    elif db.get_meta(marks.STATE_READING) != marks.STATE_READER:
        # Read by an older reading, which passed over kinds and fields it did not know: every
        # entry is read again (each replaces its own row, by UID).
        last_uid = 0
    uids = [u for u in imap.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid]
    if not uids:
        with db.transaction():
            db.set_meta(_META_UIDNEXT, mark)
            db.set_meta(marks.STATE_READING, marks.STATE_READER)
        return _restore(imap, db, account, lost)
    sizes = imap.fetch(uids, ["RFC822.SIZE"])
    wanted = [u for u in uids if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= MAX_STATE_SIZE]
    bodies = imap.fetch(wanted, ["BODY.PEEK[]", "INTERNALDATE"]) if wanted else {}
    entries = [
        parse_state_message(u, bytes(bodies[u].get(b"BODY[]") or b""), bodies[u].get(b"INTERNALDATE"))
        for u in wanted
        if u in bodies
    ]
    with db.transaction() as tx:
        tx.executemany(
            "INSERT OR REPLACE INTO team_state_log(uid, conversation_id, base_uid, status, snoozed_until, "
            "assigned_to, author, written_at, kind, slot, note, changes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    e.kind,
                    e.slot,
                    e.note,
                    e.changes,
                )
                for e in entries
                if e is not None
            ],
        )
        db.set_meta(_META_LAST_UID, str(max(uids)))
        db.set_meta(marks.STATE_READING, marks.STATE_READER)
        # UIDNEXT may have moved on since the STATUS: only what was fetched is marked.
        if int(status.get(b"UIDNEXT", 0) or 0) == max(uids) + 1:
            db.set_meta(_META_UIDNEXT, mark)
    return _restore(imap, db, account, lost)


def _still_needed(conn: sqlite3.Connection) -> list[LogEntry]:
    """What a lost state folder held that the team still needs, from this client's cache.

    The team slots as registered; per conversation the newest detail of each status (what
    :func:`compact_details` keeps), the newest follow-up, the state (folder mode), and
    every tag change, merge, split and incident close in their order.
    """
    needed = [
        LogEntry(0, REGISTRY, 0, TeamState(assigned_to=agent), "", "", AGENT, slot)
        for slot, agent in sorted(cached_registry(conn).items())
    ]
    for cid, entries in log_entries(conn, kinds=(STATE,)).items():
        resolution, _, written_at = resolve_log(entries)
        needed.append(LogEntry(0, cid, 0, resolution.state, resolution.last_writer or "", written_at or ""))
    newest: dict[tuple[str, str, str], LogEntry] = {}
    for entries in log_entries(conn, kinds=(DETAIL, FOLLOWUP)).values():
        for entry in entries:
            newest[(entry.kind, entry.conversation_id, entry.state.status or "")] = entry
    needed += sorted(newest.values(), key=lambda e: e.uid)
    replayed = log_entries(conn, kinds=(TAGS, MERGE, SPLIT, INCIDENT)).values()
    needed += sorted((e for entries in replayed for e in entries), key=lambda e: e.uid)
    return needed


def _restore(imap: IMAPClient, db: Database, account: AccountConfig, lost: list[LogEntry]) -> bool:
    """Write back what ``lost`` holds and the folder read afresh does not; True.

    Without it a state folder deleted by another client would take every teammate's
    claims (their slots), snooze times, follow-ups and tags with it. Only what the new
    folder lacks goes back: a slot nobody took, and per conversation the kinds of entry it
    has none of (whatever is there was written since, and is newer). Two teammates
    restoring at once write the same entries twice, which replay to the same state.
    """
    if not lost:
        return True
    slots = cached_registry(db.conn)
    present = {
        (str(kind), str(cid))
        for kind, cid in db.conn.execute("SELECT DISTINCT kind, conversation_id FROM team_state_log")
    }
    raws = []
    for entry in lost:
        author = entry.author or account.agent
        at = entry.written_at or None
        cid = entry.conversation_id
        agent = entry.state.assigned_to
        if entry.kind == AGENT:
            if agent is not None and agent not in slots.values() and entry.slot not in slots:
                raws.append(build_registry_message(account, account.agent, agent, entry.slot))
        elif (entry.kind, cid) in present:
            continue
        elif entry.kind == STATE:
            raws.append(build_state_message(account, author, cid, entry.state, 0, at))
        elif entry.kind == DETAIL:
            raws.append(build_detail_message(account, author, cid, entry.state, at))
        elif entry.kind == FOLLOWUP:
            due = entry.state.snoozed_until
            raws.append(build_followup_message(account, author, cid, due, entry.note, entry.written_at))
        elif entry.kind == TAGS:
            raws.append(build_tags_message(account, author, cid, entry.changes, entry.written_at))
        elif entry.kind == INCIDENT:
            closed_at, members = entry.state.snoozed_until or "", incident_members(entry)
            raws.append(build_incident_message(account, author, cid, closed_at, members))
        else:
            change = json.loads(entry.changes)
            raws.append(build_thread_message(account, author, entry.kind, cid, change, entry.written_at))
    if not raws:
        return True
    for raw in raws:
        append_message(imap, raw)
    log.warning("%s was new on the server: wrote back %d team entries it lacked", STATE_FOLDER, len(raws))
    return sync_log(imap, db, account)


# Superseded details are removed from the folder once there are this many.
COMPACT_AFTER = 200
_CHUNK = 500


def compact_details(imap: IMAPClient, db: Database, *, at_least: int = COMPACT_AFTER) -> int:
    """Remove the details no client needs: all but the newest of each status per conversation.

    Follow-ups likewise: only the newest of a conversation counts.

    With keywords a detail is never the state itself, only who/when/until of a status, and
    resolving needs the newest detail and the newest of the status on the messages. Each
    status change adds one, so without this the folder would grow for ever. A teammate's
    cache may keep the removed ones: they are superseded there too. Returns how many went.
    """
    stale = [
        int(row[0])
        for row in db.conn.execute(
            "SELECT uid FROM team_state_log WHERE kind IN ('detail', 'followup') AND uid NOT IN ("
            "  SELECT MAX(uid) FROM team_state_log WHERE kind IN ('detail', 'followup') "
            "  GROUP BY kind, conversation_id, COALESCE(status, ''))"
        )
    ]
    if len(stale) < at_least:
        return 0
    imap.select_folder(own_folder(imap, STATE_FOLDER))
    for start in range(0, len(stale), _CHUNK):
        chunk = stale[start : start + _CHUNK]
        imap.add_flags(chunk, [DELETED], silent=True)
        if b"UIDPLUS" in imap.capabilities():
            imap.uid_expunge(chunk)
        else:
            imap.expunge()  # only supportinbox writes to this folder
    with db.transaction() as tx:
        for start in range(0, len(stale), _CHUNK):
            chunk = stale[start : start + _CHUNK]
            tx.execute(f"DELETE FROM team_state_log WHERE uid IN ({', '.join('?' * len(chunk))})", chunk)
    log.info("removed %d superseded team state details from %s", len(stale), STATE_FOLDER)
    return len(stale)


def log_entries(
    conn: sqlite3.Connection, conversation_id: str | None = None, kinds: tuple[str, ...] = (STATE,)
) -> dict[str, list[LogEntry]]:
    """Cached state-folder messages of ``kinds``, grouped by conversation."""
    query = (
        "SELECT uid, conversation_id, base_uid, status, snoozed_until, assigned_to, author, written_at, "
        f"kind, slot, note, changes FROM team_state_log WHERE kind IN ({', '.join('?' * len(kinds))})"
    )
    params: tuple[str, ...] = kinds
    if conversation_id is not None:
        query += " AND conversation_id = ?"
        params = (*kinds, conversation_id)
    grouped: dict[str, list[LogEntry]] = {}
    for (
        uid,
        conversation,
        base_uid,
        status,
        snoozed_until,
        assigned_to,
        author,
        written_at,
        kind,
        slot,
        note,
        changes,
    ) in conn.execute(query + " ORDER BY uid", params):
        grouped.setdefault(str(conversation), []).append(
            LogEntry(
                int(uid),
                str(conversation),
                int(base_uid),
                TeamState(status, snoozed_until, assigned_to),
                author,
                written_at,
                str(kind),
                int(slot),
                str(note),
                str(changes or ""),
            )
        )
    return grouped


def cached_registry(conn: sqlite3.Connection) -> dict[int, str]:
    """The team slots as last read from the state folder: slot -> agent."""
    return registry(log_entries(conn, REGISTRY, (AGENT, FREE)).get(REGISTRY, []))


def cached_details(conn: sqlite3.Connection, conversation_id: str | None = None) -> dict[str, list[Detail]]:
    """The status details last read from the state folder, by conversation."""
    return {
        cid: [Detail(e.uid, e.state.status, e.state.snoozed_until, e.author, e.written_at) for e in entries]
        for cid, entries in log_entries(conn, conversation_id, (DETAIL,)).items()
    }


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
    append_message(imap, build_state_message(account, agent, conversation_id, state, base_uid, status_at))


def append_message(imap: IMAPClient, raw: bytes) -> None:
    """APPEND one message to the state folder (created when missing).

    Filed as read, as notes are: another client sharing the mailbox would otherwise count
    every claim and status change as new mail in the folder.
    """
    folder = own_folder(imap, STATE_FOLDER)
    if not imap.folder_exists(folder):
        try:
            imap.create_folder(folder)
        except IMAPClientError:
            if not imap.folder_exists(folder):
                raise
            # A teammate created it in the meantime (two first syncs at once).
    leave_read_only(imap)
    imap.append(folder, raw, flags=("\\Seen",))
