"""Merge and split in the cache: the threading override, the team state carried, a refresh
and a cache rebuild keep them; the merge and split commands and their mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.domain.threading import MERGE
from supportinbox.store import conversations as cv
from supportinbox.store import threadlinks
from supportinbox.store.db import Database, open_database
from supportinbox.store.rebuild import rebuild_cache
from supportinbox.team.notes import add_local_note
from tests.conftest import write_config
from tests.harness.replies import run_cli
from tests.store.factories import NOW, OFFLINE_ACCOUNT_CONFIG, add_message, at


def _refresh(db: Database, *, full: bool = False) -> None:
    config = load_config()
    account = config.account()[1]
    if full:
        cv.rebuild_conversations(db, config, account, now=NOW)
    else:
        cv.refresh_if_stale(db, config, account, now=NOW)


def _ids(db: Database) -> dict[str, str]:
    return {str(k): str(v) for k, v in db.conn.execute("SELECT message_id, conversation_id FROM messages")}


def _lina(db: Database) -> None:
    """Lina's login problem, and her invoice question three days later under a new subject."""
    add_message(db, message_id="<login@c>", subject="Cannot log in", when=at(80))
    add_message(
        db,
        folder="Sent",
        message_id="<re-login@acme.test>",
        in_reply_to="<login@c>",
        references=("<login@c>",),
        sender="support@acme.test",
        name="Acme Support",
        to=("lina@customer.test",),
        subject="Re: Cannot log in",
        when=at(79),
    )
    add_message(db, message_id="<invoice@c>", subject="Invoice for November", when=at(5))
    add_message(db, message_id="<other@o>", sender="omar@o.test", name="Omar", subject="Hi", when=at(4))


@pytest.fixture
def lina(supportinbox_home: Path) -> dict[str, str]:
    """An offline account's cache holding :func:`_lina`'s mail, threaded: each message's
    conversation id, by Message-ID."""
    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    with open_database(account="support") as db:
        _lina(db)
        _refresh(db)
        return _ids(db)


