"""Merge (``M``) and split (``X``) on the thread: the pickers, the question, the queue at once."""

from __future__ import annotations

from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.modals import ConfirmModal
from supportinbox.tui.screens.regroup import MergePickerModal, SplitPickerModal
from tests.tui.support import (
    SIZE,
    demo_app,
    open_conversation,
    pilot_test,
    select_subject,
    settle,
    wait_until,
)


@pilot_test
async def test_m_merges_the_customers_other_conversation_and_x_splits_it_off_again() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        counts = app.service.view_counts()
        screen = await open_conversation(pilot, "Charged twice for the annual plan")
        cid = screen.conversation_id

        await pilot.press("M")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, MergePickerModal)
        options = picker.query_one("#merge-candidates")
        first = options.get_option_at_index(0)  # type: ignore[attr-defined]
        # The same customer's other conversation comes first, then everyone else.
        assert "Receipt for the March invoice" in str(first.prompt)
        assert "Other customers" in str(options.get_option_at_index(1).prompt)  # type: ignore[attr-defined]
        # Typing finds any conversation: by subject, name or id; Escape leaves it be.
        await pilot.press(*"webhook")
        await settle(pilot)
        found = picker.query_one("#merge-candidates")
        assert "Webhook retries" in str(found.get_option_at_index(1).prompt)  # type: ignore[attr-defined]
        # Hostile mail is listed as typed: markup stays text.
        await pilot.press(*["backspace"] * 7, *"account")
        await settle(pilot)
        prompts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]  # type: ignore[attr-defined]
        assert any("[blink]Your account[/blink]" in p for p in prompts), prompts
        await pilot.press(*["backspace"] * 7, *"zzzq")
        await settle(pilot)
        assert "No other conversation found" in str(found.get_option_at_index(0).prompt)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("M", "enter")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and app.service.conversation(cid).summary.message_count == 1
        await pilot.press("M", "enter", "y")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.message_count == 3)
        await settle(pilot)
        assert app.screen is screen
        assert any("Merged 1 conversation into this one" in str(n.message) for n in app._notifications)
        head = str(screen.query_one("#conversation-head").render())
        # It keeps its subject, though the mail merged in is older.
        assert "3 messages" in head and head.startswith("Charged twice for the annual plan")
        # The messages merged in keep their own subject, shown above them.
        subjects = [str(w.render()) for w in screen.query(".message-subject")]
        assert subjects == [
            "Subject: Receipt for the March invoice",
            "Subject: Re: Receipt for the March invoice",
        ]
        after = app.service.view_counts()
        assert after["closed"] == counts["closed"] - 1 and after["open"] == counts["open"]

        await pilot.press("X")
        await settle(pilot)
        splitter = app.screen
        assert isinstance(splitter, SplitPickerModal)
        listing = splitter.query_one("#split-messages")
        assert listing.get_option_at_index(0).disabled  # type: ignore[attr-defined]
        # The customer's last message is offered: here the one merged in last (she wrote later).
        assert listing.highlighted == 2  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.message_count == 2)
        await settle(pilot)
        assert any("(1 message) split off" in str(n.message) for n in app._notifications)
        # Her closed receipt conversation is closed again, the refund question open: as before.
        assert app.service.view_counts() == counts


@pilot_test
async def test_x_on_a_single_message_says_there_is_nothing_to_split() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "How do I export invoices as CSV?")
        await pilot.press("X")
        await settle(pilot)
        assert app.screen is screen
        assert any("nothing to split off" in str(n.message) for n in app._notifications)


@pilot_test
async def test_a_thread_merged_away_meanwhile_shows_the_conversation_it_joined() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "Charged twice for the annual plan")
        refund = screen.conversation_id
        receipt = next(c.id for c in app.service.search("from:priya status:closed"))
        # As a teammate's merge arrives with a sync: the cache changes under the open thread.
        app.service.merge(receipt, [refund])
        app.refresh_views()
        await settle(pilot)
        assert app.screen is screen and screen.conversation_id == receipt
        assert "3 messages" in str(screen.query_one("#conversation-head").render())
        assert any(f"was merged into {receipt}" in str(n.message) for n in app._notifications)


@pilot_test
async def test_the_merge_and_split_pickers_say_what_enter_does_at_80x24() -> None:
    """The list of candidates leaves room for the hint: Enter merges or splits, Escape cancels."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for subject, key, modal, says in (
            ("Charged twice for the annual plan", "M", MergePickerModal, "Enter merges"),
            ("Re: Audit log retention", "X", SplitPickerModal, "Enter splits"),
        ):
            await select_subject(pilot, subject)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            picker = app.screen
            assert isinstance(picker, modal)
            dialog, hint = picker.query_one(".dialog"), picker.query_one(".dialog-hint")
            assert says in str(hint.render())
            assert hint.region.height >= 1 and dialog.region.contains_region(hint.region), (
                dialog.region,
                hint.region,
            )
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ConversationScreen)
            await pilot.press("escape")
            await settle(pilot)


@pilot_test
async def test_merging_another_customers_conversation_says_whose_both_are() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "Charged twice for the annual plan")
        cid = screen.conversation_id
        await pilot.press("M", *"webhook")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmModal)
        said = " ".join(str(w.render()) for w in question.query("Label, Static"))
        assert "Merge two customers' conversations?" in said
        assert "Two different customers: Kwame Mensah <kwame@savanna-apps.example> and Priya" in said
        assert "Merge anyway (y)" in " ".join(str(b.label) for b in question.query("Button"))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.message_count == 2)
        await settle(pilot)
        assert app.screen is screen
        assert any("Merged 1 conversation into this one" in str(n.message) for n in app._notifications)
