"""The head of a queue view read for folding: the same rows, in the same order, as the view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.domain import sla
from supportinbox.store import conversations as cv
from supportinbox.store.db import open_database
from supportinbox.store.incident_head import incident_head, queue_summaries
from supportinbox.store.queue import list_queue
from supportinbox.tui.incident_rows import IncidentFolding
from tests.conftest import write_config
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG
from tests.store.factories import add_message

OUTAGES = {
    "sso": ("SSO login broken", "Our SSO login fails since 9:00 with a SAML error."),
    "pdf": ("PDF export fails", "Exporting invoices to PDF fails with error 502."),
}


def test_the_head_is_the_views_incident_rows_in_list_order(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, CONFIG)
    config = load_config()
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_database(account=config.account()[0])
    for n, (key, (subject, body)) in enumerate(OUTAGES.items()):
        for i in range(4):
            add_message(
                db,
                message_id=f"<{key}{i}@c.test>",
                sender=f"{key}{i}@customer{i}.test",
                name=f"Customer {key} {i}",
                subject=subject,
                body=body,
                when=now - timedelta(minutes=90 - 10 * i - n),
            )
    for i in range(5):
        add_message(
            db,
            message_id=f"<q{i}@c.test>",
            sender=f"q{i}@other.test",
            subject=f"Question {i} about our plan",
            body="How do I add a seat?",
            when=now - timedelta(hours=3 + i),
        )
    cv.refresh_conversations(db, config, config.account()[1], now=now)
    first = list_queue(db, status="open", limit=1, now=now)[0]
    cv.set_status(
        db, first.id, "closed", agent="alice", now=now
    )  # a closed report stays in All's head, not Open's

    for view in ("open", "all", "closed"):
        listed = list_queue(db, status=view, limit=100, now=now)
        expected = [s for s in listed if s.band >= sla.BAND_INCIDENT and s.incident_id]
        assert listed[: len(expected)] == expected  # incidents lead the view
        head = incident_head(db, status=view, now=now)
        assert [(m.id, m.incident_id) for m in head] == [(s.id, s.incident_id) for s in expected]
        assert [(m.customer_email, m.unread_count, m.waiting_since, m.sla_level) for m in head] == [
            (s.customer_email, s.unread_count, s.waiting_since, s.sla_level) for s in expected
        ]
        # Reports waiting up to 90 minutes against the default 30-minute first reply.
        assert view == "closed" or any(m.sla_level == sla.LEVEL_BREACHED for m in head)
        ids = [s.id for s in reversed(listed)] + ["gone0000"]
        assert queue_summaries(db, ids, now=now) == list(reversed(listed))
    assert (
        len(incident_head(db, status="all", now=now)) == len(incident_head(db, status="open", now=now)) == 7
    )
    assert incident_head(db, status="closed", now=now) == []
    with pytest.raises(Exception, match="unknown status"):
        incident_head(db, status="nonsense", now=now)
    db.close()


def test_an_incident_row_counts_the_customers_its_reason_counts(supportinbox_home: Path) -> None:
    """One of four reports closed: the row still says the reason's "4 customers", not the 3 left open."""
    write_config(supportinbox_home, CONFIG)
    config = load_config()
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_database(account=config.account()[0])
    subject, body = OUTAGES["sso"]
    for i in range(4):
        add_message(
            db,
            message_id=f"<sso{i}@c.test>",
            sender=f"sso{i}@customer{i}.test",
            subject=subject,
            body=body,
            when=now - timedelta(minutes=60 - 10 * i),
        )
    cv.refresh_conversations(db, config, config.account()[1], now=now)
    first = list_queue(db, status="open", limit=1, now=now)[0]
    cv.set_status(db, first.id, "closed", agent="alice", now=now)

    view = IncidentFolding(
        lambda: len(list_queue(db, status="open", limit=100, now=now)),
        lambda offset, limit: list_queue(db, status="open", offset=offset, limit=limit, now=now),
        lambda: incident_head(db, status="open", now=now),
        lambda ids: queue_summaries(db, ids, now=now),
        set(),
    )
    view.count()
    row = view.page(0, 1)[0]
    incident = view.incident_of(row)
    assert incident is not None and len(incident.members) == 3  # the closed report is not in Open
    assert row.reasons[0].startswith("incident: 4 customers report 'sso login'")
    assert row.customer_name == "4 customers"
    db.close()
