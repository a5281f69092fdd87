"""What the app says is for the person at the keyboard: no command-line flags or commands
for things the app does itself, local times instead of UTC ISO text, no phrase twice, and
a reply queued before the app stopped is reported when the restarted app sends it."""

from __future__ import annotations

import ast
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import supportinbox.tui
from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.domain.when import when_words
from supportinbox.mail import drafts
from supportinbox.store import outbox as outbox_store
from supportinbox.store.conversations import set_status
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.modals import ErrorModal
from tests.harness.accounts import open_cache
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team
from tests.tui.support import SIZE, pilot_test, settle, wait_until

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
CLI_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
MID = "<messages@customer.test>"


def _readable(text: str) -> None:
    assert not CLI_FLAG.search(text), text
    assert "supportinbox team" not in text and "send-anyway" not in text, text
    assert not ISO_TIME.search(text), text
    lowered = text.lower()
    assert lowered.count("not sent") <= 1 and lowered.count("stays in the outbox") <= 1, text
    assert not re.search(r"[\w)] [A-Z][a-z]+ reply", text), text  # each sentence ends before the next


def test_no_string_in_the_app_names_a_command_line_flag() -> None:
    root = Path(supportinbox.tui.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and CLI_FLAG.search(text) and "datatable--" not in text:
                found.append(f"{path.name}: {text!r}")
    assert found == []


def _modal_text(app: SupportInboxApp) -> str:
    assert isinstance(app.screen, ErrorModal)
    return " ".join(str(w.render()) for w in app.screen.query("Static, Label"))


@pytest.mark.server
@pilot_test
async def test_a_reply_held_by_a_teammates_close_and_a_refused_claim_read_well(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(sender="Lina Haddad <lina@customer.test>", subject="Cannot log in", message_id=MID)
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [message], extra="\n[ui]\nidle = false\n")
    cid = setup.conversation_of(MID)
    setup.db.close()
    (bob,) = make_team(tmp_path, dovecot, smtp_server, ("bob",))
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing and app.sync_status.last_sync is not None)
        set_status(bob.db, cid, "closed", agent="bob")  # after alice's last sync
        team_actions.push_state(bob.ctx(), cid)
        await pilot.press("r", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        text = _modal_text(app)
        assert "Held back: bob closed conversation" in text and "stays in the outbox" in text, text
        assert re.search(r"closed conversation \S+ (just now|today \d\d:\d\d)\.", text), text  # when
        _readable(text)
        assert smtp_server.received == []
        await pilot.press("enter")

        team_actions.claim(bob.ctx(), cid)
        await pilot.press("s")  # alice's cache learns of bob's claim
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "bob")
        await pilot.press("6", "a")  # the All view: the closed conversation is there
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        text = _modal_text(app)
        assert "bob holds" in text, text
        _readable(text)


@pytest.mark.server
@pilot_test
async def test_a_reply_held_by_a_teammates_reply_names_them_and_its_local_time(
    supportinbox_home: Path,
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = make_message(sender="Lina Haddad <lina@customer.test>", subject="Cannot log in", message_id=MID)
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [message], extra="\n[ui]\nidle = false\n")
    cid = setup.conversation_of(MID)
    setup.db.close()
    (bob,) = make_team(tmp_path, dovecot, smtp_server, ("bob",))
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing and app.sync_status.last_sync is not None)
        await pilot.press("r", "enter")
        await settle(pilot)
        # bob's reply reaches Sent after alice started hers (and before her app syncs again)
        assert [o.status for o in bob.send(bob.draft_reply(cid)).outcomes] == ["sent"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        text = _modal_text(app)
        now = datetime.now(UTC)
        said = re.search(
            rf"Held back: bob already replied to conversation {cid} (.+) \(found in Sent\)\. "
            r"The reply stays in the outbox \(O\)",
            text,
        )
        assert said is not None, text
        # Seconds ago: as every recent moment is said (a slow run: the minute, as when_words says it).
        earlier = now - timedelta(minutes=1)
        assert said.group(1) in (
            "just now",
            when_words(earlier, now),
            when_words(now, now + timedelta(minutes=1)),
        ), text
        _readable(text)
        assert len(smtp_server.received) == 1  # bob's only
        await pilot.press("enter")
        await settle(pilot)
        # The user moves to Tehran (UTC+03:30): the kept reason says bob's reply in the
        # clock the outbox says "written" in, not the one it was held in.
        monkeypatch.setenv("TZ", "Asia/Tehran")
        time.tzset()
        try:
            await pilot.press("O")
            await settle(pilot)
            why = str(app.screen.query_one("#outbox-why").render())
        finally:
            monkeypatch.undo()
            time.tzset()
        tehran = ZoneInfo("Asia/Tehran")
        # Seconds ago, as every recent moment is said; a slow run: the minute, in Tehran's clock.
        minutes = (now, now - timedelta(minutes=1))
        said = {"just now"} | {f"today {moment.astimezone(tehran):%H:%M}" for moment in minutes}
        replied = r"already replied to conversation \S+ (.+?) \(found in Sent\)"
        shown = re.search(r"written (just now|today \d\d:\d\d)\b.*" + replied, why, re.S)
        assert shown is not None, why
        assert {shown.group(1), shown.group(2)} <= said, why


@pytest.mark.server
@pilot_test
async def test_a_reply_queued_before_the_app_stopped_is_reported_when_sent(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(sender="Lina Haddad <lina@customer.test>", subject="Cannot log in", message_id=MID)
    extra = "\n[ui]\nidle = false\n[replies]\nundo_seconds_tui = 1\n"
    setup_account(supportinbox_home, dovecot, smtp_server, [message], extra=extra).db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing and app.sync_status.last_sync is not None)
        await pilot.press("r", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")  # the undo window runs...
    assert smtp_server.received == []  # ...and the app stopped within it
    rows = outbox_store.list_rows(open_cache().conn)
    assert [r.status for r in rows] == ["queued"]
    time.sleep(1.5)  # the app is started again later

    again = build_app(load_config())
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await wait_until(pilot, lambda: any("queued before" in str(n.message) for n in again._notifications))
        said = [str(n.message) for n in again._notifications]
        assert "Sent 1 reply queued before the app stopped." in said, said


@pytest.mark.server
@pilot_test
async def test_a_reply_that_went_out_before_is_reported_as_filed_not_sent(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(sender="Lina Haddad <lina@customer.test>", subject="Cannot log in", message_id=MID)
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [message], extra="\n[ui]\nidle = false\n")
    # As a run that lost the IMAP server right after SMTP accepted the reply leaves it:
    # handed to SMTP, not yet filed in Sent.
    draft = drafts.prepare_draft(
        setup.db, setup.config, setup.account, setup.conversation_of(MID), "acknowledge-investigating"
    )
    outbox_id = drafts.queue_draft(setup.db, draft, drafts.draft_message(draft, setup.config, setup.account))
    with setup.db.transaction() as conn:
        assert outbox_store.claim(conn, outbox_id, from_statuses=(outbox_store.OutboxStatus.QUEUED,))
        outbox_store.mark_smtp_done(conn, outbox_id)
    setup.db.close()

    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("Filed" in str(n.message) for n in app._notifications))
        said = [str(n.message) for n in app._notifications]
        assert "Filed 1 reply in Sent that had gone out before (not sent again)." in said, said
        assert not any(s.startswith("Sent ") for s in said), said
    assert smtp_server.received == []
    assert [r.status for r in outbox_store.list_rows(open_cache().conn)] == ["sent"]
