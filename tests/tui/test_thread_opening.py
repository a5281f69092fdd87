"""A conversation opens where the news is: the first message not read yet, else the newest."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.thread_view import MessageBlock, NoteBlock
from tests.tui.support import demo_app, open_conversation, pilot_test, settle

SHORT = (80, 16)  # a screen the demo's three-message threads do not fit


def _visible(screen: ConversationScreen, block: MessageBlock) -> bool:
    """Whether the first line of ``block`` is on the screen."""
    thread = screen.query_one("#thread", VerticalScroll)
    return thread.region.y <= block.region.y < thread.region.bottom


@pilot_test
async def test_a_long_thread_opens_at_the_message_not_read_yet() -> None:
    """Hannah's new question (her earlier one and our answer read) was below the fold."""
    app = demo_app()
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "Audit log retention")
        blocks = list(screen.query(MessageBlock))
        assert len(blocks) == 3 and "7 years" in blocks[-1].message.body_text
        thread = screen.query_one("#thread", VerticalScroll)
        assert thread.scroll_y > 0 and thread.max_scroll_y > 0
        assert _visible(screen, blocks[-1]) and not _visible(screen, blocks[0])
        await pilot.press("g")  # the earlier messages are a key away
        await settle(pilot)
        assert thread.scroll_y == 0 and _visible(screen, blocks[0])


@pilot_test
async def test_a_thread_with_every_message_new_opens_at_its_start() -> None:
    app = demo_app()
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "Locked out of my account")
        thread = screen.query_one("#thread", VerticalScroll)
        assert thread.max_scroll_y > 0 and thread.scroll_y == 0


@pilot_test
async def test_the_head_says_notes_stand_at_the_top_of_a_thread_opened_below_them() -> None:
    """A hand-over reason (a note) was out of sight above the message the thread opened at."""
    app = demo_app()
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "Audit log retention")
        head = screen.query_one("#conversation-head", Static)
        assert "note" not in str(head.render())
        app.service.add_note(screen.conversation_id, "Handed over to bob: he knows the retention rules")
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_conversation(pilot, "Audit log retention")
        thread = screen.query_one("#thread", VerticalScroll)
        (note,) = screen.query(NoteBlock)
        assert thread.scroll_y > 0 and not thread.region.y <= note.region.y < thread.region.bottom
        assert "3 messages · 1 note at the top" in str(
            screen.query_one("#conversation-head", Static).render()
        )
