"""Errors a newcomer meets, through the real CLI: password commands, login, PREAUTH, ports.

Each one is a single readable line with the documented exit code, never a traceback, a
Python warning or a 30-second wait.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.cliproc import assert_one_clear_line, config_text, run_cli, write_config
from tests.harness.dovecot import Dovecot, free_port
from tests.harness.mail import append, make_message

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

CREDENTIALS_EXIT = 3
CONNECTION_FAILED_EXIT = 4


def _with_password_command(home: Path, dovecot: Dovecot, command: str) -> None:
    text = config_text(imap_port=dovecot.imap_port)
    # A JSON string is a valid TOML basic string: quotes and backslashes escaped alike.
    text = text.replace('password_command = "printf %s secret"', f"password_command = {json.dumps(command)}")
    write_config(home, text)


def test_password_command_runs_through_sh_with_pipes_variables_and_tilde(
    dovecot: Dovecot, supportinbox_home: Path, tmp_path: Path
) -> None:
    secrets = tmp_path / "home" / ".secrets"
    secrets.mkdir(parents=True)
    (secrets / "imap").write_text("# the last line is the password\n  secret \n")
    append(dovecot, [make_message()])
    _with_password_command(supportinbox_home, dovecot, "tail -n 1 ~/.secrets/$PW_NAME | tr -d ' '")
    run = run_cli(supportinbox_home, "sync", env={"PW_NAME": "imap", "HOME": str(tmp_path / "home")})
    assert run.returncode == 0, run.describe()


def test_a_failing_password_command_shows_its_error_and_never_its_output(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    _with_password_command(
        supportinbox_home,
        dovecot,
        "echo s3cr3t-canary; echo 'gpg: decryption failed: No secret key' >&2; exit 2",
    )
    run = run_cli(supportinbox_home, "sync")
    assert run.returncode == CREDENTIALS_EXIT, run.describe()
    assert_one_clear_line(run)
    assert "exit code 2: gpg: decryption failed: No secret key" in run.stderr
    assert "s3cr3t-canary" not in run.stderr + run.stdout


def test_a_missing_password_program_says_so(dovecot: Dovecot, supportinbox_home: Path) -> None:
    _with_password_command(supportinbox_home, dovecot, "pass-that-does-not-exist show acme")
    run = run_cli(supportinbox_home, "sync")
    assert run.returncode == CREDENTIALS_EXIT, run.describe()
    assert_one_clear_line(run)
    assert "exit code 127" in run.stderr and "not found" in run.stderr


def _without_password_command(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("password_command"))


def test_login_without_a_keyring_refuses_before_asking_and_prints_no_warning(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, _without_password_command(config_text(imap_port=free_port())))
    run = run_cli(supportinbox_home, "login")  # stdin is closed: asking would read nothing
    assert run.returncode == CREDENTIALS_EXIT, run.describe()
    assert_one_clear_line(run)
    assert "no system keyring" in run.stderr and "password_command" in run.stderr
    assert "Password for" not in run.stdout + run.stderr
    assert "Warning" not in run.stderr


def test_login_with_a_password_command_stores_nothing_and_says_why(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, config_text(imap_port=free_port()))
    run = run_cli(supportinbox_home, "login")  # asking would read nothing: stdin is closed
    assert run.returncode == 0 and run.stderr == "", run.describe()
    assert "takes its password from password_command" in run.stdout and "nothing stored" in run.stdout
    assert "Password for" not in run.stdout and "secret" not in run.stdout  # the command is not shown


class _PreauthServer:
    """A fake IMAP server that greets with PREAUTH (optionally inside TLS)."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.port = free_port()
        self.context = context
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, raw: socket.socket) -> None:
        try:
            conn = self.context.wrap_socket(raw, server_side=True) if self.context else raw
            with conn, conn.makefile("rwb") as stream:
                stream.write(b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as support\r\n")
                stream.flush()
                for line in stream:
                    tag = line.split(b" ", 1)[0]
                    stream.write(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + tag + b" OK done\r\n")
                    stream.flush()
        except (OSError, ssl.SSLError):
            return

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def tls_context(dovecot: Dovecot) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(dovecot.cert_file, dovecot.root / "ssl" / "key.pem")
    return context


@pytest.fixture
def preauth_servers(tls_context: ssl.SSLContext) -> Iterator[dict[str, _PreauthServer]]:
    servers = {"starttls": _PreauthServer(), "tls": _PreauthServer(tls_context)}
    yield servers
    for server in servers.values():
        server.close()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_preauth_greeting_is_refused_in_one_line(
    security: str, dovecot: Dovecot, preauth_servers: dict[str, _PreauthServer], supportinbox_home: Path
) -> None:
    port = preauth_servers[security].port
    write_config(
        supportinbox_home, config_text(imap_port=port, imap_security=security, ca_file=dovecot.cert_file)
    )
    run = run_cli(supportinbox_home, "sync")
    assert run.returncode == CONNECTION_FAILED_EXIT, run.describe()
    assert_one_clear_line(run)
    assert "PREAUTH" in run.stderr and f"127.0.0.1:{port}" in run.stderr


def test_starttls_pointed_at_the_tls_port_names_the_mistake_without_waiting_the_timeout(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    write_config(
        supportinbox_home,
        config_text(
            imap_port=dovecot.imaps_port, imap_security="starttls", ca_file=dovecot.cert_file, timeout=300
        ),
    )
    # Waiting the whole 300 s timeout would kill the command (and fail the test) at 90 s.
    run = run_cli(supportinbox_home, "sync", timeout=90)
    assert run.returncode == CONNECTION_FAILED_EXIT, run.describe()
    assert_one_clear_line(run)
    assert "TLS-only port" in run.stderr and 'imap_security = "tls"' in run.stderr
