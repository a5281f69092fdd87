"""The partial refresh gives the cache the full refresh gives, on random change sequences.

Each example builds a small mailbox, then applies random changes as a sync, a user and
teammates make them: new mail, our replies, customer replies that thread by headers or
only by subject, a reply arriving before the message it answers, flags, expunges, mail
moved to Junk, a copy of our mail becoming ours through the outbox, statuses, snoozes,
assignments, conversations merged and split by hand, incidents reported by several customers
and closed by hand, time passing.
At each refresh the cache is copied; the copy gets the full rebuild, the original the
partial refresh, and every table the refresh writes must come out the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportinbox.config import AccountConfig, Config, parse_config
from supportinbox.domain.threading import MERGE, SPLIT
from supportinbox.store import conversations as cv
from supportinbox.store import incidents as incident_store
from supportinbox.store import threadlinks, triage_incremental
from supportinbox.store.db import Database, open_database
from tests.store.factories import NOW, add_message

CONFIG = """
[accounts.support]
email = "support@acme.test"
username = "support"
imap_host = "127.0.0.1"

[triage]
sla_hours = 24
incident_min_customers = 2
"""
CUSTOMERS = ("lina@c.test", "omar@c.test", "sara@d.test", "noreply@e.test")
SUBJECTS = (
    "PDF export is broken",
    "Export to PDF fails",
    "Invoice for March",
    "Cannot log in",
    "لا يعمل التطبيق",
)
BODIES = (
    "Hi, the PDF export is broken since this morning, error 502.",
    "Export to PDF fails with an error every time.",
    "Could you send the invoice again? Thanks",
    "Thank you, that fixed it.",
    "URGENT: login is not working for our whole team",
)

# What the refresh writes, each read in a fixed order (rowids of conversations included:
# they order ties in the queue).
TABLES = {
    "conversations": "SELECT rowid, * FROM conversations ORDER BY id",
    "links": "SELECT id, conversation_id FROM messages ORDER BY id",
    "state": "SELECT * FROM conversation_state ORDER BY conversation_id",
    "incidents": "SELECT * FROM incidents ORDER BY id",
    "members": "SELECT incident_id, conversation_id, joined_order FROM incident_members ORDER BY 1, 2",
    "reports": "SELECT * FROM incident_candidates ORDER BY conversation_id",
    "keys": "SELECT * FROM conversation_keys ORDER BY key, conversation_id",
    "facts": "SELECT key, conversation_id, kind, at, agent, customer FROM support_events ORDER BY key",
    "junk": "SELECT * FROM junk_verdicts ORDER BY message_rowid",
    "tags": "SELECT * FROM tags ORDER BY conversation_id, tag",
    "result": "SELECT value FROM meta WHERE key = 'triage_last_result'",
}

Change = tuple[str, int, int, int]
changes = st.lists(
    st.tuples(
        st.sampled_from(
            (
                "new",
                "new",
                "our reply",
                "customer reply",
                "reply by subject",
                "orphan",
                "parent",
                "flag",
                "flag",
                "expunge",
                "junk",
                "outbox",
                "status",
                "assign",
                "close incident",
                "merge",
                "split",
                "time",
                "refresh",
                "refresh",
            )
        ),
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(0, 600),
    ),
    min_size=3,
    max_size=18,
)


def make_config() -> tuple[Config, AccountConfig]:
    config = parse_config(CONFIG)
    return config, config.account()[1]


@dataclass
class Mailbox:
    db: Database
    tmp: Path
    config: Config
    account: AccountConfig
    now: datetime = NOW
    made: int = 0
    ghosts: list[str] = field(default_factory=list)
    partial: int = 0  # refreshes the partial path did (not handed to the full one)

    def messages(self) -> list[tuple[int, str, str, str]]:
        return [
            (int(r[0]), str(r[1] or ""), str(r[2]), str(r[3]))
            for r in self.db.conn.execute(
                "SELECT id, message_id, subject, from_addr FROM messages ORDER BY id"
            )
        ]

    def first_message_id(self, conversation: str) -> str:
        row = self.db.conn.execute(
            "SELECT message_id FROM messages WHERE conversation_id = ? AND message_id IS NOT NULL "
            "ORDER BY date, id LIMIT 1",
            (conversation,),
        ).fetchone()
        return str(row[0]) if row else ""

    def conversations(self) -> list[str]:
        return [str(r[0]) for r in self.db.conn.execute("SELECT id FROM conversations ORDER BY id")]

    def mail(self, a: int, b: int, minutes: int, **kwargs: object) -> None:
        self.made += 1
        sender = CUSTOMERS[a % len(CUSTOMERS)]
        defaults: dict[str, object] = {
            "message_id": f"<m{self.made}@c.test>",
            "sender": sender,
            "name": sender.split("@")[0].title(),
            "subject": SUBJECTS[b % len(SUBJECTS)],
            "body": BODIES[(a + b) % len(BODIES)],
            "when": self.now - timedelta(minutes=minutes),
        }
        defaults.update(kwargs)
        add_message(self.db, **defaults)  # type: ignore[arg-type]

    def apply(self, change: Change) -> None:
        kind, a, b, c = change
        messages = self.messages()
        target = messages[a % len(messages)] if messages else None
        conversations = self.conversations()
        conversation = conversations[a % len(conversations)] if conversations else None
        db = self.db
        if kind == "new":
            self.mail(a, b, c)
        elif kind == "our reply" and target:
            self.made += 1
            add_message(
                db,
                folder="Sent",
                message_id=f"<r{self.made}@acme.test>",
                in_reply_to=target[1] or None,
                references=(target[1],) if target[1] else (),
                sender="support@acme.test",
                name="Acme Support",
                to=(target[3],),
                subject=f"Re: {target[2]}",
                body="We are on it.",
                when=self.now - timedelta(minutes=c % 60),
                flags="\\Seen",
            )
        elif kind == "customer reply" and target:
            self.mail(
                a, b, c % 90, in_reply_to=target[1] or None, references=(target[1],) if target[1] else ()
            )
        elif kind == "reply by subject" and target:
            self.mail(a, b, c % 90, sender=target[3], subject=f"Re: {target[2]}")
        elif kind == "orphan":
            ghost = f"<ghost{self.made}@c.test>"
            self.ghosts.append(ghost)
            self.mail(a, b, c % 120, in_reply_to=ghost, references=(ghost,))
        elif kind == "parent" and self.ghosts:
            ghost = self.ghosts.pop(a % len(self.ghosts))
            self.mail(a, b, c + 200, message_id=ghost)
        elif kind == "flag" and target:
            flags = ("", "\\Seen", "\\Answered \\Seen", "\\Answered")[b % 4]
            with db.transaction() as tx:
                tx.execute("UPDATE messages SET flags = ? WHERE id = ?", (flags, target[0]))
        elif kind == "expunge" and target:
            with db.transaction() as tx:
                tx.execute("DELETE FROM messages WHERE id = ?", (target[0],))
        elif kind == "junk" and target:
            with db.transaction() as tx:
                junk = tx.execute("SELECT id FROM folders WHERE role = 'junk'").fetchone()
                if junk is None:
                    junk = tx.execute(
                        "INSERT INTO folders(name, role) VALUES ('Junk', 'junk') RETURNING id"
                    ).fetchone()
                tx.execute("UPDATE messages SET folder_id = ? WHERE id = ?", (junk[0], target[0]))
        elif kind == "outbox" and target and target[1]:
            with db.transaction() as tx:
                tx.execute(
                    "INSERT OR IGNORE INTO outbox(message_id, recipients, raw, created_at, status) "
                    "VALUES (?, 'x@c.test', x'00', ?, 'sent')",
                    (target[1], self.now.isoformat()),
                )
        elif kind == "status" and conversation:
            status = ("open", "pending", "closed", "snoozed")[b % 4]
            until = self.now + timedelta(minutes=c + 1) if status == "snoozed" else None
            cv.set_status(db, conversation, status, agent="alice", snoozed_until=until, now=self.now)
        elif kind == "assign" and conversation:
            # As the team hook stores a teammate's change: the state row, then the rows it moves.
            with db.transaction() as tx:
                tx.execute(
                    "INSERT INTO conversation_state(conversation_id, assigned_to, updated_at, updated_by) "
                    "VALUES (?, ?, ?, 'bob') ON CONFLICT(conversation_id) DO UPDATE SET "
                    "assigned_to = excluded.assigned_to, updated_at = excluded.updated_at",
                    (conversation, ("bob", "carol", None)[b % 3], self.now.isoformat()),
                )
            cv.reapply_state(db, [conversation], now=self.now)
        elif kind == "merge" and len(conversations) > 1:
            into, joins = conversations[a % len(conversations)], conversations[b % len(conversations)]
            first, other = self.first_message_id(into), self.first_message_id(joins)
            if into != joins and first and other:
                link = threadlinks.Link(
                    MERGE, other, first, joins, into, "bob", self.now.isoformat(), f"m{c}{a}{b}"
                )
                with db.transaction() as tx:
                    threadlinks.record(tx, link)
        elif kind == "split" and conversation:
            ids = [
                str(r[0] or "")
                for r in db.conn.execute(
                    "SELECT message_id FROM messages WHERE conversation_id = ? ORDER BY date, id",
                    (conversation,),
                )
            ]
            anchor = ids[1 + b % (len(ids) - 1)] if len(ids) > 1 else ""
            if anchor:
                link = threadlinks.Link(
                    SPLIT, anchor, "", conversation, "", "bob", self.now.isoformat(), f"s{c}{a}{b}"
                )
                with db.transaction() as tx:
                    threadlinks.record(tx, link)
        elif kind == "close incident":
            open_ones = [i.id for i in incident_store.list_incidents(db)]
            if open_ones:
                incident_store.close_incident(db, open_ones[a % len(open_ones)], now=self.now)
        elif kind == "time":
            # Mostly minutes; now and then past the hour after which even unchanged input is
            # looked at again, or days (incidents go quiet, reports leave the look-back).
            self.now += timedelta(minutes=c) if b % 4 else timedelta(hours=c % 200)
        elif kind == "refresh":
            self.compare()

    def compare(self) -> None:
        copy_path = self.tmp / f"full-{self.made}-{self.now.timestamp():.0f}.sqlite3"
        copy_path.unlink(missing_ok=True)
        target = sqlite3.connect(copy_path)
        self.db.conn.backup(target)
        target.close()
        full = open_database(copy_path)
        try:
            expected = cv.rebuild_conversations(full, self.config, self.account, now=self.now)
            got = cv.refresh_conversations(self.db, self.config, self.account, now=self.now)
            assert got == expected, (got, expected)
            for name, select in TABLES.items():
                partial = [tuple(r) for r in self.db.conn.execute(select)]
                rebuilt = [tuple(r) for r in full.conn.execute(select)]
                assert partial == rebuilt, (
                    name,
                    [r for r in partial if r not in rebuilt],
                    [r for r in rebuilt if r not in partial],
                )
            # And what readers are shown: the queue in order, every view.
            for status in ("open", "pending", "snoozed", "closed", "all"):
                shown = [c.id for c in cv.list_queue(self.db, status=status, limit=1000, now=self.now)]
                assert shown == [c.id for c in cv.list_queue(full, status=status, limit=1000, now=self.now)]
        finally:
            full.close()
            copy_path.unlink(missing_ok=True)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Records, for each refresh, whether the partial path did it."""
    ran: list[bool] = []
    real = triage_incremental.refresh_changed

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        outcome = real(*args, **kwargs)
        ran.append(outcome is not None)
        return outcome

    monkeypatch.setattr(triage_incremental, "refresh_changed", counted)
    yield ran


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 3000)), max_size=6),
    steps=changes,
)
def test_partial_refresh_equals_the_full_rebuild(
    tmp_path_factory: pytest.TempPathFactory,
    counting: list[bool],
    seed: list[tuple[int, int, int]],
    steps: list[Change],
) -> None:
    tmp = tmp_path_factory.mktemp("incremental")
    config, account = make_config()
    db = open_database(tmp / "cache.sqlite3")
    try:
        box = Mailbox(db, tmp, config, account)
        for a, b, minutes in seed:
            box.mail(a, b, minutes)
        cv.refresh_conversations(db, config, account, now=box.now)
        counting.clear()
        for step in steps:
            box.apply(step)
        box.compare()
        # Every refresh after the first took the partial path (the full one is the reference).
        assert all(counting)
    finally:
        db.close()


