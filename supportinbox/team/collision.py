"""Collision check: right before a reply goes to SMTP, ask the server whether a teammate
got there first.

With a fresh SELECT of the inbox and FETCH of the conversation's flags, and a search of
Sent for replies to the conversation, the reply is held (:class:`Held`, it stays in the
outbox, naming the teammate) when a teammate

- holds the conversation (a claim that is not ours),
- closed it (last writer not us),
- answered it: a customer message is ``\\Answered`` on the server but not in our cache,
  or Sent holds a reply to the conversation that is not ours and that our cache did not
  hold when this reply was queued (then the writer was asked about a second reply). A
  reply synced during the undo window is one the writer never saw, however close in time.

Before those reads the reply must win the atomic step of :mod:`supportinbox.team.sending`
(two teammates pressing send at the same instant would both pass the reads): the loser is
held, naming the winner, and a teammate whose send ended just before shows in the reads.

``supportinbox team send-anyway ID`` (with :func:`send_anyway_checks`) sends regardless.
If the IMAP server cannot be asked, the reply is not sent blind (that could answer the
customer twice): the refusal is ``temporary``, so a later sync, or the open app, asks again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import TYPE_CHECKING, Any

from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.replies import split_msgids
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import parse_time, said_now, stamp
from supportinbox.errors import Held, NotFound, SendRefused, UserError
from supportinbox.mail import outbox
from supportinbox.mail.imap import NETWORK_ERRORS, connect, discover_folders, logout
from supportinbox.mail.parse import decode_header_value
from supportinbox.store import acknowledgements
from supportinbox.team import sending
from supportinbox.team.keywords import MessageFlags, Resolution
from supportinbox.team.server import MODE_RECHECK_SECONDS, KeywordServer, TeamServer, open_team_server
from supportinbox.team.share import push_state_on
from supportinbox.team.store import ConversationRef, answered_message_ref, cached_flags, conversation_ref

if TYPE_CHECKING:
    from collections.abc import Callable

    from imapclient import IMAPClient

    from supportinbox.store.db import Database
    from supportinbox.store.outbox import OutboxRow

log = logging.getLogger(__name__)

MAX_REFERENCED_IDS = 10
# How long a client that lost the race looks in Sent for the winner's reply, to name them.
NAME_WAIT_SECONDS = 5.0
# A marker this reply may have set itself before its run stopped is its own when it stays
# unchanged this many of the account's timeouts: a teammate's send would have ended.
SETTLE_SECONDS_PER_TIMEOUT = 2


# Who holds a reply whose conversation left the mailbox: nobody; the outbox says why instead.
MAIL_GONE = "mail gone"


def _held(who: str, reason: str) -> Held:
    """A reply held because of ``who``, in words: the reason only.

    The reply stays in the outbox; each interface says how to send it anyway (the command
    line names its command, the app its key), so no advice is built in here. The reason
    is kept with the reply, its moment as a stamp said in the reader's clock when shown.
    """
    return Held(said_now(reason), by=who, reason=reason)


def _when(text: str | None) -> str:
    moment = stamp(text)
    return f" at {moment}" if moment else ""


@dataclass(frozen=True)
class _Fresh:
    """The conversation as the server has it right now."""

    state: Resolution
    flags: dict[int, tuple[str, ...]]
    messages: list[MessageFlags]
    server: TeamServer
    inbox: str


def _server_state(imap: IMAPClient, db: Database, account: AccountConfig, ref: ConversationRef) -> _Fresh:
    """The conversation's state and flags as the server has them right now."""
    inbox = ref.inbox_folder or account.inbox_folder
    server = open_team_server(imap, db, account, inbox, recheck_after=MODE_RECHECK_SECONDS)
    state, messages = server.read_flags(ref)
    return _Fresh(state, {m.uid: m.flags for m in messages}, messages, server, inbox)


def _answered_unseen(db: Database, ref: ConversationRef, flags: dict[int, tuple[str, ...]]) -> bool:
    cached = {m.uid: m.flags for m in cached_flags(db.conn, ref.id)}
    return any("\\Answered" in f and "\\Answered" not in cached.get(uid, ()) for uid, f in flags.items())


