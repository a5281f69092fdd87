"""Internal notes: shared through a server folder, shown by 'show', never sent by SMTP."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.store.conversations import get_conversation
from supportinbox.team.notes import build_note
from supportinbox.team.store import ConversationRef
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import TerminalInput
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

MID = "<refund@customer.test>"


def _notes_on_server(dovecot: Dovecot, folder: str = "Support Notes") -> list[bytes]:
    with client(dovecot) as imap:
        if not imap.folder_exists(folder):
            return []
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["ALL"])
        return [d[b"BODY[]"] for _, d in sorted(imap.fetch(uids, ["BODY.PEEK[]"]).items())] if uids else []


def test_notes_reach_every_teammate_and_never_smtp(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Refund for order 1182")])
    alice, bob, carol = make_team(tmp_path, dovecot, smtp_server)
    cid = alice.conversation_of(MID)

    result = team_actions.add_note(alice.ctx(), cid, "Customer is on the legacy plan; refund OK'd")
    assert result.online
    (raw,) = _notes_on_server(dovecot)
    note = message_from_bytes(raw, policy=policy.default)
    assert note["X-Supportinbox-Note"] == cid
    assert note["Subject"] == "Note: Refund for order 1182"
    assert str(note["From"]) == "alice <support@acme.test>"
    assert note["In-Reply-To"] == MID and MID in str(note["References"])

    done = bob.cli(capsys, "note", cid, "Called them back, waiting for the invoice number")
    assert done.code == 0 and "shared with the team" in done.out
    hook = carol.sync()
    assert sum(e.kind == "note" for e in hook.events) == 2
    for mate in (alice, bob, carol):
        mate.sync()
        notes = get_conversation(mate.db, cid).notes
        # Both notes may carry the same second: compare without the order.
        assert sorted((n.author, n.body) for n in notes) == [
            ("alice", "Customer is on the legacy plan; refund OK'd"),
            ("bob", "Called them back, waiting for the invoice number"),
        ], mate.agent
    shown = carol.cli(capsys, "show", cid, "--json")
    assert "legacy plan" in shown.out and "invoice number" in json.dumps(json.loads(shown.out))
    assert len(_notes_on_server(dovecot)) == 2  # synced again: no duplicates
    assert smtp_server.received == []


def test_a_note_is_kept_and_shared_as_inert_text(tmp_path: Path, dovecot: Dovecot) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Refund for order 1182")])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    typed = "Call\x1b[2J back \x1b]52;c;Zm9v\x07now\r\nرقم\u202eexe.pdf\u202c\x00 فاکتور\u200cها\tok\x07"
    assert team_actions.add_note(alice.ctx(), cid, typed).online
    written = "Call back now\nرقمexe.pdf فاکتور\u200cها    ok"
    (raw,) = _notes_on_server(dovecot)
    body = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.replace("\r\n", "\n").strip() == written  # CRLF: the message's own line ends
    bob.sync()
    assert [n.body for n in get_conversation(bob.db, cid).notes] == [written]
    assert [n.body for n in get_conversation(alice.db, cid).notes] == [written]


def test_note_written_offline_is_uploaded_once_at_next_sync(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    append(dovecot, [make_message(message_id=MID)])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    offline = alice.account.model_copy(update={"imap_port": 1})
    result = team_actions.add_note(alice.ctx(offline), cid, "checked the logs: 502s at 09:10")
    assert not result.online
    assert _notes_on_server(dovecot) == []
    alice.sync()
    alice.sync()
    assert len(_notes_on_server(dovecot)) == 1
    bob.sync()
    assert [n.body for n in get_conversation(bob.db, cid).notes] == ["checked the logs: 502s at 09:10"]
    assert smtp_server.received == []


def test_note_deleted_on_the_server_disappears(tmp_path: Path, dovecot: Dovecot) -> None:
    append(dovecot, [make_message(message_id=MID)])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    team_actions.add_note(alice.ctx(), cid, "wrong conversation, sorry")
    bob.sync()
    assert len(get_conversation(bob.db, cid).notes) == 1
    with client(dovecot) as imap:
        imap.select_folder("Support Notes")
        imap.delete_messages(imap.search(["ALL"]))
        imap.expunge()
    bob.sync()
    assert get_conversation(bob.db, cid).notes == []


@pytest.mark.parametrize("recreated", [False, True], ids=["deleted", "deleted-and-created-again"])
def test_a_notes_folder_deleted_by_another_client_is_written_back(
    tmp_path: Path, dovecot: Dovecot, recreated: bool
) -> None:
    """Someone tidies the folder list in their mail client: the notes teammates hold go back
    to the server, once each, and a teammate who joins later sees them."""
    append(dovecot, [make_message(message_id=MID)])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    team_actions.add_note(alice.ctx(), cid, "refund approved by Maya")
    team_actions.add_note(bob.ctx(), cid, "customer called again")
    alice.sync()
    with client(dovecot) as imap:
        imap.delete_folder("Support Notes")
        if recreated:
            imap.create_folder("Support Notes")
    for mate in (bob, alice, bob):
        mate.sync()
    bodies = sorted(
        message_from_bytes(raw, policy=policy.default).get_body().get_content().strip()  # type: ignore[union-attr]
        for raw in _notes_on_server(dovecot)
    )
    assert bodies == ["customer called again", "refund approved by Maya"]
    (carol,) = make_team(tmp_path, dovecot, None, ("carol",))
    for mate in (alice, bob, carol):
        notes = sorted(n.body for n in get_conversation(mate.db, cid).notes)
        assert notes == ["customer called again", "refund approved by Maya"], mate.agent


def test_note_from_the_editor(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    append(dovecot, [make_message(message_id=MID)])
    (alice,) = make_team(tmp_path, dovecot, None, ("alice",))
    cid = alice.conversation_of(MID)
    # The "editor" prepends a line to the file it is given; the template's comments are dropped.
    monkeypatch.setenv("EDITOR", "sed -i -e '1i written in the editor'")
    monkeypatch.setattr(sys, "stdin", TerminalInput(""))  # an editor opens on a terminal only
    done = alice.cli(capsys, "note", cid)
    assert done.code == 0, done.err
    assert [n.body for n in get_conversation(alice.db, cid).notes] == ["written in the editor"]
    monkeypatch.setenv("EDITOR", "true")
    empty = alice.cli(capsys, "note", cid)
    assert empty.code != 0 and "nothing saved" in empty.err and "Traceback" not in empty.err


def test_note_filed_under_another_id_lands_in_the_referenced_conversation(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    append(dovecot, [make_message(message_id=MID)])
    (bob,) = make_team(tmp_path, dovecot, None, ("bob",))
    cid = bob.conversation_of(MID)
    # A teammate whose cache threads the conversation under another id.
    elsewhere = ConversationRef("qqqqqqqq", "Refund", "INBOX", (1,), (MID,))
    raw = build_note(
        bob.account,
        "dana",
        elsewhere,
        "seen from another thread root",
        message_id="<n9@acme.test>",
        created_at=datetime.now(UTC),
    )
    append(dovecot, [raw], folder="Support Notes")
    bob.sync()
    assert [(n.author, n.body) for n in get_conversation(bob.db, cid).notes] == [
        ("dana", "seen from another thread root")
    ]
