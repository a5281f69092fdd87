"""Subjects and file names that look like Textual markup stay text in the app (real Dovecot).

Toasts read their message as markup unless told otherwise: a subject such as
``[@click=app.quit]Hi`` became a clickable action in the "Closed: ..." toast, a stray
``[/]`` crashed the app, and an attachment named ``invoice [b=;.pdf`` crashed it on the
"Saved to ..." toast. Each attack is replayed on the app built by the CLI's own factory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets._toast import Toast

from supportinbox.config import load_config
from supportinbox.tui import safe
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.modals import ChooseModal
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, queue, select_subject, wait_until

pytestmark = pytest.mark.server

QUIT = "[@click=app.quit]Hi"
SCREENSHOT = "[@click=app.screenshot('../pwned')]Hello"
STRAY_CLOSE = "Invoice [/] question"
ATTACHMENT = "invoice [b=;.pdf"


def _toasts(app: SupportInboxApp) -> list[Toast]:
    return list(app.screen.query(Toast))


def _actions_in(toast: Toast) -> list[object]:
    """Click actions attached to any span of the toast as it renders."""
    found = []
    rendered = toast.render()
    assert isinstance(rendered, safe.IsolatedRows)
    for span in rendered.content.spans:
        style = span.style
        meta = getattr(style, "meta", None) or {}
        if "@click" in meta or "@click" in str(style):
            found.append(style)
    return found


async def _close_and_click_toast(pilot: Pilot[None], app: SupportInboxApp, subject: str) -> None:
    """Close the conversation, then click the "Closed: ..." toast where the subject is drawn."""
    await select_subject(pilot, subject)
    await pilot.press("c")
    await wait_until(pilot, lambda: any("Closed:" in t.render().plain for t in _toasts(app)))
    toast = next(t for t in _toasts(app) if "Closed:" in t.render().plain)
    lines = toast.render().plain.split("\n")
    assert any(f"Closed: {subject}" in line for line in lines), lines
    assert _actions_in(toast) == []
    row = next(i for i, line in enumerate(lines) if "Closed:" in line)
    column = lines[row].index("Closed:") + len("Closed: ") + 1
    region = toast.content_region
    await pilot.click(offset=(region.x + column, region.y + row))
    await pilot.pause()
    assert app.is_running and app.return_code is None


@pilot_test
async def test_markup_in_subjects_and_file_names_is_shown_not_run(
    supportinbox_home: Path, dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work" / "inner"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(work))
    # Different questions: the default "I cannot log in" body from several customers at once
    # would be an incident, folded into one row of the queue.
    raws = [
        make_message(
            sender="Ann <ann@customer.test>", subject=QUIT, message_id="<m1@customer.test>", body="Hi."
        ),
        make_message(
            sender="Bo <bo@customer.test>", subject=SCREENSHOT, message_id="<m2@customer.test>", body="Hello."
        ),
        make_message(
            sender="Cy <cy@customer.test>",
            subject=STRAY_CLOSE,
            message_id="<m3@customer.test>",
            body="A question.",
        ),
        make_message(
            sender="Di <di@customer.test>",
            subject="Receipt attached",
            message_id="<m4@customer.test>",
            attachment=(ATTACHMENT, b"%PDF-1.4 receipt"),
        ),
    ]
    setup = setup_account(supportinbox_home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    screenshots: list[tuple[object, ...]] = []
    monkeypatch.setattr(app, "deliver_screenshot", lambda *args, **kw: screenshots.append((args, kw)))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        assert queue(app).total == 4

        await _close_and_click_toast(pilot, app, SCREENSHOT)
        assert screenshots == []
        assert not list(tmp_path.rglob("pwned*"))
        # Every screen and modal that shows the subject: the thread, its headers, the note
        # and spam modals, the reply picker. None may crash on "[/]".
        await select_subject(pilot, STRAY_CLOSE)
        steps = (("enter", "H"), ("n",), ("escape", "exclamation_mark"), ("n", "r"), ("escape", "escape"))
        for keys in steps:
            await pilot.press(*keys)
            await pilot.pause()
            shown = "\n".join(str(w.render()) for w in app.screen.query("Static"))
            assert "[/]" in shown or keys == ("escape", "escape"), keys
        assert app.is_running and app.return_code is None
        await _close_and_click_toast(pilot, app, STRAY_CLOSE)
        await _close_and_click_toast(pilot, app, QUIT)

        await select_subject(pilot, "Receipt attached")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ChooseModal))
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Saved to" in t.render().plain for t in _toasts(app)))
        toast = next(t for t in _toasts(app) if "Saved to" in t.render().plain)
        (saved,) = list(app.service.attachments_dir().iterdir())
        assert saved.read_bytes() == b"%PDF-1.4 receipt"
        assert "[" in saved.name  # the name is kept: it is the toast that must cope with it
        assert f"Saved to {saved}" in toast.render().plain.replace("\n", "")
        assert _actions_in(toast) == []
        await pilot.pause()
        assert app.is_running and app.return_code is None