def test_merge_carries_the_team_state_and_survives_refresh_and_rebuild(
    lina: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    login, invoice, omar = lina["<login@c>"], lina["<invoice@c>"], lina["<other@o>"]
    assert len({login, invoice, omar}) == 3
    with open_database(account="support") as db, db.transaction() as tx:
        # A claim as the last sync agreed it with the server.
        tx.execute(
            "INSERT INTO conversation_state(conversation_id, assigned_to, updated_at, updated_by) "
            "VALUES (?, 'alice', ?, 'alice')",
            (invoice, at(6).isoformat()),
        )
        add_local_note(tx, load_config().account()[1], invoice, "She asked for a PDF", now=at(5))
        add_local_note(
            tx, load_config().account()[1], invoice, "Handed over to alice by bob: billing", now=at(5)
        )
        # A reply written for it, not sent yet (offline).
        tx.execute(
            "INSERT INTO outbox(message_id, conversation_id, recipients, raw, created_at) "
            "VALUES ('<r1@acme.test>', ?, 'lina@customer.test', x'00', ?)",
            (invoice, at(1).isoformat()),
        )
    for args in (
        ("tag", invoice, "+billing"),
        ("tag", login, "+login"),
        ("followup", invoice, "--in", "3d", "--note", "send the PDF"),
        ("status", invoice, "pending"),
    ):
        done = run_cli(capsys, *args)
        assert done.code == 0, (args, done.err)

    merged = run_cli(capsys, "merge", login, invoice, "--json")
    assert merged.code == 0, merged.err
    assert json.loads(merged.out) == {
        "action": "merge",
        "conversation": login,
        "merged": [invoice],
        "messages": 3,
        "shared": False,
    }
    assert "the next sync shares it" in merged.err

    def check(db: Database) -> None:
        ids = _ids(db)
        assert ids["<invoice@c>"] == ids["<login@c>"] == ids["<re-login@acme.test>"] == login
        assert ids["<other@o>"] == omar
        detail = cv.get_conversation(db, login, NOW)
        assert [m.message_id for m in detail.messages] == ["<login@c>", "<re-login@acme.test>", "<invoice@c>"]
        summary = detail.summary
        assert summary.assigned_to == "alice"
        assert summary.status == "pending"
        assert set(summary.tags) == {"billing", "login"}
        assert summary.followup_at is not None
        assert [n.body for n in detail.notes] == [
            "She asked for a PDF",
            "Handed over to alice by bob: billing",
        ]
        assert "handed over once" in summary.reasons
        assert db.conn.execute("SELECT conversation_id FROM outbox").fetchone()[0] == login
        assert (
            db.conn.execute("SELECT COUNT(*) FROM conversations WHERE id = ?", (invoice,)).fetchone()[0] == 0
        )

    with open_database(account="support") as db:
        check(db)
        _refresh(db, full=True)
        check(db)

    gone = run_cli(capsys, "show", invoice)
    assert gone.code == 8 and f"was merged into {login}" in gone.err and "Traceback" not in gone.err

    # A rebuild keeps the merge (and the state kept only here); the mail comes back with a sync.
    assert rebuild_cache("support").kept["thread_overrides"] == 1
    with open_database(account="support") as db:
        _lina(db)
        _refresh(db)
        ids = _ids(db)
        assert ids["<invoice@c>"] == ids["<login@c>"] == login
        summary = cv.get_conversation(db, login, NOW).summary
        assert summary.assigned_to == "alice" and summary.status == "pending"


def test_a_prefix_of_a_merged_away_id_says_where_it_went(
    lina: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Typed as before the merge, the short id names the survivor, not "no conversation"."""
    login, invoice = lina["<login@c>"], lina["<invoice@c>"]
    assert run_cli(capsys, "merge", login, invoice).code == 0
    for command in (("show", invoice[:5]), ("status", invoice[:4], "closed")):
        gone = run_cli(capsys, *command)
        assert gone.code == 8, gone
        assert (
            gone.err.strip() == f"supportinbox: conversation {invoice} was merged into {login}: use {login}"
        )
    typo = run_cli(capsys, "show", "zzzz")
    assert typo.code == 8 and "no conversation 'zzzz'" in typo.err


def test_merge_mistakes_are_one_line_each(lina: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    login, invoice = lina["<login@c>"], lina["<invoice@c>"]
    for args, code, text in (
        (("merge", login, login), 1, f"cannot merge {login} with itself"),
        (("merge", login), 1, "name two conversations or more"),
        (("merge", login, "zzzzzzzz"), 8, "zzzzzzzz"),
        (("merge", login, invoice, invoice), 1, "named twice"),
        (("split", invoice, "--from", "2"), 1, f"{invoice} has one message only: nothing to split off"),
    ):
        done = run_cli(capsys, *args)
        assert done.code == code, (args, done.err)
        assert text in done.err and "Traceback" not in done.err
        assert len(done.err.strip().splitlines()) == 1, done.err


def test_merging_two_customers_conversations_needs_force(
    lina: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Lina's invoice question and Omar's mail picked together by mistake stay apart."""
    invoice, omar = lina["<invoice@c>"], lina["<other@o>"]
    refused = run_cli(capsys, "merge", invoice, omar)
    assert refused.code == 1 and "Traceback" not in refused.err
    assert refused.err.strip() == (
        f"supportinbox: not merged: these are different customers' conversations ({invoice} is "
        f"Lina Haddad <lina@customer.test>'s, {omar} is Omar <omar@o.test>'s); "
        "add --force to merge them anyway"
    )
    with open_database(account="support") as db:
        assert _ids(db)["<other@o>"] == omar and threadlinks.merged_into(db.conn, omar) is None
    forced = run_cli(capsys, "merge", invoice, omar, "--force")
    assert forced.code == 0, forced.err
    with open_database(account="support") as db:
        _refresh(db)
        assert _ids(db)["<other@o>"] == invoice


def test_split_starts_a_new_conversation_that_later_replies_follow(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    with open_database(account="support") as db:
        add_message(db, message_id="<q1@c>", subject="Cannot log in", when=at(10))
        add_message(
            db,
            folder="Sent",
            message_id="<a1@acme.test>",
            in_reply_to="<q1@c>",
            references=("<q1@c>",),
            sender="support@acme.test",
            to=("lina@customer.test",),
            subject="Re: Cannot log in",
            when=at(9),
        )
        # Her next mail answers ours but asks something else: that is the one to split off.
        add_message(
            db,
            message_id="<q2@c>",
            in_reply_to="<a1@acme.test>",
            references=("<q1@c>", "<a1@acme.test>"),
            subject="Re: Cannot log in",
            body="Works now, thanks. Also: how do I export my data?",
            when=at(8),
        )
        _refresh(db)
        cid = _ids(db)["<q1@c>"]

    first = run_cli(capsys, "split", cid, "--from", "1")
    assert first.code == 1 and "message 1 starts" in first.err
    far = run_cli(capsys, "split", cid, "--from", "9")
    assert far.code == 1 and "messages 1 to 3" in far.err
    unknown = run_cli(capsys, "split", "qqqqqqqq", "--from", "2")
    assert unknown.code == 8
    done = run_cli(capsys, "split", cid, "--from", "3", "--json")
    assert done.code == 0, done.err
    result = json.loads(done.out)
    new = result["conversation"]
    assert result["split_from"] == [cid] and result["messages"] == 1 and new != cid

    with open_database(account="support") as db:
        ids = _ids(db)
        assert ids["<q1@c>"] == ids["<a1@acme.test>"] == cid and ids["<q2@c>"] == new
        # A reply to the split message joins the new conversation; one to our first answer stays.
        add_message(
            db,
            message_id="<q3@c>",
            in_reply_to="<q2@c>",
            references=("<q1@c>", "<a1@acme.test>", "<q2@c>"),
            subject="Re: Cannot log in",
            when=at(2),
        )
        add_message(
            db,
            message_id="<q4@c>",
            in_reply_to="<a1@acme.test>",
            references=("<q1@c>", "<a1@acme.test>"),
            subject="Re: Cannot log in",
            when=at(1),
        )
        _refresh(db)
        partial = _ids(db)
        _refresh(db, full=True)
        ids = _ids(db)
        assert ids == partial
        assert ids["<q3@c>"] == new and ids["<q4@c>"] == cid
        assert cv.get_conversation(db, new, NOW).summary.customer_email == "lina@customer.test"


def test_two_teammates_merging_each_way_at_once_end_alike(lina: dict[str, str]) -> None:
    """alice merges the invoice mail into the login one while bob merges the login one into
    the invoice mail; the state folder's order decides: the first wins, the second changes
    nothing, and no state is left under an id that no longer exists."""
    login, invoice = lina["<login@c>"], lina["<invoice@c>"]
    with open_database(account="support") as db:
        with db.transaction() as tx:
            add_local_note(tx, load_config().account()[1], login, "On the login one", now=at(3))
            add_local_note(tx, load_config().account()[1], invoice, "On the invoice one", now=at(3))
            at_text = NOW.isoformat()
            first = threadlinks.Link(
                MERGE, "<invoice@c>", "<login@c>", invoice, login, "alice", at_text, "a1"
            )
            second = threadlinks.Link(MERGE, "<login@c>", "<invoice@c>", login, invoice, "bob", at_text, "b1")
            threadlinks.record(tx, first, uid=10)
            threadlinks.record(tx, second, uid=11)
        for full in (False, True):
            _refresh(db, full=full)
            ids = _ids(db)
            assert ids["<invoice@c>"] == ids["<login@c>"] == login
            notes = [n.body for n in cv.get_conversation(db, login, NOW).notes]
            assert sorted(notes) == ["On the invoice one", "On the login one"]
            assert (
                db.conn.execute("SELECT COUNT(*) FROM notes WHERE conversation_id != ?", (login,)).fetchone()[
                    0
                ]
                == 0
            )
        assert threadlinks.merged_into(db.conn, invoice) == login
        assert threadlinks.merged_into(db.conn, login) is None


def test_split_merged_back_and_split_again_names_the_right_conversations(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Split at a message, merge the rest into the part split off, split there again: the
    new part is named as it is, and what stays is the conversation it was at first."""
    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    with open_database(account="support") as db:
        add_message(db, message_id="<q1@c>", subject="Cannot log in", when=at(10))
        add_message(db, message_id="<q2@c>", subject="Re: Cannot log in", body="Also: export?", when=at(8))
        _refresh(db)
        original = _ids(db)["<q1@c>"]
    split = json.loads(run_cli(capsys, "split", original, "--from", "2", "--json").out)
    part = split["conversation"]
    merged = run_cli(capsys, "merge", part, original)
    assert merged.code == 0, merged.err

    said = run_cli(capsys, "split", part, "--from", "2")
    assert said.code == 0, said.err
    assert f"split {part} off {original} from message 2" in said.out, said.out
    run_cli(capsys, "merge", original, part)  # and once more, for the --json answer
    again = run_cli(capsys, "split", original, "--from", "2", "--json")
    assert again.code == 0, again.err
    result = json.loads(again.out)
    with open_database(account="support") as db:
        ids = _ids(db)
        assert result["conversation"] == ids["<q2@c>"] != ids["<q1@c>"]
        assert ids["<q1@c>"] == original  # the first conversation again, not the split's id
        assert result["messages"] == 1 and result["split_from"] == [original]
        told = db.conn.execute(
            "SELECT target FROM thread_overrides WHERE kind = 'split' ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
        assert told == ids["<q2@c>"]
