"""Hand-overs: a conversation given from one person to another, and how often that happened.

Good practice hands a customer over at most once: each hand-over costs them an
explanation. ``assign`` records every hand-over as an internal note that starts with
:data:`PREFIX` (so the team sees who gave it to whom, and why), and the queue counts those
notes: "handed over 2×" is a reason to look at the conversation.
"""

from __future__ import annotations

PREFIX = "Handed over to "


def note_text(to: str, by: str, note: str = "", *, held_by: str | None = None) -> str:
    """The note that records a hand-over: "Handed over to bob by alice"; one taken over by
    whoever writes it from the teammate ``held_by``: "Handed over to bob from alice"."""
    who = f"from {held_by}" if to == by and held_by else f"by {by}"
    return f"{PREFIX}{to} {who}" + (f": {note.strip()}" if note.strip() else "")


def is_handover(to: str, by: str, held_by: str | None) -> bool:
    """Whether giving the conversation to ``to`` changes hands: not when ``to`` holds it
    already, nor when ``by`` takes one nobody holds (that is a claim)."""
    return to != held_by and not (to == by and held_by is None)


def reason(count: int) -> str:
    """The queue's reason for a conversation handed over ``count`` times ("" for none)."""
    if count <= 0:
        return ""
    return "handed over once" if count == 1 else f"handed over {count}×"
