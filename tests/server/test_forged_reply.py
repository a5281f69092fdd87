"""A forged "reply from us" in the inbox does not hide the customer (real Dovecot, the CLI).

Before, any inbox message whose From was the support address counted as ours: through
the same-customer same-subject fallback it made the customer's conversation pending and
took it out of the Open queue.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import run_cli, setup_account

pytestmark = pytest.mark.server


def test_forged_from_support_in_the_inbox_leaves_the_conversation_open(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    question = make_message(
        sender="Ann <ann@customer.test>", subject="Invoice wrong", message_id="<q@customer.test>"
    )
    setup = setup_account(supportinbox_home, dovecot, None, [question])
    cid = setup.conversation_of("<q@customer.test>")
    setup.db.close()
    forged = make_message(
        sender="Acme Support <support@acme.test>",
        to="ann@customer.test",
        subject="Re: Invoice wrong",
        body="We have answered this already.",
        message_id="<forged@evil.test>",
    )
    append(dovecot, [forged])
    assert run_cli(capsys, "sync").code == 0

    listed = run_cli(capsys, "list", "--json")
    assert listed.code == 0, listed.err
    assert cid in [row["id"] for row in json.loads(listed.out)]
    shown = json.loads(run_cli(capsys, "show", cid, "--json").out)
    assert shown["status"] == "open"
