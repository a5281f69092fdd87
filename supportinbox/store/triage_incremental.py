"""Recomputing only the conversations a change touches.

Triggers (migration 14) log every inserted, changed or deleted message with the
conversation it was linked to, every manual state change, and outbox Message-IDs (they
make a cached copy ours). :func:`refresh_changed` recomputes from that log:

1. The scope: the conversations the log names, and every conversation sharing a
   threading key (:func:`supportinbox.domain.threading.thread_keys`: a Message-ID, or a
   customer and subject) with them or with the changed messages, until no key leads out.
   Threading the scope alone then gives what threading the whole cache would give for
   it, as nothing outside shares a key with it.
2. Those conversations are scored as the full refresh scores them; the incident reports
   of the others are the ones kept from their last scoring.
3. Incidents are tracked again from all reports. Conversations outside the scope whose
   incident (or its reason line) changes are scored again too.

The rows are written as the full refresh writes them, so both give the same cache
(tests/store/test_incremental_refresh.py proves it on random change sequences). It gives
up (returns None, and the caller runs the full refresh) when the settings changed since
the last refresh, the clock went back, the log is long, or a new conversation id would
collide with another's.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from supportinbox.config import AccountConfig, Config
from supportinbox.domain import incidents
from supportinbox.domain.threading import ID_LENGTH, Thread, thread_keys, thread_messages
from supportinbox.domain.when import parse_time
from supportinbox.store import facts
from supportinbox.store import incidents as incident_store
from supportinbox.store.conversation_rows import State, message_time
from supportinbox.store.db import Database
from supportinbox.store.followups import load_followups
from supportinbox.store.handovers import load_handovers
from supportinbox.store.junk import refresh_junk_verdicts
from supportinbox.store.ours import OurMail, message_id_domain, our_mail_among
from supportinbox.store.tags import load_tags
from supportinbox.store.threadlinks import keep_subjects, load_overrides, override_keys
from supportinbox.store.triage_fresh import (
    RefreshResult,
    _last_result,
    apply_clock,
    config_fingerprint,
    dirty_mark,
)
from supportinbox.store.triage_refresh import (
    THREADED_ROLES,
    Scoring,
    _create_scratch,
    _drop_scratch,
    _load,
    _renamed_states,
    _rows_by_id,
    _snapshot,
    _write_conversations,
    apply_incidents,
    finish_write,
    load_candidates,
    rename_states,
    save_candidates,
    score_conversations,
    thread_members,
    track_incidents,
)

# Above this many logged changes the full refresh is the cheaper way.
MAX_CHANGES = 5000
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclasses.dataclass
class _Log:
    seen: int  # the newest entry read
    messages: set[int]
    conversations: set[str]
    everything: bool  # a folder's role changed
    content: bool  # more than flags and manual state changed


def _read_log(conn: sqlite3.Connection) -> _Log:
    log = _Log(0, set(), set(), False, False)
    for seq, message, conversation, kind in conn.execute(
        "SELECT seq, message, conversation_id, kind FROM triage_dirty"
    ):
        log.seen = max(log.seen, int(seq))
        if message is not None:
            log.messages.add(int(message))
        if conversation:
            log.conversations.add(str(conversation))
        if kind == "all":
            log.everything = True
        if kind not in ("flags", "state"):
            log.content = True
    return log


def _in(column: str, count: int) -> str:
    return f"{column} IN ({', '.join('?' * count)})"


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), 500):
        yield values[start : start + 500]


def _linked(conn: sqlite3.Connection, conversations: Iterable[str]) -> set[int]:
    """Row ids of the messages the last refresh linked to ``conversations``."""
    select = "SELECT id FROM messages INDEXED BY messages_conversation WHERE conversation_id"
    return {int(r[0]) for r in _rows_by_id(conn, select, sorted(conversations))}


def _sharing(conn: sqlite3.Connection, keys: Iterable[str]) -> set[str]:
    """Conversations that had any of ``keys`` at the last refresh."""
    select = "SELECT conversation_id FROM conversation_keys WHERE key"
    return {str(r[0]) for r in _rows_by_id(conn, select, sorted(keys))}


def _keys_of(conn: sqlite3.Connection, conversations: Iterable[str]) -> set[str]:
    select = "SELECT key FROM conversation_keys WHERE conversation_id"
    return {str(r[0]) for r in _rows_by_id(conn, select, sorted(conversations))}


def _scope(
    conn: sqlite3.Connection, account: AccountConfig, domain: str, log: _Log
) -> tuple[set[str], list[Thread], OurMail]:
    """The conversations to recompute (as last stored), their threads now, and which mail is ours.

    Grows the scope by shared keys until it is closed: the stored keys of the scope's
    conversations (a deleted message's keys are known only there) and the keys of its
    threads as they are now.
    """
    old = set(log.conversations)
    for row in _rows_by_id(conn, "SELECT conversation_id FROM messages WHERE id", sorted(log.messages)):
        if row[0]:
            old.add(str(row[0]))
    checked: set[str] = set()
    overrides, tied = load_overrides(conn), override_keys(conn)
    while True:
        rowids = sorted(_linked(conn, old) | log.messages)
        mine = our_mail_among(conn, domain, rowids)
        threads = thread_messages(_load(conn, account, mine, rowids), overrides)
        keys = _keys_of(conn, old - checked)
        checked |= old
        for thread in threads:
            keys |= thread_keys(thread)
        for one, other in tied:  # a merge ties two conversations that share no key
            if one in keys or other in keys:
                keys |= {one, other}
        more = _sharing(conn, keys) - old
        if not more:
            return old, threads, mine
        old |= more


def _collides(conn: sqlite3.Connection, old: set[str], threads: Sequence[Thread]) -> bool:
    """Whether a new id, or an old one of the scope, shares its first characters with another's.

    Ids are made unique across the whole mailbox (the later key gets a longer id); that
    is decided by the full refresh.
    """
    if any(len(t.id) != ID_LENGTH for t in threads) or any(len(cid) != ID_LENGTH for cid in old):
        return True
    for prefix in {t.id for t in threads} | old:
        for row in conn.execute(
            "SELECT id FROM conversations WHERE id >= ? AND id < ?", (prefix, prefix + "~")
        ):
            if str(row[0]) not in old:
                return True
    return False


def _states(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, State]:
    select = (
        "SELECT conversation_id, status, snoozed_until, assigned_to, updated_at FROM conversation_state "
        "WHERE conversation_id"
    )
    return {
        str(r[0]): State(r[1], parse_time(r[2]), r[3], parse_time(r[4]))
        for r in _rows_by_id(conn, select, sorted(ids))
    }


def _old_links(conn: sqlite3.Connection, conversations: Iterable[str]) -> dict[int, str]:
    select = "SELECT id, conversation_id FROM messages INDEXED BY messages_conversation WHERE conversation_id"
    return {int(r[0]): str(r[1]) for r in _rows_by_id(conn, select, sorted(conversations))}


def _stored(
    conn: sqlite3.Connection, ids: Iterable[str]
) -> dict[str, tuple[str | None, str | None, str, int]]:
    """Stored conversations among ``ids``: (incident id, its reason line, customer, message count)."""
    out: dict[str, tuple[str | None, str | None, str, int]] = {}
    select = "SELECT id, incident_id, reasons, customer_email, message_count FROM conversations WHERE id"
    for r in _rows_by_id(conn, select, sorted(ids)):
        reason = None
        if r[1] is not None:
            try:
                reason = str(json.loads(r[2])[0])
            except (ValueError, IndexError, TypeError):
                reason = ""
        out[str(r[0])] = (r[1], reason, str(r[3]), int(r[4]))
    return out


def _members_now(conn: sqlite3.Connection, ids: Iterable[str]) -> list[tuple[str, tuple[int, ...]]]:
    """Conversations outside the scope with their messages as linked (oldest first, as threaded)."""
    grouped: dict[str, list[tuple[datetime, int]]] = {}
    select = "SELECT id, conversation_id, date, internaldate FROM messages WHERE conversation_id"
    for r in _rows_by_id(conn, select, sorted(ids)):
        when = message_time(r[2], r[3]) or _EARLIEST
        grouped.setdefault(str(r[1]), []).append((when, int(r[0])))
    return [(cid, tuple(rowid for _, rowid in sorted(rows))) for cid, rows in sorted(grouped.items())]


def _assignments(active: Sequence[incidents.Tracked], customer: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Conversation -> (incident id, reason line), as the full refresh completes them."""
    out: dict[str, tuple[str, str]] = {}
    for incident in active:
        members = [cid for cid in incident.members if cid in customer]
        customers = len({customer[cid] for cid in members})
        reason = incidents.reason_line(customers, incident.title, incident.last_at - incident.first_at)
        for cid in members:
            out[cid] = (incident.id, reason)
    return out


def refresh_changed(
    db: Database, config: Config, account: AccountConfig, moment: datetime
) -> RefreshResult | None:
    """Recompute the conversations the change log touches; None when a full refresh is needed."""
    conn = db.conn
    previous = _last_result(db)
    last = parse_time(db.get_meta("triage_refreshed_at"))
    if (
        previous is None
        or last is None
        or moment < last
        or db.get_meta("triage_refreshed_for") != config_fingerprint(config, account)
    ):
        return None
    # Conversations the change does not touch only follow the clock.
    apply_clock(db, moment)
    _create_scratch(conn)
    try:
        with _snapshot(conn):
            log = _read_log(conn)
            if log.everything or len(log.messages) + len(log.conversations) > MAX_CHANGES:
                return None
            domain = message_id_domain(account)
            old, threads, mine = _scope(conn, account, domain, log)
            if _collides(conn, old, threads):
                return None
            new_ids = {t.id for t in threads}
            message_count = sum(len(t.messages) for t in threads)
            members = thread_members(conn, threads)
            states = _states(conn, old | new_ids)
            renames = _renamed_states(
                members, _old_links(conn, old & states.keys()), {k: v for k, v in states.items()}
            )
            for previous_id, new in renames.items():
                states[new] = states.pop(previous_id)
            work = Scoring.start(config, account, moment, states)
            work.followups, work.tags = load_followups(conn), load_tags(conn)
            work.handovers = load_handovers(conn)
            work.rename(renames)
            score_conversations(conn, account, mine, members, work)

            # Incidents from every report: the scope's as scored now, the others' as kept.
            reports = [c for c in load_candidates(conn) if c.id not in old and c.id not in new_ids]
            kept_reports = [c for c in reports if c.when >= work.cutoff]
            tracked = track_incidents(conn, [*kept_reports, *work.candidates], work, reuse=True)
            active = [t for t in tracked if t.status == incidents.ACTIVE]
            named = {cid for t in tracked for cid in t.members}
            stored = _stored(conn, named | old)
            outside = {cid: row for cid, row in stored.items() if cid not in old and cid not in new_ids}
            customer = {cid: row[2] for cid, row in outside.items()}
            scratch = conn.execute("SELECT id, customer_email FROM temp.refresh_conversations")
            customer.update({str(r[0]): str(r[1]) for r in scratch})
            now_assigned = _assignments(active, customer)
            again = sorted(
                cid
                for cid, row in outside.items()
                if now_assigned.get(cid) != ((row[0], row[1]) if row[0] is not None else None)
            )
            # Conversations whose incident changed are scored again as they stand.
            if again:
                again_members = _members_now(conn, again)
                work.states.update(_states(conn, again))
                again_mine = our_mail_among(
                    conn, domain, sorted({rowid for _, rowids in again_members for rowid in rowids})
                )
                found = len(work.candidates)
                score_conversations(conn, account, again_mine, again_members, work)
                del work.candidates[found:]  # their reports are the kept ones
            elsewhere = {cid: row[2] for cid, row in outside.items() if cid not in again}
            apply_incidents(conn, active, work, elsewhere)
            old_messages = sum(row[3] for cid, row in stored.items() if cid in old)
            old_count = sum(1 for cid in stored if cid in old)

        replaced = sorted(old | new_ids)
        with db.transaction() as tx:
            started = dirty_mark(tx)
            rename_states(tx, renames)
            _write_conversations(tx, replaced)
            for chunk in _chunks(replaced):
                tx.execute(f"DELETE FROM conversation_keys WHERE {_in('conversation_id', len(chunk))}", chunk)
            tx.execute(
                "INSERT OR IGNORE INTO conversation_keys(key, conversation_id) "
                "SELECT key, conversation FROM temp.refresh_keys"
            )
            stale = [c.id for c in reports if c.when < work.cutoff]
            save_candidates(tx, work.candidates, [*replaced, *stale])
            existing = {
                str(r[0]) for r in _rows_by_id(tx, "SELECT id FROM conversations WHERE id", sorted(named))
            }
            incident_store.save(tx, tracked, existing, moment)
            facts.record_after_refresh(
                tx,
                account,
                "temp.refresh_links",
                ours=mine,
                conversations=sorted(new_ids | set(again)),
                touched=sorted(old | new_ids | set(again)),
                now=moment,
            )
            _unlink_unthreaded(tx, log.messages)
            keep_subjects(tx)
            finish_write(db, tx, config, account, moment, log.seen, started, renames, work)
    finally:
        _drop_scratch(conn)
    suspects = refresh_junk_verdicts(db, account) if log.content else previous.junk_suspects
    outcome = RefreshResult(
        previous.conversations - old_count + len(new_ids),
        previous.messages - old_messages + message_count,
        len(active),
        suspects,
    )
    db.set_meta("triage_last_result", json.dumps(dataclasses.asdict(outcome)))
    return outcome


def _unlink_unthreaded(tx: sqlite3.Connection, rowids: set[int]) -> None:
    """Changed messages now outside the threaded folders (moved to Junk) belong to no conversation."""
    roles = ", ".join("?" * len(THREADED_ROLES))
    ids = sorted(rowids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        tx.execute(
            "UPDATE messages SET conversation_id = NULL WHERE conversation_id IS NOT NULL AND "
            f"folder_id IN (SELECT id FROM folders WHERE role NOT IN ({roles})) "
            f"AND id IN ({', '.join('?' * len(chunk))})",
            (*THREADED_ROLES, *chunk),
        )
