"""The password never lands on disk or in output, and what supportinbox writes is private.

A recognisable password is given to Dovecot and to an SMTP server with AUTH; supportinbox
gets it from a ``password_command`` that reads a file outside its folders. After a sync, a
failed login, a reply and a failing send (each also with ``--debug``) every file under
SUPPORTINBOX_HOME (config, cache incl. -wal/-shm, log, locks, outbox rows) and every output
is scanned for the password, its base64 forms (as in AUTH PLAIN/LOGIN) and the wrong
password of the failed attempts. Files are 0600 in 0700 folders.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportinbox.cli.logfile import MAX_BYTES
from tests.harness.cliproc import Run, config_text, run_cli, write_config
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.mail import append, make_message
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

CANARY = "Sup3r-S3cret-Canary-9431"
WRONG = "Wr0ng-Canary-Guess-5521"


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [
        raw,
        base64.b64encode(raw),
        base64.b64encode(b"\0support\0" + raw),  # AUTH PLAIN
        base64.b64encode(b"support\0support\0" + raw),
        raw.hex().encode(),
    ]


SECRETS = _forms(CANARY) + _forms(WRONG)


@dataclass
class Servers:
    dovecot: Dovecot
    smtp: SmtpServer
    secret_file: Path


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    root = make_root()
    dovecot = Dovecot(root, users={"support": CANARY})
    smtp = SmtpServer(users={"support": CANARY})
    secret_file = tmp_path / "outside" / "password"
    secret_file.parent.mkdir()
    secret_file.write_text(CANARY)
    try:
        dovecot.start()
        smtp.start()
        yield Servers(dovecot, smtp, secret_file)
    finally:
        smtp.stop()
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


def _write(home: Path, servers: Servers) -> None:
    text = config_text(imap_port=servers.dovecot.imap_port, smtp_port=servers.smtp.port)
    text = text.replace(
        f'password_command = "printf %s {"secret"}"', f'password_command = "cat {servers.secret_file}"'
    )
    assert "cat " in text
    write_config(home, text)


def _scan_tree(home: Path) -> list[str]:
    leaks = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            leaks += [f"{path.relative_to(home)} holds {form!r}" for form in SECRETS if form in data]
    return leaks


def _scan_runs(runs: list[Run]) -> list[str]:
    leaks = []
    for run in runs:
        text = (run.stdout + run.stderr).encode()
        leaks += [f"output of {' '.join(run.args)} holds {form!r}" for form in SECRETS if form in text]
    return leaks


def _conversation(home: Path) -> str:
    from tests.harness.cliproc import open_cache

    with open_cache(home) as conn:
        (conversation,) = conn.execute(
            "SELECT conversation_id FROM messages WHERE folder_id = 1 LIMIT 1"
        ).fetchone()
    return str(conversation)


def test_password_never_leaks(servers: Servers, supportinbox_home: Path) -> None:
    append(servers.dovecot, [make_message(message_id="<s1@customer.test>")])
    _write(supportinbox_home, servers)
    runs = [run_cli(supportinbox_home, "templates", "install")]
    runs += [run_cli(supportinbox_home, "--debug", "sync")]
    assert runs[-1].returncode == 0, runs[-1].describe()
    conversation = _conversation(supportinbox_home)
    reply = ("reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes")
    runs.append(run_cli(supportinbox_home, "--debug", *reply))
    assert runs[-1].returncode == 0, runs[-1].describe()
    assert len(servers.smtp.received) == 1

    # Wrong password: a failed IMAP login, a reply that cannot be sent, an explicit retry of it
    # (which must try it although its retry time has not come) and one that reaches SMTP AUTH.
    servers.secret_file.write_text(WRONG)
    failed = [
        run_cli(supportinbox_home, "--debug", "sync"),
        # A second reply to the same customer: --again, or it stops to ask first.
        run_cli(supportinbox_home, *reply, "--again"),
        run_cli(supportinbox_home, "--debug", "outbox", "retry"),
        # Past the teammate check (which needs the IMAP login): the SMTP AUTH is refused.
        run_cli(supportinbox_home, "--debug", "outbox", "retry", "--force"),
    ]
    for run in failed:
        assert run.returncode not in (0, 70), run.describe()
        assert "Traceback" not in run.stderr, run.describe()
    runs += failed
    assert "refused" in failed[0].stderr
    # An explicit retry tried the failed reply at once, though its retry time had not come.
    assert "#2 not sent" in failed[2].stderr, failed[2].describe()
    assert "refused the login" in failed[3].stderr and "535" in failed[3].stderr, failed[3].describe()
    assert len(servers.smtp.received) == 1

    assert _scan_tree(supportinbox_home) == []
    assert _scan_runs(runs) == []
    # The outbox row of the failed send is there, and clean.
    from tests.harness.cliproc import open_cache

    with open_cache(supportinbox_home) as conn:
        rows = [dict(r) for r in conn.execute("SELECT * FROM outbox")]
    assert any(r["status"] == "failed" for r in rows)
    assert not [r for r in rows for form in SECRETS if form.decode() in str(r)]


def test_the_rotated_logs_hold_no_password_either(servers: Servers, supportinbox_home: Path) -> None:
    """A log a line short of its limit: the --debug syncs (one logged in, one refused) rotate
    it; neither the log nor its backup holds the password, and both are 0600."""
    append(servers.dovecot, [make_message(message_id="<r1@customer.test>")])
    _write(supportinbox_home, servers)
    log = supportinbox_home / "state" / "supportinbox.log"
    log.parent.mkdir(mode=0o700)
    filler = "2026-12-01 09:00:00,000 INFO supportinbox.sync.engine: synced 0 messages\n"
    log.write_text(filler * ((MAX_BYTES - 100) // len(filler)))
    log.chmod(0o600)

    runs = [run_cli(supportinbox_home, "--debug", "sync")]
    assert runs[-1].returncode == 0, runs[-1].describe()
    servers.secret_file.write_text(WRONG)
    runs.append(run_cli(supportinbox_home, "--debug", "sync"))
    assert "refused" in runs[-1].stderr, runs[-1].describe()

    backup = log.with_name("supportinbox.log.1")
    assert backup.read_text().startswith(filler) and log.read_text()  # rotated, and written on
    assert _scan_tree(supportinbox_home) == []
    assert _scan_runs(runs) == []
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in log.parent.glob("supportinbox.log*")}
    assert modes == dict.fromkeys(("supportinbox.log", "supportinbox.log.1", "supportinbox.log.lock"), 0o600)


def test_files_are_private(servers: Servers, supportinbox_home: Path) -> None:
    append(servers.dovecot, [make_message(message_id="<p1@customer.test>")])
    _write(supportinbox_home, servers)
    os.chmod(supportinbox_home / "config" / "config.toml", 0o600)
    assert run_cli(supportinbox_home, "templates", "install").returncode == 0
    assert run_cli(supportinbox_home, "sync").returncode == 0
    conversation = _conversation(supportinbox_home)
    run = run_cli(
        supportinbox_home, "reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes"
    )
    assert run.returncode == 0, run.describe()

    loose = []
    for path in [supportinbox_home, *supportinbox_home.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path == supportinbox_home:
            continue  # created by the test
        if path.is_dir() and mode != 0o700:
            loose.append(f"{path.relative_to(supportinbox_home)}/ is {mode:o}")
        elif path.is_file() and mode & 0o077:
            loose.append(f"{path.relative_to(supportinbox_home)} is {mode:o}")
    assert loose == []
    names = {p.name for p in supportinbox_home.rglob("*")}
    assert "support.sqlite3" in names and "supportinbox.log" in names
