"""A forged "reply from us" in the inbox does not hide the customer (real Dovecot, the CLI).

Before, any inbox message whose From was the support address counted as ours: through
the same-customer same-subject fallback it made the customer's conversation pending and
took it out of the Open queue.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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


def test_mail_from_our_address_that_is_not_ours_is_marked(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """The forged reply is shown with a warning; our real reply (in Sent) and a contact
    form sending as us for a customer are not."""
    now = datetime.now(UTC)
    question = make_message(
        sender="Ann <ann@customer.test>",
        subject="Invoice wrong",
        message_id="<q@customer.test>",
        date=now - timedelta(hours=2),
    )
    setup = setup_account(supportinbox_home, dovecot, None, [question])
    cid = setup.conversation_of("<q@customer.test>")
    setup.db.close()
    forged = make_message(
        sender="Acme Support <support@acme.test>",
        to="ann@customer.test",
        subject="Re: Invoice wrong",
        body="Forged: we have answered this already.",
        date=now - timedelta(hours=1),
        message_id="<forged@evil.test>",
        in_reply_to="<q@customer.test>",
    )
    ours = make_message(
        sender="Acme Support <support@acme.test>",
        to="ann@customer.test",
        subject="Re: Invoice wrong",
        body="Ours: the invoice is corrected.",
        message_id="<reply@acme.test>",
        in_reply_to="<q@customer.test>",
    )
    form = make_message(
        sender="Acme Website <support@acme.test>",
        subject="New message from the contact form",
        body="Form: how do I export?",
        message_id="<form@acme.test>",
        headers={"Reply-To": "Omar <omar@example.test>"},
    )
    append(dovecot, [forged, form])
    append(dovecot, [ours], folder="Sent")
    assert run_cli(capsys, "sync").code == 0

    shown = run_cli(capsys, "show", cid)
    assert shown.code == 0, shown.err
    heads = [line for line in shown.out.splitlines() if line.startswith("── ")]
    assert len(heads) == 3, shown.out
    marked = [line for line in heads if "⚠ our own address, but not in Sent" in line]
    assert len(marked) == 1 and "[INBOX]" in marked[0], shown.out
    assert shown.out.index(marked[0]) < shown.out.index("Forged:") < shown.out.index("Ours:")

    messages = json.loads(run_cli(capsys, "show", cid, "--json").out)["messages"]
    warnings = {m["message_id"]: m["from_warning"] for m in messages}
    assert warnings == {
        "<q@customer.test>": "",
        "<forged@evil.test>": "our own address, but not in Sent",
        "<reply@acme.test>": "",
    }

    listed = json.loads(run_cli(capsys, "list", "--json").out)
    form_id = next(row["id"] for row in listed if row["subject"] == "New message from the contact form")
    form_shown = json.loads(run_cli(capsys, "show", form_id, "--json").out)["messages"]
    assert [m["from_warning"] for m in form_shown] == [""]
