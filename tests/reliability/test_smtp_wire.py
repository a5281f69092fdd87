"""Outgoing mail on the wire: no SMTP smuggling, every line end CRLF, dot-stuffing right.

A server that takes a bare CR or LF for a line end reads ``\\n.\\n`` or ``\\r.\\r\\n`` inside a
message as the end of DATA and whatever follows as new commands (the SMTP smuggling
study, 2023); RFC 5321 requires CRLF line ends and a doubled leading dot. The replies here
carry such sequences in a template, in the customer's quoted message, in a subject and in
a body edited in $EDITOR, and go to a recording server (tests/harness/scripted.py) that
sees the raw bytes: one MAIL, one DATA, the payload ends only at its own final dot under
the most lenient reading, and unstuffed it is the outbox's message byte for byte.
"""

from __future__ import annotations

import base64
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportinbox.config import AccountConfig
from supportinbox.domain.replies import Original, build_reply, to_bytes
from supportinbox.mail import smtp
from tests.harness.cliproc import config_text, query, run_cli, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.replies import setup_account
from tests.harness.scripted import LENIENT_END_OF_DATA, RawSmtp, ScriptedServer

# A bare CR or LF: anything but CRLF.
BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
SMUGGLED = "MAIL FROM:<eve@evil.test>"
# Each a way some server has been shown to end DATA early, followed by a smuggled command.
HOSTILE_ENDINGS = ["\n.\n", "\r.\r\n", "\r\n.\r\n", "\n.\r\n", "\r.\r", "\r\n.\n"]


def _hostile_text(tag: str) -> str:
    parts = [f"{tag} starts"]
    for i, end in enumerate(HOSTILE_ENDINGS):
        parts.append(f"{end}{SMUGGLED}\r\nRCPT TO:<victim{i}@evil.test>\r\nDATA\r\n{tag} {i}")
    parts.append("\r\n..\r\n.leading dot\rbare CR\nbare LF\r\n.\r\n")
    return "".join(parts)


def _check_wire(server: RawSmtp, outbox_raw: bytes) -> bytes:
    """Assert the wire rules for the one message ``server`` received; its unstuffed payload."""
    (message,) = server.messages
    assert server.verbs.count(b"MAIL") == 1 and server.verbs.count(b"DATA") == 1, server.commands
    assert all(b"evil.test" not in line for line in server.commands), server.commands
    for line in server.commands:
        assert line.endswith(b"\r\n") and not BARE.search(line), line
    assert not BARE.search(message.wire), "a bare CR or LF reached the wire"
    # Under the most lenient reading the DATA still ends only at its final dot.
    ends = [m.start() for m in LENIENT_END_OF_DATA.finditer(message.wire + b".\r\n")]
    assert ends == [len(message.wire) - 2], ends
    assert message.unstuffed == outbox_raw
    return message.unstuffed


@pytest.fixture
def recorder() -> Iterator[tuple[RawSmtp, ScriptedServer]]:
    script = RawSmtp()
    with ScriptedServer(script) as server:
        yield script, server


ACCOUNT = AccountConfig(
    email="support@acme.test",
    username="support",
    imap_host="127.0.0.1",
    smtp_host="127.0.0.1",
    imap_security="none",
    smtp_security="none",
)


@pytest.mark.parametrize("ending", HOSTILE_ENDINGS)
def test_bytes_with_bare_line_ends_cannot_end_data(
    ending: str, recorder: tuple[RawSmtp, ScriptedServer]
) -> None:
    """Whatever bytes the outbox holds, only CRLF line ends and stuffed dots go out."""
    script, server = recorder
    raw = (
        b"From: support@acme.test\r\nTo: bob@customer.test\r\nSubject: hi\r\n\r\nfirst"
        + ending.encode()
        + SMUGGLED.encode()
        + b"\r\n"
    )
    account = ACCOUNT.model_copy(update={"smtp_port": server.port})
    assert smtp.send("support", account, raw, "support@acme.test", ["bob@customer.test"]) == {}
    (message,) = script.messages
    assert not BARE.search(message.wire)
    ends = [m.start() for m in LENIENT_END_OF_DATA.finditer(message.wire + b".\r\n")]
    assert ends == [len(message.wire) - 2]
    assert message.unstuffed == re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    assert script.verbs == [b"EHLO", b"MAIL", b"RCPT", b"DATA", b"QUIT"]