def test_the_partial_path_does_the_refreshes(tmp_path: Path, counting: list[bool]) -> None:
    """The differential test above compares something: after the first, refreshes are partial."""
    config, account = make_config()
    db = open_database(tmp_path / "cache.sqlite3")
    try:
        box = Mailbox(db, tmp_path, config, account)
        for i in range(6):
            box.mail(i, i, 30 * i)
        cv.refresh_conversations(db, config, account, now=box.now)
        assert counting == [False]  # the first refresh is a full one
        counting.clear()
        for change in (
            ("new", 1, 0, 5),
            ("refresh", 0, 0, 0),
            ("customer reply", 2, 1, 3),
            ("flag", 3, 1, 0),
            ("refresh", 0, 0, 0),
            ("status", 1, 2, 0),
            ("expunge", 0, 0, 0),
            ("refresh", 0, 0, 0),
        ):
            box.apply(change)
        assert counting and all(counting)
    finally:
        db.close()


def test_reports_are_grouped_again_only_when_they_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportinbox.domain import incidents

    grouped: list[int] = []
    real = incidents.find_incidents

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        grouped.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(incidents, "find_incidents", counted)
    config, account = make_config()
    db = open_database(tmp_path / "cache.sqlite3")
    try:
        box = Mailbox(db, tmp_path, config, account)
        for i in range(3):
            box.mail(i, 0, 20 * i)  # three customers: "PDF export is broken"
        cv.refresh_conversations(db, config, account, now=box.now)
        assert [i.title for i in incident_store.list_incidents(db)]
        grouped.clear()
        box.apply(("flag", 1, 1, 0))
        box.compare()  # the full rebuild of the copy groups; the partial refresh does not
        assert grouped == [1]
        box.apply(("new", 1, 1, 5))  # another report of the outage
        box.compare()
        assert grouped == [1, 1, 1]
    finally:
        db.close()


