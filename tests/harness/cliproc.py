"""Run the real ``supportinbox`` command line in a subprocess and compare cache with server.

Used by the reliability tests: every run is ``python -m supportinbox`` with its own
``SUPPORTINBOX_HOME``, so a crash, a hang or a traceback is seen exactly as a user would.
"""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.harness.dovecot import Dovecot
from tests.harness.mail import client

ACCOUNT = "support"


@dataclass
class Run:
    """The outcome of one command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def describe(self) -> str:
        return f"{' '.join(self.args)} -> {self.returncode}\nstdout: {self.stdout}\nstderr: {self.stderr}"


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SUPPORTINBOX_TEST_CRASH_AT", None)
    env.update(
        SUPPORTINBOX_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        COLUMNS="200",
        NO_COLOR="1",
    )
    env.update(extra or {})
    return env


def run_cli(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60, terminal: bool = False
) -> Run:
    """Run ``supportinbox ARGS``; a hang past ``timeout`` fails the test (the process is killed).

    ``terminal``: stdin is a terminal (a pseudo-terminal nobody types on), as for a person
    running it; otherwise it is empty and no terminal, as under cron.
    """
    stdin: int = subprocess.DEVNULL
    if terminal:
        keyboard, stdin = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "supportinbox", *args],
            env=cli_env(home, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=stdin,
            start_new_session=True,
        )
    finally:
        if terminal:
            os.close(stdin)
    try:
        return _finish(proc, args, timeout)
    finally:
        if terminal:
            os.close(keyboard)


def _finish(proc: subprocess.Popen[bytes], args: tuple[str, ...], timeout: float) -> Run:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(
            f"supportinbox {' '.join(args)} hung for {timeout} s\nstdout: {out!r}\nstderr: {err!r}"
        ) from None
    said = (out or b"").decode("utf-8", "replace")
    return Run(args, proc.returncode, said, (err or b"").decode("utf-8", "replace"))


def run_into_closed_pipe(home: Path, *args: str, timeout: float = 60) -> Run:
    """Run ``supportinbox ARGS`` with stdout a pipe whose reader left before it started.

    Every write meets a reader that is gone, whatever the buffer sizes: ``cmd | head -1``
    at its worst. stdout is block-buffered, as under cron; ``stdout`` of the result is empty.
    """
    reader, writer = os.pipe()
    os.close(reader)
    env = cli_env(home)
    env.pop("PYTHONUNBUFFERED", None)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "supportinbox", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=writer,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    finally:
        os.close(writer)
    return _finish(proc, args, timeout)


def run_with_stdout_closed(home: Path, *args: str, timeout: float = 60) -> Run:
    """Run ``supportinbox ARGS`` with no stdout at all (``supportinbox ARGS >&-``)."""
    env = cli_env(home)
    proc = subprocess.Popen(
        ["/bin/sh", "-c", 'exec "$0" -m supportinbox "$@" >&-', sys.executable, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return _finish(proc, args, timeout)


def assert_one_clear_line(run: Run) -> None:
    """A failure a user sees: non-zero exit, exactly one 'supportinbox: ...' line, no traceback."""
    assert run.returncode not in (0, 70), run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    assert len(run.error_lines) == 1, run.describe()
    assert run.error_lines[0].startswith("supportinbox: "), run.describe()


def config_text(
    *,
    imap_port: int,
    smtp_port: int = 1,
    password: str = "secret",  # noqa: S107 - the test Dovecot's throwaway password
    imap_security: str = "none",
    smtp_security: str = "none",
    imap_host: str = "127.0.0.1",
    smtp_host: str = "127.0.0.1",
    ca_file: Path | None = None,
    timeout: float = 3,
    batch_size: int = 10,
    extra: str = "",
) -> str:
    ca = f'ca_file = "{ca_file}"\n' if ca_file else ""
    return f"""
[accounts.{ACCOUNT}]
email = "support@acme.test"
display_name = "Acme Support"
agent = "alice"
username = "support"
password_command = "printf %s {password}"
imap_host = "{imap_host}"
imap_port = {imap_port}
imap_security = "{imap_security}"
smtp_host = "{smtp_host}"
smtp_port = {smtp_port}
smtp_security = "{smtp_security}"
{ca}timeout = {timeout}
batch_size = {batch_size}
{extra}
"""


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text)
    return path


def database_path(home: Path) -> Path:
    return home / "data" / f"{ACCOUNT}.sqlite3"


@contextlib.contextmanager
def open_cache(home: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the account's cache, closed afterwards (an open one pins the file)."""
    conn = sqlite3.connect(str(database_path(home)), timeout=15)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def query(home: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    with open_cache(home) as conn:
        return conn.execute(sql, params).fetchall()


def cached_uids(home: Path, folder: str = "INBOX") -> set[int]:
    if not database_path(home).exists():
        return set()
    with open_cache(home) as conn:
        try:
            rows = conn.execute(
                "SELECT m.uid FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.name = ?",
                (folder,),
            ).fetchall()
        except sqlite3.OperationalError:
            return set()
    return {int(r[0]) for r in rows}


def integrity_ok(home: Path) -> bool:
    with open_cache(home) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"


def server_uids(server: Dovecot, folder: str = "INBOX") -> set[int]:
    with client(server) as imap:
        imap.select_folder(folder, readonly=True)
        return {int(u) for u in imap.search(["ALL"])}


def server_message_ids(server: Dovecot, folder: str) -> list[str]:
    """Message-ID of every message in ``folder`` (duplicates kept: they matter)."""
    with client(server) as imap:
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["ALL"])
        if not uids:
            return []
        data = imap.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    ids = []
    for item in data.values():
        raw = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode("ascii", "replace")
        ids.append(raw.split(":", 1)[1].strip() if ":" in raw else "")
    return ids


def run_in_pty(home: Path, *args: str) -> str:
    """Run a command under a pseudo-terminal (colours, progress bars); all it wrote, decoded."""
    leader, follower = pty.openpty()
    env = cli_env(home)
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "supportinbox", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")
