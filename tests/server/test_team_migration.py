"""Keywords of the per-agent, per-time scheme are moved to the bounded one and stop growing.

An inbox as the earlier scheme left it after many status changes: ``$si-at-<time>`` on
every written message, ``$si-by-``/``$si-seen-``/``$si-claim-<agent>``, ``$si-snooze-<time>``.
The first sync of a current client rewrites each conversation in the fixed set (keeping
status, holder, snooze, writer and time) and removes every old keyword from the messages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.store.conversations import set_status
from supportinbox.team.keywords import ALL_KEYWORDS, is_legacy_keyword
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.team import make_team, server_registry

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

CLOSED = "<closed@customer.test>"
SNOOZED = "<snoozed@customer.test>"


def _legacy_inbox(dovecot: Dovecot) -> None:
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # before every state change below
    raws = [
        make_message(message_id=CLOSED, subject="Refund please", date=start),
        make_message(message_id=SNOOZED, subject="Feature request", date=start + timedelta(minutes=1)),
    ]
    raws += [
        make_message(message_id=f"<old{n}@customer.test>", subject=f"Old question {n}", date=start)
        for n in range(40)
    ]
    append(dovecot, raws)
    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        uid = {mid: imap.search(["HEADER", "Message-ID", mid.strip("<>")])[0] for mid in (CLOSED, SNOOZED)}
        imap.add_flags(
            [uid[CLOSED]],
            [
                "$si-status-closed",
                "$si-by-bob",
                "$si-seen-bob",
                "$si-seen-_41lice",
                "$si-at-20261120T100000Z",
                "$si-claim-carol",
            ],
        )
        imap.add_flags(
            [uid[SNOOZED]],
            [
                "$si-status-snoozed",
                "$si-snooze-20990115T0900Z",
                "$si-by-_41lice",
                "$si-at-20261121T080000Z",
                "$si-claim-_41lice",
            ],
        )
        # What ~100 status changes left behind: a new $si-at keyword for each.
        for n, old in enumerate(imap.search(["SUBJECT", "Old question"])):
            imap.add_flags(
                [old], ["$si-status-closed", "$si-by-bob", f"$si-at-202611{10 + n % 20:02d}T{n:02d}3000Z"]
            )


def _keywords(dovecot: Dovecot) -> tuple[set[str], set[str]]:
    with client(dovecot) as imap:
        info = imap.select_folder("INBOX", readonly=True)
        defined = {bytes(f).decode() for f in info[b"FLAGS"] if bytes(f).startswith(b"$si-")}
        flags = imap.get_flags(imap.search(["ALL"]))
    used = {bytes(f).decode() for found in flags.values() for f in found if bytes(f).startswith(b"$si-")}
    return defined, used


def test_old_keywords_are_migrated_and_stop_growing(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    _legacy_inbox(dovecot)
    before, used_before = _keywords(dovecot)
    assert len(used_before) > 40  # the unbounded growth being fixed
    alice, bob = make_team(tmp_path, dovecot, None, ("Alice", "bob"))
    bob.sync()

    defined, used = _keywords(dovecot)
    assert not any(is_legacy_keyword(k) for k in used), sorted(used)
    assert used <= set(ALL_KEYWORDS)
    closed, snoozed = alice.conversation_of(CLOSED), alice.conversation_of(SNOOZED)
    for mate in (alice, bob):
        assert mate.queue_row(closed) == ("carol", "closed")
        state = mate.db.conn.execute(
            "SELECT status, snoozed_until, assigned_to, updated_by, updated_at FROM conversation_state "
            "WHERE conversation_id = ?",
            (snoozed,),
        ).fetchone()
        assert tuple(state)[:3] == ("snoozed", "2099-01-15T09:00:00+00:00", "Alice")
    # Writer and time travel as a detail: a teammate's next send check can still name them.
    details = {
        row[0]: tuple(row[1:])
        for row in alice.db.conn.execute(
            "SELECT conversation_id, author, written_at FROM team_state_log WHERE kind = 'detail'"
        )
    }
    assert details[closed] == ("bob", "2026-11-20T10:00:00+00:00")
    assert details[snoozed] == ("Alice", "2026-11-21T08:00:00+00:00")
    assert set(server_registry(dovecot).values()) == {"carol", "Alice"}

    # New changes add no keyword name to the mailbox: it stops growing.
    for status in ("open", "pending", "closed", "open", "snoozed", "closed") * 3:
        until = datetime(2099, 12, 24, tzinfo=UTC) if status == "snoozed" else None
        set_status(alice.db, closed, status, agent="Alice", snoozed_until=until)
        team_actions.push_state(alice.ctx(), closed)
        team_actions.claim(bob.ctx(), snoozed, force=True)
        team_actions.release(bob.ctx(), snoozed)
    after, used_after = _keywords(dovecot)
    assert after - defined <= set(ALL_KEYWORDS) and len(after - before) <= len(ALL_KEYWORDS)
    assert used_after <= set(ALL_KEYWORDS)
    status = bob.cli(capsys, "team", "status")
    assert "keywords on inbox messages:" in status.out and "$si-at" not in status.out
