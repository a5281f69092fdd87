"""Connecting: TLS verified with ca_file, STARTTLS never downgraded, one-line errors."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.errors import AuthenticationFailed, ConfigError, ConnectionFailed
from supportinbox.mail.imap import connect, discover_folders
from tests.harness.accounts import imap_account
from tests.harness.dovecot import Dovecot, free_port, make_root

pytestmark = pytest.mark.server


def _roles(server: Dovecot, **kwargs: object) -> dict[str, str]:
    account = imap_account(server, **kwargs)  # type: ignore[arg-type]
    imap = connect("support", account, password="secret")
    try:
        return discover_folders(imap, account).by_role()
    finally:
        imap.logout()


def test_tls_with_ca_file_is_verified_and_works(dovecot: Dovecot) -> None:
    assert _roles(dovecot, security="tls") == {"inbox": "INBOX", "junk": "Junk", "sent": "Sent"}


def test_starttls_with_ca_file_works(dovecot: Dovecot) -> None:
    account = imap_account(dovecot, security="starttls")
    imap = connect("support", account, password="secret")
    try:
        assert imap._imap.sock.version() is not None  # the socket really is TLS now
    finally:
        imap.logout()


def test_tls_without_ca_file_is_refused_naming_ca_file(dovecot: Dovecot) -> None:
    account = imap_account(dovecot, security="tls", ca_file=None)
    with pytest.raises(ConnectionFailed) as caught:
        connect("support", account, password="secret")
    message = str(caught.value)
    assert "not trusted" in message and "ca_file" in message and "[accounts.support]" in message
    assert "\n" not in message


def test_tls_with_the_wrong_ca_file_is_refused(dovecot: Dovecot, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes"),
            *("-keyout", str(tmp_path / "k.pem"), "-out", str(other), "-days", "1", "-subj", "/CN=127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    account = imap_account(dovecot, security="tls", ca_file=other)
    with pytest.raises(ConnectionFailed, match=f"not even by ca_file {other}"):
        connect("support", account, password="secret")


def test_unreadable_ca_file_is_a_config_error(dovecot: Dovecot, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(ConfigError, match="ca_file"):
        connect("support", imap_account(dovecot, security="tls", ca_file=missing), password="secret")


def test_tls_against_a_plaintext_port_fails_cleanly(dovecot: Dovecot) -> None:
    account = imap_account(dovecot, security="tls", imap_port=dovecot.imap_port)
    with pytest.raises(ConnectionFailed, match=rf"127\.0\.0\.1:{dovecot.imap_port}"):
        connect("support", account, password="secret")


@pytest.fixture
def no_tls_dovecot() -> Iterator[Dovecot]:
    root = make_root()
    server = Dovecot(root, ssl=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_starttls_is_refused_when_not_offered(no_tls_dovecot: Dovecot) -> None:
    account = imap_account(no_tls_dovecot, security="starttls")
    # A wrong password proves no login was tried: the error is about STARTTLS, not the login.
    with pytest.raises(ConnectionFailed, match="does not offer STARTTLS") as caught:
        connect("support", account, password="not-the-password")
    assert "not-the-password" not in str(caught.value)


def test_wrong_password_is_one_line_without_the_password(dovecot: Dovecot) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        connect("support", imap_account(dovecot), password="hunter2-wrong")
    message = str(caught.value)
    assert message.startswith(f"IMAP login as 'support' on 127.0.0.1:{dovecot.imap_port} was refused")
    assert "supportinbox login" in message and "password_command" not in message
    assert "hunter2" not in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_wrong_password_from_password_command_points_at_the_command(dovecot: Dovecot) -> None:
    """With password_command set, 'supportinbox login' stores nothing: the line names the command."""
    account = imap_account(dovecot, password_command="printf %s hunter2-wrong")
    with pytest.raises(AuthenticationFailed) as caught:
        connect("support", account, password="hunter2-wrong")
    message = str(caught.value)
    assert message == (
        f"IMAP login as 'support' on 127.0.0.1:{dovecot.imap_port} was refused: "
        "check username and what password_command of [accounts.support] prints"
    )


def test_closed_port_is_a_connection_failure_naming_host_and_port(dovecot: Dovecot) -> None:
    port = free_port()
    with pytest.raises(ConnectionFailed, match=rf"127\.0\.0\.1:{port} refused the connection"):
        connect("support", imap_account(dovecot, imap_port=port), password="secret")


def test_silent_server_times_out(dovecot: Dovecot) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP handshake, never says a word
        port = listener.getsockname()[1]
        account = imap_account(dovecot, imap_port=port, timeout=0.5)
        with pytest.raises(ConnectionFailed, match=r"did not answer within 0\.5 s"):
            connect("support", account, password="secret")


def test_unknown_host_is_a_connection_failure(dovecot: Dovecot) -> None:
    account = imap_account(dovecot, security="tls", imap_host="no-such-host.invalid")
    with pytest.raises(ConnectionFailed, match=r"no-such-host\.invalid"):
        connect("support", account, password="secret")


def test_folder_overrides_and_missing_folders_are_reported(dovecot: Dovecot) -> None:
    account = imap_account(dovecot, junk_folder="Spam Box", sent_folder="sent")
    imap = connect("support", account, password="secret")
    try:
        roles = discover_folders(imap, account)
    finally:
        imap.logout()
    assert (roles.inbox, roles.junk, roles.sent) == ("INBOX", None, "Sent")
    assert roles.problems == ["junk_folder 'Spam Box' does not exist on the server"]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_whole_sync_runs_over_tls(dovecot: Dovecot, security: str) -> None:
    from supportinbox.sync.engine import SyncEngine
    from tests.harness.accounts import cached, on_server, open_cache
    from tests.harness.mail import append, make_message

    append(dovecot, [make_message(subject=f"m{i}", attachment=("a.bin", b"x" * 5000)) for i in range(30)])
    db = open_cache()
    account = imap_account(dovecot, security=security, batch_size=7)
    result = SyncEngine(db, "support", account, password="secret").run()
    assert result.new == 30 and cached(db) == on_server(dovecot)
    body = db.conn.execute("SELECT body_text FROM messages WHERE uid = 3").fetchone()[0]
    assert body.startswith("Hello, I cannot log in")
