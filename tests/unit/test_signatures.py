"""Signatures per agent: their own, else the account's; placed by the template or added under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, parse_config
from supportinbox.domain.templates import TemplateVariables, parse_template, places, render
from supportinbox.errors import ConfigError
from supportinbox.mail.signatures import signature_for, signed, without_signature

BASE = dict(email="support@acme.test", username="support", imap_host="127.0.0.1", agent="maya")
VALUES = TemplateVariables(
    customer_name="Lina Haddad",
    customer_first_name="Lina",
    customer_email="lina@customer.test",
    subject="Cannot log in",
    agent_name="Maya",
    account_display_name="Acme Support",
    account_email="support@acme.test",
    conversation_id="k3m9x2qa",
    quote="",
)


def test_the_agents_own_signature_wins_over_the_accounts(tmp_path: Path) -> None:
    sig = tmp_path / "maya.txt"
    sig.write_text("-- \nMaya Lindgren\r\nCustomer Success\x1b[31m, Acme  \n\n", encoding="utf-8")
    config = parse_config(
        f"""
[accounts.support]
email = "support@acme.test"
username = "support"
imap_host = "127.0.0.1"
agent = "maya"
signature = "The Acme support team"

[accounts.support.agents.maya]
signature_file = "{sig}"

[accounts.support.agents.sam]
signature = "Sam"
"""
    )
    account = config.account()[1]
    assert signature_for(account) == "Maya Lindgren\nCustomer Success, Acme"
    assert signature_for(account, "sam") == "Sam"
    assert signature_for(account, "zoe") == "The Acme support team"
    assert signature_for(AccountConfig(**BASE)) is None  # type: ignore[arg-type]


def test_one_signature_source_and_a_readable_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="signature or signature_file, not both"):
        AccountConfig(**BASE, signature="x", signature_file=tmp_path / "x")  # type: ignore[arg-type]
    missing = AccountConfig(**BASE, signature_file=tmp_path / "missing.txt")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"missing\.txt cannot be read"):
        signature_for(missing)


def test_a_template_places_it_or_it_goes_under_the_separator() -> None:
    placed = parse_template("t", "Hi {{ customer.first_name }},\n\nBest regards,\n{{ signature }}\n")
    assert places(placed, "signature")
    assert render(placed, VALUES).endswith("Best regards,\nMaya\nAcme Support\n")  # none configured
    custom = TemplateVariables(**{**VALUES.__dict__, "signature": "Maya Lindgren\nCustomer Success"})
    assert render(placed, custom).endswith("Best regards,\nMaya Lindgren\nCustomer Success\n")
    plain = parse_template("p", "Hi {{ customer.first_name }},\n")
    assert not places(plain, "signature")
    assert signed(render(plain, VALUES), "Maya") == "Hi Lina,\n\n-- \nMaya\n"


def test_a_reply_that_is_only_a_signature_is_empty() -> None:
    assert without_signature(signed("", "Maya")).strip() == ""
    assert without_signature(signed("Thanks!", "Maya")).strip() == "Thanks!"
