"""Spam-folder check against a real Dovecot: find the customer in Junk, rescue, report spam."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import supportinbox.cli.triage_cmds  # noqa: F401  (registers the commands)
from supportinbox.cli.app import cli
from supportinbox.config import load_config
from supportinbox.store import conversations as cv
from supportinbox.store.db import open_database
from supportinbox.store.junk import list_suspects
from supportinbox.sync.engine import SyncEngine
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.mail import append, client, make_message

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

NOW = datetime.now(UTC)


def _seed(server: Dovecot) -> None:
    """A conversation (question, our answer) whose follow-up landed in Junk, plus spam."""
    append(
        server,
        [
            make_message(
                subject="Refund for order 1042",
                body="Hello, I was charged twice for order 1042.",
                message_id="<q1@customer.test>",
                date=NOW - timedelta(hours=30),
            )
        ],
        "INBOX",
        flags=(b"\\Seen",),
    )
    append(
        server,
        [
            make_message(
                sender="Acme Support <support@acme.test>",
                to="Lina Haddad <lina@customer.test>",
                subject="Re: Refund for order 1042",
                body="Sorry about that! The refund is on its way.",
                message_id="<a1@acme.test>",
                in_reply_to="<q1@customer.test>",
                references="<q1@customer.test>",
                date=NOW - timedelta(hours=29),
            )
        ],
        "Sent",
        flags=(b"\\Seen",),
    )
    append(
        server,
        [
            make_message(
                subject="Re: Refund for order 1042",
                body="Thanks, but I still do not see the refund on my card.",
                message_id="<q2@customer.test>",
                in_reply_to="<a1@acme.test>",
                references="<q1@customer.test> <a1@acme.test>",
                date=NOW - timedelta(hours=2),
                headers={
                    "Authentication-Results": "mx.acme.test; dkim=pass header.d=customer.test; spf=pass",
                    "X-Spam-Score": "5.3",
                },
            ),
            make_message(
                sender="Mega Deals <deals@bulk.example>",
                subject="You have WON a prize!!!",
                body="Claim now: " + " ".join(f"https://bulk.example/p/{i}" for i in range(15)),
                message_id="<spam1@bulk.example>",
                date=NOW - timedelta(hours=1),
                headers={
                    "List-Unsubscribe": "<mailto:unsub@bulk.example>",
                    "Precedence": "bulk",
                    "X-Spam-Status": "Yes, score=14.9 required=5.0",
                    "Authentication-Results": "mx.acme.test; dkim=fail; spf=fail; dmarc=fail",
                },
            ),
        ],
        "Junk",
        flags=(b"$Junk",),
    )


@pytest.fixture
def mailbox(dovecot: Dovecot, supportinbox_home: Path) -> Dovecot:
    write_config(supportinbox_home, account_toml(dovecot))
    _seed(dovecot)
    config = load_config()
    name, account = config.account()
    with open_database(account=name) as db:
        SyncEngine(db, name, account).run()
        cv.refresh_conversations(db, config, account)
    return dovecot


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _folder(server: Dovecot, folder: str) -> dict[str, set[str]]:
    """Message-ID -> flags of every message in a server folder."""
    with client(server) as imap:
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["ALL"])
        data = imap.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    out: dict[str, set[str]] = {}
    for item in data.values():
        header = next(v for k, v in item.items() if k.startswith(b"BODY"))
        mid = header.decode().partition(":")[2].strip()
        out[mid] = {f.decode() if isinstance(f, bytes) else str(f) for f in item[b"FLAGS"]}
    return out


def test_suspects_are_the_real_customer_not_the_spam(mailbox: Dovecot) -> None:
    with open_database(account="support") as db:
        suspects = list_suspects(db)
        everything = list_suspects(db, include_all=True)
    assert [s.message_id for s in suspects] == ["<q2@customer.test>"]
    assert suspects[0].reasons[0] == "+50 replies to our message 'Re: Refund for order 1042'"
    assert "+30 sender wrote to the inbox before" in suspects[0].reasons
    spam = next(s for s in everything if s.message_id == "<spam1@bulk.example>")
    assert not spam.suspect
    assert "-30 high spam score 14.9" in spam.reasons
    listed = json.loads(run("junk", "list", "--json"))
    assert [(s["id"], s["from"]) for s in listed] == [(suspects[0].uid, "lina@customer.test")]
    assert "Rescue one with: supportinbox junk rescue ID" in run("junk")


def test_rescue_moves_on_the_server_and_joins_the_conversation(mailbox: Dovecot) -> None:
    before = json.loads(run("list", "--status", "all", "--json"))
    assert len(before) == 1 and before[0]["status"] == "pending"  # we answered last, as far as we know
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]

    output = run("junk", "rescue", str(uid))
    assert output.startswith(f"moved message {uid} to the inbox as not junk: conversation {before[0]['id']}")

    inbox, junk = _folder(mailbox, "INBOX"), _folder(mailbox, "Junk")
    assert "<q2@customer.test>" not in junk
    assert "$NotJunk" in inbox["<q2@customer.test>"]
    assert "$Junk" not in inbox["<q2@customer.test>"]
    assert "<spam1@bulk.example>" in junk  # the spam stays where it is

    after = json.loads(run("list", "--json"))
    assert [(c["id"], c["status"], c["message_count"]) for c in after] == [(before[0]["id"], "open", 3)]
    assert json.loads(run("junk", "list", "--json")) == []


def test_rescue_of_an_unknown_message_is_one_line(mailbox: Dovecot) -> None:
    result = CliRunner().invoke(cli, ["junk", "rescue", "999"])
    assert result.exit_code != 0
    assert "no message 999 in Junk: see 'supportinbox junk list --all'" in str(result.exception)


def test_spam_moves_a_conversation_to_junk(mailbox: Dovecot) -> None:
    append(
        mailbox,
        [
            make_message(
                sender="Crypto Offers <offers@scam.example>",
                subject="Investment opportunity",
                body="Double your money.",
                message_id="<scam1@scam.example>",
            )
        ],
        "INBOX",
    )
    config = load_config()
    name, account = config.account()
    with open_database(account=name) as db:
        SyncEngine(db, name, account).run()
        cv.refresh_conversations(db, config, account)
    rows = json.loads(run("list", "--json"))
    scam = next(c for c in rows if c["customer"] == "offers@scam.example")

    output = run("junk", "move", scam["id"])
    assert output.startswith(f"moved 1 message of {scam['id']} to Junk")
    inbox, junk = _folder(mailbox, "INBOX"), _folder(mailbox, "Junk")
    assert "<scam1@scam.example>" not in inbox
    assert "$Junk" in junk["<scam1@scam.example>"]
    assert scam["id"] not in [c["id"] for c in json.loads(run("list", "--status", "all", "--json"))]
    # Our own conversation with Lina is untouched.
    assert "<q1@customer.test>" in inbox


def test_the_earlier_names_still_answer_for_scripts(mailbox: Dovecot) -> None:
    """`spam-check` is the check under its own name (listed); `spam` still runs for old scripts."""
    top = CliRunner().invoke(cli, ["--help"], terminal_width=200).output
    listed = {
        line.split()[0]
        for line in top.split("Commands:", 1)[1].split("Exit codes:", 1)[0].splitlines()
        if line.strip()
    }
    assert {"junk", "spam-check"} <= listed and "spam" not in listed
    assert json.loads(run("spam-check", "--json")) == json.loads(run("junk", "list", "--json"))
    assert run("spam-check", "--all") == run("junk", "list", "--all")
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]
    assert run("spam-check", "--rescue", str(uid)).startswith(f"moved message {uid} to the inbox")
    assert "<q2@customer.test>" in _folder(mailbox, "INBOX")
    (conversation,) = json.loads(run("list", "--json"))
    assert run("spam", conversation["id"]).startswith(f"moved 2 messages of {conversation['id']} to Junk")
    assert "<q2@customer.test>" in _folder(mailbox, "Junk")


def test_a_group_alone_takes_the_options_of_its_list(mailbox: Dovecot) -> None:
    """`junk [list] [--all] [--json]` as the README writes it: `junk --json` is `junk list --json`
    (and so for the other groups that are their list when alone)."""
    listed = json.loads(run("junk", "list", "--json"))
    assert listed and json.loads(run("junk", "--json")) == listed
    assert run("junk", "--all") == run("junk", "list", "--all")
    assert json.loads(run("junk", "--all", "--json")) == json.loads(run("junk", "list", "--all", "--json"))
    assert json.loads(run("outbox", "--all", "--json")) == json.loads(
        run("outbox", "list", "--all", "--json")
    )
    assert json.loads(run("incident", "--all", "--json")) == json.loads(
        run("incident", "list", "--all", "--json")
    )
    assert "Commands:" in run("junk", "--help")  # its own help, not the help of its list


def test_conversation_ids_survive_a_cache_rebuild(mailbox: Dovecot, supportinbox_home: Path) -> None:
    before = sorted(
        (c["id"], c["message_count"]) for c in json.loads(run("list", "--status", "all", "--json"))
    )
    config = load_config()
    name, account = config.account()
    with open_database(supportinbox_home / "rebuilt.sqlite3") as db:
        SyncEngine(db, name, account).run()
        cv.refresh_conversations(db, config, account)
        after = sorted((c.id, c.message_count) for c in cv.list_queue(db, status="all"))
    assert after == before


def _offline(home: Path, server: Dovecot) -> None:
    """The account's IMAP port now refuses connections, as on a train."""
    write_config(home, account_toml(server, offline=True))


