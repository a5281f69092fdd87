"""A second reply to a customer who has not written since our first one, over real Dovecot and
SMTP: refused without a terminal, named after the synced Sent copy, sent with --again."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server


def test_a_second_reply_needs_again(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<s1@c.test>")])
    conversation = setup.conversation_of("<s1@c.test>")
    first = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert first.code == 0, first.err
    assert run_cli(capsys, "sync").code == 0  # our reply is now in the cached Sent folder

    second = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert second.code == 11 and "alice replied on" in second.err and "add --again" in second.err
    assert len(smtp_server.received) == 1

    again = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes", "--again")
    assert again.code == 0, again.err
    assert len(smtp_server.received) == 2
