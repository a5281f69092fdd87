"""The server took the reply but its answer was lost: kept, and never resent without asking."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.store import outbox as store
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer, swallow_answers

pytestmark = pytest.mark.server


def test_lost_answer_is_kept_and_resent_only_on_request(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<m1@customer.test>")], timeout=1
    )
    conversation = setup.conversation_of("<m1@customer.test>")
    handler = smtp_server.handler.handle_DATA
    swallow_answers(smtp_server, seconds=3)  # longer than the 1 s timeout

    sent = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert sent.code == 9
    assert "may have been delivered" in sent.err and "not sent again automatically" in sent.err
    assert sent.err.count("\n") == 1 and "Traceback" not in sent.err
    assert len(smtp_server.received) == 1
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "failed" and row.smtp_done_at is None
    assert "maybe delivered" in run_cli(capsys, "outbox").out

    smtp_server.handler.handle_DATA = handler  # type: ignore[method-assign]
    plain = run_cli(capsys, "outbox", "retry")
    assert plain.code == 9 and f"outbox retry {row.id}" in plain.err
    assert len(smtp_server.received) == 1, "a plain retry never sends a maybe-delivered reply"

    named = run_cli(capsys, "outbox", "retry", str(row.id))
    assert named.code == 0, named.err
    assert len(smtp_server.received) == 2
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "sent"