def test_rescue_offline_is_queued_and_happens_at_the_next_sync(
    mailbox: Dovecot, supportinbox_home: Path
) -> None:
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]
    _offline(supportinbox_home, mailbox)
    output = run("junk", "rescue", str(uid))
    assert output.startswith(f"message {uid}: offline (")
    assert "the rescue is queued and happens at the next sync" in output
    assert "already queued" in run("junk", "rescue", str(uid))  # queued once only
    listed = json.loads(run("junk", "list", "--json"))
    assert [(s["id"], s["rescue_queued"]) for s in listed] == [(uid, True)]
    assert "rescue queued for the next sync" in run("junk")
    assert "<q2@customer.test>" in _folder(mailbox, "Junk")  # nothing happened on the server yet

    write_config(supportinbox_home, account_toml(mailbox))  # back online
    run("sync")
    inbox, junk = _folder(mailbox, "INBOX"), _folder(mailbox, "Junk")
    assert "<q2@customer.test>" not in junk
    assert "$NotJunk" in inbox["<q2@customer.test>"] and "$Junk" not in inbox["<q2@customer.test>"]
    assert "<spam1@bulk.example>" in junk
    assert [(c["status"], c["message_count"]) for c in json.loads(run("list", "--json"))] == [("open", 3)]
    assert json.loads(run("junk", "list", "--json")) == []
    with open_database(account="support") as db:
        assert db.conn.execute("SELECT count(*) FROM pending_ops").fetchone()[0] == 0


