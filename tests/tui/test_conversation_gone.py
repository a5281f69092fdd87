"""A conversation whose mail leaves the mailbox while it is open (another client deleted or
moved it): the app says so and goes back, and a reply being written stays open."""

from __future__ import annotations

from supportinbox.store.conversations import rebuild_conversations
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.editor import ReplyEditorScreen
from supportinbox.tui.screens.inbox import InboxScreen
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle


def _delete_mail_of(app: SupportInboxApp, conversation_id: str) -> None:
    """What a sync does when another client expunged the conversation's mail."""
    service = app.service
    with service.writer() as db:
        with db.transaction() as tx:
            tx.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
        rebuild_conversations(db, service.config, service.account, now=service.now())
    app.refresh_views()


@pilot_test
async def test_an_open_conversation_whose_mail_is_gone_closes_with_a_word() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice for the annual plan")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        _delete_mail_of(app, cid)
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert any("no longer in the mailbox" in str(n.message) for n in app._notifications)
        assert app.is_running


@pilot_test
async def test_a_reply_being_written_stays_open_when_its_conversation_goes() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice for the annual plan")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        await pilot.press(*"Noted")
        _delete_mail_of(app, cid)
        await settle(pilot)
        assert app.screen is editor and app.is_running
        assert "Noted" in editor.body
        # Left without sending: the thread behind it is gone too, back to the queue.
        editor.dismiss(None)
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert any("no longer in the mailbox" in str(n.message) for n in app._notifications)
