"""Terminal cells: how wide a line of text is drawn, and cutting it to a width.

A Japanese or Chinese character takes two cells, a combining accent or a Persian
zero-width non-joiner none. A line is cut by the cells it takes, never inside a grapheme
cluster (UAX #29: a letter with its accents, a Hangul syllable of jamo, a Devanagari
conjunct, an emoji sequence): cut by characters, a Japanese subject ran twice as wide as
its room, and an accent or half a flag was left without its letter. The segmentation and
the widths are wcwidth's (``iter_graphemes``, ``width``): UAX #29 and the East Asian
widths kept up with each Unicode release, where a hand-written rule would lag.

Terminals disagree on the width of some emoji sequences. A ZWJ sequence (👩‍💻) is two
cells in kitty, WezTerm or tmux and four in VTE, xterm or Alacritty; a skin tone (👍🏽)
two cells in most and four in tmux; a heart with its emoji selector (❤️) two in kitty and
one in VTE and tmux; a flag (🇩🇪) one, two or four. Where text stands in columns, one cell
drawn more than was measured moves every column after it. :func:`steady` gives such
text a form every terminal draws at the width it is measured at.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# What terminals draw at different widths: the zero-width joiner, the text and emoji
# presentation selectors, the skin-tone modifiers, the regional indicators of flags and
# the tags of a subdivision's flag (🏴 and the letters of "gbsct").
_DISPUTED = re.compile("[\u200d\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\U0001f1e6-\U0001f1ff\U000e0020-\U000e007f]")
_REGIONAL_A = 0x1F1E6


def _undisputed(match: re.Match[str]) -> str:
    char = match.group(0)
    if "\U0001f1e6" <= char <= "\U0001f1ff":
        return chr(ord("A") + ord(char) - _REGIONAL_A)  # 🇩🇪 reads DE
    return ""


def steady(text: str) -> str:
    """``text`` in a form every terminal draws at the width it is measured at.

    The joiners of an emoji sequence go (👩‍💻 shows its two emoji, 👩💻), and so do the
    presentation selectors (❤️ shows ❤), skin tones (👍🏽 shows 👍) and tags (a Scottish
    flag shows 🏴); a flag shows its region's letters (🇩🇪 shows DE). For a line among
    others (a queue row, a table cell, a head); a body of text keeps every character.
    """
    if text.isascii() or _DISPUTED.search(text) is None:
        return text
    return _DISPUTED.sub(_undisputed, text)


def width(text: str) -> int:
    """The terminal cells ``text`` (one line, made inert) takes."""
    if text.isascii():
        return len(text)
    import wcwidth  # only for text that is not ASCII: most lines are

    return max(wcwidth.width(text, control_codes="ignore"), 0)


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` cells: whole when it fits, else cut between grapheme
    clusters with "…" in the last cell. An empty string when ``limit`` is below one."""
    if limit < 1:
        return ""
    if len(text) <= limit and text.isascii():
        return text
    if text.isascii():
        return text[: limit - 1] + ELLIPSIS
    if 2 * len(text) <= limit or width(text) <= limit:
        return text  # no character takes more than two cells
    import wcwidth

    room = limit - 1
    end = 0
    for grapheme in wcwidth.iter_graphemes(text):
        room -= wcwidth.width(grapheme, control_codes="ignore")
        if room < 0:
            break
        end += len(grapheme)
    return text[:end] + ELLIPSIS