def test_a_queued_rescue_never_moves_another_message_under_a_reused_uid(
    mailbox: Dovecot, supportinbox_home: Path
) -> None:
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]
    _offline(supportinbox_home, mailbox)
    run("junk", "rescue", str(uid))
    # Meanwhile the spam folder is recreated: the same UID now names the spam message.
    with client(mailbox) as imap:
        imap.delete_folder("Junk")
        imap.create_folder("Junk")
    append(
        mailbox,
        [
            make_message(
                sender="Mega Deals <deals@bulk.example>", subject="WIN", message_id="<spam2@bulk.example>"
            )
        ],
        "Junk",
    )
    with client(mailbox) as imap:
        imap.select_folder("Junk", readonly=True)
        assert imap.search(["ALL"]) == [uid]

    write_config(supportinbox_home, account_toml(mailbox))
    run("sync")
    junk = _folder(mailbox, "Junk")
    assert junk == {"<spam2@bulk.example>": set()}  # not moved, not flagged $NotJunk
    with open_database(account="support") as db:
        (error,) = db.conn.execute("SELECT last_error FROM pending_ops").fetchone()
    assert "changed on the server since the move was queued" in error


# A Dovecot that does not announce MOVE: moves fall back to COPY, \Deleted and UID EXPUNGE.
_NO_MOVE_CAPABILITIES = (
    "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UNSELECT CHILDREN NAMESPACE "
    "UIDPLUS LIST-EXTENDED SPECIAL-USE CONDSTORE QRESYNC"
)
NO_MOVE = f"""
protocol imap {{
  imap_capability = {_NO_MOVE_CAPABILITIES}
}}
"""


