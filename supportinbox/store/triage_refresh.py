"""Recomputing the triage queue from the cache: threading, scoring, incidents.

:func:`~supportinbox.store.triage_fresh.refresh_conversations` runs after each sync and,
when something changed, rewrites ``conversations`` from the ``messages`` of the inbox and
sent folders plus the manual ``conversation_state`` through :func:`recompute`. The
clock-dependent part (SLA guard, snooze wake-up) is applied by
:func:`~supportinbox.store.triage_fresh.apply_clock`, so reading the queue stays cheap
while time moves on.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy as email_policy
from email.parser import HeaderParser
from typing import Any, overload

from supportinbox.config import AccountConfig, Config, TriageConfig
from supportinbox.domain import incidents, keywords, scoring, sla
from supportinbox.domain.acknowledgement import NOTE as ACKNOWLEDGED
from supportinbox.domain.automated import PERSON, Automated, Bounce, Said, bounced_reply
from supportinbox.domain.conversation import AUTOMATED
from supportinbox.domain.customer import (
    NOBODY,
    Party,
    customer_of,
    form_message,
    form_subject,
    is_no_reply,
    named_by_form,
    needs_form_name,
    own_addresses,
)
from supportinbox.domain.followups import FollowUp
from supportinbox.domain.quoting import first_sentence, new_text
from supportinbox.domain.safetext import one_line
from supportinbox.domain.status import derive_status
from supportinbox.domain.threading import (
    Thread,
    ThreadMessage,
    iter_threads,
    normalize_subject,
    thread_keys,
)
from supportinbox.domain.when import iso, parse_time
from supportinbox.store import facts
from supportinbox.store import incidents as incident_store
from supportinbox.store.conversation_rows import (
    State,
    StoredTriageConfig,
    form_head,
    load_states,
    message_time,
    status_fields,
)
from supportinbox.store.db import Database, storage_error
from supportinbox.store.followups import load_followups, with_followup
from supportinbox.store.handovers import load_handovers
from supportinbox.store.junk import refresh_junk_verdicts
from supportinbox.store.messages import THREADED_ROLES as THREADED_ROLES
from supportinbox.store.ours import OurMail, message_id_domain, our_mail
from supportinbox.store.rows import columns, load, sql
from supportinbox.store.tags import load_tags
from supportinbox.store.threadlinks import carry_merged, keep_subjects, load_overrides
from supportinbox.store.triage_fresh import (
    RECOMPUTE_AFTER as RECOMPUTE_AFTER,
)
from supportinbox.store.triage_fresh import (
    SCORING_VERSION as SCORING_VERSION,
)
from supportinbox.store.triage_fresh import (
    RefreshResult,
    _inputs_key,
    apply_clock,
    config_fingerprint,
    dirty_mark,
)
from supportinbox.store.triage_fresh import (
    keeping_current as keeping_current,
)
from supportinbox.store.triage_fresh import (
    rebuild_conversations as rebuild_conversations,
)
from supportinbox.store.triage_fresh import (
    refresh_conversations as refresh_conversations,
)
from supportinbox.store.triage_fresh import (
    refresh_if_stale as refresh_if_stale,
)

BODY_CHARS_READ = 20000  # quoted history first (bottom-posting) must not hide the new text
BODY_CHARS_SCORED = 2000  # of the customer's own new text
_SCORE_SLICE = 2000  # conversations whose message details and bodies are held at once


@dataclass(frozen=True, slots=True)
class _Message:
    """What summarising and scoring read of one message (loaded a slice at a time)."""

    rowid: int
    from_us: bool
    customer: Party  # who a customer message stands for (NOBODY for ours)
    subject: str
    when: datetime | None
    seen: bool
    answered: bool
    linked_to: str | None  # the conversation the previous refresh linked it to
    sender_name: str = ""
    message_id: str = ""  # lower case, as bounces name it
    automated: Automated = PERSON
    bounce: Bounce | None = None  # what a bounce reports
    sent_to: tuple[str, ...] = ()  # whom a message of ours went to (To, then Cc; not ourselves)
    relayed: bool = False  # sent for its customer by a contact form or a service


_THREADED_FROM = (
    "FROM messages m JOIN folders f ON f.id = m.folder_id "
    f"WHERE f.role IN ({', '.join('?' * len(THREADED_ROLES))})"
)


def _party(
    conn: sqlite3.Connection,
    rowid: int,
    from_us: bool,
    from_name: str,
    from_addr: str,
    reply_to_name: str,
    reply_to: str,
    own: Sequence[str],
) -> Party:
    """The customer a message stands for (NOBODY for ours); a relay without Reply-To by its
    form's fields, read from the cache only then."""
    if from_us:
        return NOBODY
    return customer_of(
        from_name, from_addr, reply_to_name, reply_to, own, body=lambda: form_head(conn, rowid)
    )


@dataclass(slots=True)
class _ThreadRow:
    """What threading reads of a message (see :mod:`supportinbox.store.rows`)."""

    id: int
    role: str = field(metadata=sql("f.role"))
    message_id: str | None
    in_reply_to: str | None
    refs: str
    subject: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    date: str | None
    internaldate: str | None
    reply_to: str
    bounce_of: str | None


@dataclass(slots=True)
class _DetailRow:
    """What summarising reads of a message (see :mod:`supportinbox.store.rows`)."""

    id: int
    role: str = field(metadata=sql("f.role"))
    from_name: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    subject: str
    date: str | None
    internaldate: str | None
    flags: str
    conversation_id: str | None
    reply_to_name: str
    reply_to: str
    message_id: str | None
    automated: str
    automated_reason: str
    bounce_of: str | None
    bounce_recipient: str
    bounce_reason: str


