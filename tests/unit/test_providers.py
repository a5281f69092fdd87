"""What 'supportinbox init --provider' writes for each mail provider."""

from __future__ import annotations

import pytest

from supportinbox import providers
from supportinbox.config import EXAMPLE_CONFIG, parse_config
from supportinbox.providers import PROVIDER_NAMES, config_text

EXPECTED = {
    # provider: imap_host, smtp (host, port, security), oauth2, junk, sent, save_to_sent, team_state
    "gmail": (
        "imap.gmail.com",
        ("smtp.gmail.com", 465, "tls"),
        False,
        "[Gmail]/Spam",
        "[Gmail]/Sent Mail",
        False,
        "auto",
    ),
    "microsoft365": (
        "outlook.office365.com",
        ("smtp.office365.com", 587, "starttls"),
        True,
        "Junk Email",
        "Sent Items",
        False,
        "folder",
    ),
    "fastmail": ("imap.fastmail.com", ("smtp.fastmail.com", 465, "tls"), False, "Spam", "Sent", True, "auto"),
    "icloud": (
        "imap.mail.me.com",
        ("smtp.mail.me.com", 587, "starttls"),
        False,
        "Junk",
        "Sent Messages",
        True,
        "auto",
    ),
}


@pytest.mark.parametrize("provider", sorted(EXPECTED))
def test_each_profile_writes_a_valid_config_with_its_settings(provider: str) -> None:
    config = parse_config(config_text(provider, "help@acme.com"), f"{provider} profile")
    account = config.accounts["support"]
    imap_host, smtp_server, oauth2, junk, sent, save_to_sent, team_state = EXPECTED[provider]
    assert (account.imap_host, account.imap_port, account.imap_security) == (imap_host, 993, "tls")
    assert (account.smtp_server, account.smtp_port, account.smtp_security) == smtp_server
    assert account.uses_oauth2 is oauth2 and account.password_command is None
    assert (account.junk_folder, account.sent_folder) == (junk, sent)
    assert account.save_to_sent is save_to_sent and account.team_state == team_state
    assert account.email == account.username == "help@acme.com"
    if oauth2:
        assert account.oauth2_token_command == "oama access help@acme.com"
    # The rest of the file is the commented example's.
    assert "[triage]" in config_text(provider) and "sla_hours = 24" in config_text(provider)


def test_generic_is_the_example_config_with_the_agent_filled_in() -> None:
    assert "generic" in PROVIDER_NAMES
    text = config_text("generic", agent="mira")
    assert text.replace('agent = "mira"  ', 'agent = "alice" ') == EXAMPLE_CONFIG
    assert parse_config(text).accounts["support"].agent == "mira"


def test_generic_takes_the_address_given_as_the_email_and_login() -> None:
    """'init --email help@shop.test' without --provider kept support@example.com."""
    account = parse_config(config_text("generic", "help@shop.test", agent="mira")).accounts["support"]
    assert (account.email, account.username) == ("help@shop.test", "help@shop.test")
    assert "support@example.com" not in config_text("generic", "help@shop.test").split("[triage]")[0]


@pytest.mark.parametrize(
    ("login", "agent"),
    [
        ("mira", "mira"),
        ("root", "me"),
        ("j.doe", "j.doe"),
        ("Ana María", "AnaMaría"),
        ("", "me"),
        ("-_-", "me"),
    ],
)
def test_init_names_the_agent_after_the_login_never_a_fixed_example(
    monkeypatch: pytest.MonkeyPatch, login: str, agent: str
) -> None:
    """Two teammates who both kept one example name would be one agent to the server: neither
    would be warned that the other holds a conversation."""
    monkeypatch.setattr(providers.getpass, "getuser", lambda: login)
    for provider in PROVIDER_NAMES:
        config = parse_config(config_text(provider, "help@acme.com"))
        assert config.accounts["support"].agent == agent, provider


def test_init_writes_the_profile_and_refuses_a_bad_address(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.harness.replies import run_cli

    printed = run_cli(capsys, "init", "--print", "--provider", "microsoft365", "--email", "help@acme.com")
    assert printed.code == 0 and 'team_state = "folder"' in printed.out
    written = run_cli(capsys, "init", "--provider", "gmail", "--email", "help@acme.com", "--agent", "mira")
    assert written.code == 0 and "then run 'supportinbox login'" in written.out
    assert "you are agent 'mira' on this mailbox: each teammate needs a name of their own" in written.out
    located = run_cli(capsys, "locate", "config").out.strip()
    every = run_cli(capsys, "locate")  # without WHAT: each place by name, not a usage error
    assert every.code == 0 and f"config:    {located}\n" in every.out
    assert [line.split(":")[0] for line in every.out.splitlines()] == [
        "config",
        "data",
        "templates",
        "cache",
        "state",
        "log",
    ]
    with open(located, encoding="utf-8") as config:
        text = config.read()
        assert 'sent_folder = "[Gmail]/Sent Mail"' in text and 'agent = "mira"' in text
    spoofed = run_cli(capsys, "init", "--print", "--agent", 'x" evil = "1')
    assert spoofed.code == 2 and "--agent" in spoofed.err and "Traceback" not in spoofed.err
    bad = run_cli(capsys, "init", "--print", "--provider", "gmail", "--email", 'x" evil = "1')
    assert bad.code == 2 and "is not an e-mail address" in bad.err
    unknown = run_cli(capsys, "init", "--provider", "aol")
    assert unknown.code == 2 and "Traceback" not in unknown.err
