"""Where a reply really goes is shown before it is sent (real Dovecot, the CLI in-process).

A spoofed From with ``Reply-To: attacker`` gets the agent's answer to the attacker: the
draft must name the real recipients and say that Reply-To points to another domain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account

pytestmark = pytest.mark.server

SPOOFED = make_message(
    sender="Big Boss <ceo@customer.test>",
    subject="Refund to my new account",
    message_id="<spoof@customer.test>",
    headers={"Reply-To": "attacker@evil.test", "Cc": "Ann <ann@customer.test>"},
)
HONEST = make_message(
    sender="Ann <ann@customer.test>",
    subject="Export question",
    message_id="<honest@customer.test>",
    headers={"Reply-To": "Ann Office <office@customer.test>"},
)


def test_cli_draft_names_the_real_recipients_and_marks_a_foreign_reply_to(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, None, [SPOOFED, HONEST])
    spoofed = setup.conversation_of("<spoof@customer.test>")
    honest = setup.conversation_of("<honest@customer.test>")
    setup.db.close()

    shown = run_cli(capsys, "reply", spoofed, "-t", "need-more-information")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert "To: attacker@evil.test" in lines
    assert "Reply-To differs from sender: attacker@evil.test" in lines
    assert not any(line.startswith("Cc:") for line in lines)

    every = run_cli(capsys, "reply", spoofed, "-t", "need-more-information", "--all")
    assert every.code == 0, every.err
    assert "Cc: Ann <ann@customer.test>" in every.out.splitlines()  # the name as written

    same_domain = run_cli(capsys, "reply", honest, "-t", "need-more-information")
    assert same_domain.code == 0, same_domain.err
    assert "To: Ann Office <office@customer.test>" in same_domain.out.splitlines()
    assert "differs" not in same_domain.out

    listing = run_cli(capsys, "show", spoofed)
    assert "Reply-To: attacker@evil.test (differs from sender)" in listing.out