TEMPLATE = (
    '---\ndescription: hostile\nstatus: pending\nsubject_prefix: "[T]\r\n.\r\nQUIT"\n---\n'
    "Hi {{ customer.first_name }},\n" + _hostile_text("template") + "\n{{ quote }}\n"
)

EDITOR = """
import sys
with open(sys.argv[1], "ab") as f:
    f.write(%r)
"""


def test_hostile_template_quote_and_edit_reach_the_wire_as_plain_lines(
    supportinbox_home: Path,
    dovecot: Dovecot,
    recorder: tuple[RawSmtp, ScriptedServer],
    tmp_path: Path,
) -> None:
    script, server = recorder
    # The customer's mail: a base64 body keeps raw CRs, an encoded subject hides CRLF . CRLF.
    body = _hostile_text("customer").encode()
    customer = (
        b"From: Bob <bob@customer.test>\r\nTo: support@acme.test\r\n"
        b"Subject: =?utf-8?q?Help=0D=0A.=0D=0AMAIL_FROM=3A=3Ceve=40evil.test=3E?=\r\n"
        b"Message-ID: <w1@customer.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(body).replace(b"\n", b"\r\n")
    )
    setup = setup_account(supportinbox_home, dovecot, None, [customer])
    conversation = setup.conversation_of("<w1@customer.test>")
    templates = supportinbox_home / "config" / "templates"
    (templates / "hostile.txt").write_bytes(TEMPLATE.encode())
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR % _hostile_text("edited").encode())
    write_config(
        supportinbox_home,
        config_text(imap_port=dovecot.imap_port, smtp_port=server.port, timeout=10),
    )

    run = run_cli(
        supportinbox_home,
        "reply",
        conversation,
        "-t",
        "hostile",
        "--edit",
        "--send",
        "--yes",
        env={"EDITOR": f"{sys.executable} {editor}", "VISUAL": ""},
        terminal=True,  # an editor opens on a terminal only
    )
    assert run.returncode == 0, run.describe()

    (row,) = query(supportinbox_home, "SELECT raw, status FROM outbox")
    assert row["status"] == "sent"
    sent = _check_wire(script, bytes(row["raw"]))
    text = sent.decode("ascii")
    # The smuggled commands are in the message, as text of the body, every time.
    assert text.count("MAIL FROM=3A=3Ceve") + text.count(SMUGGLED) >= 3 * len(HOSTILE_ENDINGS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.text(alphabet=st.sampled_from(list("\r\n.ab \t:é")), max_size=80),
    subject=st.text(alphabet=st.sampled_from(list("\r\n.ab :")), max_size=20),
    name=st.text(alphabet=st.sampled_from(list('\r\n.ab <>@"')), max_size=20),
    flowed=st.booleans(),
)
def test_any_reply_is_crlf_and_ends_data_once(body: str, subject: str, name: str, flowed: bool) -> None:
    original = Original(from_name=name, from_addr="bob@customer.test", subject=subject, body_text=body)
    raw = to_bytes(build_reply(original, ACCOUNT, body or "x", format_flowed=flowed))
    wire = smtp._dot_stuffed(raw)
    assert not BARE.search(wire)
    assert [m.end() for m in LENIENT_END_OF_DATA.finditer(wire)] == [len(wire)]


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=60).map(lambda b: b.replace(b"\x00", b"")) | st.text("\r\n.x").map(str.encode))
def test_dot_stuffing_round_trips_any_bytes(raw: bytes) -> None:
    wire = smtp._dot_stuffed(raw)
    assert not BARE.search(wire)
    assert [m.end() for m in LENIENT_END_OF_DATA.finditer(wire)] == [len(wire)]
    unstuffed = re.sub(rb"(?m)^\.", b"", wire[: -len(b".\r\n")])
    normalised = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    assert unstuffed in (normalised, normalised + b"\r\n")


def test_recorder_sees_what_a_lenient_server_would() -> None:
    """The check itself can fail: unnormalised bytes show their early end of DATA."""
    wire = b"first\n.\nMAIL FROM:<eve@evil.test>\r\n"
    assert BARE.search(wire)
    assert [m.start() for m in LENIENT_END_OF_DATA.finditer(wire + b".\r\n")] != [len(wire) - 2]
