"""Editing a reply the outbox keeps again: which ones, and never two replies."""

from __future__ import annotations

import pytest

from supportinbox.app import outbox as outbox_use
from supportinbox.app.context import AccountContext
from supportinbox.config import parse_config
from supportinbox.errors import NotFound, UserError
from supportinbox.store import outbox as outbox_store
from supportinbox.store.db import open_database, utcnow_iso
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG

CONFIG = parse_config(OFFLINE_ACCOUNT_CONFIG)


def _row(conn: object, ident: str, status: str, conversation: str | None = "c1") -> int:
    cursor = conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO outbox(message_id, conversation_id, recipients, raw, status, created_at) "
        "VALUES (?, ?, 'a@b.test', ?, ?, ?)",
        (f"<{ident}@acme.test>", conversation, b"Subject: x\r\n\r\nHello\r\n", status, utcnow_iso()),
    )
    return int(cursor.lastrowid)


def test_only_a_kept_draft_or_a_held_reply_is_reopened() -> None:
    with open_database(account="support") as db:
        name, account = CONFIG.account()
        ctx = AccountContext(db, CONFIG, name, account)
        with db.transaction() as conn:
            queued = _row(conn, "q", "queued")
            failed = _row(conn, "f", "failed")
            forward = _row(conn, "w", "draft", conversation=None)
        for ident in (queued, failed):
            with pytest.raises(UserError, match="may still leave by itself"):
                outbox_use.reopen(ctx, ident)
        with pytest.raises(UserError, match="is a forward"):
            outbox_use.reopen(ctx, forward)
        with pytest.raises(NotFound):
            outbox_use.reopen(ctx, 999)


def test_the_copy_replaces_the_kept_reply_and_never_goes_beside_it() -> None:
    with open_database(account="support") as db:
        name, account = CONFIG.account()
        ctx = AccountContext(db, CONFIG, name, account)
        with db.transaction() as conn:
            kept = _row(conn, "k", "draft")
            copy = _row(conn, "c", "queued")
        outbox_use.replace(ctx, kept, copy)
        assert _status(db, kept) == "cancelled" and _status(db, copy) == "queued"

        # The kept one was sent meanwhile (by hand, elsewhere): the copy is dropped instead.
        with db.transaction() as conn:
            sent = _row(conn, "s", "sent")
            second = _row(conn, "c2", "queued")
        with pytest.raises(UserError, match="was sent meanwhile"):
            outbox_use.replace(ctx, sent, second)
        assert _status(db, sent) == "sent" and _status(db, second) == "cancelled"


def _status(db: object, ident: int) -> str:
    row = outbox_store.get(db.conn, ident)  # type: ignore[attr-defined]
    assert row is not None
    return str(row.status)
