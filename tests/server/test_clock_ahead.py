"""A teammate whose machine's clock runs hours ahead must not hide a customer's answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.mail import outbox
from supportinbox.team.keywords import TeamState, status_keyword
from supportinbox.team.statefolder import STATE_FOLDER, build_detail_message
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team

pytestmark = [pytest.mark.server]

MID = "<seat@customer.test>"
AHEAD = timedelta(hours=2)


class _ClockAhead(datetime):
    """This machine's clock, two hours ahead of the server's."""

    @classmethod
    def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + AHEAD  # type: ignore[arg-type]


def test_our_copy_in_sent_is_dated_by_the_server_not_our_clock(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = make_message(message_id=MID, subject="Add a seat to our plan")
    extra = "\n[replies]\nundo_seconds_cli = 0\n"
    cid = setup_account(supportinbox_home, dovecot, smtp_server, [raw], extra=extra).conversation_of(MID)
    monkeypatch.setattr(outbox, "datetime", _ClockAhead)
    sent = run_cli(capsys, "reply", cid, "-t", "need-more-information", "--send", "-y")
    assert sent.code == 0, sent.err
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        (uid,) = imap.search(["ALL"])
        arrived = imap.fetch([uid], ["INTERNALDATE"])[uid][b"INTERNALDATE"].astimezone(UTC)
    assert arrived < datetime.now(UTC) + timedelta(minutes=5), arrived  # not two hours ahead


def test_a_status_change_dated_ahead_reopens_when_the_customer_answers(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Add a seat to our plan")])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    now = datetime.now(UTC)
    # What bob's client writes with its clock two hours ahead: the pending keywords, and a
    # detail dated then, which reached the server two minutes ago.
    detail = build_detail_message(bob.account, "bob", cid, TeamState("pending"), (now + AHEAD).isoformat())
    with client(dovecot) as imap:
        imap.append(STATE_FOLDER, detail, flags=("\\Seen",), msg_time=now - timedelta(minutes=2))
        imap.select_folder("INBOX")
        imap.add_flags(imap.search(["ALL"]), ["$si-state", status_keyword("pending")])
    alice.sync()
    assert alice.queue_row(cid)[1] == "pending"

    answer = make_message(
        message_id="<seat-2@customer.test>", subject="Re: Add a seat", in_reply_to=MID, date=now
    )
    append(dovecot, [answer])
    alice.sync()
    assert alice.queue_row(cid)[1] == "open"  # the customer wrote after bob's change
    shown = json.loads(alice.cli(capsys, "list", "--json").out)
    assert cid in [row["id"] for row in shown]
