"""Finding words in mail in any of our languages: folding, word splitting, keyword matching.

Folding makes the spellings customers type match (case, compatibility forms, Arabic and
Persian letter variants, diacritics, typographic apostrophes); the matcher finds whole
words and phrases in linear time whatever the number of keywords.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import Stemmer

from supportinbox.config import TriageConfig
from supportinbox.domain import vocabulary
from supportinbox.domain.vocabulary import PRODUCT_TERMS

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


_FOLDED = tuple(chr(c) for c in _FOLD)
# The letters Arabic and Persian spell differently: folded to match, kept to be shown.
_VARIANTS = "\u064a\u0649\u0643"
_AS_WRITTEN = tuple(char for char in _FOLDED if char not in _VARIANTS)


def _fold_chars(text: str, *, letters: bool = True) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # str.translate looks every character up: only the letters present are replaced.
    for char in _FOLDED if letters else _AS_WRITTEN:
        if char in text:
            text = text.replace(char, _FOLD[ord(char)] or "")
    return _MARKS.sub("", text)


def fold_text(text: str) -> str:
    """Case-fold and normalise ``text`` for keyword matching in any of our languages."""
    return _SPACES.sub(" ", _fold_chars(text))


# ASCII characters that cannot be part of a word become spaces (the apostrophe stays).
# An address ends at a space or at a character no address holds unescaped (RFC 3986:
# "[link=https://x.test]Refund[/link]" names the word Refund, which counts).
_LINKS = re.compile(r"[a-z][a-z0-9+.-]{0,15}://[^\s<>\"\[\]{}|\\^`]*", re.IGNORECASE)
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c in "_'")})


def words(text: str) -> tuple[str, ...]:
    """The folded words of ``text`` (letters, digits and inner apostrophes)."""
    return _words(text)


_PERSIAN_LETTERS_OF = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
_ARABIC_LETTERS_OF = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})
_FINAL_YA = re.compile("\u064a(?!\\w)")
_ARTICLE = "\u0627\u0644"


def spellings(text: str) -> tuple[str, ...]:
    """``text`` as either keyboard writes it: Persian "ی" and "ک", Arabic "ي", "ى" and "ك".

    Matching folds them (:func:`fold_text`); an index of the text as written does not,
    so a search is made of every spelling: "تسجیل" typed on a Persian keyboard finds the
    Arabic "تسجيل", "علی" finds "على". A single Arabic-script word is also looked for
    with the article "ال" that Arabic writes onto it ("فاتورة" finds "الفاتورة").
    """
    if not any("\u0600" <= char <= "\u06ff" for char in text):
        return (text,)
    persian = text.translate(_PERSIAN_LETTERS_OF)
    arabic = persian.translate(_ARABIC_LETTERS_OF)
    found = [text, persian, arabic, _FINAL_YA.sub("\u0649", arabic)]
    if " " not in text.strip() and not text.startswith(_ARTICLE):
        found += [_ARTICLE + spelled for spelled in found]
    return tuple(dict.fromkeys(found))


def as_written(text: str, folded: Sequence[str]) -> Sequence[str]:
    """The words of ``text`` (``folded``: its :func:`words`) spelled as the writer's letters go.

    Folding writes the Arabic "ي", "ى" and "ك" as the Persian "ی" and "ک" so that both
    spellings match; shown to an Arabic reader ("الکامیرا" for "الكاميرا"), the word looks
    misspelled. Case and marks stay folded.
    """
    if not any(char in text for char in _VARIANTS):
        return folded
    if "://" in text:
        text = _LINKS.sub(" ", text)
    written = _TOKEN.findall(_fold_chars(text, letters=False))
    # Folding turns letters into letters: the words are the same ones, one for one.
    return written if len(written) == len(folded) else folded


@dataclass(frozen=True, slots=True)
class Words:
    """A text as the matchers read it: its folded words, split once for all of them."""

    tokens: tuple[str, ...]  # in order
    distinct: frozenset[str]
    arabic: frozenset[str]  # the distinct words in Arabic script: they may carry a clitic

    def __add__(self, other: Words) -> Words:
        """The words of this text and ``other`` joined by a line break (as ``f"{a}\\n{b}"``).

        No word spans a line break, nor does folding (see :func:`_words`), so the words
        of the two texts are those of the joined text: a subject and a body already read
        are not split again.
        """
        return Words(self.tokens + other.tokens, self.distinct | other.distinct, self.arabic | other.arabic)


@functools.lru_cache(maxsize=64)
def read(text: str) -> Words:
    """The :class:`Words` of ``text`` (the matchers of one message share them)."""
    tokens = _words(text)
    distinct = frozenset(tokens)
    return Words(tokens, distinct, frozenset(word for word in distinct if "\u0600" <= word[0] <= "\u06ff"))


# Scoring reads one message with several matchers (failures, mentions, urgent words,
# thanks...): the text is folded and split once, not once per matcher.
@functools.lru_cache(maxsize=64)
def _words(text: str) -> tuple[str, ...]:
    if "://" in text:
        # A link's address is no word anyone wrote: "https://shop.test/urgent-sale" is not
        # "urgent" (HTML mail shows each link's address after its words).
        text = _LINKS.sub(" ", text)
    if not text.isascii():
        # Scoring reads "subject\nbody": an Arabic or German subject should not send an
        # ASCII body the slow way. No word spans a line break, nor does folding (NFKC
        # composes nothing with a newline; case folding and marks are per character).
        head, newline, rest = text.partition("\n")
        if newline and rest.isascii():
            return _words(head) + _words(rest)
        return tuple(_TOKEN.findall(_fold_chars(text)))
    # ASCII (most mail): folding is lower-casing, and splitting on separators finds the
    # same words as the pattern at half the cost; only runs with an apostrophe need it.
    runs = text.lower().translate(_ASCII_SEPARATORS).split()
    if "'" not in text:
        return tuple(runs)
    out: list[str] = []
    for run in runs:
        if "'" in run:
            out.extend(_TOKEN.findall(run))
        else:
            out.append(run)
    return tuple(out)


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

    def contains(self, text: str | Words) -> bool:
        """Whether :meth:`find` finds any keyword in ``text``; cheaper: a one-word keyword
        (or a phrase starting with one) that is there answers at once."""
        if not self.by_first or not text:
            return False
        read_ = text if isinstance(text, Words) else read(text)
        for token in read_.distinct & self.by_first.keys():
            if len(self.by_first[token][-1]) == 1:  # keys run longest first
                return True
        return bool(self.find(read_))

    def find(self, text: str | Words) -> list[str]:
        """The keywords found in ``text`` (as configured), in order of first occurrence.

        Where keywords overlap at one word ("refund" and "refund request"), the longest
        one that matches there counts. ``text`` may be given already read (:func:`read`).
        """
        if not self.by_first or not text:
            return []
        read_ = text if isinstance(text, Words) else read(text)
        tokens = read_.tokens
        # Look each distinct word up once (a set intersection in C; only Arabic words, which
        # may carry a clitic, one by one); most texts contain no keyword at all.
        distinct, arabic = read_.distinct, read_.arabic
        hits = {token: self.by_first[token] for token in distinct & self.by_first.keys()}
        for token in arabic:
            if token not in hits and (keys := self._candidates(token)):
                hits[token] = keys
        if not hits:
            return []
        first_at: dict[str, int] = {}
        for token, keys in hits.items():
            if len(keys) > 1 or len(keys[0]) > 1:
                # A phrase whose other words are not in the text is nowhere in it.
                keys = tuple(key for key in keys if len(key) == 1 or distinct.issuperset(key[1:]))
                if not keys:
                    continue
            if len(keys) == 1 and len(keys[0]) == 1:
                # A one-word keyword (most are): its first place is the word's first place.
                keyword = self.originals[keys[0]]
                index = tokens.index(token)
                if index < first_at.get(keyword, len(tokens)):
                    first_at[keyword] = index
                continue
            # Only the places where a candidate word occurs are visited (list.index scans in C),
            # in order, until each keyword starting with it was found once.
            # (An Arabic keyword may also be found under a word with a clitic: the first place wins.)
            index = -1
            found: set[tuple[str, ...]] = set()
            while len(found) < len(keys):
                try:
                    index = tokens.index(token, index + 1)
                except ValueError:
                    break
                for key in keys:
                    if tuple(tokens[index + 1 : index + len(key)]) == key[1:]:
                        if key not in found:
                            found.add(key)
                            keyword = self.originals[key]
                            if index < first_at.get(keyword, len(tokens)):
                                first_at[keyword] = index
                        break
        return sorted(first_at, key=first_at.__getitem__)


def matcher_for(config: TriageConfig) -> KeywordMatcher:
    """The matcher for the configured urgent keywords plus the extra ones."""
    return KeywordMatcher.build((*config.urgent_keywords, *config.extra_urgent_keywords))


# --- stems --------------------------------------------------------------------------------

# Short upper-case tokens and numbers name things ("PDF", "SSO", "2FA", "API", "502").
_NAMES = re.compile(r"(?<![\w-])(?:[A-Z][A-Z0-9]{1,5}|[0-9][A-Za-z0-9]{1,4})(?![\w-])")
# French and Italian elisions: "l'export", "d'exporter", "j'ai", "qu'il", "dell'app".
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|dell|dall|nell|all|sull)'")
_PERSIAN_LETTERS = frozenset("پچژگ\u06cc\u06a9")
_LATIN_LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl")
_SNOWBALL = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
    "ar": "arabic",
    "fa": "persian",
}
_STEMMERS: dict[str, Any] = {}
_PRODUCT_STEMS: dict[str, dict[str, str]] = {}


def _folded(listed: frozenset[str]) -> frozenset[str]:
    """A word list as text is read: folded ("يعمل" is "یعمل"), split ("نمی‌کند" is two words)."""
    return frozenset(words(" ".join(listed)))


STOP_WORDS = {lang: _folded(listed) for lang, listed in vocabulary.STOP_WORDS.items()}
GENERIC = _folded(vocabulary.GENERIC)  # language -> its stem of a product word -> English stem


def language_of(text: str, folded: Sequence[str]) -> str:
    """A best guess at the language of ``text`` (its folded words given): enough to pick a stemmer."""
    for char in text:
        if "\u0600" <= char <= "\u06ff":
            return "fa" if any(c in _PERSIAN_LETTERS for c in text) else "ar"
    best, hits = "en", 0
    for lang in _LATIN_LANGUAGES:
        stops = STOP_WORDS[lang]
        count = sum(1 for word in folded if word in stops)
        if count > hits:
            best, hits = lang, count
    return best


def _stemmer(lang: str) -> Any:
    stemmer = _STEMMERS.get(lang)
    if stemmer is None:
        stemmer = _STEMMERS[lang] = Stemmer.Stemmer(_SNOWBALL[lang])
    return stemmer


def stems(text: str, lang: str | None = None) -> list[tuple[str, str]]:
    """The words of ``text`` that can name a problem, as ``(stem, word)`` in order of first use.

    Stop words of the text's language and the generic words of support mail are left out;
    the rest is stemmed with that language's Snowball stemmer, so "export", "exporting" and
    "exported" agree. Short upper-case tokens and numbers ("PDF", "2FA", "502") are kept as
    they are, whatever their length. ``lang`` (see :func:`language_of`) is guessed from
    ``text`` when not given.
    """
    folded = words(text)
    lang = lang or language_of(text, folded)
    names = {match.lower() for match in _NAMES.findall(text)}
    # Customers paste English (an error message, a button's label) into their own language.
    stops = STOP_WORDS[lang] if lang == "en" else STOP_WORDS[lang] | STOP_WORDS["en"]
    keep: list[str] = []
    shown: list[str] = []  # each kept word as written (see as_written)
    for word, spelled in zip(folded, as_written(text, folded), strict=True):
        word = _ELISION.sub("", word) if "'" in word else word
        for part in word.split("_") if "_" in word else (word,):
            distinct = len(part) >= 3 and not part.isdigit() and part not in stops and part not in GENERIC
            if part in names or distinct:
                keep.append(part)
                shown.append(spelled if part == word else part)
    stemmed = _stem_words(keep, lang)
    if lang != "en":
        # "relatórios" and "تقارير" are "reports": a feature named in two languages is one stem.
        product, derived = _product_stems(lang), _derivations(lang)
        stemmed = [product.get(stem) or _derived_concept(stem, derived) or stem for stem in stemmed]
    out: dict[str, str] = {}
    for word, spelled, stem in zip(keep, shown, stemmed, strict=True):
        if word in names:
            stem = word
        if stem not in GENERIC and stem not in out and len(stem) >= 2:
            out[stem] = spelled
    return list(out.items())


def stem_words(folded: list[str], lang: str) -> list[str]:
    """The stems of folded words in ``lang``: the stemmer :func:`stems` uses (report topics too)."""
    return _stem_words(folded, lang)


_ARABIC_PREFIX = "\u0627\u0644"  # the article: "البطاقات"
_ARABIC_PLURAL = "\u0627\u062a"  # the sound feminine plural: "بطاقات" (cards)
_TA_MARBUTA = "\u0629"  # the feminine ending: "بطاقة" (card)


def arabic_singular(word: str) -> str:
    """``word`` without its article, feminine ending or sound feminine plural: "البطاقات", "بطاقة" -> "بطاق".

    Snowball's Arabic stemmer reads them apart ("بطاق", "طاقا", "طاق": it takes a "ب" for a
    preposition only where no article came first), and words folded to Persian letters
    ("مکالمات") lose their plural only sometimes. A root keeps three letters.
    """
    if word.startswith(_ARABIC_PREFIX) and len(word) >= 5:
        word = word[2:]
    if word.endswith(_ARABIC_PLURAL) and len(word) >= 5:
        return word[:-2]
    if word.endswith(_TA_MARBUTA) and len(word) >= 4:
        return word[:-1]
    return word


def _stem_words(folded: Sequence[str], lang: str) -> list[str]:
    if lang == "ar":
        folded = [arabic_singular(word) for word in folded]
    if lang in ("ar", "fa") and any(word.isascii() for word in folded):
        # Latin words in Arabic or Persian text (names, pasted English) are stemmed as English.
        latin = iter(_stemmer("en").stemWords([w for w in folded if w.isascii()]))
        native = iter(_stemmer(lang).stemWords([w for w in folded if not w.isascii()]))
        return [next(latin) if word.isascii() else next(native) for word in folded]
    stemmed: list[str] = _stemmer(lang).stemWords(folded)
    if lang != "en" and lang in _LATIN_LANGUAGES:
        # Loanwords ("webhooks", "Export") stem best in English: the shorter stem wins.
        english = _stemmer("en").stemWords(folded)
        stemmed = [e if len(e) < len(s) else s for s, e in zip(stemmed, english, strict=True)]
    return stemmed


_DERIVED_LENGTH = 5  # letters the shorter of a glossary stem and its derivation has at least
_DERIVED_SHARE = 0.7  # of the longer one the shorter covers ("synchronis" of "synchronisier")


def product_concept(stem: str, lang: str) -> str | None:
    """The English stem of the product word that ``stem`` (of ``lang``) names, if it names one.

    A word of :data:`PRODUCT_TERMS` in ``lang``, or in a Latin-script language another
    derivation of one: the two begin alike, the shorter (at least :data:`_DERIVED_LENGTH`
    letters) covering most of the longer. German writes "Synchronisation" as often as the
    glossary's "Synchronisierung" ("synchronis", "synchronisier": sync); "benutzbar"
    (usable) is not "Benutzer" (user).
    """
    return _product_stems(lang).get(stem) or _derived_concept(stem, _derivations(lang))


def _derived_concept(stem: str, derivations: dict[str, tuple[tuple[str, str], ...]]) -> str | None:
    """The concept of the one glossary stem ``stem`` derives from or that derives from it."""
    known = derivations.get(stem[:_DERIVED_LENGTH]) if len(stem) >= _DERIVED_LENGTH else None
    if not known:  # most words: no glossary stem begins with their letters
        return None
    concepts = set()
    for word, concept in known:
        shorter, longer = (stem, word) if len(stem) <= len(word) else (word, stem)
        if longer.startswith(shorter) and len(shorter) >= _DERIVED_SHARE * len(longer):
            concepts.add(concept)
    return concepts.pop() if len(concepts) == 1 else None


@functools.cache
def _derivations(lang: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """The glossary stems of ``lang`` (and their concepts) by their first letters.

    Empty for English (its words are the concepts) and for the Arabic script, whose stems
    are not derived by their endings alone.
    """
    if lang == "en" or lang not in _LATIN_LANGUAGES:
        return {}
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for known, concept in _product_stems(lang).items():
        if len(known) >= _DERIVED_LENGTH:
            index[known[:_DERIVED_LENGTH]].append((known, concept))
    return {prefix: tuple(items) for prefix, items in index.items()}


def concept_stems() -> frozenset[str]:
    """The English stems of the glossary's concepts ("report", "export"): words many features share."""
    english = _stemmer("en")
    return frozenset(english.stemWord(concept) for concept in PRODUCT_TERMS)


def _product_stems(lang: str) -> dict[str, str]:
    """Stems of the product words of ``lang`` (:data:`PRODUCT_TERMS`) -> the English word's stem."""
    found = _PRODUCT_STEMS.get(lang)
    if found is None:
        found = {}
        english = _stemmer("en")
        for concept, by_language in PRODUCT_TERMS.items():
            native = words(by_language.get(lang, ""))
            for stem in _stem_words(native, lang):
                found.setdefault(stem, english.stemWord(concept))
        _PRODUCT_STEMS[lang] = found
    return found
