"""The one way text reaches Textual: as inert ``Content``, never as markup.

Textual reads markup in a plain ``str`` almost everywhere: ``notify``, ``Static``,
``Label``, ``update``, tab and option labels, DataTable cells, tooltips and the command
palette. Markup in a customer's subject is styling at best, a click action
(``[@click=app.quit]``, ``[@click=app.screenshot('../.bashrc')]``) or a crash (``[/]``)
at worst. And ``Content`` keeps escape sequences a terminal would act on.

So in ``supportinbox/tui`` every visual is built here, from text with escapes, control
characters and bidi overrides removed (:mod:`supportinbox.domain.safetext`), as a
``textual.content.Content``, which Textual never parses. No other module of the TUI
builds a ``Content`` or ``Text``, and widgets are handed what these functions return or
a literal (``tests/tui/test_safe_path.py`` checks the source). Toasts take a ``str``:
``SupportInboxApp.notify`` passes every message and title through :func:`plain_text`
and :func:`plain` and never lets Textual read markup in them. The command palette
always parses its help text as markup, so that text goes through :func:`escape_markup`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.visual import Visual

from supportinbox.domain import safetext
from supportinbox.domain.safetext import (
    FIRST_STRONG_ISOLATE,
    LEFT_TO_RIGHT_ISOLATE,
    POP_DIRECTIONAL_ISOLATE,
    RIGHT_TO_LEFT_ISOLATE,
    clean,
    has_right_to_left,
    is_rtl,
    one_line,
    steady_line,
)

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.strip import Strip
    from textual.style import Style
    from textual.visual import RenderOptions

Part = Content | str | tuple[str, str]
"""A piece of :func:`assemble`: inert content, text, or (text, style)."""


def text(value: str | None, *, style: str = "") -> Content:
    """Text of several lines (a body, a note, an error) as inert content."""
    return Content.styled(clean(value), style) if style else Content(clean(value))


def line(value: str | None, *, limit: int | None = None, style: str = "") -> Content:
    """One line (a subject, a name, a file name): white space folded, cut to ``limit`` cells.

    ``limit`` counts terminal cells as Textual lays them out, not characters: a Persian
    zero-width non-joiner takes none, a Japanese or Chinese character two. Cut by
    characters, a CJK subject overflowed its column and lost its "…" to the table's crop,
    and a Persian one was cut short of its column's end.

    A line with right-to-left letters is isolated once cut (:func:`isolate`): beside the
    other cells of a row it stays in its own place on a terminal that orders such text.
    Emoji sequences terminals draw at different widths take their steady form
    (:func:`cells.steady`): measured two cells and drawn four, 👩‍💻 moved every column after it.
    """
    folded = steady_line(value)
    content = Content.styled(folded, style) if style else Content(folded)
    if limit is not None:
        content = content.truncate(max(limit, 0), ellipsis=True)
    if not has_right_to_left(content.plain):
        return content
    return Content(FIRST_STRONG_ISOLATE) + content + Content(POP_DIRECTIONAL_ISOLATE)


def title(label: str, value: str | None, *, limit: int | None = 50, missing: str = "(no subject)") -> Content:
    """A dialog's title naming a conversation or a person: ``label`` in bold, then ``value``
    as a field of its own (:func:`line`: isolated, cut to ``limit`` cells), or ``missing``.

    Isolated together with its label, an Arabic subject took the label's direction: a
    terminal that orders bidi text drew its halves around "PayPal" the wrong way round.
    """
    named = line(value, limit=limit)
    return (Content(clean(label)) + (named if named.plain else Content(missing))).stylize("bold")


def right_to_left_row(row: Strip) -> Strip:
    """A drawn row of right-to-left text with its text (not the space around it) isolated as such.

    The row is already wrapped and aligned: the spaces before and after the text stay
    outside the isolate, so right-aligned text stays at the right.
    """
    text = row.text
    if not has_right_to_left(text):
        return row
    start = len(text) - len(text.lstrip(" "))
    end = row.cell_length - (len(text) - len(text.rstrip(" ")))
    return Strip.join(
        [
            row.crop(0, start),
            Strip([Segment(RIGHT_TO_LEFT_ISOLATE)]),
            row.crop(start, end),
            Strip([Segment(POP_DIRECTIONAL_ISOLATE)]),
            row.crop(end, row.cell_length),
        ]
    )


def isolated_rows(rows: Sequence[Content]) -> list[Content]:
    """Rows of wrapped text, each isolated field closed where a row ends and opened again
    where the next row begins.

    A terminal that orders bidi text reads each row as a paragraph of its own. A field a
    line isolates (the subject of "Closed: …") wrapped over rows left its isolate open on
    the first row, taking what follows there into its run, and its other rows bare: an
    Arabic subject's halves around "PayPal" changed places. A field that spans rows opens
    on each with its own direction (a right-to-left or left-to-right isolate, from its first
    strong letter, as the first-strong isolate finds it on one row); one within a row stays.
    """
    text = "\n".join(row.plain for row in rows)
    # Where each isolate opened on one row and closed on a later one ends, and the mark that opens it.
    spans_rows: dict[int, str] = {}
    opened: list[int] = []
    for index, char in enumerate(text):
        if char == FIRST_STRONG_ISOLATE:
            opened.append(index)
        elif char == POP_DIRECTIONAL_ISOLATE and opened:
            start = opened.pop()
            if "\n" in text[start:index]:
                spans_rows[start] = _direction(text[start + 1 : index])
    for start in opened:
        if "\n" in text[start:]:
            spans_rows[start] = _direction(text[start + 1 :])
    if not spans_rows:
        return list(rows)
    out: list[Content] = []
    still_open: list[str] = []  # the marks that open what a row leaves open, outermost first
    offset = 0
    for row in rows:
        plain = row.plain
        reopen = "".join(still_open)
        pieces: list[Content] = []
        last = 0
        for index, char in enumerate(plain):
            if char == FIRST_STRONG_ISOLATE:
                mark = spans_rows.get(offset + index)
                if mark is not None:
                    pieces += [row[last:index], Content(mark)]
                    last = index + 1
                still_open.append(mark or FIRST_STRONG_ISOLATE)
            elif char == POP_DIRECTIONAL_ISOLATE and still_open:
                still_open.pop()
        end = len(plain.rstrip(" "))
        pieces += [row[last:end], Content(POP_DIRECTIONAL_ISOLATE * len(still_open)), row[end:]]
        out.append(Content(reopen) + Content("").join(pieces))
        offset += len(plain) + 1
    return out


def _direction(field: str) -> str:
    return RIGHT_TO_LEFT_ISOLATE if is_rtl(field) else LEFT_TO_RIGHT_ISOLATE


class _LaidOutHere(Visual):
    """A visual this module lays out in rows at the width it is shown in (Textual would
    wrap it otherwise), the rows kept for the last width."""

    _laid_out: tuple[int, Content] | None = None

    def _rows(self, width: int) -> list[Content]:
        raise NotImplementedError

    def at(self, width: int) -> Content:
        """The rows at ``width`` cells."""
        if self._laid_out is None or self._laid_out[0] != width:
            self._laid_out = (width, Content("\n").join(self._rows(width)))
        return self._laid_out[1]

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        pad = options.rules.get("line_pad", 0) * 2
        return self.at(max(width - pad, 1)).render_strips(width, height, style, options)

    def get_height(self, rules: RulesMap, width: int) -> int:
        pad = rules.get("line_pad", 0) * 2
        return self.at(max(width - pad, 1)).get_height(rules, width)


class IsolatedRows(_LaidOutHere):
    """Text wrapped at the width it is shown in, with its fields isolated row by row
    (:func:`isolated_rows`): a toast's message."""

    def __init__(self, content: Content) -> None:
        self.content = content

    def __str__(self) -> str:
        return self.plain

    @property
    def plain(self) -> str:
        """The text, as it reads at any width wide enough."""
        return self.content.plain

    def _rows(self, width: int) -> list[Content]:
        return isolated_rows(self.content.wrap(width))

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)


