"""Shared pieces of the TUI tests: a frozen clock and the demo app built by the CLI's factory."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from supportinbox.config import Config, parse_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.widgets.queue_table import QueueTable

if TYPE_CHECKING:
    from tests.harness.dovecot import Dovecot

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SIZE = (120, 40)


P = ParamSpec("P")


def pilot_test(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async Pilot test in its own event loop (the suite has no async plugin)."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def frozen() -> datetime:
    return NOW


def demo_app(config_text: str = "") -> SupportInboxApp:
    """The demo app exactly as ``supportinbox demo`` builds it, at a frozen "now"."""
    from supportinbox.cli.tui_cmds import build_demo_app  # the entry point (not loaded by other tests)

    config = parse_config(config_text) if config_text else Config()
    return build_demo_app(config, now=frozen)


def queue(app: SupportInboxApp) -> QueueTable:
    return app.screen.query_one(QueueTable)


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and the screen catch up (no wall-clock assertions)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def no_blink(app: SupportInboxApp) -> None:
    """Stop cursors blinking so screenshots are the same on every run."""
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False


async def first_conversation(pilot: Pilot[None]) -> None:
    """Move the inbox cursor past the incident rows at the top: they are not conversations."""
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    while screen._current_incident() is not None:
        await pilot.press("j")


async def select_subject(pilot: Pilot[None], text: str) -> None:
    """Move the inbox cursor to the conversation whose subject contains ``text``."""
    app = pilot.app
    assert isinstance(app, SupportInboxApp)
    table = queue(app)
    await pilot.press("g")  # from the top: rows with equal times may come in either order
    for _ in range(table.total):
        current = table.current
        if current is not None and text in current.subject:
            return
        await pilot.press("j")
    raise AssertionError(f"no conversation with {text!r} in the queue")


async def open_conversation(pilot: Pilot[None], subject: str) -> ConversationScreen:
    """Open the thread of the inbox's conversation whose subject contains ``subject``."""
    await select_subject(pilot, subject)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ConversationScreen)
    return screen


async def wait_until(pilot: Pilot[None], condition: Callable[[], bool], rounds: int = 400) -> None:
    """Give the app turns until ``condition`` holds (for apps whose workers never all finish)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not reach the expected state")


@contextlib.asynccontextmanager
async def synced_app(
    home: Path, dovecot: Dovecot, raws: list[bytes], size: tuple[int, int], *, notifications: bool = False
) -> AsyncIterator[tuple[SupportInboxApp, Pilot[None]]]:
    """The app of an account on ``dovecot`` holding ``raws``, built as the CLI builds it and
    running at ``size`` once its first sync is done (no IDLE)."""
    from supportinbox.config import load_config
    from supportinbox.tui.factory import build_app
    from tests.harness.replies import setup_account

    setup = setup_account(home, dovecot, None, raws, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=size, notifications=notifications) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        yield app, pilot


def sharing(app: SupportInboxApp) -> bool:
    """A change is still being shared with the team (a worker of the group "share" runs)."""
    return any(w.group == "share" and not w.is_finished for w in app.workers)


def allow_suspend(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the test driver hand the terminal over (Ctrl+E, $EDITOR), as a real terminal does."""
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda self: True))
    monkeypatch.setattr(HeadlessDriver, "suspend_application_mode", lambda self: None)
    monkeypatch.setattr(HeadlessDriver, "resume_application_mode", lambda self: None)


def editor_script(directory: Path, body: str) -> str:
    """An executable $EDITOR: a shell script running ``body`` on the file given to it."""
    script = directory / "editor.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o700)
    return str(script)
