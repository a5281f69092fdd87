"""What a command's --help says it exits with is what it exits with: real Dovecot, real CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.errors import EXIT_CODES
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

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
