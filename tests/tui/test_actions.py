"""Status changes with undo, snooze, claim, marking spam, rescuing from Junk, search, key remaps."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.safetext import clean
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.modals import ConfirmModal, SnoozeModal, snooze_until
from supportinbox.tui.screens.reply import TemplatePickerScreen
from supportinbox.tui.screens.search import SearchScreen
from supportinbox.tui.widgets.junk_list import JunkList
from tests.harness.bidi import assert_fields_read_right
from tests.tui.support import (
    SIZE,
    demo_app,
    first_conversation,
    pilot_test,
    queue,
    select_subject,
    settle,
    wait_until,
)


def _status(app: object, conversation_id: str) -> str:
    return app.service.conversation(conversation_id).summary.status  # type: ignore[attr-defined]


async def on_first_conversation(pilot: Pilot[None], app: SupportInboxApp) -> ConversationSummary:
    """The inbox settled, its cursor on the first conversation (past the incidents): that one."""
    await settle(pilot)
    await first_conversation(pilot)
    current = queue(app).current
    assert current is not None
    return current


@pilot_test
async def test_close_then_undo_restores_the_conversation() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        table = queue(app)
        target = table.current
        assert target is not None
        open_before = table.total
        await pilot.press("c")
        await settle(pilot)
        assert _status(app, target.id) == "closed"
        assert queue(app).total == open_before - 1
        await pilot.press("u")
        await settle(pilot)
        assert _status(app, target.id) == "open"
        assert queue(app).total == open_before


@pilot_test
async def test_pending_from_the_thread_view() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Webhook retries")
        target = queue(app).current
        assert target is not None
        await pilot.press("enter", "p")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert _status(app, target.id) == "pending"


@pytest.mark.parametrize(
    ("preset", "expected"),
    [("tomorrow", (2027, 3, 27, 9, 0)), ("monday", (2027, 3, 29, 9, 0))],
)
def test_a_snooze_preset_across_a_clock_change_ends_at_nine_on_that_day(
    monkeypatch: pytest.MonkeyPatch, preset: str, expected: tuple[int, ...]
) -> None:
    # Snoozed on the Friday before summer time begins (Sun 28 March): "Next Monday 09:00"
    # is 09:00 on Monday's clock, not Friday's offset read on Monday (10:00).
    berlin = ZoneInfo("Europe/Berlin")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        ends = snooze_until(preset, datetime(2027, 3, 26, 15, 0, tzinfo=berlin))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert ends == datetime(*expected, tzinfo=berlin)


@pilot_test
async def test_snooze_with_a_preset_and_with_a_custom_time() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await on_first_conversation(pilot, app)
        await pilot.press("z")
        assert isinstance(app.screen, SnoozeModal)
        # Which conversation, as the hand-over and follow-up dialogs say.
        title = str(app.screen.query_one(".dialog-title", Label).render())
        assert title == f"Snooze: {first.subject}", title
        await pilot.press("enter")  # first preset: one hour
        await settle(pilot)
        summary = app.service.conversation(first.id).summary
        assert summary.status == "snoozed" and summary.snoozed_until is not None
        assert summary.snoozed_until.startswith("2026-11-26T10:00")

        second = queue(app).current
        assert second is not None and second.id != first.id
        await pilot.press("z", "tab")
        await pilot.press(*"soon", "enter")
        assert isinstance(app.screen, SnoozeModal)  # not a time: the modal stays and says so
        await pilot.press(*["backspace"] * 4, *"2d", "enter")
        await settle(pilot)
        again = app.service.conversation(second.id).summary
        assert again.status == "snoozed" and (again.snoozed_until or "").startswith("2026-11-28T09:00")
        await pilot.press("3")
        assert queue(app).total == 2

        # The field takes what 'reply --send-at' and 'snooze --until' take.
        await pilot.press("1")
        await select_subject(pilot, "Two-factor for the whole team")
        third = queue(app).current
        assert third is not None
        await pilot.press("z", "tab", *"tomorrow 14:00", "enter")
        await settle(pilot)
        later = app.service.conversation(third.id).summary
        assert later.status == "snoozed" and (later.snoozed_until or "").startswith("2026-11-27T14:00")
        # Said back in the words it was typed in, as 'snooze' and every moment say it.
        said = str(list(app._notifications)[-1].message)
        assert said.startswith("Snoozed until tomorrow 14:00: Two-factor for the whole team"), said


@pilot_test
async def test_snooze_time_typed_without_moving_to_the_field_is_the_one_used() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await on_first_conversation(pilot, app)
        await pilot.press("z")
        assert isinstance(app.screen, SnoozeModal)
        await pilot.press(*"2d")  # typed while the presets have the focus
        await pilot.pause()
        assert app.screen.query_one("#custom", Input).value == "2d"
        # What the typed time means is said before Enter, as in the follow-up box.
        hint = str(app.screen.query_one("#snooze-hint", Label).render())
        assert hint == "Comes back Sat 28 Nov 09:00", hint
        await pilot.press("enter")
        await settle(pilot)
        summary = app.service.conversation(first.id).summary
        assert summary.status == "snoozed" and (summary.snoozed_until or "").startswith("2026-11-28T09:00")


@pilot_test
async def test_claim_sets_the_owner_and_undo_releases_it() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        target = await on_first_conversation(pilot, app)
        await pilot.press("a")
        await settle(pilot)
        assert app.service.conversation(target.id).summary.assigned_to == "alex"
        await pilot.press("u")
        await settle(pilot)
        assert app.service.conversation(target.id).summary.assigned_to is None


@pilot_test
async def test_claim_key_on_ones_own_claim_gives_it_back_and_undo_takes_it_again() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        target = await on_first_conversation(pilot, app)
        await pilot.press("a")
        await wait_until(pilot, lambda: app.service.conversation(target.id).summary.assigned_to == "alex")
        await pilot.press("a")
        await wait_until(pilot, lambda: app.service.conversation(target.id).summary.assigned_to is None)
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        assert said[-1].startswith("Released: ") and said[-1].endswith("(u to undo)")
        await pilot.press("u")
        await wait_until(pilot, lambda: app.service.conversation(target.id).summary.assigned_to == "alex")
        # The undo itself is not undone by the next u.
        await pilot.press("u")
        await pilot.pause()
        assert str(list(app._notifications)[-1].message) == "Nothing to undo."
        assert app.service.conversation(target.id).summary.assigned_to == "alex"


@pilot_test
async def test_mark_spam_asks_first_then_moves_the_conversation_to_junk() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "will be closed")
        target = queue(app).current
        assert target is not None
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert queue(app).current is not None and queue(app).current.id == target.id  # type: ignore[union-attr]
        await pilot.press("exclamation_mark", "y")
        await settle(pilot)
        ids = {c.id for c in app.service.queue_page("all", 0, 500)}
        assert target.id not in ids


@pilot_test
async def test_rescue_from_junk_with_one_key() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        suspects = app.service.junk_suspects()
        assert any("VAT" in s.subject or "CSV" in s.subject for s in suspects)
        await pilot.press("J")
        await settle(pilot)
        junk = app.screen.query_one(JunkList)
        rescued = junk.current
        assert rescued is not None
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert rescued.rowid not in {s.rowid for s in app.service.junk_suspects()}
        found = app.service.search(f'from:"{rescued.from_addr}"')
        detail = app.service.conversation(found[0].id)
        assert any(m.rowid == rescued.rowid and m.folder_role == "inbox" for m in detail.messages)


@pilot_test
async def test_search_updates_as_you_type_and_opens_a_result() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"gateway")
        await settle(pilot)
        results = queue(app)
        assert results.total == 4
        await pilot.press(*" from:jonas")
        await settle(pilot)
        assert queue(app).total == 1
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)


@pilot_test
async def test_keys_are_remapped_from_the_config() -> None:
    app = demo_app('[ui.keys]\nreply = "R"\nstatus_closed = "x"\n')
    async with app.run_test(size=SIZE) as pilot:
        target = await on_first_conversation(pilot, app)
        await pilot.press("r")
        assert not isinstance(app.screen, TemplatePickerScreen)
        await pilot.press("c")
        await settle(pilot)
        assert _status(app, target.id) == "open"
        await pilot.press("x")
        await settle(pilot)
        assert _status(app, target.id) == "closed"
        await pilot.press("R")
        assert isinstance(app.screen, TemplatePickerScreen)


@pilot_test
async def test_hostile_message_renders_inert() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "will be closed")
        row = queue(app).get_row_at(queue(app).cursor_row)
        assert "[bold red]" in row[1].plain and "\x1b" not in row[2].plain
        await pilot.press("enter")
        await settle(pilot)
        shown = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
        assert "[link=https://evil.example]Verify now[/link]" in shown
        assert clean("../../.bashrc") in shown


@pilot_test
async def test_search_owner_me_lists_the_conversations_one_holds() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        target = await on_first_conversation(pilot, app)
        await pilot.press("a")
        await wait_until(pilot, lambda: app.service.conversation(target.id).summary.assigned_to == "alex")
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"owner:me")
        await settle(pilot)
        rows = queue(app)._rows
        assert target.id in {r.id for r in rows}
        assert {r.assigned_to for r in rows} == {"alex"}  # the demo's others hold theirs


@pilot_test
async def test_a_conversation_key_on_an_incident_row_says_what_the_row_is() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        assert table.current is not None and table.current.subject.startswith("▸ incident:")
        open_before = table.total
        for key in ("c", "z", "p"):
            await pilot.press(key)
            await settle(pilot)
            # Nothing changed, nothing opened, and the toast says why and what works.
            assert queue(app).total == open_before and not isinstance(app.screen, SnoozeModal)
            said = [str(n.message) for n in app._notifications]
            assert said and "This row is an incident" in said[-1] and "⏎ unfolds it" in said[-1]
            app.clear_notifications()


@pilot_test
async def test_a_right_to_left_subject_is_isolated_in_the_toast_that_names_it() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await select_subject(pilot, "عاجل")
        target = queue(app).current
        assert target is not None
        await pilot.press("c")
        await settle(pilot)
        (said,) = [str(n.message) for n in app._notifications if target.subject in str(n.message)]
        assert said.startswith("Closed")
        assert_fields_read_right(said, [target.subject])


@pilot_test
async def test_the_snoozed_view_says_when_each_one_comes_back() -> None:
    """The Snoozed view's Why line gave only the urgency reasons ("no urgency signals"):
    nothing told when a snoozed conversation comes back but opening it."""
    from supportinbox.domain.when import when_words
    from supportinbox.tui.widgets.reason_line import ReasonLine

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await on_first_conversation(pilot, app)
        await pilot.press("z", "enter")  # first preset: one hour
        await settle(pilot)
        until = app.service.conversation(first.id).summary.snoozed_until
        assert until is not None
        await pilot.press("3")
        await settle(pilot)
        current = queue(app).current
        assert current is not None and current.id == first.id
        why = str(app.screen.query_one(ReasonLine).render())
        expected = f"Why: snoozed until {when_words(until, app.service.now(), ahead=True)}"
        assert expected in why and "no urgency signals" not in why, why
