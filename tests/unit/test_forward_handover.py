"""Forwarding and hand-overs as plain rules: the forward's text and headers, the hand-over count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportinbox.config import parse_config
from supportinbox.domain import handover
from supportinbox.domain.forward import (
    MAX_ATTACHED_BYTES,
    AttachedFile,
    ForwardedMessage,
    build_forward,
    forward_body,
    forward_subject,
    is_forward,
)
from supportinbox.domain.replies import ReplyError, to_bytes
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG

ACCOUNT = parse_config(OFFLINE_ACCOUNT_CONFIG).account()[1]

LINA = ForwardedMessage(
    from_name="Lina Haddad",
    from_addr="lina@customer.test",
    date="2026-12-06T09:30:00+00:00",
    subject="Cannot log in",
    body="Error 42 \x1b[31msince\x1b[0m the update.",
    to=("support@acme.test",),
    attachments=("screen.png",),
)


def test_the_subject_says_fwd_once() -> None:
    assert forward_subject("Cannot log in") == "Fwd: Cannot log in"
    assert forward_subject("Fwd: FW: Cannot log in") == "Fwd: Cannot log in"
    assert forward_subject("WG: Rechnung") == "Fwd: Rechnung"
    assert forward_subject("") == "Fwd: (no subject)"


def test_the_body_gives_each_message_with_its_headers_and_no_escape_codes() -> None:
    text = forward_body([LINA], "Please check the SSO logs.")
    assert text.splitlines()[:8] == [
        "Please check the SSO logs.",
        "",
        "---------- Forwarded message ----------",
        "From: Lina Haddad <lina@customer.test>",
        "Date: Sun, 06 Dec 2026 09:30:00 +0000",
        "Subject: Cannot log in",
        "To: support@acme.test",
        "",
    ]
    assert "\x1b" not in text and "(attachments, not forwarded: screen.png)" in text


def test_the_forward_is_a_new_message_from_the_mailbox() -> None:
    msg = build_forward(
        [LINA],
        ACCOUNT,
        "Bob <bob@partner.test>",
        subject="Cannot log in",
        now=datetime(2026, 12, 6, tzinfo=UTC),
    )
    raw = to_bytes(msg).decode()
    assert "From: Acme Support <support@acme.test>\r\n" in raw and "To: Bob <bob@partner.test>\r\n" in raw
    assert "In-Reply-To" not in raw and "References" not in raw
    assert "X-Supportinbox-Agent: alice" in raw
    # Marked as a forward (never filed in Sent as a reply); a reply is not one.
    assert is_forward(to_bytes(msg)) and "X-Supportinbox-Forward: yes\r\n" in raw
    assert not is_forward(b"From: a@b.test\r\nSubject: x\r\n\r\nX-Supportinbox-Forward: in the body\r\n")
    for bad in ("not an address", "bob@partner.test\r\nBcc: eve@evil.test", ""):
        with pytest.raises(ReplyError):
            build_forward([LINA], ACCOUNT, bad, subject="x")
    with pytest.raises(ReplyError, match="nothing to forward"):
        build_forward([], ACCOUNT, "bob@partner.test", subject="x")


def test_attachments_go_with_the_forward_as_the_bytes_they_were() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    files = [
        AttachedFile("screen.png", "image/png", png),
        AttachedFile("../../etc/notes.txt\r\nX-Evil: 1", "text/plain", "naïve\r\n".encode("latin-1")),
        AttachedFile("", "not a type", b"x"),
    ]
    msg = build_forward([LINA], ACCOUNT, "bob@partner.test", subject="x", files=files)
    raw = to_bytes(msg)
    assert b"X-Evil: 1\r\n" not in raw
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == ["screen.png", "_.._etc_notes.txt X-Evil: 1", "attachment"]
    assert [p.get_content_type() for p in parts] == [
        "image/png",
        "application/octet-stream",  # text is sent as it was, never re-encoded
        "application/octet-stream",
    ]
    assert [p.get_payload(decode=True) for p in parts] == [f.data for f in files]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "(attached: screen.png)" in text and "not forwarded" not in text


def test_attachments_too_big_for_a_forward_are_refused_before_fetching() -> None:
    from supportinbox.domain.conversation import MessageView
    from supportinbox.mail.forwarding import _attached

    big = {"filename": "video.mp4", "content_type": "video/mp4", "size": MAX_ATTACHED_BYTES + 1, "part": "2"}
    message = MessageView.__new__(MessageView)
    object.__setattr__(message, "attachments", [big])
    fetched: list[str] = []

    def fetch(m: MessageView, a: dict[str, object]) -> bytes:
        fetched.append(str(a["filename"]))
        return b""

    with pytest.raises(ReplyError, match=r"about 15\.0 MB together, more than the 15\.0 MB"):
        _attached([message], fetch)
    assert fetched == []
    # A size the server under-reported is caught after the fetch.
    small = {**big, "size": 10}

    def lying(m: MessageView, a: dict[str, object]) -> bytes:
        return b"\0" * (MAX_ATTACHED_BYTES + 1)

    object.__setattr__(message, "attachments", [small])
    with pytest.raises(ReplyError, match="without the attachments"):
        _attached([message], lying)


def test_hand_overs_are_counted_from_their_notes() -> None:
    assert (
        handover.note_text("bob", "alice", " currency rules ")
        == "Handed over to bob by alice: currency rules"
    )
    assert handover.note_text("bob", "alice").startswith(handover.PREFIX)
    assert [handover.reason(n) for n in (0, 1, 2, 5)] == [
        "",
        "handed over once",
        "handed over 2×",
        "handed over 5×",
    ]


def test_a_take_over_names_whom_it_came_from_and_a_self_claim_changes_no_hands() -> None:
    assert handover.note_text("bob", "bob", held_by="alice") == "Handed over to bob from alice"
    assert handover.note_text("bob", "alice", held_by="carol") == "Handed over to bob by alice"
    assert handover.is_handover("bob", "bob", "alice") and handover.is_handover("bob", "alice", None)
    assert not handover.is_handover("bob", "bob", None) and not handover.is_handover("bob", "alice", "bob")
