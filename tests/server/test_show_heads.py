"""What 'supportinbox show' prints above each message, from real mail (Dovecot, the CLI in-process).

A 1,000-character subject filled a screen before the first message; an Arabic or Persian
display name read as one right-to-left run with its address put the address first, and
an address starting with digits lent them to the name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len

from supportinbox.domain.subjects import HEAD_SUBJECT_CELLS
from tests.harness.bidi import assert_fields_read_right, drawn
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account

pytestmark = pytest.mark.server

LONG = "Export " + "invoices as CSV please " * 45  # 1,042 characters
NAME = "سارا محمدی"  # Sara Mohammadi
ADDRESS = "4521@customer.test"


def test_show_cuts_a_long_subject_as_the_app_does(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    first = make_message(subject=LONG, message_id="<long@customer.test>")
    second = make_message(
        subject="Short", message_id="<short@customer.test>", in_reply_to="<long@customer.test>"
    )
    alone = make_message(sender="Ann <ann@customer.test>", subject=LONG, message_id="<alone@customer.test>")
    setup = setup_account(supportinbox_home, dovecot, None, [first, second, alone])
    thread, single = (
        setup.conversation_of("<short@customer.test>"),
        setup.conversation_of("<alone@customer.test>"),
    )
    setup.db.close()

    shown = run_cli(capsys, "show", single)
    assert shown.code == 0, shown.err
    head = shown.out.splitlines()[0]
    assert head.startswith("Export invoices as CSV please") and head.endswith("…"), head
    assert cell_len(head) == HEAD_SUBJECT_CELLS
    assert len(shown.out) < 1000, shown.out
    # A message of a thread with a subject of its own (not the conversation's): cut the same way.
    shown = run_cli(capsys, "show", thread)
    (own,) = [line for line in shown.out.splitlines() if line.startswith("Subject: ")]
    assert cell_len(own) == len("Subject: ") + HEAD_SUBJECT_CELLS and own.endswith("…"), own
    # JSON gives the subject as the cache holds it (its first 1,000 characters).
    whole = json.loads(run_cli(capsys, "show", single, "--json").out)["subject"]
    assert len(whole) == 1000 and LONG.startswith(whole), whole


def test_show_isolates_a_right_to_left_name_beside_its_address(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = make_message(
        sender=f"{NAME} <{ADDRESS}>", subject="Invoice question", message_id="<fa@customer.test>"
    )
    setup = setup_account(supportinbox_home, dovecot, None, [raw])
    cid = setup.conversation_of("<fa@customer.test>")
    setup.db.close()

    shown = run_cli(capsys, "show", cid)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    (customer,) = [line for line in lines if line.startswith("customer: ")]
    (header,) = [line for line in lines if line.startswith("── 1. ")]
    for line in (customer, header):
        assert_fields_read_right(line, [NAME])
        # The address reads after the name, left to right, its digits its own.
        assert f"{drawn(NAME, base_dir=None)} <{ADDRESS}>" in drawn(line), drawn(line)
