"""Every full screen shares one base: the typed app, and re-reading the cache when the app says
it changed (a message to each screen on the stack, not a lookup of methods by name)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil

from textual.screen import ModalScreen, Screen

from supportinbox.store import conversations
from supportinbox.tui import screens
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.queue_table import QueueTable
from tests.tui.support import SIZE, demo_app, first_conversation, pilot_test, queue, settle, wait_until


def _screen_classes() -> list[type[Screen[object]]]:
    found: list[type[Screen[object]]] = []
    for info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"{screens.__name__}.{info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def test_every_full_screen_is_an_app_screen() -> None:
    classes = _screen_classes()
    full = [cls for cls in classes if not issubclass(cls, ModalScreen)]
    assert len(full) >= 8, full
    assert [cls for cls in full if not issubclass(cls, AppScreen)] == []
    # The property lives in the base only.
    assert [cls for cls in classes if "inbox_app" in vars(cls) and cls is not AppScreen] == []


@pilot_test
async def test_a_change_of_the_cache_reaches_the_screens_below_the_top() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        inbox = app.screen
        before = queue(app).total
        current = queue(app).current
        assert current is not None and current.status == "open"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)

        def close_it() -> None:  # another process (the command line, a sync) closes it
            with app.service.writer() as db:
                conversations.set_status(db, current.id, "closed", agent="bob", now=app.service.now())

        await asyncio.to_thread(close_it)
        table = inbox.query_one(QueueTable)
        assert table.total == before  # nothing re-read it yet
        app.refresh_views()
        await wait_until(pilot, lambda: table.total == before - 1)
