"""``supportinbox sync`` and ``supportinbox cache rebuild`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from supportinbox.store.db import open_database, utcnow_iso
from tests.conftest import account_toml, write_config
from tests.harness.cliproc import run_in_pty
from tests.harness.dovecot import Dovecot, free_port
from tests.harness.mail import append, make_message

pytestmark = [pytest.mark.server, pytest.mark.both_servers]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportinbox", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )


def test_sync_prints_one_summary_line_then_up_to_date(dovecot: Dovecot, supportinbox_home: Path) -> None:
    append(dovecot, [make_message(subject=f"m{i}") for i in range(12)])
    append(dovecot, [make_message(subject="spam")], folder="Junk")
    write_config(supportinbox_home, account_toml(dovecot))

    first = _run("sync")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("synced 13 messages in ")
    assert first.stdout.rstrip().endswith("(INBOX 12 new, Junk 1 new)")
    assert first.stdout.count("\n") == 1 and first.stderr == ""

    second = _run("sync")
    assert second.returncode == 0
    assert second.stdout.startswith("up to date in ") and "(INBOX 12, Junk 1, Sent 0)" in second.stdout

    with open_database(account="support") as db:
        count = db.conn.execute(
            "SELECT COUNT(*) FROM messages WHERE conversation_id IS NOT NULL AND folder_id = "
            "(SELECT id FROM folders WHERE role = 'inbox')"
        ).fetchone()[0]
    assert count == 12  # the triage queue was refreshed after the sync


def test_a_terminal_is_told_the_queue_is_being_sorted(dovecot: Dovecot, supportinbox_home: Path) -> None:
    """After the folders' bars comes a line for the sorting (seconds on a first sync of
    thousands of messages), not finished bars that look like a hang."""
    append(dovecot, [make_message(subject=f"m{i}") for i in range(12)])
    write_config(supportinbox_home, account_toml(dovecot))

    output = run_in_pty(supportinbox_home, "sync")

    assert "INBOX" in output and "sorting the queue" in output, repr(output)
    assert output.index("INBOX") < output.index("sorting the queue") < output.index("synced 12 messages")


def test_the_sorting_step_comes_before_the_sorting(dovecot: Dovecot, supportinbox_home: Path) -> None:
    """The step is reported once every folder is stored, before the team hook and the
    refresh: what a screen shows while they run."""
    from supportinbox.app import sync as app_sync
    from supportinbox.app.context import AccountContext
    from supportinbox.config import load_config
    from supportinbox.sync.hooks import default_hooks

    append(dovecot, [make_message(subject=f"m{i}") for i in range(5)])
    write_config(supportinbox_home, account_toml(dovecot))
    config = load_config()
    name, account = config.account(None)
    heard: list[tuple[str, int, int, int]] = []
    with open_database(account=name) as db:
        ctx = AccountContext(db, config, name, account)

        def progress(label: str, done: int, total: int) -> None:
            sorted_ = db.conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
            heard.append((label, done, total, sorted_))

        app_sync.fetch(ctx, progress=progress, hooks=default_hooks(config, name, account))
        app_sync.refresh_queue(ctx)
        conversations = db.conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]

    assert heard[-1] == (app_sync.SORTING, 0, 0, 0), heard
    assert ("INBOX", 5, 5, 0) in heard[:-1]
    assert conversations == 5


def test_a_sync_with_an_empty_outbox_loads_no_sending_code(dovecot: Dovecot, supportinbox_home: Path) -> None:
    append(dovecot, [make_message(subject="hello", message_id="<hello@customer.test>")])
    # A reply of ours in Sent: the refresh reads which agent wrote it.
    ours = make_message(
        sender="Acme Support <support@acme.test>",
        to="lina@customer.test",
        subject="Re: hello",
        in_reply_to="<hello@customer.test>",
        headers={"X-Supportinbox-Agent": "alice"},
    )
    append(dovecot, [ours], folder="Sent")
    write_config(supportinbox_home, account_toml(dovecot))
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: sys.__stderr__.write('\\nMODULES ' + json.dumps(sorted(sys.modules))))\n"
        "from supportinbox.cli import main\n"
        "main(['sync'])\n"
    )
    for _ in range(2):  # the first sync, then one with nothing new
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), check=False
        )
        assert result.returncode == 0, result.stderr
        loaded = set(json.loads(result.stderr.rsplit("MODULES ", 1)[1]))
        assert "supportinbox.sync.engine" in loaded
        sending = {
            "supportinbox.domain.replies",
            "supportinbox.mail.outbox",
            "supportinbox.mail.smtp",
            "supportinbox.domain.templates",
            "jinja2",
        }
        assert not sending & loaded


def test_sync_of_one_folder(dovecot: Dovecot, supportinbox_home: Path) -> None:
    append(dovecot, [make_message()])
    append(dovecot, [make_message()], folder="Junk")
    write_config(supportinbox_home, account_toml(dovecot))
    result = _run("sync", "--folder", "junk")
    assert result.returncode == 0 and "(Junk 1 new)" in result.stdout


def test_sync_of_a_folder_it_does_not_sync_says_which_it_does(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    append(dovecot, [make_message()])
    write_config(supportinbox_home, account_toml(dovecot))
    typo = _run("sync", "--folder", "Inbx")
    assert typo.returncode == 8 and typo.stdout == "", typo
    assert typo.stderr.startswith("supportinbox: ") and typo.stderr.count("\n") == 1, typo.stderr
    assert "'Inbx'" in typo.stderr and "inbox (INBOX)" in typo.stderr and "Traceback" not in typo.stderr
    # A role is a role however it is written; the server's own name works too.
    assert "(INBOX 1 new)" in _run("sync", "--folder", "Inbox").stdout
    assert _run("sync", "--folder", "INBOX").returncode == 0


@pytest.mark.parametrize(
    ("change", "code", "needle"),
    [
        (("printf %s secret", "printf %s wrong"), 5, "IMAP login as 'support' on 127.0.0.1:"),
        (("imap_port = {port}", "imap_port = {closed}"), 4, "refused the connection"),
        (('ca_file = "{cert}"', ""), 4, "ca_file"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(
    dovecot: Dovecot, supportinbox_home: Path, change: tuple[str, str], code: int, needle: str
) -> None:
    text = account_toml(dovecot, security="tls")
    values = {"port": dovecot.imaps_port, "closed": free_port(), "cert": dovecot.cert_file}
    old, new = (part.format(**values) for part in change)
    assert old in text
    write_config(supportinbox_home, text.replace(old, new))
    result = _run("sync")
    assert result.returncode == code
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("supportinbox: ") and needle in lines[0]
    assert "Traceback" not in result.stderr and "wrong" not in result.stderr


def test_cache_rebuild_keeps_unsent_replies_and_queued_changes(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    append(dovecot, [make_message(subject=f"m{i}") for i in range(4)])
    write_config(supportinbox_home, account_toml(dovecot))
    assert _run("sync").returncode == 0
    with open_database(account="support") as db, db.transaction() as conn:
        conn.execute(
            "INSERT INTO outbox(message_id, recipients, raw, status, created_at) VALUES (?, ?, ?, ?, ?)",
            ("<r1@acme.test>", "lina@customer.test", b"raw reply", "queued", utcnow_iso()),
        )
        # Sent ones are kept too (never sent twice), but they are not "in the outbox" waiting.
        conn.executemany(
            "INSERT INTO outbox(message_id, recipients, raw, status, created_at) VALUES (?, ?, ?, ?, ?)",
            [
                (f"<{status}{n}@acme.test>", "lina@customer.test", b"raw", status, utcnow_iso())
                for status, n in (("sent", 1), ("sent", 2), ("cancelled", 1))
            ],
        )
        conn.execute(
            "INSERT INTO pending_ops(kind, payload, created_at) VALUES (?, ?, ?)",
            ("add_flags", '{"folder": "INBOX", "uid": 1, "flags": ["\\\\Flagged"]}', utcnow_iso()),
        )
        conn.execute("UPDATE messages SET subject = 'stale' WHERE uid = 2")

    refused = subprocess.run(
        [sys.executable, "-m", "supportinbox", "cache", "rebuild"],
        input="n\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0

    result = _run("cache", "rebuild", "--yes")
    assert result.returncode == 0, result.stderr
    kept = result.stdout.splitlines()[0]
    assert kept.startswith(
        "fetching the mailbox again into a new cache (kept 1 unsent reply in the outbox, "
        "1 change waiting for the server, "
    ), kept
    assert kept.endswith(", 2 sent replies remembered, so none is sent again)"), kept
    assert "synced 4 messages" in result.stdout
    with open_database(account="support") as db:
        outbox = db.conn.execute("SELECT message_id, raw, status FROM outbox WHERE status = 'queued'")
        assert [tuple(r) for r in outbox] == [("<r1@acme.test>", b"raw reply", "queued")]
        assert db.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 4
        assert db.conn.execute("SELECT COUNT(*) FROM pending_ops").fetchone()[0] == 0  # flushed
        subjects = {r[0] for r in db.conn.execute("SELECT subject FROM messages")}
        assert subjects == {"m0", "m1", "m2", "m3"}
        flags = db.conn.execute("SELECT flags FROM messages WHERE uid = 1").fetchone()[0]
        assert flags == "\\Flagged"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (("imap_port = {port}", "imap_port = {closed}"), 4),  # the server is down
        (('password_command = "printf %s secret"', 'password_command = "printf %s wrong"'), 5),
    ],
    ids=["server-down", "wrong-password"],
)
def test_cache_rebuild_that_cannot_reach_the_server_drops_nothing(
    dovecot: Dovecot, supportinbox_home: Path, change: tuple[str, str], code: int
) -> None:
    """A rebuild from cron while offline leaves the cache whole and usable, not emptied."""
    append(dovecot, [make_message(subject=f"m{i}", message_id=f"<m{i}@customer.test>") for i in range(3)])
    text = account_toml(dovecot)
    write_config(supportinbox_home, text)
    assert _run("sync").returncode == 0
    before = json.loads(_run("list", "--status", "all", "--json").stdout)
    assert len(before) == 3

    values = {"port": dovecot.imap_port, "closed": free_port()}
    old, new = (part.format(**values) for part in change)
    assert old in text
    write_config(supportinbox_home, text.replace(old, new))
    result = _run("cache", "rebuild", "--yes")
    assert result.returncode == code, result.stderr
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert json.loads(_run("list", "--status", "all", "--json").stdout) == before
    with open_database(account="support") as db:
        assert db.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 3


def test_a_folder_named_with_a_lone_bracket_does_not_stop_the_sync(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    """A folder named "[@click=app:quit]Spam[" comes in the folder list as a bare atom (brackets
    are allowed there); imapclient took its "[" for a bracketed token and refused the whole
    list: every sync ended in "an answer that breaks the IMAP protocol"."""
    junk = "[@click=app:quit]Spam["
    append(dovecot, [make_message(subject="hello")])
    append(dovecot, [make_message(subject="still locked out")], folder=junk)
    append(dovecot, [make_message(subject="other")], folder="Old[2019")
    write_config(supportinbox_home, account_toml(dovecot, extra=f"junk_folder = {json.dumps(junk)}\n"))
    done = _run("sync")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"(INBOX 1 new, {junk} 1 new)"), done.stdout
