"""Readable text from HTML mail, quickly and without fetching anything.

lxml's HTML parser (libxml2) builds the tree in C and never loads remote content (no
network, no external entities); the tree is then walked iteratively, so neither deep
nesting nor a huge document can exhaust the stack. Block elements become line breaks,
list items get a dash; scripts, styles, the head and what inline styles hide (a
newsletter's preheader) are dropped. A table holding no other table is data (a receipt's
items and totals, a pasted spreadsheet): each row becomes a line, its columns aligned when
they fit; a table holding tables is page layout, read as the blocks inside it. A full
layout engine (every table drawn as a grid) costs about 10 ms per message, which for a
first sync of thousands of HTML messages is more than all the IMAP work.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata

import lxml.etree

# The plain etree parser: lxml.html's element classes cost a Python lookup per element.
_PARSER = lxml.etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)

_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_SKIPPED = frozenset(
    ["script", "style", "head", "title", "template", "noscript", "svg", "math", "object", "iframe"]
)
_CELLS = frozenset(("td", "th"))

# The patterns only match what changes (a single space or a bare line break is left
# alone), and each substitution runs only if a plain substring test says it is needed:
# most mail has single spaces between words, so this skips regex scans of the whole text.
_SPACES = re.compile(r"[\t\u00a0\r\f\v][ \t\u00a0\r\f\v]*| [ \t\u00a0\r\f\v]+")
_ODD_SPACES = ("  ", "\t", "\u00a0", "\r", "\f", "\v")
_LINE_EDGES = re.compile(r" \n ?|\n ")
# Written with a literal prefix, which the regex engine searches for quickly.
_BLANK_LINES = re.compile(r"\n\n\n+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>", re.IGNORECASE)


def _tidy(text: str) -> str:
    """Runs of white space become one space, lines lose edge spaces, at most one blank line."""
    if any(odd in text for odd in _ODD_SPACES):
        text = _SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


# Where a <blockquote> opens and closes, on lines of their own until _quoted() puts "> "
# before each line inside (private-use characters: no mail text is made of them alone).
_QUOTE_OPEN, _QUOTE_CLOSE = "\ue000", "\ue001"


def _quoted(text: str) -> str:
    """Each line inside a blockquote with a ">" per level, as plain-text mail quotes it.

    Quoted history is then known as such whatever the attribution line above it says (or
    when there is none): only the customer's own words count for urgency and incidents.
    """
    out: list[str] = []
    depth = 0
    for line in text.split("\n"):
        if line in (_QUOTE_OPEN, _QUOTE_CLOSE):
            before = depth
            depth = depth + 1 if line == _QUOTE_OPEN else max(0, depth - 1)
            while out and not out[-1].strip("> "):
                out.pop()  # no blank line at a quote's edge
            if out:
                out.append(">" * min(before, depth))  # one (quoted) blank line between levels
            continue
        line = line.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "")
        if depth:
            line = f"{'>' * depth} {line}" if line else ">" * depth
        if line.strip("> ") or (out and out[-1].strip("> ")):
            out.append(line)
    return "\n".join(out).strip()


# A link's address is kept for web and mail links only, at most this long; anything else
# (javascript:, data:, a relative path) is dropped, and so is white space or a control
# character inside it: what is shown can neither run nor break the line it is on.
_LINK_SCHEMES = ("http://", "https://", "mailto:")
MAX_LINK = 300
_UNSAFE_IN_LINK = re.compile(r"[\x00-\x20\x7f-\x9f<>\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _without_scheme(address: str) -> str:
    """ "www.shop.test/x" of "https://www.shop.test/x/": how a link's words often give it."""
    bare = address.rstrip("/")
    for scheme in ("https://", "http://"):
        if bare[: len(scheme)].lower() == scheme:
            return bare[len(scheme) :]
    return bare


def link_target(href: str | None, text: str) -> str:
    """What to show after a link's words: " <address>", or "" when it says nothing new.

    Mail clients show an HTML-only message's link targets the same way, so a reader sees
    where "click here to reset" points. A link whose words already are its address (an
    address in an attribution line, a pasted URL) is not repeated.
    """
    if not href:
        return ""
    address = _UNSAFE_IN_LINK.sub("", href)
    if not address.lower().startswith(_LINK_SCHEMES):
        return ""
    if address[:7].lower() == "mailto:":
        address = address[7:].split("?", 1)[0]
        if not address:
            return ""
    shown = " ".join(text.split()).strip("<>").rstrip("/")
    if not shown or shown.lower() in (address.rstrip("/").lower(), _without_scheme(address).lower()):
        return ""
    if len(address) > MAX_LINK:
        address = address[: MAX_LINK - 1] + "\u2026"
    return f" <{address}>"


