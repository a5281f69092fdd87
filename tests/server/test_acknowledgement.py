"""Acknowledgement on arrival, end to end: real Dovecot, real SMTP, the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.store import outbox as store
from tests.harness.cliproc import cli_env
from tests.harness.dovecot import Dovecot, acl_dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import Setup, run_cli, setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team

pytestmark = [pytest.mark.server]

MID = "<first@customer.test>"


def _closed_today() -> str:
    """Business hours on a weekday that is not today: right now the team is away."""
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(UTC).weekday() + 3) % 7]
    return f"""
[accounts.support.hours]
days = ["{day}"]
start = "09:00"
end = "10:00"
"""


def _enabled(when: str = '"outside-hours"', more: str = "") -> str:
    return f"""
[accounts.support.acknowledgement]
enabled = true
when = [{when}]
{more}
"""


def _question(
    mid: str = MID,
    sender: str = "Lina Haddad <lina@customer.test>",
    subject: str = "Cannot log in",
    body: str = "Hello, I cannot log in since this morning.",
    **more: object,
) -> bytes:
    return make_message(sender=sender, subject=subject, message_id=mid, body=body, **more)  # type: ignore[arg-type]


def _setup(
    home: Path, dovecot: Dovecot, smtp: SmtpServer, extra: str, capsys: pytest.CaptureFixture[str]
) -> Setup:
    """An account with acknowledgements on; its first sync (before any mail) switches them on."""
    setup = setup_account(home, dovecot, smtp, [], extra=extra)
    first = run_cli(capsys, "sync")
    assert first.code == 0, first.err
    return setup


def _acks(smtp: SmtpServer) -> list[object]:
    return [r for r in smtp.received if r.message["Auto-Submitted"] == "auto-replied"]


def test_a_new_conversation_outside_hours_is_acknowledged_once_rfc3834_correct(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(supportinbox_home, dovecot, smtp_server, _closed_today() + _enabled(), capsys)
    append(dovecot, [_question()])
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    said = "acknowledgement #1 sent to lina@customer.test: Re: Cannot log in"
    assert f"outbox: {said} (it arrived outside business hours)" in synced.out, synced

    (received,) = smtp_server.received
    msg = received.message
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["In-Reply-To"] == MID and MID in str(msg["References"])
    assert msg["To"] == "Lina Haddad <lina@customer.test>"
    assert str(msg["Subject"]) == "Re: Cannot log in"
    assert received.rcpt_tos == ["lina@customer.test"]
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hi Lina," in body and "automatic note" in body

    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        (uid,) = imap.search(["HEADER", "In-Reply-To", MID.strip("<>")])
        filed = imap.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (AUTO-SUBMITTED)]"])[uid]
        assert b"auto-replied" in next(v for k, v in filed.items() if k.startswith(b"BODY"))
        # It answers nothing: the customer's message is not flagged \Answered.
        imap.select_folder("INBOX", readonly=True)
        (mine,) = imap.search(["HEADER", "Message-ID", MID.strip("<>")])
        assert b"\\Answered" not in imap.get_flags([mine])[mine]

    # Said on the conversation at once (from the outbox), and after the copy came back from Sent.
    (first,) = json.loads(run_cli(capsys, "list", "--json").out)
    assert first["reasons"].count("acknowledged automatically") == 1, first

    # Synced back from Sent: on the conversation, still open, no first reply yet.
    again = run_cli(capsys, "sync")
    assert again.code == 0 and "acknowledgement" not in again.out, again
    listed = json.loads(run_cli(capsys, "list", "--json").out)
    (row,) = [c for c in listed if c["subject"] == "Cannot log in"]
    assert row["status"] == "open"
    assert row["reasons"].count("acknowledged automatically") == 1, row
    shown = json.loads(run_cli(capsys, "show", row["id"], "--json").out)
    ours = [m for m in shown["messages"] if m["from_us"]]
    assert [(m["automated"], m["folder_role"]) for m in ours] == [("auto-reply", "sent")]
    assert shown["acknowledged_at"] == ours[0]["date"]
    assert shown["waiting_since"] is not None  # still waiting for a person's reply
    report = json.loads(run_cli(capsys, "report", "--json").out)
    assert report["totals"]["replies_out"] == 0, report["totals"]

    # The customer writes again, and from a new subject: no second acknowledgement (the
    # conversation has one; the customer had one within min_hours_between).
    more = _question("<second@customer.test>", subject="Re: Cannot log in", in_reply_to=MID, references=MID)
    other = _question("<third@customer.test>", subject="Invoice address")
    append(dovecot, [more, other])
    quiet = run_cli(capsys, "sync")
    assert quiet.code == 0 and "acknowledgement" not in quiet.out, quiet
    assert len(smtp_server.received) == 1


def test_automated_mail_lists_no_reply_and_our_own_mail_get_none(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(supportinbox_home, dovecot, smtp_server, _closed_today() + _enabled(), capsys)
    append(
        dovecot,
        [
            _question("<ooo@c.test>", headers={"Auto-Submitted": "auto-replied"}, subject="Out of office"),
            _question(
                "<news@c.test>", sender="News <news@lists.test>", headers={"List-Id": "<news.lists.test>"}
            ),
            _question(
                "<unsub@c.test>", sender="Shop <shop@shop.test>", headers={"List-Unsubscribe": "<x@y>"}
            ),
            _question("<bulk@c.test>", sender="Promo <p@promo.test>", headers={"Precedence": "bulk"}),
            _question("<nr@c.test>", sender="Shop <noreply@shop.test>", subject="Your order"),
            _question(
                "<ms@c.test>", sender="Exchange <ex@corp.test>", headers={"X-Auto-Response-Suppress": "All"}
            ),
            _question("<us@c.test>", sender="Acme Support <support@acme.test>", subject="Posing as us"),
        ],
    )
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    assert "acknowledgement" not in synced.out, synced
    assert smtp_server.received == []


def test_the_customers_language_and_the_first_reply_rule(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # No business hours: only the first-reply rule, with a one-minute target.
    extra = '\n[accounts.support.sla]\nfirst_reply = "1m"\n' + _enabled('"first-reply-late"')
    _setup(supportinbox_home, dovecot, smtp_server, extra, capsys)
    german = _question(
        "<de@kunde.test>",
        sender="Jonas Weber <jonas@kunde.test>",
        subject="Anmeldung geht nicht",
        body="Hallo, seit heute Morgen kann ich mich nicht mehr anmelden. Was kann ich tun? Vielen Dank.",
        date=datetime.now(UTC) - timedelta(seconds=20),
    )
    append(dovecot, [german])
    early = run_cli(capsys, "sync")
    assert early.code == 0 and smtp_server.received == [], early  # 20 s of a 1-minute target
    append(
        dovecot,
        [
            _question(
                "<late@kunde.test>",
                sender="Jonas Weber <jonas@kunde.test>",
                subject="Passwort vergessen",
                body="Hallo, ich habe mein Passwort vergessen und finde den Link nicht. Danke.",
                date=datetime.now(UTC) - timedelta(minutes=5),
            )
        ],
    )
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    assert "(the first-reply target is about to be missed)" in synced.out, synced
    (received,) = smtp_server.received  # one per customer: Jonas's other one stays quiet
    assert received.message["In-Reply-To"] == "<late@kunde.test>"
    body = received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hallo Jonas," in body and "automatische Bestätigung" in body


_DRIVER = """
import sys, time
from pathlib import Path
from supportinbox.cli import main
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
main(sys.argv[2:])
"""


@pytest.fixture
def no_keywords_dovecot() -> Iterator[Dovecot]:
    """A Dovecot that drops keywords: the send step races through the state folder."""
    yield from acl_dovecot("* owner lrsteikxa\n")


def test_two_teammates_syncing_at_once_send_one_acknowledgement(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_teammates_at_once(tmp_path, dovecot, smtp_server, capsys)


def test_two_teammates_without_keywords_send_one_acknowledgement(
    tmp_path: Path, no_keywords_dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_teammates_at_once(tmp_path, no_keywords_dovecot, smtp_server, capsys)


def _two_teammates_at_once(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """alice's and bob's ``sync`` started at the same instant after a customer wrote."""
    team = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"), extra=_closed_today() + _enabled())
    for mate in team:
        assert mate.cli(capsys, "sync").code == 0  # switches acknowledgements on here
    append(dovecot, [_question()])
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DRIVER, str(go), "sync"],
            env=cli_env(mate.home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mate in team
    ]
    time.sleep(1.5)  # both have imported everything and wait for the file
    go.touch()
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert len(_acks(smtp_server)) == 1, results
    sent_by = [
        mate.agent for mate, (out, _err) in zip(team, results, strict=True) if "acknowledgement #" in out
    ]
    assert len(sent_by) == 1, results
    # The other client's acknowledgement was dropped, not left waiting for its user.
    for mate in team:
        statuses = {r.status for r in store.list_rows(mate.db.conn)}
        assert statuses <= {"sent", "cancelled"}, (mate.agent, statuses)
        assert mate.cli(capsys, "outbox").out.strip() == "the outbox is empty", mate.agent

    sent = [r for mate in team for r in store.list_rows(mate.db.conn) if r.status == "sent"]
    assert len(sent) == 1
    (winner,) = sent_by
    for mate, (out, _err) in zip(team, results, strict=True):
        dropped = [r for r in store.list_rows(mate.db.conn) if r.status == "cancelled"]
        if dropped:  # it queued one too, and the atomic send step stopped it: said so
            # "alice already replied to ...", "alice replied to ... while this reply was being
            # sent", or (the winner's copy not in Sent yet) "a teammate is sending ...".
            said = [line for line in out.splitlines() if "acknowledgement not sent: " in line]
            assert len(said) == 1 and (f": {winner} " in said[0] or ": a teammate " in said[0]), out
            listed = mate.cli(capsys, "outbox", "list", "--all").out
            assert "(acknowledgement, automatic)" in listed, listed

    # Re-syncing changes nothing, on either side; Sent holds one.
    for mate in team:
        again = mate.cli(capsys, "sync")
        assert again.code == 0 and "acknowledgement" not in again.out, again
    assert len(_acks(smtp_server)) == 1
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        assert len(imap.search(["HEADER", "Auto-Submitted", "auto-replied"])) == 1

    # A person's reply afterwards is not held by the teammate's acknowledgement, and it is
    # the first reply the report counts.
    loser = next(m for m in team if m.agent not in sent_by)
    cid = loser.conversation_of(MID)
    replied = loser.cli(capsys, "reply", cid, "-t", "login-help", "--send", "--yes")
    assert replied.code == 0, replied.err
    assert len(smtp_server.received) == 2
    assert loser.cli(capsys, "sync").code == 0
    report = json.loads(loser.cli(capsys, "report", "--json").out)
    assert report["totals"]["replies_out"] == 1, report["totals"]


def _retry_now(setup: Setup, outbox_id: int) -> None:
    """The failed acknowledgement's retry time comes (the clock is not moved: the row's time is)."""
    past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat(timespec="seconds")
    with setup.db.transaction() as conn:
        conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (past, outbox_id))


def test_an_acknowledgement_held_up_by_the_mail_server_never_follows_a_persons_reply(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _setup(supportinbox_home, dovecot, smtp_server, _closed_today() + _enabled(), capsys)
    append(dovecot, [_question()])
    smtp_server.stop()
    down = run_cli(capsys, "sync")
    assert down.code == 0, down.err
    (ack,) = store.list_rows(setup.db.conn)
    assert ack.status == "failed" and ack.next_attempt_at, ack  # kept, tried again later

    # Meanwhile a person answers: the acknowledgement must not arrive after the answer.
    smtp_server.start()
    cid = setup.conversation_of(MID)
    replied = run_cli(capsys, "reply", cid, "-t", "login-help", "--send", "--yes")
    assert replied.code == 0, replied.err
    _retry_now(setup, ack.id)
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    said = f"outbox: #{ack.id} acknowledgement not sent: the conversation was answered before it left"
    assert said in synced.out, synced
    assert [r.message["Auto-Submitted"] for r in smtp_server.received] == [None]
    dropped = store.get(setup.db.conn, ack.id)
    assert dropped is not None and dropped.status == "cancelled"


def test_an_acknowledgement_a_day_late_is_dropped(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _setup(supportinbox_home, dovecot, smtp_server, _closed_today() + _enabled(), capsys)
    append(dovecot, [_question()])
    smtp_server.stop()
    assert run_cli(capsys, "sync").code == 0
    (ack,) = store.list_rows(setup.db.conn)
    smtp_server.start()
    day_ago = (datetime.now(UTC) - timedelta(hours=25)).isoformat(timespec="seconds")
    with setup.db.transaction() as conn:
        conn.execute("UPDATE outbox SET created_at = ? WHERE id = ?", (day_ago, ack.id))
    _retry_now(setup, ack.id)
    synced = run_cli(capsys, "sync")
    assert "acknowledgement not sent: too late" in synced.out, synced
    assert smtp_server.received == []


def test_a_broken_template_is_said_once_per_sync_and_nothing_leaves(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _setup(supportinbox_home, dovecot, smtp_server, _closed_today() + _enabled(), capsys)
    template = paths.templates_dir() / "acknowledgement.txt"
    good = template.read_text(encoding="utf-8")
    template.write_text("---\ndescription: x\n---\nHi {{ customer.frist_name }}\n", encoding="utf-8")
    append(dovecot, [_question(), _question("<other@c.test>", sender="Omar <omar@c.test>", subject="Q")])
    broken = run_cli(capsys, "sync")
    assert broken.code == 0, broken.err
    warned = [line for line in broken.err.splitlines() if "acknowledgement of" in line]
    assert len(warned) == 1 and "unknown variable 'customer.frist_name'" in warned[0], broken.err
    assert smtp_server.received == [] and store.list_rows(setup.db.conn) == []

    template.write_text(good, encoding="utf-8")
    fixed = run_cli(capsys, "sync")
    assert fixed.out.count("outbox: acknowledgement #") == 2, fixed
    assert len(_acks(smtp_server)) == 2
