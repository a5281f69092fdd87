"""`list` at 80 and 120 columns: one line per conversation, cut with "…"; --wide wraps; a pipe
gets every cell in full, a line per conversation."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

import supportinbox.cli.triage_cmds  # noqa: F401  (registers the commands)
from supportinbox.cli.app import cli
from supportinbox.config import parse_config
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import open_database
from tests.conftest import write_config
from tests.harness.cliproc import cli_env
from tests.harness.terminals import drawn_widths, starts_everywhere_at
from tests.store.factories import add_message

CONFIG = """
[accounts.support]
email = "support@acme.test"
agent = "alice"
username = "support"
imap_host = "127.0.0.1"
"""


@pytest.fixture
def mailbox(supportinbox_home: Path) -> Path:
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC)
    config = parse_config(CONFIG)
    with open_database(account="support") as db:
        for index, (name, subject) in enumerate(
            (
                (
                    "Maximiliane Ottilie von Habsburg-Lothringen",
                    "Our whole team cannot log in since the update " * 2,
                ),
                ("سمير حداد", "عاجل: لا يمكنني تسجيل الدخول إلى حسابي منذ صباح اليوم"),
                ("Lina Haddad", "Refund"),
            )
        ):
            add_message(
                db,
                message_id=f"<l{index}@customer.test>",
                sender=f"customer{index}@a-rather-long-company-domain.example",
                name=name,
                subject=subject,
                body="It is urgent, please help: the dashboard is down and nobody can work.",
                when=now - timedelta(hours=30 + index),
            )
        refresh_conversations(db, config, config.account()[1])
    return supportinbox_home


def _deliver(home: Path, *mails: tuple[str, str, str]) -> None:
    """An account whose customers wrote (name, address, subject) three hours ago, the queue refreshed."""
    write_config(home, CONFIG)
    config = parse_config(CONFIG)
    with open_database(account="support") as db:
        for index, (name, sender, subject) in enumerate(mails):
            add_message(
                db,
                message_id=f"<e{index}@customer.test>",
                sender=sender,
                name=name,
                subject=subject,
                body="It is urgent, please help.",
                when=datetime.now(UTC) - timedelta(hours=3),
            )
        refresh_conversations(db, config, config.account()[1])


def _list(monkeypatch: pytest.MonkeyPatch, width: int, *args: str) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    result = CliRunner().invoke(cli, ["list", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.rstrip("\n").split("\n")


@pytest.mark.parametrize("width", [80, 120])
def test_one_line_per_conversation_within_the_width(
    mailbox: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    lines = _list(monkeypatch, width)
    assert len(lines) == 2 + 3  # header, rule, one line each
    # Terminal cells: the isolates around a right-to-left cell take none.
    assert all(cell_len(line) <= width for line in lines), "\n".join(lines)
    body = "\n".join(lines[2:])
    assert "Maximiliane" in body and "…" in body  # the long name and subject are cut, not wrapped
    assert "Refund" in body and "سمير" in body
    headers = lines[0].split()
    assert headers[:6] == ["ID", "!", "Status", "Waiting", "Customer", "Subject"]
    assert ("Why" in headers) == (width >= 120)


def test_wide_wraps_long_cells(mailbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _list(monkeypatch, 80, "--wide")
    assert len(lines) > 2 + 3  # long cells wrap onto more lines, as before
    # Every cell in full: a word longer than its column (a German compound, an address)
    # is broken across lines, not cut with "…" ("Kalender-Synchron…").
    config = parse_config(CONFIG)
    with open_database(account="support") as db:
        add_message(
            db,
            message_id="<k@weiss.test>",
            sender="juergen.weiss@weiss-maschinenbau-gmbh.example",
            name="Jürgen Weiß",
            subject="Kalender-Synchronisationsprobleme",
            body="Die Kalender-Synchronisation funktioniert nicht.",
            when=datetime.now(UTC) - timedelta(hours=1),
        )
        refresh_conversations(db, config, config.account()[1])
    lines = _list(monkeypatch, 80, "--wide")
    columns = [lines[0].index(name) for name in ("Customer", "Subject", "Why")]
    customers, subjects = (
        "".join(line[start:end].strip() for line in lines[2:]) for start, end in itertools.pairwise(columns)
    )
    assert "Kalender-Synchronisationsprobleme" in subjects, "\n".join(lines)
    assert "<juergen.weiss@weiss-maschinenbau-gmbh.example>" in customers, "\n".join(lines)


def _piped(mailbox: Path, *args: str) -> list[str]:
    """As `supportinbox list | less` or `> file`: stdout a pipe, COLUMNS unset (a real process)."""
    env = cli_env(mailbox)
    del env["COLUMNS"]
    done = subprocess.run(
        [sys.executable, "-m", "supportinbox", "list", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.rstrip("\n").split("\n")


def test_a_pipe_gets_no_lines_padded_with_trailing_spaces(mailbox: Path) -> None:
    lines = _piped(mailbox)
    assert len(lines) == 2 + 3 and "Maximiliane" in "\n".join(lines), lines
    assert [line for line in lines if line != line.rstrip()] == [], "\n".join(map(repr, lines))
    # Columns no wider than their widest cell: the header rule is as long as the longest row.
    assert cell_len(lines[1]) == max(cell_len(line) for line in lines[2:]), "\n".join(lines)


@pytest.mark.parametrize("wide", [False, True])
def test_a_pipe_gets_every_cell_in_full_on_one_line(mailbox: Path, wide: bool) -> None:
    """Piped, a row was cut at 200 columns with "…": `list | grep habsburg` found nothing."""
    lines = _piped(mailbox, *(["--wide"] if wide else []))
    assert len(lines) == 2 + 3, "\n".join(lines)  # nothing wraps
    body = "\n".join(lines[2:])
    # Only a name is cut (at 30 characters, as everywhere); its address follows in full.
    assert body.count("…") == body.count("Maximiliane Ottilie von Habsb… <customer0@") == 1, body
    assert "customer0@a-rather-long-company-domain.example" in body
    assert ("Our whole team cannot log in since the update " * 2).strip() in body
    assert lines[0].split()[-1] == "Why" and all("overdue" in line for line in lines[2:])
    assert max(len(line) for line in lines) > 200  # as wide as its text, not a fixed width


def test_columns_still_cut_a_pipe_to_its_width(mailbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`COLUMNS=100 supportinbox list | less`: the width asked for, as on a terminal."""
    lines = _list(monkeypatch, 100)
    assert len(lines) == 2 + 3 and all(cell_len(line) <= 100 for line in lines), "\n".join(lines)
    assert "…" in "\n".join(lines)


