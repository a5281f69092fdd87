"""Text of several lines that reads right to left, row by row, where it is written so."""

from __future__ import annotations

from textual.geometry import Offset
from textual.strip import Strip
from textual.widgets import Static, TextArea

from supportinbox.domain.safetext import is_rtl
from supportinbox.tui import safe


class DirectedText(Static):
    """A ``Static`` whose rows, with the ``rtl`` class, each read right to left.

    A terminal that orders bidirectional text (VTE, Konsole, mlterm) takes each row as a
    left-to-right paragraph: a wrapped Persian sentence with "Acme Pro" in it read in the
    wrong order, and its closing full stop stood at its start. Isolating the text before
    Textual wraps it would leave the isolate open on a row's end; so each row is isolated
    as it is drawn (:func:`safe.right_to_left_row`), after wrapping and alignment.
    Such text is aligned to the right, where it starts.
    """

    DEFAULT_CSS = """
    DirectedText.rtl {
        text-align: right;
    }
    """

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        return safe.right_to_left_row(line) if self.has_class("rtl") else line


class DirectedTextArea(TextArea):
    """A ``TextArea`` whose paragraphs written right to left read right to left, row by row.

    Each row of a paragraph (a line of the text, wrapped) whose first letter is written
    right to left is isolated as right-to-left when drawn (:func:`safe.right_to_left_row`):
    a terminal that orders bidi text then draws an Arabic or Persian reply as it is read,
    its full stop at its left end and "Acme Pro 2.4" in its place, where it drew each row
    as a left-to-right paragraph. The text itself, what is saved and sent, is as typed.
    """

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        document = self.wrapped_document
        row = self.scroll_offset.y + y
        if not self.text or row >= document.height:
            return line
        index, _ = document.offset_to_location(Offset(0, row))
        return safe.right_to_left_row(line) if is_rtl(self.document[index]) else line
