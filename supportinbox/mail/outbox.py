"""Sending replies from the durable outbox: never lost, never sent twice.

A reply is written to the ``outbox`` table (status ``queued``) before the first SMTP byte.
:func:`send_due` then, for each reply that is due:

1. runs the pre-send checks the caller passed (:class:`SendChecks`; one may hold a reply back),
2. marks it ``sending`` and counts the attempt (committed),
3. hands it to SMTP and records ``smtp_done_at`` the moment the server accepted it,
4. applies the template's status to the conversation (and runs the caller's ``delivered``
   steps: the team learns that status before it sees the reply),
5. files a copy in Sent, flags the customer's message ``\\Answered`` on the server,
6. marks it ``sent``.

A failure before the server accepted the reply leaves it ``failed`` with the reason. If the
failure may pass by itself (the server unreachable or timing out, an SMTP 4xx answer, the
teammate check unable to reach the IMAP server), a later sync tries again from
``next_attempt_at``, waiting longer after each consecutive failure (:data:`RETRY_DELAYS`);
otherwise (an SMTP 5xx, a refused login, a TLS problem) it waits for the user
(``supportinbox outbox retry``). A reply a teammate got to first (a pre-send check raised
:class:`Held`) is ``held``, naming them, until the user sends it anyway or drops it.
When the whole reply went out but the server's answer was lost, it may have been
delivered: it stays ``failed`` but is only sent again when the user names it
(``outbox retry ID``), never by a plain retry. A failure after that leaves it ``sending`` with
``smtp_done_at`` set: the next run finishes the bookkeeping and never calls SMTP again. A
reply found in ``sending`` without ``smtp_done_at`` (the process died mid-send) is only
sent again after the Sent folder was searched for its Message-ID and it was not there.

Only one process sends from an account at a time (an advisory lock in the state folder),
so a reply another process is sending right now is never taken for an interrupted one.

No client can know whether a message went out when it dies between handing it over and
recording the server's answer (RFC 1047). So just before the message's first byte the
reply is marked as handed over (committed); a reply found in ``sending`` with that mark
and not in Sent becomes "maybe delivered": never sent twice by itself, never lost, the
user decides (``tests/reliability/test_every_step.py`` kills a send at every step).

Crash points for the reliability tests (:mod:`supportinbox.faults`): ``outbox.after_claim``,
``outbox.after_smtp``, ``outbox.after_smtp_done``, ``outbox.after_append``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from imapclient.exceptions import IMAPClientError

from supportinbox import paths
from supportinbox.config import AccountConfig
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import said_now, when_words
from supportinbox.errors import Held, NotFound, SendRefused, UserError
from supportinbox.faults import crash_point
from supportinbox.locking import open_lock, wait_for_flock
from supportinbox.mail import smtp
from supportinbox.mail.edits import restore_abandoned
from supportinbox.mail.imap import (
    NETWORK_ERRORS,
    connect,
    discover_folders,
    files_sent_mail_itself,
    leave_read_only,
    logout,
)
from supportinbox.store import acknowledgements, after_send, scheduled
from supportinbox.store import outbox as store
from supportinbox.store.conversations import set_status
from supportinbox.store.messages import change_flags
from supportinbox.store.outbox import CLAIMABLE, OutboxRow, OutboxStatus

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from supportinbox.store.db import Database

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 30.0
# last_error of a sent reply that some (not all) recipients refused.
REFUSED_NOTE = "server refused recipient"
# last_error of a reply whose delivery is unknown: the server's answer to the message was lost.
UNCERTAIN_NOTE = "maybe delivered: "
# Why a reply was not sent: it is open in an editor.
EDITING_NOTE = "it is open in an editor: it leaves when the edit is saved or given up"
# Why, for a process that stopped between handing the message over and recording the answer.
HANDED_OVER = "the whole reply went to the SMTP server, but its answer was never recorded"


class PreSendCheck(Protocol):
    """Called just before a reply goes to SMTP; raise :class:`SendRefused` to stop it.

    :class:`Held` (a teammate got there first) marks it ``held``; any other refusal marks it
    ``failed``, tried again later when the refusal is ``temporary``.
    """

    def __call__(self, db: Database, account_name: str, account: AccountConfig, row: OutboxRow) -> None: ...


# How long a reply that failed for a passing reason waits before a sync tries it again,
# after its 1st, 2nd, ... consecutive failure; hourly from then on.
RETRY_DELAYS: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in (1, 2, 5, 10, 30, 60))


def retry_delay(failures: int) -> timedelta:
    """The wait after the ``failures``-th consecutive failure (1 or more)."""
    return RETRY_DELAYS[min(max(failures, 1), len(RETRY_DELAYS)) - 1]


class AfterSend(Protocol):
    """Called when a reply's attempt is over: ``delivered`` when it was sent and filed, else
    it was not sent (held, cancelled, refused before SMTP). Not called while its delivery is
    uncertain or its bookkeeping unfinished. ``imap`` gives the run's IMAP connection."""

    def __call__(
        self,
        db: Database,
        account: AccountConfig,
        row: OutboxRow,
        imap: Callable[[], IMAPClient],
        delivered: bool,
    ) -> None: ...


