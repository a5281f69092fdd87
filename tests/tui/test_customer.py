"""The customer profile (``i``): history, notes, first seen; colleagues with ``d``; Enter opens one."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import OptionList

from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.customer import CustomerScreen
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle


def _rows(screen: CustomerScreen) -> list[str]:
    options = screen.query_one("#customer-conversations", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


@pilot_test
async def test_i_shows_the_customers_history_and_notes() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        head = str(screen.query_one("#customer-head").render())
        assert "priya@quillpad.example" in head and "2 conversations" in head and "first seen" in head
        rows = _rows(screen)
        assert len(rows) == 2 and "this one" in rows[0] and "Receipt for the March invoice" in rows[1]
        assert "Refund the second one" in str(screen.query_one("#customer-notes").render())

        await pilot.press("d")
        await settle(pilot)
        assert any("arjun@quillpad.example" in row for row in _rows(screen))
        assert "everyone at quillpad.example" in str(screen.query_one("#customer-head").render())

        await pilot.press("down", "down", "enter")
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, ConversationScreen) and opened.conversation_id != cid
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == cid


@pilot_test
async def test_colleagues_are_never_grouped_at_a_public_provider() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        screen.email = "someone@gmail.com"
        await pilot.press("d")
        await settle(pilot)
        assert screen.by_domain is False
        assert any("public mail provider" in str(n.message) for n in app._notifications)


@pilot_test
async def test_a_hostile_customer_name_and_subject_stay_text_in_the_profile() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "will be closed")
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        head = screen.query_one("#customer-head").render()
        assert "[bold red]" in str(head)  # the name as written, not as style
        assert "[blink]" in _rows(screen)[0]
        await pilot.press("escape")
        await settle(pilot)


@pilot_test
async def test_a_conversation_with_other_conversations_refreshes_without_a_duplicate_list() -> None:
    # The list of the customer's other conversations used to carry a fixed id: a refresh
    # mounted the new list before the old one was removed, and the app crashed.
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        screen.refresh_from_cache()
        screen.refresh_from_cache()
        await settle(pilot)
        assert app.is_running
        assert len(screen.query(".others")) == 1


@pilot_test
async def test_this_conversation_is_marked_on_its_own_line_at_80_columns() -> None:
    """A long subject and "← this one" fit one line: the marker never wraps under the date."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Locked out of my account")
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        options = screen.query_one("#customer-conversations", OptionList)
        lines = [strip.text.strip(" ▊▎▔▁") for strip in options.render_lines(options.region.reset_offset)]
        (marked,) = [line for line in lines if "this one" in line]
        assert marked.startswith("20") and "· open · Locked out" in marked, lines
        assert len([line for line in lines if line]) == len(_rows(screen)), lines


@pilot_test
async def test_a_follow_up_to_come_is_said_under_its_conversation_at_80_columns() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Locked out of my account")
        cid = queue(app).current.id  # type: ignore[union-attr]
        due = app.service.now() + timedelta(days=2)
        app.service.set_followup(cid, due, "ring about the [b]lockout[/b] \x1b[31m")
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        options = screen.query_one("#customer-conversations", OptionList)
        lines = [strip.text.strip(" ▊▎▔▁") for strip in options.render_lines(options.region.reset_offset)]
        at = next(i for i, line in enumerate(lines) if "this one" in line)
        said = lines[at + 1]
        assert said.startswith("follow-up set for ") and said.endswith(": ring about the [b]lockout[/b]"), (
            lines
        )
        assert "\x1b" not in "".join(lines)
