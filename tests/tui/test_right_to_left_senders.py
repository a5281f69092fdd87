"""An Arabic or Persian display name beside its address in the app's heads (real Dovecot).

A terminal that orders bidi text (VTE, Konsole, mlterm) read a right-to-left name and the
``<address>`` after it as one run: an address starting with digits lent them to the name,
and they were drawn on its other side. The name is a field of its own, isolated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox.tui.screens.conversation import ConversationScreen
from tests.harness.bidi import assert_fields_read_right, drawn
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.tui.support import pilot_test, settle, synced_app

pytestmark = pytest.mark.server

NAME = "سارا محمدی"  # Sara Mohammadi
ADDRESS = "4521@customer.test"
FOR = "مکتب رضا"  # the person a contact form wrote for
FOR_ADDRESS = "77@office.test"


def _lines(widget: Static) -> list[str]:
    return [strip.text.strip() for strip in widget.render_lines(widget.region.reset_offset)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_a_right_to_left_name_reads_beside_its_address_in_the_heads(
    supportinbox_home: Path, dovecot: Dovecot, size: tuple[int, int]
) -> None:
    raw = make_message(
        sender=f"{NAME} <{ADDRESS}>",
        subject="Invoice question",
        message_id="<fa-tui@customer.test>",
        headers={"Reply-To": f"{FOR} <{FOR_ADDRESS}>"},
    )
    async with synced_app(supportinbox_home, dovecot, [raw], size) as (app, pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        (message_head,) = app.screen.query(".message-head").results(Static)
        conversation_head = app.screen.query_one("#conversation-head", Static)
        heads = _lines(message_head) + _lines(conversation_head)
        checked = 0
        for name, address in [(NAME, ADDRESS), (FOR, FOR_ADDRESS)]:
            for line in [line for line in heads if f"<{address}>" in line]:
                assert_fields_read_right(line, [name])
                assert f"{drawn(name, base_dir=None)} <{address}>" in drawn(line), drawn(line)
                checked += 1
        assert checked == 3, heads  # From and Reply-To above the message, the customer in the head
