"""A conversation whose customer mail another client deleted: who its customer is, and the reply.

Our reply and a bounce of it keep the conversation alive. The bounce (or an auto-reply, or
our own mail) must never become "the customer": a reply would answer a mailer daemon, or
be refused as one. The customer is whom our reply went to, and a reply says, before it is
sent, that the customer's mail is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, Config, parse_config
from supportinbox.domain.templates import install_default_templates
from supportinbox.mail import drafts
from supportinbox.store import conversations as cv
from supportinbox.store import triage_fresh
from supportinbox.store.db import Database, open_database
from supportinbox.store.messages import delete_uids, get_folder
from tests.store.factories import NOW, OFFLINE_ACCOUNT_CONFIG, add_message, add_raw, at

KWAME = "<kwame-1@savanna-apps.test>"
OURS = "<reply-kwame@acme.test>"

BOUNCE = (
    "From: Mail Delivery System <MAILER-DAEMON@mx.savanna-apps.test>\r\n"
    "To: support@acme.test\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Date: Fri, 20 Nov 2026 09:01:00 +0000\r\n"
    "Message-ID: <bounce-kwame@mx.savanna-apps.test>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
    "\r\n"
    "--B\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    "<kwame@savanna-apps.test>: 550 5.1.1 User unknown\r\n"
    "--B\r\n"
    "Content-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; mx.savanna-apps.test\r\n\r\n"
    "Final-Recipient: rfc822; kwame@savanna-apps.test\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <kwame@savanna-apps.test>: User unknown\r\n"
    "--B\r\n"
    "Content-Type: text/rfc822-headers\r\n\r\n"
    "From: Acme Support <support@acme.test>\r\n"
    "To: Kwame Mensah <kwame@savanna-apps.test>\r\n"
    "Subject: Re: Webhook retries\r\n"
    f"Message-ID: {OURS}\r\n"
    "--B--\r\n"
).encode()


def _config() -> tuple[Config, AccountConfig]:
    config = parse_config(OFFLINE_ACCOUNT_CONFIG)
    return config, config.account()[1]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    install_default_templates()
    database = open_database(tmp_path / "cache.sqlite3")
    try:
        yield database
    finally:
        database.close()


def _refresh(db: Database) -> None:
    config, account = _config()
    cv.refresh_conversations(db, config, account, now=NOW)


def _conversation(db: Database, message_id: str) -> str:
    row = db.conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = ?", (message_id,)
    ).fetchone()
    return str(row[0])


def _kwame_answered_and_bounced(db: Database) -> int:
    """Kwame asks, our reply (Sent) bounces; the bounce is in the inbox. Returns Kwame's UID."""
    add_message(
        db,
        message_id=KWAME,
        sender="kwame@savanna-apps.test",
        name="Kwame Mensah",
        subject="Webhook retries",
        body="How many times do you retry?",
        when=at(5),
        flags="\\Seen \\Answered",
        uid=41,
    )
    add_message(
        db,
        folder="Sent",
        message_id=OURS,
        in_reply_to=KWAME,
        references=(KWAME,),
        sender="support@acme.test",
        name="Acme Support",
        to=("kwame@savanna-apps.test",),
        subject="Re: Webhook retries",
        body="Hi Kwame,\n\nwe retry 8 times.\n\nAlex",
        when=at(3),
        raw_headers="From: Acme Support <support@acme.test>\r\n"
        "To: Kwame Mensah <kwame@savanna-apps.test>\r\n",
    )
    add_raw(db, BOUNCE)
    return 41


def _delete(db: Database, folder: str, uid: int) -> None:
    """What a sync does when another client expunged the message."""
    with db.transaction() as conn:
        box = get_folder(conn, folder)
        assert box is not None
        delete_uids(conn, box.id, [uid])


