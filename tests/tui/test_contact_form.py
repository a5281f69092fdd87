"""A contact form in the TUI: the queue, the conversation and the reply name the person."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import SIZE, pilot_test, queue, settle, wait_until


@pytest.mark.server
@pilot_test
async def test_contact_form_is_lina_in_the_queue_the_header_and_the_greeting(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    form = make_message(
        sender="Acme Website <noreply@acme.test>",
        subject="New message from the contact form",
        message_id="<form-tui@acme.test>",
        body="Name: Lina Haddad\nMessage: I cannot log in since this morning.",
        headers={"Reply-To": "Lina Haddad <lina@customer.test>"},
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [form], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await settle(pilot)
        current = queue(app).current
        assert current is not None
        assert (current.customer_name, current.customer_email) == ("Lina Haddad", "lina@customer.test")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        header = " ".join(str(w.render()) for w in app.screen.query("Static, Label"))
        assert "lina@customer.test" in header
        (head,) = [str(w.render()) for w in app.screen.query(".message-head")]
        assert "Acme Website <noreply@acme.test>  Reply-To: Lina Haddad <lina@customer.test>" in head
        await pilot.press("r", *"login")
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickerScreen)
        preview = str(app.screen.query_one("#preview").render())
        head = str(app.screen.query_one("#preview-head").render())
        assert "lina@customer.test" in head and "noreply@" not in head
        assert "Hi Lina," in preview and "Hi Acme" not in preview
