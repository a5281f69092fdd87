"""Senders that pass for someone else: display names holding addresses, malformed headers.

Anchors: the STARTTLS/UI-spoofing class of mail clients' CVEs (a From that reads as
another person) and CVE-2023-27043 (Python 3.11/3.12's ``getaddresses`` and ``parseaddr``
read ``alice@acme.test)<eve@evil.test>`` as alice). Every case here reads the same on
every Python the package supports.
"""

from __future__ import annotations

import pytest

from supportinbox.config import AccountConfig
from supportinbox.domain.replies import Original, ReplyError, build_reply
from supportinbox.domain.scoring import is_vip
from supportinbox.domain.senders import (
    MALFORMED,
    WARNING_MARK,
    Sender,
    parse_sender,
    sender_label,
    sender_short,
    sender_warning,
)

WELL_FORMED = [
    ("Bob Smith <bob@x.test>", Sender("Bob Smith", "bob@x.test")),
    ('"Haddad, Lina" <Lina@Customer.test>', Sender("Haddad, Lina", "lina@customer.test")),
    ("bob@x.test", Sender("", "bob@x.test")),
    ("<bob@x.test>", Sender("", "bob@x.test")),
    ("Bob <bob@x.test> (comment)", Sender("Bob", "bob@x.test")),
    ("Bob.Smith <bob@x.test>", Sender("Bob.Smith", "bob@x.test")),
    ("=?utf-8?b?2YTbjNmG2Kc=?= <lina@x.test>", Sender("=?utf-8?b?2YTbjNmG2Kc=?=", "lina@x.test")),
    ('"O\'Brien \\"Pat\\"" <p@x.test>', Sender('O\'Brien "Pat"', "p@x.test")),
    # Spoofing names are well-formed headers: flagged at display, address kept.
    ('"bob@big.test" <eve@evil.test>', Sender("bob@big.test", "eve@evil.test")),
    ('"Bob <bob@big.test>" <eve@evil.test>', Sender("Bob <bob@big.test>", "eve@evil.test")),
]

# CVE-2023-27043 and friends: getaddresses on 3.11/3.12 returns a first address for each.
MALFORMED_HEADERS = [
    "ceo@big.test)<eve@evil.test>",
    "<ceo@big.test> <eve@evil.test>",
    "ceo@big.test <eve@evil.test>",
    "Alice <ceo@big.test>>",
    "ceo@big.test, eve@evil.test",
    '"ceo@big.test"@evil.test',
    "a@b@evil.test",
    "Bob <bob@[10.0.0.1]>",
    "=?utf-8?q?ceo=40big.test?=",
    "undisclosed-recipients:;",
    "Just A Name",
]


@pytest.mark.parametrize(("value", "expected"), WELL_FORMED)
def test_well_formed_senders(value: str, expected: Sender) -> None:
    assert parse_sender(value) == expected


@pytest.mark.parametrize("value", MALFORMED_HEADERS)
def test_malformed_sender_has_no_address_to_trust(value: str) -> None:
    sender = parse_sender(value)
    assert sender.malformed and sender.addr == ""
    assert sender.name == value  # kept whole, to be shown
    # Nothing downstream can match it: not even a VIP entry for the address it names.
    assert is_vip(sender.addr, ["ceo@big.test", "@big.test", "@"]) is None
    assert sender_warning(sender.name, sender.addr) == MALFORMED


@pytest.mark.parametrize(
    ("name", "addr", "warned"),
    [
        ("bob@big.test", "eve@evil.test", True),
        ("Bob <bob@big.test>", "eve@evil.test", True),
        ("Bob (bob＠big.test)", "eve@evil.test", True),  # fullwidth at sign
        ("support@acme.test via Helpdesk", "eve@evil.test", True),
        ("bob@big.test", "bob@big.test", False),
        ("Bob Smith", "bob@big.test", False),
        ("Bob @ Big", "bob@big.test", False),
        ("لينا حداد", "lina@x.test", False),
    ],
)
def test_a_name_holding_another_address_is_warned(name: str, addr: str, warned: bool) -> None:
    warning = sender_warning(name, addr)
    assert bool(warning) is warned
    label = sender_label(name, addr)
    assert f"<{addr}>" in label  # the real address is always shown
    assert label.startswith(WARNING_MARK) is warned
    short = sender_short(name, addr)
    if warned:
        assert short == f"{WARNING_MARK} {addr}"
    else:
        assert short == name


def test_malformed_label_and_short() -> None:
    value = "ceo@big.test)<eve@evil.test>"
    sender = parse_sender(value)
    assert sender_label(sender.name, sender.addr) == f"{WARNING_MARK} {value} ({MALFORMED})"
    assert sender_short(sender.name, sender.addr) == f"{WARNING_MARK} malformed"


def test_no_sender_at_all_is_no_warning() -> None:
    # A conversation we started has no customer: nothing there can pass for anyone.
    assert parse_sender("") == Sender("", "", malformed=True)
    assert sender_warning("", "") == ""
    assert sender_label("", "") == "" and sender_short("", "") == ""


def test_vip_needs_a_real_address() -> None:
    assert is_vip("", ["@"]) is None
    assert is_vip("ceo@big.test", ["@big.test"]) == "@big.test"


def test_a_malformed_sender_cannot_be_answered_by_guess() -> None:
    sender = parse_sender("ceo@big.test)<eve@evil.test>")
    original = Original(from_name=sender.name, from_addr=sender.addr, subject="Invoice")
    account = AccountConfig(email="support@acme.test", username="support", imap_host="127.0.0.1")
    with pytest.raises(ReplyError, match=r"From header is not one valid address \(ceo@big.test\)<eve"):
        build_reply(original, account, "Hello")
