"""Tags between teammates on a real Dovecot: through the state folder, concurrent, offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.app import tags as tag_use
from supportinbox.app.followups import set_followup
from supportinbox.domain.tags import TagChange
from supportinbox.store import conversations as cv
from supportinbox.store.db import open_database
from supportinbox.store.followups import list_active
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team, state_entries

pytestmark = [pytest.mark.server]

MID = "<tags@customer.test>"


def _tag_entries(dovecot: Dovecot) -> list[dict[str, object]]:
    return state_entries(dovecot, ("tags",))


def _tags(mate: object, cid: str) -> tuple[str, ...]:
    return cv.get_conversation(mate.db, cid).summary.tags  # type: ignore[attr-defined]


def test_tags_reach_every_teammate_and_never_become_keywords(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Charged twice")])
    alice, bob, carol = make_team(tmp_path, dovecot, smtp_server)
    cid = alice.conversation_of(MID)
    done = alice.cli(capsys, "tag", cid, "+billing", "+refund")
    assert done.code == 0 and "shared with the team" in done.out, done.err
    (entry,) = _tag_entries(dovecot)
    assert (entry["add"], entry["remove"], entry["author"]) == (["billing", "refund"], [], "alice")
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        flags = {f.decode().lower() for fl in imap.get_flags(imap.search(["ALL"])).values() for f in fl}
    assert not any("billing" in f for f in flags)

    hook = bob.sync()
    assert [e.text for e in hook.events if e.kind == "tags"] == [
        f"{cid} (Lina Haddad: Charged twice): alice tagged it +billing +refund"
    ]
    assert _tags(bob, cid) == ("billing", "refund")
    assert bob.cli(capsys, "tag", cid, "-refund").code == 0
    for mate in (alice, carol):
        mate.sync()
        assert _tags(mate, cid) == ("billing",), mate.agent
    listed = carol.cli(capsys, "list", "--tag", "billing", "--json")
    assert [r["id"] for r in json.loads(listed.out)] == [cid]
    alice.sync()
    assert len(_tag_entries(dovecot)) == 2  # nothing written twice
    assert smtp_server.received == []


def test_two_teammates_tagging_offline_at_once_both_keep_their_tag(tmp_path: Path, dovecot: Dovecot) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Charged twice")])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    for mate, tag in ((alice, "billing"), (bob, "bug")):
        offline = mate.account.model_copy(update={"imap_port": 1})
        result = tag_use.tag(mate.ctx(offline), cid, TagChange((tag,)))
        assert not result.online and result.tags == [tag]  # here at once, offline
    alice.sync()
    bob.sync()
    alice.sync()
    for mate in (alice, bob):
        assert _tags(mate, cid) == ("billing", "bug"), mate.agent
    assert len(_tag_entries(dovecot)) == 2


def test_a_templates_tags_are_added_once_its_reply_is_sent(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    from supportinbox.mail import drafts
    from supportinbox.store.followups import list_active

    append(dovecot, [make_message(message_id=MID, subject="App crashes on save")])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    with alice.active():
        draft = drafts.prepare_draft(alice.db, alice.config, alice.account, cid, "bug-received")
        outbox_id = drafts.queue_draft(
            alice.db, draft, drafts.draft_message(draft, alice.config, alice.account)
        )
    assert _tags(alice, cid) == ()  # queued is not sent
    report = alice.send(outbox_id)
    assert [o.status for o in report.outcomes] == ["sent"]
    assert _tags(alice, cid) == ("bug",)  # front matter tags: [bug]
    assert [r.conversation_id for r in list_active(alice.db)] == [cid]  # and followup: 7d
    alice.sync()
    bob.sync()
    assert _tags(bob, cid) == ("bug",)


def test_removing_a_tag_it_does_not_have_says_nothing_was_removed(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo ('-biling') or '-h' meant as help is told, not silently taken as done."""
    append(dovecot, [make_message(message_id=MID, subject="Charged twice")])
    (alice,) = make_team(tmp_path, dovecot, smtp_server, agents=("alice",))
    cid = alice.conversation_of(MID)
    assert alice.cli(capsys, "tag", cid, "+billing").code == 0
    typo = alice.cli(capsys, "tag", cid, "-biling", "+refund")
    assert typo.code == 0 and f"{cid} tags: billing refund" in typo.out, typo
    assert typo.err == f"note: {cid} had no tag 'biling': nothing removed\n", typo
    helpless = alice.cli(capsys, "tag", cid, "-h")
    assert helpless.err == f"note: {cid} had no tag 'h': nothing removed (help: supportinbox tag --help)\n"
    assert _tags(alice, cid) == ("billing", "refund")
    removed = alice.cli(capsys, "tag", cid, "-refund")
    assert removed.code == 0 and removed.err == "", removed


def test_a_cache_rebuild_keeps_a_tag_and_a_follow_up_not_shared_yet(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """Set offline, then the cache rebuilt: both reach the server with the rebuild's fetch."""
    append(dovecot, [make_message(message_id=MID, subject="Charged twice")])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    offline = alice.account.model_copy(update={"imap_port": 1})
    assert not tag_use.tag(alice.ctx(offline), cid, TagChange(("billing",))).online
    assert not set_followup(
        alice.ctx(offline), cid, datetime.now(UTC) + timedelta(days=2), "call back"
    ).online

    rebuilt = alice.cli(capsys, "cache", "rebuild", "--yes")
    assert rebuilt.code == 0, rebuilt.err
    assert "1 follow-up not yet shared, 1 tag change not yet shared" in rebuilt.out
    alice.db.close()
    with alice.active():
        alice.db = open_database(account=alice.name)
    assert _tags(alice, cid) == ("billing",)
    assert [r.reason for r in list_active(alice.db)] == ["follow-up due: call back"]
    bob.sync()
    assert _tags(bob, cid) == ("billing",)
    assert [r.reason for r in list_active(bob.db)] == ["follow-up due: call back"]
    assert len(_tag_entries(dovecot)) == 1
