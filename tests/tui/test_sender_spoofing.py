"""A sender whose name holds another address cannot pass for that person in the app.

The queue's Customer column shows a name alone, so ``"ceo@big.test" <eve@evil.test>`` read
as ceo@big.test there. Synced from a real Dovecot, the queue shows the warning mark and the
real address instead; the conversation's head and each message's head show the name in
quotes, the real address and why it is marked. A malformed From (CVE-2023-27043) shows
its text with the mark and no address.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.domain.senders import MALFORMED, NAME_HOLDS_ADDRESS, WARNING_MARK
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message, with_raw_from
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, queue, select_subject, settle, wait_until

pytestmark = pytest.mark.server

CASES = {
    "Spoofed name": ('"ceo@big.test" <eve@evil.test>', "eve@evil.test", NAME_HOLDS_ADDRESS),
    "Malformed sender": ("ceo@big.test)<eve@evil.test>", "", MALFORMED),
}


def _shown(app: object) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static"))  # type: ignore[attr-defined]


@pilot_test
async def test_spoofing_senders_show_the_mark_and_the_real_address(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    raws = [
        with_raw_from(sender, subject=subject, message_id=f"<t{i}@t>")
        for i, (subject, (sender, _, _)) in enumerate(CASES.items())
    ]
    raws.append(make_message(sender="Carol <carol@customer.test>", subject="Plain customer"))
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        table = queue(app)
        assert table.total == 3
        for subject, (sender, addr, warning) in CASES.items():
            table.move_cursor(row=0)
            await select_subject(pilot, subject)
            customer = table.get_row_at(table.cursor_row)[1].plain
            assert customer.startswith(WARNING_MARK), customer
            assert "ceo@big.test" not in customer
            if addr:
                assert addr[:10] in customer

            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConversationScreen)
            shown = _shown(app)
            assert shown.count(WARNING_MARK) >= 2, shown  # the conversation head and the message head
            assert warning in shown
            assert (f"<{addr}>" if addr else sender) in shown
            await pilot.press("escape")
            await settle(pilot)

        table.move_cursor(row=0)
        await select_subject(pilot, "Plain customer")
        assert table.get_row_at(table.cursor_row)[1].plain.strip() == "Carol"
