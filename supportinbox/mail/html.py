"""Readable text from HTML mail, quickly and without fetching anything.

lxml's HTML parser (libxml2) builds the tree in C and never loads remote content (no
network, no external entities); the tree is then walked iteratively, so neither deep
nesting nor a huge document can exhaust the stack. Block elements become line breaks,
list items get a dash, table cells are separated by spaces; scripts, styles and the head
are dropped. A full layout engine (tables drawn as grids) costs about 10 ms per message,
which for a first sync of thousands of HTML messages is more than all the IMAP work.
"""

from __future__ import annotations

import html as htmllib
import re

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


def html_to_text(html: str) -> str:
    """Text of an HTML document: paragraphs and line breaks kept, markup and scripts gone;
    what a <blockquote> holds is quoted with "> ", as in plain-text mail, and a link's
    address follows its words (:func:`link_target`)."""
    if not html.strip():
        return ""
    try:
        root = lxml.etree.fromstring(_XML_DECLARATION.sub("", html, count=1), parser=_PARSER)
    except (lxml.etree.LxmlError, ValueError):
        return strip_tags(html)
    if root is None:  # nothing but white space or comments
        return ""
    parts: list[str] = []
    quotes = False
    walker = lxml.etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _SKIPPED:
                walker.skip_subtree()
                continue
            if tag == "br":
                parts.append("\n")
            elif tag == "blockquote":
                parts.append(f"\n{_QUOTE_OPEN}\n")
                quotes = True
            elif tag in _BLOCKS:
                parts.append("\n- " if tag == "li" else "\n")
            if element.text:
                parts.append(element.text)
        else:
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
            if element.tail:
                parts.append(element.tail)
    text = _tidy("".join(parts))
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
