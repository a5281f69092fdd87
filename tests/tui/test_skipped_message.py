"""A message the server cannot send is named in the app too, once, and arrives when it can."""

from __future__ import annotations

from pathlib import Path

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from tests.harness.cliproc import config_text, write_config
from tests.harness.fakeimap import FakeImap
from tests.harness.fakemailbox import Mailbox, message
from tests.tui.support import SIZE, pilot_test, queue, wait_until


@pilot_test
async def test_a_skipped_message_is_a_warning_once_and_arrives_when_the_server_can_send_it(
    supportinbox_home: Path,
) -> None:
    box = Mailbox({uid: message(uid) for uid in range(1, 6)})
    box.broken = {3: b"(" * 100_000}
    with FakeImap(**box.handlers()) as fake:
        extra = "\n[ui]\nidle = false\n"
        write_config(
            supportinbox_home, config_text(imap_port=fake.port, timeout=10, batch_size=2, extra=extra)
        )
        app = build_app(load_config())
        async with app.run_test(size=SIZE) as pilot:

            def warnings() -> list[str]:
                # The app's notifications (toasts of a screen still mounting are drawn later).
                return [n.message for n in app._notifications if "skipped" in n.message]

            await wait_until(
                pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing
            )
            await wait_until(pilot, lambda: len(warnings()) == 1)
            await wait_until(pilot, lambda: queue(app).total == 4)  # the screens re-read the cache
            assert "UID 3 skipped" in warnings()[0]
            # The same message again: no second warning.
            app.clear_notifications()
            await wait_until(pilot, lambda: warnings() == [])
            connections = fake.connections
            await pilot.press("s")
            await wait_until(pilot, lambda: fake.connections > connections and not app.sync_status.syncing)
            await pilot.pause()
            assert warnings() == []
            # The server can send it now: it arrives.
            box.broken = {}
            await pilot.press("s")
            await wait_until(pilot, lambda: queue(app).total == 5 and not app.sync_status.syncing)
            assert warnings() == []
