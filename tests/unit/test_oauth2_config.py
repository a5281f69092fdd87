"""OAuth2 settings and the SASL responses they produce."""

from __future__ import annotations

import pytest

from supportinbox.config import parse_config
from supportinbox.errors import ConfigError
from supportinbox.mail.sasl import OneResponse, oauth2_mechanism, sasl_oauth2

BASE = """
[accounts.support]
email = "support@acme.test"
username = "support@acme.test"
imap_host = "outlook.office365.com"
"""


def test_a_token_command_means_oauth2_and_oauth2_needs_one() -> None:
    account = parse_config(BASE + 'oauth2_token_command = "oama access support@acme.test"\n').accounts[
        "support"
    ]
    assert account.uses_oauth2
    assert not parse_config(BASE).accounts["support"].uses_oauth2
    forced = parse_config(BASE + 'auth = "password"\noauth2_token_command = "x"\n').accounts["support"]
    assert not forced.uses_oauth2
    with pytest.raises(ConfigError, match='auth = "oauth2" needs oauth2_token_command'):
        parse_config(BASE + 'auth = "oauth2"\n')
    with pytest.raises(ConfigError, match="auth"):
        parse_config(BASE + 'auth = "kerberos"\n')


def test_sasl_responses_follow_the_specifications() -> None:
    assert sasl_oauth2("XOAUTH2", "a@b.test", "tok") == b"user=a@b.test\x01auth=Bearer tok\x01\x01"
    # RFC 7628: GS2 header with the authzid, = and , escaped.
    assert (
        sasl_oauth2("OAUTHBEARER", "a=b,c@d.test", "tok")
        == b"n,a=a=3Db=2Cc@d.test,\x01auth=Bearer tok\x01\x01"
    )
    assert oauth2_mechanism({"PLAIN", "XOAUTH2", "OAUTHBEARER"}) == "OAUTHBEARER"
    assert oauth2_mechanism({"PLAIN", "XOAUTH2"}) == "XOAUTH2"
    assert oauth2_mechanism({"PLAIN", "LOGIN"}) is None


def test_the_error_challenge_is_answered_with_an_empty_line() -> None:
    respond = OneResponse(b"user=a\x01auth=Bearer t\x01\x01")
    assert respond(b"") == "user=a\x01auth=Bearer t\x01\x01"
    assert respond(b'{"status":"401"}') == ""