# Inline styles that hide what they hold: newsletters and Gmail/Outlook mail put a "preheader"
# (the line an inbox list shows after the subject) in an element no reader sees. Shown, it
# reads as the customer's first words and counts for urgency. max-height/height 0 hides only
# with overflow:hidden (Outlook.com drops display:none, so preheaders add both). mso-hide:all
# alone hides from Outlook only: what it marks is written for every other reader.
_HIDING = re.compile(r"display:none|visibility:hidden|opacity:0(?:\.0*)?(?![.\d])")
_NO_HEIGHT = re.compile(r"(?:^|;)(?:max-)?(?:height|width):0(?![.\d])")
_FONT_SIZE = re.compile(r"(?:^|;)font-size:([\d.]+)")


def _style_of(element: lxml.etree._Element) -> str:
    style = element.get("style")
    return style.lower().replace(" ", "").replace("\t", "").replace("\n", "") if style else ""


def _hidden(element: lxml.etree._Element, style: str) -> bool:
    """Whether an element's own attributes keep a reader from seeing it."""
    if element.get("hidden") is not None:
        return True
    if not style:
        return False
    if _HIDING.search(style):
        return True
    return "overflow:hidden" in style and _NO_HEIGHT.search(style) is not None


def _font_zero(style: str, inherited: bool) -> bool:
    """Whether text directly inside has font-size 0 (inherited unless the element sets its own):
    layouts set 0 on a wrapper and the size again on the columns inside, so only text left
    at size 0 is unseen."""
    if "font-size:" not in style:
        return inherited
    size = _FONT_SIZE.search(style)
    if size is None:
        return inherited
    try:
        return float(size.group(1)) == 0
    except ValueError:
        return inherited


# Where a table laid out as lines stands in the text until _tidy() has run (which would
# squeeze the spaces that align its columns): private-use characters around its index.
_TABLE_MARK = re.compile("\ue002(\\d+)\ue003")
TABLE_WIDTH = 72  # the width plain-text mail is written to


