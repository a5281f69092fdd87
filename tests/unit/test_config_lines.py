"""The line a config error names, wherever TOML lets the key be written: under a header with a
comment after it, in an inline table, dotted; read through the real command line."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from supportinbox.tomllines import key_lines
from tests.harness.cliproc import assert_one_clear_line, run_cli, write_config

ACCOUNT = """\
email = "{name}@acme.test"
agent = "alice"
username = "{name}"
imap_host = "imap.acme.test"
"""


def _account(name: str, header_comment: str = "") -> str:
    return f"[accounts.{name}]{header_comment}\n" + ACCOUNT.format(name=name)


CASES = {
    # Another account sets the same key higher up: it must not be the line named.
    "header with a comment": (
        _account("sales")
        + "imap_port = 993\n\n"
        + _account("support", "  # the shared mailbox")
        + 'imap_port = "993"\n',
        "'accounts.support.imap_port' (line 13): expected a whole number, got text",
    ),
    "account as an inline table": (
        'default = "support"\n[accounts]\n'
        'sales = { email = "s@acme.test", agent = "alice", username = "s", imap_host = "h" }\n'
        'support = { email = "x@acme.test", agent = "alice", username = "x", imap_host = "h", '
        "imap_port = 0 }\n",
        "'accounts.support.imap_port' (line 4): expected a whole number >= 1",
    ),
    "agents in an inline table": (
        _account("support") + 'agents = { alice = { signature = "A" }, bob = { signatur = 5 } }\n',
        "unknown key 'accounts.support.agents.bob.signatur' (line 6): did you mean 'signature'?",
    ),
    "a tag's targets in an inline table": (
        _account("support") + '\n[sla.tags]   # per template tag\nbilling = { first_reply = "2h" }\n'
        "refund = { first_reply = true }\n",
        "'sla.tags.refund.first_reply' (line 9): True is not a duration",
    ),
    "a dotted key": (
        _account("support") + 'hours.timezone = "Europe/Berlin"\nhours.start = "nine"\n',
        "'accounts.support.hours.start' (line 7):",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_config_error_names_the_line_that_sets_the_key(supportinbox_home: Path, case: str) -> None:
    text, expected = CASES[case]
    tomllib.loads(text)  # valid TOML: only the values are wrong
    path = write_config(supportinbox_home, text)
    run = run_cli(supportinbox_home, "list")
    assert_one_clear_line(run)
    assert run.returncode == 2, run.describe()
    assert run.stderr.startswith(f"supportinbox: {path}: {expected}"), run.describe()


def test_key_lines_follow_strings_arrays_and_quoted_keys() -> None:
    text = (
        '# a comment with [brackets] and key = "value"\n'  # 1
        "[ui]  # the look\n"  # 2
        's = """several\n'  # 3
        "[not.a.table]\n"  # 4
        'x = 1 """"\n'  # 5: the string ends with a quote
        "l = '''it's'''\n"  # 6
        "vips = [\n"  # 7
        '  "a@b.test",  # first\n'  # 8
        "  { mark = 1 },\n"  # 9
        "]\n"  # 10
        '"odd.key" = 3\n'  # 11
        "[ \"sla\" . 'vip' ]\n"  # 12
        'first_reply = "1h" # after\n'  # 13
        "[[list]]\n"  # 14
        "n = 1\n"  # 15
    )
    tomllib.loads(text)
    lines = key_lines(text)
    assert lines[("ui",)] == 2
    assert lines[("ui", "s")] == 3
    assert ("not",) not in lines and ("ui", "x") not in lines
    assert lines[("ui", "l")] == 6
    assert lines[("ui", "vips")] == 7 and lines[("ui", "vips", "mark")] == 9
    assert lines[("ui", "odd.key")] == 11
    assert lines[("sla", "vip")] == 12 and lines[("sla", "vip", "first_reply")] == 13
    assert lines[("list", "n")] == 15
