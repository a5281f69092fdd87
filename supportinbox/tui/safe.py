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

from collections.abc import Iterable

from rich.text import Text
from textual.content import Content

from supportinbox.domain.safetext import clean, one_line

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
    """
    folded = one_line(value)
    content = Content.styled(folded, style) if style else Content(folded)
    return content if limit is None else content.truncate(max(limit, 0), ellipsis=True)


def column(label: str | None) -> Text:
    """A DataTable column label: DataTable reads markup in a ``str`` label and takes no Content."""
    return cell(label)


def cell(value: str | None, *, limit: int | None = None) -> Text:
    """A cell of a Rich ``Table`` (which reads markup in a ``str``): one inert line."""
    return Text(one_line(value, limit=limit), end="")


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
    return one_line(value, limit=limit)


def plain_text(value: str | None) -> str:
    """Inert text of several lines as a ``str`` (a toast's message)."""
    return clean(value)


def escape_markup(value: str | None) -> str:
    """Text for a Textual call that always parses markup (the command palette's help).

    Textual's own ``escape`` only escapes brackets that look like a tag to it, and misses
    some its parser still reads (``[b=;``, ``[$x]``, ``[B]``). Textual's parser reads every
    ``[`` not preceded by a backslash as the start of a tag, and turns ``\\[`` back into
    ``[``: so every ``[`` is escaped, and a backslash in front of one stays a backslash.
    """
    return one_line(value).replace("[", "\\[")
