"""Keys that must work while a text box has the focus: the reply editor, the note, search, snooze."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from supportinbox.demo.sending import DemoSender
from supportinbox.domain.replies import base_subject
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.screens.help import HelpScreen, key_rows
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ConfirmModal, SnoozeModal
from supportinbox.tui.screens.note import NoteModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from supportinbox.tui.screens.search import SearchScreen
from tests.tui.support import (
    SIZE,
    allow_suspend,
    demo_app,
    editor_script,
    first_conversation,
    pilot_test,
    settle,
)


async def _open_editor(pilot: object) -> ReplyEditorScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await settle(pilot)
    await first_conversation(pilot)
    await pilot.press("r", "enter")
    await settle(pilot)
    editor = pilot.app.screen
    assert isinstance(editor, ReplyEditorScreen)
    assert isinstance(pilot.app.focused, TextArea)
    return editor


async def _send_to_countdown(pilot: object) -> UndoModal:
    """Open the editor on the first conversation and send: the undo window's countdown."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await _open_editor(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)
    countdown = pilot.app.screen
    assert isinstance(countdown, UndoModal)
    return countdown


@pilot_test
async def test_escape_leaves_an_untouched_reply_from_the_text_area() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)


@pilot_test
async def test_escape_on_an_edited_reply_asks_before_discarding() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await _open_editor(pilot)
        await pilot.press(*"Thanks!")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # "no": back to the text, which is kept
        await settle(pilot)
        assert app.screen is editor and "Thanks!" in editor.body
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)


@pilot_test
async def test_ctrl_s_sends_from_the_text_area() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await _send_to_countdown(pilot)


class _KeptOutbox(DemoSender):
    """The demo's sender on an account whose outbox outlives the app (as on a server)."""

    lost_on_quit = ""


def _dialog_text(app: object) -> str:
    from textual.app import App

    assert isinstance(app, App)
    return " ".join(str(w.render()) for w in app.screen.query(".dialog-title, .dialog-body"))


@pilot_test
async def test_quitting_during_the_undo_window_says_the_reply_stays_in_the_outbox() -> None:
    """Ctrl+Q in the countdown left at once, and the next sync sent the reply unsaid."""
    app = demo_app()
    sender = app.service.sender
    assert isinstance(sender, DemoSender)
    app.service.sender = _KeptOutbox(sender.home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        waiting = app.service.outbox_count()  # the demo's own scheduled reply
        countdown = await _send_to_countdown(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and not app._exit
        said = _dialog_text(app)
        assert "stays in the outbox" in said and "next sync sends it" in said, said
        left = countdown._left
        await pilot.pause(0.5)
        assert countdown._left == left  # the countdown waits for the answer
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is countdown
        await pilot.press("ctrl+q", "y")
        await settle(pilot)
        assert app._exit
        assert app.service.outbox_count() == waiting + 1  # kept, for the next sync


@pilot_test
async def test_the_demos_countdown_says_saving_not_sending() -> None:
    """The demo sends nothing, yet its countdown read "Sending to ... Sending in 9 s"."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        countdown = await _send_to_countdown(pilot)
        said = " ".join(str(w.render()) for w in countdown.query("Label, Static"))
        assert "Saving the reply to" in said and "Saving in" in said and "Enter to save now" in said
        assert "Sending" not in said and "send now" not in said, said


@pilot_test
async def test_quitting_the_demo_during_the_undo_window_says_the_reply_is_lost() -> None:
    """The demo is built afresh each time: "the next sync sends it" was untrue there."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        countdown = await _send_to_countdown(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and not app._exit
        said = _dialog_text(app)
        assert "is lost" in said and "starts afresh" in said, said
        assert "sync" not in said and "outbox" not in said, said
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is countdown


@pilot_test
async def test_quitting_from_an_edited_reply_asks_first() -> None:
    """Ctrl+Q in the editor quit at once and the edited reply was gone."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await _open_editor(pilot)
        await pilot.press(*"Thanks!")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and not app._exit
        assert "edits to this reply are lost" in _dialog_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is editor and "Thanks!" in editor.body
        await pilot.press("ctrl+q", "y")
        await settle(pilot)
        assert app._exit


@pilot_test
async def test_quitting_from_an_untouched_reply_asks_nothing() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_editor(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app._exit


@pilot_test
async def test_quitting_from_a_note_being_written_asks_first() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("n")
        await settle(pilot)
        note = app.screen
        assert isinstance(note, NoteModal)
        await pilot.press(*"call back")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and not app._exit
        assert "note you are writing is lost" in _dialog_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is note


@pytest.fixture
def suspendable(monkeypatch: pytest.MonkeyPatch) -> None:
    allow_suspend(monkeypatch)


@pilot_test
async def test_ctrl_e_edits_the_reply_in_the_external_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suspendable: None
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, "printf 'Written in my editor.\\n' >> \"$1\""))
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await _open_editor(pilot)
        before = editor.body
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert app.screen is editor
        assert editor.body == before + "Written in my editor.\n"


@pilot_test
async def test_an_editor_that_fails_leaves_the_reply_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suspendable: None
) -> None:
    monkeypatch.setenv("VISUAL", editor_script(tmp_path, 'echo gone > "$1"; exit 1'))
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await _open_editor(pilot)
        before = editor.body
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert editor.body == before


@pilot_test
async def test_editor_keys_are_in_help_and_the_palette() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox_palette = {command.title for command in app.get_system_commands(app.screen)}
        assert "Outbox" in inbox_palette and ("Outbox", "outbox") in {
            (d, i) for _, d, i in key_rows(app.screen)
        }
        editor = await _open_editor(pilot)
        rows = {(description, ident) for _, description, ident in key_rows(editor)}
        assert {("Send", "send"), ("Discard", "discard"), ("Edit in $EDITOR", "external_editor")} <= rows
        palette = {command.title for command in app.get_system_commands(editor)}
        assert {"Send", "Discard", "Edit in $EDITOR"} <= palette
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


@pilot_test
async def test_escape_leaves_every_screen_with_a_text_box() -> None:
    app = demo_app()
    cases: list[tuple[tuple[str, ...], type[object], type[object]]] = [
        (("slash", *"refund"), SearchScreen, Input),
        (("r", *"login"), TemplatePickerScreen, Input),
        (("n", *"half a note"), NoteModal, TextArea),
        (("z", "tab", *"3h"), SnoozeModal, Input),
    ]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        for keys, screen, box in cases:
            await pilot.press(*keys)
            await settle(pilot)
            assert isinstance(app.screen, screen) and isinstance(app.focused, box), keys
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, InboxScreen), keys


@pilot_test
async def test_the_picker_says_enter_picks_and_the_editor_shows_the_subject_sent() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("r")
        await settle(pilot)
        hint = str(app.screen.query_one("#picker-hint").render())
        assert "Enter writes the reply" in hint
        footer_keys = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        assert "Write reply" in footer_keys
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        head = str(editor.query_one("#editor-head").render())
        subject = editor.draft.original.subject
        assert f"Subject: Re: {base_subject(subject)}" in head  # Re: is never stacked