def _teammate_replies(
    imap: IMAPClient, db: Database, account: AccountConfig, ref: ConversationRef, row: OutboxRow
) -> list[tuple[str, str | None]]:
    """(who, when) of replies in Sent to the conversation by someone else, not seen here."""
    sent = discover_folders(imap, account).sent
    # Only ids our replies can carry (replies.valid_msgid): a customer's id with a bidi override
    # or another character outside ASCII is in no reply's References, and IMAP SEARCH without
    # a CHARSET cannot even be sent with it.
    ids = [m.strip("<>") for m in split_msgids(ref.message_ids)[-MAX_REFERENCED_IDS:]]
    if sent is None or not ids:
        return []
    # OR (term1) (OR (term2) (...)): any message that answers or references one of ours.
    terms: list[list[Any]] = [
        ["OR", "HEADER", "In-Reply-To", mid, "HEADER", "References", mid] for mid in ids
    ]
    criteria = terms[-1]
    for term in reversed(terms[:-1]):
        criteria = ["OR", term, criteria]
    validity = imap.select_folder(sent, readonly=True).get(b"UIDVALIDITY")
    uids = imap.search(criteria)
    if not uids:
        return []
    fetched = imap.fetch(
        uids, ["INTERNALDATE", f"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID AUTO-SUBMITTED {AGENT_HEADER.upper()})]"]
    )
    # A teammate's automatic acknowledgement answers nothing: it holds back only another
    # acknowledgement, never a person's reply.
    counts_acks = acknowledgements.is_acknowledgement(db.conn, row.id)
    ours = {str(r[0]) for r in db.conn.execute("SELECT message_id FROM outbox")}
    synced = db.conn.execute(
        "SELECT 1 FROM folders WHERE name = ? AND last_sync IS NOT NULL", (sent,)
    ).fetchone()
    started = parse_time(row.created_at) or datetime.now(UTC)
    # Sent as the cache held it whole when the reply was queued: what was there then was asked
    # about ("Send a second reply?"), what came later never was, however close in time.
    held_then = (
        row.sent_uidnext if row.sent_uidnext is not None and row.sent_uidvalidity == validity else None
    )
    found = []
    for uid, data in sorted(fetched.items()):
        header_key = next((k for k in data if k.startswith(b"BODY[HEADER")), None)
        headers = BytesHeaderParser(policy=compat32).parsebytes(bytes(data.get(header_key) or b""))
        message_id = str(headers.get("Message-ID", "")).strip()
        if message_id in ours or message_id == row.message_id:
            continue
        if not counts_acks and str(headers.get("Auto-Submitted", "no")).strip().lower() != "no":
            continue
        arrived = data.get(b"INTERNALDATE")
        # imapclient gives local times without a zone (normalise_times): astimezone reads them so.
        when = arrived.astimezone(UTC) if isinstance(arrived, datetime) else None
        if held_then is not None:
            if int(uid) < held_then:
                continue
        else:
            # Queued before Sent was synced through (or before its UIDs were kept): by time,
            # in whole seconds; a reply filed in the second this one was queued, and synced
            # here since, is taken as one the agent saw.
            is_new = when is not None and when > started
            known = db.conn.execute("SELECT 1 FROM messages WHERE message_id = ?", (message_id,)).fetchone()
            if known and not is_new:
                continue
            if not is_new and not synced:
                continue
        # Replies written here carry their agent (X-Supportinbox-Agent); others stay anonymous.
        who = one_line(decode_header_value(headers.get(AGENT_HEADER)), limit=64) or "a teammate"
        found.append((who, when.isoformat(timespec="seconds") if when else None))
    return found


def _conversation_of(db: Database, row: OutboxRow, conversation_id: str) -> ConversationRef | None:
    """The conversation the reply answers, as the cache holds it now.

    Its id may have changed since the reply was queued (a re-threading, a merge a teammate
    made): the message it answers says where it is now. A reply whose conversation is gone
    altogether is held, never sent unchecked; other mail (a forward) has nobody to collide with.
    """
    try:
        return conversation_ref(db.conn, conversation_id)
    except NotFound:
        pass
    answers = _in_reply_to(row.raw)
    ref = answered_message_ref(db.conn, conversation_id, row.reply_to_folder, row.reply_to_uid, answers)
    if ref is not None:
        return ref
    if row.reply_to_uid is None and not answers:
        return None
    raise _held(
        MAIL_GONE,
        f"conversation {conversation_id} is no longer in the mailbox as last synced (its "
        "messages were moved or deleted), so whether a teammate answered cannot be checked",
    )


def _in_reply_to(raw: bytes) -> str | None:
    value = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True).get("In-Reply-To")
    return (str(value).strip() or None) if value else None


