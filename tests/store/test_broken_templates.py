"""One broken template never blocks the others: listed with file, line and every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.config import load_config
from supportinbox.domain.templates import install_default_templates, scan_templates
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import open_database
from tests.conftest import write_config
from tests.harness.replies import run_cli
from tests.store.factories import NOW, add_message
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG

BAD_FRONT_MATTER = "---\ndescription: [unclosed\n---\nHi {{ customer.first_name }}\n"
MISSPELT = (
    "---\ndescription: Thanks\nstauts: closed\n---\nHi {{ customer.frist_name }},\n\n{{ agnet.name }}\n"
)
SYNTAX = "Hi {{ customer.first_name }},\n{% if quote %}\n{{ quote }\n"


def write_broken(directory: Path) -> None:
    (directory / "bad-front.txt").write_text(BAD_FRONT_MATTER)
    (directory / "misspelt.md").write_text(MISSPELT)
    (directory / "syntax.txt").write_text(SYNTAX)


def test_a_scan_keeps_the_good_ones_and_explains_the_broken_ones(tmp_path: Path) -> None:
    install_default_templates(tmp_path)
    write_broken(tmp_path)
    scan = scan_templates(tmp_path)
    assert len(scan.templates) == 12  # eight, and acknowledge-investigating and acknowledgement in de and ar
    broken = {b.name: b.describe() for b in scan.broken}
    assert broken == {
        "bad-front": "bad-front.txt line 3: invalid front matter: "
        "expected ',' or ']', but got '<stream end>'",
        "misspelt": "misspelt.md line 3: unknown front matter key 'stauts' → status?; "
        "line 5: unknown variable 'customer.frist_name' → customer.first_name?; "
        "line 7: unknown variable 'agnet' → agent?",
        "syntax": "syntax.txt line 3: syntax error: unexpected '}'",
    }


@pytest.fixture
def account(supportinbox_home: Path, capsys: pytest.CaptureFixture[str]) -> str:
    write_config(supportinbox_home, CONFIG)
    assert run_cli(capsys, "templates", "install").code == 0
    write_broken(paths.templates_dir())
    db = open_database(account="support")
    add_message(db, message_id="<t1@customer.test>", when=NOW)
    config = load_config()
    refresh_conversations(db, config, config.account()[1], now=NOW)
    conversation = str(db.conn.execute("SELECT conversation_id FROM messages").fetchone()[0])
    db.close()
    return conversation


def test_templates_lists_broken_ones_and_the_rest_still_work(
    account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = run_cli(capsys, "templates")
    assert listing.code == 0
    assert "login-help" in listing.out and "refund-processed" in listing.out
    lines = {line.split()[0]: " ".join(line.split()[1:]) for line in listing.out.splitlines()}
    assert lines["misspelt"].startswith(
        "BROKEN: misspelt.md line 3: unknown front matter key 'stauts' → status?"
    )
    assert lines["syntax"] == "BROKEN: syntax.txt line 3: syntax error: unexpected '}'"
    assert "3 broken template(s)" in listing.err

    draft = run_cli(capsys, "reply", account, "-t", "login-help")
    assert draft.code == 0 and "Hi Lina," in draft.out

    broken = run_cli(capsys, "reply", account, "-t", "misspelt")
    assert broken.code == 2
    assert broken.err == (
        "supportinbox: template 'misspelt' (misspelt.md) has 3 mistakes: "
        "line 3: unknown front matter key 'stauts' → status?; "
        "line 5: unknown variable 'customer.frist_name' → customer.first_name?; "
        "line 7: unknown variable 'agnet' → agent?\n"
    )
