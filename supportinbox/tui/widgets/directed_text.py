"""Text of several lines that reads right to left, row by row, where it is written so."""

from __future__ import annotations

from textual.strip import Strip
from textual.widgets import Static

from supportinbox.tui import safe


class DirectedText(Static):
    """A ``Static`` whose rows, with the ``rtl`` class, each read right to left.

    A terminal that orders bidirectional text (VTE, Konsole, mlterm) takes each row as a
    left-to-right paragraph: a wrapped Persian sentence with "Acme Pro" in it read in the
    wrong order, and its closing full stop stood at its start. Isolating the text before
    Textual wraps it would leave the isolate open on a row's end; so each row is isolated
    as it is drawn (:func:`safe.right_to_left_row`), after wrapping and alignment.
    """

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        return safe.right_to_left_row(line) if self.has_class("rtl") else line
