from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import EXAMPLE_CONFIG, is_loopback, load_config, parse_config
from supportinbox.errors import ConfigError

GOOD = """
[accounts.support]
email = "support@acme.test"
display_name = "Acme Support"
agent = "alice"
username = "support"
password_command = "pass show acme/support"
imap_host = "imap.acme.test"
imap_port = 993
imap_security = "tls"
smtp_host = "smtp.acme.test"
smtp_port = 465
smtp_security = "tls"
ca_file = "/path/to/ca.pem"
"""


def test_documented_keys_work_exactly_as_named() -> None:
    config = parse_config(GOOD)
    name, account = config.account()
    assert name == "support"
    assert account.email == "support@acme.test"
    assert account.agent == "alice"
    assert account.imap_port == 993 and account.smtp_security == "tls"
    assert account.ca_file == Path("/path/to/ca.pem")
    assert account.from_header == "Acme Support <support@acme.test>"
    assert account.smtp_login == "support"


def test_unknown_key_is_named_with_its_line() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(GOOD + 'imap_hots = "x"\n')
    assert "accounts.support.imap_hots" in str(err.value)
    assert "line 15" in str(err.value)


def test_wrong_type_is_named() -> None:
    with pytest.raises(ConfigError, match=r"accounts\.support\.imap_port"):
        parse_config(GOOD.replace("imap_port = 993", 'imap_port = "nine"'))


def test_plaintext_refused_for_remote_host_allowed_on_loopback() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        parse_config(GOOD.replace('imap_security = "tls"', 'imap_security = "none"'))
    ok = GOOD.replace('imap_security = "tls"', 'imap_security = "none"').replace(
        'imap_host = "imap.acme.test"', 'imap_host = "127.0.0.1"'
    )
    assert parse_config(ok).account()[1].imap_security == "none"
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("10.0.0.1")


def test_account_choice() -> None:
    two = GOOD + GOOD.replace("[accounts.support]", "[accounts.sales]")
    with pytest.raises(ConfigError, match="--account"):
        parse_config(two).account()
    assert parse_config(two).account("sales")[0] == "sales"
    assert parse_config('default = "sales"\n' + two).account()[0] == "sales"
    with pytest.raises(ConfigError, match="names no"):
        parse_config('default = "nope"\n' + two)


def test_bad_toml_is_one_line() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[accounts\n")


def test_example_config_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXAMPLE_CONFIG)
    assert load_config(path).account()[0] == "support"
