"""How wide terminals draw a line: wcwidth's corrections, measured on each by ucs-detect.

Textual and Rich measure a line once; a terminal that draws one cell more or less moves
every column after it. Tests measure rows as each of these terminals draws them.
"""

from __future__ import annotations

import wcwidth
from rich.cells import cell_len

# Every terminal wcwidth knows but Extraterm, which gives a combining accent a cell of its
# own (e and U+0301 take two there, one everywhere else).
TERMINALS = tuple(t for t in wcwidth.list_term_programs() if t != "extraterm")


def drawn_widths(text: str) -> dict[str, int]:
    """How many cells each terminal draws ``text`` in, and how many Rich measures."""
    widths = {t: wcwidth.width(text, term_program=t, control_codes="ignore") for t in TERMINALS}
    widths["rich"] = cell_len(text)
    return widths


def starts_everywhere_at(line: str, text: str) -> dict[str, int]:
    """The cell at which ``text`` starts in ``line``, as each terminal (and Rich) draws it."""
    return drawn_widths(line[: line.index(text)])