def collision_check(db: Database, account_name: str, account: AccountConfig, row: OutboxRow) -> None:
    """Hold the reply (:class:`Held`) if a teammate claimed, closed or answered it.

    When the server cannot be asked, the refusal is ``temporary``: a later sync asks again.
    """
    if not row.conversation_id:
        return
    ref = _conversation_of(db, row, row.conversation_id)
    if ref is None:
        return
    try:
        imap = connect(account_name, account)
    except UserError as exc:
        raise SendRefused(
            f"the server could not be asked whether a teammate answered first: {exc.message}",
            temporary=exc.temporary,
        ) from None
    me = account.agent
    try:
        # Reserve first, then look: a teammate whose send finished just before the
        # reservation is then seen (its reply in Sent, \Answered), and none can start after.
        _reserve(imap, db, account, ref, row, _server_state(imap, db, account, ref))
        fresh = _server_state(imap, db, account, ref)
        state, flags = fresh.state, fresh.flags
        holder = state.state.assigned_to
        if holder and holder != me:
            # No time: the server keeps when the status was set, not when the claim was made.
            raise _held(holder, f"{holder} claimed conversation {ref.id}")
        if state.state.status == "closed" and state.last_writer not in (None, me):
            writer = state.last_writer or "a teammate"
            raise _held(writer, f"{writer} closed conversation {ref.id}{_when(state.written_at)}")
        replies = _teammate_replies(imap, db, account, ref, row)
        if replies:
            who, when = replies[-1]
            raise _held(who, f"{who} already replied to conversation {ref.id}{_when(when)} (found in Sent)")
        if _answered_unseen(db, ref, flags):
            other = state.last_writer if state.last_writer not in (None, me) else None
            by = f", last team change by {other}" if other else ""
            raise _held(
                other or "a teammate",
                f"conversation {ref.id} was answered meanwhile (flagged answered on the server{by})",
            )
    except (*NETWORK_ERRORS, IMAPClientError) as exc:
        raise SendRefused(
            f"the server broke off the check for a teammate's reply ({one_line(str(exc), limit=120)})",
            temporary=True,
        ) from None
    finally:
        logout(imap)


def _reserve(
    imap: IMAPClient,
    db: Database,
    account: AccountConfig,
    ref: ConversationRef,
    row: OutboxRow,
    fresh: _Fresh,
) -> None:
    """The atomic step before SMTP (see :mod:`supportinbox.team.sending`): win it or hold the reply."""
    if isinstance(fresh.server, KeywordServer) and fresh.server.condstore:
        info = imap.select_folder(fresh.inbox)  # read-write: the marker is written there
        validity = int(info.get(b"UIDVALIDITY", 0))
        lost = sending.acquire_keyword(
            fresh.server,
            db,
            ref,
            row,
            validity,
            fresh.messages,
            settle_seconds=SETTLE_SECONDS_PER_TIMEOUT * account.timeout,
        )
    else:
        lost = sending.acquire_folder(imap, db, account, ref, row)
    if lost is None:
        return
    # Whoever holds the reservation may still be held back by its own checks; the reply
    # that reaches Sent within moments names who really answered.
    deadline = time.monotonic() + NAME_WAIT_SECONDS
    while True:
        replies = _teammate_replies(imap, db, account, ref, row)
        if replies:
            who, when = replies[-1]
            raise _held(
                who,
                f"{who} replied to conversation {ref.id}{_when(when)} while this reply was being sent "
                "(found in Sent)",
            )
        if time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    who, when = lost.agent or "a teammate", lost.since.isoformat(timespec="seconds") if lost.since else None
    if when:
        raise _held(who, f"{who} started sending a reply to conversation {ref.id}{_when(when)}")
    raise _held(who, f"{who} is sending a reply to conversation {ref.id} right now")


def share_status(
    db: Database, account: AccountConfig, conversation_id: str, imap: Callable[[], IMAPClient]
) -> None:
    """Share the status a reply's template set ("then open", "then closed") as soon as it went
    out: teammates who saw the reply (in Sent, \\Answered) before it would take the
    conversation for pending, and be told it left their Open view, until our next sync."""
    push_state_on(imap(), db, account, conversation_id)


def send_checks() -> outbox.SendChecks:
    """What every send runs: this check (and the atomic send step), the status its template
    set shared before the reply is filed, then the release of its marker. The one list; the
    send use case (:mod:`supportinbox.app.outbox`) takes it from here."""
    return outbox.SendChecks(before=(collision_check,), after=(sending.release,), delivered=(share_status,))


def send_anyway_checks() -> outbox.SendChecks:
    """:func:`send_checks` without this one: what the user's "send anyway" (``--force``) sends
    with. The marker release still runs."""
    every = send_checks()
    return replace(every, before=tuple(c for c in every.before if c is not collision_check))
