"""The Automated view and a bounce in the TUI (the demo mailbox, through the real factory)."""

from __future__ import annotations

from supportinbox.tui.screens.conversation import ConversationScreen
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle


@pilot_test
async def test_key_7_shows_automated_mail_and_the_open_view_has_none() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_subjects = {queue(app).current.subject if queue(app).current else ""}
        for _ in range(queue(app).total):
            await pilot.press("j")
            current = queue(app).current
            open_subjects.add(current.subject if current else "")
        assert "Your payout of EUR 4,210.00 is on its way" not in open_subjects
        await pilot.press("7")
        await settle(pilot)
        table = queue(app)
        assert table.total == 2
        shown = {table.current.subject if table.current else ""}
        await pilot.press("j")
        shown.add(table.current.subject if table.current else "")
        assert shown == {
            "Your payout of EUR 4,210.00 is on its way",
            "[SaaS Weekly] Pricing pages that convert",
        }
        assert "Automated 2" in str(app.screen.query_one("#view-automated").render())


@pilot_test
async def test_a_bounced_reply_reopens_its_conversation_and_says_why() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Passwort-Reset-Mail")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        head = str(app.screen.query_one("#conversation-head").render())
        assert "your reply to emma.schulz@gruenwerk.example bounced: 552 5.2.2" in head
        assert "Mailbox full" in head
