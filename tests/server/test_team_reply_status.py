"""A teammate who sees our reply sees the status its template set, not a passing "pending"."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.mail import drafts
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

MID = "<domain@customer.test>"


@pytest.mark.parametrize(
    ("template", "status"), [("acknowledge-investigating", "open"), ("closing-follow-up", "closed")]
)
def test_a_teammate_syncing_right_after_a_reply_sees_its_templates_status(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, template: str, status: str
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Custom domain not verifying")])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    with alice.active():
        draft = drafts.prepare_draft(alice.db, alice.config, alice.account, cid, template)
        outbox_id = drafts.queue_draft(
            alice.db, draft, drafts.draft_message(draft, alice.config, alice.account)
        )
    (outcome,) = alice.send(outbox_id).outcomes
    assert outcome.status == "sent", outcome.message
    assert alice.queue_row(cid) == (None, status)

    # Bob's app syncs the moment the reply is flagged \Answered (IDLE), before alice's app
    # syncs again: the reply in Sent made it "pending" for him, and his queue said it left
    # Open, although alice kept it open (or closed it) with the template.
    bob.sync()
    assert bob.queue_row(cid) == (None, status)
    # Alice's next sync has nothing left to tell the team, and changes nothing here.
    alice.sync()
    assert alice.queue_row(cid) == (None, status)
    bob.sync()
    assert bob.queue_row(cid) == (None, status)
