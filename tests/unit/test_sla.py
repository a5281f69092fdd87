"""The SLA rule: levels, reasons, guard bands, ordering keys, and its SQL form."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from supportinbox.config import TriageConfig, parse_config
from supportinbox.domain import sla

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def test_levels_and_reasons_of_each_target() -> None:
    policy = sla.Policy.build(TriageConfig(sla_hours=24, sla_warn_fraction=0.75))
    since = ago(26)
    found = sla.deadline(
        policy, waiting_since=since, answered_before=True, customer="a@b.test", cycle_start=None
    )
    assert (found.kind, found.target) == (sla.NEXT_REPLY, timedelta(hours=24))
    assert sla.level_at(found.warn_at, found.due_at, NOW) == sla.LEVEL_BREACHED
    assert (
        sla.reason(sla.LEVEL_BREACHED, since, found.due_at, NOW, found.stored)
        == "waiting 1d 2h, SLA 1d (breached)"
    )
    since = ago(19)
    found = sla.deadline(
        policy, waiting_since=since, answered_before=True, customer="a@b.test", cycle_start=None
    )
    assert sla.level_at(found.warn_at, found.due_at, NOW) == sla.LEVEL_WARN
    assert (
        sla.reason(sla.LEVEL_WARN, since, found.due_at, NOW, found.stored) == "waiting 19h, SLA 1d (5h left)"
    )
    assert sla.reason(sla.LEVEL_OK, since, found.due_at, NOW, found.stored) is None
    # Never answered: the first-reply target, 30 minutes unless configured.
    since = NOW - timedelta(minutes=18)
    found = sla.deadline(
        policy, waiting_since=since, answered_before=False, customer="a@b.test", cycle_start=since
    )
    assert (found.kind, found.target) == (sla.FIRST_REPLY, timedelta(minutes=30))
    assert sla.level_at(found.warn_at, found.due_at, NOW) == sla.LEVEL_OK
    later = NOW + timedelta(minutes=5)
    assert sla.level_at(found.warn_at, found.due_at, later) == sla.LEVEL_WARN
    assert sla.reason(sla.LEVEL_WARN, since, found.due_at, later, found.stored) == "first reply due in 7m"
    much_later = NOW + timedelta(hours=3)
    assert sla.reason(sla.LEVEL_BREACHED, since, found.due_at, much_later, found.stored) == (
        "first reply overdue by 2h 48m (target 30m)"
    )


def test_policies_vip_tag_and_mailbox_overrides_and_resolution() -> None:
    config = parse_config(
        """
