"""What a command's --help says it exits with is what it exits with: real Dovecot, real CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.errors import EXIT_CODES
from supportinbox.store import outbox as store
from supportinbox.sync.lock import account_lock
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import CliResult, run_cli, setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import TEMPLATE, make_team

pytestmark = [pytest.mark.server]

QUESTION = "<codes@customer.test>"


def _question() -> bytes:
    return make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id=QUESTION,
        body="Hello, I cannot log in since this morning.",
        date=datetime.now(UTC) - timedelta(hours=3),
    )


def listed(capsys: pytest.CaptureFixture[str], *command: str) -> dict[int, str]:
    """The "Exit codes:" section of ``command --help``: code -> meaning."""
    shown = run_cli(capsys, *command, "--help")
    assert shown.code == 0 and "Exit codes:" in shown.out, shown
    section = shown.out.split("Exit codes:", 1)[1]
    return {int(code): meaning for code, meaning in re.findall(r"^\s+(\d+)  (.+)$", section, re.MULTILINE)}


def test_sync_lists_each_way_it_fails(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_account(supportinbox_home, dovecot, None, [])
    codes = listed(capsys, "sync")
    assert set(codes) <= set(EXIT_CODES)
    good = account_toml(dovecot, None)
    password = dovecot.users["support"]
    assert run_cli(capsys, "sync").code == 0
    assert run_cli(capsys, "sync", "--folder", "nowhere").code == 8
    for broken, expected in (
        (good.replace(f"printf %s {password}", "false"), 3),  # a failing password_command
        (good.replace(f"printf %s {password}", "printf %s wrong"), 5),  # the login refused
        (good.replace(f"imap_port = {dovecot.imap_port}", "imap_port = 1"), 4),  # nobody there
        (good.replace('username = "support"', 'username = "support'), 2),  # config that does not parse
    ):
        write_config(supportinbox_home, broken)
        failed = run_cli(capsys, "sync")
        assert failed.code == expected, failed
        assert expected in codes, (expected, codes)


def test_sla_lists_its_verdicts_in_its_own_words(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_account(supportinbox_home, dovecot, None, [_question()])
    codes = listed(capsys, "sla")
    assert run_cli(capsys, "sla").code == 0 and 0 in codes
    checked = run_cli(capsys, "sla", "--check")
    assert checked.code == 10, checked
    assert codes[10] == "with --check: at least one conversation waits past its target"
    assert "teammate" not in codes[10]  # the table's other meaning of 10 is not sla's
    assert run_cli(capsys, "sla", "--warn").code == 2 and 2 in codes


def test_reply_lists_each_way_it_ends(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()])
    conversation = setup.conversation_of(QUESTION)
    codes = listed(capsys, "reply")
    assert "sla" not in codes[10] and "sla" not in codes[11]  # the table's other meanings are not reply's
    ends = [run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes").code]
    ends.append(run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes").code)  # asks
    ends.append(run_cli(capsys, "reply", "zzzzzzzz", "-t", "login-help").code)
    write_config(
        supportinbox_home,
        account_toml(dovecot, smtp_server).replace(f"smtp_port = {smtp_server.port}", "smtp_port = 1"),
    )
    ends.append(run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes", "--again").code)
    assert ends == [0, 11, 8, 9]
    assert set(ends) <= set(codes), codes


def test_claim_and_release_list_each_way_they_end(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, None, [_question()])
    conversation = setup.conversation_of(QUESTION)
    codes = listed(capsys, "claim")
    assert listed(capsys, "release") == codes and "sla" not in codes[10]
    good = account_toml(dovecot, None)
    password = dovecot.users["support"]
    ends = []
    for config in (
        good.replace(f"printf %s {password}", "false"),  # kept here: a failing password_command
        good.replace(f"printf %s {password}", "printf %s wrong"),  # kept here: the login refused
        good.replace(f"imap_port = {dovecot.imap_port}", "imap_port = 1"),  # kept for the next sync
        good,
    ):
        write_config(supportinbox_home, config)
        ends.append(run_cli(capsys, "claim", conversation).code)
    ends.append(run_cli(capsys, "claim", "zzzzzzzz").code)
    assert ends == [3, 5, 0, 0, 8]
    assert set(ends) <= set(codes), codes


def test_forward_lists_each_way_it_ends(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()])
    conversation = setup.conversation_of(QUESTION)
    codes = listed(capsys, "forward")
    assert "sla" not in codes[11]
    good = account_toml(dovecot, smtp_server)
    password = dovecot.users["support"]
    ends = [
        run_cli(capsys, "forward", conversation, "--to", "dev@acme.test").code,  # asks: no terminal
        run_cli(capsys, "forward", conversation, "--to", "not an address", "--yes").code,
        run_cli(capsys, "forward", "zzzzzzzz", "--to", "dev@acme.test", "--yes").code,
    ]
    for config in (
        good.replace(f"printf %s {password}", "false"),
        good.replace(f"printf %s {password}", "printf %s wrong"),
        good.replace(f"imap_port = {dovecot.imap_port}", "imap_port = 1"),  # the record waits for a sync
        good.replace(f"smtp_port = {smtp_server.port}", "smtp_port = 1"),
    ):
        write_config(supportinbox_home, config)
        ends.append(
            run_cli(capsys, "forward", conversation, "--to", "dev@acme.test", "--yes", "--attachments").code
        )
    assert ends == [11, 2, 8, 3, 5, 0, 9]
    assert set(ends) <= set(codes), codes


def test_outbox_retry_lists_each_way_it_ends(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()])
    conversation = setup.conversation_of(QUESTION)
    codes = listed(capsys, "outbox", "retry")
    assert "sla" not in codes[10]
    good = account_toml(dovecot, smtp_server)
    write_config(supportinbox_home, good.replace(f"smtp_port = {smtp_server.port}", "smtp_port = 1"))
    assert run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes").code == 9
    ends = [
        run_cli(capsys, "outbox", "retry", "1").code,  # SMTP still down
        run_cli(capsys, "outbox", "retry", "7").code,  # no such reply
        run_cli(capsys, "outbox", "retry", "one").code,
    ]
    write_config(supportinbox_home, good)
    ends.append(run_cli(capsys, "outbox", "retry", "1").code)
    assert ends == [9, 8, 2, 0]
    assert set(ends) <= set(codes), codes


def _broken(dovecot: Dovecot, smtp: SmtpServer | None, agent: str = "alice") -> dict[str, str]:
    """The account's config, and one way to break it per failure a command meets."""
    good = account_toml(dovecot, smtp, agent=agent)
    password = dovecot.users["support"]
    broken = {
        "good": good,
        "no password": good.replace(f"printf %s {password}", "false"),  # a failing password_command
        "wrong password": good.replace(f"printf %s {password}", "printf %s wrong"),  # the login refused
        "no imap": good.replace(f"imap_port = {dovecot.imap_port}", "imap_port = 1"),  # nobody there
        "bad toml": good.replace('username = "support"', 'username = "support'),
    }
    if smtp is not None:
        broken["no smtp"] = good.replace(f"smtp_port = {smtp.port}", "smtp_port = 1")
    return broken


