"""Hand-overs: a conversation given from one person to another, and how often that happened.

Good practice hands a customer over at most once: each hand-over costs them an
explanation. ``assign`` records every hand-over as an internal note that starts with
:data:`PREFIX` (so the team sees who gave it to whom, and why), and the queue counts those
notes: "handed over 2×" is a reason to look at the conversation.
"""

from __future__ import annotations

PREFIX = "Handed over to "


def note_text(to: str, by: str, note: str = "") -> str:
    """The note that records a hand-over."""
    return f"{PREFIX}{to} by {by}" + (f": {note.strip()}" if note.strip() else "")


def reason(count: int) -> str:
    """The queue's reason for a conversation handed over ``count`` times ("" for none)."""
    if count <= 0:
        return ""
    return "handed over once" if count == 1 else f"handed over {count}×"
