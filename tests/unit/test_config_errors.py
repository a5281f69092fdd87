"""Bad config is refused with one line naming the key, its line and what would be right."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, Config, TriageConfig, parse_config
from supportinbox.errors import ConfigError

GOOD = """\
[accounts.support]
email = "support@acme.test"
agent = "alice"
username = "support"
imap_host = "imap.acme.test"
imap_port = 993
imap_security = "tls"
"""


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "config.toml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("config.toml: ")
    return message.removeprefix("config.toml: ")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("imap_port = 993", 'imap_port = "nine"'),
            "'accounts.support.imap_port' (line 6): expected a whole number, got text",
        ),
        (
            ("imap_port = 993", "imap_port = 0"),
            "'accounts.support.imap_port' (line 6): expected a whole number >= 1",
        ),
        (
            ("imap_port = 993", "imap_port = 70000"),
            "'accounts.support.imap_port' (line 6): expected a whole number <= 65535",
        ),
        (
            ('imap_security = "tls"', 'imap_security = "ssl"'),
            "'accounts.support.imap_security' (line 7): 'ssl' is not one of tls, starttls, none",
        ),
        (
            ('email = "support@acme.test"', 'email = "support"'),
            "'accounts.support.email' (line 2): 'support' is not an e-mail address",
        ),
        (('agent = "alice"', 'agent = "a b"'), "'accounts.support.agent' (line 3): agent must be up to 64"),
        (('username = "support"\n', ""), "missing key 'accounts.support.username': it is required"),
        (
            ('imap_security = "tls"', 'imap_security = "tls"\nsave_to_sent = "maybe"'),
            "'accounts.support.save_to_sent' (line 8): expected true or false, got text",
        ),
    ],
)
def test_one_line_names_the_key_and_what_is_wrong(change: tuple[str, str], expected: str) -> None:
    assert _error(GOOD.replace(*change)).startswith(expected)


def test_an_unknown_key_comes_first_however_many_problems() -> None:
    text = GOOD.replace("imap_port = 993", "imap_port = 0") + 'imap_hots = "x"\n[triage]\nsla_hours = -1\n'
    message = _error(text)
    assert message == (
        "unknown key 'accounts.support.imap_hots' (line 8): check the spelling against "
        "'supportinbox init --print' (and 2 more problem(s))"
    )


def test_problems_in_several_tables_are_counted() -> None:
    text = GOOD + '[triage]\norder = "random"\n[ui]\nkeys = 3\n[replies]\nreply_all = []\n'
    message = _error(text)
    assert message.startswith("'triage.order' (line 9): 'random' is not one of newest, oldest")
    assert message.endswith("(and 2 more problem(s))")


def test_top_level_problems() -> None:
    assert _error("foo = 1\n" + GOOD).startswith("unknown key 'foo' (line 1)")
    assert (
        _error('default = "sales"\n' + GOOD)
        == "'(top level)': default = 'sales' names no [accounts.sales] table"
    )
    assert _error("accounts = 3\n") == "'accounts' (line 1): expected a table, got a whole number"


def test_whole_account_checks_name_the_account() -> None:
    message = _error(GOOD.replace('"tls"', '"none"'))
    assert message.startswith(
        "'accounts.support': imap_security = \"none\" is only allowed for a loopback host"
    )


def test_lax_where_toml_writers_are_lax() -> None:
    config = parse_config(GOOD + 'timeout = 30\nbatch_size = "50"\nca_file = "/etc/ca.pem"\n')
    account = config.account()[1]
    assert account.timeout == 30.0 and isinstance(account.timeout, float)
    assert account.batch_size == 50
    assert account.ca_file == Path("/etc/ca.pem")
    assert parse_config(GOOD.replace('agent = "alice"', 'agent = " bob "')).account()[1].agent == "bob"


def test_copies_are_checked_and_plain_data_round_trips() -> None:
    account = parse_config(GOOD + 'ca_file = "/etc/ca.pem"\n').account()[1]
    assert account.model_copy(update={"imap_port": 143}).imap_port == 143
    with pytest.raises(ValueError, match="loopback"):
        account.model_copy(update={"imap_security": "none"})
    assert AccountConfig.model_validate(account.model_dump()) == account
    as_objects = AccountConfig.model_validate({**account.model_dump(), "ca_file": Path("/etc/ca.pem")})
    assert as_objects.ca_file == Path("/etc/ca.pem")
    with pytest.raises(ValueError, match="expected a path"):
        AccountConfig.model_validate({**account.model_dump(), "ca_file": 3})
    triage = TriageConfig(vip_senders=("@big.test",), sla_hours=4)
    assert TriageConfig.model_validate_json(triage.model_dump_json()) == triage
    with pytest.raises(ValueError):
        TriageConfig.model_validate({"sla_hours": "soon"})
    assert Config().accounts == {}


@pytest.mark.parametrize(
    ("name", "shown"),
    [("acme-support", "acme-support"), ('acme "eu"\tdesk', '"acme \\"eu\\"\\u0009desk"')],
)
def test_a_check_of_an_account_names_that_account_not_a_placeholder(name: str, shown: str) -> None:
    header = "[accounts.acme-support]" if name == "acme-support" else '[accounts."acme \\"eu\\"\\tdesk"]'
    text = GOOD.replace("[accounts.support]", header) + (
        f'\n{header[:-1]}.acknowledgement]\nenabled = true\nwhen = ["outside-hours"]\n'
    )
    message = _error(text)
    assert f"add [accounts.{shown}.hours]," in message
    assert "NAME" not in message
