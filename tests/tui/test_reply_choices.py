"""Replying in the app: a blank reply from the picker, and a question before a second reply to
a customer who has not written since."""

from __future__ import annotations

from email import message_from_bytes, policy

from textual.widgets import OptionList

from supportinbox import paths
from supportinbox.domain.templates import install_default_templates
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ConfirmModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.store.test_broken_templates import write_broken
from tests.tui.support import SIZE, demo_app, first_conversation, pilot_test, select_subject, settle


@pilot_test
async def test_the_picker_offers_a_blank_reply_threaded_like_the_others() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("r")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TemplatePickerScreen)
        options = picker.query_one("#templates")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]  # type: ignore[attr-defined]
        assert any(label.startswith("Blank reply") for label in labels)
        await pilot.press(*"blank")
        await settle(pilot)
        assert "blank reply" in str(picker.query_one("#preview-head").render())
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen) and editor.body == ""
        head = str(editor.query_one("#editor-head").render())
        assert "blank reply" in head and "Subject: Re: Charged twice" in head
        await pilot.press(*"Refunded the second charge.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)
        await pilot.press("enter")
        await settle(pilot)
        (saved,) = paths.demo_outbox_dir().glob("*.eml")
        msg = message_from_bytes(saved.read_bytes(), policy=policy.default)
        assert msg["Subject"].startswith("Re: Charged twice") and msg["In-Reply-To"]
        assert msg.get_body(("plain",)).get_content().strip() == "Refunded the second charge."  # type: ignore[union-attr]


@pilot_test
async def test_a_second_reply_asks_first_and_names_the_earlier_one() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("enter", "r", *"refund", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)
        await pilot.press("enter")
        await settle(pilot)

        await pilot.press("r", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        asked = " ".join(str(w.render()) for w in app.screen.query("Static, Label"))
        assert "Send a second reply?" in asked and "replied " in asked and "has not written since" in asked
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is editor
        assert len(list(paths.demo_outbox_dir().glob("*.eml"))) == 1

        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)


@pilot_test
async def test_a_broken_template_is_listed_and_the_others_stay_usable() -> None:
    install_default_templates()
    write_broken(paths.templates_dir())
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("r")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TemplatePickerScreen)
        await pilot.press(*"misspelt")
        await settle(pilot)
        head = str(picker.query_one("#preview-head").render())
        mistakes = str(picker.query_one("#preview").render())
        assert "Broken template: fix" in head and "misspelt.md" in head
        assert "line 5: unknown variable 'customer.frist_name' → customer.first_name?" in mistakes
        assert "line 7: unknown variable 'agnet' → agent?" in mistakes
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is picker  # a broken template cannot be written from

        await pilot.press(*["backspace"] * len("misspelt"), *"login")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplyEditorScreen) and "Hi " in app.screen.body


@pilot_test
async def test_a_template_that_would_loop_forever_is_refused_in_the_preview() -> None:
    install_default_templates()
    (paths.templates_dir() / "spin.txt").write_text(
        "Hi\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
    )
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("r")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TemplatePickerScreen)
        await pilot.press(*"spin")
        await settle(pilot)
        head = str(picker.query_one("#preview-head").render())
        assert head.startswith("template 'spin' (spin.txt) line 2: repeats too much work"), head
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is picker


@pilot_test
async def test_an_incident_is_answered_from_a_template_never_a_blank_reply() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen) and inbox._current_incident() is not None
        await pilot.press("r")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TemplatePickerScreen) and picker.incident
        options = picker.query_one("#templates", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels and not any(label.startswith("Blank reply") for label in labels), labels


@pilot_test
async def test_enter_on_a_template_that_cannot_answer_says_why() -> None:
    """Enter on a no-reply sender's conversation rang the bell and did nothing else."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("7")  # the automated view: a payout notice from a no-reply address
        await settle(pilot)
        await select_subject(pilot, "payout")
        await pilot.press("r")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TemplatePickerScreen)
        assert "no-reply address" in str(picker.query_one("#preview-head").render())
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is picker
        said = [(toast.title, str(toast.message)) for toast in app._notifications]
        assert any(
            title == "No reply written" and text.startswith("Cannot reply:") and "no-reply" in text
            for title, text in said
        ), said
