"""The reply, templates and outbox commands on a cached mailbox (no server contacted)."""

from __future__ import annotations

import stat
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.cli import reply_cmds
from supportinbox.config import load_config
from supportinbox.errors import EXIT_CODES
from supportinbox.store import outbox as store
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, open_database
from tests.conftest import write_config
from tests.harness.replies import TerminalInput, run_cli
from tests.store.factories import NOW, add_message
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG

# The code --help gives for "'no' to a command's question".
CANCELLED = next(code for code, meaning in EXIT_CODES.items() if "'no' to a command's question" in meaning)


@pytest.fixture
def cached(supportinbox_home: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[Database, str]]:
    """A configured account with one customer conversation in its cache; templates installed."""
    write_config(supportinbox_home, CONFIG)
    assert run_cli(capsys, "templates", "install").code == 0
    config = load_config()
    name, account = config.account()
    db = open_database(account=name)
    add_message(
        db,
        message_id="<c1@customer.test>",
        name="LINA HADDAD",
        subject="Re: AW: Invoice \x1b[31mwrong\x1b[0m",
        body="My invoice shows the wrong amount.\x1b]52;c;ZXZpbA==\x07\n\n-- \nLina",
        when=NOW,
    )
    refresh_conversations(db, config, account, now=NOW)
    conversation = str(db.conn.execute("SELECT conversation_id FROM messages").fetchone()[0])
    yield db, conversation
    db.close()


def test_reply_prints_a_safe_draft(cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]) -> None:
    db, conversation = cached
    result = run_cli(capsys, "reply", conversation, "--template", "need-more-information")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:3] == [
        "From: Acme Support <support@acme.test>",
        "To: LINA HADDAD <lina@customer.test>",
        "Subject: Re: Invoice wrong",
    ]
    assert "In-Reply-To: <c1@customer.test>" in lines
    assert "Hi Lina," in lines
    assert "> My invoice shows the wrong amount." in lines
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert store.list_rows(db.conn) == [], "printing a draft queues nothing"


