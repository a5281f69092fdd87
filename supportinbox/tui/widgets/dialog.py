"""The box every dialog is drawn in."""

from __future__ import annotations

from textual.containers import Vertical
from textual.geometry import Region
from textual.strip import Strip

from supportinbox.tui import safe


class Dialog(Vertical):
    """A dialog's box, drawn over a screen whose right-to-left fields it may cover in part:
    each of its rows closes what the screen beneath left open (:func:`safe.closing_isolates_beneath`)."""

    def render_lines(self, crop: Region) -> list[Strip]:
        return safe.closing_isolates_beneath(super().render_lines(crop))
