"""The box every dialog is drawn in."""

from __future__ import annotations

from rich.segment import Segment
from textual.containers import Vertical
from textual.geometry import Region
from textual.strip import Strip

from supportinbox.domain.safetext import POP_DIRECTIONAL_ISOLATE


class Dialog(Vertical):
    """A dialog's box, drawn over a screen whose right-to-left fields it may cover in part.

    A queue row isolates an Arabic name between a first-strong isolate and its pop; a
    dialog over the row covers the pop and leaves the isolate open, and a terminal that
    orders bidi text took the rest of the line, the dialog's own row ("a  Claim/release
    claim"), into the name's right-to-left run. Each row of the box starts with a pop,
    closing whatever the screen beneath left open (a pop with nothing open is nothing).
    """

    def render_lines(self, crop: Region) -> list[Strip]:
        pop = Segment(POP_DIRECTIONAL_ISOLATE)
        return [Strip([pop, *line], line.cell_length) for line in super().render_lines(crop)]
