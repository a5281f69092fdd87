"""SMTP STARTTLS attacks from the STARTTLS study (Poddebniak et al., USENIX Security 2021).

A scripted server (tests/harness/scripted.py) that sees every byte plays the attacks on a
client configured for ``smtp_security = "starttls"``: response injection in the same packet
as the STARTTLS "220 ready" (what the client reads must come from inside TLS), STARTTLS
answered with an error, a server that says 220 and stays in plain text, an invalid
greeting, and an extra line after the 220 greeting (which shifts every later answer by
one). Whatever happens: nothing but EHLO and STARTTLS is ever sent in clear (never MAIL,
RCPT, AUTH or the password), nothing injected is believed, and the reply is delivered
once over TLS or refused with one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig
from supportinbox.errors import UserError
from supportinbox.mail import smtp
from tests.harness.dovecot import make_certificate
from tests.harness.scripted import RawSmtp, ScriptedServer, server_tls_context, smtp_verb

CANARY = "Canary-Pa55-smtp"
RAW = b"From: support@acme.test\r\nTo: bob@customer.test\r\nSubject: hi\r\n\r\nHello\r\n"


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("smtp-cert")
    make_certificate(directory)
    return directory


def _account(port: int, cert_dir: Path) -> AccountConfig:
    return AccountConfig(
        email="support@acme.test",
        username="support",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="starttls",
        ca_file=cert_dir / "cert.pem",
        timeout=5,
    )


def _send(script: RawSmtp, cert_dir: Path) -> tuple[UserError | None, ScriptedServer]:
    with ScriptedServer(script) as server:
        try:
            smtp.send(
                "support",
                _account(server.port, cert_dir),
                RAW,
                "support@acme.test",
                ["bob@customer.test"],
                password=CANARY,
            )
        except UserError as exc:
            return exc, server
    return None, server


def _nothing_in_clear(server: ScriptedServer) -> None:
    for conn in server.connections:
        clear = conn.cleartext if conn.cleartext is not None else bytes(conn.received)
        # A TLS record (the client's handshake to a server that never started TLS) is no command.
        clear = clear.split(b"\x16\x03", 1)[0]
        verbs = {smtp_verb(line) for line in clear.splitlines(keepends=True) if line.strip()}
        assert verbs <= {b"EHLO", b"HELO", b"STARTTLS", b"QUIT"}, clear
        assert CANARY.encode() not in clear


@pytest.fixture
def tls(cert_dir: Path) -> Iterator[object]:
    yield server_tls_context(cert_dir)


def test_a_plain_starttls_session_delivers_over_tls(cert_dir: Path, tls: object) -> None:
    script = RawSmtp(tls_context=tls)  # type: ignore[arg-type]
    error, server = _send(script, cert_dir)
    assert error is None
    (message,) = script.messages
    assert server.connections[0].tls and message.unstuffed == RAW
    _nothing_in_clear(server)


INJECTIONS = [
    # The answer to the EHLO the client sends over TLS, planted before TLS starts.
    b"250-raw.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
    # Answers to commands the client has not sent yet: they would shift every later answer.
    b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n",
    # A refusal that would make the client give up or retry in clear.
    b"554 5.7.0 TLS failed, try again without\r\n",
]


@pytest.mark.parametrize("injection", INJECTIONS, ids=["ehlo", "pipeline", "refusal"])
def test_bytes_injected_with_the_starttls_answer_are_not_believed(
    injection: bytes, cert_dir: Path, tls: object
) -> None:
    script = RawSmtp(tls_context=tls, starttls_injection=injection)  # type: ignore[arg-type]
    error, server = _send(script, cert_dir)
    _nothing_in_clear(server)
    # The injected lines were discarded with the plain-text buffer: the session inside TLS
    # went in step (EHLO again, then AUTH, MAIL, RCPT, DATA) and the reply went out once.
    assert error is None, error
    (message,) = script.messages
    assert message.unstuffed == RAW
    after_tls = [smtp_verb(line) for line in script.commands][2:]
    assert after_tls[:5] == [b"EHLO", b"AUTH", b"MAIL", b"RCPT", b"DATA"], script.commands


@pytest.mark.parametrize(
    "script_args",
    [
        {"starttls_reply": b"454 4.7.0 TLS not available due to temporary reason\r\n"},
        {"starttls_reply": b"220 2.0.0 go ahead\r\n", "starttls_handshake": False},
        {
            "starttls_reply": b"220 2.0.0 go ahead\r\n250 plain text from here on\r\n",
            "starttls_handshake": False,
        },
    ],
    ids=["answered-454", "220-then-plain", "220-then-plain-lines"],
)
def test_starttls_that_does_not_start_is_one_line_and_nothing_in_clear(
    script_args: dict[str, object], cert_dir: Path, tls: object
) -> None:
    script = RawSmtp(tls_context=tls, **script_args)  # type: ignore[arg-type]
    error, server = _send(script, cert_dir)
    assert error is not None and "\n" not in str(error), error
    assert "TLS" in str(error) and CANARY not in str(error)
    assert script.messages == []
    _nothing_in_clear(server)


@pytest.mark.parametrize(
    "greeting",
    [
        (b"554 5.3.2 not accepting mail\r\n",),
        (b"HTTP/1.1 400 Bad Request\r\n",),
        (b"220 raw.test ESMTP\r\n", b"250 an extra line after the greeting\r\n"),
        (b"220-raw.test ESMTP\r\n220-\x1b[31mred\x1b[0m [b]markup[/b]\r\n220 ok\r\n",),
    ],
    ids=["554", "not-smtp", "extra-line", "hostile-multiline"],
)
def test_a_bad_greeting_never_leads_to_plain_text(
    greeting: tuple[bytes, ...], cert_dir: Path, tls: object
) -> None:
    script = RawSmtp(tls_context=tls, greeting=greeting)  # type: ignore[arg-type]
    error, server = _send(script, cert_dir)
    _nothing_in_clear(server)
    if error is None:
        # A multi-line 220 is legal: the session then went through TLS as usual.
        assert server.connections[0].tls and len(script.messages) == 1
        return
    assert "\n" not in str(error) and "\x1b" not in str(error), error
    assert script.messages == []
