"""Replying end to end: real Dovecot, real SMTP, the real command line."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.cli.output import SafeStream
from supportinbox.mail import drafts
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as store
from supportinbox.team.collision import send_checks
from tests.harness.dovecot import Dovecot
from tests.harness.mail import client, make_message
from tests.harness.replies import Setup, TerminalInput, run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server, pytest.mark.both_servers]


def _flags_of(dovecot: Dovecot, folder: str, message_id: str) -> set[bytes]:
    with client(dovecot) as imap:
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["HEADER", "Message-ID", message_id.strip("<>")])
        assert len(uids) == 1
        return set(imap.get_flags(uids)[uids[0]])


def _in_folder(dovecot: Dovecot, folder: str, message_id: str) -> int:
    with client(dovecot) as imap:
        imap.select_folder(folder, readonly=True)
        return len(imap.search(["HEADER", "Message-ID", message_id.strip("<>")]))


def _queued(
    home: Path, dovecot: Dovecot, smtp_server: SmtpServer, message_id: str, template: str
) -> tuple[Setup, int]:
    """An account holding one customer mail (``message_id``), synced, and a reply to it from
    ``template`` queued, not sent: the set-up and the reply's outbox id."""
    setup = setup_account(home, dovecot, smtp_server, [make_message(message_id=message_id)])
    conversation = setup.conversation_of(message_id)
    draft = drafts.prepare_draft(setup.db, setup.config, setup.account, conversation, template)
    outbox_id = drafts.queue_draft(setup.db, draft, drafts.draft_message(draft, setup.config, setup.account))
    return setup, outbox_id


def test_reply_is_sent_threaded_filed_and_flagged(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    first = make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id="<q1@customer.test>",
        body="Hello, I cannot log in since this morning.",
        date=datetime.now(UTC) - timedelta(minutes=30),
    )
    followup = make_message(
        sender='"Haddad, Lina" <lina@customer.test>',
        subject="RE: Re: Cannot log in",
        message_id="<q2@customer.test>",
        in_reply_to="<q1@customer.test>",
        references="<q1@customer.test>",
        body="Still broken, error 500.\n\nOn Monday, Acme wrote:\n> old text",
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [first, followup])
    conversation = setup.conversation_of("<q2@customer.test>")

    draft = run_cli(capsys, "reply", conversation, "--template", "acknowledge-investigating")
    assert draft.code == 0, draft.err
    assert 'To: "Haddad, Lina" <lina@customer.test>' in draft.out
    assert "Subject: Re: Cannot log in" in draft.out
    assert "Hi Lina," in draft.out
    assert "> Still broken, error 500." in draft.out and "old text" not in draft.out
    assert smtp_server.received == []
    # Printing a draft said nothing: a first-time user could not tell whether it went out.
    assert draft.err == "draft only, nothing was sent: add --send to send it\n"
    assert "--send" not in draft.out

    sent = run_cli(capsys, "reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes")
    assert sent.code == 0, sent.err
    # Said as what went to whom, not "#1 sent".
    assert sent.out.strip() == "reply #1 sent to lina@customer.test: Re: Cannot log in"
    assert len(smtp_server.received) == 1
    received = smtp_server.received[0]
    msg = received.message
    assert received.rcpt_tos == ["lina@customer.test"]
    assert received.mail_from == "support@acme.test"
    assert msg["From"] == "Acme Support <support@acme.test>"
    assert msg["To"].addresses[0].display_name == "Haddad, Lina"
    assert msg["To"].addresses[0].addr_spec == "lina@customer.test"
    assert msg["Subject"] == "Re: Cannot log in"
    assert msg["In-Reply-To"] == "<q2@customer.test>"
    assert msg["References"].split() == ["<q1@customer.test>", "<q2@customer.test>"]
    message_id = msg["Message-ID"]
    assert message_id.endswith("@acme.test>")
    assert "Hi Lina," in msg.get_content()

    assert _in_folder(dovecot, "Sent", message_id) == 1
    assert b"\\Answered" in _flags_of(dovecot, "INBOX", "<q2@customer.test>")
    (row,) = store.list_rows(setup.db.conn)
    assert (row.status, row.filed_in_sent, row.answered_set) == ("sent", True, True)
    assert row.smtp_done_at is not None and row.attempts == 1

    # The template's status ("open") is applied and the cache knows the message is answered.
    flags = setup.db.conn.execute(
        "SELECT flags FROM messages WHERE message_id = '<q2@customer.test>'"
    ).fetchone()[0]
    assert "\\Answered" in flags.split()


def test_template_status_is_applied_to_the_conversation(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<s1@customer.test>")]
    )
    conversation = setup.conversation_of("<s1@customer.test>")
    result = run_cli(capsys, "reply", conversation, "-t", "closing-follow-up", "--send", "-y")
    assert result.code == 0, result.err
    status = setup.db.conn.execute(
        "SELECT status FROM conversation_state WHERE conversation_id = ?", (conversation,)
    ).fetchone()
    assert status[0] == "closed"


