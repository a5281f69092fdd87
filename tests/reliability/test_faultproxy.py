"""The fault proxy itself: it forwards faithfully and each fault does what it says."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient

from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy, _Stream
from tests.harness.mail import append, make_message
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server, pytest.mark.timeout(60)]


@pytest.fixture
def imap_proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    with FaultProxy(dovecot.imap_port) as proxy:
        yield proxy


def _imap(proxy: FaultProxy, dovecot: Dovecot, timeout: float = 3) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=proxy.port, ssl=False, timeout=timeout)
    client.login("support", dovecot.users["support"])
    return client


def test_split_honours_trigger_across_chunk_boundaries() -> None:
    stream = _Stream(Fault("cut", trigger=b"FETCH (", after=3))
    assert stream.split(b"* 1 FET") == (b"* 1 FET", b"")
    assert stream.split(b"CH (UID 17)") == (b"CH (UID", b" 17)")
    assert stream.tripped
    assert stream.split(b"more") == (b"", b"more")


def test_trigger_matches_commands_in_any_case() -> None:
    # smtplib sends "rcpt TO" on Python 3.11 and "RCPT TO" on 3.13: one trigger must fire on both.
    for spelled in (b"rcpt TO:<a@b>\r\n", b"RCPT TO:<a@b>\r\n", b"Rcpt To:<a@b>\r\n"):
        stream = _Stream(Fault("stall", direction="c2s", trigger=b"rcpt TO", after=0))
        assert stream.split(spelled) == (spelled[:7], spelled[7:])
        assert stream.tripped


def test_passthrough_is_faithful(dovecot: Dovecot, imap_proxy: FaultProxy) -> None:
    append(dovecot, [make_message(subject=f"m{i}", body=("x" * 70 + "\n") * 70) for i in range(5)])
    with _imap(imap_proxy, dovecot) as client:
        client.select_folder("INBOX")
        data = client.fetch(client.search(), ["RFC822"])
    assert len(data) == 5
    assert all(item[b"RFC822"].count(b"x" * 70) == 70 for item in data.values())
    assert imap_proxy.stats.bytes_s2c > 25000


def test_cut_mid_fetch_breaks_the_connection(dovecot: Dovecot, imap_proxy: FaultProxy) -> None:
    append(dovecot, [make_message(body="y" * 20000)])
    imap_proxy.set_fault(Fault("cut", trigger=b"FETCH (", after=1000))
    with pytest.raises((OSError, EOFError, IMAPClient.AbortError)):
        client = _imap(imap_proxy, dovecot)
        client.select_folder("INBOX")
        client.fetch([1], ["RFC822"])
    assert "cut s2c" in imap_proxy.stats.trips


def test_stall_triggers_client_timeout(dovecot: Dovecot, imap_proxy: FaultProxy) -> None:
    imap_proxy.set_fault(Fault("stall", trigger=b"LOGIN", direction="c2s", seconds=20))
    started = time.monotonic()
    with pytest.raises((OSError, socket.timeout, IMAPClient.AbortError)):
        _imap(imap_proxy, dovecot, timeout=1)
    assert time.monotonic() - started < 10


def test_fault_budget_lets_later_connections_through(dovecot: Dovecot, imap_proxy: FaultProxy) -> None:
    imap_proxy.set_fault(Fault("greeting", connections=1))
    with pytest.raises((OSError, EOFError, IMAPClient.AbortError, IMAPClient.Error)):
        _imap(imap_proxy, dovecot).logout()
    with _imap(imap_proxy, dovecot) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_drip_slows_but_delivers(dovecot: Dovecot, imap_proxy: FaultProxy) -> None:
    imap_proxy.set_fault(Fault("drip", chunk=16, delay=0.01))
    with _imap(imap_proxy, dovecot, timeout=5) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_cut_mid_data_on_smtp(smtp_server: SmtpServer) -> None:
    with FaultProxy(smtp_server.port) as proxy:
        # smtplib sends its commands in lower case.
        proxy.set_fault(Fault("cut", direction="c2s", trigger=b"data\r\n", after=200))
        with (
            pytest.raises((smtplib.SMTPException, OSError)),
            smtplib.SMTP("127.0.0.1", proxy.port, timeout=3) as smtp,
        ):
            smtp.sendmail("a@acme.test", ["b@customer.test"], make_message(body="z" * 5000))
        assert proxy.stats.trips == ["cut c2s"]
        assert smtp_server.received == []
