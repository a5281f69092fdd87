"""A line as a terminal that orders bidirectional text draws it (VTE, Konsole, mlterm).

Such a terminal runs the Unicode bidi algorithm over each line as one left-to-right
paragraph. Tests compare what it draws in each column with what that column's text
alone reads as: an Arabic name must not take the place of the subject beside it.
"""

from __future__ import annotations

import re

from bidi import get_display
from rich.cells import cell_len

_ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))


def drawn(line: str, *, base_dir: str | None = "L") -> str:
    """``line`` in the order such a terminal draws it, left to right, marks left out.

    ``base_dir=None`` reads a text alone: its direction is that of its first letter.
    """
    return str(get_display(line, base_dir=base_dir)).translate(_ISOLATES)


def logical(line: str) -> str:
    """``line`` as written, isolate marks left out."""
    return line.translate(_ISOLATES)


def column_starts(header: str, names: list[str]) -> list[int]:
    """The terminal cell at which each of ``names`` starts in ``header``."""
    return [cell_len(header[: header.index(name)]) for name in names]


def split_cells(line: str, starts: list[int]) -> list[str]:
    """``line`` cut into the stretches of cells from each start to the next.

    A zero-width character (a non-joiner, a combining mark) stays with the one before it.
    """
    pieces = [""] * len(starts)
    index, width = -1, 0
    for char in line:
        cells = cell_len(char)
        while cells and index + 1 < len(starts) and width >= starts[index + 1]:
            index += 1
        if index >= 0:
            pieces[index] += char
        width += cells
    return pieces


def assert_columns_read_right(line: str, starts: list[int]) -> None:
    """Each column of ``line`` is drawn within its own cells, reading as its text alone would."""
    written = split_cells(logical(line), starts)
    shown = split_cells(drawn(line), starts)
    assert len(written) == len(shown) == len(starts), (written, shown)
    for text, seen in zip(written, shown, strict=True):
        assert seen.strip() == drawn(text.strip(), base_dir=None), f"drawn {drawn(line)!r}"


# A field the output isolated: right-to-left letters between a first-strong isolate and its
# pop on one line, with no other isolate mark between them.
_ISOLATED_FIELD = re.compile(
    "\u2068([^\u2066-\u2069\n]*[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe][^\u2066-\u2069\n]*)\u2069"
)


def without_isolated_fields(text: str) -> str:
    """``text`` with the isolates our output puts around right-to-left fields taken out.

    What is left must hold no bidi control at all: any other one came from mail. A field
    may hold an isolated field of its own (a name isolated beside its address, the whole
    sender isolated on a line of several fields): pairs are taken out innermost first.
    """
    while True:
        peeled = _ISOLATED_FIELD.sub(r"\1", text)
        if peeled == text:
            return text
        text = peeled


_FIELD = re.compile("\u2068([^\u2068\u2069\n]*)\u2069")


def assert_fields_read_right(line: str, fields: list[str]) -> None:
    """``line``, built of ``fields`` and words around them, each field isolated and drawn in its place.

    A terminal that orders bidi text must draw every field as it reads alone, where it is
    written, and the words around it in their order: an Arabic name beside an Arabic
    subject must not swap places with it, nor a note take the words after it.
    """
    for text in fields:
        assert f"\u2068{text}\u2069" in line, f"{text!r} is not isolated in {line!r}"
    expected = _FIELD.sub(lambda m: drawn(m.group(1), base_dir=None), line)
    assert drawn(line) == logical(expected), f"drawn {drawn(line)!r}"