def _load(
    conn: sqlite3.Connection, account: AccountConfig, mine: OurMail, rowids: Sequence[int] | None = None
) -> list[ThreadMessage]:
    """The threading input: only the columns threading reads, one string per distinct id.

    A reply's In-Reply-To and References repeat Message-IDs held by other messages, and
    addresses repeat across a customer's mail; each distinct value is kept once. With
    ``rowids``, only those of them that are in a threaded folder.
    """
    own = own_addresses(account)
    shared: dict[str, str] = {}
    one = shared.setdefault
    select = f"SELECT {columns(_ThreadRow, 'm.')} {_THREADED_FROM}"
    rows: Iterable[sqlite3.Row] = (
        conn.execute(select, THREADED_ROLES)
        if rowids is None
        else _rows_by_id(conn, f"{select} AND m.id", rowids, THREADED_ROLES)
    )
    out: list[ThreadMessage] = []
    for found in rows:
        row = load(_ThreadRow, found)
        from_addr = str(row.from_addr).lower()
        from_addr = one(from_addr, from_addr)
        reply_to = str(row.reply_to)
        from_us = mine.is_ours(row.role, int(row.id))
        customer = None
        if not from_us and (reply_to or from_addr in own or is_no_reply(from_addr)):
            customer = _party(conn, int(row.id), from_us, "", from_addr, "", reply_to, own).email
            customer = one(customer, customer)
        out.append(
            ThreadMessage(
                rowid=int(row.id),
                message_id=one(row.message_id, row.message_id) if row.message_id else row.message_id,
                # A bounce joins the conversation of the message of ours it returns.
                in_reply_to=one(row.in_reply_to, row.in_reply_to) if row.in_reply_to else row.bounce_of,
                references=tuple(one(ref, ref) for ref in str(row.refs).split()),
                subject=str(row.subject),
                from_addr=from_addr,
                to_addrs=tuple(
                    one(a, a) for a in f"{row.to_addrs} {row.cc_addrs}".split() if a.lower() not in own
                ),
                when=message_time(row.date, row.internaldate),
                from_us=from_us,
                customer_addr=customer,
            )
        )
    return out


def _rows_by_id(
    conn: sqlite3.Connection, select: str, rowids: Sequence[Any], params: Sequence[Any] = ()
) -> Iterator[sqlite3.Row]:
    """``select`` (ending in ``WHERE <row id column>``) for ``rowids``, 500 ids per query (SQLite's limit).

    ``params`` are the values of the placeholders ``select`` has before the ids.
    """
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        yield from conn.execute(f"{select} IN ({', '.join('?' * len(chunk))})", (*params, *chunk))


def _details(
    conn: sqlite3.Connection, account: AccountConfig, mine: OurMail, rowids: Sequence[int]
) -> dict[int, _Message]:
    """Row id -> what summarising needs of that message, for ``rowids``."""
    own = own_addresses(account)
    out: dict[int, _Message] = {}
    select = (
        f"SELECT {columns(_DetailRow, 'm.')} FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id"
    )
    for found in _rows_by_id(conn, select, rowids):
        row = load(_DetailRow, found)
        from_addr = str(row.from_addr).lower()
        flags = str(row.flags).split()
        from_us = mine.is_ours(row.role, int(row.id))
        customer = _party(
            conn, int(row.id), from_us, row.from_name, from_addr, row.reply_to_name, row.reply_to, own
        )
        if needs_form_name(customer, from_addr):  # a contact form naming no person in its headers
            customer = named_by_form(customer, from_addr, form_head(conn, int(row.id)))
        out[int(row.id)] = _Message(
            rowid=int(row.id),
            from_us=from_us,
            customer=customer,
            subject=str(row.subject),
            when=message_time(row.date, row.internaldate),
            seen="\\Seen" in flags,
            answered="\\Answered" in flags,
            linked_to=row.conversation_id,
            sender_name=str(row.from_name),
            message_id=str(row.message_id or "").lower(),
            # Ours too: our automatic acknowledgement (Auto-Submitted) is no reply.
            automated=Automated(row.automated, row.automated_reason) if row.automated else PERSON,
            bounce=Bounce(str(row.bounce_of).lower(), row.bounce_recipient, row.bounce_reason)
            if row.bounce_of
            else None,
            sent_to=tuple(a for a in f"{row.to_addrs} {row.cc_addrs}".lower().split() if a not in own)
            if from_us
            else (),
            relayed=bool(customer) and customer.email != from_addr,
        )
    return out


def _old_links(conn: sqlite3.Connection) -> dict[int, str]:
    """Message row -> its conversation as of the previous refresh, for conversations with manual state."""
    rows = conn.execute(
        "SELECT id, conversation_id FROM messages INDEXED BY messages_conversation "
        "WHERE conversation_id IN (SELECT conversation_id FROM conversation_state)"
    )
    return {int(r[0]): str(r[1]) for r in rows}


@dataclass(frozen=True, slots=True)
class _Body:
    """What scoring reads of a message's body: the customer's new text and the priority."""

    text: str
    priority: int | None


def _bodies(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, _Body]:
    """The customer's new text (the start of it) and priority of the messages scoring reads.

    Quoted history and signatures never count: a thank-you quoting our "urgent outage" mail
    is not urgent.
    """
    select = f"SELECT id, substr(body_text, 1, {BODY_CHARS_READ}), priority, subject FROM messages WHERE id"
    return {
        int(r[0]): _Body(new_text(str(r[1]), str(r[3] or ""))[:BODY_CHARS_SCORED], r[2])
        for r in _rows_by_id(conn, select, rowids)
    }


# --- refresh ----------------------------------------------------------------------------


