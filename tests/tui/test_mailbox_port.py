"""The app reaches the mail server side only through its service's Mailbox port, and shows the
account as the port describes it (no screen asks whether it is the demo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supportinbox.app.context import AccountContext
from supportinbox.app.mailbox import Fetched, FetchProgress, Mailbox
from supportinbox.domain.conversation import MessageView
from supportinbox.store.junk import JunkSuspect
from supportinbox.tui.screens.modals import ConfirmModal
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle, wait_until


class RecordingMailbox:
    """Another mailbox with no server, that remembers what it was asked."""

    has_server = False
    label = "test mailbox"

    def __init__(self, inner: Mailbox) -> None:
        self.inner = inner
        self.asked: list[str] = []

    def banner(self) -> str:
        return "TEST BANNER: nothing leaves this machine"

    def fetch(self, ctx: AccountContext, progress: FetchProgress) -> Fetched:
        self.asked.append("fetch")
        return Fetched(0, 0)

    def share(self, conversation_id: str) -> str:
        self.asked.append(f"share {conversation_id}")
        return ""

    def push_changes(self) -> bool:
        self.asked.append("push")
        return True

    def mark_spam(self, conversation_id: str) -> str:
        self.asked.append(f"spam {conversation_id}")
        return self.inner.mark_spam(conversation_id)

    def rescue(self, suspect: JunkSuspect) -> str:
        self.asked.append(f"rescue {suspect.uid}")
        return self.inner.rescue(suspect)

    def attachments_dir(self) -> Path:
        return self.inner.attachments_dir()

    def fetch_attachment(self, message: MessageView, attachment: dict[str, Any]) -> bytes:
        return self.inner.fetch_attachment(message, attachment)


@pilot_test
async def test_the_screens_use_the_mailbox_port_and_its_words() -> None:
    app = demo_app()
    mailbox = RecordingMailbox(app.service.mailbox)
    app.service.mailbox = mailbox
    # The app read the label when it was built, before the mailbox was swapped.
    app.sync_status = app.sync_status.update(label=app.service.label)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one(".demo-banner").render()) == mailbox.banner()
        assert "test mailbox" in str(app.screen.query_one(StatusBar).render())
        await pilot.press("s")
        await wait_until(pilot, lambda: any("no server" in n.message for n in app._notifications))
        assert [n.message for n in app._notifications] == ["Test mailbox: there is no server to sync with."]
        await select_subject(pilot, "will be closed")
        target = queue(app).current
        assert target is not None
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert f"spam {target.id}" in mailbox.asked
        assert "fetch" not in mailbox.asked  # no server: the app never syncs by itself


def test_the_demo_is_the_same_service_with_its_own_ports() -> None:
    from supportinbox.demo.offline import DemoMailbox
    from supportinbox.demo.sending import DemoSender
    from supportinbox.tui.service import InboxService

    service = demo_app().service
    assert type(service) is InboxService  # no subclass: only what is outside the cache differs
    assert isinstance(service.mailbox, DemoMailbox) and isinstance(service.sender, DemoSender)


class UnreachableMailbox(RecordingMailbox):
    """A mailbox whose server refuses the connection (it has one only once the app runs, so
    the app holds no push connection to it)."""

    label = "support"
    REASON = (
        "the IMAP server 127.0.0.1:1 refused the connection: check imap_host and imap_port, "
        "and that the server is running"
    )

    def fetch(self, ctx: AccountContext, progress: FetchProgress) -> Fetched:
        from supportinbox.errors import ConnectionFailed

        self.asked.append("fetch")
        raise ConnectionFailed(self.REASON)


@pilot_test
async def test_a_sync_asked_for_while_offline_says_why_in_full() -> None:
    """The status bar has room for the start of the reason; the key that asked is told all of it."""
    app = demo_app()
    mailbox = UnreachableMailbox(app.service.mailbox)
    app.service.mailbox = mailbox
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        mailbox.has_server = True
        app.action_sync()  # a sync of the app's own (a timer, a push): the status bar only
        await wait_until(pilot, lambda: bool(app.sync_status.offline) and not app.sync_status.syncing)
        assert not [n for n in app._notifications if n.title == "Still offline"]
        await pilot.press("s")
        await wait_until(pilot, lambda: any(n.title == "Still offline" for n in app._notifications))
        (told,) = [n for n in app._notifications if n.title == "Still offline"]
        assert told.message == UnreachableMailbox.REASON
