"""A wrong option or option value exits 2, whoever checks it: click or the command itself.

Scripts tell "I called it wrong" (2) from "it ran and something failed" (1, 3-11) by the
exit code alone, as the README's table promises; ``--limit 0`` (click's check) and
``--since banana`` (the command's own) are the same kind of mistake and get the same code.
Nothing is queued, changed or sent on the way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.store import outbox as outbox_store
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

USAGE_EXIT = 2
ID = "{id}"  # stands for the synced conversation's id

CASES = [
    ("list", "--limit", "0"),  # click's own check: the reference
    ("list", "--mine", "--unassigned"),
    ("list", "--tag", "two words"),
    ("report", "--since", "banana"),
    ("report", "--json", "--csv"),
    ("sla", "--warn"),
    ("snooze", ID, "nonsense"),
    ("snooze", ID, "--for", "0h"),
    ("snooze", ID),
    ("snooze", ID, "3d", "--for", "2d"),
    ("followup", ID),
    ("followup", ID, "--in", "banana"),
    ("followup", ID, "--clear", "--note", "x"),
    ("reply", ID, "-t", "login-help", "--force"),
    ("reply", ID, "--lang", "de"),
    ("reply", ID, "-t", "login-help", "--send-at", "someday"),
    ("reply", ID, "-t", "login-help", "--send-in", "banana"),
    ("reply", ID, "-t", "login-help", "--send-at", "09:00", "--send-in", "2h"),
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(case) for case in CASES])
def test_a_wrong_option_exits_2_with_one_line(
    args: tuple[str, ...],
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<u1@customer.test>")]
    )
    conversation = setup.conversation_of("<u1@customer.test>")
    result = run_cli(capsys, *(arg.replace(ID, conversation) for arg in args))
    assert result.code == USAGE_EXIT, result
    assert result.err.startswith("supportinbox: ") and result.err.count("\n") == 1, result
    assert "Traceback" not in result.err and result.out == ""
    assert outbox_store.list_rows(setup.db.conn) == [] and smtp_server.received == []