_CONVERSATION_COLUMNS = (
    "id",
    "subject",
    "customer_email",
    "customer_name",
    "status",
    "derived_status",
    "snoozed_until",
    "assigned_to",
    "first_message_at",
    "last_message_at",
    "last_customer_at",
    "last_agent_at",
    "waiting_since",
    "message_count",
    "unread_count",
    "followups",
    "urgency",
    "band",
    "reasons",
    "incident_id",
    "sort_key",
    "base_urgency",
    "base_band",
    "sla_warn_at",
    "sla_due_at",
    "sla_level",
    "unanswered_since",
    "sla_target",
    "sla_guard_warn_at",
    "sla_guard_due_at",
    "sla_guard_level",
    "followup_at",
    "followup_reason",
    "tags",
    "handovers",
    "reopened_after",
    "reopened_from",
)
_SCRATCH_ROWS = "refresh_conversations"
_SCRATCH_LINKS = "refresh_links"
_SCRATCH_KEYS = "refresh_keys"
_INSERT_SCRATCH_ROW = (  # replaces: incident members are completed a second time
    f"INSERT OR REPLACE INTO temp.{_SCRATCH_ROWS}({', '.join(_CONVERSATION_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_CONVERSATION_COLUMNS))})"
)
_INSERT_SCRATCH_LINK = f"INSERT INTO temp.{_SCRATCH_LINKS}(message, conversation) VALUES (?, ?)"
_INSERT_SCRATCH_KEY = f"INSERT INTO temp.{_SCRATCH_KEYS}(key, conversation) VALUES (?, ?)"


def _create_scratch(conn: sqlite3.Connection) -> None:
    """Empty scratch tables (private to this connection) for the rows a refresh computes."""
    _drop_scratch(conn)
    # Same columns and affinities as the stored table, so values compare alike.
    conn.execute(
        f"CREATE TEMP TABLE {_SCRATCH_ROWS} AS "
        f"SELECT {', '.join(_CONVERSATION_COLUMNS)} FROM main.conversations WHERE 0"
    )
    conn.execute(f"CREATE UNIQUE INDEX temp.{_SCRATCH_ROWS}_id ON {_SCRATCH_ROWS}(id)")
    conn.execute(
        f"CREATE TEMP TABLE {_SCRATCH_LINKS}(message INTEGER PRIMARY KEY, conversation TEXT NOT NULL)"
    )
    conn.execute(f"CREATE TEMP TABLE {_SCRATCH_KEYS}(key TEXT NOT NULL, conversation TEXT NOT NULL)")


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """A read transaction: one consistent view of the cache until it ends.

    Writing only scratch (temp) tables inside it takes no lock on the cache.
    """
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def _drop_scratch(conn: sqlite3.Connection) -> None:
    conn.execute(f"DROP TABLE IF EXISTS temp.{_SCRATCH_ROWS}")
    conn.execute(f"DROP TABLE IF EXISTS temp.{_SCRATCH_LINKS}")
    conn.execute(f"DROP TABLE IF EXISTS temp.{_SCRATCH_KEYS}")


def _write_conversations(conn: sqlite3.Connection, replaced: Sequence[str] | None = None) -> None:
    """Make ``conversations`` and the message links equal to the scratch tables.

    Only rows that differ are written, so an unchanged conversation costs no write. With
    ``replaced`` (the ids a partial refresh recomputed), only those of them missing from
    the scratch rows are deleted; without it, every conversation missing from them is.
    Changed rows are updated in place and new ones added in id order, so the rows (and
    their order in the table, which breaks ties in the queue) do not depend on how the
    refresh came to them.
    """
    keep_subjects(conn, f"temp.{_SCRATCH_ROWS}", f"temp.{_SCRATCH_LINKS}")
    columns = ", ".join(_CONVERSATION_COLUMNS)
    if replaced is None:
        conn.execute(f"DELETE FROM conversations WHERE id NOT IN (SELECT id FROM temp.{_SCRATCH_ROWS})")
    else:
        for start in range(0, len(replaced), 500):
            chunk = replaced[start : start + 500]
            conn.execute(
                f"DELETE FROM conversations WHERE id IN ({', '.join('?' * len(chunk))}) "
                f"AND id NOT IN (SELECT id FROM temp.{_SCRATCH_ROWS})",
                chunk,
            )
    same = " AND ".join(f"conversations.{column} IS n.{column}" for column in _CONVERSATION_COLUMNS)
    # A changed row is updated where it is: a row's place in the table (its rowid) then
    # depends only on when its conversation first appeared, never on how many refreshes,
    # partial or full, rewrote it on the way.
    assign = ", ".join(f"{column} = n.{column}" for column in _CONVERSATION_COLUMNS if column != "id")
    conn.execute(
        f"UPDATE conversations SET {assign} FROM temp.{_SCRATCH_ROWS} n "
        f"WHERE n.id = conversations.id AND NOT ({same})"
    )
    conn.execute(
        f"INSERT INTO conversations({columns}) SELECT {columns} FROM temp.{_SCRATCH_ROWS} n "
        f"WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = n.id) ORDER BY n.id"
    )
    conn.execute(
        f"UPDATE messages SET conversation_id = (SELECT l.conversation FROM temp.{_SCRATCH_LINKS} l "
        f"WHERE l.message = messages.id) WHERE id IN (SELECT message FROM temp.{_SCRATCH_LINKS})"
    )


@contextmanager
def _refreshing(db: Database) -> Iterator[None]:
    """Around a refresh: the cyclic collector paused, SQLite errors turned into one clear line."""
    # Threading builds several objects per message, linked both ways; the cyclic
    # collector would rescan the growing heap again and again while they are built.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    except sqlite3.Error as exc:  # a read outside a transaction, or the scratch tables
        raise storage_error(exc, db.path) from None
    finally:
        if enabled:
            gc.enable()


