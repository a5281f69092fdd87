"""A cache rebuilt by ``supportinbox cache rebuild`` in another terminal while the app is open:
the app reads the new file at its next look, and says so once."""

from __future__ import annotations

import os
import sqlite3

import pytest

from supportinbox.store.conversations import rebuild_conversations
from supportinbox.store.db import open_database
from supportinbox.tui.app import SupportInboxApp
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle

REFUND = "Charged twice for the annual plan"


def _rebuild_elsewhere_without(app: SupportInboxApp, conversation_id: str) -> None:
    """What the rebuild does to the file: a new cache (here the old one's rows but the
    conversation's mail) renamed over the old one, while the app holds it open."""
    service = app.service
    path = service.db_path
    fresh = path.with_name(path.name + ".rebuild")
    source, copy = sqlite3.connect(path), sqlite3.connect(fresh)
    source.backup(copy)
    source.close()
    copy.close()
    with open_database(fresh) as db:
        with db.transaction() as tx:
            tx.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
        rebuild_conversations(db, service.config, service.account, now=service.now())
    os.replace(fresh, path)


def _said(app: SupportInboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Cache"]


@pilot_test
async def test_a_cache_rebuilt_elsewhere_is_read_at_the_next_look_and_said_once() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, REFUND)
        refund = queue(app).current
        assert refund is not None
        before = queue(app).total
        app._poll_cache()  # nothing changed: nothing said
        await settle(pilot)
        assert _said(app) == []

        _rebuild_elsewhere_without(app, refund.id)
        app._poll_cache()  # what the app's two-second timer calls
        await settle(pilot)
        # Asked at once: a toast leaves after its time, and walking the queue takes a while.
        assert _said(app) == ["The cache was rebuilt by 'supportinbox cache rebuild': showing the new one."]
        app._poll_cache()  # the same file again: said once only
        await settle(pilot)
        assert len(_said(app)) == 1
        assert queue(app).total == before - 1
        with pytest.raises(AssertionError, match="no conversation"):
            await select_subject(pilot, REFUND)
        assert app.is_running