def column(label: str | None) -> Text:
    """A DataTable column label: DataTable reads markup in a ``str`` label and takes no Content."""
    return cell(label)


def cell(value: str | None, *, limit: int | None = None) -> Text:
    """A cell of a Rich ``Table`` (which reads markup in a ``str``): one inert line, isolated."""
    return Text(safetext.field(value, limit=limit), end="")


def heading(value: str | None, *, style: str = "bold") -> Text:
    """A title line over a Rich renderable (the first of a ``Group``): one inert line, ended."""
    return Text(safetext.field(value), style=style)


def terminal_line(value: str | None) -> Text:
    """A line printed on the terminal once the app has ended (Textual prints renderables there)."""
    return cell(value)


def assemble(*parts: Part) -> Content:
    """Pieces of text and styled text in a row; every piece of text is made inert."""
    pieces: list[Content | str | tuple[str, str]] = []
    for part in parts:
        if isinstance(part, Content):
            pieces.append(part)
        elif isinstance(part, str):
            pieces.append(clean(part))
        else:
            pieces.append((clean(part[0]), part[1]))
    return Content.assemble(*pieces)


def join(separator: str, parts: Iterable[Content]) -> Content:
    """Inert pieces with ``separator`` between them."""
    return Content(clean(separator)).join(parts)