@pytest.fixture
def no_move_mailbox(supportinbox_home: Path) -> Iterator[Dovecot]:
    root = make_root()
    server = Dovecot(root, extra_config=NO_MOVE)
    try:
        server.start()
        write_config(supportinbox_home, account_toml(server))
        _seed(server)
        run("sync")
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("queued", [False, True], ids=["online", "queued offline"])
def test_rescue_without_move_copies_and_expunges_only_that_message(
    no_move_mailbox: Dovecot, supportinbox_home: Path, queued: bool
) -> None:
    with client(no_move_mailbox) as imap:
        assert b"MOVE" not in imap.capabilities()
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]
    if queued:
        _offline(supportinbox_home, no_move_mailbox)
        assert "queued" in run("junk", "rescue", str(uid))
        write_config(supportinbox_home, account_toml(no_move_mailbox))
        run("sync")
    else:
        assert run("junk", "rescue", str(uid)).startswith(f"moved message {uid}")
    inbox, junk = _folder(no_move_mailbox, "INBOX"), _folder(no_move_mailbox, "Junk")
    assert set(junk) == {"<spam1@bulk.example>"}  # the original is expunged, the spam untouched
    assert "\\Deleted" not in junk["<spam1@bulk.example>"]
    assert "$NotJunk" in inbox["<q2@customer.test>"] and "$Junk" not in inbox["<q2@customer.test>"]


def test_a_rescued_follow_up_reopens_the_conversation_closed_without_it(mailbox: Dovecot) -> None:
    """Her follow-up waited in Junk while we closed the conversation: by its date (before the
    close) it would never reopen it, and nobody would read it."""
    (before,) = json.loads(run("list", "--status", "all", "--json"))
    run("status", before["id"], "closed")
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]

    output = run("junk", "rescue", str(uid))
    assert output.startswith(
        f"moved message {uid} to the inbox as not junk: conversation {before['id']} "
        "(it was closed: open again, this message had not been seen)"
    )
    (after,) = json.loads(run("list", "--json"))
    assert (after["id"], after["status"], after["message_count"]) == (before["id"], "open", 3)


def test_a_rescue_queued_offline_reopens_the_conversation_when_the_sync_does_it(
    mailbox: Dovecot, supportinbox_home: Path
) -> None:
    (before,) = json.loads(run("list", "--status", "all", "--json"))
    run("status", before["id"], "closed")
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]
    _offline(supportinbox_home, mailbox)
    assert "the rescue is queued" in run("junk", "rescue", str(uid))
    write_config(supportinbox_home, account_toml(mailbox))  # back online
    run("sync")
    (after,) = json.loads(run("list", "--json"))
    assert (after["id"], after["status"], after["message_count"]) == (before["id"], "open", 3)
    with open_database(account="support") as db:
        assert db.get_meta("rescued_to_reopen") == "[]"  # done with
    run("status", before["id"], "closed")
    run("sync")  # not reopened a second time
    assert json.loads(run("list", "--json")) == []


def test_a_rescued_message_we_answered_since_leaves_the_status_alone(mailbox: Dovecot) -> None:
    append(
        mailbox,
        [
            make_message(
                sender="Acme Support <support@acme.test>",
                to="Lina Haddad <lina@customer.test>",
                subject="Re: Refund for order 1042",
                body="The refund shows on your card within 5 days.",
                message_id="<a2@acme.test>",
                in_reply_to="<q2@customer.test>",
                references="<q1@customer.test> <a1@acme.test> <q2@customer.test>",
                date=NOW - timedelta(hours=1),
            )
        ],
        "Sent",
        flags=(b"\\Seen",),
    )
    run("sync")
    (before,) = json.loads(run("list", "--status", "all", "--json"))
    run("status", before["id"], "closed")
    uid = json.loads(run("junk", "list", "--json"))[0]["id"]
    output = run("junk", "rescue", str(uid))
    assert "open again" not in output
    (after,) = json.loads(run("list", "--status", "all", "--json"))
    assert after["status"] == "closed"
