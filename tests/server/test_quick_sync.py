"""A no-change ``supportinbox sync`` answered before the program loads (cli/quick_sync.py).

Every test runs the command as a user does, in a child process that reports at exit
whether imapclient and click were loaded: they are when the full command ran.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.store.db import open_database
from supportinbox.sync.lock import account_lock
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot, free_port, make_certificate
from tests.harness.mail import append, client, make_message

pytestmark = [pytest.mark.server]

_CHILD = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: sys.__stderr__.write('\\nLOADED ' + json.dumps("
    "[m for m in ('imapclient', 'click', 'msgspec') if m in sys.modules])))\n"
    "from supportinbox.cli import main\n"
    "main(sys.argv[1:])\n"
)


@dataclass
class Sync:
    returncode: int
    stdout: str
    stderr: str
    loaded: list[str]

    @property
    def quick(self) -> bool:
        return not self.loaded


def run_sync(*args: str) -> Sync:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, *(args or ("sync",))],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    stderr, _, loaded = result.stderr.rpartition("\nLOADED ")
    return Sync(result.returncode, result.stdout, stderr, json.loads(loaded))


@dataclass
class Account:
    home: Path
    password_file: Path
    runs_file: Path
    ca_file: Path

    def password_runs(self) -> int:
        return len(self.runs_file.read_text().splitlines()) if self.runs_file.exists() else 0


def setup_account(server: Dovecot, home: Path, *, security: str = "none") -> Account:
    """The account with its password in a file (the command counts its runs) and a copy of
    the server's certificate as its ``ca_file``."""
    keys = home.parent / "keys"
    keys.mkdir(exist_ok=True)
    password_file = keys / "password"
    password_file.write_text(server.users["support"] + "\n")
    runs = keys / "runs"
    ca_file = keys / "ca.pem"
    shutil.copyfile(server.cert_file, ca_file)
    text = (
        account_toml(server, security=security)
        .replace(f"printf %s {server.users['support']}", f"echo run >> {runs}; cat {password_file}")
        .replace(str(server.cert_file), str(ca_file))
    )
    assert str(password_file) in text and str(ca_file) in text
    write_config(home, text)
    return Account(home, password_file, runs, ca_file)


def settle(server: Dovecot, home: Path, *, security: str = "none") -> Account:
    """A synced account whose next no-change sync is answered quickly.

    The first sync fills the cache, the second takes in what the first one's team check
    wrote on the server (a probe keyword) and records the folder list the quick look saw.
    """
    append(server, [make_message(subject=f"m{i}") for i in range(3)])
    append(server, [make_message(subject="spam")], folder="Junk")
    account = setup_account(server, home, security=security)
    for _ in range(2):
        first = run_sync()
        assert first.returncode == 0 and not first.quick, first.stderr
    quick = run_sync()
    assert quick.returncode == 0 and quick.quick, quick
    return account


def last_syncs() -> dict[str, str]:
    with open_database(account="support") as db:
        return {str(r[0]): str(r[1]) for r in db.conn.execute("SELECT name, last_sync FROM folders")}


