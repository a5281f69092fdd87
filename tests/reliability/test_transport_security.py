"""TLS is verified end to end, for IMAP (sync) and SMTP (reply), through the real CLI.

The test Dovecot and SMTP server use their own self-signed certificate (SAN: IP:127.0.0.1,
DNS:localhost). Without ``ca_file`` it is refused with a line naming ``ca_file``; with it, it
works; reached under another name (127.0.0.2, forwarded by a proxy) it is refused as a host name
mismatch, naming the host setting (not ``ca_file``) as the fix; ``starttls`` never falls back to
plaintext; ``none`` is refused for a non-loopback host when the config is loaded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import parse_config
from supportinbox.errors import ConfigError
from tests.harness.cliproc import assert_one_clear_line, config_text, run_cli, write_config
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.faultproxy import FaultProxy
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server, pytest.mark.timeout(90)]

CONNECTION_FAILED_EXIT = 4
CONFIG_ERROR_EXIT = 2
OTHER_NAME = "127.0.0.2"  # routes to loopback on Linux, but is not in the certificate


@pytest.fixture
def plain_dovecot() -> Iterator[Dovecot]:
    """A Dovecot with ssl = no: it does not offer STARTTLS."""
    root = make_root()
    server = Dovecot(root, ssl=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _sync(home: Path, **config: object) -> tuple[int, str, str]:
    write_config(home, config_text(**config))  # type: ignore[arg-type]
    run = run_cli(home, "sync")
    if run.returncode:
        assert_one_clear_line(run)
    return run.returncode, run.stdout, run.stderr


def test_imap_tls_without_ca_file_is_refused_naming_ca_file(
    dovecot: Dovecot, supportinbox_home: Path
) -> None:
    code, _, err = _sync(supportinbox_home, imap_port=dovecot.imaps_port, imap_security="tls")
    assert code == CONNECTION_FAILED_EXIT and "ca_file" in err and "not trusted" in err


def test_imap_tls_with_ca_file_works(dovecot: Dovecot, supportinbox_home: Path) -> None:
    code, _out, err = _sync(
        supportinbox_home, imap_port=dovecot.imaps_port, imap_security="tls", ca_file=dovecot.cert_file
    )
    assert code == 0, err


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imap_host_name_mismatch_is_refused(security: str, dovecot: Dovecot, supportinbox_home: Path) -> None:
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    with FaultProxy(port, host=OTHER_NAME) as proxy:
        code, _, err = _sync(
            supportinbox_home,
            imap_host=OTHER_NAME,
            imap_port=proxy.port,
            imap_security=security,
            ca_file=dovecot.cert_file,
        )
    assert code == CONNECTION_FAILED_EXIT
    assert OTHER_NAME in err and "mismatch" in err.lower()
    # ca_file holds the certificate already: the fix is the host name, and the line says so.
    assert "set imap_host" in err and "ca_file" not in err


def test_imap_starttls_refused_when_not_offered(plain_dovecot: Dovecot, supportinbox_home: Path) -> None:
    code, _, err = _sync(
        supportinbox_home,
        imap_port=plain_dovecot.imap_port,
        imap_security="starttls",
        ca_file=plain_dovecot.cert_file,
    )
    assert code == CONNECTION_FAILED_EXIT and "STARTTLS" in err and "refusing" in err


@pytest.mark.parametrize("protocol", ["imap", "smtp"])
def test_plaintext_to_a_remote_host_is_refused_at_config_load(protocol: str, supportinbox_home: Path) -> None:
    hosts = {"imap_host": "127.0.0.1", "smtp_host": "127.0.0.1", f"{protocol}_host": "mail.example.com"}
    text = config_text(imap_port=143, smtp_port=25, **hosts)
    with pytest.raises(ConfigError, match="only allowed for a loopback host"):
        parse_config(text)
    write_config(supportinbox_home, text)
    run = run_cli(supportinbox_home, "sync")
    assert_one_clear_line(run)
    assert run.returncode == CONFIG_ERROR_EXIT and "mail.example.com" in run.stderr


# --- SMTP ----------------------------------------------------------------------------------


def _reply_through(
    home: Path,
    dovecot: Dovecot,
    smtp: SmtpServer,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    **cfg: object,
) -> tuple[int, str]:
    setup = setup_account(home, dovecot, None, [make_message(message_id="<tls@customer.test>")])
    conversation = setup.conversation_of("<tls@customer.test>")
    write_config(
        home,
        config_text(imap_port=dovecot.imap_port, smtp_host=host, smtp_port=port or smtp.port, **cfg),  # type: ignore[arg-type]
    )
    run = run_cli(home, "reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes")
    if run.returncode:
        assert_one_clear_line(run)
        (status,) = setup.db.conn.execute("SELECT status FROM outbox").fetchone()
        assert status == "failed"  # refused before sending: still in the outbox
    return run.returncode, run.stderr


@pytest.fixture
def tls_smtp(dovecot: Dovecot) -> Iterator[SmtpServer]:
    server = SmtpServer(cert_dir=dovecot.cert_file.parent, security="tls").start()
    try:
        yield server
    finally:
        server.stop()


def test_smtp_tls_without_ca_file_is_refused(
    dovecot: Dovecot, tls_smtp: SmtpServer, supportinbox_home: Path
) -> None:
    code, err = _reply_through(supportinbox_home, dovecot, tls_smtp, smtp_security="tls")
    assert code != 0 and "ca_file" in err and tls_smtp.received == []


def test_smtp_tls_with_ca_file_works(dovecot: Dovecot, tls_smtp: SmtpServer, supportinbox_home: Path) -> None:
    code, err = _reply_through(
        supportinbox_home, dovecot, tls_smtp, smtp_security="tls", ca_file=dovecot.cert_file
    )
    assert code == 0, err
    assert len(tls_smtp.received) == 1


def test_smtp_host_name_mismatch_is_refused(
    dovecot: Dovecot, tls_smtp: SmtpServer, supportinbox_home: Path
) -> None:
    with FaultProxy(tls_smtp.port, host=OTHER_NAME) as proxy:
        code, err = _reply_through(
            supportinbox_home,
            dovecot,
            tls_smtp,
            host=OTHER_NAME,
            port=proxy.port,
            smtp_security="tls",
            ca_file=dovecot.cert_file,
        )
    assert code != 0 and tls_smtp.received == []
    assert OTHER_NAME in err and "mismatch" in err.lower()
    assert "set smtp_host" in err and "ca_file" not in err


def test_smtp_starttls_refused_when_not_offered(
    dovecot: Dovecot, smtp_server: SmtpServer, supportinbox_home: Path
) -> None:
    code, err = _reply_through(
        supportinbox_home, dovecot, smtp_server, smtp_security="starttls", ca_file=dovecot.cert_file
    )
    assert code != 0 and "STARTTLS" in err and smtp_server.received == []
