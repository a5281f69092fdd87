"""A network event during an action is a lost connection in words, never "Internal error"."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.modals import ChooseModal, ErrorModal
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, demo_app, pilot_test, settle, wait_until


def _modal(app: SupportInboxApp) -> tuple[str, str]:
    assert isinstance(app.screen, ErrorModal)
    texts = [str(w.render()) for w in app.screen.query("Label, Static")]
    return texts[0], " ".join(texts[1:])


@pilot_test
async def test_a_network_error_no_layer_described_is_shown_as_a_lost_connection() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.show_error(ConnectionResetError(104, "Connection reset by peer"))
        await pilot.pause()
        title, body = _modal(app)
        assert title == "Connection failed" and "Connection reset by peer" in body, body
        assert "Internal error" not in title + body


@pytest.mark.server
@pilot_test
async def test_an_attachment_download_cut_by_the_network(supportinbox_home: Path, dovecot: Dovecot) -> None:
    raw = make_message(subject="Receipt attached", attachment=("receipt.pdf", b"%PDF-1.4 " + b"x" * 5000))
    setup_account(supportinbox_home, dovecot, None, [raw], extra="\n[ui]\nidle = false\n").db.close()
    with FaultProxy(dovecot.imap_port) as proxy:
        own = f"imap_port = {dovecot.imap_port}\n"
        write_config(
            supportinbox_home,
            account_toml(dovecot, extra="\n[ui]\nidle = false\n").replace(own, f"imap_port = {proxy.port}\n"),
        )
        app = build_app(load_config())
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing
            )
            await pilot.press("enter")
            await pilot.pause()
            proxy.set_fault(Fault("cut", trigger=b"BODY[2]", after=100))  # mid-download
            await pilot.press("d")
            await wait_until(pilot, lambda: isinstance(app.screen, ChooseModal))
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
            title, body = _modal(app)
            assert title == "Connection failed", (title, body)
            assert "Internal error" not in body and "IMAP server" in body, body
            assert "cut s2c" in proxy.stats.trips


@pilot_test
async def test_an_internal_error_is_in_the_log_file_the_modal_names(caplog: pytest.LogCaptureFixture) -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        try:
            raise ImportError("cannot import name 'form_subject'")
        except ImportError as exc:
            error = exc
        with caplog.at_level(logging.ERROR, logger="supportinbox"):
            app.show_error(error)
            await pilot.pause()
        title, body = _modal(app)
        assert title == "Internal error" and "Details are in" in body
        (record,) = [r for r in caplog.records if r.name.startswith("supportinbox")]
        assert record.exc_info is not None and record.exc_info[1] is error
        assert "cannot import name 'form_subject'" in caplog.text and "Traceback" in caplog.text
