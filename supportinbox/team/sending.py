"""One reply per customer, even when two teammates press send at the same instant.

The collision check (:mod:`supportinbox.team.collision`) reads the server and then
decides; two clients can both pass it a few milliseconds apart. So right before the first
SMTP byte a client must win one atomic step on the server, and exactly one can:

- **keywords with CONDSTORE**: ``UID STORE n (UNCHANGEDSINCE m) +FLAGS ($si-sending)`` on
  the conversation's oldest inbox message still on the server (the one message every
  teammate's cache agrees on), ``m`` being the MODSEQ the check just read. The first STORE
  changes the message, so the second fails with ``MODIFIED``; its client reads again,
  finds the marker and holds its reply.
- **otherwise** (no custom keywords, or no CONDSTORE): an intent message APPENDed to the
  state folder (header ``X-Supportinbox-Sending: <conversation>``). Every client then
  reads the conversation's intents: the lowest UID (the server's order of arrival) wins,
  the others delete their own and hold.

The winner removes its marker once the reply is filed in Sent and its customer message
flagged ``\\Answered`` (teammates' checks see those from then on), or as soon as the send
ends without reaching SMTP. A marker left by a client that died expires: a client that has
seen the same marker for :data:`EXPIRY_SECONDS` removes it with a conditional STORE (an
intent: by its INTERNALDATE) and competes again. A client that died after winning keeps
its win when it comes back (the win is recorded in the cache before SMTP).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import parse_time
from supportinbox.errors import SendRefused
from supportinbox.mail.imap import own_folder
from supportinbox.mail.parse import decode_header_value
from supportinbox.team.keywords import SENDING, MessageFlags
from supportinbox.team.server import KeywordServer
from supportinbox.team.statefolder import STATE_FOLDER

if TYPE_CHECKING:
    from collections.abc import Callable

    from imapclient import IMAPClient

    from supportinbox.store.db import Database
    from supportinbox.store.outbox import OutboxRow
    from supportinbox.team.store import ConversationRef

log = logging.getLogger(__name__)

SENDING_HEADER = "X-Supportinbox-Sending"
REPLY_HEADER = "X-Supportinbox-Reply"
EXPIRY_SECONDS = 600.0
MAX_ATTEMPTS = 5
_META_LOCK = "sending_lock:"  # + outbox id: the marker this reply won (JSON)
_META_TRY = "sending_try:"  # + outbox id: the marker this reply is about to set (JSON)
# How often a client that may have set a marker itself before it stopped looks at it again.
_LOOK_AGAIN_SECONDS = 0.5
_META_SEEN = "sending_seen"  # JSON: marker -> when this client first saw it


@dataclass(frozen=True)
class Lost:
    """Another client won: who (when known) and since when."""

    agent: str | None
    since: datetime | None


def _now() -> datetime:
    return datetime.now(UTC)


def _record(db: Database, row: OutboxRow, lock: dict[str, Any]) -> None:
    with db.transaction():
        db.set_meta(_META_LOCK + str(row.id), json.dumps(lock, sort_keys=True))


def held_lock(db: Database, row: OutboxRow) -> dict[str, Any] | None:
    """The marker this reply won earlier (it may have died after winning), or None."""
    text = db.get_meta(_META_LOCK + str(row.id))
    try:
        lock = json.loads(text) if text else None
    except ValueError:
        return None
    return lock if isinstance(lock, dict) else None


def _forget(db: Database, row: OutboxRow) -> None:
    with db.transaction() as tx:
        tx.execute(
            "DELETE FROM meta WHERE key IN (?, ?)", (_META_LOCK + str(row.id), _META_TRY + str(row.id))
        )


def _record_try(db: Database, row: OutboxRow, where: dict[str, Any] | None) -> None:
    with db.transaction() as tx:
        if where is None:
            tx.execute("DELETE FROM meta WHERE key = ?", (_META_TRY + str(row.id),))
        else:
            db.set_meta(_META_TRY + str(row.id), json.dumps(where, sort_keys=True))


def _tried(db: Database, row: OutboxRow) -> dict[str, Any] | None:
    text = db.get_meta(_META_TRY + str(row.id))
    try:
        where = json.loads(text) if text else None
    except ValueError:
        return None
    return where if isinstance(where, dict) else None


def _marker_stays(server: KeywordServer, target: MessageFlags, seconds: float) -> bool:
    """True when ``target`` keeps its marker, unchanged, for ``seconds``.

    A teammate whose send is under way removes its marker within moments (sent and filed,
    or held by its checks); a marker this client set itself before it stopped stays.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(_LOOK_AGAIN_SECONDS)
        server.imap.noop()
        now = {m.uid: m for m in server.fetch((target.uid,))}.get(target.uid)
        if now is None or now.modseq != target.modseq:
            return False
    return True


