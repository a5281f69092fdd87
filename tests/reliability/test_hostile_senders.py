"""Senders that pass for someone else, synced from a real Dovecot and shown by the real CLI.

A display name holding another address (``"bob@big.test" <eve@evil.test>``), an encoded
one, and headers Python 3.11/3.12 read wrongly (CVE-2023-27043:
``ceo@big.test)<eve@evil.test>`` was read as ceo@big.test) must never show as that person,
make a conversation VIP, pass for our own mail, or make a Junk message a known customer.
A From of 4,000 colons (the legacy parser recursed once per colon) keeps the rest of the
message's headers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportinbox.domain.senders import MALFORMED, NAME_HOLDS_ADDRESS, WARNING_MARK
from tests.harness.cliproc import config_text, query, run_cli, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message, with_raw_from

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

VIP = "@big.test"
# subject -> (From header, expected cached address, expected warning)
SPOOFS = {
    "Spoof quoted address": ('"ceo@big.test" <eve@evil.test>', "eve@evil.test", NAME_HOLDS_ADDRESS),
    "Spoof name and address": ('"Ceo <ceo@big.test>" <eve@evil.test>', "eve@evil.test", NAME_HOLDS_ADDRESS),
    "Spoof encoded name": ("=?utf-8?q?ceo=40big.test?= <eve@evil.test>", "eve@evil.test", NAME_HOLDS_ADDRESS),
    "Spoof fullwidth at": (
        "=?utf-8?q?ceo=EF=BC=A0big.test?= <eve@evil.test>",
        "eve@evil.test",
        NAME_HOLDS_ADDRESS,
    ),
    "Spoof CVE-2023-27043": ("ceo@big.test)<eve@evil.test>", "", MALFORMED),
    "Spoof two addresses": ("<ceo@big.test> <eve@evil.test>", "", MALFORMED),
    "Spoof ourselves": ("support@acme.test)<eve@evil.test>", "", MALFORMED),
    "Spoof quoted local part": ('"ceo@big.test"@evil.test', "", MALFORMED),
}
GENUINE = "Genuine VIP"
COLONS = "Colon bomb"


@pytest.fixture
def synced(dovecot: Dovecot, supportinbox_home: Path) -> Path:
    raws = [
        with_raw_from(sender, subject=subject, message_id=f"<s{i}@t>")
        for i, (subject, (sender, _, _)) in enumerate(SPOOFS.items())
    ]
    raws.append(make_message(sender="Carol <ceo@big.test>", subject=GENUINE, message_id="<g@t>"))
    raws.append(with_raw_from(":" * 4000, subject=COLONS, message_id="<s99@t>"))
    raws.append(make_message(sender="Kim <kim@customer.test>", subject="Known customer", message_id="<k@t>"))
    append(dovecot, raws)
    # In Junk: a malformed From naming the known customer must not make it a known sender.
    append(
        dovecot,
        [with_raw_from("kim@customer.test)<spam@evil.test>", subject="Cheap pills", message_id="<s50@t>")],
        folder="Junk",
    )
    write_config(
        supportinbox_home,
        config_text(imap_port=dovecot.imap_port, timeout=20, extra=f'\n[triage]\nvip_senders = ["{VIP}"]\n'),
    )
    run = run_cli(supportinbox_home, "sync")
    assert run.returncode == 0, run.describe()
    return supportinbox_home


def test_spoofing_senders_are_marked_and_never_trusted(synced: Path) -> None:
    rows = {
        r["subject"]: r for r in query(synced, "SELECT subject, from_name, from_addr, date FROM messages")
    }
    for subject, (sender, addr, _) in SPOOFS.items():
        assert rows[subject]["from_addr"] == addr, subject
        if not addr:
            assert rows[subject]["from_name"] == sender  # the header text is kept, to be shown
    assert rows[COLONS]["from_addr"] == "" and rows[COLONS]["date"] is not None

    listing = run_cli(synced, "list", "--status", "all", "--json")
    assert listing.returncode == 0, listing.describe()
    by_subject = {c["subject"]: c for c in json.loads(listing.stdout)}
    assert any(VIP in r for r in by_subject[GENUINE]["reasons"])
    assert by_subject[GENUINE]["customer_warning"] == ""
    for subject, (_, addr, warning) in SPOOFS.items():
        conversation = by_subject[subject]
        assert not any("VIP" in r for r in conversation["reasons"]), subject
        assert conversation["customer"] == addr
        assert conversation["customer_warning"] == warning, subject
        # Never taken for our own mail: the customer is still waiting for an answer.
        assert conversation["status"] == "open", subject

        shown = run_cli(synced, "show", conversation["id"])
        assert shown.returncode == 0, shown.describe()
        head = next(line for line in shown.stdout.splitlines() if line.startswith("customer:"))
        assert WARNING_MARK in head and warning in head, head
        if addr:
            assert f"<{addr}>" in head
        message_line = next(line for line in shown.stdout.splitlines() if line.startswith("──"))
        assert WARNING_MARK in message_line, message_line

    table = run_cli(synced, "list", "--status", "all")
    for line in table.stdout.splitlines():
        if "Spoof" in line:
            assert WARNING_MARK in line, line

    junk = run_cli(synced, "junk", "list", "--all")
    assert junk.returncode == 0, junk.describe()
    line = next(line for line in junk.stdout.splitlines() if "Cheap pills" in line)
    assert WARNING_MARK in line
    (verdict,) = query(synced, "SELECT reasons FROM junk_verdicts")
    assert "wrote" not in str(verdict["reasons"]).lower(), verdict["reasons"]
