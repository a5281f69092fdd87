"""The customer profile (``i``): history, notes, first seen; colleagues with ``d``; Enter opens one."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

from supportinbox.domain.when import when_words
from supportinbox.store.customers import CustomerProfile
from supportinbox.tui.format import local_time
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.customer import CustomerScreen
from supportinbox.tui.screens.help import HelpScreen
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.tui.support import SIZE, demo_app, open_conversation, pilot_test, queue, select_subject, settle


def _rows(screen: CustomerScreen) -> list[str]:
    options = screen.query_one("#customer-conversations", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def _profile(pilot: Pilot[None]) -> CustomerScreen:
    """Press ``i``: the profile of the customer of the conversation selected or open."""
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CustomerScreen)
    return screen


def _conversation_lines(screen: CustomerScreen) -> list[str]:
    """The lines of the profile's list of conversations, as drawn."""
    options = screen.query_one("#customer-conversations", OptionList)
    return [strip.text.strip(" ▊▎▔▁") for strip in options.render_lines(options.region.reset_offset)]


@pilot_test
async def test_i_shows_the_customers_history_and_notes() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = (await open_conversation(pilot, "Charged twice")).conversation_id
        screen = await _profile(pilot)
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
        screen = await _profile(pilot)
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
        screen = await _profile(pilot)
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
        screen = await open_conversation(pilot, "Charged twice")
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
        screen = await _profile(pilot)
        lines = _conversation_lines(screen)
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
        screen = await _profile(pilot)
        lines = _conversation_lines(screen)
        at = next(i for i, line in enumerate(lines) if "this one" in line)
        # When, as every sentence says it; the note, markup shown as written, wraps at 80.
        said = lines[at + 1]
        when = when_words(due, app.service.now())
        assert said == f"follow-up set for {when} by alex: ring about the", lines
        assert lines[at + 2].startswith("[b]lockout["), lines
        assert "\x1b" not in "".join(lines)


def _footer(screen: CustomerScreen) -> tuple[str, list[str]]:
    """The status line and the keys the footer lists (their displays), as a user sees them."""
    status = str(screen.query_one(StatusBar).render())
    keys = [str(key.key_display) for key in screen.query_one(KeyHints).query(FooterKey)]
    return status, keys


@pilot_test
async def test_the_profile_has_the_apps_footer_and_every_key_it_lists_works() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        conversation = await open_conversation(pilot, "Charged twice")
        screen = await _profile(pilot)
        status, keys = _footer(screen)
        # The same status line as the conversation it came from: account, mode, outbox.
        assert status == str(conversation.query_one(StatusBar).render()), status
        assert "demo mailbox" in status and "outbox 1" in status, status
        assert keys == ["esc", "d", "?", "s", "^p"], keys

        await pilot.press("d")
        await settle(pilot)
        assert screen.by_domain
        await pilot.press("?")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("s")
        await settle(pilot)
        assert any("no server to sync with" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is conversation


@pilot_test
async def test_the_profile_is_read_again_when_the_cache_changes() -> None:
    """A conversation closed elsewhere (a sync, a teammate) shows closed in an open profile."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        screen = await _profile(pilot)
        await pilot.press("down")
        second = screen.query_one("#customer-conversations", OptionList).highlighted
        assert "· open ·" in _rows(screen)[0]
        cid = screen.current
        app.service.set_status(cid, "closed")
        app.refresh_views()
        await settle(pilot)
        assert "· closed ·" in _rows(screen)[0], _rows(screen)
        assert "(2 closed)" in str(screen.query_one("#customer-head").render())
        assert screen.query_one("#customer-conversations", OptionList).highlighted == second


@pilot_test
async def test_the_profile_head_wraps_between_its_facts_at_80_columns() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        screen = await _profile(pilot)
        head = screen.query_one("#customer-head")
        lines = [strip.text.strip() for strip in head.render_lines(head.region.reset_offset)]
        profile = app.service.customer_profile(screen.email)
        counts = ", ".join(f"{n} {status}" for status, n in sorted(profile.counts.items()))
        facts = [
            f"first seen {local_time(profile.first_seen)}",
            f"last {local_time(profile.last_seen)}",
            f"{len(profile.conversations)} conversations ({counts})",
        ]
        assert len(" · ".join(facts)) > 78  # too long for one line here
        for fact in facts:
            assert any(fact in line for line in lines), (fact, lines)


@pilot_test
async def test_the_profile_names_other_addresses_under_the_same_name() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        read = app.service.customer_profile

        def with_same_name(email: str, *, by_domain: bool = False) -> CustomerProfile:
            return replace(read(email, by_domain=by_domain), same_name=["priya.k@gmail.test"])

        app.service.customer_profile = with_same_name  # type: ignore[method-assign]
        await select_subject(pilot, "Charged twice")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        head = str(screen.query_one("#customer-head").render())
        assert "same name, other address: priya.k@gmail.test (the same person?)" in head


@pilot_test
async def test_the_conversation_head_names_other_addresses_under_the_same_name() -> None:
    """The profile's hint, in its words, where the customer is read and answered too."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        asked: list[tuple[str, str]] = []

        def same_name_hint(name: str, email: str) -> str:
            asked.append((name, email))
            return "same name, other address: priya.k@gmail.test (the same person?)"

        app.service.same_name_hint = same_name_hint  # type: ignore[method-assign]
        await select_subject(pilot, "Charged twice")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        head = str(screen.query_one("#conversation-head").render())
        lines = head.splitlines()
        hint = "same name, other address: priya.k@gmail.test (the same person?)"
        assert hint in lines, lines
        summary = screen.current_summary()
        assert summary is not None and asked[-1] == (summary.customer_name, summary.customer_email)
