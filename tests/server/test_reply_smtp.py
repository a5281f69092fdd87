"""SMTP transport against a real server: verified TLS, STARTTLS or nothing, AUTH, timeouts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig
from supportinbox.errors import AuthenticationFailed, ConnectionFailed, SendRefused
from supportinbox.mail import smtp
from tests.harness.dovecot import Dovecot, free_port
from tests.harness.mail import make_message
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

RAW = make_message(sender="Acme Support <support@acme.test>", to="lina@customer.test", subject="Re: hi")


def _account(port: int, security: str, ca_file: Path | None = None, **extra: object) -> AccountConfig:
    return AccountConfig.model_validate(
        {
            "email": "support@acme.test",
            "username": "support",
            "imap_host": "127.0.0.1",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": security,
            "ca_file": ca_file,
            "timeout": 5,
            "password_command": "printf %s s3cret-Pa55",
            **extra,
        }
    )


@pytest.fixture
def cert_dir(dovecot: Dovecot) -> Path:
    """The test Dovecot's self-signed certificate (CN/SAN 127.0.0.1) serves SMTP too."""
    return dovecot.cert_file.parent


def _serve(server: SmtpServer) -> Iterator[SmtpServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tls_server(cert_dir: Path) -> Iterator[SmtpServer]:
    yield from _serve(SmtpServer(cert_dir, security="tls"))


@pytest.fixture
def starttls_server(cert_dir: Path) -> Iterator[SmtpServer]:
    yield from _serve(SmtpServer(cert_dir, security="starttls", users={"support": "s3cret-Pa55"}))


def test_implicit_tls_verified_with_ca_file(tls_server: SmtpServer, cert_dir: Path) -> None:
    account = _account(tls_server.port, "tls", cert_dir / "cert.pem")
    assert smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"]) == {}
    assert [r.rcpt_tos for r in tls_server.received] == [["lina@customer.test"]]


@pytest.fixture
def tls_auth_server(cert_dir: Path) -> Iterator[SmtpServer]:
    yield from _serve(SmtpServer(cert_dir, security="tls", users={"support": "s3cret-Pa55"}))


def test_implicit_tls_logs_in_when_the_server_wants_it(tls_auth_server: SmtpServer, cert_dir: Path) -> None:
    account = _account(tls_auth_server.port, "tls", cert_dir / "cert.pem")
    smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])
    assert len(tls_auth_server.received) == 1


def test_untrusted_certificate_is_refused_with_the_fix(tls_server: SmtpServer) -> None:
    account = _account(tls_server.port, "tls")
    with pytest.raises(ConnectionFailed, match=r"is not trusted.*set ca_file = .* in \[accounts.support\]"):
        smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])
    assert tls_server.received == []


def test_starttls_with_login(starttls_server: SmtpServer, cert_dir: Path) -> None:
    account = _account(starttls_server.port, "starttls", cert_dir / "cert.pem")
    smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])
    assert len(starttls_server.received) == 1


def test_wrong_password_is_one_line_without_the_password(starttls_server: SmtpServer, cert_dir: Path) -> None:
    account = _account(
        starttls_server.port, "starttls", cert_dir / "cert.pem", password_command="printf %s wrong-Secret"
    )
    with pytest.raises(AuthenticationFailed) as info:
        smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])
    assert "refused the login of 'support'" in str(info.value)
    assert "wrong-Secret" not in str(info.value) and "\n" not in str(info.value)
    assert starttls_server.received == []


def test_starttls_not_offered_is_refused_not_downgraded(smtp_server: SmtpServer) -> None:
    account = _account(smtp_server.port, "starttls")
    with pytest.raises(ConnectionFailed, match="does not offer STARTTLS: refusing to send in plaintext"):
        smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])
    assert smtp_server.received == []


def test_plaintext_is_for_loopback_only() -> None:
    with pytest.raises(ValueError, match="only allowed for a loopback host"):
        AccountConfig.model_validate(
            {
                "email": "support@acme.test",
                "username": "support",
                "imap_host": "127.0.0.1",
                "smtp_host": "smtp.acme.test",
                "smtp_security": "none",
            }
        )


def test_refusal_is_reported_with_the_server_reply(smtp_server: SmtpServer) -> None:
    smtp_server.set_refusing(True)
    account = _account(smtp_server.port, "none")
    with pytest.raises(SendRefused, match=r"451 4\.3\.0"):
        smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])


def test_silent_server_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        account = _account(port, "none", timeout=1)
        with pytest.raises(ConnectionFailed, match="no answer within the timeout"):
            smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])
    finally:
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


def test_closed_port_is_connection_failed() -> None:
    with pytest.raises(ConnectionFailed) as info:
        smtp.send("support", _account(free_port(), "none"), RAW, "support@acme.test", ["lina@customer.test"])
    assert str(info.value).endswith(
        "connection refused: check smtp_host and smtp_port, and that the server is running"
    )


def test_a_host_that_does_not_resolve_says_what_to_check() -> None:
    account = _account(465, "tls", smtp_host="smtp.nowhere.invalid")
    with pytest.raises(ConnectionFailed) as info:
        smtp.send("support", account, RAW, "support@acme.test", ["lina@customer.test"])
    assert str(info.value) == (
        "cannot connect to SMTP server smtp.nowhere.invalid:465: host name not found: "
        "check smtp_host and the network"
    )


def test_tls_to_a_plain_port_says_what_to_check(smtp_server: SmtpServer) -> None:
    with pytest.raises(ConnectionFailed) as info:
        smtp.send(
            "support", _account(smtp_server.port, "tls"), RAW, "support@acme.test", ["lina@customer.test"]
        )
    assert 'check smtp_port and smtp_security ("tls" usually on port 465, "starttls" on 587)' in str(
        info.value
    )
