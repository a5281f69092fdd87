"""Make text from mail inert before it reaches any output.

Mail is written by strangers. Subjects, names, bodies and file names may carry terminal
escape sequences (CSI, OSC 8 hyperlinks, OSC 52 clipboard writes), C0/C1 control
characters, NUL bytes and bidi overrides that disguise text. Every output path (CLI
tables, JSON is exempt as it escapes by itself, the TUI) passes text through
:func:`clean` or :func:`one_line`. Rich markup is neutralised where markup is parsed,
in the UI layer, by building ``rich.text.Text`` objects rather than markup strings.

Right-to-left scripts (Arabic, Persian, Hebrew) are kept intact, including the zero-width
non-joiner that Persian needs and the LRM/RLM marks; only the *embedding and override*
controls that can reorder surrounding text are removed. Where right-to-left text sits beside
other fields on a line, the output wraps it in isolates of its own (:func:`isolate`).
"""

from __future__ import annotations

import json
import re
import unicodedata

from supportinbox.domain import cells

# Not typing.TYPE_CHECKING: reading the queue (``list --json``) loads no typing (see cli/quick.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC
# (ESC P/X/^/_ ... ST), and two-character escapes. Also the 8-bit CSI (U+009B) and OSC (U+009D).
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                  # CSI
  | (?:\x1b\]|\x9d).*?(?:\x07|\x1b\\|\x9c|$)           # OSC, up to BEL / ST / end
  | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]).*?(?:\x1b\\|\x9c|$)  # DCS, SOS, PM, APC
  | \x1b[ -/]*[0-~]?                                  # other escapes (and a lone ESC)
    """,
    re.VERBOSE | re.DOTALL,
)

# What every sequence above starts with.
_ESCAPE_START = re.compile("[\x1b\x90-\x9f]")

# Bidi embeddings, overrides and isolates: they can make "exe.pdf" read as "fdp.exe".
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
# The same but the first-strong isolate and its pop, for text that keeps the isolates our
# output put around its fields (see :func:`isolate`).
_BIDI_BUT_ISOLATES = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067"))

# C0 controls but newline and tab, DEL and the C1 controls: dropped.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates (category Cs) and private-use characters (Co): a replacement character.
_UNSHOWABLE = re.compile("[\ud800-\udfff\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def _strip_controls(text: str) -> str:
    # Two passes in C: a per-character loop in Python cost more than the rest of a table
    # row's rendering.
    if text.isascii():
        return _CONTROLS.sub("", text) if not text.isprintable() else text
    return _UNSHOWABLE.sub("\ufffd", _CONTROLS.sub("", text))


def clean(text: str | None, *, tabsize: int = 4, isolates: bool = False) -> str:
    """Return ``text`` with escape sequences, control characters and bidi overrides removed.

    Newlines are kept (CR LF and lone CR become LF); tabs become spaces. With ``isolates``
    the first-strong isolates :func:`isolate` puts around fields stay where they pair up
    on a line (a toast or a line that says what happened to a conversation, built of such
    fields); every other bidi control goes all the same.
    """
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return text  # most names, subjects and table cells: nothing to remove
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPE_START.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
    text = text.translate(_BIDI_BUT_ISOLATES if isolates else _BIDI_CONTROLS)
    text = _strip_controls(text).expandtabs(tabsize)
    if isolates and (FIRST_STRONG_ISOLATE in text or POP_DIRECTIONAL_ISOLATE in text):
        return _paired_isolates(text)
    return text


# Select Graphic Rendition: colours and bold, all Rich writes for its styles on a terminal.
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
# First-strong isolates (U+2068, U+2069) are left to :func:`_paired_isolates`.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066\u2067]")

FIRST_STRONG_ISOLATE = "\u2068"
LEFT_TO_RIGHT_ISOLATE = "\u2066"
RIGHT_TO_LEFT_ISOLATE = "\u2067"
POP_DIRECTIONAL_ISOLATE = "\u2069"
# Letters and digits written right to left: Hebrew, Arabic, Syriac, Thaana, N'Ko and their
# neighbours, and the Hebrew and Arabic presentation forms.
_RIGHT_TO_LEFT = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def isolate(text: str) -> str:
    """``text`` (already made inert) as a field of its own on a line of several fields.

    A terminal that orders bidirectional text (VTE, Konsole, mlterm) reads each line as
    one paragraph: an Arabic name beside an Arabic subject becomes one right-to-left run,
    and the subject is drawn where the name should be; the digits of the next column
    join it. Between a first-strong isolate and its pop the field takes its direction
    from its own first letter and moves nothing outside it, so a Persian subject reads
    right to left in its own column. Text without right-to-left letters is returned as
    it is; terminals that do not reorder draw the two marks as nothing.

    Isolate a field after cutting it to its width: a cut that drops the closing mark
    would isolate the rest of the line.
    """
    if not has_right_to_left(text):
        return text
    return FIRST_STRONG_ISOLATE + text + POP_DIRECTIONAL_ISOLATE


def has_right_to_left(text: str) -> bool:
    """True when ``text`` has a letter or digit written right to left (what :func:`isolate` isolates)."""
    return not text.isascii() and _RIGHT_TO_LEFT.search(text) is not None


def _paired_isolates(text: str) -> str:
    """``text`` with every isolate mark that is not one of a pair on the same line removed.

    A lone first-strong isolate would take the rest of its line into the field it opens.
    """
    kept = list(text)
    opened: list[int] = []
    for index, char in enumerate(text):
        if char == FIRST_STRONG_ISOLATE:
            opened.append(index)
        elif char == POP_DIRECTIONAL_ISOLATE:
            if opened:
                opened.pop()
            else:
                kept[index] = ""
        elif char == "\n":
            for lone in opened:
                kept[lone] = ""
            opened.clear()
    for lone in opened:
        kept[lone] = ""
    return "".join(kept)


def terminal_text(text: str, *, keep_sgr: bool = False) -> str:
    """What may be written to a terminal: everything :func:`clean` drops, dropped, but nothing else.

    Unlike :func:`clean` it keeps the text as it is otherwise (tabs, line layout), with
    ``keep_sgr`` keeps colour sequences (our own styling on a terminal), and keeps the
    isolates :func:`isolate` puts around a field where they pair up on a line. A carriage
    return is kept only at the very start (a countdown rewriting its own line); anywhere
    else it could hide what came before it on the line.
    """
    if not text:
        return text
    rewind = "\r" if text.startswith("\r") else ""
    body = text[len(rewind) :]
    if keep_sgr:
        body = _ESCAPE_SEQUENCE.sub(lambda m: m.group(0) if _SGR.fullmatch(m.group(0)) else "", body)
    else:
        body = _ESCAPE_SEQUENCE.sub("", body)
    # Kept SGR sequences are the only ESC left; everything else unsafe goes.
    parts = _SGR.split(body) if keep_sgr else [body]
    kept = _SGR.findall(body) if keep_sgr else []
    cleaned = [_TERMINAL_UNSAFE.sub("", part) for part in parts]
    out = cleaned[0]
    for sgr, part in zip(kept, cleaned[1:], strict=True):
        out += sgr + part
    if FIRST_STRONG_ISOLATE in out or POP_DIRECTIONAL_ISOLATE in out:
        out = _paired_isolates(out)
    return rewind + out


_WHITESPACE = re.compile(r"\s+")

# Characters that show nothing: zero-width spaces and joiners, direction marks, the byte
# order mark, invisible operators, and the fillers that draw as blank (Hangul fillers,
# the braille blank). Inside a Persian word a ZWNJ matters; at either end of a line none
# of them does, and a subject made only of them must read as having none.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u2060\u2061\u2062\u2063\u2064\u2800\u3164\ufeff\uffa0"
)
# Every character str.isspace() calls white space, and the invisible ones.
_EDGE = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000" + _INVISIBLE
)


def one_line(text: str | None, *, limit: int | None = None, isolates: bool = False) -> str:
    """:func:`clean`, then fold every run of white space (newlines too) into one space.

    What shows nothing at either end goes too, so that a subject or a name of only
    zero-width characters is empty (and reads "(no subject)" where one is missing).
    ``limit`` is in terminal cells: a longer line is cut between grapheme clusters and
    ends in "…" (:func:`cells.cut`).
    ``isolates`` keeps the isolates of the fields the line is made of (see :func:`clean`).
    """
    cleaned = clean(text, isolates=isolates)
    # Printable means no white space but the ASCII space (separators and controls are not):
    # without two in a row there is nothing to fold.
    if cleaned.isprintable() and "  " not in cleaned:
        folded = cleaned.strip(_EDGE)
    else:
        folded = _WHITESPACE.sub(" ", cleaned).strip(_EDGE)
    if limit is not None and len(folded) > limit // 2:
        folded = cells.cut(folded, limit)
        if isolates and FIRST_STRONG_ISOLATE in folded:
            folded = _paired_isolates(folded)  # a cut field's pop may be gone
    return folded


def steady_line(text: str | None, *, limit: int | None = None) -> str:
    """``text`` as a line among others (a queue cell, a name in a sentence): its emoji
    sequences in their steady form (:func:`cells.steady`), then :func:`one_line`.

    In this order: the joiners, selectors and skin tones :func:`cells.steady` drops must
    not leave a space at an end or two in a row ("👍🏽 Invoice" is "👍 Invoice", a lone
    skin tone before a word is nothing), and the cut counts the cells of what is shown.
    """
    return one_line(cells.steady(text) if text else text, limit=limit)


def field(text: str | None, *, limit: int | None = None) -> str:
    """``text`` as one field of a line made of several: :func:`steady_line`, then :func:`isolate`.

    A name, a subject or a note beside the words around it in a toast, a sync summary or
    a CLI line: once isolated, an Arabic one does not take its neighbours into its run.
    """
    return isolate(steady_line(text, limit=limit))


def is_rtl(text: str) -> bool:
    """True when the first strong directional character is right-to-left."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


# json.dumps escapes C0 controls itself; with ensure_ascii=False it would print C1 controls
# (U+009B is an 8-bit CSI) and bidi overrides raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def safe_json(data: Any, *, indent: int | None = 2, ascii_only: bool = False) -> str:
    """JSON for a terminal or a pipe: readable non-ASCII text, but every control escaped.

    ``ascii_only`` escapes every non-ASCII character too (``\\u0639``): for an output whose
    encoding cannot hold them all (a Latin-1 or ASCII locale), where they would be lost.
    """
    if ascii_only:
        return json.dumps(data, ensure_ascii=True, indent=indent)
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    # These characters can only occur inside JSON strings, where \uXXXX means the same.
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