def test_smtp_down_keeps_reply_in_outbox_and_retry_sends_once(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<d1@customer.test>")]
    )
    conversation = setup.conversation_of("<d1@customer.test>")
    smtp_server.set_refusing(True)
    result = run_cli(capsys, "reply", conversation, "-t", "need-more-information", "--send", "--yes")
    assert result.code == 9
    assert "stays in the outbox" in result.err and "451" in result.err
    assert "Traceback" not in result.err
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "failed" and row.smtp_done_at is None and "451" in (row.last_error or "")

    listing = run_cli(capsys, "outbox")
    assert f"#{row.id}" in listing.out and "failed" in listing.out

    # A plain run of due replies does not retry a failed one behind the user's back.
    smtp_server.set_refusing(False)
    retry = run_cli(capsys, "outbox", "retry")
    assert retry.code == 0, retry.err
    assert len(smtp_server.received) == 1
    again = run_cli(capsys, "outbox", "retry")
    assert again.code == 0 and "nothing to send" in again.out
    assert len(smtp_server.received) == 1
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "sent" and row.attempts == 2
    assert _in_folder(dovecot, "Sent", row.message_id) == 1


def test_closed_smtp_port_is_one_line_and_kept(
    supportinbox_home: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, None, [make_message(message_id="<c1@customer.test>")])
    conversation = setup.conversation_of("<c1@customer.test>")
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert result.code != 0
    assert result.err.count("\n") == 1 and "connection refused" in result.err
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "failed"


