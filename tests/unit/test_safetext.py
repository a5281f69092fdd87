from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from supportinbox.domain.safetext import clean, is_rtl, one_line


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


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    out = clean(text)
    assert "\x1b" not in out
    assert all(ch in "\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in out)
    assert not set(out) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "\n" not in one_line(text)
