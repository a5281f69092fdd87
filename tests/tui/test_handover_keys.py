"""Handing over from the app: ``>`` gives the conversation to a teammate, ``F`` forwards it.

The demo shows the keys and their mistakes; a real Dovecot and SMTP server show that the
forward goes out once and that the teammate sees who has it, and why, after their sync.
"""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.handover import ForwardModal, HandOverModal
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import app_account_and_bob
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle, sharing, wait_until

MID = "<tui-handover@customer.test>"


def _held_by(app: SupportInboxApp, cid: str, agent: str) -> Callable[[], bool]:
    return lambda: app.service.conversation(cid).summary.assigned_to == agent


def _hint(modal: HandOverModal | ForwardModal, selector: str) -> str:
    return str(modal.query_one(selector, Label).render())


@pilot_test
async def test_hand_over_key_names_the_teammate_counts_and_warns_the_second_time() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Audit log retention")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("greater_than_sign")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, HandOverModal)
        assert "Teammates: maya, sam." in _hint(modal, "#handover-hint")
        assert not modal.query("#handover-warning")
        await pilot.press(*"no one!", "enter")
        await settle(pilot)
        assert "Type a teammate's name" in _hint(modal, "#handover-hint")
        assert app.screen is modal
        modal.query_one("#handover-agent", Input).value = ""
        await pilot.press(*"maya", "enter", *"she built the export", "enter")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "maya")
        detail = app.service.conversation(cid)
        assert any(n.body == "Handed over to maya by alex: she built the export" for n in detail.notes)
        await wait_until(pilot, lambda: "handed over once" in app.service.conversation(cid).summary.reasons)

        # The second time, the modal says what the practice asks.
        await pilot.press("greater_than_sign")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, HandOverModal)
        warning = again.query_one("#handover-warning", Label)
        assert "Already handed over 1×" in str(warning.render())
        assert "to someone who can solve it." in str(warning.render())
        assert "Now with maya." in _hint(again, "#handover-hint")
        await pilot.press("escape")
        await settle(pilot)
        assert app.service.conversation(cid).summary.assigned_to == "maya"


@pilot_test
async def test_forward_key_checks_the_address_and_files_the_forward(supportinbox_home: Path) -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Audit log retention")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        await pilot.press("F")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ForwardModal)
        await pilot.press(*"legal at acme", "enter")
        await settle(pilot)
        assert "Type one address" in _hint(modal, "#forward-hint")
        modal.query_one("#forward-to", Input).value = "legal@acme.example"
        await pilot.press("enter", "0", "enter")
        await settle(pilot)
        assert "how many of the last messages" in _hint(modal, "#forward-hint")
        modal.query_one("#forward-excerpt", Input).value = ""
        await pilot.press("2", "enter", *"Seven years?", "enter")
        await wait_until(
            pilot,
            lambda: any(
                n.body == "Forwarded to legal@acme.example (2 messages): Seven years?"
                for n in app.service.conversation(cid).notes
            ),
        )
        sent = sorted((supportinbox_home / "data" / "demo-sent").glob("*.eml"))
        assert sent, "the demo files what it would send"
        text = sent[-1].read_text()
        assert "To: legal@acme.example" in text and "Subject: Fwd: " in text
        assert text.count("---------- Forwarded message ----------") == 2


@pytest.mark.server
@pilot_test
async def test_a_forward_and_a_hand_over_reach_the_servers_and_the_teammate(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="SSO fails", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n", smtp=smtp_server
    )
    # bob wrote a note on the mailbox: the app knows him and offers him.
    team_actions.add_note(bob.ctx(), cid, "I can take SSO ones")
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        assert queue(app).current is not None and queue(app).current.id == cid  # type: ignore[union-attr]
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, ForwardModal))
        await pilot.press(*"sso-team@partner.test", "enter", "enter", *"Logs attached?", "enter")
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, HandOverModal))
        handing = app.screen
        assert isinstance(handing, HandOverModal)
        assert "Teammates: bob." in _hint(handing, "#handover-hint")
        await pilot.press(*"bob", "enter", *"you own SSO", "enter")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "bob")
        await wait_until(pilot, lambda: not sharing(app))

    (forward,) = smtp_server.received
    assert forward.rcpt_tos == ["sso-team@partner.test"]
    bob.sync()
    assert bob.queue_row(cid)[0] == "bob"
    bodies = [
        str(row[0]) for row in bob.db.conn.execute("SELECT body FROM notes WHERE conversation_id = ?", (cid,))
    ]
    assert "Forwarded to sso-team@partner.test (1 message): Logs attached?" in bodies
    assert "Handed over to bob by alice: you own SSO" in bodies


@pilot_test
async def test_forward_key_attaches_the_files_when_ticked(supportinbox_home: Path) -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("F")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ForwardModal)
        box = modal.query_one("#forward-files", Checkbox)
        assert "attach the 1 file" in str(box.label)
        await pilot.press(*"billing@acme.example", "enter", "tab", "space")
        await settle(pilot)
        assert box.value
        modal.query_one("#forward-note", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: any((supportinbox_home / "data" / "demo-sent").glob("*.eml")))
        (sent,) = (supportinbox_home / "data" / "demo-sent").glob("*.eml")
        msg = message_from_bytes(sent.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        (part,) = msg.iter_attachments()
        assert part.get_filename() == "invoice-2291.pdf"
        assert part.get_payload(decode=True).startswith(b"%PDF")  # type: ignore[union-attr]


@pilot_test
async def test_the_second_hand_over_warning_wraps_whole_in_a_small_terminal() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Audit log retention")
        cid = queue(app).current.id  # type: ignore[union-attr]
        for agent in ("maya", "sam"):
            await pilot.press("greater_than_sign")
            await settle(pilot)
            assert isinstance(app.screen, HandOverModal)
            await pilot.press(*agent, "enter", "enter")
            await wait_until(pilot, _held_by(app, cid, agent))
        await pilot.press("greater_than_sign")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, HandOverModal)
        warning = modal.query_one("#handover-warning", Label)
        text = str(warning.render())
        assert text.startswith("Already handed over 2×") and text.endswith("to someone who can solve it.")
        # Every word is on screen: the label is no wider than the dialog and wraps onto lines.
        dialog = warning.parent
        assert isinstance(dialog, Widget)
        assert warning.region.right <= dialog.content_region.right
        assert warning.size.width * warning.size.height >= len(text)


@pilot_test
async def test_a_name_never_seen_on_the_mailbox_asks_for_a_second_enter() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Audit log retention")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("greater_than_sign")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, HandOverModal)
        await pilot.press(*"mayaa", "enter")
        await settle(pilot)
        assert app.screen is modal and modal.focused is modal.query_one("#handover-agent", Input)
        assert _hint(modal, "#handover-hint") == (
            "mayaa has not been seen on this mailbox (teammates: maya, sam): "
            "Enter again hands over to them anyway."
        )
        # Corrected, it goes through at once; the unseen name would have needed the second Enter.
        modal.query_one("#handover-agent", Input).value = "maya"
        await pilot.press("enter", "enter")
        await wait_until(pilot, _held_by(app, cid, "maya"))


@pilot_test
async def test_a_new_teammates_name_goes_through_with_the_second_enter() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Audit log retention")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("greater_than_sign")
        await settle(pilot)
        await pilot.press(*"noor", "enter", "enter", *"starts today", "enter")
        await wait_until(pilot, _held_by(app, cid, "noor"))