@pytest.mark.parametrize("width", [80, 120])
def test_emoji_sequences_leave_the_columns_where_every_terminal_draws_them(
    supportinbox_home: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """Rich measured 👩‍💻 two cells, VTE and xterm draw it in four: the columns after it
    moved (and at 120 the "Why" column ran past the edge). Shown in its steady form."""
    _deliver(
        supportinbox_home,
        ("Lina 👩\u200d💻 🇩🇪", "c0@customer.test", "👩\u200d💻 Deploy 🇩🇪 👍🏽 ❤\ufe0f failed again, urgent"),
        ("Sven", "c1@customer.test", "Refund"),
    )
    lines = _list(monkeypatch, width)
    header = lines[0]
    row = next(line for line in lines if "Deploy" in line)
    subject = starts_everywhere_at(row, "👩💻 Deploy")
    assert set(subject.values()) == {cell_len(header[: header.index("Subject")])}, (subject, row)
    if width >= 120:  # the column after the subject
        why = starts_everywhere_at(row, "first reply")
        assert set(why.values()) == {cell_len(header[: header.index("Why")])}, (why, row)
    assert set(drawn_widths(row).values()) == {cell_len(row)} and cell_len(row) <= width


def test_a_name_that_starts_with_a_lone_skin_tone_starts_at_its_column(
    supportinbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The steady form drops a skin tone with nothing to tone; dropped after the name was
    folded, it left the space after it, and the name stood a cell right of its column."""
    _deliver(supportinbox_home, ("\U0001f3fd Lina \u200d Haddad", "lina@customer.test", "\U0001f3fb Refund"))
    header, _, row = _list(monkeypatch, 80)
    assert cell_len(row[: row.index("Lina Haddad")]) == cell_len(header[: header.index("Customer")]), row
    assert cell_len(row[: row.index("Refund")]) == cell_len(header[: header.index("Subject")]), row
