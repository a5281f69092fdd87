"""The SMTP side of the app, as a port: :class:`Sender` takes a reply once its undo window is over.

:class:`InboxService` hands every send to its sender and never talks SMTP itself. The real
one, :class:`SmtpSender`, sends through the durable outbox with every pre-send check; the
demo supplies one that keeps replies on the machine. A sender also says what the app may
do about it by itself (``retries``) and what the reply editor should say about where a
reply goes (``note``), so no screen asks which kind of account it is.
This module imports no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from supportinbox.app import outbox as outbox_use
from supportinbox.app.context import AccountHome
from supportinbox.mail.outbox import EDITING_NOTE, Outcome, SendStatus
from supportinbox.store import outbox as outbox_store
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxStatus


@dataclass(frozen=True)
class SendResult:
    """The outcome of sending one queued reply: sent, or why not and what happens next.

    ``status`` is the outbox's (:class:`supportinbox.mail.outbox.Outcome`): sent, unfinished,
    failed (``retry_at`` set when the app tries again by itself), held (by ``held_by``),
    uncertain or cancelled. ``message`` says why, without advice; the screens add the keys.
    """

    outbox_id: int
    sent: bool
    message: str
    status: SendStatus = SendStatus.SENT
    retry_at: datetime | None = None
    held_by: str | None = None
    scheduled: bool = False  # it was waiting for a time the user chose


@dataclass(frozen=True)
class RetryRound:
    """What one automatic try of the failed replies that were due did."""

    results: list[SendResult]


class Sender(Protocol):
    """Where a queued reply goes once its undo window is over. Called from worker threads."""

    @property
    def retries(self) -> bool:
        """Whether failed replies are tried again by the app at their retry time."""

    @property
    def note(self) -> str:
        """What the reply editor says about where a reply goes ("" when it goes to the customer)."""

    @property
    def lost_on_quit(self) -> str:
        """Why a reply still in the outbox when the app quits is lost ("" when the next sync sends it)."""

    def deliver(self, outbox_id: int) -> SendResult:
        """Send one queued reply now."""

    def retry(self, outbox_id: int) -> SendResult:
        """Try a failed or held reply again now (a held one meets the teammate check again)."""

    def send_anyway(self, outbox_id: int) -> SendResult:
        """Send a held reply without asking whether a teammate got there first."""

    def send_waiting(self) -> RetryRound:
        """Try the failed replies whose retry time has come (and queued ones left behind)."""


class SmtpSender:
    """Replies go to the account's SMTP server through the outbox, with every pre-send check."""

    retries = True
    note = ""
    lost_on_quit = ""  # the outbox is in the cache: the next sync sends what it holds

    def __init__(self, home: AccountHome) -> None:
        self.home = home

    def deliver(self, outbox_id: int) -> SendResult:
        return self._send_one(outbox_id)

    def retry(self, outbox_id: int) -> SendResult:
        return self._send_one(outbox_id, held=True)

    def send_anyway(self, outbox_id: int) -> SendResult:
        return self._send_one(outbox_id, held=True, anyway=True)

    def _send_one(self, outbox_id: int, *, held: bool = False, anyway: bool = False) -> SendResult:
        with self.home.open() as ctx:
            db = ctx.db
            report = outbox_use.send(ctx, ids=[outbox_id], anyway=anyway, force=True, held=held)
            for outcome in report.outcomes:
                if outcome.outbox_id == outbox_id:
                    return send_result(outcome)
            # Not due any more: another process (a sync, the CLI) got to it first.
            row = outbox_store.get(db.conn, outbox_id)
        if row is not None and row.status == OutboxStatus.SENT:
            return SendResult(outbox_id, True, "", SendStatus.SENT)
        if row is not None and row.status == OutboxStatus.EDITING:
            return SendResult(outbox_id, False, EDITING_NOTE, SendStatus.EDITING)
        state = row.status if row is not None else "gone"
        return SendResult(
            outbox_id, False, f"it is no longer waiting to be sent ({state})", SendStatus.CANCELLED
        )

    def send_waiting(self) -> RetryRound:
        with self.home.open() as ctx:
            report = outbox_use.send(ctx)
            return RetryRound(
                [send_result(outcome, _was_scheduled(ctx.db, outcome)) for outcome in report.outcomes]
            )


def send_result(outcome: Outcome, scheduled: bool = False) -> SendResult:
    """One outcome of the outbox's sender, as the screens show it."""
    return SendResult(
        outcome.outbox_id,
        outcome.status.went_out,
        outcome.message,
        outcome.status,
        outcome.retry_at,
        outcome.held_by,
        scheduled,
    )


def _was_scheduled(db: Database, outcome: Outcome) -> bool:
    row = outbox_store.get(db.conn, outcome.outbox_id)
    return row is not None and row.send_at is not None
