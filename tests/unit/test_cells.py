"""Lines cut by the terminal cells they take and never inside a grapheme cluster; emoji
sequences in a form every terminal draws at the width it is measured at."""

from __future__ import annotations

import pytest
import wcwidth
from hypothesis import given
from hypothesis import strategies as st

from supportinbox.domain.cells import cut, steady, width
from supportinbox.domain.safetext import field, one_line
from tests.harness.terminals import drawn_widths

EMOJI = [
    "👩\u200d💻",  # woman technologist: a ZWJ sequence
    "👨\u200d👩\u200d👧\u200d👦",  # family
    "🇩🇪",  # a flag: two regional indicators
    "👍🏽",  # a skin tone
    "❤\ufe0f",  # a heart with the emoji presentation selector
    "1\ufe0f\u20e3",  # a keycap
    "⌚\ufe0e",  # a watch with the text presentation selector
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland: tag sequence
    "🎉",
]


def _drawn_widths(text: str) -> set[int]:
    """How wide each terminal draws ``text``, how wide Rich (Textual) and we measure it."""
    return {*drawn_widths(text).values(), width(text)}


def test_terminals_disagree_on_the_emoji_sequences_as_written() -> None:
    # A skin tone too: tmux (3.3a), which wcwidth does not know, draws 👍🏽 in four cells.
    for text in [*EMOJI[:3], *EMOJI[4:8]]:
        assert len(_drawn_widths(text)) > 1, text


@pytest.mark.parametrize("text", EMOJI)
def test_every_terminal_draws_the_steady_form_as_wide_as_it_is_measured(text: str) -> None:
    assert len(_drawn_widths(steady(text))) == 1, (text, steady(text))


def test_the_steady_form_keeps_what_each_part_says() -> None:
    assert steady("Hi 👩\u200d💻 from 🇩🇪 👍🏽 ❤\ufe0f") == "Hi 👩💻 from DE 👍 ❤"
    assert steady("Persian نمی\u200cتوانم stays") == "Persian نمی\u200cتوانم stays"
    assert steady("plain") == "plain"


@given(
    st.lists(st.sampled_from([*EMOJI, "a", " ", "日", "é", "e\u0301", "\u200d", "\ufe0f", "🏽"])).map("".join)
)
def test_every_terminal_draws_any_mix_of_them_as_measured(text: str) -> None:
    assert len(_drawn_widths(steady(text))) == 1, (text, steady(text))


def test_a_cut_counts_cells_and_keeps_grapheme_clusters_whole() -> None:
    assert cut("請求書のダウンロードができません", 11) == "請求書のダ…"  # 10 cells and the "…"
    assert cut("請求書のダウンロードができません", 10) == "請求書の…"  # a fifth would take 2 of 1
    assert cut("Cafe\u0301 au lait", 5) == "Cafe\u0301…"  # the accent stays with its e
    assert cut("👩\u200d💻👩\u200d💻👩\u200d💻", 4) == "👩\u200d💻…"
    assert cut("🇩🇪🇫🇷🇮🇹", 4) == "🇩🇪…"  # never half a flag
    assert cut("क्षत्रिय", 4) == "क्ष…"  # a conjunct is one cluster: never क् alone
    assert cut("short", 5) == "short" and cut("shorter", 5) == "shor…"
    assert cut("日本", 4) == "日本" and cut("x", 0) == ""


_PIECES = st.sampled_from(
    ["a", " ", "日本", "e\u0301", "👩\u200d💻", "🇩🇪", "각", "\u1100\u1161", "ي", "\u200c"]
)


@given(st.lists(_PIECES).map("".join), st.integers(1, 30))
def test_a_cut_is_the_longest_run_of_whole_clusters_that_fits(text: str, limit: int) -> None:
    out = cut(text, limit)
    assert width(out) <= limit
    if width(text) <= limit:
        assert out == text
        return
    kept = out.removesuffix("…")
    clusters = list(wcwidth.iter_graphemes(text))
    whole = list(wcwidth.iter_graphemes(kept))
    assert clusters[: len(whole)] == whole
    assert width(kept) + width(clusters[len(whole)]) > limit - 1  # the next one did not fit


def test_one_line_and_fields_cut_by_cells() -> None:
    subject = "注文の配送が遅れています。確認をお願いします。"
    assert width(one_line(subject, limit=20)) <= 20 < width(subject)
    assert field("👩\u200d💻 Lina 🇩🇪", limit=40) == "👩💻 Lina DE"
    assert field("سلام 👍🏽") == "\u2068سلام 👍\u2069"
