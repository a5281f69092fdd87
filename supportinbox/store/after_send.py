"""What a template asks for once its reply is sent: a follow-up (``followup: 3d``), tags.

Remembered on the queued reply (``outbox.after_followup``, ``outbox.after_tags``) and
applied once when it has gone out, so a reply that is never sent promises nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from supportinbox.domain.tags import TagChange, normalize_tag
from supportinbox.domain.when import day_words, now_utc
from supportinbox.store.db import Database
from supportinbox.store.followups import set_followup
from supportinbox.store.tags import change_tags

if TYPE_CHECKING:
    # Templates (Jinja2, YAML) load where a reply is written, not where one is sent.
    from supportinbox.domain.templates import Template


def remember(db: Database, outbox_id: int, template: Template) -> None:
    """Keep the template's follow-up and tags with its queued reply."""
    span = str(int(template.followup.total_seconds())) if template.followup else None
    tags = " ".join(dict.fromkeys(t for t in map(normalize_tag, template.tags) if t)) or None
    if span is None and tags is None:
        return
    with db.transaction() as tx:
        tx.execute(
            "UPDATE outbox SET after_followup = ?, after_tags = ? WHERE id = ?", (span, tags, outbox_id)
        )


def pending(db: Database, outbox_id: int) -> bool:
    """Whether a sent reply still has a follow-up or tags to apply."""
    row = db.conn.execute(
        "SELECT after_followup, after_tags FROM outbox WHERE id = ?", (outbox_id,)
    ).fetchone()
    return bool(row and (row[0] or row[1]))


def apply(
    db: Database, outbox_id: int, conversation_id: str, *, agent: str, now: datetime | None = None
) -> None:
    """Set what the sent reply's template asked for, once (cleared first: never twice)."""
    row = db.conn.execute(
        "SELECT after_followup, after_tags, template FROM outbox WHERE id = ?", (outbox_id,)
    ).fetchone()
    if not row or not (row[0] or row[1]):
        return
    moment = now_utc(now)
    with db.transaction() as tx:
        tx.execute("UPDATE outbox SET after_followup = NULL, after_tags = NULL WHERE id = ?", (outbox_id,))
    if row[1]:
        change_tags(db, conversation_id, TagChange(tuple(str(row[1]).split())), agent=agent, now=moment)
    if row[0]:
        sent = moment.astimezone()
        # Named, not "your": the reason travels to every teammate with the follow-up.
        note = f"promised in {agent}'s reply '{row[2] or 'reply'}' of {day_words(sent)}"
        due = moment + timedelta(seconds=int(row[0]))
        set_followup(db, conversation_id, due, note, agent=agent, now=moment)