def test_the_bounce_never_becomes_the_customer_when_the_customers_mail_is_gone(db: Database) -> None:
    uid = _kwame_answered_and_bounced(db)
    _refresh(db)
    ident = _conversation(db, KWAME)
    assert _conversation(db, "<bounce-kwame@mx.savanna-apps.test>") == ident
    before = cv.get_conversation(db, ident, now=NOW).summary
    assert (before.customer_email, before.customer_name) == ("kwame@savanna-apps.test", "Kwame Mensah")

    _delete(db, "INBOX", uid)
    _refresh(db)
    ident = _conversation(db, OURS)
    summary = cv.get_conversation(db, ident, now=NOW).summary
    # Whom our reply went to, by the name it gave them; never "Mail Delivery System".
    assert (summary.customer_email, summary.customer_name) == ("kwame@savanna-apps.test", "Kwame Mensah")
    assert summary.reasons[0].startswith("your reply to kwame@savanna-apps.test bounced")


def test_a_reply_follows_up_our_earlier_one_and_says_the_customers_mail_is_gone(db: Database) -> None:
    config, account = _config()
    uid = _kwame_answered_and_bounced(db)
    _delete(db, "INBOX", uid)
    _refresh(db)
    ident = _conversation(db, OURS)

    draft = drafts.prepare_draft(db, config, account, ident, "need-more-information")
    assert draft.follows_up
    assert draft.to == "Kwame Mensah <kwame@savanna-apps.test>"  # the name our reply gave them
    assert draft.body.startswith("Hi Kwame,")
    msg = drafts.draft_message(draft, config, account)
    assert msg["In-Reply-To"] == OURS
    assert str(msg["References"]).split() == [KWAME, OURS]
    gone = drafts.mail_gone(db, draft)
    assert gone == (
        "the customer's mail is gone from the server (deleted, or moved out of the inbox): "
        "the reply follows up our earlier one"
    )

    # Our last reply to that address bounced, and nothing came from it since: said too.
    assert drafts.warnings(db, draft) == [gone, drafts.bounced(db, draft)]
    assert drafts.bounced(db, draft) == (
        "our last reply to kwame@savanna-apps.test bounced (550 5.1.1 <kwame@savanna-apps.test>: "
        "User unknown): this one may not arrive either"
    )

    # Queued, it names no customer message to flag answered: our own mail is not.
    outbox_id = drafts.queue_draft(db, draft, msg)
    row = db.conn.execute("SELECT reply_to_folder FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    assert row[0] is None


def test_a_reply_written_before_the_customers_mail_was_deleted_warns_after(db: Database) -> None:
    config, account = _config()
    uid = _kwame_answered_and_bounced(db)
    _refresh(db)
    draft = drafts.prepare_draft(db, config, account, _conversation(db, KWAME), "need-more-information")
    assert not draft.follows_up and drafts.mail_gone(db, draft) == ""

    _delete(db, "INBOX", uid)  # another client, while the reply is being written
    _refresh(db)
    gone = drafts.mail_gone(db, draft)
    assert gone.startswith("the customer's mail this reply answers is gone from the server")
    assert gone.endswith("; the reply still goes to them")


def test_a_conversation_we_started_follows_up_our_mail(db: Database) -> None:
    config, account = _config()
    add_message(
        db,
        folder="Sent",
        message_id="<hello@acme.test>",
        sender="support@acme.test",
        to=("mateo@pastaio.test",),
        subject="Dark mode beta",
        when=at(2),
    )
    _refresh(db)
    ident = _conversation(db, "<hello@acme.test>")
    assert cv.get_conversation(db, ident, now=NOW).summary.customer_email == "mateo@pastaio.test"
    draft = drafts.prepare_draft(db, config, account, ident, None)
    assert draft.to == "mateo@pastaio.test"
    assert drafts.mail_gone(db, draft).startswith("the customer has not written in this conversation")


def test_automated_mail_alone_is_still_shown_by_its_sender(db: Database) -> None:
    add_raw(db, BOUNCE)
    _refresh(db)
    summary = cv.get_conversation(
        db, _conversation(db, "<bounce-kwame@mx.savanna-apps.test>"), now=NOW
    ).summary
    assert (summary.status, summary.customer_email) == ("automated", "")
    assert summary.customer_name == "Mail Delivery System"


@pytest.mark.parametrize(
    ("sender", "name", "body", "works"),
    [
        ("kwame@savanna-apps.test", "Kwame Mensah", "Got it after all, thanks. And for 429?", True),
        # A colleague's "did you get the answer?" says nothing of Kwame's address.
        ("ama@savanna-apps.test", "Ama Owusu", "Kwame never got your answer, can you resend?", False),
    ],
)
def test_a_bounce_is_said_until_its_address_writes_again(
    db: Database, sender: str, name: str, body: str, works: bool
) -> None:
    config, account = _config()
    _kwame_answered_and_bounced(db)
    add_message(
        db,
        message_id="<after-bounce@savanna-apps.test>",
        in_reply_to=OURS,
        sender=sender,
        name=name,
        subject="Re: Webhook retries",
        body=body,
        when=at(1),
    )
    _refresh(db)
    draft = drafts.prepare_draft(db, config, account, _conversation(db, KWAME), "need-more-information")
    assert (drafts.bounced(db, draft) == "") is works
    # The queue says the same (one rule): once the address works, the reply got through.
    summary = cv.get_conversation(db, _conversation(db, KWAME), now=NOW).summary
    said = [r for r in summary.reasons if r.startswith("your reply to kwame@savanna-apps.test bounced")]
    assert summary.status == "open" and bool(said) is not works


def test_a_cache_summarised_by_the_older_rule_gets_the_customer_on_the_first_refresh(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partial refresh recomputes only what the change log names: the rules' version
    makes the first refresh after an upgrade recompute every conversation."""
    uid = _kwame_answered_and_bounced(db)
    _delete(db, "INBOX", uid)
    rules = triage_fresh.SCORING_VERSION
    older = rules.split("|customer-from-our-reply")[0]
    assert older != rules
    monkeypatch.setattr(triage_fresh, "SCORING_VERSION", older)
    _refresh(db)
    ident = _conversation(db, OURS)
    with db.transaction() as conn:  # what the older rule had written
        conn.execute(
            "UPDATE conversations SET customer_email = '', customer_name = 'Mail Delivery System' "
            "WHERE id = ?",
            (ident,),
        )
    _refresh(db)  # same rules: nothing to recompute, the row stays
    assert cv.get_conversation(db, ident, now=NOW).summary.customer_name == "Mail Delivery System"

    monkeypatch.setattr(triage_fresh, "SCORING_VERSION", rules)  # the upgrade
    _refresh(db)
    summary = cv.get_conversation(db, ident, now=NOW).summary
    assert (summary.customer_email, summary.customer_name) == ("kwame@savanna-apps.test", "Kwame Mensah")


def test_the_name_our_mail_gave_them_is_decoded_and_a_broken_header_costs_only_the_name(
    db: Database,
) -> None:
    for n, to_header in enumerate(
        ("=?utf-8?q?Zo=C3=AB_M=C3=BCller?= <zoe@x.test>", '"Zoë <<< @@ <zoe@x.test')
    ):
        add_message(
            db,
            folder="Sent",
            message_id=f"<out-{n}@acme.test>",
            sender="support@acme.test",
            to=("zoe@x.test",),
            subject=f"Your trial, part {n}",
            when=at(2 + n),
            raw_headers=f"From: Acme Support <support@acme.test>\r\nTo: {to_header}\r\n",
        )
    _refresh(db)
    named = cv.get_conversation(db, _conversation(db, "<out-0@acme.test>"), now=NOW).summary
    assert (named.customer_email, named.customer_name) == ("zoe@x.test", "Zoë Müller")
    broken = cv.get_conversation(db, _conversation(db, "<out-1@acme.test>"), now=NOW).summary
    assert broken.customer_email == "zoe@x.test" and "<" not in broken.customer_name