class Delivered(Protocol):
    """Called once SMTP accepted a reply and its template's status was applied here, before
    it is filed in Sent and its customer message flagged ``\\Answered``: what teammates
    should know before they see the reply (e.g. the status, shared on the server).
    ``imap`` gives the run's IMAP connection; a server error is logged, the send goes on."""

    def __call__(
        self, db: Database, account: AccountConfig, conversation_id: str, imap: Callable[[], IMAPClient]
    ) -> None: ...


@dataclass(frozen=True)
class SendChecks:
    """What a send runs around SMTP, passed by the caller of :func:`send_due` (a required
    argument, not a list filled by importing a module): a send without them cannot be written.

    ``before`` run in order just before a reply goes to SMTP (e.g. "a teammate already
    answered this conversation"); ``delivered`` once it went out, before it is filed (e.g.
    share the status its template set); ``after`` run when its attempt is over (e.g. clear
    the "sending" marker a check set).
    """

    before: tuple[PreSendCheck, ...]
    after: tuple[AfterSend, ...]
    delivered: tuple[Delivered, ...] = ()


class SendStatus(StrEnum):
    """What happened to one reply in a run of :func:`send_due`."""

    SENT = "sent"
    FAILED = "failed"
    HELD = "held"  # a teammate got there first
    CANCELLED = "cancelled"
    UNFINISHED = "unfinished"  # accepted by SMTP; filing in Sent / flagging still to do
    UNCERTAIN = "uncertain"  # maybe delivered; sent again only on request
    DRAFT = "draft"  # scheduled, and the customer wrote again first: kept, sent only on request
    EDITING = "editing"  # opened in an editor before it left: it leaves once the edit is done
    # failed for good earlier, and another reply of ours went to the customer since: sent only on request
    SUPERSEDED = "superseded"

    @property
    def went_out(self) -> bool:
        """The reply reached the SMTP server (its bookkeeping may still be running)."""
        return self in (SendStatus.SENT, SendStatus.UNFINISHED)

    @property
    def kept(self) -> bool:
        """The reply did not go out and stays in the outbox (tried again, or waits for the user)."""
        return self in (SendStatus.FAILED, SendStatus.HELD, SendStatus.UNCERTAIN, SendStatus.SUPERSEDED)


@dataclass(frozen=True)
class Outcome:
    """What happened to one reply in this run."""

    outbox_id: int
    status: SendStatus
    message: str = ""
    smtp_used: bool = False
    # failed: when a sync tries again by itself (None: it waits for the user)
    retry_at: datetime | None = None
    # held: the teammate who got there first
    held_by: str | None = None
    # cancelled as it was held: the reply already held for the same conversation, which it
    # would only have joined (one held reply per customer, sent or dropped by the user)
    joined: int | None = None

    @property
    def filed_only(self) -> bool:
        """It went out in an earlier run; this one only filed it in Sent and flagged the
        customer's mail (nothing was sent again)."""
        return self.status.went_out and not self.smtp_used


@dataclass
class SendReport:
    """One :class:`Outcome` per reply handled by a :func:`send_due` run."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no reply handled in this run failed or was held back."""
        return not any(o.status.kept for o in self.outcomes)


