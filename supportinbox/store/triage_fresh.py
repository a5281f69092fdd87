"""Whether the triage queue is up to date, the clock, and the way into a refresh.

Reading the queue needs only this: is anything the conversations are computed from newer
than the last refresh (:func:`refresh_if_stale`), and the clock (:func:`apply_clock`), which
wakes snoozed conversations and moves SLA levels with indexed UPDATEs. The refresh itself
(threading, scoring, incidents, Junk verdicts: :mod:`supportinbox.store.triage_refresh` and
:mod:`supportinbox.store.triage_incremental`) is imported only when something changed, so
a command that finds the queue current does not load it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from supportinbox.domain import sla
from supportinbox.domain.when import iso, now_utc, parse_time

# Not typing.TYPE_CHECKING: the queue's read path (``list --json``) does not load typing,
# nor the config model, to read a queue that is up to date (type checkers treat any name
# TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from supportinbox.config import AccountConfig, Config
    from supportinbox.store.db import Database

RECOMPUTE_AFTER = timedelta(hours=1)
# Part of the inputs key: a cache scored under an earlier band scheme is recomputed on
# the first refresh after an upgrade instead of waiting for RECOMPUTE_AFTER.
SCORING_VERSION = (
    "bands-incident-urgent-guard-breached-first|customer-reply-to|automated|new-text-only|stemmed-incidents"
    "|maybe-a-problem|promise-guard|symptoms-and-failure-candidates|cognates|compounds-failing|loanwords|contractions"
    "|customer-from-our-reply|customer-named-by-our-reply|bounce-until-the-address-writes|answered-after-reopen|reopened-reason|follow-up-resolution-clock|snooze-woken-reason|customer-by-form-fields|guard-nearest-deadline-first"
)


@dataclass(frozen=True)
class RefreshResult:
    conversations: int
    messages: int
    incidents: int
    junk_suspects: int


def config_fingerprint(config: Config, account: AccountConfig) -> str:
    """What the refresh reads of the config, as a short digest (part of :func:`inputs_key`)."""
    from supportinbox.domain.customer import own_addresses

    settings = config.sla_settings(account).model_dump_json()
    own = " ".join(own_addresses(account))
    text = f"{SCORING_VERSION}|{config.triage.model_dump_json()}|{settings}|{own}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def dirty_mark(conn: sqlite3.Connection) -> int:
    """The newest entry of the change log (``triage_dirty``; 0 when it is empty)."""
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM triage_dirty").fetchone()[0])


def inputs_key(db: Database, fingerprint: str) -> str:
    """Changes whenever anything the refresh reads changes (messages, manual state, config).

    Messages and manual state write the change log by trigger (migration 14), so its newest
    entry stands for both; the input version also counts an incident closed by hand.
    ``fingerprint`` is the config's (:func:`config_fingerprint`).
    """
    version = db.get_meta("triage_input_version") or "0"
    return f"{version}|{fingerprint}|{dirty_mark(db.conn)}"


def _inputs_key(db: Database, config: Config, account: AccountConfig) -> str:
    return inputs_key(db, config_fingerprint(config, account))


@contextmanager
def keeping_current(db: Database, config: Config, account: AccountConfig) -> Iterator[None]:
    """Around a change whose effect on the queue rows the caller writes itself.

    A queue that was up to date before stays up to date after, so a small change (a
    message marked read) does not make the next reader recompute the whole mailbox.
    Use inside the change's transaction.
    """
    current = db.get_meta("triage_refreshed") == _inputs_key(db, config, account)
    yield
    if current:
        db.set_meta("triage_refreshed", _inputs_key(db, config, account))


def up_to_date(db: Database, key: str, now: datetime) -> bool:
    """Whether the last refresh read inputs of ``key`` (:func:`inputs_key`), recently enough."""
    if db.get_meta("triage_refreshed") != key:
        return False
    last = parse_time(db.get_meta("triage_refreshed_at"))
    # Incidents look back from "now", so even unchanged input is recomputed now and then.
    return last is not None and last <= now < last + RECOMPUTE_AFTER


def refresh_conversations(
    db: Database, config: Config, account: AccountConfig, now: datetime | None = None
) -> RefreshResult:
    """Bring every conversation up to date: threading, scores, order, links, incidents.

    Spam-folder verdicts are recomputed too, as they depend on the same links.

    Manual state whose conversation id changed (a thread gained an older root) moves
    with the messages, so a status set by hand is never lost.

    When nothing it reads has changed since the last run (less than
    :data:`RECOMPUTE_AFTER` ago), only the clock is applied: a sync that brought no
    news costs milliseconds. Otherwise only the conversations the change log names are
    recomputed (:mod:`supportinbox.store.triage_incremental`), with those they thread
    with and those whose incident changes; :func:`rebuild_conversations` recomputes all.
    """
    moment = now_utc(now)
    if _clock_only(db, config, account, moment):
        stored = _last_result(db)
        if stored is not None:
            return stored
    return _recompute(db, config, account, moment)


def _clock_only(db: Database, config: Config, account: AccountConfig, moment: datetime) -> bool:
    """When nothing the queue is computed from changed (:func:`up_to_date`), apply only the
    clock and return True; else change nothing and return False."""
    if not up_to_date(db, _inputs_key(db, config, account), moment):
        return False
    apply_clock(db, moment)
    return True


def rebuild_conversations(
    db: Database, config: Config, account: AccountConfig, now: datetime | None = None
) -> RefreshResult:
    """Recompute every conversation from the whole cache, whatever changed."""
    from supportinbox.store.triage_refresh import recompute

    return recompute(db, config, account, now_utc(now), partial=False)


def _recompute(db: Database, config: Config, account: AccountConfig, moment: datetime) -> RefreshResult:
    # The refresh (threading, scoring, incidents, Junk verdicts) loads only when it runs.
    from supportinbox.store.triage_refresh import recompute

    return recompute(db, config, account, moment, partial=True)


def _last_result(db: Database) -> RefreshResult | None:
    stored = db.get_meta("triage_last_result")
    if stored:
        try:
            return RefreshResult(**json.loads(stored))
        except (TypeError, ValueError):
            pass
    return None


def refresh_if_stale(
    db: Database, config: Config, account: AccountConfig, now: datetime | None = None
) -> bool:
    """Recompute what changed in the conversations' inputs, else apply only the clock.

    Returns True when a refresh ran.
    """
    moment = now_utc(now)
    if _clock_only(db, config, account, moment):
        return False
    _recompute(db, config, account, moment)
    return True


def refresh_within(
    db: Database, config: Config, account: AccountConfig, now: datetime | None, most: int
) -> bool | None:
    """A refresh that recomputes at most about ``most`` messages' worth, or nothing.

    True when it ran, False when the queue was current (only the clock applied), None when
    it would take more: the change log names more than ``most`` changes, or a full refresh
    is due on a cache of more than ``most`` messages. Its write then never holds the cache
    for long, whatever the cache's size (the caller's refresh does the large ones).
    """
    moment = now_utc(now)
    if _clock_only(db, config, account, moment):
        return False
    from supportinbox.store.triage_refresh import recompute

    logged = db.conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM triage_dirty LIMIT ?)", (most + 1,))
    if logged.fetchone()[0] > most:
        return None
    cached = db.conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM messages LIMIT ?)", (most + 1,))
    small = cached.fetchone()[0] <= most
    return recompute(db, config, account, moment, partial=True, full=small) is not None


_CLOCKS = (
    ("sla_level", "sla_warn_at", "sla_due_at", sla.level_sql),
    ("sla_guard_level", "sla_guard_warn_at", "sla_guard_due_at", sla.guard_sql),
)


def clock_due(db: Database, now: datetime | None = None) -> bool:
    """Whether :func:`apply_clock` at ``now`` would change a row (index probes, no write)."""
    moment = iso(now_utc(now))
    return bool(_due_followups(db, moment)) or _levels_due(db, moment)


def _levels_due(db: Database, moment: str | None) -> bool:
    ok, warn = sla.LEVEL_OK, sla.LEVEL_WARN
    checks = " ".join(
        f"OR EXISTS(SELECT 1 FROM conversations WHERE status = 'open' AND {level} = {ok} AND {warn_at} <= ?) "
        f"OR EXISTS(SELECT 1 FROM conversations WHERE status = 'open' AND {level} IN ({ok}, {warn}) "
        f"AND {due_at} <= ?)"
        for level, warn_at, due_at, _ in _CLOCKS
    )
    snoozed = "EXISTS(SELECT 1 FROM conversations WHERE status = 'snoozed' AND snoozed_until <= ?)"
    return bool(
        db.conn.execute(f"SELECT {snoozed} {checks}", (moment,) * (1 + 2 * len(_CLOCKS))).fetchone()[0]
    )


def apply_clock(db: Database, now: datetime | None = None) -> int:
    """Wake snoozed conversations and lift those reaching their SLA; return rows changed.

    Each step is an indexed range over the rows whose state changes, so an unchanged
    queue costs three index probes and no write (:func:`clock_due`). The steps set the
    columns through the SLA rule's SQL (:func:`sla.level_sql` for the promise,
    :func:`sla.guard_sql` for the starvation guard): an urgent conversation or an incident
    is never moved down when its guard ticks over, and a guard breach moves the
    conversation ahead of the unbreached ones of its band.
    """
    moment = iso(now_utc(now))
    conn = db.conn
    lifted = _lift_due_followups(db, moment)
    if not _levels_due(db, moment):
        return lifted
    ok, warn, breached = sla.LEVEL_OK, sla.LEVEL_WARN, sla.LEVEL_BREACHED
    before = conn.total_changes
    with db.transaction() as tx:
        # A woken conversation starts its SLA again from the level the next steps check.
        tx.execute(
            f"UPDATE conversations SET status = 'open', {sla.level_sql(ok)}, {sla.guard_sql(ok)}, "
            "waiting_since = COALESCE(unanswered_since, snoozed_until), snoozed_until = NULL "
            "WHERE status = 'snoozed' AND snoozed_until <= ?",
            (moment,),
        )
        # The promise (what is said) and the starvation guard (what moves the row) tick apart.
        for level, warn_at, due_at, set_sql in _CLOCKS:
            tx.execute(
                f"UPDATE conversations SET {set_sql(breached)} "
                f"WHERE status = 'open' AND {level} IN ({ok}, {warn}) AND {due_at} <= ?",
                (moment,),
            )
            tx.execute(
                f"UPDATE conversations SET {set_sql(warn)} "
                f"WHERE status = 'open' AND {level} = {ok} AND {warn_at} <= ?",
                (moment,),
            )
    return lifted + conn.total_changes - before


def _lift_due_followups(db: Database, moment: str | None) -> int:
    """Bring back the conversations whose follow-up has just come due; return how many.

    ``followup_at`` in the past on a conversation that is not open means due and not yet
    lifted (see :func:`supportinbox.store.followups.with_followup`): one index probe.
    """
    due = _due_followups(db, moment)
    if due:
        from supportinbox.store.conversations import reapply_state

        reapply_state(db, due, parse_time(moment))
    return len(due)


def _due_followups(db: Database, moment: str | None) -> list[str]:
    return [
        str(r[0])
        for r in db.conn.execute(
            "SELECT id FROM conversations INDEXED BY conversations_followup "
            "WHERE followup_at <= ? AND status != 'open'",
            (moment,),
        )
    ]