def test_a_state_folder_that_cannot_be_made_is_one_line_and_the_reply_kept(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The outbox lock lives in the state folder: a file where the folder must be stops the
    send with one line naming it (not "internal error"); the reply waits in the outbox."""
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<f1@customer.test>")]
    )
    conversation = setup.conversation_of("<f1@customer.test>")
    state = supportinbox_home / "state"
    shutil.rmtree(state)
    state.write_text("a file where the state folder goes")

    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert result.code == 6, result.err
    assert result.err == (
        f"supportinbox: cannot open the outbox lock {state}/support.outbox.lock: a file stands where "
        "a folder must be; nothing was sent, what is queued stays in the outbox ('supportinbox outbox')\n"
    )
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "queued" and smtp_server.received == []

    state.unlink()
    retry = run_cli(capsys, "outbox", "retry")
    assert retry.code == 0, retry.err
    assert len(smtp_server.received) == 1


def test_discard_drops_a_failed_reply(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<x1@customer.test>")]
    )
    conversation = setup.conversation_of("<x1@customer.test>")
    smtp_server.set_refusing(True)
    run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    (row,) = store.list_rows(setup.db.conn)
    assert run_cli(capsys, "outbox", "discard", str(row.id)).code == 0
    smtp_server.set_refusing(False)
    assert "nothing to send" in run_cli(capsys, "outbox", "retry").out
    assert smtp_server.received == []


def test_answered_flag_found_by_message_id_when_uidvalidity_changed(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup, outbox_id = _queued(supportinbox_home, dovecot, smtp_server, "<u1@customer.test>", "login-help")
    # The cached UID is stale: the folder was recreated on the server since the last sync.
    with setup.db.transaction() as conn:
        conn.execute("UPDATE outbox SET reply_to_uid = 999 WHERE id = ?", (outbox_id,))
        conn.execute("UPDATE folders SET uidvalidity = uidvalidity + 1 WHERE name = 'INBOX'")
    report = sender.send_due(setup.db, setup.name, setup.account, checks=send_checks())
    assert [o.status for o in report.outcomes] == ["sent"]
    assert b"\\Answered" in _flags_of(dovecot, "INBOX", "<u1@customer.test>")


def test_status_follows_the_thread_when_its_id_changed(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup, outbox_id = _queued(
        supportinbox_home, dovecot, smtp_server, "<t1@customer.test>", "closing-follow-up"
    )
    conversation = setup.conversation_of("<t1@customer.test>")
    with setup.db.transaction() as conn:
        conn.execute("UPDATE outbox SET conversation_id = 'zzzzzzzz' WHERE id = ?", (outbox_id,))
    report = sender.send_due(setup.db, setup.name, setup.account, checks=send_checks())
    assert [o.status for o in report.outcomes] == ["sent"]
    state = setup.db.conn.execute(
        "SELECT status FROM conversation_state WHERE conversation_id = ?", (conversation,)
    ).fetchone()
    assert state is not None and state[0] == "closed"


def test_unknown_conversation_does_not_hold_up_a_sent_reply(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup, outbox_id = _queued(
        supportinbox_home, dovecot, smtp_server, "<t2@customer.test>", "closing-follow-up"
    )
    with setup.db.transaction() as conn:
        conn.execute("DELETE FROM conversations")
        conn.execute("UPDATE messages SET conversation_id = NULL")
    report = sender.send_due(setup.db, setup.name, setup.account, checks=send_checks())
    assert [o.status for o in report.outcomes] == ["sent"]
    row = store.get(setup.db.conn, outbox_id)
    assert row is not None and row.after_status is None
    assert len(smtp_server.received) == 1


def test_undo_window_then_sent(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(
        supportinbox_home,
        dovecot,
        smtp_server,
        [make_message(message_id="<w1@customer.test>")],
        extra="\n[replies]\nundo_seconds_cli = 0.3\n",
    )
    conversation = setup.conversation_of("<w1@customer.test>")
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert result.code == 0, result.err
    # From cron or a script: the window is waited out without a countdown on stderr.
    assert (result.out, result.err) == ("reply #1 sent to lina@customer.test: Re: Cannot log in\n", "")
    assert len(smtp_server.received) == 1
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "sent" and row.not_before is not None


def test_the_undo_window_counts_down_on_a_terminal(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = setup_account(
        supportinbox_home,
        dovecot,
        smtp_server,
        [make_message(message_id="<w2@customer.test>")],
        extra="\n[replies]\nundo_seconds_cli = 0.3\n",
    )
    monkeypatch.setattr(SafeStream, "isatty", lambda self: True)  # stdout and stderr a terminal
    conversation = setup.conversation_of("<w2@customer.test>")
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert result.code == 0, result.err
    assert result.err.startswith("\rsending in ") and "s, Ctrl-C to cancel" in result.err
    assert result.err.endswith("\n")
    assert len(smtp_server.received) == 1


def test_a_blank_reply_opens_the_editor_on_whom_it_answers_and_sends_only_what_was_written(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    message = make_message(
        sender="Reza Ahmadi <reza@parsian-soft.test>",
        subject="سؤال درباره‌ی فاکتور",
        message_id="<reza@parsian-soft.test>",
        body="سلام،\nچطور نشانی را تغییر دهم؟\nرضا",
    )
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [message], extra="\n[replies]\nundo_seconds_cli = 0\n"
    )
    conversation = setup.conversation_of("<reza@parsian-soft.test>")
    seen = tmp_path / "seen.txt"
    # The "editor" keeps what it was given, then writes the reply above it (and a # line of its own).
    monkeypatch.setenv("EDITOR", f'sh -c \'cp "$0" {seen}; sed -i -e "1i Hello Reza,\\n#mine\\nDone." "$0"\'')
    monkeypatch.setattr(sys, "stdin", TerminalInput(""))  # an editor opens on a terminal only
    sent = run_cli(capsys, "reply", conversation, "--send", "-y")
    assert sent.code == 0, sent.err
    shown = seen.read_text(encoding="utf-8")
    assert "# Your reply to Reza Ahmadi <reza@parsian-soft.test>: Re: سؤال درباره‌ی فاکتور" in shown
    assert "# > چطور نشانی را تغییر دهم؟" in shown
    (received,) = smtp_server.received
    body = received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.replace("\r\n", "\n") == "Hello Reza,\nDone.\n"


@pytest.mark.parametrize(
    ("editor", "said"),
    [
        ("false", "supportinbox: the editor 'false' exited with an error: nothing was queued or sent\n"),
        (
            "no-such-editor-here",
            "supportinbox: could not run the editor 'no-such-editor-here' (No such file or directory): "
            "set VISUAL or EDITOR to one installed here; nothing was queued or sent\n",
        ),
    ],
)
def test_an_editor_that_fails_is_one_line_and_nothing_is_sent(
    editor: str,
    said: str,
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<e1@customer.test>")]
    )
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor)
    monkeypatch.setattr(sys, "stdin", TerminalInput(""))
    for args in (("reply", "<e1"), ("note", "<e1")):
        conversation = setup.conversation_of("<e1@customer.test>")
        result = run_cli(capsys, args[0], conversation, *(["--send"] if args[0] == "reply" else []))
        assert result.code == 1, result.err
        expected = (
            said if args[0] == "reply" else said.replace("nothing was queued or sent", "no note was saved")
        )
        assert result.err == expected
    assert store.list_rows(setup.db.conn) == [] and smtp_server.received == []


def test_a_reply_written_in_the_editor_and_not_sent_is_kept(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<k1@customer.test>")]
    )
    conversation = setup.conversation_of("<k1@customer.test>")
    monkeypatch.setenv("EDITOR", "sed -i -e '1i Hello Lina, a long answer written with care.'")
    monkeypatch.setattr(sys, "stdin", TerminalInput("\n"))  # Enter: the default, no
    result = run_cli(capsys, "reply", conversation, "--send")
    assert result.code == 130, result.err
    said = "supportinbox: not sent: what you wrote is kept in "
    assert said in result.err, result.err
    kept = Path(result.err.rpartition(said)[2].strip())
    assert kept.read_text(encoding="utf-8").startswith("Hello Lina, a long answer written with care.\n")
    assert kept.stat().st_mode & 0o777 == 0o600
    assert store.list_rows(setup.db.conn) == [] and smtp_server.received == []
