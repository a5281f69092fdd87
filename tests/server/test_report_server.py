"""Report facts from a real Dovecot: replies made in another client, kept through a cache rebuild."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message

pytestmark = pytest.mark.server


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportinbox", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )


def _report() -> dict[str, Any]:
    result = _run("report", "--since", "7d", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_reply_appended_by_another_client_counts_and_survives_a_rebuild(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    asked = now - timedelta(hours=3)
    append(dovecot, [make_message(message_id="<q1@customer.test>", date=asked, subject="Invoice copy")])
    # Another mail client on the same mailbox answers and files its reply in Sent itself.
    reply = make_message(
        sender="Acme Support <support@acme.test>",
        to="Lina Haddad <lina@customer.test>",
        subject="Re: Invoice copy",
        message_id="<r1@laptop.acme.test>",
        in_reply_to="<q1@customer.test>",
        references="<q1@customer.test>",
        date=asked + timedelta(minutes=20),
        headers={"User-Agent": "Mutt/2.2"},
    )
    append(dovecot, [reply], folder="Sent", flags=(b"\\Seen",))
    write_config(supportinbox_home, account_toml(dovecot))
    assert _run("sync").returncode == 0

    data = _report()
    assert (data["totals"]["messages_in"], data["totals"]["replies_out"]) == (1, 1)
    assert data["totals"]["first_response"]["median_seconds"] == 20 * 60
    assert [(a["key"], a["replies_out"]) for a in data["agents"]] == [("(other client)", 1)]
    assert data["sla"]["first_reply"] == {"met": 1, "due": 1, "percent": 100.0}

    # The customer's message is archived away on the server; the cache is rebuilt from
    # what is left: the history stays.
    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        imap.delete_messages(imap.search(["ALL"]))
        imap.expunge()
    rebuilt = _run("cache", "rebuild", "--yes")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _run("sync").returncode == 0
    again = _report()
    assert again["totals"] == data["totals"]


def test_customer_mail_expunged_by_another_client_stops_waiting(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    refund = make_message(message_id="<gone@customer.test>", date=now - timedelta(hours=30), subject="Refund")
    append(
        dovecot,
        [
            refund,
            make_message(
                message_id="<stays@customer.test>",
                sender="Omar Said <omar@customer.test>",
                date=now - timedelta(hours=29),
                subject="Password",
            ),
        ],
    )
    write_config(supportinbox_home, account_toml(dovecot))
    assert _run("sync").returncode == 0
    before = _report()
    assert before["backlog_now"] == 2 and before["rows"][-1]["backlog"] == 2

    # Another client deletes the refund request for good, on its own connection.
    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        imap.delete_messages(imap.search(["HEADER", "Message-ID", "<gone@customer.test>"]))
        imap.expunge()
    assert _run("sync").returncode == 0
    listed = json.loads(_run("list", "--json").stdout)
    assert [c["subject"] for c in listed] == ["Password"]
    after = _report()
    # The report agrees with the queue: one customer waits now, and at the end of today.
    assert after["backlog_now"] == 1 and after["rows"][-1]["backlog"] == 1
    # What happened stays: two customers wrote in the window.
    assert after["totals"]["messages_in"] == 2 and after["totals"]["closed"] == 0

    # The mail comes back (restored from the other client's trash): the customer waits again.
    append(dovecot, [refund])
    assert _run("sync").returncode == 0
    assert _report()["backlog_now"] == 2