def test_state_written_again_unchanged_leaves_the_queue_current(tmp_path: Path) -> None:
    """A teammate sync that rewrites a state row as it was (or only its server sequence) changes nothing."""
    config, account = make_config()
    db = open_database(tmp_path / "cache.sqlite3")
    try:
        box = Mailbox(db, tmp_path, config, account)
        box.mail(0, 0, 5)
        cv.refresh_conversations(db, config, account, now=box.now)
        box.apply(("assign", 0, 0, 0))
        assert cv.refresh_if_stale(db, config, account, now=box.now)
        with db.transaction() as tx:
            tx.execute("UPDATE conversation_state SET modseq = 7, assigned_to = assigned_to")
        assert not cv.refresh_if_stale(db, config, account, now=box.now)
        with db.transaction() as tx:
            tx.execute("UPDATE conversation_state SET assigned_to = 'carol'")
        assert cv.refresh_if_stale(db, config, account, now=box.now)
    finally:
        db.close()


def test_a_bounded_refresh_takes_no_more_than_it_is_given(tmp_path: Path) -> None:
    """``refresh_within`` (the rounds beside a large fetch) recomputes a small change, a
    first refresh of a small cache, or nothing: never a large change nor a whole large cache."""
    from supportinbox.store.triage_fresh import refresh_within

    config, account = make_config()
    db = open_database(tmp_path / "cache.sqlite3")
    try:
        box = Mailbox(db, tmp_path, config, account)
        for i in range(6):
            box.mail(i, i, 50 - i)
        # A first refresh is a full one: of 6 messages within 5, not done.
        assert refresh_within(db, config, account, box.now, 5) is None
        assert box.conversations() == []
        assert refresh_within(db, config, account, box.now, 6) is True
        assert len(box.conversations()) > 0
        assert refresh_within(db, config, account, box.now, 6) is False  # current

        for i in range(4):
            box.mail(i, i + 1, 10 - i)
        # Four new messages: a partial refresh of them within 4, not within 3.
        before = box.conversations()
        assert refresh_within(db, config, account, box.now, 3) is None
        assert box.conversations() == before
        assert db.conn.execute("SELECT COUNT(*) FROM triage_dirty").fetchone()[0] == 4
        assert refresh_within(db, config, account, box.now, 4) is True
        assert db.conn.execute("SELECT COUNT(*) FROM triage_dirty").fetchone()[0] == 0
        box.compare()  # the same as a full rebuild
    finally:
        db.close()