def _cell_width(text: str) -> int:
    """Columns a line of a table takes in a terminal: wide (CJK) characters take two, marks none."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char) or char in "\u200b\u200c\u200d\u200e\u200f\ufeff":
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def _cells_of(row: lxml.etree._Element) -> list[lxml.etree._Element]:
    return [c for c in row if isinstance(c.tag, str) and c.tag.lower() in _CELLS]


def _is_data_table(table: lxml.etree._Element) -> bool:
    """A table with no table or blockquote inside: its rows are read as lines of columns.
    One holding other tables is a page layout, read as the blocks it holds."""
    return next(table.iterdescendants("table", "blockquote"), None) is None


def _table_lines(table: lxml.etree._Element, font_zero: bool) -> str:
    """A table as lines: each row on a line of its own with its columns aligned when the
    table fits :data:`TABLE_WIDTH` columns (a receipt's item, quantity and price line up);
    otherwise each row's cells, one after the other, as lines of text. Empty rows and
    columns (spacers, images) are left out; a right-aligned cell (a price) stays right."""
    rows: list[list[tuple[list[str], bool, str]]] = []
    caption = ""
    for part in table.iter("caption", "tr"):
        style = _style_of(part)
        if _hidden(part, style):
            continue
        if part.tag == "caption":
            caption = _text_of(part, font_zero)
            continue
        zero = _font_zero(style, font_zero)
        row = []
        for cell in _cells_of(part):
            cell_style = _style_of(cell)
            if len(cell) == 0:  # text alone, as in most cells of a data table: nothing to walk
                hidden = _hidden(cell, cell_style) or _font_zero(cell_style, zero)
                text = "" if hidden else _tidy(cell.text or "")
            else:
                text = _text_of(cell, zero)
            right = cell.get("align", "").lower() == "right" or "text-align:right" in cell_style
            row.append(([line for line in text.split("\n") if line], right, text))
        if any(lines for lines, _, _ in row):
            rows.append(row)
    columns = max((len(row) for row in rows), default=0)
    used = [c for c in range(columns) if any(c < len(row) and row[c][0] for row in rows)]
    rows = [[row[c] if c < len(row) else ([], False, "") for c in used] for row in rows]
    widths = [
        max((_cell_width(line) for row in rows for line in row[i][0]), default=0) for i in range(len(used))
    ]
    out: list[str] = [caption] if caption else []
    if len(used) < 2 or sum(widths) + 2 * (len(used) - 1) > TABLE_WIDTH:
        # Not columns to line up but blocks of text (the one-cell layout most HTML mail is
        # written in): each cell keeps its paragraphs apart.
        for row in rows:
            out.extend(text for lines, _, text in row if lines)
        return "\n".join(out)
    for row in rows:
        for index in range(max(len(lines) for lines, _, _ in row)):
            fields = []
            for (lines, right, _), width in zip(row, widths, strict=True):
                line = lines[index] if index < len(lines) else ""
                pad = " " * (width - _cell_width(line))
                fields.append(pad + line if right else line + pad)
            out.append("  ".join(fields).rstrip())
    return "\n".join(out)


def _text_of(element: lxml.etree._Element, font_zero: bool) -> str:
    parts: list[str] = []
    tables: list[str] = []
    _walk(element, parts, tables, font_zero)
    return _with_tables(_tidy("".join(parts)), tables)


def _with_tables(text: str, tables: list[str]) -> str:
    return _TABLE_MARK.sub(lambda m: tables[int(m.group(1))], text) if tables else text


def _walk(root: lxml.etree._Element, parts: list[str], tables: list[str], font_zero: bool = False) -> bool:
    """Append the text of ``root`` (not its tail) to ``parts``; True if it holds a blockquote.

    A table without tables inside is laid out by :func:`_table_lines` into ``tables``, a
    mark standing in its place.
    """
    quotes = False
    zero = [font_zero]  # per open element: whether text directly inside it has font-size 0
    walker = lxml.etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            style = _style_of(element)
            if tag in _SKIPPED or _hidden(element, style):
                walker.skip_subtree()
                zero.append(zero[-1])
                continue
            zero.append(_font_zero(style, zero[-1]))
            if tag == "table" and _is_data_table(element):
                walker.skip_subtree()
                tables.append(_table_lines(element, zero[-1]))
                parts.append(f"\n\ue002{len(tables) - 1}\ue003\n")
                continue
            if tag == "br":
                parts.append("\n")
            elif tag == "blockquote":
                parts.append(f"\n{_QUOTE_OPEN}\n")
                quotes = True
            elif tag in _BLOCKS:
                parts.append("\n- " if tag == "li" else "\n")
            if element.text and not zero[-1]:
                parts.append(element.text)
        else:
            zero.pop()
            if tag == "a":
                target = link_target(element.get("href"), "".join(element.itertext()))
                if target:
                    parts.append(target)
            if tag == "blockquote":
                parts.append(f"\n{_QUOTE_CLOSE}\n")
            elif tag in _BLOCKS and tag != "li":  # the next item starts its own line
                parts.append("\n")
            elif tag in _CELLS:
                parts.append(" ")
            if element.tail and element is not root and not zero[-1]:
                parts.append(element.tail)
    return quotes


def html_to_text(html: str) -> str:
    """Text of an HTML document as a reader sees it: paragraphs and line breaks kept, markup,
    scripts and hidden elements (a newsletter's preheader) gone; a table's rows as lines
    with their columns aligned; what a <blockquote> holds is quoted with "> ", as in
    plain-text mail, and a link's address follows its words (:func:`link_target`)."""
    if not html.strip():
        return ""
    try:
        root = lxml.etree.fromstring(_XML_DECLARATION.sub("", html, count=1), parser=_PARSER)
    except (lxml.etree.LxmlError, ValueError):
        return strip_tags(html)
    if root is None:  # nothing but white space or comments
        return ""
    parts: list[str] = []
    tables: list[str] = []
    quotes = _walk(root, parts, tables)
    text = _with_tables(_tidy("".join(parts)), tables)
    return _quoted(text) if quotes else text


_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|br|div|tr|li|h[1-6]|table|blockquote|pre)\b[^>]{0,1000}>", re.I)
_ANY_TAG = re.compile(r"<[^<>]{0,1000}>")


def strip_tags(html: str) -> str:
    """Text from HTML in linear time without a parser: the fallback for what lxml refuses."""
    lowered = html.lower()
    kept: list[str] = []
    position = 0
    while True:
        opening = min(
            (i for i in (lowered.find("<script", position), lowered.find("<style", position)) if i >= 0),
            default=-1,
        )
        if opening < 0:
            kept.append(html[position:])
            break
        kept.append(html[position:opening])
        name = "</script" if lowered.startswith("<script", opening) else "</style"
        closing = lowered.find(name, opening)
        if closing < 0:
            break
        position = lowered.find(">", closing)
        position = len(html) if position < 0 else position + 1
    text = _ANY_TAG.sub(" ", _BLOCK_TAG.sub("\n", "".join(kept)))
    return _tidy(htmllib.unescape(text))
