from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from supportinbox.domain.cells import cut, steady, width
from supportinbox.domain.safetext import (
    clean,
    field,
    has_right_to_left,
    is_rtl,
    isolate,
    one_line,
    steady_line,
    terminal_text,
)


def test_csi_and_osc_sequences_are_removed_with_their_parameters() -> None:
    hostile = "Hi \x1b[31mred\x1b[0m \x1b]8;;http://evil.test\x07link\x1b]8;;\x07 \x1b]52;c;ZXZpbA==\x07!"
    assert clean(hostile) == "Hi red link !"


def test_c1_controls_and_nul_are_removed_newlines_kept() -> None:
    assert clean("a\x00b\x85c\x7fd\r\ne\rf\tg") == "abcd\ne\nf   g"
    # U+009B is the 8-bit CSI: it takes its final byte with it, as a terminal would.
    assert clean("x\x9b2Jy") == "xy"


def test_bidi_overrides_removed_but_rtl_text_and_zwnj_kept() -> None:
    persian = "می\u200cخواهم"  # "I want", with the zero-width non-joiner Persian needs
    assert clean(persian) == persian
    assert clean("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert clean("مرحبا") == "مرحبا"
    assert is_rtl("مرحبا بك") and not is_rtl("hello مرحبا")


def test_one_line_folds_and_limits() -> None:
    assert one_line("Re:\r\n  urgent\n\tnow") == "Re: urgent now"
    assert one_line("abcdef", limit=4) == "abc…"


def test_one_line_of_only_invisible_characters_is_empty() -> None:
    assert one_line("\u200b\u200c\u200d\ufeff\u2060") == ""
    assert one_line(" \u3164 \u2800 \u200e") == ""  # blank fillers, a direction mark
    # Inside a word a ZWNJ stays; at the ends it goes.
    assert one_line("\u200cمی\u200cخواهم\u200b ") == "می\u200cخواهم"


# What one_line takes off either end besides white space.
WHITE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u2060\u2061\u2062\u2063\u2064\u2800\u3164\ufeff\uffa0"
)


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    out = clean(text)
    assert "\x1b" not in out
    assert all(ch in "\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in out)
    assert not set(out) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "\n" not in one_line(text)


_SGR = re.compile("\x1b\\[[0-9;:]*m")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A first-strong isolate and its pop with no other isolate mark or line end between them.
_PAIRED = re.compile("\u2068([^\u2068\u2069\n]*)\u2069")


def _without_pairs(text: str) -> str:
    while _PAIRED.search(text):
        text = _PAIRED.sub(r"\1", text)
    return text


_TERMINAL_PIECES = st.sampled_from(
    [
        "\u2068",
        "\u2069",
        "\u2066",
        "\x1b]0;title\x07",
        "\x1b[2J",
        "\x1b]52;c;cm0=\x07",
        "\x1b[31m",
        "\x1b[0m",
        "\x9b2J",
        "\r",
        "\n",
        "\t",
        "\x1b",
    ]
)


@given(st.lists(_TERMINAL_PIECES | st.text(max_size=6), max_size=12).map("".join), st.booleans())
def test_terminal_text_lets_no_control_through(text: str, keep_sgr: bool) -> None:
    out = terminal_text(text, keep_sgr=keep_sgr)
    rest = _SGR.sub("", out) if keep_sgr else out
    body = rest[1:] if rest.startswith("\r") else rest
    # Isolates stay only in pairs on one line (they move nothing outside themselves).
    assert not _UNSAFE.search(_without_pairs(body)), repr(out)
    assert "\x1b" not in body
    # Text that had nothing to remove is left exactly as it was.
    if not _UNSAFE.search(_without_pairs(text)) and "\x1b" not in text:
        assert out == text


def test_isolate_wraps_only_text_with_right_to_left_letters() -> None:
    assert isolate("Acme Pro 2.4") == "Acme Pro 2.4"
    assert isolate("Zoë Müller") == "Zoë Müller"
    for rtl in ("زهرا محمدی", "Sara سارا", "בעיה 42", "١٢٣"):
        assert isolate(rtl) == f"\u2068{rtl}\u2069"


def test_terminal_text_keeps_isolates_only_in_pairs_on_a_line() -> None:
    field = isolate("زهرا")
    assert terminal_text(f"id  {field}  {field}  5 min\n") == f"id  {field}  {field}  5 min\n"
    # A field cut before its pop, a pop alone, a pair split by a line end: all dropped,
    # so nothing isolates the rest of a line.
    assert terminal_text("a \u2068زهرا… 5 min") == "a زهرا… 5 min"
    assert terminal_text("a زهرا\u2069 5") == "a زهرا 5"
    assert terminal_text("\u2068زه\nرا\u2069") == "زه\nرا"
    assert terminal_text("\u2068\u2068x\u2069") == "\u2068x\u2069"
    # Embeddings, overrides and the directional isolates still go.
    assert terminal_text("\u2066x\u2069 \u202ey\u202c") == "x y"


def test_terminal_text_keeps_colours_only_when_asked() -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[1mbold\x1b[0m \x1b]52;c;cm0=\x07done"
    assert terminal_text(hostile) == "bold done"
    assert terminal_text(hostile, keep_sgr=True) == "\x1b[1mbold\x1b[0m done"
    assert terminal_text("\rsending in 3 s") == "\rsending in 3 s"
    assert terminal_text("ok\rfake line") == "okfake line"


def _strip_one_by_one(text: str) -> str:
    """Control characters removed and unshowable ones replaced, the obvious way."""
    import unicodedata

    out = []
    for char in text:
        if char in "\n\t":
            out.append(char)
        elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            continue
        elif unicodedata.category(char) in ("Cs", "Co"):
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_controls_are_stripped_as_one_character_at_a_time_would(text: str) -> None:
    from supportinbox.domain.safetext import _strip_controls

    assert _strip_controls(text) == _strip_one_by_one(text)


def test_every_code_point_is_stripped_as_one_character_at_a_time_would() -> None:
    from supportinbox.domain.safetext import _strip_controls

    everything = "".join(map(chr, range(0x110000)))
    assert _strip_controls(everything) == _strip_one_by_one(everything)


def _clean_every_step(text: str) -> str:
    """:func:`clean` without its shortcuts: every step on every text."""
    from supportinbox.domain import safetext

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = safetext._ESCAPE_SEQUENCE.sub("", text)
    text = text.translate(safetext._BIDI_CONTROLS)
    return _strip_one_by_one(text).expandtabs(4)


@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("\x1b[]\\P^_X\x07\x9b\x9c\x9d\x90\r\n\t;0123m\u202e\u2067 aé"),
            st.characters(codec=None, exclude_categories=()),
        )
    )
)
def test_clean_equals_every_step_on_every_text(text: str) -> None:
    assert clean(text) == _clean_every_step(text)


