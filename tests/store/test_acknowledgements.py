"""The acknowledgements table: once per conversation, once per customer, dropped when overtaken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from supportinbox.store import acknowledgements as acks
from supportinbox.store import outbox as store
from supportinbox.store.db import open_database

NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def _queue(conn: object, message_id: str, conversation: str = "c1") -> int:
    return store.insert(
        conn,  # type: ignore[arg-type]
        message_id=message_id,
        recipients=["lina@customer.test"],
        subject="Re: Cannot log in",
        raw=b"raw",
        conversation_id=conversation,
    )


def test_once_per_message_and_a_window_per_customer(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.sqlite3") as db, db.transaction() as conn:
        ack = _queue(conn, "<ack@acme.test>")
        assert acks.record(
            conn, message_id="<q@c.test>", conversation_id="c1", customer="Lina@Customer.test",
            outbox_id=ack, reason="it arrived outside business hours",
        )  # fmt: skip
        assert not acks.record(
            conn, message_id="<q@c.test>", conversation_id="c1", customer="lina@customer.test",
            outbox_id=None, reason="again",
        )  # fmt: skip
        assert acks.acknowledged_messages(conn, ["<other@c.test>", "<q@c.test>"])
        assert not acks.acknowledged_messages(conn, ["<other@c.test>"])
        assert acks.is_acknowledgement(conn, ack) and acks.outbox_ids(conn) == {ack}
        assert acks.reason_of(conn, ack) == "it arrived outside business hours"
        long_ago = datetime.now(UTC) - timedelta(days=2)
        assert acks.customer_acknowledged_since(conn, "lina@customer.test", long_ago)
        assert not acks.customer_acknowledged_since(conn, "omar@example.test", long_ago)
        # One a teammate's send step dropped does not count for the customer.
        store.cancel(conn, ack)
        assert not acks.customer_acknowledged_since(conn, "lina@customer.test", long_ago)


def test_overtaken_by_a_reply_on_its_way_or_by_time(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.sqlite3") as db, db.transaction() as conn:
        ack = _queue(conn, "<ack@acme.test>")
        acks.record(
            conn, message_id="<q@c.test>", conversation_id="c1", customer="lina@customer.test",
            outbox_id=ack, reason="r",
        )  # fmt: skip
        fresh = (NOW - timedelta(minutes=5)).isoformat()
        assert acks.overtaken(conn, ack, "c1", queued_at=fresh, now=NOW) is None
        stale = (NOW - timedelta(hours=25)).isoformat()
        assert "too late" in (acks.overtaken(conn, ack, "c1", queued_at=stale, now=NOW) or "")
        reply = _queue(conn, "<reply@acme.test>")
        why = acks.overtaken(conn, ack, "c1", queued_at=fresh, now=NOW)
        assert why == f"reply #{reply} to the conversation is on its way"
        store.cancel(conn, reply)  # the person thought better of it: the acknowledgement may go
        assert acks.overtaken(conn, ack, "c1", queued_at=fresh, now=NOW) is None