def queue_reply(
    db: Database,
    msg: EmailMessage,
    conversation_id: str | None,
    reply_to_uid: int | None,
    reply_to_folder: str | None,
    template: str | None,
    after_status: str | None,
    not_before: datetime | None,
    *,
    send_at: datetime | None = None,
    guard: Callable[[], None] | None = None,
) -> int:
    """Write the reply to the outbox (committed) and return its id; nothing is sent yet.

    ``guard`` runs under the cache's write lock, just before the reply is written: what it
    checks still holds when the reply is in the outbox (another process can write none
    between them); it raises to keep the reply out.
    """
    from supportinbox.domain.replies import split_msgids, to_bytes, valid_address

    message_id = str(msg["Message-ID"] or "").strip()
    if not split_msgids(message_id):
        raise SendRefused("the reply has no valid Message-ID")
    recipients: list[str] = []
    for header in ("To", "Cc", "Bcc"):
        for address in getattr(msg[header], "addresses", ()) if msg[header] else ():
            addr = valid_address(address.addr_spec)
            if addr and addr.lower() not in {r.lower() for r in recipients}:
                recipients.append(addr)
    if not recipients:
        raise SendRefused("the reply has no valid recipient")
    if "Bcc" in msg:
        del msg["Bcc"]
    with db.transaction() as conn:
        if guard is not None:
            guard()
        return store.insert(
            conn,
            message_id=message_id,
            recipients=recipients,
            subject=one_line(str(msg["Subject"] or "")),
            raw=to_bytes(msg),
            conversation_id=conversation_id,
            reply_to_uid=reply_to_uid,
            reply_to_folder=reply_to_folder,
            template=template,
            after_status=after_status,
            not_before=not_before,
            send_at=send_at,
        )


def cancel(db: Database, outbox_id: int) -> bool:
    """Cancel a reply that has not started sending; False when it is too late (or done)."""
    with db.transaction() as conn:
        if store.get(conn, outbox_id) is None:
            raise NotFound(f"no reply #{outbox_id} in the outbox")
        return store.cancel(conn, outbox_id)


