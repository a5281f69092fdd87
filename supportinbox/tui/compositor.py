"""Boxes drawn over a screen (dialogs, toasts) close the isolates of the rows they cover.

A queue row isolates an Arabic name between a first-strong isolate and its pop. A dialog
or a toast over the row covers the pop and leaves the isolate open: a terminal that orders
bidi text (VTE, Konsole, mlterm) read each screen row as one paragraph and took the rest of
it, the box's own row ("a  Claim/release claim"), into the name's right-to-left run.

The pop belongs to the covered row's text, written with it: Textual cuts each screen row
into pieces at every widget's edge and, on a partial update, moves the cursor to the start
of each piece it redraws. A pop at the start of the box's own rows (how it was closed
before) was written just after such a move; a terminal puts a zero-width character into
the cell before the cursor, which belongs to the row beneath: tmux showed "⁩" there in
place of the space, and each redraw of the box added one more. Here the piece of a row
that ends at a box's left edge ends with the pops its open isolates need (:func:`closed`),
so the mark goes out with the covered text's own last cell, once per write of that cell.

Textual builds its compositor in ``Screen.__init__`` and offers no hook; screens of this
app that boxes are drawn on install :class:`Compositor` (:func:`install`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.segment import Segment
from textual._compositor import Compositor as TextualCompositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

from supportinbox.domain.safetext import POP_DIRECTIONAL_ISOLATE

# What opens an isolate: left-to-right, right-to-left and first-strong.
_OPENS = frozenset("\u2066\u2067\u2068")


class Box:
    """A widget drawn over the rows of a screen (a dialog's box, a toast): what it covers
    of a row closes its isolates at its left edge."""


def open_isolates(text: str) -> int:
    """How many isolates ``text`` opens and does not close (a pop with nothing open is nothing)."""
    opened = 0
    for char in text:
        if char in _OPENS:
            opened += 1
        elif char == POP_DIRECTIONAL_ISOLATE and opened:
            opened -= 1
    return opened


def closed(strip: Strip) -> Strip:
    """``strip`` ending with a pop for each isolate it leaves open, in its last segment's style."""
    opened = open_isolates(strip.text)
    if not opened:
        return strip
    segments = list(strip)
    style = segments[-1].style if segments else None
    return Strip([*segments, Segment(POP_DIRECTIONAL_ISOLATE * opened, style)], strip.cell_length)


class Compositor(TextualCompositor):
    """Textual's compositor, with each piece of a row that a :class:`Box` covers next closed."""

    def _render_chops(
        self, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip]]:
        chops = super()._render_chops(crop, is_rendered_line)
        for widget, (region, clip) in self.visible_widgets.items():
            if not isinstance(widget, Box):
                continue
            shown = region.intersection(clip)
            if shown.x <= 0:
                continue
            for y in shown.line_range:
                if y >= len(chops):
                    break
                line = chops[y]
                before = max((x for x in line if x < shown.x), default=None)
                strip = line.get(before) if before is not None else None
                if strip is not None and before is not None:
                    line[before] = closed(strip)  # type: ignore[index]  # a dict: Textual types it read-only
        return chops


def install(screen: Screen[Any]) -> None:
    """Have ``screen`` composed by :class:`Compositor` (before it is first laid out)."""
    screen._compositor = Compositor()