@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(" \u00a0\u2028\t\n\x1c ab\u200b\u200c\u3164\u2800"), st.characters(codec=None)
        )
    ),
    st.one_of(st.none(), st.integers(0, 30)),
)
def test_one_line_equals_folding_every_text(text: str, limit: int | None) -> None:
    folded = re.sub(r"\s+", " ", clean(text)).strip(WHITE + INVISIBLE)
    if limit is not None:
        folded = cut(folded, limit)
    assert one_line(text, limit=limit) == folded


def test_isolates_of_fields_are_kept_only_when_asked_and_only_in_pairs() -> None:
    line = f"Closed: {field('زهرا  محمدی')} (u to undo)"
    assert line == "Closed: \u2068زهرا محمدی\u2069 (u to undo)"
    assert clean(line, isolates=True) == line
    assert clean(line) == "Closed: زهرا محمدی (u to undo)"
    # Overrides go all the same; an isolate cut off from its pop goes with the cut.
    assert clean("\u202ex\u202c \u2066y\u2069", isolates=True) == "x y"
    cut = one_line(line, limit=13, isolates=True)
    assert cut.startswith("Closed: زه") and cut.endswith("…") and "\u2068" not in cut
    assert one_line(f"{line}\n{line}", isolates=True) == f"{line} {line}"


# What mail puts in a subject or a name to move, hide or restyle what is around it, and
# the emoji parts :func:`steady` drops or rewrites, beside white space and right-to-left text.
_HOSTILE_PIECES = st.sampled_from(
    [
        "\x1b[2J",
        "\x1b]8;;https://evil.test\x07",
        "\x1b]52;c;cm0=\x07",
        "\x9b31m",
        "\x1b",
        "\r\n",
        "\r",
        "\n",
        "\t",
        "\x00",
        "\x7f",
        "[bold red]",
        "[/]",
        "[@click=app.quit]",
        "\u202e",
        "\u202d",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u200b",
        "\u200c",
        "\u200d",
        "\ufe0f",
        "\ufe0e",
        "\U0001f3fb",
        "\U0001f3fd",
        "\U0001f1e9\U0001f1ea",
        "\U0001f1e9",
        "\U000e0067",
        "👩\u200d💻",
        "👍🏽",
        "❤\ufe0f",
        "🎉",
        " ",
        "\u00a0",
        "\u3000",
        "مرحبا",
        "سلام",
        "PayPal 4521",
        "日本",
        "e\u0301",
    ]
)
_HOSTILE = st.lists(_HOSTILE_PIECES | st.text(max_size=4), max_size=14).map("".join)
# Controls, bidi embeddings, overrides and isolates, and what steady() takes away.
_NEVER_IN_A_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200d\ufe0e\ufe0f"
    "\U0001f3fb-\U0001f3ff\U0001f1e6-\U0001f1ff\U000e0020-\U000e007f]"
)


@given(_HOSTILE, st.one_of(st.none(), st.integers(0, 40)))
def test_a_steady_line_is_inert_whatever_the_mail_held(text: str, limit: int | None) -> None:
    """A line among others and a field of a line: one line, nothing a terminal acts on,
    nothing that reorders its neighbours, emoji only in the steady form, cut to its cells."""
    line = steady_line(text, limit=limit)
    assert not _NEVER_IN_A_LINE.search(line), repr(line)
    # White space folded: nothing at either end, never two in a row (a dropped skin tone
    # between two words leaves one space, before a word none).
    assert line == line.strip(WHITE + INVISIBLE) and "  " not in line, repr(line)
    assert steady(line) == line and steady_line(line, limit=limit) == line
    if limit is not None:
        assert width(line) <= limit
    # As a field, the one bidi control is the isolate around a right-to-left one.
    shown = field(text, limit=limit)
    assert shown == (f"\u2068{line}\u2069" if has_right_to_left(line) else line)
    assert not _NEVER_IN_A_LINE.search(shown.removeprefix("\u2068").removesuffix("\u2069"))


def test_a_steady_line_drops_emoji_parts_before_it_folds() -> None:
    assert steady_line("\U0001f3fd Invoice \u200d 4521 \ufe0f") == "Invoice 4521"
    assert steady_line(" \U0001f3fb ") == ""
    assert steady_line("👩\u200d💻 Lina 🇩🇪", limit=8) == "👩💻 Li…"  # cut by the cells shown