@dataclass
class Scoring:
    """What scoring a set of conversations reads, and the incident reports it finds."""

    cfg: TriageConfig
    policy: sla.Policy
    moment: datetime
    states: dict[str, State]
    matcher: keywords.KeywordMatcher
    cutoff: datetime
    candidates: list[incidents.IncidentCandidate] = dataclasses.field(default_factory=list)
    reports_key: str = ""  # of the reports incident grouping read
    found: tuple[str, list[incidents.Incident]] | None = None  # groups found anew, to keep
    # Follow-ups and tags of every conversation (their part of the stored row).
    followups: dict[str, FollowUp] = dataclasses.field(default_factory=dict)
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    handovers: dict[str, int] = dataclasses.field(default_factory=dict)

    def rename(self, renames: dict[str, str]) -> None:
        """Follow conversations that got a new id (their follow-ups and tags go with them)."""
        for old, new in renames.items():
            if old in self.followups:
                self.followups[new] = self.followups.pop(old)
            if old in self.tags:
                self.tags[new] = self.tags.pop(old)
            if old in self.handovers:
                self.handovers[new] = self.handovers.pop(old)

    @classmethod
    def start(
        cls, config: Config, account: AccountConfig, moment: datetime, states: dict[str, State]
    ) -> Scoring:
        cfg = config.triage
        return cls(
            cfg=cfg,
            policy=sla.Policy.for_account(config, account),
            moment=moment,
            states=states,
            matcher=keywords.matcher_for(cfg),
            cutoff=incidents.incident_cutoff(cfg, moment),
        )


def score_conversations(
    conn: sqlite3.Connection,
    account: AccountConfig,
    mine: OurMail,
    members: Sequence[tuple[str, Sequence[int]]],
    scoring_: Scoring,
) -> None:
    """Pass 2: summarise, score and complete ``members`` into the scratch tables.

    A slice of conversations at a time: their messages' details and the bodies of the
    ones waiting for an answer are read, summarised, scored and completed into their
    stored rows. Rows and changed message links go to the scratch tables, so the memory
    held does not grow with the mailbox; incident reports go to ``scoring_.candidates``.
    """
    for start in range(0, len(members), _SCORE_SLICE):
        part = members[start : start + _SCORE_SLICE]
        details = _details(conn, account, mine, [rowid for _, rowids in part for rowid in rowids])
        links = [(rowid, cid) for cid, rowids in part for rowid in rowids if details[rowid].linked_to != cid]
        summaries = [_summarise(cid, [details[rowid] for rowid in rowids]) for cid, rowids in part]
        del details
        _names_from_our_mail(conn, [row for row, _, _ in summaries if row["named_by"] is not None])
        cutoff = scoring_.cutoff
        wanted = {m.rowid for _, unanswered, _ in summaries for m in unanswered}
        wanted.update(last.rowid for _, _, last in summaries if last and last.when and last.when >= cutoff)
        bodies = _bodies(conn, sorted(wanted))
        rows = []
        for row, unanswered, last in summaries:
            score = _score_one(
                row,
                unanswered,
                last,
                bodies,
                scoring_.cfg,
                scoring_.matcher,
                scoring_.states,
                cutoff,
                scoring_.candidates,
            )
            row["tags"] = scoring_.tags.get(row["id"], "")
            row["handovers"] = scoring_.handovers.get(row["id"], 0)
            rows.append(
                _complete(
                    row,
                    score,
                    None,
                    scoring_.states,
                    scoring_.cfg,
                    scoring_.policy,
                    scoring_.moment,
                    scoring_.followups,
                )
            )
        conn.executemany(_INSERT_SCRATCH_ROW, rows)
        conn.executemany(_INSERT_SCRATCH_LINK, links)


def thread_members(conn: sqlite3.Connection, threads: Iterable[Thread]) -> list[tuple[str, tuple[int, ...]]]:
    """Each conversation's id and its message row ids (oldest first); its keys to scratch.

    A list ``threads`` is emptied, and an iterator (:func:`iter_threads`) drained: each
    thread is freed as soon as its ids and keys are taken.
    """
    members: list[tuple[str, tuple[int, ...]]] = []
    keys: list[tuple[str, str]] = []
    for thread in _taken(threads) if isinstance(threads, list) else threads:
        members.append((thread.id, tuple(m.rowid for m in thread.messages)))
        keys.extend((key, thread.id) for key in thread_keys(thread))
        del thread
        if len(keys) >= 50_000:
            conn.executemany(_INSERT_SCRATCH_KEY, keys)
            keys.clear()
    conn.executemany(_INSERT_SCRATCH_KEY, keys)
    return members


def _taken(threads: list[Thread]) -> Iterator[Thread]:
    """The threads of ``threads`` in order, each removed from the list as it is handed over."""
    threads.reverse()
    while threads:
        yield threads.pop()


def track_incidents(
    conn: sqlite3.Connection,
    candidates: Sequence[incidents.IncidentCandidate],
    scoring_: Scoring,
    *,
    reuse: bool,
) -> list[incidents.Tracked]:
    """The incidents after this refresh, from the kept ones and ``candidates``.

    With ``reuse``, the groups of the last refresh are taken when it grouped the same reports.
    """
    kept = incident_store.load(conn)
    # Reports of a closed or quiet incident do not start it again.
    retired = {cid for t in kept if t.status != incidents.ACTIVE for cid in t.members}
    reports = [c for c in candidates if c.id not in retired]
    scoring_.reports_key = _reports_key(reports, scoring_.cfg)
    found = _found_before(conn, scoring_.reports_key) if reuse else None
    if found is None:
        found = incidents.find_incidents(reports, scoring_.cfg, scoring_.moment)
        scoring_.found = (scoring_.reports_key, found)
    return incidents.track(kept, found, reports, scoring_.cfg, scoring_.moment)