@contextlib.contextmanager
def _send_lock(account_name: str, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    fd = open_lock(
        paths.outbox_lock_file(account_name),
        "the outbox lock",
        aftermath="nothing was sent, what is queued stays in the outbox ('supportinbox outbox')",
    )
    try:
        if not wait_for_flock(fd, wait, interval=0.1):
            raise SendRefused(
                f"another supportinbox process has been sending from account {account_name!r} "
                f"for over {wait:.0f} s; the reply stays in the outbox ('supportinbox outbox')"
            )
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class _Server:
    """The IMAP side of the bookkeeping: one lazy connection for the whole run."""

    def __init__(self, account_name: str, account: AccountConfig, password: str | None) -> None:
        self.account_name = account_name
        self.account = account
        self.password = password
        self._imap: IMAPClient | None = None
        self._sent: str | None = None
        self._sent_known = False

    def imap(self) -> IMAPClient:
        if self._imap is None:
            self._imap = connect(self.account_name, self.account, password=self.password)
        return self._imap

    def sent_folder(self) -> str | None:
        if not self._sent_known:
            self._sent = discover_folders(self.imap(), self.account).sent
            self._sent_known = True
        return self._sent

    def find(self, folder: str, header: str, msgid: str) -> list[int]:
        """UIDs in ``folder`` whose ``header`` holds ``msgid``."""
        imap = self.imap()
        imap.select_folder(folder, readonly=True)
        # With its angle brackets the id cannot match a longer one as a substring.
        return [int(uid) for uid in imap.search(["HEADER", header, msgid])]

    def close(self) -> None:
        if self._imap is not None:
            logout(self._imap)
            self._imap = None


# What can go wrong talking to the IMAP server after a send: reported, retried later.
_SERVER_ERRORS: tuple[type[BaseException], ...] = (UserError, IMAPClientError, *NETWORK_ERRORS)


def _server_error(exc: BaseException, account: AccountConfig) -> str:
    if isinstance(exc, UserError):
        return exc.message
    text = one_line(str(exc), limit=200) or type(exc).__name__
    return f"IMAP server {account.imap_host}:{account.imap_port}: {text}"


def send_due(
    db: Database,
    account_name: str,
    account: AccountConfig,
    *,
    checks: SendChecks,
    force: bool = False,
    ids: Collection[int] | None = None,
    password: str | None = None,
    now: datetime | None = None,
    held: bool = False,
    superseded: Callable[[OutboxRow], str | None] | None = None,
    held_beside: Callable[[OutboxRow], OutboxRow | None] | None = None,
    anyway_checks: SendChecks | None = None,
) -> SendReport:
    """Send every due reply (``ids`` only, when given) and finish interrupted ones.

    ``superseded`` says, of a reply that failed for good, why sending it now would answer the
    customer twice (another reply went since), or None: such a one is kept (outcome
    ``superseded``) unless named in ``ids``.

    ``held_beside`` names, of a reply about to be held for a teammate, another reply to the
    same customer held already: this one is cancelled instead (outcome ``cancelled`` with
    ``joined``). Under the outbox lock, so of two replies queued at once (the same command
    run twice, each before the other was held) exactly one waits for the user.

    ``checks`` run around every send (the send use case, :mod:`supportinbox.app.outbox`,
    takes them from :func:`supportinbox.team.collision.send_checks`); ``anyway_checks``, when
    given, run instead for a reply the user chose to send anyway (``send_anyway``). ``force`` sends queued
    replies before their undo window ends (a scheduled one before its time only when named
    in ``ids``) and retries failed ones before their retry time; ``held`` also takes held
    and draft ones (with ``ids``: the user named them). First, every scheduled reply the
    customer overtook becomes a draft (outcome ``draft``).
    """
    report = SendReport()
    moment = now or datetime.now(UTC)
    with _send_lock(account_name):
        # An edit whose process died leaves the reply as it was, on its schedule again.
        for outbox_id in restore_abandoned(db, account_name):
            log.info(
                "reply #%s: an edit was left open by a process that ended; back on its schedule", outbox_id
            )
        # Before anything leaves: a scheduled reply the customer overtook stays here.
        for kept in scheduled.keep_overtaken(db, moment):
            report.outcomes.append(Outcome(kept.outbox_id, SendStatus.DRAFT, kept.reason))
        rows = store.due(db.conn, moment, include_failed=force, ignore_delay=force, include_held=held)
        if ids is not None:
            rows = [r for r in rows if r.id in ids]
        else:
            # ``force`` hurries an undo window, never a time the user chose (unless named).
            stamp = moment.isoformat(timespec="seconds")
            rows = [r for r in rows if not (r.scheduled and (r.not_before or "") > stamp)]
        server = _Server(account_name, account, password)
        try:
            for row in rows:
                if ids is None and maybe_delivered(row):
                    # Sending it again is the user's call: the customer may already have it.
                    reason = (row.last_error or "").removeprefix(UNCERTAIN_NOTE)
                    report.outcomes.append(
                        Outcome(row.id, SendStatus.UNCERTAIN, _uncertain_advice(row.id, reason))
                    )
                    continue
                if ids is None and superseded is not None and row.status == OutboxStatus.FAILED:
                    since = superseded(row) if not row.next_attempt_at else None
                    if since is not None:
                        report.outcomes.append(
                            Outcome(row.id, SendStatus.SUPERSEDED, _superseded_advice(row.id, since))
                        )
                        continue
                chosen = anyway_checks if anyway_checks is not None and row.send_anyway else checks
                report.outcomes.append(_process(db, server, row, chosen, moment, held_beside))
        finally:
            server.close()
    return report


def _not_sent(
    db: Database,
    row: OutboxRow,
    exc: UserError,
    now: datetime,
    held_beside: Callable[[OutboxRow], OutboxRow | None] | None = None,
) -> Outcome:
    """Record why the reply did not go out: held for a teammate (cancelled instead beside a
    reply held already, see :func:`send_due`), or failed (retried later if the reason may pass)."""
    if isinstance(exc, Held) and acknowledgements.is_acknowledgement(db.conn, row.id):
        # A teammate's client acknowledged (or answered) first: one is enough, and an
        # acknowledgement never waits for the user.
        return _drop(db, row, exc.reason)
    if isinstance(exc, Held):
        with db.transaction() as conn:
            first = held_beside(row) if held_beside is not None else None
            if first is not None:
                store.cancel(conn, row.id)
                why = f"reply #{first.id} to this conversation is already held in the outbox"
                store.note_error(conn, row.id, why)
                said = f"{why} ({said_now(exc.reason)})"
                return Outcome(row.id, SendStatus.CANCELLED, said, held_by=exc.by, joined=first.id)
            store.mark_held(conn, row.id, exc.by, exc.reason)
        return Outcome(row.id, SendStatus.HELD, said_now(exc.reason), held_by=exc.by)
    retry_at = now + retry_delay(row.failures + 1) if exc.temporary else None
    with db.transaction() as conn:
        store.mark_failed(conn, row.id, exc.message, retry_at=retry_at)
    return Outcome(row.id, SendStatus.FAILED, exc.message, retry_at=retry_at)


def _drop(db: Database, row: OutboxRow, reason: str) -> Outcome:
    """An automatic acknowledgement that must not leave any more: cancelled, saying why."""
    with db.transaction() as conn:
        store.cancel(conn, row.id)
        store.note_error(conn, row.id, reason)
    log.info("acknowledgement #%s not sent: %s", row.id, reason)
    return Outcome(row.id, SendStatus.CANCELLED, f"acknowledgement not sent: {said_now(reason)}")


def _process(
    db: Database,
    server: _Server,
    row: OutboxRow,
    checks: SendChecks,
    now: datetime,
    held_beside: Callable[[OutboxRow], OutboxRow | None] | None,
) -> Outcome:
    account = server.account
    smtp_used = False
    if row.smtp_done_at is None:
        if row.status == OutboxStatus.SENDING:
            verdict = _check_interrupted(db, server, row)
            if verdict is not None:
                return verdict
            row = store.get(db.conn, row.id) or row
        if row.smtp_done_at is None:
            if row.status != OutboxStatus.SENDING and acknowledgements.is_acknowledgement(db.conn, row.id):
                why = acknowledgements.overtaken(
                    db.conn, row.id, row.conversation_id, queued_at=row.created_at, now=now
                )
                if why:
                    return _drop(db, row, why)
            try:
                for check in checks.before:
                    check(db, server.account_name, account, row)
            except SendRefused as exc:
                outcome = _not_sent(db, row, exc, now, held_beside)
                _after_send(db, server, checks, row, delivered=False)
                return outcome
            with db.transaction() as conn:
                claimed = store.claim(conn, row.id, from_statuses=(*CLAIMABLE, OutboxStatus.SENDING))
            if not claimed:
                _after_send(db, server, checks, row, delivered=False)
                now_row = store.get(db.conn, row.id)
                if now_row is not None and now_row.status == OutboxStatus.EDITING:
                    # Opened in an editor while the checks ran: the edit decides what leaves.
                    return Outcome(row.id, SendStatus.EDITING, EDITING_NOTE)
                return Outcome(row.id, SendStatus.CANCELLED, "cancelled before it was sent")
            crash_point("outbox.after_claim")

            def handing_over(outbox_id: int = row.id) -> None:
                # Committed before the first byte of the message: a process that dies from
                # here until the server's answer is recorded leaves a reply that may have
                # been delivered (RFC 1047), which is never resent without being asked to.
                with db.transaction() as conn:
                    store.note_error(conn, outbox_id, UNCERTAIN_NOTE + HANDED_OVER)

            try:
                refused = smtp.send(
                    server.account_name,
                    account,
                    row.raw,
                    account.email,
                    row.recipients,
                    password=server.password,
                    before_data=handing_over,
                )
            except smtp.DeliveryUncertain as exc:
                with db.transaction() as conn:
                    store.mark_failed(conn, row.id, UNCERTAIN_NOTE + exc.message)
                return Outcome(row.id, SendStatus.UNCERTAIN, _uncertain_advice(row.id, exc.message))
            except UserError as exc:
                outcome = _not_sent(db, row, exc, now, held_beside)
                _after_send(db, server, checks, row, delivered=False)
                return outcome
            crash_point("outbox.after_smtp")
            note = "; ".join(f"{REFUSED_NOTE} {k}: {v}" for k, v in refused.items()) or None
            with db.transaction() as conn:
                store.mark_smtp_done(conn, row.id, note)
            crash_point("outbox.after_smtp_done")
            smtp_used = True
            row = store.get(db.conn, row.id) or row
    changed = _apply_status(db, account, row)
    if changed is not None:
        _delivered(db, server, checks, row, changed)
    problem = _bookkeeping(db, server, row)
    if problem:
        with db.transaction() as conn:
            store.note_error(conn, row.id, problem)
        return Outcome(row.id, SendStatus.UNFINISHED, problem, smtp_used)
    with db.transaction() as conn:
        store.mark_sent(conn, row.id, row.last_error if _is_refusal_note(row.last_error) else None)
    _after_send(db, server, checks, row, delivered=True)
    return Outcome(row.id, SendStatus.SENT, "", smtp_used)


def _after_send(
    db: Database, server: _Server, checks: SendChecks, row: OutboxRow, *, delivered: bool
) -> None:
    for hook in checks.after:
        try:
            hook(db, server.account, row, server.imap, delivered)
        except _SERVER_ERRORS as exc:
            # The reply's fate is settled; what a hook left undone expires on the server.
            log.warning("reply #%s: after-send step failed: %s", row.id, _server_error(exc, server.account))


def _delivered(db: Database, server: _Server, checks: SendChecks, row: OutboxRow, conversation: str) -> None:
    for hook in checks.delivered:
        try:
            hook(db, server.account, conversation, server.imap)
        except _SERVER_ERRORS as exc:
            # The reply went out; what the hook shares now goes with the next sync instead.
            why = _server_error(exc, server.account)
            log.warning("reply #%s: step after sending failed: %s", row.id, why)


def _is_refusal_note(text: str | None) -> bool:
    return bool(text and text.startswith(REFUSED_NOTE))


def maybe_delivered(row: OutboxRow) -> bool:
    """A failed reply whose delivery is unknown (the server's answer to it was lost)."""
    return row.status == OutboxStatus.FAILED and bool(
        row.last_error and row.last_error.startswith(UNCERTAIN_NOTE)
    )


def _uncertain_advice(outbox_id: int, reason: str) -> str:
    return (
        f"{reason}; not sent again automatically: 'supportinbox outbox retry {outbox_id}' sends it "
        f"again, 'supportinbox outbox discard {outbox_id}' drops it"
    )


def _superseded_advice(outbox_id: int, since: str) -> str:
    return (
        f"{since}; not sent again automatically: 'supportinbox outbox retry {outbox_id}' sends it "
        f"all the same, 'supportinbox outbox discard {outbox_id}' drops it"
    )


def _check_interrupted(db: Database, server: _Server, row: OutboxRow) -> Outcome | None:
    """A reply left mid-send: look for it in Sent before sending it again.

    One that had been handed to the SMTP server may have been delivered: unless Sent shows
    that it was, it becomes "maybe delivered", sent again only when the user names it.
    """
    handed_over = bool(row.last_error and row.last_error.startswith(UNCERTAIN_NOTE))
    try:
        sent = server.sent_folder()
        found = bool(sent and server.find(sent, "Message-ID", row.message_id))
    except _SERVER_ERRORS as exc:
        if handed_over:
            return _uncertain(db, row)
        problem = (
            f"interrupted while sending, and the Sent folder could not be checked "
            f"({_server_error(exc, server.account)}); not sending it again until it can be"
        )
        with db.transaction() as conn:
            store.note_error(conn, row.id, problem)
        return Outcome(row.id, SendStatus.FAILED, problem)
    if found:
        log.info("reply #%s was found in Sent after an interrupted send: not sending it again", row.id)
        with db.transaction() as conn:
            store.mark_smtp_done(conn, row.id, "found in Sent after an interrupted send")
            store.mark_filed(conn, row.id)
        return None
    if handed_over:
        return _uncertain(db, row)
    if sent is None:
        problem = (
            "interrupted while sending, and there is no Sent folder to tell whether it went out: "
            f"if the customer did not get it, 'supportinbox outbox retry' sends it again, "
            f"else 'supportinbox outbox discard {row.id}'"
        )
        with db.transaction() as conn:
            store.mark_failed(conn, row.id, problem)
        return Outcome(row.id, SendStatus.FAILED, problem)
    return None


def _uncertain(db: Database, row: OutboxRow) -> Outcome:
    reason = f"interrupted while sending: {HANDED_OVER}"
    with db.transaction() as conn:
        store.mark_failed(conn, row.id, UNCERTAIN_NOTE + reason)
    return Outcome(row.id, SendStatus.UNCERTAIN, _uncertain_advice(row.id, reason))


def _parent_id(row: OutboxRow) -> str | None:
    """The Message-ID the reply answers (its In-Reply-To)."""
    # Building replies (templates, Jinja2) loads only when one is queued or sent, not by
    # every sync that finds the outbox empty.
    from supportinbox.domain.replies import split_msgids

    parsed = message_from_bytes(row.raw, policy=policy.default)
    parents = split_msgids(str(parsed["In-Reply-To"] or ""))
    return parents[0] if parents else None


def _apply_status(db: Database, account: AccountConfig, row: OutboxRow) -> str | None:
    """The template's status, follow-up and tags, applied once (cleared, even if they could not be);
    the conversation they were applied to (None: nothing to apply).

    The conversation is looked up again through the answered message: a sync in between
    may have given the thread another id (it gained an older root).
    """
    more = after_send.pending(db, row.id)
    if not (row.after_status or more) or not row.conversation_id:
        return None
    conversation = row.conversation_id
    parent = _parent_id(row)
    if parent:
        found = db.conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = ? AND conversation_id IS NOT NULL "
            "LIMIT 1",
            (parent,),
        ).fetchone()
        conversation = str(found[0]) if found else conversation
    if row.after_status:
        try:
            set_status(db, conversation, row.after_status, agent=account.agent)
        except UserError as exc:
            # The reply went out; a status that cannot be set must not hold up the rest.
            log.warning("reply #%s: status %r not applied: %s", row.id, row.after_status, exc.message)
        with db.transaction() as conn:
            conn.execute("UPDATE outbox SET after_status = NULL WHERE id = ?", (row.id,))
    if more:
        try:
            after_send.apply(db, row.id, conversation, agent=account.agent)
        except UserError as exc:
            log.warning("reply #%s: template follow-up or tags not set: %s", row.id, exc.message)
    return conversation


