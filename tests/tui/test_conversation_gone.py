"""A conversation whose mail leaves the mailbox while it is open (another client deleted or
moved it): the app says so and goes back, and a reply being written stays open."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from supportinbox.store.conversations import rebuild_conversations
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.editor import ReplyEditorScreen
from supportinbox.tui.screens.inbox import InboxScreen
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle, wait_until


def _delete_mail_of(app: SupportInboxApp, conversation_id: str) -> None:
    """What a sync does when another client expunged the conversation's mail."""
    service = app.service
    with service.writer() as db:
        with db.transaction() as tx:
            tx.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
        rebuild_conversations(db, service.config, service.account, now=service.now())
    app.refresh_views()


async def _open_refund(pilot: Pilot[None], app: SupportInboxApp) -> str:
    """Open Priya's refund conversation from the queue; its id."""
    await settle(pilot)
    await select_subject(pilot, "Charged twice for the annual plan")
    cid = queue(app).current.id  # type: ignore[union-attr]
    await pilot.press("enter")
    await settle(pilot)
    return cid


@pilot_test
async def test_an_open_conversation_whose_mail_is_gone_closes_with_a_word() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        cid = await _open_refund(pilot, app)
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
        cid = await _open_refund(pilot, app)
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
        # Sent anyway: it goes to the outbox (never lost with its conversation), and the
        # thread behind the editor, gone too, closes.
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: app.screen is not editor and not isinstance(app.screen, ConversationScreen)
        )
        mine = [r for r in app.service.outbox_rows() if r.conversation_id == cid]
        assert len(mine) == 1 and "Noted" in mine[0].raw.decode()
        assert app.is_running


@pilot_test
async def test_an_internal_error_ends_the_app_with_one_line_and_no_locals(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Textual's own handler prints a traceback with every local variable on the terminal."""
    app = demo_app()
    printed: list[str] = []

    def broken(conversation_id: str) -> None:
        password = "hunter2-kept-in-a-local"  # noqa: F841 - what must not be printed
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await select_subject(pilot, "Charged twice for the annual plan")
            monkeypatch.setattr(app.service, "conversation", broken)
            monkeypatch.setattr(
                app, "_close_messages_no_wait", lambda: printed.extend(map(str, app._exit_renderables))
            )
            await pilot.press("enter")
            await settle(pilot)
    assert app.return_code == 1
    assert printed == [
        "supportinbox: internal error (RuntimeError); "
        "the details are in the log: see 'supportinbox locate log'"
    ]
    logged = [r for r in caplog.records if r.getMessage() == "internal error in the app"]
    assert logged and logged[0].exc_info is not None


@pilot_test
async def test_the_reply_editor_says_when_the_customers_mail_is_gone_but_the_conversation_stays() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        service = app.service
        # An open conversation we answered before the customer wrote again.
        cid = next(
            s.id
            for s in service.queue_page("open", 0, 100)
            if any(m.from_us for m in service.conversation(s.id).messages)
        )
        await app.push_screen(ConversationScreen(cid))
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        head = editor.query_one("#editor-head", Static)
        assert "gone" not in str(head.render())
        # Another client deletes the customer's mail; our reply keeps the conversation.
        theirs = [m.rowid for m in service.conversation(cid).messages if not m.from_us]
        with service.writer() as db:
            with db.transaction() as tx:
                tx.executemany("DELETE FROM messages WHERE id = ?", [(r,) for r in theirs])
            rebuild_conversations(db, service.config, service.account, now=service.now())
        app.refresh_views()
        await settle(pilot)
        assert app.screen is editor
        said = str(head.render())
        assert "The customer's mail this reply answers is gone from the server" in said
        assert any("gone from the server" in str(n.message) for n in app._notifications)
