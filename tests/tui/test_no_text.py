"""A message without text says why in the thread (Outlook's winmail.dat, S/MIME, an image)."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Static

from supportinbox.tui.widgets.thread_view import MessageBlock
from tests.tui.support import demo_app, pilot_test, settle


@pilot_test
async def test_a_message_without_text_says_why_in_the_thread() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = app.service.queue_page("open", 0, 1)[0]
        message = app.service.conversation(summary.id).messages[0]
        tnef = [{"filename": "winmail.dat", "content_type": "application/ms-tnef", "size": 504, "part": "2"}]
        cases = {
            "(no text: Outlook sent it inside winmail.dat (TNEF), which only Outlook reads: "
            "ask for it as plain text)": tnef,
            "(no text: only 2 images)": [
                {"filename": "a.png", "content_type": "image/png", "size": 73, "part": "1"},
                {"filename": "b.jpg", "content_type": "image/jpeg", "size": 73, "part": "2"},
            ],
        }
        for said, attachments in cases.items():
            block = MessageBlock(replace(message, body_text="", attachments=attachments))
            await app.screen.mount(block)
            await pilot.pause()
            shown = [str(w.render()) for w in block.query(Static)]
            assert said in shown
            await block.remove()
        # A message with text has no such line.
        block = MessageBlock(replace(message, attachments=tnef))
        await app.screen.mount(block)
        await pilot.pause()
        assert not any(str(w.render()).startswith("(no text") for w in block.query(Static))


@pilot_test
async def test_a_pgp_mime_control_part_is_not_listed_as_an_attachment() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = app.service.queue_page("open", 0, 1)[0]
        message = app.service.conversation(summary.id).messages[0]
        parts = [
            {"filename": "", "content_type": "application/pgp-encrypted", "size": 12, "part": "1"},
            {"filename": "data.asc", "content_type": "application/octet-stream", "size": 90, "part": "2"},
        ]
        block = MessageBlock(replace(message, body_text="", attachments=parts))
        await app.screen.mount(block)
        await pilot.pause()
        shown = [str(w.render()) for w in block.query(Static)]
        assert "(no text: it is PGP encrypted)" in shown
        (listed,) = [line for line in shown if "📎" in line]
        assert "data.asc" in listed and "unnamed" not in listed and "12 B" not in listed


@pilot_test
async def test_a_calendar_only_message_says_so_in_the_thread() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = app.service.queue_page("open", 0, 1)[0]
        message = app.service.conversation(summary.id).messages[0]
        invitation = replace(
            message,
            body_text="",
            attachments=[],
            automated="notification",
            automated_reason="cancellation, text/calendar method=CANCEL",
        )
        block = MessageBlock(invitation)
        await app.screen.mount(block)
        await pilot.pause()
        assert "(no text: only a calendar cancellation)" in [str(w.render()) for w in block.query(Static)]
