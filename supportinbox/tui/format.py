"""Small text helpers for the screens: ages, local times, a reply's text reflowed to a pane."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from datetime import datetime

from supportinbox.domain.report import format_seconds
from supportinbox.domain.when import local_time, parse_time

__all__ = ["age", "local_time", "parse_time"]


def age(since: str | None, now: datetime) -> str:
    """How long ago ``since`` was, in the two largest units: ``3d 4h``, ``2h 05m``, ``7m``."""
    moment = parse_time(since)
    if moment is None:
        return "—"
    return format_seconds((now - moment).total_seconds())


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


# A line this long was most likely broken by the writer's editor at 72-78 columns: its
# paragraph goes on on the next line. Shorter lines (a greeting, a sign-off, a signature)
# end where they end.
_FILLED = 60
_OWN_LINE = re.compile(r"^\s*(?:>|[-*•] |\d+[.)] |-- ?$)")


def reflowed(text: str) -> str:
    """``text`` with the lines of each hard-wrapped paragraph joined, for a pane narrower than
    the 72 columns the text was broken at (re-breaking it there would leave every other line
    half empty). Quoted lines, list items, blank lines and short lines keep their breaks; the
    text itself is not changed, only how it is shown."""
    out: list[str] = []
    for line in text.split("\n"):
        if (
            out
            and len(out[-1].rstrip()) >= _FILLED
            and line.strip()
            and not _OWN_LINE.match(out[-1])
            and not _OWN_LINE.match(line)
        ):
            out[-1] = f"{out[-1].rstrip()} {line.lstrip()}"
        else:
            out.append(line)
    return "\n".join(out)