def _bookkeeping(db: Database, server: _Server, row: OutboxRow) -> str | None:
    """File in Sent and flag the original \\Answered; the reason it is unfinished, or None."""
    from supportinbox.domain.forward import is_forward

    account = server.account
    try:
        # A forward is recorded as a note on its conversation, not filed: in Sent it would
        # be a conversation of its own, pending, and a reply out in the reports.
        if account.save_to_sent and not row.filed_in_sent and not is_forward(row.raw):
            sent = server.sent_folder()
            if files_sent_mail_itself(server.imap()):
                log.info("reply #%s: the server files sent mail in Sent itself (Gmail): not appended", row.id)
            elif sent is None:
                log.warning("no Sent folder on the server: reply #%s not filed", row.id)
            elif not server.find(sent, "Message-ID", row.message_id):
                leave_read_only(server.imap())
                # No date of ours: the server's clock dates the copy (INTERNALDATE), which bounds
                # when the reply counts as written even if this machine's clock runs ahead.
                server.imap().append(sent, row.raw, flags=[b"\\Seen"])
                crash_point("outbox.after_append")
            with db.transaction() as conn:
                store.mark_filed(conn, row.id)
        if not row.answered_set:
            _flag_answered(db, server, row)
            with db.transaction() as conn:
                store.mark_answered(conn, row.id)
    except _SERVER_ERRORS as exc:
        return (
            f"sent, but not yet filed in Sent / flagged answered ({_server_error(exc, account)}); "
            "'supportinbox outbox retry' finishes it without sending again"
        )
    return None


