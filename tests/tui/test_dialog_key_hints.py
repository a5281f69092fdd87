"""The key hints at the bottom of a dialog are the dialog's own, not those of the screen beneath."""

from __future__ import annotations

import pytest
from textual.screen import ModalScreen

from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.key_hints import KeyHints
from tests.tui.support import demo_app, first_conversation, pilot_test, settle


def bottom_row(app: SupportInboxApp) -> str:
    """The terminal's last row as drawn (the dialog over the screen it was opened from)."""
    return [strip.text for strip in app.screen._compositor.render_strips()][-1]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("question_mark", "esc Close"),
        ("z", "esc Cancel"),
        ("t", "esc Cancel"),
        ("n", "^s Save note  esc Cancel"),
        ("exclamation_mark", "y Yes  n No"),
        ("f", "esc Cancel  ^s Set follow-up"),
        ("F", "esc Cancel"),
        ("greater_than_sign", "esc Cancel"),
    ],
)
@pilot_test
async def test_a_dialog_over_the_inbox_names_its_own_keys_at_the_bottom(key: str, says: str) -> None:
    """Under a dialog the bottom row read "r Reply  p Pending  c Close  z Snooze": none of
    those keys does anything while the dialog is up."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        assert "r Reply" in bottom_row(app)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ModalScreen)
        row = bottom_row(app)
        assert row.strip() == says, row
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)
        assert "r Reply" in bottom_row(app)


@pytest.mark.parametrize("key", ["z", "M", "question_mark"])
@pilot_test
async def test_a_dialog_over_a_conversation_does_not_offer_to_go_back(key: str) -> None:
    """An "esc Back" hint under the snooze dialog: Escape there cancels the snooze, it does not
    leave the conversation."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert "esc Back" in bottom_row(app)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ModalScreen)
        row = bottom_row(app)
        assert "Back" not in row and "Reply" not in row and "esc C" in row, row


@pilot_test
async def test_hints_mounted_into_a_dialog_already_shown_name_its_keys() -> None:
    """A dialog's hints are mounted after the dialog; Textual's footer shows nothing until
    its screen next announces its bindings. When the dialog had announced them before (the
    merge picker, reading its candidates), the bottom row stayed empty."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        await app.screen.query_one(KeyHints).remove()
        await app.screen.mount(KeyHints())
        await settle(pilot)
        assert bottom_row(app).strip() == "y Yes  n No"
