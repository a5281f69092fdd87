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
        "unknown key 'accounts.support.imap_hots' (line 8): did you mean 'imap_host'? (and 2 more problem(s))"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("timout = 10\n", "unknown key 'accounts.support.timout' (line 8): did you mean 'timeout'?"),
        ("[triage]\nsla_hour = 3\n", "unknown key 'triage.sla_hour' (line 9): did you mean 'sla_hours'?"),
        (
            '[accounts.support.hours]\ntimezon = "UTC"\n',
            "unknown key 'accounts.support.hours.timezon' (line 9): did you mean 'timezone'?",
        ),
        (
            "[accounts.support.acknowledgement]\nenable = true\n",
            "unknown key 'accounts.support.acknowledgement.enable' (line 9): did you mean 'enabled'?",
        ),
        (
            '[sla.vip]\nfirst_replies = "1h"\n',
            "unknown key 'sla.vip.first_replies' (line 9): did you mean 'first_reply'?",
        ),
        ('[ui]\nthem = "x"\n', "unknown key 'ui.them' (line 9): did you mean 'theme'?"),
        (
            'colour = "blue"\n',
            "unknown key 'accounts.support.colour' (line 8): "
            "check the spelling against 'supportinbox init --print'",
        ),
    ],
)
def test_an_unknown_key_names_the_nearest_known_one(extra: str, expected: str) -> None:
    assert _error(GOOD + extra) == expected


def test_problems_in_several_tables_are_counted() -> None:
    text = GOOD + '[triage]\norder = "random"\n[ui]\nkeys = 3\n[replies]\nreply_all = []\n'
    message = _error(text)
    assert message.startswith("'triage.order' (line 9): 'random' is not one of newest, oldest")
    assert message.endswith("(and 2 more problem(s))")


def test_top_level_problems() -> None:
    assert _error("foo = 1\n" + GOOD).startswith("unknown key 'foo' (line 1)")
    assert _error('defualt = "support"\n' + GOOD) == "unknown key 'defualt' (line 1): did you mean 'default'?"
    assert (
        _error('default = "sales"\n' + GOOD)
        == "'(top level)': default = 'sales' names no [accounts.sales] table"
    )
    assert _error("accounts = 3\n") == "'accounts' (line 1): expected a table, got a whole number"


def test_whole_account_checks_name_the_account() -> None:
    message = _error(GOOD.replace('"tls"', '"none"'))
    assert message.startswith(
        "'accounts.support' (line 1): imap_security = \"none\" is only allowed for a loopback host"
    )


def test_a_whole_number_where_a_number_goes_and_a_path_as_text() -> None:
    config = parse_config(GOOD + 'timeout = 30\nbatch_size = 50\nca_file = "/etc/ca.pem"\n')
    account = config.account()[1]
    assert account.timeout == 30.0 and isinstance(account.timeout, float)
    assert account.batch_size == 50
    assert account.ca_file == Path("/etc/ca.pem")
    assert parse_config(GOOD.replace('agent = "alice"', 'agent = " bob "')).account()[1].agent == "bob"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD + '[triage]\nsla_hours = "30"\n',
            "'triage.sla_hours' (line 9): expected a number, got text: write sla_hours = 30 without quotes",
        ),
        (
            GOOD.replace("imap_port = 993", 'imap_port = "993"'),
            "'accounts.support.imap_port' (line 6): expected a whole number, got text: "
            "write imap_port = 993 without quotes",
        ),
        (
            GOOD + 'batch_size = "50"\n',
            "'accounts.support.batch_size' (line 8): expected a whole number, got text: "
            "write batch_size = 50 without quotes",
        ),
        (
            GOOD + '[triage]\nincident_min_customers = "three"\n',
            "'triage.incident_min_customers' (line 9): expected a whole number, got text: "
            "write a number without quotes, like incident_min_customers = 3",
        ),
        (
            GOOD + '[replies]\nreply_all = "True"\n',
            "'replies.reply_all' (line 9): expected true or false, got text: "
            "write reply_all = true without quotes",
        ),
        (
            GOOD + '[ui]\nidle = "yes"\n',
            "'ui.idle' (line 9): expected true or false, got text: "
            "write idle = true or idle = false, without quotes",
        ),
        (
            GOOD + '[accounts.support.acknowledgement]\nmin_hours_between = "12"\n',
            "'accounts.support.acknowledgement.min_hours_between' (line 9): expected a number, got text: "
            "write min_hours_between = 12 without quotes",
        ),
    ],
)
def test_a_quoted_number_or_truth_is_refused_with_how_to_write_it(text: str, expected: str) -> None:
    """ "30" was read as 30 without a word: a value the user meant as text passed silently."""
    assert _error(text) == expected


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


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        (
            'signature = "S"\n[accounts.support.agents.alice]\nsignature = "A"\n'
            "[accounts.support.agents.bob]\nsignature = 5\n",
            "'accounts.support.agents.bob.signature' (line 12): expected text or nothing, got a whole number",
        ),
        (
            '[accounts.support.agents.bob]\nsignature = "B"\nsignature_file = "b.txt"\n',
            "'accounts.support.agents.bob.signature' (line 9): give signature or signature_file, not both",
        ),
        (
            "[accounts.support.agents.bob]\nsignatur = 5\n",
            "unknown key 'accounts.support.agents.bob.signatur' (line 9): did you mean 'signature'?",
        ),
        (
            '[sla.tags.billing]\nfirst_reply = "2h"\n[sla.tags.refund]\nfirst_reply = true\n',
            "'sla.tags.refund.first_reply' (line 11):",
        ),
        (
            '[ui.keys]\nreply = "r"\nclose = 3\n',
            "'ui.keys.close' (line 10): expected text, got a whole number",
        ),
    ],
)
def test_a_problem_in_a_named_table_names_that_table(tables: str, expected: str) -> None:
    assert _error(GOOD + tables).startswith(expected)