def plain(value: str | None, *, limit: int | None = None) -> str:
    """One inert line as a ``str``, for Textual calls that take text but never parse it."""
    return steady_line(value, limit=limit)


def plain_text(value: str | None) -> str:
    """Inert text of several lines as a ``str`` (a toast's message).

    The isolates around the fields it is built of stay (:func:`isolated`): a toast says
    "Closed: <subject>", and an Arabic subject must not take the words around it.
    """
    return clean(value, isolates=True)


def isolated(value: str | None, *, limit: int | None = None) -> str:
    """A name, a subject or a note as one field of a toast's message (see :func:`safetext.field`)."""
    return safetext.field(value, limit=limit)


def escape_markup(value: str | None) -> str:
    """Text for a Textual call that always parses markup (the command palette's help).

    Textual's own ``escape`` only escapes brackets that look like a tag to it, and misses
    some its parser still reads (``[b=;``, ``[$x]``, ``[B]``). Textual's parser reads every
    ``[`` not preceded by a backslash as the start of a tag, and turns ``\\[`` back into
    ``[``: so every ``[`` is escaped, and a backslash in front of one stays a backslash.
    """
    return one_line(value).replace("[", "\\[")


@dataclass(frozen=True)
class Field:
    """A piece of a head line that is never broken across lines while a line can hold it
    (a name with its address, ``waiting 3h 00m``, ``follow-up due Mon 14 Dec``)."""

    content: Content
    before: str = " · "
    """What joins it to the field before it on the same line (dropped at a line's start)."""


def field(*parts: Part, before: str = " · ") -> Field:
    """A :class:`Field` of inert pieces (as :func:`assemble` takes them)."""
    return Field(assemble(*parts), clean(before))


@dataclass(frozen=True)
class Row:
    """Fields that make one line when the width allows; the lines it breaks into after the
    first are indented by ``hang`` cells (under the text after a lead such as ``Why: ``)."""

    fields: tuple[Field, ...]
    hang: int = 0
    joint_style: str = ""
    """The style of what joins the fields (the colour of the text around it, say)."""

    def joint(self, f: Field) -> Content:
        return Content.styled(f.before, self.joint_style) if self.joint_style else Content(f.before)


def row(*fields: Field, hang: int = 0, joint_style: str = "") -> Row:
    """A :class:`Row` of fields (empty fields are left out)."""
    return Row(tuple(f for f in fields if f.content.cell_length), hang, joint_style)