def _flag_answered(db: Database, server: _Server, row: OutboxRow) -> None:
    """Set \\Answered on the customer's message: by UID, or by Message-ID if UIDVALIDITY changed."""
    if not row.reply_to_folder:
        return
    parent = _parent_id(row)
    imap = server.imap()
    folder = row.reply_to_folder
    if not imap.folder_exists(folder):
        return
    info = imap.select_folder(folder)
    cached = db.conn.execute("SELECT id, uidvalidity FROM folders WHERE name = ?", (folder,)).fetchone()
    uids: list[int] = []
    if row.reply_to_uid is not None and (
        cached is None or cached["uidvalidity"] in (None, info.get(b"UIDVALIDITY"))
    ):
        uids = [row.reply_to_uid]
    elif parent:
        uids = server.find(folder, "Message-ID", parent)
        imap.select_folder(folder)  # find() looked read-only; flags need write access
    if not uids:
        return
    imap.add_flags(uids, [b"\\Answered"], silent=True)
    if cached is not None:
        with db.transaction() as conn:
            for uid in uids:
                found = conn.execute(
                    "SELECT id FROM messages WHERE folder_id = ? AND uid = ?", (cached["id"], uid)
                ).fetchone()
                if found is not None:
                    change_flags(conn, int(found["id"]), add=["\\Answered"])


