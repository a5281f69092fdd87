"""A state-folder entry's time is the writer's clock, bounded by the server's arrival time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportinbox.config import AccountConfig
from supportinbox.team.keywords import TeamState
from supportinbox.team.statefolder import build_detail_message, parse_state_message

ACCOUNT = AccountConfig(email="support@acme.test", username="support", imap_host="127.0.0.1", agent="bob")
ARRIVED = datetime(2026, 12, 7, 7, 35, 20, tzinfo=UTC)


def _entry(written: datetime, arrived: datetime | None) -> str:
    raw = build_detail_message(ACCOUNT, "bob", "k3m9x2qa", TeamState("pending"), written.isoformat())
    entry = parse_state_message(7, raw, arrived)
    assert entry is not None
    return entry.written_at


def test_a_writer_whose_clock_runs_ahead_is_dated_by_the_server() -> None:
    # bob's clock two hours ahead: his change cannot be later than its arrival.
    assert _entry(ARRIVED + timedelta(hours=2), ARRIVED) == "2026-12-07T07:35:20+00:00"


def test_a_writer_on_time_keeps_their_own_time() -> None:
    written = ARRIVED - timedelta(seconds=7)  # set, then pushed a few seconds later
    assert _entry(written, ARRIVED) == written.isoformat()
    assert _entry(written, None) == written.isoformat()


def test_a_naive_arrival_time_is_read_as_the_local_clock() -> None:
    # imapclient gives INTERNALDATE as a naive local time.
    naive = ARRIVED.astimezone().replace(tzinfo=None)
    assert _entry(ARRIVED + timedelta(hours=2), naive) == "2026-12-07T07:35:20+00:00"
