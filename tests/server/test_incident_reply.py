"""Answering an incident end to end: real Dovecot, real SMTP, the real command line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.config import AccountConfig
from supportinbox.mail import drafts
from supportinbox.store import outbox as outbox_store
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxStatus
from tests.harness import cliproc
from tests.harness.dovecot import Dovecot
from tests.harness.mail import SSO_REPORTS, client, sso_outage, sso_report_in_german
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import TEMPLATE, make_team

pytestmark = [pytest.mark.server]


def test_each_customer_of_an_incident_gets_their_own_reply_once(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    mails = sso_outage(now)
    setup_account(
        supportinbox_home,
        dovecot,
        smtp_server,
        mails,
        extra='\n[ui]\nmark_read = "reply"\n[replies]\nundo_seconds_cli = 0\n',
    )
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    sent = run_cli(
        capsys, "incident", "reply", incident["id"], "-t", "acknowledge-investigating", "--send", "-y"
    )
    assert sent.code == 0, sent.err
    assert len(smtp_server.received) == 3
    by_customer = {r.rcpt_tos[0]: r.message for r in smtp_server.received}
    for i, (name, address, subject, _) in enumerate(SSO_REPORTS):
        msg = by_customer[address]
        assert msg["In-Reply-To"] == f"<inc{i}@c.test>" and msg["Subject"] == f"Re: {subject}"
        assert f"Hi {name.split()[0]}," in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    rows = json.loads(run_cli(capsys, "list", "--status", "all", "--json").out)
    assert [r["unread_count"] for r in rows if r["customer"] in by_customer] == [0, 0, 0]
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        flags = imap.get_flags(imap.search(["ALL"]))
        assert all(b"\\Answered" in f for f in flags.values())
        imap.select_folder("Sent", readonly=True)
        assert len(imap.search(["ALL"])) == 3
    # The JSON says so too: all open, nobody waiting, each answered.
    (listed,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    assert (listed["open"], listed["waiting"]) == (3, 0), listed
    shown = json.loads(run_cli(capsys, "incident", "show", incident["id"], "--json").out)
    assert (shown["open"], shown["waiting"]) == (3, 0), shown
    assert [(c["answered"], c["reply_in_outbox"]) for c in shown["conversations"]] == [(True, None)] * 3
    # Nobody waits any more: a second run sends nothing.
    again = run_cli(
        capsys, "incident", "reply", incident["id"], "-t", "acknowledge-investigating", "--send", "-y"
    )
    assert again.code != 0 and "nobody is waiting" in again.err, again
    assert len(smtp_server.received) == 3


def test_each_customer_of_an_incident_is_answered_in_their_own_language(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    extra = "\n[replies]\nundo_seconds_cli = 0\n"
    mails = [*sso_outage(now), sso_report_in_german(now)]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, mails, extra=extra)
    greta = setup.conversation_of("<inc-de@c.test>")
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    assert incident["customers"] == 4, incident
    reply = ("incident", "reply", incident["id"], "-t", "acknowledge-investigating")
    drafts = run_cli(capsys, *reply)
    assert f"── {greta} (acknowledge-investigating.de: the customer writes Deutsch (de))" in drafts.out
    sent = run_cli(capsys, *reply, "--send", "-y")
    assert sent.code == 0, sent.err
    bodies = {
        r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for r in smtp_server.received
    }
    assert len(bodies) == 4
    assert bodies["greta@vogel-werk.test"].startswith("Hallo Greta,"), bodies
    for name, address, _, _ in SSO_REPORTS:
        assert bodies[address].startswith(f"Hi {name.split()[0]},"), bodies


def test_a_reply_held_for_a_teammate_is_not_joined_by_a_second_one(
    supportinbox_home: Path,
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now(UTC)
    mails = sso_outage(now)
    extra = "\n[replies]\nundo_seconds_cli = 0\n"
    setup = setup_account(supportinbox_home, dovecot, smtp_server, mails, extra=extra)
    jonas = setup.conversation_of("<inc1@c.test>")
    (bob,) = make_team(tmp_path, dovecot, smtp_server, ("bob",))
    team_actions.claim(bob.ctx(), jonas)
    run_cli(capsys, "sync")
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    reply = ("incident", "reply", incident["id"], "-t", "acknowledge-investigating", "--send", "-y")
    first = run_cli(capsys, *reply)
    assert first.code == 10 and f"held: bob claimed conversation {jonas}" in first.err, first
    assert len(smtp_server.received) == 2
    (held,) = outbox_store.list_rows(setup.db.conn, (OutboxStatus.HELD,))
    shown = run_cli(capsys, "incident", "show", incident["id"]).out.splitlines()
    assert shown[0].endswith("(3 conversations, 3 open)"), shown  # open, not all of them waiting
    assert sum(line.endswith("(answered)") for line in shown) == 2, shown
    (jonas_line,) = [line for line in shown if jonas in line]
    assert jonas_line.endswith(f"(our reply #{held.id} waits in the outbox)"), shown
    as_json = json.loads(run_cli(capsys, "incident", "show", incident["id"], "--json").out)
    assert as_json["waiting"] == 0, as_json
    kept = {c["id"]: (c["answered"], c["reply_in_outbox"]) for c in as_json["conversations"]}
    assert kept.pop(jonas) == (False, held.id) and set(kept.values()) == {(True, None)}, kept
    again = run_cli(capsys, *reply)
    assert again.code == 1, again
    assert f"note: {jonas} left out: reply #{held.id} to it waits in the outbox" in again.err
    assert outbox_store.list_rows(setup.db.conn, (OutboxStatus.HELD,)) == [held]  # no second one


def test_incident_reply_names_who_already_answered_a_member_and_leaves_it_out(
    supportinbox_home: Path,
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now(UTC)
    extra = "\n[replies]\nundo_seconds_cli = 0\n"
    setup = setup_account(supportinbox_home, dovecot, smtp_server, sso_outage(now), extra=extra)
    jonas = setup.conversation_of("<inc1@c.test>")
    (bob,) = make_team(tmp_path, dovecot, smtp_server, ("bob",), extra=extra)
    answered = bob.cli(capsys, "reply", jonas, "-t", TEMPLATE, "--send", "--yes")
    assert answered.code == 0, answered.err
    assert len(smtp_server.received) == 1
    assert run_cli(capsys, "sync").code == 0
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    reply = ("incident", "reply", incident["id"], "-t", "acknowledge-investigating")

    preview = run_cli(capsys, *reply)  # said before anything is sent
    assert f"note: {jonas} left out, already answered: bob replied " in preview.err, preview
    assert f"── {jonas}" not in preview.out and preview.out.count("── ") == 2, preview.out
    sent = run_cli(capsys, *reply, "--send", "-y")
    assert sent.code == 0, sent.err
    assert f"note: {jonas} left out, already answered: bob replied " in sent.err, sent.err
    jonas_address = SSO_REPORTS[1][1]
    assert len(smtp_server.received) == 3  # bob's one and two new: Jonas is not answered again
    assert [r.rcpt_tos[0] for r in smtp_server.received].count(jonas_address) == 1


def test_a_member_answered_while_the_incident_reply_starts_is_left_out(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 'reply' to one member run at the same time as 'incident reply' (after the latter
    looked who waits): that customer gets one reply, not two."""
    setup = setup_account(
        supportinbox_home,
        dovecot,
        smtp_server,
        sso_outage(datetime.now(UTC)),
        extra="\n[replies]\nundo_seconds_cli = 0\n",
    )
    first = setup.conversation_of("<inc0@c.test>")
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    real = drafts.awaiting_answer
    others: list[cliproc.Run] = []

    def looked(db: Database, account: AccountConfig, ids: Iterable[str]) -> list[str]:
        waiting = real(db, account, ids)
        if not others:
            reply = ("reply", first, "-t", "login-help", "--send", "--yes")
            others.append(cliproc.run_cli(supportinbox_home, *reply, timeout=120))
        return waiting

    monkeypatch.setattr(drafts, "awaiting_answer", looked)
    sent = run_cli(
        capsys, "incident", "reply", incident["id"], "-t", "acknowledge-investigating", "--send", "-y"
    )

    assert others[0].returncode == 0, others[0].stderr
    assert sent.code == 0, sent.err
    assert f"note: {first} left out, answered meanwhile: alice replied " in sent.err
    to_first = [r for r in smtp_server.received if r.rcpt_tos == [SSO_REPORTS[0][1]]]
    assert len(to_first) == 1 and len(smtp_server.received) == 3


def test_incident_reply_force_refused_by_the_mail_server_stays_forced_on_retry(
    supportinbox_home: Path,
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--force answered every customer although bob holds one: the mail server refusing
    them for a while does not turn that into a hold for bob at the retry."""
    now = datetime.now(UTC)
    extra = "\n[replies]\nundo_seconds_cli = 0\n"
    setup = setup_account(supportinbox_home, dovecot, smtp_server, sso_outage(now), extra=extra)
    jonas = setup.conversation_of("<inc1@c.test>")
    (bob,) = make_team(tmp_path, dovecot, smtp_server, ("bob",))
    team_actions.claim(bob.ctx(), jonas)
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    smtp_server.set_refusing(True)
    reply = ("incident", "reply", incident["id"], "-t", "acknowledge-investigating", "--send", "-y")
    refused = run_cli(capsys, *reply, "--force")
    assert refused.code == 9, refused
    assert refused.err.count("still without the teammate check") == 3, refused.err
    smtp_server.set_refusing(False)

    retried = run_cli(capsys, "outbox", "retry")
    assert retried.code == 0, retried
    assert len(smtp_server.received) == 3
    assert outbox_store.list_rows(setup.db.conn, (OutboxStatus.HELD,)) == []