[accounts.a]
email = "s@x.test"
username = "s"
imap_host = "h"
[accounts.a.sla]
first_reply = "1h"
[triage]
sla_hours = 8
vip_senders = ["@vip.test"]
[sla]
first_reply = "2h"
resolution = "3d"
[sla.vip]
first_reply = "10m"
[sla.tags.billing]
next_reply = "4h"
"""
    )
    policy = sla.Policy.for_account(config, config.accounts["a"])
    assert policy.targets("joe@x.test") == sla.Targets(
        timedelta(hours=1), timedelta(hours=8), timedelta(days=3)
    )
    assert policy.targets("boss@vip.test").first_reply == timedelta(minutes=10)
    assert policy.targets("joe@x.test", ["billing"]).next_reply == timedelta(hours=4)
    # The resolution target wins when it falls due before the reply target.
    found = sla.deadline(
        policy, waiting_since=ago(1), answered_before=True, customer="joe@x.test", cycle_start=ago(70)
    )
    assert (found.kind, found.due_at) == (sla.RESOLUTION, ago(70) + timedelta(days=3))
    assert found.guard_due_at == found.due_at  # and it guards against starving, too
    assert sla.reason(sla.LEVEL_WARN, ago(1), found.due_at, NOW, found.stored) == "resolution due in 2h"


def test_the_guard_holds_a_late_first_reply_back_until_the_reply_sla() -> None:
    """A first reply past its 30 min is overdue (said), but only lifted at the next-reply target."""
    policy = sla.Policy.build(TriageConfig(sla_hours=24, sla_warn_fraction=0.75))
    since = ago(2)
    found = sla.deadline(
        policy, waiting_since=since, answered_before=False, customer="a@b.test", cycle_start=since
    )
    assert sla.level_at(found.warn_at, found.due_at, NOW) == sla.LEVEL_BREACHED
    assert (found.guard_warn_at, found.guard_due_at) == (ago(2 - 18), ago(2 - 24))
    assert sla.level_at(found.guard_warn_at, found.guard_due_at, NOW) == sla.LEVEL_OK
    # After a reply the promise and the guard are one: the next-reply target.
    found = sla.deadline(
        policy, waiting_since=since, answered_before=True, customer="a@b.test", cycle_start=None
    )
    assert (found.guard_warn_at, found.guard_due_at) == (found.warn_at, found.due_at)
    # A first-reply target longer than the next-reply one guards at itself.
    config = parse_config('[triage]\nsla_hours = 4\n[sla]\nfirst_reply = "8h"\n')
    policy = sla.Policy.build(config.triage, config.sla)
    found = sla.deadline(
        policy, waiting_since=since, answered_before=False, customer="a@b.test", cycle_start=since
    )
    assert found.guard_due_at == found.due_at == ago(2 - 8)


def test_targets_count_business_time() -> None:
    config = parse_config(
        '[accounts.a]\nemail = "s@x.test"\nusername = "s"\nimap_host = "h"\n'
        '[accounts.a.hours]\ntimezone = "UTC"\ndays = "mon-fri"\nstart = "09:00"\nend = "17:00"\n'
    )
    policy = sla.Policy.for_account(config, config.accounts["a"])
    friday = datetime(2026, 11, 20, 16, 50, tzinfo=UTC)
    found = sla.deadline(
        policy, waiting_since=friday, answered_before=False, customer="c@d.test", cycle_start=friday
    )
    assert found.due_at == datetime(2026, 11, 23, 9, 20, tzinfo=UTC)  # 10 min Friday, 20 min Monday


def test_level_labels() -> None:
    assert [sla.level_label(x) for x in (sla.LEVEL_OK, sla.LEVEL_WARN, sla.LEVEL_BREACHED)] == [
        "ok",
        "due soon",
        "breached",
    ]


def test_sort_keys_order_newest_or_oldest_first() -> None:
    newer, older = ago(1), ago(10)
    assert sla.sort_key("newest", newer, newer) > sla.sort_key("newest", older, older)
    assert sla.sort_key("oldest", newer, newer) < sla.sort_key("oldest", older, older)


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_past_the_sla_the_longest_waiting_go_first_whatever_the_order(order: str) -> None:
    fresh, late, later = ago(0.1), ago(30), ago(50)
    breached_late = sla.sort_key(order, late, late, guard=sla.LEVEL_BREACHED)
    breached_later = sla.sort_key(order, later, later, guard=sla.LEVEL_BREACHED)
    assert breached_later > breached_late > sla.sort_key(order, fresh, fresh)
    assert breached_late > sla.sort_key(order, later, later)  # a breach beats any unbreached time


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_the_guards_band_puts_the_nearest_deadline_first(order: str) -> None:
    """Lifted because their deadline is near, the rows of the guard's band go by it: one due in
    20 minutes before one due in 4 hours, whatever the configured order, and after any breach."""

    def warned(waited: float, target_hours: float) -> str:
        since = ago(waited)
        return sla.sort_key(
            order,
            since,
            since,
            guard=sla.LEVEL_WARN,
            guard_due_at=since + timedelta(hours=target_hours),
            band=sla.BAND_GUARD,
        )

    soon, later, vip_soon = warned(23.7, 24), warned(19.7, 24), warned(3.9, 4)
    assert vip_soon > soon > later  # the VIP's 4 h target passes first, then the 24 h ones in turn
    assert sla.sort_key(order, ago(30), ago(30), guard=sla.LEVEL_BREACHED) > vip_soon
    # A higher band keeps its own order when its guard warns: newest first stays newest first.
    fresh, aging = ago(0.5), ago(20)
    urgent = {
        waited: sla.sort_key(
            "newest", when, when, guard=level, guard_due_at=when + timedelta(hours=24), band=sla.BAND_URGENT
        )
        for waited, when, level in ((0.5, fresh, sla.LEVEL_OK), (20, aging, sla.LEVEL_WARN))
    }
    assert urgent[0.5] > urgent[20]


def test_sla_guard_only_lifts() -> None:
    assert sla.guard_band(sla.LEVEL_OK, sla.BAND_NORMAL) == sla.BAND_NORMAL
    assert sla.guard_band(sla.LEVEL_WARN, sla.BAND_NORMAL) == sla.BAND_GUARD
    assert sla.guard_band(sla.LEVEL_BREACHED, sla.BAND_NORMAL) == sla.BAND_BREACHED
    assert sla.guard_band(sla.LEVEL_BREACHED, sla.BAND_URGENT) == sla.BAND_URGENT
    assert sla.guard_band(sla.LEVEL_WARN, sla.BAND_INCIDENT) == sla.BAND_INCIDENT
    assert sla.BAND_INCIDENT > sla.BAND_URGENT > sla.BAND_BREACHED > sla.BAND_GUARD > sla.BAND_NORMAL


def test_band_predicates_follow_the_bands() -> None:
    bands = range(sla.BAND_IDLE, sla.BAND_INCIDENT + 1)
    assert [b for b in bands if sla.is_lifted(b)] == [sla.BAND_GUARD, sla.BAND_BREACHED, 4, 5]
    assert [b for b in bands if sla.is_alarming(b)] == [sla.BAND_BREACHED, sla.BAND_URGENT, sla.BAND_INCIDENT]
    assert [b for b in bands if sla.is_urgent(b)] == [sla.BAND_URGENT, sla.BAND_INCIDENT]


@pytest.mark.parametrize("level", [sla.LEVEL_OK, sla.LEVEL_WARN, sla.LEVEL_BREACHED])
@pytest.mark.parametrize("base_band", range(sla.BAND_NORMAL, sla.BAND_INCIDENT + 1))
def test_the_clock_sql_sets_what_the_python_rule_computes(level: int, base_band: int) -> None:
    """The clock step's SET lists: the promise's level and points (:func:`sla.level_sql`),
    the guard's band and key (:func:`sla.guard_sql`), each leaving the other's columns."""
    waiting = ago(30)
    conn = sqlite3.connect(":memory:")
    guard_due = waiting + timedelta(hours=24)
    conn.execute(
        "CREATE TABLE conversations (sla_level INTEGER, sla_guard_level INTEGER, band INTEGER, "
        "base_band INTEGER, urgency INTEGER, base_urgency INTEGER, sort_key TEXT, waiting_since TEXT, "
        "sla_guard_due_at TEXT)"
    )
    conn.execute(
        "INSERT INTO conversations VALUES (-1, -1, -1, ?, -1, 40, 'unchanged', ?, ?)",
        (base_band, waiting.isoformat(timespec="seconds"), guard_due.isoformat(timespec="seconds")),
    )
    select = "SELECT sla_level, sla_guard_level, band, urgency, sort_key FROM conversations"
    conn.execute(f"UPDATE conversations SET {sla.level_sql(level)}")
    assert conn.execute(select).fetchone() == (level, -1, -1, 40 + sla.points(level), "unchanged")
    conn.execute(f"UPDATE conversations SET {sla.guard_sql(level)}")
    band = sla.guard_band(level, base_band)
    key = sla.sort_key("newest", ago(1), waiting, guard=level, guard_due_at=guard_due, band=band)
    if level == sla.LEVEL_OK or (level == sla.LEVEL_WARN and band != sla.BAND_GUARD):
        key = "unchanged"  # the configured order's key, set by the refresh
    assert conn.execute(select).fetchone() == (
        level,
        level,
        sla.guard_band(level, base_band),
        40 + sla.points(level),
        key,
    )


def test_queue_order_and_urgent_sql_follow_the_bands() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE c (id TEXT, band INTEGER, sort_key TEXT)")
    rows = [
        ("normal-new", sla.BAND_NORMAL, sla.sort_key("newest", ago(1), ago(1))),
        ("normal-old", sla.BAND_NORMAL, sla.sort_key("newest", ago(5), ago(5))),
        ("urgent", sla.BAND_URGENT, sla.sort_key("newest", ago(3), ago(3))),
        ("breached", sla.BAND_BREACHED, sla.sort_key("newest", ago(30), ago(30), guard=sla.LEVEL_BREACHED)),
        ("incident", sla.BAND_INCIDENT, sla.sort_key("newest", ago(2), ago(2))),
    ]
    conn.executemany("INSERT INTO c VALUES (?, ?, ?)", rows)
    ordered = [r[0] for r in conn.execute(f"SELECT id FROM c x ORDER BY {sla.queue_order_sql('x.')}")]
    assert ordered == ["incident", "urgent", "breached", "normal-new", "normal-old"]
    urgent = {r[0] for r in conn.execute(f"SELECT id FROM c WHERE {sla.urgent_sql()}")}
    assert urgent == {"incident", "urgent"}


def test_reasons_in_the_last_and_first_minute_say_so_not_0_min() -> None:
    """The queue said "first reply due in 0 min", which reads as a typo: the last minute says so."""
    policy = sla.Policy.build(TriageConfig(sla_hours=24, sla_warn_fraction=0.75))
    since = NOW - timedelta(minutes=30)
    first = sla.deadline(
        policy, waiting_since=since, answered_before=False, customer="a@b.test", cycle_start=since
    )
    just_before = first.due_at - timedelta(seconds=20)
    assert sla.reason(sla.LEVEL_WARN, since, first.due_at, just_before, first.stored) == (
        "first reply due within a minute"
    )
    just_after = first.due_at + timedelta(seconds=20)
    assert sla.reason(sla.LEVEL_BREACHED, since, first.due_at, just_after, first.stored) == (
        "first reply overdue by under a minute (target 30m)"
    )
    next_reply = sla.deadline(
        policy, waiting_since=ago(24), answered_before=True, customer="a@b.test", cycle_start=None
    )
    assert sla.reason(
        sla.LEVEL_WARN,
        ago(24),
        next_reply.due_at,
        next_reply.due_at - timedelta(seconds=5),
        next_reply.stored,
    ) == ("waiting 23h 59m, SLA 1d (under a minute left)")
