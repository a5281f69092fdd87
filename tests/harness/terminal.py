"""The cells of a terminal that the app's output is written to, as tmux keeps them.

Only what the app writes is read: cursor moves (``CSI row;col H``), new lines and text;
other escape sequences (colours, modes) are skipped. A character of width zero (an isolate
mark, a joiner) goes into the cell before the cursor, after what that cell holds: written
just after a cursor move, it lands in a cell another piece of the screen drew.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

_SEQUENCE = re.compile(r"\x1b\[([0-9;?]*)([@-~])|\x1b[^\[]")


class Terminal:
    """A grid of ``width`` x ``height`` cells, each the text drawn in it ("" behind a wide one)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells = [[" "] * width for _ in range(height)]
        self.x = self.y = 0

    def feed(self, output: str) -> None:
        """Apply what the app wrote."""
        at = 0
        for match in _SEQUENCE.finditer(output):
            self._text(output[at : match.start()])
            at = match.end()
            if match.group(2) == "H":
                row, _, col = (match.group(1) or "1;1").partition(";")
                self.y, self.x = int(row or 1) - 1, int(col or 1) - 1
        self._text(output[at:])

    def _text(self, text: str) -> None:
        for char in text:
            if char == "\n":
                self.y, self.x = min(self.y + 1, self.height - 1), 0
            elif char == "\r":
                self.x = 0
            elif (width := cell_len(char)) == 0:
                if self.x > 0:
                    self.cells[self.y][self.x - 1] += char
            elif self.x + width <= self.width:
                self.cells[self.y][self.x] = char
                if width == 2:
                    self.cells[self.y][self.x + 1] = ""
                self.x += width

    def row(self, y: int) -> str:
        """Row ``y`` as text, what each cell holds in order."""
        return "".join(self.cells[y])