def _first_seen(db: Database, marker: str) -> datetime:
    """When this client first saw ``marker`` (now, the first time); old entries are pruned."""
    try:
        seen = json.loads(db.get_meta(_META_SEEN) or "{}")
    except ValueError:
        seen = {}
    seen = seen if isinstance(seen, dict) else {}
    now = _now()
    if marker in seen and (first := parse_time(str(seen[marker]))) is not None:
        return first
    cutoff = now - timedelta(days=1)
    kept = {k: v for k, v in seen.items() if isinstance(v, str) and v >= cutoff.isoformat()}
    kept[marker] = now.isoformat(timespec="seconds")
    with db.transaction():
        db.set_meta(_META_SEEN, json.dumps(kept, sort_keys=True))
    return now


# -- keywords with CONDSTORE --------------------------------------------------------------


def acquire_keyword(
    server: KeywordServer,
    db: Database,
    ref: ConversationRef,
    row: OutboxRow,
    uidvalidity: int,
    messages: list[MessageFlags],
    *,
    settle_seconds: float,
) -> Lost | None:
    """Set the marker on the conversation's oldest message; a :class:`Lost` when another client holds it.

    ``messages``: the conversation's flags the check has just fetched (a MODSEQ to compare with).
    ``settle_seconds``: how long a marker this reply may have set itself (its run stopped
    between the STORE and recording the win) must stay unchanged to be taken as its own.
    """
    mine = held_lock(db, row)
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            messages = server.fetch(ref.uids)
        if not messages:
            return None  # no inbox message left to carry a marker: nothing to race for
        target = min(messages, key=lambda m: m.uid)
        marked = SENDING.lower() in {f.lower() for f in target.flags}
        where = {"mode": "keyword", "folder": server.inbox, "uidvalidity": uidvalidity, "uid": target.uid}
        if marked:
            if mine == where:
                return None  # our own marker from an attempt that died after winning
            if _tried(db, row) == where:
                # This reply's STORE may have set it before its run stopped, or a teammate's.
                if _marker_stays(server, target, settle_seconds):
                    log.warning("conversation %s: taking the sending marker as this reply's own", ref.id)
                    _record(db, row, where)
                    return None
                _record_try(db, row, None)  # it changed: a teammate's send under way ended
                continue
            marker = f"{server.inbox}:{uidvalidity}:{target.uid}:{target.modseq}"
            seen = _first_seen(db, marker)
            if _now() - seen < timedelta(seconds=EXPIRY_SECONDS):
                return Lost(None, seen)
            log.warning(
                "conversation %s: the sending marker seen since %s was never cleared; removing it",
                ref.id,
                seen.isoformat(timespec="seconds"),
            )
            server.store_if_unchanged((target.uid,), "-FLAGS", (SENDING,), target.modseq)
            continue
        _record_try(db, row, where)  # the run may stop between the STORE and its answer
        if server.store_if_unchanged((target.uid,), "+FLAGS", (SENDING,), target.modseq):
            _record(db, row, where)
            return None
        _record_try(db, row, None)
    raise SendRefused(
        f"not sent: conversation {ref.id} kept changing on the server while this reply tried to "
        "reserve it; it stays in the outbox and is tried again"
    )


# -- the state folder (no keywords, or no CONDSTORE) -----------------------------------------


def _intent(account: AccountConfig, agent: str, conversation_id: str, row: OutboxRow) -> bytes:
    msg = EmailMessage()
    msg["From"] = account.email
    msg["To"] = account.email
    msg["Subject"] = f"supportinbox sending {conversation_id}"
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = make_msgid(domain=account.email.rpartition("@")[2] or "supportinbox.invalid")
    msg[SENDING_HEADER] = conversation_id
    msg[AGENT_HEADER] = agent
    msg[REPLY_HEADER] = row.message_id
    msg.set_content("A reply to this conversation is being sent.\n")
    return msg.as_bytes()


@dataclass(frozen=True)
class _Intent:
    uid: int
    agent: str
    reply: str
    at: datetime | None