def test_send_anyway_lists_each_way_it_ends(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A held reply sent anyway that SMTP does not take stays in the outbox: 9, as for retry."""
    append(dovecot, [_question()])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(QUESTION)
    assert bob.cli(capsys, "claim", cid).code == 0
    assert alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes").code == 10
    codes = listed(capsys, "outbox", "send-anyway")
    assert listed(capsys, "team", "send-anyway") == codes
    configs = _broken(dovecot, smtp_server)
    write_config(alice.home, configs["no smtp"])
    failed = alice.cli(capsys, "outbox", "send-anyway", "1")
    assert failed.err.startswith("supportinbox: #1 not sent: cannot connect to SMTP server"), failed
    ends = [
        failed.code,
        alice.cli(capsys, "outbox", "send-anyway", "7").code,  # no such reply
        alice.cli(capsys, "outbox", "send-anyway", "one").code,
    ]
    write_config(alice.home, configs["good"])
    sent = alice.cli(capsys, "team", "send-anyway", "1")
    assert sent.out == "reply #1 sent to lina@customer.test: Re: Cannot log in\n", sent
    ends.append(sent.code)
    assert ends == [9, 8, 2, 0]
    assert set(ends) <= set(codes) and 10 not in codes, codes


def test_outbox_edit_lists_each_way_it_ends(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [_question()])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(QUESTION)
    codes = listed(capsys, "outbox", "edit")
    body = tmp_path / "body.txt"
    body.write_text("Hello Lina,\n\nplease try the link again.\n", encoding="utf-8")
    configs = _broken(dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    assert alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes").code == 10  # #1 held

    def edit(*args: str) -> int:
        return alice.cli(capsys, "outbox", "edit", *args).code

    def held() -> str:
        (row,) = [r for r in store.list_rows(alice.db.conn) if r.status == "held"]
        return str(row.id)

    ends = [
        edit("1"),  # $EDITOR, without a terminal
        edit("7", "--body-file", str(body)),
        edit("1", "--send-at", "10:00", "--body-file", str(body)),  # not a scheduled reply
        edit("1", "--body-file", str(body)),  # the copy is held too: bob still holds it
    ]
    assert bob.cli(capsys, "release", cid).code == 0
    write_config(alice.home, configs["no smtp"])
    ends.append(edit(held(), "--body-file", str(body)))
    write_config(alice.home, configs["good"])
    (failed,) = [r for r in store.list_rows(alice.db.conn) if r.status == "failed"]
    assert alice.cli(capsys, "outbox", "retry", str(failed.id)).code == 0
    ends.append(edit(str(failed.id), "--body-file", str(body)))  # sent: too late
    later = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes", "--again", "--send-at", "2h")
    assert later.code == 0, later
    scheduled = str(max(r.id for r in store.list_rows(alice.db.conn)))
    ends.append(edit(scheduled, "--send-in", "3h", "--body-file", str(body)))
    assert ends == [11, 8, 2, 10, 9, 1, 0]
    assert set(ends) <= set(codes), codes


def _incident_reports() -> list[bytes]:
    now = datetime.now(UTC)
    return [
        make_message(
            sender=f"{name.title()} <{name}@{name}.test>",
            subject="SSO login not working",
            body="Hi, SSO login not working since this morning.",
            message_id=f"<sso-{name}@{name}.test>",
            date=now - timedelta(minutes=10, seconds=n),
        )
        for n, name in enumerate(("ann", "ben", "cat"))
    ]


def test_incident_reply_lists_each_way_it_ends(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, _incident_reports())
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    codes = listed(capsys, "incident", "reply")
    (incident,) = json.loads(alice.cli(capsys, "incident", "list", "--json").out)
    ident = incident["id"]

    def reply(*args: str) -> CliResult:
        return alice.cli(capsys, "incident", "reply", *args)

    asked = reply(ident, "-t", TEMPLATE, "--send")
    # Refused before anything is printed, as 'reply' refuses: the script learns what to add.
    assert (asked.out, asked.err) == ("", "supportinbox: no terminal to confirm on; add --yes\n"), asked
    ends = [
        asked.code,
        reply("zzzzzzz", "-t", TEMPLATE).code,
        reply(ident, "-t", TEMPLATE, "--force").code,  # --force without --send
        reply(ident, "-t", TEMPLATE).code,  # the drafts, printed
    ]
    for cid in (alice.conversation_of(f"<sso-{name}@{name}.test>") for name in ("ann", "ben", "cat")):
        assert bob.cli(capsys, "claim", cid).code == 0
    ends.append(reply(ident, "-t", TEMPLATE, "--send", "--yes").code)  # each one held
    for row in store.list_rows(alice.db.conn):  # else they wait in the outbox: nobody is left
        assert alice.cli(capsys, "outbox", "discard", str(row.id)).code == 0
    write_config(alice.home, _broken(dovecot, smtp_server)["no smtp"])
    ends.append(reply(ident, "-t", TEMPLATE, "--send", "--yes", "--force").code)
    write_config(alice.home, _broken(dovecot, smtp_server)["good"])
    assert alice.cli(capsys, "outbox", "retry", "--force").code == 0
    ends.append(reply(ident, "-t", TEMPLATE, "--send", "--yes").code)  # nobody waits now
    assert ends == [11, 8, 2, 0, 10, 9, 1]
    assert set(ends) <= set(codes), codes


def test_cache_rebuild_lists_each_way_it_ends(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_account(supportinbox_home, dovecot, None, [_question()])
    codes = listed(capsys, "cache", "rebuild")
    configs = _broken(dovecot, None)
    ends = [run_cli(capsys, "cache", "rebuild").code]  # asks: no terminal
    for broken in ("no password", "wrong password", "no imap", "bad toml"):
        write_config(supportinbox_home, configs[broken])
        ends.append(run_cli(capsys, "cache", "rebuild", "--yes").code)
    write_config(supportinbox_home, configs["good"])
    with account_lock("support"):
        ends.append(run_cli(capsys, "cache", "rebuild", "--yes").code)
    ends.append(run_cli(capsys, "cache", "rebuild", "--yes").code)
    assert ends == [11, 3, 5, 4, 2, 7, 0]
    assert set(ends) <= set(codes), codes


def test_assign_and_note_list_each_way_they_end(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, None, [_question()])
    conversation = setup.conversation_of(QUESTION)
    assigns, notes = listed(capsys, "assign"), listed(capsys, "note")
    assert 10 not in assigns  # a hand-over replaces any claim: no teammate refuses it
    configs = _broken(dovecot, None)
    assigned = [
        run_cli(capsys, "assign", conversation, "bob").code,
        run_cli(capsys, "assign", "zzzzzzzz", "bob").code,
    ]
    wrong = run_cli(capsys, "assign", conversation, "two words")
    assert wrong.err == (
        "supportinbox: 'two words' is not an agent name (up to 64 letters, digits, '-', '_' or '.')\n"
    )
    assigned.append(wrong.code)  # a wrong argument, as for any usage error
    noted = [
        run_cli(capsys, "note", conversation, "called her back").code,
        run_cli(capsys, "note", "zzzzzzzz", "called her back").code,
        run_cli(capsys, "note", conversation).code,  # $EDITOR, without a terminal
        run_cli(capsys, "note", conversation, "  ").code,  # nothing to save
    ]
    for broken in ("no password", "wrong password", "no imap", "bad toml"):
        write_config(supportinbox_home, configs[broken])
        assigned.append(run_cli(capsys, "assign", conversation, "carol").code)
        noted.append(run_cli(capsys, "note", conversation, f"with {broken}").code)
    assert assigned == [0, 8, 2, 3, 5, 0, 2]
    assert noted == [0, 8, 11, 1, 3, 5, 0, 2]
    assert set(assigned) <= set(assigns), assigns
    assert set(noted) <= set(notes), notes


@pytest.mark.parametrize(
    ("command", "question"),
    [
        (("reply",), '"Send this reply?" (or "Send another reply?")'),
        (("forward",), '"Forward N messages to ADDRESS?"'),
        (("incident", "reply"), '"Send these N replies?"'),
        (("sync",), None),
        (("outbox", "retry"), None),
        (("outbox", "send-anyway"), None),
        (("outbox", "edit"), None),
        (("team", "send-anyway"), None),
        (("claim",), None),
        (("assign",), None),
        (("sla",), None),
    ],
)
def test_exit_130_names_a_question_only_where_the_command_asks_one(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...], question: str | None
) -> None:
    """'no' to a question cancels a command as Ctrl-C does; one that asks none is cancelled by
    Ctrl-C alone, and its --help says so (not "Send this reply?" under 'sync')."""
    meaning = listed(capsys, *command)[130]
    if question is None:
        assert meaning == "cancelled: Ctrl-C"
    else:
        assert meaning == f"cancelled: Ctrl-C, or 'no' to {question}"