def named(row: OutboxRow, *, acknowledgement: bool = False) -> str:
    """Which message and to whom, as every line about it starts:
    ``reply #2 to ravi@monsoon-media.test``, ``forward #1 to dev@acme.test``."""
    noun = "acknowledgement" if acknowledgement else "forward" if row.conversation_id is None else "reply"
    to = one_line(", ".join(row.recipients), limit=80) or "nobody"
    return f"{noun} #{row.id} to {to}"


def sent_line(row: OutboxRow, *, acknowledgement: bool = False) -> str:
    """``reply #2 sent to ravi@monsoon-media.test: Re: Custom domain not verifying``."""
    noun, rest = named(row, acknowledgement=acknowledgement).split(" to ", 1)
    return f"{noun} sent to {rest}: {one_line(row.subject, limit=80) or '(no subject)'}"


def waiting_state(row: OutboxRow, now: datetime | None = None) -> str:
    """Where a reply not sent yet stands, in a few words, e.g. ``failed, next try 10:42``."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    if row.scheduled and row.not_before and row.not_before > stamp:
        return f"scheduled {when_words(row.not_before, now, ahead=True)}"
    if row.status == OutboxStatus.EDITING:
        return f"editing, due {when_words(row.not_before or row.send_at or stamp, now, ahead=True)}"
    if row.status == OutboxStatus.QUEUED:
        return "in its undo window" if row.not_before and row.not_before > stamp else "queued"
    if row.status == OutboxStatus.DRAFT:
        return "draft: customer wrote"
    if row.status == OutboxStatus.SENDING:
        return "sent, filing in Sent" if row.smtp_done_at else "sending"
    if row.status == OutboxStatus.HELD:
        return f"held: {one_line(row.held_by or 'a teammate', limit=24)}"
    if maybe_delivered(row):
        return "maybe delivered"
    if row.status == OutboxStatus.FAILED:
        if row.next_attempt_at:
            return f"failed, next try {when_words(row.next_attempt_at, now, ahead=True)}"
        return "failed, waits for you"
    return row.status


def tries_said(row: OutboxRow) -> str:
    """``2 tries at SMTP``, or "" before any: a refusal by the teammate check (or a hold)
    comes before SMTP, and "0 attempts" beside "failed" reads as never tried at all."""
    if not row.attempts:
        return ""
    return f"{row.attempts} tr{'y' if row.attempts == 1 else 'ies'} at SMTP"


def reply_text(row: OutboxRow) -> tuple[EmailMessage, str]:
    """The queued reply as an e-mail and its plain-text body (LF line ends).

    A format=flowed reply is given as the paragraphs it stands for: edited and saved again,
    its lines were hard breaks otherwise, and the customer's client could no longer
    rewrap them.
    """
    from supportinbox.mail.parse import unflow

    msg = message_from_bytes(row.raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    text = str(body.get_content()) if isinstance(body, EmailMessage) else ""
    text = text.replace("\r\n", "\n")
    if isinstance(body, EmailMessage) and body.get_param("format") == "flowed":
        text = unflow(text, delsp=body.get_param("delsp") == "yes")
    return msg, text
