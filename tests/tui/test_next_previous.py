"""J/K (and ]/[) inside a conversation step through the list it was opened from."""

from __future__ import annotations

from supportinbox.tui.screens.conversation import ConversationScreen
from tests.tui.support import SIZE, demo_app, first_conversation, pilot_test, queue, settle


@pilot_test
async def test_j_and_k_follow_the_queue_order_and_the_cursor_follows() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)  # below the demo's incident row
        table = queue(app)
        order = []
        for _ in range(3):
            order.append(table.current.id if table.current else "")
            await pilot.press("j")
        await pilot.press("k", "k", "k", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen) and screen.conversation_id == order[0]
        await pilot.press("J")
        await settle(pilot)
        assert screen.conversation_id == order[1]
        assert table.current is not None and table.current.id == order[1]
        head = str(screen.query_one("#conversation-head").render())
        assert table.current.subject[:20] in head
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.conversation_id == order[2]
        await pilot.press("K", "left_square_bracket")
        await settle(pilot)
        assert screen.conversation_id == order[0]
        await pilot.press("K")  # the first conversation (the incident row is none): stays, says so
        await settle(pilot)
        assert screen.conversation_id == order[0]
        assert table.current is not None and table.current.id == order[0]
        await pilot.press("J", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, ConversationScreen)
        assert table.current is not None and table.current.id == order[1]


@pilot_test
async def test_closing_inside_a_conversation_then_j_shows_the_next_one() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        table = queue(app)
        first = table.current.id if table.current else ""
        await pilot.press("j")
        second = table.current.id if table.current else ""
        await pilot.press("k", "enter")
        await settle(pilot)
        await pilot.press("c")  # closed: it leaves the Open view
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        assert screen.conversation_id == second and first != second


@pilot_test
async def test_stepping_through_search_results() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"refund")
        await settle(pilot)
        results = app.screen.query_one("#results")
        await pilot.press("down", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        first = screen.conversation_id
        await pilot.press("J")
        await settle(pilot)
        assert screen.conversation_id != first
        assert screen.conversation_id == results.current.id  # type: ignore[attr-defined]


@pilot_test
async def test_stepping_passes_over_an_incident_row_to_its_members() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        assert table.current is not None and table.current.subject.startswith("▸ incident:")
        incident = table.current.id
        await pilot.press("enter")  # unfold the incident: its members are the rows under it
        await settle(pilot)
        await pilot.press("j")
        member = table.current.id if table.current else ""
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen) and screen.conversation_id == member
        await pilot.press("K")  # above it is the incident's own row, not a conversation
        await settle(pilot)
        assert screen.conversation_id == member
        assert table.current is not None and table.current.id == member
        await pilot.press("J")
        await settle(pilot)
        assert screen.conversation_id not in (member, incident)
        assert table.current is not None and table.current.id == screen.conversation_id