def test_edit_opens_a_private_file_and_uses_the_result(
    cached: tuple[Database, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, conversation = cached
    editor = tmp_path / "editor.py"
    editor.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            path = sys.argv[1]
            with open({str(tmp_path / "mode")!r}, "w") as fh:
                fh.write(oct(os.stat(path).st_mode & 0o777))
            text = open(path, encoding="utf-8").read()
            open(path, "w", encoding="utf-8").write(text.replace("Hi Lina,", "Dear Lina,"))
            """
        )
    )
    monkeypatch.setenv("VISUAL", f"{sys.executable} {editor}")
    monkeypatch.setattr(sys, "stdin", TerminalInput(""))  # an editor opens on a terminal only
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--edit")
    assert result.code == 0, result.err
    assert "Dear Lina," in result.out and "Hi Lina," not in result.out
    assert (tmp_path / "mode").read_text() == oct(stat.S_IRUSR | stat.S_IWUSR)


def test_edit_to_empty_aborts(
    cached: tuple[Database, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, conversation = cached
    editor = tmp_path / "empty.py"
    editor.write_text("import sys\nopen(sys.argv[1], 'w').write('\\n\\n')\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {editor}")
    monkeypatch.setattr(sys, "stdin", TerminalInput(""))
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--edit", "--send", "--yes")
    assert result.code == 1
    assert result.err == "supportinbox: the reply is empty: nothing was queued or sent\n"
    assert store.list_rows(db.conn) == []


def test_send_asks_first_and_no_means_nothing_queued(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, conversation = cached
    monkeypatch.setattr(sys, "stdin", TerminalInput("n\n"))
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send")
    # Cancelled, as --help says of 130: a script must not read "no" as a reply sent.
    assert result.code == 130 == CANCELLED
    assert "Send this reply?" in result.out and result.err == "supportinbox: not sent\n"
    assert store.list_rows(db.conn) == []


def test_no_to_forwarding_is_cancelled_too(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, conversation = cached
    monkeypatch.setattr(sys, "stdin", TerminalInput("n\n"))
    result = run_cli(capsys, "forward", conversation, "--to", "dev@acme.test")
    assert result.code == CANCELLED, result.err
    assert "Forward 1 message to dev@acme.test?" in result.out and result.err == "supportinbox: not sent\n"
    assert store.list_rows(db.conn) == []


def test_ctrl_c_in_the_undo_window_cancels(
    cached: tuple[Database, str],
    capsys: pytest.CaptureFixture[str],
    supportinbox_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, conversation = cached
    write_config(supportinbox_home, CONFIG + "\n[replies]\nundo_seconds_cli = 30\n")

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(reply_cmds.time, "sleep", interrupted)
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert result.code == 130
    assert "reply cancelled: nothing was sent" in result.err
    (row,) = store.list_rows(db.conn)
    assert row.status == "cancelled" and row.attempts == 0


def test_templates_list_and_show(cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]) -> None:
    listing = run_cli(capsys, "templates", "list")
    assert listing.code == 0
    names = [line.split()[0] for line in listing.out.splitlines()]
    assert "refund-processed" in names and "login-help" in names
    assert "[-> closed]" in listing.out
    shown = run_cli(capsys, "templates", "show", "refund-processed")
    assert shown.code == 0
    assert "# status after sending: closed" in shown.out and "{{ customer.first_name }}" in shown.out
    missing = run_cli(capsys, "templates", "show", "nope")
    assert missing.code == 8 and missing.err.startswith("supportinbox: no template named 'nope'")


def test_show_a_broken_template_quotes_each_mistakes_line(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = paths.templates_dir() / "broken.txt"
    path.write_text(
        "---\ndescription: Refund\n---\nHi {{ customer.first_name }},\n\n"
        "Your \x1b[31mrefund {{ amount | money }} is done.\n{{ signature }}\n"
    )
    shown = run_cli(capsys, "templates", "show", "broken")
    assert shown.code == 2 and shown.out == ""
    assert shown.err == (
        f"supportinbox: template 'broken' ({path}) has 1 mistake:\n"
        "  line 6: syntax error: No filter named 'money'.\n"
        "      6 | Your refund {{ amount | money }} is done.\n"
    )


def test_broken_template_is_one_line(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, conversation = cached
    (paths.templates_dir() / "broken.txt").write_text("Hi {{ customer.phone }}\n")
    result = run_cli(capsys, "reply", conversation, "-t", "broken")
    assert result.code == 2
    expected = "template 'broken' (broken.txt) line 1: unknown variable 'customer.phone'"
    assert result.err == f"supportinbox: {expected}\n"
    listing = run_cli(capsys, "templates")
    assert listing.code == 0 and "BROKEN: broken.txt line 1" in listing.out


def test_a_template_that_would_build_a_huge_reply_is_one_line(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Rendered unbounded, this took seconds and hundreds of megabytes before printing."""
    _, conversation = cached
    (paths.templates_dir() / "huge.txt").write_text('Hi {{ customer.first_name }},\n{{ "x" * 100000000 }}\n')
    result = run_cli(capsys, "reply", conversation, "-t", "huge")
    assert result.code == 2 and result.out == ""
    assert result.err == (
        "supportinbox: template 'huge' (huge.txt) line 2: builds too much text (over 2,000,000 "
        "characters): repeat or pad less ('*', center, indent, join, format widths)\n"
    )


def test_init_installs_templates_once(supportinbox_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = run_cli(capsys, "init")
    assert first.code == 0 and "added 12 reply template(s)" in first.out
    assert (paths.templates_dir() / "refund-processed.txt").exists()
    again = run_cli(capsys, "init")
    assert (
        again.code == 0 and f"the default reply templates are in {paths.templates_dir()} already" in again.out
    )
    assert "changed nothing" not in again.out
    config = paths.config_file().read_text()
    wanted = run_cli(capsys, "init", "--provider", "gmail", "--email", "help@acme.com")
    assert wanted.code == 0 and paths.config_file().read_text() == config
    assert (
        "--provider gmail --email help@acme.com changed nothing in it: 'supportinbox init --print "
        "--provider gmail --email help@acme.com' prints what init would have written, to copy from"
    ) in wanted.out


def test_outbox_discard_unknown_id(cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "outbox", "discard", "42")
    assert result.code == 8 and "no reply #42" in result.err
    assert run_cli(capsys, "outbox").out == "the outbox is empty\n"


@pytest.mark.parametrize(
    ("status", "smtp_done", "says"),
    [
        ("sent", True, "reply #1 was already sent: there is nothing to discard"),
        ("cancelled", False, "reply #1 was already discarded"),
        ("sending", False, "reply #1 is being sent right now and can no longer be discarded"),
        ("failed", True, "the SMTP server already accepted reply #1: it can no longer be discarded"),
    ],
)
def test_outbox_discard_too_late_says_why_and_exits_1(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str], status: str, smtp_done: bool, says: str
) -> None:
    """A reply that left (or is leaving) is no "reply not sent" (exit 9): one line, exit 1."""
    db, conversation = cached
    run_cli(
        capsys, "reply", conversation, "-t", "login-help", "--send", "--yes"
    )  # SMTP unreachable: #1 waits
    db.conn.execute(
        "UPDATE outbox SET status = ?, smtp_done_at = ? WHERE id = 1",
        (status, NOW.isoformat() if smtp_done else None),
    )
    db.conn.commit()
    result = run_cli(capsys, "outbox", "discard", "1")
    assert result.code == 1, result
    assert result.err.count("\n") == 1 and says in result.err


def test_outbox_retry_of_an_unknown_id_says_so_and_sends_nothing(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    queued = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert queued.code != 0  # SMTP is unreachable here: #1 waits in the outbox, failed
    (before,) = store.list_rows(db.conn)
    mistyped = run_cli(capsys, "outbox", "retry", "12")  # meant 1: not "nothing to send", exit 0
    assert (
        mistyped.code == 8
        and mistyped.err == "supportinbox: no reply #12 in the outbox (see 'supportinbox outbox')\n"
    )
    (after,) = store.list_rows(db.conn)
    assert after.attempts == before.attempts  # #1 was not tried because of it


def test_reply_all_copies_the_other_recipients(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(supportinbox_home, CONFIG)
    run_cli(capsys, "templates", "install")
    config = load_config()
    name, account = config.account()
    with open_database(account=name) as db:
        add_message(
            db,
            message_id="<all1@customer.test>",
            to=("support@acme.test", "bob@customer.test"),
            cc=("carol@customer.test",),
            when=NOW,
            raw_headers=(
                "To: Acme Support <support@acme.test>, =?utf-8?q?Bob_St=C3=B6ne?= <bob@customer.test>\r\n"
                'Cc: "Berg, Carol" <carol@customer.test>\r\n'
            ),
        )
        refresh_conversations(db, config, account, now=NOW)
        conversation = str(db.conn.execute("SELECT conversation_id FROM messages").fetchone()[0])
    only = run_cli(capsys, "reply", conversation, "-t", "login-help")
    assert "Cc:" not in only.out
    everyone = run_cli(capsys, "reply", conversation, "-t", "login-help", "--all")
    # The names the customer wrote are kept (read from the message's headers).
    assert (
        'Cc: Bob Stöne <bob@customer.test>, "Berg, Carol" <carol@customer.test>' in everyone.out.splitlines()
    )


def test_outbox_show_prints_the_queued_reply(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, conversation = cached
    monkeypatch.setattr(sys, "stdin", TerminalInput("y\n"))
    sent = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send")
    assert sent.code != 0, "smtp_port 1 refuses: the reply stays in the outbox"
    (row,) = store.list_rows(db.conn)
    shown = run_cli(capsys, "outbox", "show", str(row.id))
    assert shown.code == 0, shown.err
    assert shown.out.startswith(f"# #{row.id} failed, ")
    assert "To: LINA HADDAD <lina@customer.test>" in shown.out
    assert "Hi Lina," in shown.out and "\r" not in shown.out


def test_a_reply_that_could_not_be_sent_says_why_in_one_plain_sentence(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _db, conversation = cached
    result = run_cli(capsys, "reply", conversation, "-t", "need-more-information", "--send", "--yes")
    assert result.code == 9, result.err
    (line,) = result.err.splitlines()
    # The reason (which may end in advice in parentheses of its own) is not wrapped in more.
    assert line.startswith("supportinbox: #1 not sent: the server could not be asked whether a teammate ")
    assert "). " not in line and not line.endswith(")")
    assert line.endswith(
        ". It stays in the outbox until you act: 'supportinbox outbox retry 1' after fixing the cause, "
        "or 'supportinbox outbox discard 1'"
    )
    # Refused before SMTP: no "0 attempts" beside "failed", as if it had never been tried.
    shown = run_cli(capsys, "outbox", "show", "1").out.splitlines()[0]
    # Queued at a local clock time, as 'outbox list' says it, not as ISO UTC.
    assert shown == "# #1 failed, waits for you, queued just now", shown  # seconds ago
