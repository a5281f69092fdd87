"""The app sends through its service's Sender port and asks the port, not the kind of account,
what to say in the editor and whether to retry by itself."""

from __future__ import annotations

from supportinbox.app.sending import RetryRound, SendResult
from supportinbox.mail.outbox import SendStatus
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from tests.tui.support import SIZE, demo_app, pilot_test, select_subject, settle, wait_until


class RecordingSender:
    """A sender that refuses every reply for now, and remembers what it was given."""

    retries = True
    note = "TEST SENDER: replies go nowhere"
    lost_on_quit = ""

    def __init__(self) -> None:
        self.delivered: list[int] = []

    def deliver(self, outbox_id: int) -> SendResult:
        self.delivered.append(outbox_id)
        return SendResult(outbox_id, False, "451 try later", SendStatus.FAILED)

    def retry(self, outbox_id: int) -> SendResult:
        return self.deliver(outbox_id)

    def send_anyway(self, outbox_id: int) -> SendResult:
        return self.deliver(outbox_id)

    def send_waiting(self) -> RetryRound:
        return RetryRound([])


@pilot_test
async def test_the_screens_send_through_the_port_and_show_its_note() -> None:
    app = demo_app()
    sender = RecordingSender()
    app.service.sender = sender
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("enter", "r", *"refund", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        notes = [str(w.render()) for w in editor.query(".demo-note")]
        assert notes == [sender.note]  # the port's words, not the demo's
        waiting = {r.id for r in app.service.outbox_rows()}  # the demo's scheduled reply
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(sender.delivered) == 1)
        (outbox_id,) = sender.delivered
        # Still waiting beside the demo's own: the recording port sent nothing.
        assert {r.id for r in app.service.outbox_rows()} == waiting | {outbox_id}
