"""IMAP STARTTLS attacks from the STARTTLS study (Poddebniak et al., USENIX Security 2021).

mutt, neomutt and Thunderbird shipped CVEs for these (CVE-2020-14093 PREAUTH,
CVE-2020-14954 and CVE-2020-12398 response injection, CVE-2020-28896, CVE-2021-29969).
The scripted server (tests/harness/fakeimap.py) plays them on a client configured for
``imap_security = "starttls"``: bytes injected behind the STARTTLS OK, a PREAUTH greeting
that would skip both login and STARTTLS, STARTTLS answered BAD or NO, an OK followed by
plain text, an invalid greeting, and ALERT / REFERRAL texts with escape sequences and
markup. The login (and the password) is never sent in clear, nothing injected is
believed, server text is shown inert, a referral is never followed, and a refusal is one
clear line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.cliproc import Run, assert_one_clear_line, config_text, run_cli, write_config
from tests.harness.dovecot import make_certificate
from tests.harness.fakeimap import FakeImap, Handler, Reply, StartTls
from tests.harness.scripted import server_tls_context

pytestmark = pytest.mark.timeout(60)

CANARY = "Canary-Pa55-imap"
CAPABILITY = b"* CAPABILITY IMAP4rev1 STARTTLS LITERAL+\r\n"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("imap-cert")
    make_certificate(directory)
    return directory


def _capability(tag: bytes, args: list[bytes]) -> Reply:
    return CAPABILITY + tag + b" OK done\r\n"


def _starttls(
    reply: bytes = b" OK begin TLS now\r\n", injection: bytes = b"", handshake: bool = True
) -> Handler:
    def handler(tag: bytes, args: list[bytes]) -> Reply:
        raise StartTls(tag + reply + injection, handshake=handshake)

    return handler


def _sync(fake: FakeImap, home: Path, cert_dir: Path) -> Run:
    write_config(
        home,
        config_text(
            imap_port=fake.port,
            imap_security="starttls",
            ca_file=cert_dir / "cert.pem",
            password=CANARY,
            timeout=3,
        ),
    )
    run = run_cli(home, "sync")
    assert "Traceback" not in run.stderr, run.describe()
    assert not UNSAFE.search(run.stdout + run.stderr), run.describe()
    return run


COMMAND = re.compile(rb"^[!-~]+ [A-Za-z]+")


def _nothing_in_clear(fake: FakeImap) -> None:
    # Lines that are no command (a TLS handshake sent to a server that stayed plain) are skipped.
    verbs = {line.split()[1].upper() for line in fake.cleartext if COMMAND.match(line)}
    assert verbs <= {b"CAPABILITY", b"STARTTLS", b"LOGOUT", b"ID", b"NOOP"}, fake.cleartext
    assert not any(CANARY.encode() in line for line in fake.cleartext)


@pytest.fixture
def tls(cert_dir: Path) -> Iterator[object]:
    yield server_tls_context(cert_dir)


def test_a_plain_starttls_session_syncs_over_tls(
    tls: object, cert_dir: Path, supportinbox_home: Path
) -> None:
    with FakeImap(tls_context=tls, CAPABILITY=_capability, STARTTLS=_starttls()) as fake:  # type: ignore[arg-type]
        run = _sync(fake, supportinbox_home, cert_dir)
    assert run.returncode == 0, run.describe()
    assert any(line.split()[1].upper() == b"LOGIN" for line in fake.commands)
    _nothing_in_clear(fake)


INJECTIONS = {
    # Capabilities planted before TLS: believed, they would strip STARTTLS or AUTH on the next run.
    "capability": b"* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n",
    # An answer to the LOGIN that has not been sent yet, and a fake mailbox state.
    "tagged": b"* OK [CAPABILITY IMAP4rev1] logged in\r\n* 99 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n",
    "bye": b"* BYE [ALERT] TLS failed, use port 143 without it\r\n",
}


@pytest.mark.parametrize("injection", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_bytes_injected_behind_the_starttls_ok_are_not_believed(
    injection: bytes, tls: object, cert_dir: Path, supportinbox_home: Path
) -> None:
    starttls = _starttls(injection=injection)
    with FakeImap(tls_context=tls, CAPABILITY=_capability, STARTTLS=starttls) as fake:  # type: ignore[arg-type]
        run = _sync(fake, supportinbox_home, cert_dir)
    # The injected bytes were dropped with the plain-text buffer: the session went on in TLS.
    assert run.returncode == 0, run.describe()
    assert "synced 1 message" in run.stdout, run.stdout
    _nothing_in_clear(fake)


@pytest.mark.parametrize(
    ("handlers", "greeting"),
    [
        pytest.param({"STARTTLS": _starttls(b" BAD no TLS here\r\n")}, None, id="starttls-bad"),
        pytest.param({"STARTTLS": _starttls(b" NO [ALERT] TLS is down\r\n")}, None, id="starttls-no"),
        pytest.param({"STARTTLS": _starttls(handshake=False)}, None, id="ok-then-plain"),
        pytest.param(
            {}, b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome, no login needed\r\n", id="preauth"
        ),
        pytest.param({}, b"* PREAUTH [CAPABILITY IMAP4rev1] welcome\r\n", id="preauth-no-starttls"),
        pytest.param({}, b"HTTP/1.1 400 Bad Request\r\n", id="not-imap"),
        pytest.param({}, b"* BYE \x1b[2J[ALERT] go away [b]now[/b]\r\n", id="bye-greeting"),
    ],
)
def test_starttls_that_cannot_happen_is_one_line_and_no_login_in_clear(
    handlers: dict[str, Handler], greeting: bytes | None, tls: object, cert_dir: Path, supportinbox_home: Path
) -> None:
    options: dict[str, Handler] = {"CAPABILITY": _capability, **handlers}
    greeted = {"greeting": greeting} if greeting else {}
    with FakeImap(tls_context=tls, **greeted, **options) as fake:  # type: ignore[arg-type]
        run = _sync(fake, supportinbox_home, cert_dir)
    assert_one_clear_line(run)
    assert CANARY not in run.stderr
    _nothing_in_clear(fake)
    assert not any(COMMAND.match(line) and line.split()[1].upper() == b"LOGIN" for line in fake.cleartext)


ALERT = b"[ALERT] \x1b]8;;http://evil.example\x07Click here\x1b]8;;\x07 [b]to verify[/b] \x9b31m"


def test_alert_and_referral_texts_are_inert_and_never_followed(
    tls: object, cert_dir: Path, supportinbox_home: Path
) -> None:
    def login(tag: bytes, args: list[bytes]) -> Reply:
        return (
            b"* OK " + ALERT + b"\r\n" + tag + b" NO [REFERRAL imap://eve@evil.example/] " + ALERT + b"\r\n"
        )

    with FakeImap(
        tls_context=tls,  # type: ignore[arg-type]
        greeting=b"* OK " + ALERT + b"\r\n",
        CAPABILITY=_capability,
        STARTTLS=_starttls(),
        LOGIN=login,
    ) as fake:
        run = _sync(fake, supportinbox_home, cert_dir)
    assert_one_clear_line(run)
    assert "evil.example" not in run.stderr and "Click" not in run.stderr
    assert fake.connections == 1  # no second connection, and none to the referral's host
    _nothing_in_clear(fake)
