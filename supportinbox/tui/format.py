"""Small text helpers for the screens: ages and local times."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime

from supportinbox.domain.when import age_words, local_time, parse_time

__all__ = ["age", "local_time", "parse_time"]


def age(since: str | None, now: datetime) -> str:
    """How long ago ``since`` was, in the two largest units: ``3d 4h``, ``2h 05m``, ``7m``;
    ``just now`` within the first minute (:func:`~supportinbox.domain.when.age_words`)."""
    moment = parse_time(since)
    if moment is None:
        return "—"
    return age_words(now - moment)


# Tag colours: theme variables only, one per tag, the same on every start and machine.
TAG_COLOURS = ("$accent", "$success", "$warning", "$secondary", "$primary", "$text-accent")


def tag_style(tag: str) -> str:
    """The style a tag is always shown in (picked by a stable hash of its name)."""
    return f"bold {TAG_COLOURS[zlib.crc32(tag.encode('utf-8')) % len(TAG_COLOURS)]}"


def tag_parts(tags: Iterable[str]) -> list[tuple[str, str]]:
    """``#billing #bug`` as (text, style) pieces for :func:`supportinbox.tui.safe.assemble`."""
    parts: list[tuple[str, str]] = []
    for tag in tags:
        if parts:
            parts.append((" ", ""))
        parts.append((f"#{tag}", tag_style(tag)))
    return parts
