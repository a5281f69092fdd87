"""Tags on conversations: what a tag may be, and how ``+billing -bug`` reads.

A tag is one short word a person picks (``billing``, ``bug``, ``vip-renewal``, ``فاتورة``):
letters, digits, ``-`` and ``_``, lower-cased, at most :data:`MAX_TAG_CHARS`. Tags travel to
teammates as changes (added, removed) replayed in the server's order, so two people tagging
at once both keep their tag.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supportinbox.errors import UserError

MAX_TAG_CHARS = 32
MAX_TAGS = 20  # per conversation: tags are for finding, not for notes
_TAG = re.compile(r"^[^\W_][\w-]*$")


def normalize_tag(text: str) -> str | None:
    """The tag ``text`` names (NFKC, lower case), or ``None`` if it cannot be one."""
    tag = unicodedata.normalize("NFKC", text.strip()).casefold()
    if not tag or len(tag) > MAX_TAG_CHARS or not _TAG.match(tag):
        return None
    return tag


@dataclass(frozen=True)
class TagChange:
    """Tags to add and to remove, in one step."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    def applied_to(self, tags: Iterable[str]) -> list[str]:
        """``tags`` after this change, sorted."""
        now = set(tags) | set(self.add)
        return sorted(now - set(self.remove))


def parse_changes(words: Sequence[str]) -> TagChange:
    """``["+billing", "-bug", "urgent"]``: a word without a sign is added."""
    add: list[str] = []
    remove: list[str] = []
    for word in words:
        sign, name = (word[0], word[1:]) if word[:1] in "+-" else ("+", word)
        tag = normalize_tag(name)
        if tag is None:
            raise UserError(
                f"{word!r} is not a tag: one word of letters, digits, '-' or '_', "
                f"up to {MAX_TAG_CHARS} characters (e.g. +billing -bug)"
            )
        (add if sign == "+" else remove).append(tag)
    if not add and not remove:
        raise UserError("no tags given: write +TAG to add one, -TAG to remove one")
    both = set(add) & set(remove)
    if both:
        raise UserError(f"{', '.join(sorted(both))}: added and removed at once")
    return TagChange(tuple(dict.fromkeys(add)), tuple(dict.fromkeys(remove)))


def replay(changes: Iterable[TagChange], start: Iterable[str] = ()) -> list[str]:
    """The tags after ``changes`` in order (at most :data:`MAX_TAGS`, the first kept)."""
    tags = list(start)
    for change in changes:
        tags = change.applied_to(tags)
    return tags[:MAX_TAGS]
