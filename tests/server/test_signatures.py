"""Each agent's signature reaches the customer through real SMTP, intact (real Dovecot, aiosmtpd)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox import paths
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server]

MID = "<sig@customer.test>"


def _question() -> bytes:
    return make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id=MID,
        date=datetime.now(UTC) - timedelta(minutes=10),
    )


@pytest.mark.parametrize("flowed", [False, True])
def test_the_agents_signature_file_is_sent_under_a_template_that_places_it(
    supportinbox_home: Path,
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    flowed: bool,
) -> None:
    signature = tmp_path / "alice.sig"
    signature.write_text("Alice Martin\nCustomer Success · Acme\n+49 30 1234567\n", encoding="utf-8")
    extra = (
        f'signature = "The Acme team"\n\n[accounts.support.agents.alice]\nsignature_file = "{signature}"\n'
    )
    if flowed:
        extra += "\n[replies]\nformat_flowed = true\n"
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()], extra=extra)
    cid = setup.conversation_of(MID)

    sent = run_cli(capsys, "reply", cid, "-t", "login-help", "--send", "--yes")
    assert sent.code == 0, sent.err
    (received,) = smtp_server.received
    body = received.message.get_content().replace("\r\n", "\n")
    if flowed:
        body = body.replace(" \n", " ")
    assert "Best regards,\nAlice Martin\nCustomer Success · Acme\n+49 30 1234567" in body
    assert "The Acme team" not in body and "\n-- \n" not in body  # placed by the template: once


def test_a_template_without_a_place_for_it_gets_it_under_the_separator(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [_question()], extra='signature = "The Acme team"\n'
    )
    (paths.templates_dir() / "short.txt").write_text("Hi {{ customer.first_name }}, done.\n")
    cid = setup.conversation_of(MID)
    sent = run_cli(capsys, "reply", cid, "-t", "short", "--send", "--yes")
    assert sent.code == 0, sent.err
    (received,) = smtp_server.received
    raw = received.raw  # as it came over SMTP
    assert b"Hi Lina, done.\r\n\r\n-- \r\nThe Acme team" in raw  # the separator keeps its space