def _reports_key(reports: Sequence[incidents.IncidentCandidate], cfg: TriageConfig) -> str:
    digest = hashlib.sha256(cfg.model_dump_json().encode())
    names = [f.name for f in dataclasses.fields(incidents.IncidentCandidate)]
    for c in sorted(reports, key=lambda c: c.id):
        # Terms read back from the cache are lists, fresh ones may be tuples: the same report.
        values = tuple(
            tuple(map(tuple, value)) if name.endswith("_terms") else value
            for name in names
            for value in (getattr(c, name),)
        )
        digest.update(repr(values).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _found_before(conn: sqlite3.Connection, key: str) -> list[incidents.Incident] | None:
    """The groups the last refresh found, if it grouped the very same reports (``key``).

    Grouping reads only the reports (all within the look-back, as scored) and the settings,
    so a change that leaves every report as it was (a flag, most new mail) skips it.
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'incidents_found'").fetchone()
    if row is None:
        return None
    try:
        stored = json.loads(row[0])
        if stored["key"] != key:
            return None
        return [
            incidents.Incident(
                id=str(i["id"]),
                signal=str(i["signal"]),
                customers=int(i["customers"]),
                span=timedelta(seconds=float(i["span"])),
                conversation_ids=tuple(str(c) for c in i["conversation_ids"]),
                stems=tuple(str(t) for t in i["stems"]),
                first_at=datetime.fromisoformat(i["first_at"]),
                last_at=datetime.fromisoformat(i["last_at"]),
            )
            for i in stored["found"]
        ]
    except (ValueError, KeyError, TypeError):
        return None


def _save_found(db: Database, scoring_: Scoring) -> None:
    if scoring_.found is None:
        return
    key, found = scoring_.found
    value = {
        "key": key,
        "found": [
            {
                "id": i.id,
                "signal": i.signal,
                "customers": i.customers,
                "span": i.span.total_seconds(),
                "conversation_ids": list(i.conversation_ids),
                "stems": list(i.stems),
                "first_at": i.first_at.isoformat(),
                "last_at": i.last_at.isoformat(),
            }
            for i in found
        ],
    }
    db.set_meta("incidents_found", json.dumps(value, ensure_ascii=False))


def save_candidates(
    conn: sqlite3.Connection,
    candidates: Iterable[incidents.IncidentCandidate],
    replaced: Sequence[str] | None,
) -> None:
    """Keep the incident reports for the next partial refresh (those of ``replaced`` ids, or all)."""
    if replaced is None:
        conn.execute("DELETE FROM incident_candidates")
    else:
        for start in range(0, len(replaced), 500):
            chunk = replaced[start : start + 500]
            conn.execute(
                f"DELETE FROM incident_candidates WHERE conversation_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
    conn.executemany(
        "INSERT OR REPLACE INTO incident_candidates(conversation_id, customer, reported_at, subject_terms, "
        "text_terms, failing, lang) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                c.id,
                c.customer,
                c.when.isoformat(),
                json.dumps([list(t) for t in c.subject_terms], ensure_ascii=False),
                json.dumps([list(t) for t in c.text_terms], ensure_ascii=False),
                int(c.failing),
                c.lang,
            )
            for c in candidates
        ],
    )


def load_candidates(conn: sqlite3.Connection) -> list[incidents.IncidentCandidate]:
    """The incident reports :func:`save_candidates` kept."""
    return [
        incidents.IncidentCandidate(
            id=str(row[0]),
            customer=str(row[1]),
            when=datetime.fromisoformat(str(row[2])),
            subject_terms=[(str(a), str(b)) for a, b in json.loads(row[3])],
            text_terms=[(str(a), str(b)) for a, b in json.loads(row[4])],
            failing=bool(row[5]),
            lang=str(row[6]),
        )
        for row in conn.execute(
            "SELECT conversation_id, customer, reported_at, subject_terms, text_terms, failing, lang "
            "FROM incident_candidates"
        )
    ]


def finish_write(
    db: Database,
    tx: sqlite3.Connection,
    config: Config,
    account: AccountConfig,
    moment: datetime,
    seen: int,
    started: int,
    renames: dict[str, str],
    scoring_: Scoring,
) -> None:
    """The end of a refresh's write: settings it used, the change log it consumed, its key.

    The log entries up to ``seen`` (read with the refresh's snapshot) and those the write
    itself made (after ``started``) are dealt with; entries others wrote in between stay,
    and then the queue is not marked current.
    """
    StoredTriageConfig.save(db, config.triage, config.sla_settings(account))
    # Our address names the customer of contact-form mail; our Message-ID domain tells
    # copies of our own mail (store/ours.py).
    db.set_meta("triage_our_address", account.email.lower())
    db.set_meta("our_message_id_domain", message_id_domain(account))
    _save_found(db, scoring_)
    tx.execute("DELETE FROM triage_dirty WHERE seq <= ? OR seq > ?", (seen, started))
    left = tx.execute("SELECT EXISTS(SELECT 1 FROM triage_dirty)").fetchone()[0]
    if left:
        # What others changed meanwhile is logged as it was before this refresh: name the
        # conversations this refresh put those messages (and renamed state) in as well.
        tx.execute(
            "INSERT INTO triage_dirty(message, conversation_id, kind) "
            f"SELECT d.message, l.conversation, 'message' FROM triage_dirty d JOIN temp.{_SCRATCH_LINKS} l "
            "ON l.message = d.message"
        )
        tx.executemany(
            "INSERT INTO triage_dirty(conversation_id, kind) VALUES (?, 'state')",
            [(new,) for new in renames.values()],
        )
    db.set_meta("triage_refreshed", "" if left else _inputs_key(db, config, account))
    db.set_meta("triage_refreshed_at", iso(moment) or "")
    db.set_meta("triage_refreshed_for", config_fingerprint(config, account))


def rename_states(tx: sqlite3.Connection, renames: dict[str, str]) -> None:
    """Move manual state, notes and status facts to a conversation's new id."""
    for old, new in renames.items():
        tx.execute("UPDATE conversation_state SET conversation_id = ? WHERE conversation_id = ?", (new, old))
        tx.execute("UPDATE notes SET conversation_id = ? WHERE conversation_id = ?", (new, old))
        for table in ("followups", "tags", "tag_changes"):
            tx.execute(f"UPDATE {table} SET conversation_id = ? WHERE conversation_id = ?", (new, old))
    facts.rename_conversations(tx, renames)


def _refresh(db: Database, config: Config, account: AccountConfig, moment: datetime) -> RefreshResult:
    conn = db.conn
    # Rows that only the clock moves are moved in place first, as every reader does, so
    # the recompute finds them current and leaves them (and their place in the table) be.
    apply_clock(db, moment)
    _create_scratch(conn)
    try:
        # Both passes read one snapshot of the cache, whatever other processes write
        # meanwhile; their own writes go only to this connection's scratch tables.
        with _snapshot(conn):
            seen = dirty_mark(conn)
            mine = our_mail(conn, message_id_domain(account))
            members = _thread(conn, account, mine)
            message_count = sum(len(rowids) for _, rowids in members)
            states = load_states(conn)
            followups = load_followups(conn)
            tags = load_tags(conn)
            renames = _renamed_states(members, _old_links(conn), states)
            for old, new in renames.items():
                states[new] = states.pop(old)
            work = Scoring.start(config, account, moment, states)
            work.followups, work.tags, work.handovers = followups, tags, load_handovers(conn)
            work.rename(renames)
            score_conversations(conn, account, mine, members, work)
            conversation_count = len(members)
            del members
            tracked = track_incidents(conn, work.candidates, work, reuse=False)
            active = [t for t in tracked if t.status == incidents.ACTIVE]
            apply_incidents(conn, active, work, {})

        with db.transaction() as tx:
            started = dirty_mark(tx)
            rename_states(tx, renames)
            _write_conversations(tx)
            tx.execute("DELETE FROM conversation_keys")
            tx.execute(
                "INSERT OR IGNORE INTO conversation_keys(key, conversation_id) "
                f"SELECT key, conversation FROM temp.{_SCRATCH_KEYS}"
            )
            save_candidates(tx, work.candidates, None)
            existing = {str(r[0]) for r in tx.execute("SELECT id FROM conversations")}
            incident_store.save(tx, tracked, existing, moment)
            facts.record_after_refresh(tx, account, f"temp.{_SCRATCH_LINKS}", now=moment)
            tx.execute(
                "UPDATE messages SET conversation_id = NULL "
                "WHERE conversation_id IS NOT NULL AND folder_id IN "
                f"(SELECT id FROM folders WHERE role NOT IN ({', '.join('?' * len(THREADED_ROLES))}))",
                THREADED_ROLES,
            )
            keep_subjects(tx)
            finish_write(db, tx, config, account, moment, seen, started, renames, work)
    finally:
        _drop_scratch(conn)
    suspects = refresh_junk_verdicts(db, account)
    outcome = RefreshResult(conversation_count, message_count, len(active), suspects)
    db.set_meta("triage_last_result", json.dumps(dataclasses.asdict(outcome)))
    return outcome


def _thread(
    conn: sqlite3.Connection, account: AccountConfig, mine: OurMail
) -> list[tuple[str, tuple[int, ...]]]:
    """Pass 1: each conversation's id and its message row ids (oldest first).

    Threading runs on the few columns it reads; only the ids (and keys) are kept from it.
    """
    members = thread_members(conn, iter_threads(_load(conn, account, mine), load_overrides(conn)))
    gc.collect()
    return members


def _complete(
    row: dict[str, Any],
    score: scoring.Score,
    incident: tuple[str, str] | None,  # (id, reason line)
    states: dict[str, State],
    cfg: TriageConfig,
    policy: sla.Policy,
    moment: datetime,
    followups: dict[str, FollowUp] | None = None,
) -> tuple[Any, ...]:
    """The stored row (in :data:`_CONVERSATION_COLUMNS` order) of a summarised conversation."""
    row.pop("named_by", None)
    reasons = [*row.pop("notes", ()), *score.reasons]
    if row.pop("acknowledged", False):
        reasons.append(ACKNOWLEDGED)
    base_urgency, base_band = score.urgency, score.band
    if incident is not None:
        reasons.insert(0, incident[1])
        base_urgency += incidents.INCIDENT_POINTS
        base_band = max(base_band, sla.BAND_INCIDENT)
    state = states.get(row["id"])
    row.update(
        reasons=json.dumps(reasons, ensure_ascii=False),
        incident_id=incident[0] if incident else None,
        base_urgency=base_urgency,
        base_band=base_band,
        assigned_to=state.assigned_to if state else None,
    )
    last_customer_at = parse_time(row["last_customer_at"])
    last_agent_at = parse_time(row["last_agent_at"])

    def compute(manual: State | None, lifted_close_at: datetime | None) -> dict[str, Any]:
        return status_fields(
            derived=row["derived_status"],
            state=manual,
            last_customer_at=last_customer_at,
            last_agent_at=last_agent_at,
            last_message_at=parse_time(row["last_message_at"]),
            unanswered_since=parse_time(row["unanswered_since"]),
            base_band=base_band,
            base_urgency=base_urgency,
            config=cfg,
            policy=policy,
            customer_email=row["customer_email"],
            first_message_at=parse_time(row["first_message_at"]),
            now=moment,
            lifted_close_at=lifted_close_at,
        )

    row.update(
        with_followup(
            compute,
            state,
            (followups or {}).get(row["id"]),
            last_customer_at=last_customer_at,
            last_agent_at=last_agent_at,
            reminder_days=cfg.pending_reminder_days,
            order=cfg.order,
            now=moment,
        )
    )
    return tuple(row[c] for c in _CONVERSATION_COLUMNS)


def apply_incidents(
    conn: sqlite3.Connection,
    active: Sequence[incidents.Tracked],
    scoring_: Scoring,
    elsewhere: dict[str, str],
) -> None:
    """Complete the scratch rows of the members of ``active`` incidents again, with their incident.

    ``elsewhere`` gives the customer of members whose rows are not in the scratch table
    (a partial refresh left them as they are): they count in the reason line.
    """
    select = f"SELECT {', '.join(_CONVERSATION_COLUMNS)} FROM temp.{_SCRATCH_ROWS} WHERE id = ?"
    replaced = []
    for incident in active:
        rows = []
        others = set()
        for cid in incident.members:
            stored = conn.execute(select, (cid,)).fetchone()
            if stored is not None:
                rows.append(dict(zip(_CONVERSATION_COLUMNS, stored, strict=True)))
            elif cid in elsewhere:
                others.add(elsewhere[cid])
        customers = len({row["customer_email"] for row in rows} | others)
        reason = incidents.reason_line(customers, incident.title, incident.last_at - incident.first_at)
        for row in rows:
            score = scoring.Score(
                urgency=row["base_urgency"],
                band=row["base_band"],
                reasons=json.loads(row["reasons"]),
                keywords=[],
            )
            replaced.append(
                _complete(
                    row,
                    score,
                    (incident.id, reason),
                    scoring_.states,
                    scoring_.cfg,
                    scoring_.policy,
                    scoring_.moment,
                    scoring_.followups,
                )
            )
    conn.executemany(_INSERT_SCRATCH_ROW, replaced)


def _score_one(
    row: dict[str, Any],
    unanswered: list[_Message],
    last: _Message | None,
    bodies: dict[int, _Body],
    cfg: TriageConfig,
    matcher: keywords.KeywordMatcher,
    states: dict[str, State],
    cutoff: datetime,
    candidates: list[incidents.IncidentCandidate],
) -> scoring.Score:
    """Score one conversation; one whose customer reported a problem since ``cutoff`` joins ``candidates``.

    Answered conversations stay candidates: answering one customer does not end an outage.
    Conversations closed by hand do not. Automated mail never gets here: ``unanswered`` and
    ``last`` are a person's messages (:func:`_summarise`).
    """
    waiting = [(m, bodies[m.rowid]) for m in unanswered if m.rowid in bodies]
    facts = scoring.ConversationFacts(
        id=row["id"],
        customer_email=row["customer_email"],
        subject=row["subject"],
        waiting_texts=[(m.subject, body.text) for m, body in waiting],
        followups=row["followups"],
        high_priority=any(_is_high(body.priority) for _, body in waiting),
    )
    result = scoring.score(facts, cfg, matcher)
    report = unanswered[0] if unanswered else last
    body = bodies.get(report.rowid) if report is not None else None
    if report is None or report.when is None or report.when < cutoff or body is None:
        return result
    state = states.get(row["id"])
    if state is not None and state.status == "closed":
        return result
    # An incident is a failure several customers report: an urgent keyword alone ("cancel",
    # "legal", "refund") makes a message urgent, not a report of something broken.
    judged = scoring.read_report(report.subject, body.text)
    if judged.is_problem:
        written, text = report.subject or "", body.text
        if report.relayed:
            # A contact form's subject is the website's ("New message from the contact
            # form"), the same for everyone who uses it: what it is about is in its fields.
            written, text = form_subject(text), form_message(text) or text
        subject = normalize_subject(written) if not report.relayed else written
        # The first sentence says what is wrong; details and sign-offs only add noise.
        opening = first_sentence(text)
        lang = keywords.language_of(f"{subject} {body.text}", keywords.words(f"{subject} {body.text}"))
        candidates.append(
            incidents.IncidentCandidate(
                id=row["id"],
                customer=row["customer_email"],
                when=report.when,
                subject_terms=incidents.subject_terms(subject, lang, written),
                text_terms=incidents.report_terms(opening, lang),
                failing=judged.says_it_fails,
                lang=lang,
            )
        )
    return result


def _summarise(
    conversation_id: str, messages: list[_Message]
) -> tuple[dict[str, Any], list[_Message], _Message | None]:
    """The clock-independent columns of one conversation, its unanswered messages, the customer's last.

    Automated mail (:mod:`supportinbox.domain.automated`) is not a customer writing: an
    out-of-office neither reopens a conversation nor waits for an answer, and a conversation
    of automated mail only is ``automated``, out of the open queue and its SLA. A bounce of
    our latest reply reopens the conversation and says so: the customer never got it.
    """
    theirs = [m for m in messages if not m.from_us]
    customer = [m for m in theirs if not m.automated]
    # Our automatic acknowledgements answer nothing: the customer still waits for a person.
    agent = [m for m in messages if m.from_us and not m.automated]
    acknowledged = any(m.from_us and m.automated for m in messages)
    last_customer = customer[-1] if customer else None
    last_customer_at = last_customer.when if last_customer else None
    last_agent_at = max((m.when for m in agent if m.when), default=None)
    derived = derive_status(last_customer_at, last_agent_at, bool(last_customer and last_customer.answered))
    unanswered = (
        [m for m in customer if last_agent_at is None or (m.when is not None and m.when > last_agent_at)]
        if derived == "open"
        else []
    )
    unanswered_since = unanswered[0].when if unanswered else None
    notes: list[str] = []
    if not customer and not agent and theirs:
        derived = AUTOMATED
        notes.append(theirs[-1].automated.describe())
    bounced = _bounce_of_last_reply(messages)
    if bounced is not None and bounced.bounce is not None:
        notes.append(
            f"your reply to {bounced.bounce.recipient or 'the customer'} bounced: {bounced.bounce.reason}"
        )
        if derived == "pending":
            derived, unanswered_since = "open", bounced.when
    first = messages[0]
    email, name = _customer(customer, agent, theirs)
    # Whom our reply went to, by address only here: the name our To gave them is read after.
    named_by = next((m.rowid for m in agent if email and m.sent_to[:1] == (email,)), None)
    times = [m.when for m in messages if m.when]
    row = {
        "id": conversation_id,
        "subject": first.subject,
        "customer_email": email,
        "customer_name": name,
        "derived_status": derived,
        "first_message_at": iso(min(times)) if times else None,
        "last_message_at": iso(max(times)) if times else None,
        "last_customer_at": iso(last_customer_at),
        "last_agent_at": iso(last_agent_at),
        "message_count": len(messages),
        "unread_count": sum(1 for m in theirs if not m.seen),
        "followups": max(0, len(unanswered) - 1),
        "unanswered_since": iso(unanswered_since),
        "notes": notes,
        "named_by": None if customer or name else named_by,
        # Said after the other reasons: the customer still waits for a person.
        "acknowledged": acknowledged and not agent,
    }
    return row, unanswered, last_customer


def _customer(customer: list[_Message], agent: list[_Message], theirs: list[_Message]) -> tuple[str, str]:
    """(address, name) of the conversation's customer: whom its customer mail stands for.

    Mail that is no person writing (a bounce, an auto-reply) and our own mail never are
    the customer. With no customer mail left (another client deleted or moved it), the
    customer is whom our replies went to, so a reply follows them there and never answers
    a mailer daemon. Automated mail alone (a newsletter, a notification) is shown by its
    sender's name, never greeted.
    """
    if customer:
        email = next((m.customer.email for m in customer if m.customer), "")
        name = next(
            (m.customer.name for m in reversed(customer) if m.customer.email == email and m.customer.name), ""
        )
        return email, name
    email = next((m.sent_to[0] for m in agent if m.sent_to), "")
    if email:
        return email, ""
    if not agent and theirs:
        email = next((m.customer.email for m in theirs if m.customer), "")
        named = next(
            (m.customer.name for m in reversed(theirs) if m.customer.email == email and m.customer.name), ""
        )
        return email, (named if email else theirs[0].sender_name)
    return "", ""


def _names_from_our_mail(conn: sqlite3.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """The customer's name as our reply's To gave it, for conversations with no mail of theirs
    left (few: their headers are read only for them)."""
    if not rows:
        return
    wanted = {int(row["named_by"]): row for row in rows}
    select = "SELECT id, raw_headers FROM messages WHERE id"
    for rowid, raw in _rows_by_id(conn, select, sorted(wanted)):
        row = wanted[int(rowid)]
        try:  # the default policy decodes encoded words in names
            headers = HeaderParser(policy=email_policy.default).parsestr(str(raw or ""), headersonly=True)
            found = [
                a.display_name
                for field in ("To", "Cc")
                for header in headers.get_all(field, [])
                for a in getattr(header, "addresses", ())
                if a.display_name and a.addr_spec.lower() == row["customer_email"]
            ]
        except (ValueError, TypeError, IndexError, AttributeError):
            found = []  # a header too broken to read names from: the address alone
        row["customer_name"] = one_line(found[0], limit=200) if found else ""


def _bounce_of_last_reply(messages: list[_Message]) -> _Message | None:
    """The newest bounce of one of our replies here, if neither we nor its address wrote since."""
    said = [
        Said(
            ours=m.from_us,
            person=not m.automated,
            sender=m.customer.email,
            message_id=m.message_id,
            bounce=m.bounce,
        )
        for m in messages
    ]
    found = bounced_reply(said)
    return messages[found] if found is not None else None


def _is_high(priority: int | None) -> bool:
    """X-Priority 1-2 / Importance: high."""
    return priority is not None and priority <= 2


def _renamed_states(
    members: Sequence[tuple[str, Sequence[int]]], old_links: dict[int, str], states: dict[str, State]
) -> dict[str, str]:
    """Old conversation ids with manual state whose messages now form a thread with a new id.

    ``members`` is each conversation's id with its message row ids.
    """
    new_ids = {cid for cid, _ in members}
    renames: dict[str, str] = {}
    for cid, rowids in members:
        if cid in states:
            continue
        for rowid in rowids:
            old = old_links.get(rowid)
            if old and old != cid and old in states and old not in new_ids and old not in renames:
                renames[old] = cid
                break
    return renames


@overload
def recompute(
    db: Database, config: Config, account: AccountConfig, moment: datetime, *, partial: bool
) -> RefreshResult: ...


@overload
def recompute(
    db: Database, config: Config, account: AccountConfig, moment: datetime, *, partial: bool, full: bool
) -> RefreshResult | None: ...


def recompute(
    db: Database,
    config: Config,
    account: AccountConfig,
    moment: datetime,
    *,
    partial: bool,
    full: bool = True,
) -> RefreshResult | None:
    """Run a refresh now: the partial one when ``partial`` and it can, else the full one
    (or none, returning None, when not ``full``)."""
    from supportinbox.store.triage_incremental import refresh_changed

    with _refreshing(db):
        with db.transaction() as tx:
            carry_merged(tx)
        outcome = refresh_changed(db, config, account, moment) if partial else None
        if outcome is None and full:
            outcome = _refresh(db, config, account, moment)
    return outcome