def test_nothing_changed_is_answered_without_loading_the_program(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    account = settle(dovecot, supportinbox_home)
    before = last_syncs()
    runs = account.password_runs()

    result = run_sync()

    assert result.returncode == 0 and result.quick, result
    assert result.stdout.startswith("up to date in ")
    assert result.stdout.endswith(" s (INBOX 3, Junk 1, Sent 0)\n")
    assert result.stderr == ""
    after = last_syncs()
    assert set(after) == set(before) and all(after[name] >= before[name] for name in before)
    assert account.password_runs() == runs + 1


def test_the_cache_after_the_quick_answer_is_the_cache_after_the_full_command(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    settle(dovecot, supportinbox_home)
    data = paths.data_dir()
    kept = supportinbox_home.parent / "kept-data"
    shutil.copytree(data, kept)

    quick = run_sync()
    assert quick.quick
    after_quick = _dump(paths.database_file("support"))
    shutil.rmtree(data)
    shutil.copytree(kept, data)
    full = run_sync("--account", "support", "sync")  # an option: the full command
    assert not full.quick and full.returncode == 0, full.stderr
    after_full = _dump(paths.database_file("support"))

    assert quick.stdout.split(" in ")[0] == full.stdout.split(" in ")[0] == "up to date"
    assert quick.stdout.split(" s ")[1] == full.stdout.split(" s ")[1]
    assert after_quick == after_full


def _dump(path: Path) -> list[str]:
    """Every row of the cache, with the folders' sync times reduced to 'set'."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE folders SET last_sync = 'set' WHERE last_sync IS NOT NULL")
        return list(conn.iterdump())
    finally:
        conn.rollback()
        conn.close()


def _new_message(server: Dovecot) -> None:
    append(server, [make_message(subject="another question")])


def _flag(server: Dovecot) -> None:
    with client(server) as imap:
        imap.select_folder("INBOX")
        imap.add_flags([imap.search()[0]], [b"\\Flagged"])


def _keyword(server: Dovecot) -> None:
    with client(server) as imap:
        imap.select_folder("INBOX")
        imap.add_flags([imap.search()[0]], [b"$Customer"])


def _expunge(server: Dovecot) -> None:
    with client(server) as imap:
        imap.select_folder("INBOX")
        imap.delete_messages([imap.search()[0]])
        imap.expunge()


def _uidvalidity(server: Dovecot) -> None:
    with client(server) as imap:
        imap.delete_folder("Junk")
        imap.create_folder("Junk")
    append(server, [make_message(subject="spam")], folder="Junk")


def _new_folder(server: Dovecot) -> None:
    with client(server) as imap:
        imap.create_folder("Archive")


def _teammate_note(server: Dovecot) -> None:
    with client(server) as imap:
        if not imap.folder_exists("Support Notes"):
            imap.create_folder("Support Notes")
    append(server, [make_message(subject="a note")], folder="Support Notes")


SERVER_CHANGES = {
    "a message arrives": (_new_message, "synced 1 message"),
    "a flag changes": (_flag, "1 flag change"),
    "a keyword changes": (_keyword, "1 flag change"),
    "a message is expunged": (_expunge, "1 removed on the server"),
    "UIDVALIDITY changes": (_uidvalidity, "Junk fetched again"),
    "a folder is created": (_new_folder, "up to date"),
    "a teammate adds a note": (_teammate_note, "up to date"),
}


@pytest.mark.parametrize("change", list(SERVER_CHANGES))
def test_a_change_on_the_server_runs_the_full_command(
    dovecot: Dovecot, supportinbox_home: Path, change: str
) -> None:
    account = settle(dovecot, supportinbox_home)
    make_change, said = SERVER_CHANGES[change]
    make_change(dovecot)
    runs = account.password_runs()

    result = run_sync()

    assert result.returncode == 0, result.stderr
    assert not result.quick
    assert said in result.stdout
    assert account.password_runs() == runs + 1  # the quick look's password was handed on


def _queued_flag(home: Path) -> None:
    with open_database(account="support") as db, db.transaction() as conn:
        uid = conn.execute("SELECT MIN(uid) FROM messages").fetchone()[0]
        conn.execute(
            "INSERT INTO pending_ops(kind, payload, created_at) VALUES ('add_flags', ?, '2026-01-01')",
            (json.dumps({"folder": "INBOX", "uid": uid, "flags": ["\\Flagged"]}),),
        )


def _reply_in_outbox(home: Path) -> None:
    with open_database(account="support") as db, db.transaction() as conn:
        conn.execute(
            "INSERT INTO outbox(message_id, recipients, raw, status, created_at) VALUES (?, ?, ?, ?, ?)",
            ("<r1@acme.test>", "lina@customer.test", b"raw", "queued", "2026-01-01T00:00:00+00:00"),
        )


def _claim(home: Path) -> None:
    """A claim made offline: it stays in the cache until the next sync shares it."""
    config = home / "config" / "config.toml"
    offline = home.parent / "offline.toml"
    port = re.search(r"imap_port = (\d+)", config.read_text())
    assert port is not None
    offline.write_text(config.read_text().replace(port.group(0), f"imap_port = {free_port()}"))
    env = {**os.environ, "SUPPORTINBOX_CONFIG": str(offline)}
    command = [sys.executable, "-m", "supportinbox"]
    listed = subprocess.run([*command, "list", "--json"], capture_output=True, text=True, env=env, check=True)
    conversation = json.loads(listed.stdout)[0]["id"]
    subprocess.run([*command, "claim", conversation], capture_output=True, env=env, check=False)
    with open_database(account="support") as db:
        held = db.conn.execute(
            "SELECT assigned_to FROM conversation_state WHERE conversation_id = ?", (conversation,)
        ).fetchone()
    assert held is not None and held[0] == "alice"


def _local_note(home: Path) -> None:
    with open_database(account="support") as db, db.transaction() as conn:
        conversation = conn.execute("SELECT id FROM conversations LIMIT 1").fetchone()[0]
        conn.execute(
            "INSERT INTO notes(conversation_id, author, created_at, body, message_id, uploaded) "
            "VALUES (?, 'alice', '2026-01-01T00:00:00+00:00', 'call back', '<n1@acme.test>', 0)",
            (conversation,),
        )


def _rebuild_left(home: Path) -> None:
    """What a rebuild killed before its swap leaves: the full command removes it and says so."""
    with open_database(paths.rebuild_file("support")) as db, db.transaction() as conn:
        conn.execute("DELETE FROM outbox")


def _older_html_reading(home: Path) -> None:
    """A cache whose HTML mail an older reading read: the full sync reads it again."""
    from supportinbox.mail.reading import META

    with open_database(account="support") as db, db.transaction() as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (META,))


def _config_edit(home: Path) -> None:
    config = home / "config" / "config.toml"
    config.write_text(config.read_text() + "\n# edited\n")


LOCAL_CHANGES = {
    "a flag change is queued": _queued_flag,
    "a reply waits in the outbox": _reply_in_outbox,
    "a conversation was claimed offline": _claim,
    "a note was written": _local_note,
    "cached HTML mail is to be read again": _older_html_reading,
    "the config changed": _config_edit,
    "a killed rebuild left its new cache": _rebuild_left,
}


@pytest.mark.parametrize("change", list(LOCAL_CHANGES))
def test_work_waiting_here_runs_the_full_command(
    dovecot: Dovecot, supportinbox_home: Path, change: str
) -> None:
    settle(dovecot, supportinbox_home)
    LOCAL_CHANGES[change](supportinbox_home)

    result = run_sync()

    assert not result.quick
    assert result.stdout.startswith(("up to date", "synced")), result


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_the_servers_certificate_is_verified_as_by_the_full_command(
    dovecot: Dovecot, supportinbox_home: Path, tmp_path: Path, security: str
) -> None:
    account = settle(dovecot, supportinbox_home, security=security)
    assert run_sync().quick
    # ca_file now names another certificate: the server's no longer verifies.
    account.ca_file.write_bytes(make_certificate(tmp_path / "other").read_bytes())

    result = run_sync()

    assert result.returncode == 4 and result.stdout == "", result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not trusted" in lines[0], result.stderr
    assert str(account.ca_file) in lines[0]


def test_a_server_without_condstore_gets_the_full_command(
    plain_dovecot: Dovecot, supportinbox_home: Path
) -> None:
    append(plain_dovecot, [make_message()])
    setup_account(plain_dovecot, supportinbox_home)
    for _ in range(4):
        result = run_sync()
        assert result.returncode == 0 and not result.quick, result
        assert "INBOX 1" in result.stdout


def test_a_wrong_password_gets_the_full_commands_error(dovecot: Dovecot, supportinbox_home: Path) -> None:
    account = settle(dovecot, supportinbox_home)
    account.password_file.write_text("wrong\n")
    runs = account.password_runs()

    result = run_sync()

    assert result.returncode == 5 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("supportinbox: IMAP login as 'support' on 127.0.0.1:")
    assert "wrong" not in result.stderr and "Traceback" not in result.stderr
    assert account.password_runs() == runs + 1


def test_a_failing_password_command_runs_once_and_says_why(dovecot: Dovecot, supportinbox_home: Path) -> None:
    account = settle(dovecot, supportinbox_home)
    account.password_file.unlink()
    runs = account.password_runs()

    result = run_sync()

    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "password_command of account 'support' failed" in lines[0], result.stderr
    assert account.password_runs() == runs + 1


def test_a_server_that_is_down_gets_the_full_commands_error(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    settle(dovecot, supportinbox_home)
    dovecot.stop()

    result = run_sync()

    assert result.returncode == 4 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused the connection" in lines[0], result.stderr


def test_the_record_holds_no_password_and_only_its_owner_reads_it(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    account = settle(dovecot, supportinbox_home)
    record = paths.quick_sync_file()
    text = record.read_text()
    assert dovecot.users["support"] not in text
    assert json.loads(text)["imap"]["password_command"].endswith(f"cat {account.password_file}")
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    log = paths.log_file()
    for path in log.parent.glob(f"{log.name}*"):  # the log, its lock and its rotated backups
        assert dovecot.users["support"] not in path.read_text()


def test_a_sync_with_a_warning_is_not_answered_quickly(dovecot: Dovecot, supportinbox_home: Path) -> None:
    settle(dovecot, supportinbox_home)
    config = supportinbox_home / "config" / "config.toml"
    config.write_text(config.read_text().replace("timeout = 10", 'timeout = 10\njunk_folder = "Nowhere"'))

    for _ in range(2):
        result = run_sync()
        assert not result.quick and "junk_folder 'Nowhere' does not exist" in result.stderr, result
        assert json.loads(paths.quick_sync_file().read_text())["quiet"] is False

    config.write_text(config.read_text().replace('junk_folder = "Nowhere"', ""))
    assert not run_sync().quick  # the config changed
    assert run_sync().quick  # the folder list seen before still stands


def test_a_running_sync_gets_the_full_commands_answer(dovecot: Dovecot, supportinbox_home: Path) -> None:
    settle(dovecot, supportinbox_home)
    before = last_syncs()

    with account_lock("support"):
        result = run_sync()

    assert result.returncode == 7 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "a sync of account 'support' is already running" in lines[0], result.stderr
    assert last_syncs() == before