def _intents(imap: IMAPClient, conversation_id: str) -> list[_Intent]:
    uids = imap.search(["HEADER", SENDING_HEADER, conversation_id])
    if not uids:
        return []
    fields = f"{SENDING_HEADER} {AGENT_HEADER} {REPLY_HEADER}".upper()
    data = imap.fetch(uids, ["INTERNALDATE", f"BODY.PEEK[HEADER.FIELDS ({fields})]"])
    found = []
    for uid, item in sorted(data.items()):
        key = next((k for k in item if bytes(k).startswith(b"BODY[HEADER")), None)
        headers = BytesHeaderParser(policy=compat32).parsebytes(bytes(item.get(key) or b""))
        if str(headers.get(SENDING_HEADER, "")).strip() != conversation_id:
            continue  # the search matched a substring
        arrived = item.get(b"INTERNALDATE")
        # imapclient gives local times without a zone (normalise_times): astimezone reads them so.
        when = arrived.astimezone(UTC) if isinstance(arrived, datetime) else None
        agent = one_line(decode_header_value(headers.get(AGENT_HEADER)), limit=64)
        found.append(_Intent(int(uid), agent, str(headers.get(REPLY_HEADER, "")).strip(), when))
    return found


def _delete(imap: IMAPClient, uids: list[int]) -> None:
    if not uids:
        return
    imap.add_flags(uids, [b"\\Deleted"], silent=True)
    if b"UIDPLUS" in imap.capabilities():
        imap.uid_expunge(uids)


def acquire_folder(
    imap: IMAPClient, db: Database, account: AccountConfig, ref: ConversationRef, row: OutboxRow
) -> Lost | None:
    """Append an intent and see whose came first; a :class:`Lost` when another client's did."""
    folder = own_folder(imap, STATE_FOLDER)
    if not imap.folder_exists(folder):
        try:
            imap.create_folder(folder)
        except IMAPClientError:
            if not imap.folder_exists(folder):
                raise  # not a teammate creating it at the same moment
    mine = held_lock(db, row)
    imap.select_folder(folder)
    ours = [i for i in _intents(imap, ref.id) if i.reply == row.message_id]
    if not (mine and mine.get("mode") == "folder" and ours):
        imap.append(folder, _intent(account, account.agent, ref.id, row), flags=[b"\\Seen"])
        # A fresh view: every intent with a lower UID than ours was committed before ours,
        # but a selected folder's view only shows it after a resync.
        imap.select_folder(folder)
    intents = _intents(imap, ref.id)
    expired = _now() - timedelta(seconds=EXPIRY_SECONDS)
    stale = [i.uid for i in intents if i.at is not None and i.at < expired and i.reply != row.message_id]
    if stale:
        log.warning("conversation %s: removing %d sending intent(s) never cleared", ref.id, len(stale))
        _delete(imap, stale)
    live = [i for i in intents if i.uid not in stale]
    own = [i.uid for i in live if i.reply == row.message_id]
    log.debug("conversation %s: intents %s, ours %s", ref.id, [(i.uid, i.agent) for i in live], own)
    if not own:
        raise SendRefused(
            f"not sent: the reservation of conversation {ref.id} did not show in {folder!r}; "
            "it stays in the outbox and is tried again"
        )
    if live[0].reply == row.message_id:
        _delete(imap, own[1:])  # a retry's extra intent
        _record(db, row, {"mode": "folder", "uid": own[0]})
        return None
    _delete(imap, own)
    winner = live[0]
    return Lost(winner.agent or None, winner.at)


# -- after the send ---------------------------------------------------------------------------


def release(
    db: Database, account: AccountConfig, row: OutboxRow, imap: Callable[[], IMAPClient], delivered: bool
) -> None:
    """Remove the marker this reply won (after it was sent and filed, or when it was not sent)."""
    del delivered  # either way the customer's state is on the server now (\\Answered, Sent) or unchanged
    lock = held_lock(db, row)
    if lock is None:
        _record_try(db, row, None)
        return
    client = imap()
    if lock.get("mode") == "keyword":
        folder = str(lock.get("folder") or account.inbox_folder)
        info = client.select_folder(folder)
        if info.get(b"UIDVALIDITY") == lock.get("uidvalidity"):
            client.remove_flags([int(lock["uid"])], [SENDING], silent=True)
    elif lock.get("mode") == "folder" and client.folder_exists(folder := own_folder(client, STATE_FOLDER)):
        client.select_folder(folder)
        _delete(client, [int(lock["uid"])])
    _forget(db, row)