class FieldLines(_LaidOutHere):
    """Rows of fields laid out at the width they are shown in, broken between fields.

    Textual wraps text at any white space, a non-breaking space included (its wrap takes
    ``\\S+`` as a word, and U+00A0 is white space to Python), and :func:`line` folds a
    non-breaking space into a plain one: so no character can hold ``Mon 14 Dec`` or a
    customer's name together on a line. Laid out here, a line breaks only between
    fields; a field wider than a whole line is the one thing wrapped by words.
    """

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = tuple(r for r in rows if r.fields)

    def __str__(self) -> str:
        return self.plain

    @property
    def plain(self) -> str:
        """The text, each row on one line (as it reads at any width wide enough)."""
        return "\n".join(_one_line(r).plain for r in self.rows)

    def _rows(self, width: int) -> list[Content]:
        return [line for r in self.rows for line in _lay_out(r, width)]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((_one_line(r).cell_length for r in self.rows), default=0) + rules.get("line_pad", 0) * 2


class HangingLines(_LaidOutHere):
    """Lines of text each wrapped at the width they are shown in, a line's further rows
    indented by its hang (under its text, past a list marker): a hard-wrapped list item
    reads line by line as written, and no wrapped row passes for a line of its own."""

    def __init__(self, lines: Sequence[tuple[str, int]]) -> None:
        self.lines = tuple((clean(value), hang) for value, hang in lines)

    def __str__(self) -> str:
        return self.plain

    @property
    def plain(self) -> str:
        """The text, each line on one line (as it reads at any width wide enough)."""
        return "\n".join(value for value, _ in self.lines)

    def _rows(self, width: int) -> list[Content]:
        width = max(width, 1)
        rows: list[Content] = []
        for value, hang in self.lines:
            lead = value[:hang] if 0 < hang < width // 2 else ""
            rest = Content(value[len(lead) :])
            if not lead or rest.cell_length <= width - len(lead):
                rows.extend(Content(value).wrap(width) or [Content("")])
                continue
            pieces = [piece.rstrip() for piece in rest.wrap(width - len(lead))] or [Content("")]
            rows.append(Content(lead) + pieces[0])
            rows.extend(Content(" " * len(lead)) + piece for piece in pieces[1:])
        return rows

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        longest = max((Content(value).cell_length for value, _ in self.lines), default=0)
        return longest + rules.get("line_pad", 0) * 2


def hanging(lines: Sequence[tuple[str, int]]) -> HangingLines:
    """(line, hang) pairs as :class:`HangingLines`: a reply previewed in a pane narrower than it."""
    return HangingLines(lines)


def fields(*rows: Row) -> FieldLines:
    """Head lines (a conversation's, a message's) that wrap between fields, not inside them."""
    return FieldLines(rows)


def _one_line(r: Row) -> Content:
    pieces: list[Content] = []
    for index, f in enumerate(r.fields):
        if index:
            pieces.append(r.joint(f))
        pieces.append(f.content)
    return Content("").join(pieces)


def _lay_out(r: Row, width: int) -> list[Content]:
    """``r`` in lines of at most ``width`` cells, broken only between fields where it can be.

    A broken line ends with what joined its last field to the next (`` ·``), so it reads
    as going on; the room for that is kept when a field is put on a line.
    """
    width = max(width, 1)
    hang = Content(" " * r.hang) if r.hang < width // 2 else Content("")
    lines: list[Content] = []
    current: Content | None = None
    count = len(r.fields)
    for index, f in enumerate(r.fields):
        tail = r.joint(r.fields[index + 1]).rstrip() if index + 1 < count else Content("")
        if current is not None:
            joined = current + r.joint(f) + f.content
            if joined.cell_length + tail.cell_length <= width:
                current = joined
                continue
            ends = r.joint(f).rstrip()
            lines.append(current + ends if current.cell_length + ends.cell_length <= width else current)
        lead = hang if lines else Content("")
        room = width - lead.cell_length
        if f.content.cell_length <= room:
            current = lead + f.content
            continue
        # Wider than a line: this field alone wraps, by words.
        pieces = [piece.rstrip() for piece in f.content.wrap(room)] or [Content("")]
        lines.extend(lead + piece for piece in pieces[:-1])
        current = lead + pieces[-1]
    if current is not None:
        lines.append(current)
    return [line.rstrip() for line in lines]
