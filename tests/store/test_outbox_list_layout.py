"""`outbox` at 80 and 120 columns: a line per reply, every subject in the same column, cut to
the width, mail text inert (escapes gone, markup literal, a right-to-left subject isolated)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

import supportinbox.cli.reply_cmds  # noqa: F401  (registers the commands)
from supportinbox.cli.app import cli
from supportinbox.store import outbox
from supportinbox.store.db import open_database
from tests.conftest import write_config
from tests.harness.bidi import logical

CONFIG = """
[accounts.support]
email = "support@acme.test"
agent = "alice"
username = "support"
imap_host = "127.0.0.1"
"""
ARABIC = "Re: فاتورة PayPal رقم 77 لم تصل"
REPLIES = [
    ("esc@example.com", "Re: ESC \x1b[2J\x1b]0;pwned\x07 clear and \x1b]52;c;cm0=\x07 clipboard"),
    ("fatima.alzahraa@a-long-customer-domain.example", ARABIC),
    ("m@x.test", "Re: [bold red]URGENT[/bold red] [link=https://evil.test]click[/link] [/]"),
    ("long@example.com", "Re: " + "Very long subject " * 40),
]


@pytest.mark.parametrize("width", [80, 120])
def test_every_subject_starts_in_one_column_within_the_width(
    supportinbox_home: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    write_config(supportinbox_home, CONFIG)
    with open_database(account="support") as db, db.transaction() as conn:
        for n, (to, subject) in enumerate(REPLIES):
            outbox.insert(
                conn,
                message_id=f"<r{n}@acme.test>",
                recipients=[to],
                subject=subject,
                raw=b"",
                send_at=datetime.now(UTC) + timedelta(hours=3),
            )
    monkeypatch.setenv("COLUMNS", str(width))
    result = CliRunner().invoke(cli, ["outbox"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.rstrip("\n").split("\n")
    header, rule, rows = lines[0], lines[1], lines[2:]
    assert len(rows) == len(REPLIES), lines
    assert set(rule) == {"─"}
    # The queue times ("just now") make way at 80 columns beside "scheduled tomorrow 02:14" and
    # "(forward)"; at 120 each column is there.
    assert header.split() in (["ID", "State", "Queued", "To", "Subject"], ["ID", "State", "To", "Subject"])
    assert "Queued" in header or width == 80
    assert all(cell_len(line) <= width for line in lines), [cell_len(line) for line in lines]
    starts = {cell_len(logical(line)[: logical(line).index("Re: ")]) for line in rows}
    assert starts == {header.index("Subject")}, lines  # the subjects line up, under their header
    shown = "\n".join(lines)
    assert "\x1b" not in shown and "\x07" not in shown
    assert "Re: [bold red]" in shown  # markup shown as it is written
    assert "\u2068Re: فاتورة" in shown and shown.count("\u2068") == shown.count("\u2069") == 1
