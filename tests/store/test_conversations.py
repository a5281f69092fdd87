"""The conversation store on a temporary cache: refresh, queue order, status, search."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, Config, parse_config
from supportinbox.domain import sla
from supportinbox.errors import NotFound, UserError
from supportinbox.store import conversations as cv
from supportinbox.store.db import Database, open_database
from tests.store.factories import NOW, add_message, add_raw, at

CONFIG = """
[accounts.support]
email = "support@acme.test"
username = "support"
imap_host = "127.0.0.1"

[triage]
sla_hours = 24
order = "{order}"
vip_senders = ["@vip.test"]

# These tests are about the guard, not the first-reply promise: one 24 h target for both.
[sla]
first_reply = "24h"
"""


def make_config(order: str = "newest") -> tuple[Config, AccountConfig]:
    config = parse_config(CONFIG.format(order=order))
    return config, config.account()[1]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    try:
        yield database
    finally:
        database.close()


def refresh(db: Database, order: str = "newest", now=NOW) -> None:  # type: ignore[no-untyped-def]
    config, account = make_config(order)
    cv.refresh_conversations(db, config, account, now=now)


def queue_ids(db: Database, **kwargs: object) -> list[str]:
    return [c.subject for c in cv.list_queue(db, now=kwargs.pop("now", NOW), **kwargs)]  # type: ignore[arg-type]


def reply(
    db: Database, to_mid: str, *, hours: float, subject: str = "Re: x", to: str = "lina@customer.test"
) -> None:
    add_message(
        db,
        folder="Sent",
        message_id=f"<reply-{to_mid.strip('<>')}-{hours}@acme.test>",
        in_reply_to=to_mid,
        references=(to_mid,),
        sender="support@acme.test",
        name="Acme Support",
        to=(to,),
        subject=subject,
        when=at(hours),
    )


def test_sla_guard_lifts_a_breached_question_above_fresh_normal_ones_but_not_above_urgent(
    db: Database,
) -> None:
    add_message(db, message_id="<old@c>", sender="old@c.test", subject="Old question", when=at(30))
    add_message(db, message_id="<fresh@c>", sender="new@c.test", subject="URGENT refund", when=at(0.5))
    add_message(db, message_id="<plain@c>", sender="p@c.test", subject="Plain", when=at(0.2))
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert [(r.subject, r.band) for r in rows] == [
        ("URGENT refund", sla.BAND_URGENT),
        ("Old question", sla.BAND_BREACHED),
        ("Plain", sla.BAND_NORMAL),
    ]
    assert rows[0].reasons == ["'urgent' in subject", "'refund' in subject"]
    assert rows[1].reasons[0] == "first reply overdue by 6h (target 1d)"


def test_an_incident_outranks_breached_routine_questions(db: Database) -> None:
    questions = ("How do I export to CSV", "Change the billing address", "Add a teammate")
    for i, subject in enumerate(questions):
        add_message(db, message_id=f"<q{i}@c>", sender=f"q{i}@q.test", subject=subject, when=at(40 + i))
    for i, hours in enumerate((3.5, 2.5, 1.5, 0.5)):
        add_message(db, message_id=f"<o{i}@c>", sender=f"ops@c{i}.test", subject="API outage", when=at(hours))
    add_message(db, message_id="<v@c>", sender="boss@vip.test", subject="Invoice copy", when=at(0.1))
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert [r.band for r in rows] == [sla.BAND_INCIDENT] * 4 + [sla.BAND_URGENT] + [sla.BAND_BREACHED] * 3
    assert rows[0].reasons[0] == "incident: 4 customers report 'api' in 3h"
    assert rows[4].subject == "Invoice copy"
    # Past the SLA, the longest-waiting first, even with "newest first" configured.
    assert [r.subject for r in rows[5:]] == list(reversed(questions))
    # is:urgent means urgent wording, VIP, priority or an incident; lateness alone is not urgency.
    assert len(cv.search(db, "is:urgent", now=NOW)) == 5


def test_an_urgent_conversation_keeps_its_band_when_its_sla_passes(db: Database) -> None:
    add_message(db, message_id="<u@c>", sender="u@c.test", subject="Refund please", when=at(10))
    add_message(db, message_id="<n@c>", sender="n@c.test", subject="Newer", when=at(1))
    refresh(db)
    assert [(r.subject, r.band) for r in cv.list_queue(db, now=NOW)] == [
        ("Refund please", sla.BAND_URGENT),
        ("Newer", sla.BAND_NORMAL),
    ]
    # The clock alone (no refresh) moves it through the warning and past the SLA.
    for later, level in (
        (NOW + timedelta(hours=9), "due in 5h"),
        (NOW + timedelta(hours=15), "overdue by 1h"),
    ):
        rows = cv.list_queue(db, now=later)
        assert (rows[0].subject, rows[0].band) == ("Refund please", sla.BAND_URGENT)
        assert level in rows[0].reasons[0]
    # A full refresh at that time agrees with the clock step.
    refresh(db, now=NOW + timedelta(hours=15))
    rows = cv.list_queue(db, now=NOW + timedelta(hours=15))
    assert [(r.subject, r.band) for r in rows] == [
        ("Refund please", sla.BAND_URGENT),
        ("Newer", sla.BAND_NORMAL),
    ]


def test_an_urgent_conversation_past_its_sla_goes_ahead_of_fresh_urgent_ones(db: Database) -> None:
    # "Newest first" catches writers at the keyboard, but nobody may starve past the SLA:
    # within the urgent band, the one that has waited past its SLA comes first.
    add_message(db, message_id="<late@c>", sender="late@c.test", subject="Refund please", when=at(20))
    add_message(db, message_id="<new@c>", sender="new@c.test", subject="Urgent: refund", when=at(0.5))
    refresh(db)
    assert [r.subject for r in cv.list_queue(db, now=NOW)] == ["Urgent: refund", "Refund please"]
    # The clock alone moves it ahead when its SLA passes (24 h after 20 h of waiting)...
    later = NOW + timedelta(hours=5)
    rows = cv.list_queue(db, now=later)
    assert [(r.subject, r.band) for r in rows] == [
        ("Refund please", sla.BAND_URGENT),
        ("Urgent: refund", sla.BAND_URGENT),
    ]
    by_clock = dict(db.conn.execute("SELECT subject, sort_key FROM conversations").fetchall())
    # ...to the very place a full refresh at that time puts it.
    refresh(db, now=later)
    assert dict(db.conn.execute("SELECT subject, sort_key FROM conversations").fetchall()) == by_clock
    assert [r.subject for r in cv.list_queue(db, now=later)] == ["Refund please", "Urgent: refund"]


def test_the_clock_moves_a_conversation_into_the_guard_without_a_refresh(db: Database) -> None:
    add_message(db, message_id="<a@c>", sender="a@c.test", subject="Aging", when=at(10))
    add_message(db, message_id="<b@c>", sender="b@c.test", subject="Newer", when=at(1))
    refresh(db)
    assert queue_ids(db) == ["Newer", "Aging"]
    later = NOW + timedelta(hours=9)  # Aging has waited 19 h of 24: past the 75 % warning
    rows = cv.list_queue(db, now=later)
    assert [r.subject for r in rows] == ["Aging", "Newer"]
    assert rows[0].reasons == ["first reply due in 5h"]


def test_the_guards_band_goes_by_the_nearest_deadline(db: Database) -> None:
    """Lifted because their SLA is near, the nearest goes first: newest first would leave the
    one 20 minutes from its deadline below one with 4 hours left."""
    for waited, subject in ((12, "Twelve"), (14, "Fourteen"), (16, "Sixteen"), (1, "Fresh")):
        add_message(
            db, message_id=f"<{subject}@c>", sender=f"{subject}@c.test", subject=subject, when=at(waited)
        )
    refresh(db)
    assert queue_ids(db) == ["Fresh", "Twelve", "Fourteen", "Sixteen"]  # newest first
    later = NOW + timedelta(hours=7, minutes=40)  # 19 h 40, 21 h 40 and 23 h 40 of 24
    rows = cv.list_queue(db, now=later)
    assert [(r.subject, r.band) for r in rows] == [
        ("Sixteen", sla.BAND_GUARD),
        ("Fourteen", sla.BAND_GUARD),
        ("Twelve", sla.BAND_GUARD),
        ("Fresh", sla.BAND_NORMAL),
    ]
    by_clock = dict(db.conn.execute("SELECT subject, sort_key FROM conversations").fetchall())
    refresh(db, now=later)  # the clock step put each where a full refresh puts it
    assert dict(db.conn.execute("SELECT subject, sort_key FROM conversations").fetchall()) == by_clock
    # Past the deadline the longest-waiting goes first, ahead of the band.
    much_later = NOW + timedelta(hours=8, minutes=30)
    assert [(r.subject, r.band) for r in cv.list_queue(db, now=much_later)][:2] == [
        ("Sixteen", sla.BAND_BREACHED),
        ("Fourteen", sla.BAND_GUARD),
    ]


def test_a_late_first_reply_is_said_but_newest_first_holds_until_the_reply_sla(db: Database) -> None:
    """The default 30 min first-reply promise marks and explains; only the 24 h guard reorders."""
    config = parse_config(CONFIG.format(order="newest").split("\n# These tests")[0])
    account = config.account()[1]
    add_message(db, message_id="<day@c>", sender="day@c.test", subject="Day old", when=at(30))
    add_message(db, message_id="<two@c>", sender="two@c.test", subject="Two hours", when=at(2))
    add_message(db, message_id="<new@c>", sender="new@c.test", subject="Fresh", when=at(5 / 60))
    cv.refresh_conversations(db, config, account, now=NOW)
    rows = cv.list_queue(db, now=NOW)
    assert [(r.subject, r.band, r.sla_level) for r in rows] == [
        ("Day old", sla.BAND_BREACHED, sla.LEVEL_BREACHED),
        ("Fresh", sla.BAND_NORMAL, sla.LEVEL_OK),
        ("Two hours", sla.BAND_NORMAL, sla.LEVEL_BREACHED),
    ]
    assert rows[0].reasons[0] == "first reply overdue by 1d 5h (target 30m)"
    assert rows[2].reasons[0] == "first reply overdue by 1h 30m (target 30m)"
    # The clock alone: Fresh's promise passes without moving it; 23 h later Two hours has
    # waited past the 24 h guard and Fresh past its warning share: both lifted.
    later = NOW + timedelta(hours=1)
    rows = cv.list_queue(db, now=later)
    assert [(r.subject, r.band, r.sla_level) for r in rows][1:] == [
        ("Fresh", sla.BAND_NORMAL, sla.LEVEL_BREACHED),
        ("Two hours", sla.BAND_NORMAL, sla.LEVEL_BREACHED),
    ]
    much_later = NOW + timedelta(hours=23)
    assert [(r.subject, r.band) for r in cv.list_queue(db, now=much_later)] == [
        ("Day old", sla.BAND_BREACHED),
        ("Two hours", sla.BAND_BREACHED),
        ("Fresh", sla.BAND_GUARD),
    ]
    # sla --check reads the promise: all three are overdue.
    assert {r.subject for r in cv.sla_watch(db, now=much_later)} == {"Day old", "Two hours", "Fresh"}


@pytest.mark.parametrize(("order", "expected"), [("newest", ["C", "B", "A"]), ("oldest", ["A", "B", "C"])])
def test_order_within_a_band(db: Database, order: str, expected: list[str]) -> None:
    for hours, subject in ((5, "A"), (3, "B"), (1, "C")):
        add_message(
            db, message_id=f"<{subject}@c>", sender=f"{subject}@c.test", subject=subject, when=at(hours)
        )
    refresh(db, order)
    assert queue_ids(db) == expected


def test_status_is_derived_from_who_wrote_last(db: Database) -> None:
    add_message(db, message_id="<a@c>", subject="Answered by us", sender="a@c.test", when=at(5))
    reply(db, "<a@c>", hours=4, to="a@c.test")
    add_message(
        db,
        message_id="<b@c>",
        subject="Flagged answered",
        sender="b@c.test",
        when=at(5),
        flags="\\Answered \\Seen",
    )
    add_message(db, message_id="<c@c>", subject="Waiting", sender="c@c.test", when=at(5))
    refresh(db)
    statuses = {c.subject: c.status for c in cv.list_queue(db, status="all", now=NOW)}
    assert statuses == {"Answered by us": "pending", "Flagged answered": "pending", "Waiting": "open"}
    detail = cv.get_conversation(db, cv.list_queue(db, status="pending", now=NOW, limit=10)[-1].id)
    assert detail.summary.message_count == len(detail.messages)


def test_closed_conversation_reopens_when_the_customer_writes_again(db: Database) -> None:
    add_message(db, message_id="<a@c>", subject="Thanks", when=at(5))
    refresh(db)
    ident = cv.list_queue(db, now=NOW)[0].id
    summary = cv.set_status(db, ident, "closed", agent="alice", now=at(4))
    assert summary.status == "closed"
    state = db.conn.execute("SELECT status, updated_by, updated_at FROM conversation_state").fetchone()
    assert tuple(state) == ("closed", "alice", "2026-11-20T08:00:00+00:00")
    assert queue_ids(db) == []
    refresh(db)
    assert queue_ids(db) == []  # still closed after a refresh
    add_message(
        db, message_id="<b@c>", in_reply_to="<a@c>", references=("<a@c>",), subject="Re: Thanks", when=at(1)
    )
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert [(r.id, r.status) for r in rows] == [(ident, "open")]
    # The queue says why it is back, with the close in local time as every moment is said:
    # 08:00 UTC is Thursday 22:00 in Honolulu, where it is Friday 02:00 now.
    said = {}
    for zone_name in ("UTC", "Pacific/Honolulu", "Asia/Tokyo"):
        with pytest.MonkeyPatch.context() as zone:
            zone.setenv("TZ", zone_name)
            time.tzset()
            (row,) = cv.list_queue(db, now=NOW)
            said[zone_name] = row.reasons[0]
    time.tzset()
    assert said == {
        "UTC": "reopened: the customer wrote after it was closed today 08:00",
        "Pacific/Honolulu": "reopened: the customer wrote after it was closed yesterday 22:00",
        "Asia/Tokyo": "reopened: the customer wrote after it was closed today 17:00",
    }
    with pytest.MonkeyPatch.context() as zone:
        zone.setenv("TZ", "UTC")
        time.tzset()
        (row,) = cv.list_queue(db, now=NOW + timedelta(days=3))
    time.tzset()
    assert row.reasons[0] == "reopened: the customer wrote after it was closed Fri 20 Nov 08:00"
    cv.set_status(db, ident, "closed", agent="alice", now=NOW)
    assert queue_ids(db) == []
    (closed,) = cv.list_queue(db, status="closed", now=NOW)
    assert not any(r.startswith("reopened") for r in closed.reasons)


def test_reopened_conversation_is_pending_once_we_answer_again(db: Database) -> None:
    """Closed, the customer writes again (open), we answer from any client: pending, nobody waits."""
    add_message(db, message_id="<a@c>", subject="Refund", when=at(30))
    add_message(
        db,
        folder="Sent",
        message_id="<r1@acme.test>",
        in_reply_to="<a@c>",
        references=("<a@c>",),
        sender="support@acme.test",
        to=("lina@customer.test",),
        subject="Re: Refund",
        when=at(29),
    )
    refresh(db)
    ident = cv.list_queue(db, status="all", now=NOW)[0].id
    cv.set_status(db, ident, "closed", agent="alice", now=at(28))
    add_message(
        db,
        message_id="<b@c>",
        in_reply_to="<r1@acme.test>",
        references=("<a@c>", "<r1@acme.test>"),
        subject="Re: Refund",
        when=at(3),
    )
    refresh(db)
    assert [(r.id, r.status) for r in cv.list_queue(db, now=NOW)] == [(ident, "open")]
    add_message(
        db,
        folder="Sent",
        message_id="<r2@acme.test>",
        in_reply_to="<b@c>",
        references=("<a@c>", "<r1@acme.test>", "<b@c>"),
        sender="support@acme.test",
        to=("lina@customer.test",),
        subject="Re: Refund",
        when=at(2),
    )
    refresh(db)
    assert queue_ids(db) == []
    (row,) = cv.list_queue(db, status="pending", now=NOW)
    assert (row.id, row.status) == (ident, "pending")
    assert row.reasons == []
    assert (
        db.conn.execute("SELECT waiting_since FROM conversations WHERE id = ?", (ident,)).fetchone()[0]
        is None
    )


def test_snooze_hides_until_its_time(db: Database) -> None:
    add_message(db, message_id="<a@c>", subject="Later", when=at(2))
    refresh(db)
    ident = cv.list_queue(db, now=NOW)[0].id
    cv.set_status(db, ident, "snoozed", agent="bob", snoozed_until=NOW + timedelta(hours=3), now=NOW)
    assert queue_ids(db) == []
    assert [c.id for c in cv.list_queue(db, status="snoozed", now=NOW)] == [ident]
    woken = cv.list_queue(db, now=NOW + timedelta(hours=3, minutes=1))
    assert [(c.id, c.status) for c in woken] == [(ident, "open")]


def test_a_snooze_the_customer_cut_short_says_so_in_the_queue(db: Database) -> None:
    """The customer writing during a snooze brings it back with a reason; one that ran out did not."""
    add_message(db, message_id="<a@c>", subject="Later", when=at(6))
    add_message(db, message_id="<x@c>", subject="Ran out", sender="x@c.test", when=at(6))
    refresh(db)
    ids = {c.subject: c.id for c in cv.list_queue(db, now=NOW)}
    until = NOW + timedelta(hours=3)  # 15:00 UTC, 05:00 in Honolulu
    cv.set_status(db, ids["Later"], "snoozed", agent="bob", snoozed_until=until, now=at(4))
    cv.set_status(db, ids["Ran out"], "snoozed", agent="bob", snoozed_until=at(3), now=at(4))
    add_message(
        db, message_id="<b@c>", in_reply_to="<a@c>", references=("<a@c>",), subject="Re: Later", when=at(1)
    )
    add_message(
        db,
        message_id="<y@c>",
        in_reply_to="<x@c>",
        references=("<x@c>",),
        subject="Re: Ran out",
        sender="x@c.test",
        when=at(1),
    )
    refresh(db)
    with pytest.MonkeyPatch.context() as zone:
        zone.setenv("TZ", "Pacific/Honolulu")
        time.tzset()
        rows = {c.id: c for c in cv.list_queue(db, now=NOW)}
    time.tzset()
    assert rows[ids["Later"]].status == "open"
    assert rows[ids["Later"]].reasons[0] == "woken: the customer wrote during the snooze until today 05:00"
    assert rows[ids["Ran out"]].status == "open"
    assert not any(r.startswith(("woken", "reopened")) for r in rows[ids["Ran out"]].reasons)


def test_snooze_must_be_in_the_future(db: Database) -> None:
    add_message(db, message_id="<a@c>", subject="Later", when=at(2))
    refresh(db)
    ident = cv.list_queue(db, now=NOW)[0].id
    with pytest.raises(UserError, match="not in the future"):
        cv.set_status(db, ident, "snoozed", agent="bob", snoozed_until=NOW - timedelta(hours=1), now=NOW)
    with pytest.raises(UserError, match="unknown status"):
        cv.set_status(db, ident, "archived", agent="bob", now=NOW)


def test_ids_survive_a_cache_rebuild(tmp_path: Path) -> None:
    def fill(database: Database, reverse: bool) -> None:
        items = [
            dict(message_id="<a@c>", subject="One", sender="a@c.test", when=at(5)),
            dict(message_id="<b@c>", in_reply_to="<a@c>", subject="Re: One", sender="a@c.test", when=at(4)),
            dict(message_id=None, subject="No id", sender="n@c.test", when=at(3)),
        ]
        for item in reversed(items) if reverse else items:
            add_message(database, **item)  # type: ignore[arg-type]

    first = open_database(tmp_path / "one.sqlite3")
    second = open_database(tmp_path / "two.sqlite3")
    fill(first, False)
    fill(second, True)
    refresh(first)
    refresh(second)
    ids = lambda d: sorted((c.subject, c.id) for c in cv.list_queue(d, status="all", now=NOW))  # noqa: E731
    assert ids(first) == ids(second)
    first.close()
    second.close()


def test_manual_state_follows_when_an_older_root_appears(db: Database) -> None:
    add_message(db, message_id="<b@c>", in_reply_to="<a@c>", subject="Re: One", when=at(4))
    refresh(db)
    old = cv.list_queue(db, now=NOW)[0].id
    cv.set_status(db, old, "pending", agent="alice", now=at(3))
    # The first message arrives later (e.g. synced from another folder) with a References
    # chain reaching further back, so the thread root and its id change.
    add_message(
        db, message_id="<z@c>", references=("<root@c>",), in_reply_to="<root@c>", subject="One", when=at(6)
    )
    add_message(
        db,
        message_id="<a@c>",
        references=("<root@c>", "<z@c>"),
        in_reply_to="<z@c>",
        subject="One",
        when=at(5),
    )
    refresh(db)
    rows = cv.list_queue(db, status="all", now=NOW)
    assert len(rows) == 1
    assert rows[0].status == "pending"
    state_ids = [r[0] for r in db.conn.execute("SELECT conversation_id FROM conversation_state")]
    assert state_ids == [rows[0].id]


def test_incident_is_labelled_and_ranked_up(db: Database) -> None:
    for i, hours in enumerate((3.5, 2.5, 1.5, 0.5)):
        add_message(
            db,
            message_id=f"<l{i}@c>",
            sender=f"user{i}@c{i}.test",
            subject="Login page broken",
            when=at(hours),
        )
    add_message(db, message_id="<n@c>", sender="n@c.test", subject="Newest question", when=at(0.1))
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert rows[-1].subject == "Newest question"
    incident_ids = {r.incident_id for r in rows[:4]}
    assert len(incident_ids) == 1 and None not in incident_ids
    assert rows[0].reasons[0] == "incident: 4 customers report 'login' in 3h"
    assert all(r.band == sla.BAND_INCIDENT for r in rows[:4])


def test_an_acronym_in_a_subject_as_written_joins_the_phrase_it_shortens(db: Database) -> None:
    # Subjects are compared case-folded; "POs" is read from the subject as the customer wrote it.
    subjects = ("Urgent: POs keep failing", "POs broken?", "Error 500 on POs")
    subjects += ("Purchase orders not working", "Can't use purchase orders", "Purchase orders down?")
    for i, subject in enumerate(subjects):
        add_message(
            db, message_id=f"<p{i}@c>", sender=f"user{i}@c{i}.test", subject=subject, when=at(3 - i * 0.3)
        )
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert len({r.incident_id for r in rows}) == 1 and rows[0].incident_id is not None
    assert rows[0].reasons[0].startswith("incident: 6 customers report 'purchase orders'")


def test_search_text_and_filters(db: Database) -> None:
    add_message(
        db,
        message_id="<a@c>",
        sender="lina@customer.test",
        subject="Refund for order 42",
        body="charged twice",
        when=at(2),
    )
    add_message(
        db,
        message_id="<b@c>",
        sender="omar@other.test",
        name="Omar",
        subject="Question",
        body="how do I export?",
        when=at(1),
        flags="\\Seen",
    )
    add_message(
        db, message_id="<c@c>", sender="sara@x.test", subject="مشکل ورود", body="کار نمی‌کند", when=at(1)
    )
    refresh(db)
    subjects = lambda q: sorted(c.subject for c in cv.search(db, q, now=NOW))  # noqa: E731
    assert subjects("refund") == ["Refund for order 42"]
    assert subjects("export") == ["Question"]
    assert subjects("expo") == ["Question"]  # prefix search
    assert subjects("from:omar") == ["Question"]
    assert subjects("from:Omar export") == ["Question"]
    assert subjects("is:urgent") == ["Refund for order 42", "مشکل ورود"]
    assert subjects("is:unread") == ["Refund for order 42", "مشکل ورود"]
    assert subjects("ورود") == ["مشکل ورود"]
    assert subjects("status:pending") == []
    assert subjects('"order 42"') == ["Refund for order 42"]


def test_search_finds_an_arabic_or_persian_word_whatever_the_keyboard(db: Database) -> None:
    # A Persian keyboard types "ی" and "ک", an Arabic one "ي", "ى" and "ك": the triage folds
    # them, the index keeps the text as written, so "تسجیل" found no "تسجيل".
    add_message(db, message_id="<a@c>", sender="samir@c.test", subject="لا يمكنني تسجيل الدخول", when=at(2))
    add_message(
        db, message_id="<b@c>", sender="khaled@c.test", subject="خطأ في الفاتورة", body="على", when=at(1)
    )
    add_message(db, message_id="<c@c>", sender="reza@c.test", subject="مشکل در همگام‌سازی", when=at(1))
    refresh(db)
    subjects = lambda q: sorted(c.subject for c in cv.search(db, q, now=NOW))  # noqa: E731
    assert subjects("تسجیل") == subjects("تسجيل") == ["لا يمكنني تسجيل الدخول"]
    assert subjects("یمکننی") == ["لا يمكنني تسجيل الدخول"]
    assert subjects("علی") == ["خطأ في الفاتورة"]  # the Arabic final "ى"
    assert subjects("فاتورة") == ["خطأ في الفاتورة"]  # the article written onto the word
    assert subjects("مشكل") == ["مشکل در همگام‌سازی"]  # and the other way round
    assert subjects("تسجیل refund") == []  # every term must still match


@pytest.mark.parametrize(
    "hostile", ['"', 'refund"', "NEAR(a b)", "a OR b", "subject:refund", "*", "-x", "(", "^a", "a AND", "'"]
)
def test_search_input_is_never_fts_syntax(db: Database, hostile: str) -> None:
    add_message(db, message_id="<a@c>", subject="Refund", when=at(2))
    refresh(db)
    cv.search(db, hostile, now=NOW)  # must not raise


def test_search_rejects_unknown_filters(db: Database) -> None:
    with pytest.raises(UserError, match="is:urgent or is:unread"):
        cv.search(db, "is:starred")
    with pytest.raises(UserError, match="nothing to search"):
        cv.search(db, "   ")


def test_unknown_and_ambiguous_ids(db: Database) -> None:
    add_message(db, message_id="<a@c>", subject="One", when=at(2))
    refresh(db)
    ident = cv.list_queue(db, now=NOW)[0].id
    assert cv.get_conversation(db, ident[:5].upper()).id == ident
    with pytest.raises(NotFound):
        cv.get_conversation(db, "zzzzzzzz")
    with pytest.raises(NotFound, match="not a conversation id"):
        cv.get_conversation(db, "'; DROP TABLE x")


def test_refresh_if_stale_notices_new_mail_and_flag_changes(db: Database) -> None:
    config, account = make_config()
    add_message(db, message_id="<a@c>", subject="One", when=at(2))
    assert cv.refresh_if_stale(db, config, account, NOW) is True
    assert cv.refresh_if_stale(db, config, account, NOW) is False
    db.conn.execute("UPDATE messages SET flags = '\\Seen'")
    assert cv.refresh_if_stale(db, config, account, NOW) is True
    other, _ = make_config("oldest")
    assert cv.refresh_if_stale(db, other, account, NOW) is True


def test_queue_query_uses_the_index(db: Database) -> None:
    plan = " ".join(
        str(row[3])
        for row in db.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM conversations WHERE status = 'open' "
            "ORDER BY status, band DESC, sort_key DESC LIMIT 50"
        )
    )
    assert "conversations_queue" in plan
    assert "TEMP B-TREE" not in plan


def test_assignment_filters(db: Database) -> None:
    add_message(db, message_id="<a@c>", subject="Mine", sender="a@c.test", when=at(2))
    add_message(db, message_id="<b@c>", subject="Nobody's", sender="b@c.test", when=at(1))
    refresh(db)
    mine = next(c.id for c in cv.list_queue(db, now=NOW) if c.subject == "Mine")
    db.conn.execute(
        "INSERT INTO conversation_state(conversation_id, assigned_to, updated_at, updated_by) "
        "VALUES (?, 'alice', ?, 'alice')",
        (mine, at(1.5).isoformat()),
    )
    cv.reapply_state(db, [mine], NOW)
    assert queue_ids(db, assigned_to="alice") == ["Mine"]
    assert queue_ids(db, unassigned=True) == ["Nobody's"]
    # The same in a search (the app's only way to list one's own conversations).
    subjects = lambda q, me=None: sorted(c.subject for c in cv.search(db, q, now=NOW, me=me))  # noqa: E731
    assert subjects("owner:alice") == ["Mine"]
    assert subjects("owner:me", "alice") == ["Mine"]
    assert subjects("owner:me", "bob") == []
    assert subjects("owner:nobody") == ["Nobody's"]
    assert subjects("owner:Alice") == []  # agent names are exact
    assert subjects("owner:alice mine") == ["Mine"]
    with pytest.raises(UserError, match="owner:me needs"):
        cv.search(db, "owner:me")


def test_breached_sla_ranks_above_a_warning(db: Database) -> None:
    add_message(db, message_id="<w@c>", sender="w@c.test", subject="Warned", when=at(20))
    add_message(db, message_id="<b@c>", sender="b@c.test", subject="Breached", when=at(25))
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert [(r.subject, r.band) for r in rows] == [
        ("Breached", sla.BAND_BREACHED),
        ("Warned", sla.BAND_GUARD),
    ]


def test_high_priority_header_counts(db: Database) -> None:
    add_message(db, message_id="<p@c>", sender="p@c.test", subject="Hello", priority=1, when=at(1))
    add_message(db, message_id="<n@c>", sender="n@c.test", subject="Hi", priority=3, when=at(0.5))
    refresh(db)
    rows = {r.subject: r for r in cv.list_queue(db, now=NOW)}
    assert rows["Hello"].reasons == ["sender marked it high priority"]
    assert rows["Hello"].band == sla.BAND_URGENT
    assert rows["Hi"].reasons == []


def test_refresh_without_news_only_applies_the_clock(db: Database) -> None:
    config, account = make_config()
    add_message(db, message_id="<a@c>", subject="One", when=at(2))
    first = cv.refresh_conversations(db, config, account, now=NOW)
    db.conn.execute("UPDATE conversations SET subject = 'marker'")
    again = cv.refresh_conversations(db, config, account, now=NOW + timedelta(minutes=5))
    assert again == first
    assert queue_ids(db) == ["marker"]  # nothing was recomputed
    # Any input change recomputes what it touches: manual state, config, messages.
    ident = cv.list_queue(db, now=NOW)[0].id
    db.conn.execute(
        "INSERT INTO conversation_state(conversation_id, assigned_to, updated_at) VALUES (?, 'bob', ?)",
        (ident, at(1).isoformat()),
    )
    cv.refresh_conversations(db, config, account, now=NOW + timedelta(minutes=6))
    assert queue_ids(db) == ["One"]
    db.conn.execute("UPDATE conversations SET subject = 'marker'")
    # An hour passing looks at incidents again, not at conversations nothing touched...
    cv.refresh_conversations(db, config, account, now=NOW + timedelta(hours=2))
    assert queue_ids(db) == ["marker"]
    # ...which the full rebuild recomputes all the same.
    cv.rebuild_conversations(db, config, account, now=NOW + timedelta(hours=2))
    assert queue_ids(db) == ["One"]
    db.conn.execute("UPDATE conversations SET subject = 'marker'")
    cv.refresh_conversations(db, *make_config("oldest"), now=NOW + timedelta(hours=2))
    assert queue_ids(db) == ["One"]
    db.conn.execute("UPDATE conversations SET subject = 'marker'")
    cv.refresh_conversations(db, config, account, now=NOW)  # the clock went back
    assert queue_ids(db) == ["One"]


def test_conversation_disappears_with_its_messages(db: Database) -> None:
    add_message(db, message_id="<a@c>", sender="a@c.test", subject="Stays", when=at(2))
    add_message(db, message_id="<b@c>", sender="b@c.test", subject="Goes", when=at(1))
    refresh(db)
    db.conn.execute("DELETE FROM messages WHERE message_id = '<b@c>'")
    refresh(db)
    assert queue_ids(db, status="all") == ["Stays"]


def test_refresh_reads_one_snapshot_while_another_process_writes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Threading and the per-conversation details are read in two passes; a sync in another
    # process deleting and adding mail between them must not break the refresh or mix the
    # two states of the cache.
    from supportinbox.store import triage_refresh

    for i in range(5):
        add_message(db, message_id=f"<m{i}@c>", sender=f"u{i}@c{i}.test", subject=f"Question {i}", when=at(i))
    other = open_database(db.path)
    threaded = triage_refresh._thread

    def thread_then_other_process_writes(*args: object) -> object:
        members = threaded(*args)  # type: ignore[arg-type]
        other.conn.execute("DELETE FROM messages WHERE message_id IN ('<m1@c>', '<m3@c>')")
        add_message(other, message_id="<late@c>", sender="late@c.test", subject="Late", when=at(0.1))
        return members

    monkeypatch.setattr(triage_refresh, "_thread", thread_then_other_process_writes)
    try:
        result = cv.refresh_conversations(db, *make_config(), now=NOW)
    finally:
        other.close()
    assert (result.conversations, result.messages) == (5, 5)
    assert sorted(queue_ids(db)) == [f"Question {i}" for i in range(5)]
    monkeypatch.setattr(triage_refresh, "_thread", threaded)
    cv.refresh_conversations(db, *make_config(), now=NOW + timedelta(hours=2))  # the next run catches up
    assert sorted(queue_ids(db, now=NOW + timedelta(hours=2))) == [
        "Late",
        "Question 0",
        "Question 2",
        "Question 4",
    ]


def test_a_customers_other_conversations_match_the_address_exactly_through_the_index(db: Database) -> None:
    add_message(db, message_id="<a1@c>", sender="ann@c.test", subject="Invoice", when=at(5))
    add_message(db, message_id="<a2@c>", sender="ann@c.test", subject="URGENT: locked out", when=at(3))
    add_message(db, message_id="<j1@c>", sender="joann@c.test", subject="Not Ann", when=at(1))
    refresh(db)
    by_subject = {c.subject: c.id for c in cv.list_queue(db, now=NOW)}
    others = cv.customer_conversations(db, "Ann@C.test", exclude=by_subject["Invoice"], now=NOW)
    assert [c.subject for c in others] == ["URGENT: locked out"]
    assert [c.subject for c in cv.customer_conversations(db, "ann@c.test", now=NOW)] == [
        "URGENT: locked out",
        "Invoice",
    ]
    plan = " ".join(
        str(row[3])
        for row in db.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM conversations INDEXED BY conversations_customer "
            "WHERE customer_email = ? AND id != ? ORDER BY band DESC, sort_key DESC LIMIT 20",
            ("ann@c.test", ""),
        )
    )
    assert "conversations_customer (customer_email=?)" in plan


def test_words_in_quoted_history_never_raise_urgency(db: Database) -> None:
    # Our own "urgent outage ... down" mail, quoted below a customer's thank-you.
    ours = "We have an urgent outage: exports are down. We are on it."
    add_message(
        db,
        message_id="<t1@c>",
        subject="Re: Exports",
        body=(
            "Thanks, all good now!\n\nOn Fri, 20 Nov 2026 at 09:00, Acme Support\n"
            f"<support@acme.test> wrote:\n> {ours}"
        ),
        when=at(1),
    )
    add_message(
        db,
        message_id="<t2@c>",
        sender="ann@other.test",
        subject="Re: Exports",
        body=f"Great, thanks.\n\n*From:* Acme Support\n*Sent:* Friday, November 20, 2026 9:00 AM\n\n{ours}",
        when=at(1),
    )
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert [r.band for r in rows] == [sla.BAND_NORMAL, sla.BAND_NORMAL]
    assert all(r.reasons == [] for r in rows)


def test_an_answered_member_stays_in_its_incident(db: Database) -> None:
    # Old rule: only open conversations were candidates, so answering one dissolved the incident.
    for i, (subject, hours) in enumerate(
        (("SSO login broken", 2.0), ("Error with SSO login", 1.5), ("SSO login down?", 1))
    ):
        add_message(db, message_id=f"<s{i}@c>", sender=f"u{i}@c{i}.test", subject=subject, when=at(hours))
    add_message(
        db,
        folder="Sent",
        message_id="<r0@acme>",
        in_reply_to="<s0@c>",
        references=("<s0@c>",),
        sender="support@acme.test",
        name="Acme Support",
        to=("u0@c0.test",),
        subject="Re: SSO login broken",
        body="We are on it.",
        when=at(1.8),
    )
    refresh(db)
    rows = {r.subject: r for r in cv.list_queue(db, status="all", now=NOW)}
    assert rows["SSO login broken"].status == "pending"
    ids = {rows[s].incident_id for s in ("SSO login broken", "Error with SSO login", "SSO login down?")}
    assert len(ids) == 1 and None not in ids
    assert rows["SSO login down?"].band == sla.BAND_INCIDENT
    assert rows["SSO login down?"].reasons[0] == "incident: 3 customers report 'sso login' in 1h"


def test_an_urgent_keyword_alone_is_no_incident(db: Database) -> None:
    # Old rule: any urgent keyword made a candidate, so three customers asking to cancel at the
    # end of their term became "incident: 3 customers report 'cancel term'".
    for i, hours in enumerate((2.0, 1.5, 1.0)):
        add_message(
            db,
            message_id=f"<t{i}@c>",
            sender=f"u{i}@c{i}.test",
            subject="Cancel at end of term",
            body="Please cancel our plan when the current term ends.",
            when=at(hours),
        )
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert len(rows) == 3
    assert all(r.incident_id is None and r.band == sla.BAND_URGENT for r in rows)
    assert all(r.reasons[0] == "'cancel' in subject" for r in rows)


def test_customers_asking_where_a_setting_is_are_no_incident(db: Database) -> None:
    # "Cannot find" is a question about the product, not something failing.
    for i, hours in enumerate((2.0, 1.5, 1.0)):
        add_message(
            db,
            message_id=f"<f{i}@c>",
            sender=f"u{i}@c{i}.test",
            subject="Cannot find the setting",
            body="I cannot find where to change the date format.",
            when=at(hours),
        )
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert [r.incident_id for r in rows] == [None, None, None]
    assert all(r.reasons == ["mentions 'cannot': maybe a problem, not urgent"] for r in rows)


def test_automated_mail_is_never_urgent_nor_an_incident(db: Database) -> None:
    # Auto-replies and a newsletter saying "urgent" and "outage", parsed as a sync parses them.
    heads = ["Auto-Submitted: auto-replied", "X-Autoreply: yes", "List-Id: <news.c2.test>"]
    for i, head in enumerate(heads):
        date = at(1).strftime("%a, %d %b %Y %H:%M:%S +0000")
        raw = (
            f"From: ooo{i}@c{i}.test\r\nTo: support@acme.test\r\nMessage-ID: <a{i}@c>\r\n"
            f"Subject: Out of Office: export outage\r\nDate: {date}\r\n{head}\r\n\r\n"
            "I am away until Monday. For urgent matters call my colleague.\r\n"
        )
        add_raw(db, raw.encode())
    refresh(db)
    assert cv.list_queue(db, now=NOW) == []
    rows = cv.list_queue(db, status="all", now=NOW)
    assert len(rows) == 3
    assert {r.status for r in rows} == {"automated"}
    assert {r.band for r in rows} == {sla.BAND_IDLE}  # no one waits: below every open conversation
    assert all(r.incident_id is None for r in rows)
    assert all(len(r.reasons) == 1 and r.reasons[0].startswith("automated: ") for r in rows)


def test_a_contact_form_naming_a_company_is_listed_by_the_person_its_name_field_gives(db: Database) -> None:
    def form(from_name: str, reply_to: str, mid: str) -> bytes:
        return (
            f"From: {from_name} <noreply@acme.test>\r\nTo: support@acme.test\r\nReply-To: {reply_to}\r\n"
            f"Subject: New enquiry from the website\r\nDate: Fri, 20 Nov 2026 11:00:00 +0000\r\n"
            f"Message-ID: <{mid}@acme.test>\r\n\r\n"
            "Name: Jonas Weber\r\nCompany: Weber GmbH\r\n\r\nMessage:\r\nCan I change my address?\r\n"
        ).encode()

    add_raw(db, form("Weber GmbH via Website", "jonas@weber.test", "f1"))  # the company in From
    add_raw(db, form("Acme Website", "Weber GmbH <sales@weber.test>", "f2"))  # the company in Reply-To
    add_raw(db, form("Acme Website", "Lina Haddad <lina@c.test>", "f3"))  # a person: kept
    # Mail a company sends itself keeps its name, whatever its body says.
    add_message(db, sender="info@weber.test", name="Weber GmbH", body="Name: Jonas Weber\nHello")
    refresh(db)
    names = {row.customer_email: row.customer_name for row in cv.list_queue(db, now=NOW)}
    assert names == {
        "jonas@weber.test": "Jonas Weber",
        "sales@weber.test": "Jonas Weber",
        "lina@c.test": "Lina Haddad",
        "info@weber.test": "Weber GmbH",
    }


def test_an_html_thank_you_quoting_our_urgent_words_is_not_urgent(db: Database) -> None:
    # Gmail in German writes "NAME schrieb am DATE:" above the quote; some clients write nothing.
    for i, attribution in enumerate(("Acme &lt;support@acme.test&gt; schrieb am Mo., 23. Nov. 2026:", "")):
        add_raw(
            db,
            (
                f"From: Lina {i} <lina{i}@customer.test>\r\nTo: support@acme.test\r\nSubject: Re: Export\r\n"
                f"Date: Fri, 20 Nov 2026 11:00:00 +0000\r\nMessage-ID: <html{i}@customer.test>\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                f"<div>Thanks, all good now!</div><div>{attribution}<br></div><blockquote><div>Hi Lina,<br>"
                "We have an URGENT outage: the export is not working.</div></blockquote>\r\n"
            ).encode(),
        )
    refresh(db)
    rows = cv.list_queue(db, now=NOW)
    assert len(rows) == 2
    for row in rows:
        assert not sla.is_urgent(row.band), row.reasons
        assert not any("urgent" in reason.lower() or "not working" in reason for reason in row.reasons)


def test_a_contact_form_with_two_reply_to_addresses_stands_for_the_first(db: Database) -> None:
    add_raw(
        db,
        (
            b"From: Website <noreply@acme.test>\r\nTo: support@acme.test\r\n"
            b'Reply-To: "Ana Silva" <ana@silva.test>, boss@silva.test\r\nSubject: Contact form\r\n'
            b"Date: Fri, 20 Nov 2026 11:00:00 +0000\r\nMessage-ID: <two@acme.test>\r\n\r\n"
            b"Name: Ana Silva\r\nMessage: Please call me back about the contract.\r\n"
        ),
    )
    refresh(db)
    (row,) = cv.list_queue(db, now=NOW)
    assert (row.customer_email, row.customer_name) == ("ana@silva.test", "Ana Silva")


def test_mail_of_the_same_second_reads_in_the_order_it_arrived(db: Database) -> None:
    """A sync stores the newest mail first, so a follow-up written in the same second as the
    message it follows got the lower row: it was shown above the question it follows up."""
    add_message(db, uid=8, message_id="<b@c>", in_reply_to="<a@c>", subject="Re: Reset", body="Still stuck")
    add_message(db, uid=7, message_id="<a@c>", subject="Reset", body="The link expired")
    add_message(
        db,
        folder="Sent",
        uid=3,
        message_id="<r@acme.test>",
        in_reply_to="<b@c>",
        sender="support@acme.test",
        subject="Re: Reset",
        body="Try this",
    )
    refresh(db)
    detail = cv.get_conversation(db, cv.list_queue(db, status="all", now=NOW)[0].id)
    assert [m.body_text for m in detail.messages] == ["The link expired", "Still stuck", "Try this"]
