"""Finding words in mail in any of our languages: folding, word splitting, keyword matching.

Folding makes the spellings customers type match (case, compatibility forms, Arabic and
Persian letter variants, diacritics, typographic apostrophes); the matcher finds whole
words and phrases in linear time whatever the number of keywords.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from supportinbox.config import TriageConfig

# Arabic and Persian spell some letters differently (ي/ی, ك/ک); diacritics and the
# tatweel are decoration; the zero-width non-joiner is sometimes typed as a space.
_FOLD = str.maketrans(
    {
        "\u064a": "\u06cc",
        "\u0649": "\u06cc",
        "\u0643": "\u06a9",
        "\u0640": None,
        "\u200c": " ",
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
    }
)
_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+(?:'\w+)*")
# Clitics that attach to an Arabic word ("the", "and the", "with the", "for the", "and",
# "so", "with"), in folded spelling, longest first.
_ARABIC_CLITICS = ("وال", "بال", "فال", "کال", "لل", "ال", "و", "ف", "ب")


def _fold_chars(text: str) -> str:
    return _MARKS.sub("", unicodedata.normalize("NFKC", text).casefold().translate(_FOLD))


def fold_text(text: str) -> str:
    """Case-fold and normalise ``text`` for keyword matching in any of our languages."""
    return _SPACES.sub(" ", _fold_chars(text))


# ASCII characters that cannot be part of a word become spaces (the apostrophe stays).
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c in "_'")})


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters, digits and inner apostrophes)."""
    if not text.isascii():
        return _TOKEN.findall(_fold_chars(text))
    # ASCII (most mail): folding is lower-casing, and splitting on separators finds the
    # same words as the pattern at half the cost; only runs with an apostrophe need it.
    runs = text.lower().translate(_ASCII_SEPARATORS).split()
    if "'" not in text:
        return runs
    out: list[str] = []
    for run in runs:
        if "'" in run:
            out.extend(_TOKEN.findall(run))
        else:
            out.append(run)
    return out


@dataclass(frozen=True)
class KeywordMatcher:
    """Finds whole-word (and whole-phrase) urgent keywords, case-folded, in any script.

    Text is split into words once and looked up, so the cost is linear in the text
    whatever the number of keywords. An Arabic word also matches with a clitic attached
    ("الاسترداد" matches "استرداد").
    """

    originals: dict[tuple[str, ...], str]  # folded words -> the keyword as configured
    by_first: dict[str, tuple[tuple[str, ...], ...]]

    @classmethod
    def build(cls, keywords: Iterable[str]) -> KeywordMatcher:
        """A matcher for ``keywords`` (empty and duplicate keywords are ignored)."""
        originals: dict[tuple[str, ...], str] = {}
        for keyword in keywords:
            key = tuple(words(keyword))
            if key:
                originals.setdefault(key, keyword.strip())
        grouped: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for key in originals:
            grouped[key[0]].append(key)
        by_first = {first: tuple(sorted(keys, key=len, reverse=True)) for first, keys in grouped.items()}
        return cls(originals, by_first)

    def _candidates(self, word: str) -> tuple[tuple[str, ...], ...]:
        found = self.by_first.get(word)
        if found is None and "\u0600" <= word[0] <= "\u06ff":
            for clitic in _ARABIC_CLITICS:
                if word.startswith(clitic) and len(word) - len(clitic) >= 2:
                    found = self.by_first.get(word[len(clitic) :])
                    if found:
                        break
        return found or ()

    def find(self, text: str) -> list[str]:
        """The keywords found in ``text`` (as configured), in order of first occurrence.

        Where keywords overlap at one word ("refund" and "refund request"), the longest
        one that matches there counts.
        """
        if not self.by_first or not text:
            return []
        tokens = words(text)
        # Look each distinct word up once; most texts contain no keyword at all.
        hits = {token: keys for token in set(tokens) if (keys := self._candidates(token))}
        if not hits:
            return []
        first_at: dict[str, int] = {}
        for token, keys in hits.items():
            # Only the places where a candidate word occurs are visited (list.index scans in C).
            index = -1
            while True:
                try:
                    index = tokens.index(token, index + 1)
                except ValueError:
                    break
                for key in keys:
                    if tuple(tokens[index + 1 : index + len(key)]) == key[1:]:
                        keyword = self.originals[key]
                        if index < first_at.get(keyword, len(tokens)):
                            first_at[keyword] = index
                        break
        return sorted(first_at, key=first_at.__getitem__)


def matcher_for(config: TriageConfig) -> KeywordMatcher:
    """The matcher for the configured urgent keywords plus the extra ones."""
    return KeywordMatcher.build((*config.urgent_keywords, *config.extra_urgent_keywords))
