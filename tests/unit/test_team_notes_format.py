"""The note message format: what is written is read back; anything else is not a note."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportinbox.config import AccountConfig
from supportinbox.team.keywords import TeamState
from supportinbox.team.notes import build_note, parse_note
from supportinbox.team.statefolder import build_state_message, parse_state_message
from supportinbox.team.store import ConversationRef

ACCOUNT = AccountConfig(email="support@acme.test", username="support", imap_host="127.0.0.1", agent="alice")
REF = ConversationRef(
    "k3m9x2qa", "Rückerstattung \u202eexe.pdf", "INBOX", (1, 2), ("<a@c.test>", "<b@c.test>")
)


def test_note_round_trip() -> None:
    when = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    body = "مرحبا — refund approved\nline 2"
    raw = build_note(ACCOUNT, "alice", REF, body, message_id="<n1@acme.test>", created_at=when)
    note = parse_note(raw)
    assert note is not None
    assert note.conversation_id == "k3m9x2qa" and note.author == "alice"
    assert note.body == body
    assert note.created_at == "2026-11-26T05:00:00+00:00" and note.message_id == "<n1@acme.test>"
    assert note.refers_to == ("<b@c.test>", "<a@c.test>")
    assert b"\xe2\x80\xae" not in raw.split(b"\n\n", 1)[0]  # bidi override kept out of the subject


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"Subject: hello\r\n\r\nnot a note",
        b"X-Supportinbox-Note: \r\nMessage-ID: <x@y>\r\n\r\n",
        b"X-Supportinbox-Note: abc\r\n\r\nno message id",
        b"X-Supportinbox-Note: =?utf-8?q?\x1b[31m?=\r\nMessage-ID: <x@y>\r\n\r\nbody",
    ],
)
def test_what_is_not_a_note(raw: bytes) -> None:
    note = parse_note(raw)
    assert note is None or "\x1b" not in note.conversation_id


@given(st.binary(max_size=2000))
def test_parse_note_never_raises(raw: bytes) -> None:
    parse_note(raw)
    parse_state_message(7, raw)


def test_state_message_round_trip_and_validation() -> None:
    state = TeamState("snoozed", "2026-12-01T09:00:30+00:00", "bob")
    entry = parse_state_message(9, build_state_message(ACCOUNT, "bob", "k3m9x2qa", state, 4))
    assert entry is not None
    assert entry.state == TeamState("snoozed", "2026-12-01T09:00:00+00:00", "bob")
    assert (entry.uid, entry.base_uid, entry.author) == (9, 4, "bob")
    # A base that is not older than the message itself is ignored.
    assert parse_state_message(3, build_state_message(ACCOUNT, "bob", "k3m9x2qa", state, 4)).base_uid == 0  # type: ignore[union-attr]
    bad = build_state_message(ACCOUNT, "bob", "k3m9x2qa", state, 0).replace(b'"snoozed"', b'"deleted"')
    assert parse_state_message(5, bad) is None


def _state_raw(fields: dict[str, object], header: str = "k3m9x2qa") -> bytes:
    payload = {"conversation": "k3m9x2qa", "status": "open", "snoozed_until": None, "assigned_to": "bob"}
    payload |= {"author": "bob", "at": "2026-11-26T09:00:00+00:00", "base": 0, **fields}
    msg = EmailMessage()
    msg["Message-ID"] = "<s1@acme.test>"
    msg["X-Supportinbox-State"] = header
    msg.set_content(json.dumps(payload) + "\n")
    return msg.as_bytes()


def test_a_well_formed_state_message_is_read() -> None:
    entry = parse_state_message(5, _state_raw({}))
    assert entry is not None and entry.state.assigned_to == "bob" and entry.author == "bob"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("assigned_to", "\x1b]0;pwned\x07bob"),
        ("assigned_to", "bob [@click=app.quit]"),
        ("author", "\x1b[2Jalice"),
        ("author", "alice\u202e"),
        ("snoozed_until", "\x1b]52;c;cm0gLXJm\x07"),
        ("conversation", "k3m9x2qa\x1b[2J"),
    ],
)
def test_state_message_fields_are_held_to_what_keywords_can_carry(field: str, value: str) -> None:
    """A teammate's state message with escapes or markup in a name is not a state message."""
    header = value if field == "conversation" else "k3m9x2qa"
    assert parse_state_message(5, _state_raw({field: value}, header.replace("\x1b", ""))) is None
