"""Word stems in the languages customers write in, so "refunds", "refunded" and "refund" count as one.

Snowball stemmers (the ``snowballstemmer`` package) per language; the language of a text
is guessed from its script (Arabic or Persian letters) and, for Latin script, from which
language's common words it uses most. Shared by everything that compares words across
messages (report topics, incident signals).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache

import snowballstemmer

# Language code -> Snowball algorithm.
ALGORITHMS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "ar": "arabic",
    "fa": "persian",
}


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Short, very common words that tell Latin-script languages apart (and are never topics).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _set(
        "the and you your for with this that have has are was were not but can could would "
        "please thanks thank hello dear from when what how our will been its any all just "
        "about after before again also get got use using used one two still some there "
        "here they them then than into out over only very much more other same did does "
        "yes now know need want like make made since while where which who why hi"
    ),
    "de": _set(
        "der die das und ich sie ist nicht mit ein eine einen bitte danke hallo mein meine "
        "wir ihr ihre auf für von zu den dem des wie kann noch schon"
    ),
    "fr": _set(
        "le la les et je vous est pas avec un une des du de mon ma mes bonjour merci pour "
        "dans sur que qui nous votre vos ne ce cette"
    ),
    "es": _set(
        "el la los las y yo usted es no con un una de del mi mis hola gracias para por en "
        "que su sus nos pero como este esta"
    ),
    "it": _set("il lo la gli le e io non con un una di del mio mia ciao grazie per che"),
    "pt": _set("o a os as e eu você não com um uma de do da meu minha olá obrigado para que"),
    "nl": _set("de het een en ik u niet met mijn hallo bedankt voor van dat is op"),
    "ar": _set("في من على إلى الى عن هذا هذه أن ان لا ما مع كان هل شكرا مرحبا"),
    "fa": _set("در از به با این آن که را است نیست من ما شما سلام ممنون برای هم یک"),
}
_PERSIAN_LETTERS = set("پچژگ")
# Matching folds Arabic yeh and kaf to their Persian forms (see triage.words); so do we.
_ARABIC_FOLD = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
_FOLDED = {code: frozenset(w.translate(_ARABIC_FOLD) for w in STOPWORDS[code]) for code in ("ar", "fa")}
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


def guess_language(words: Sequence[str]) -> str:
    """The language code of a text given its (folded) words; ``"en"`` when unsure."""
    arabic_script = [w.translate(_ARABIC_FOLD) for w in words if _ARABIC_SCRIPT.search(w)]
    if arabic_script and len(arabic_script) * 2 >= len(words):
        if any(c in _PERSIAN_LETTERS for w in arabic_script for c in w):
            return "fa"
        persian = sum(1 for w in arabic_script if w in _FOLDED["fa"])
        arabic = sum(1 for w in arabic_script if w in _FOLDED["ar"])
        return "fa" if persian > arabic else "ar"
    best, hits = "en", 0
    for language, common in STOPWORDS.items():
        found = sum(1 for w in words if w in common)
        if found > hits:
            best, hits = language, found
    return best


@cache
def _stemmer(language: str) -> Callable[[str], str]:
    algorithm = ALGORITHMS.get(language)
    if algorithm is None:
        return str
    stemmer = snowballstemmer.stemmer(algorithm)
    return stemmer.stemWord  # type: ignore[no-any-return]


def stem_words(words: Iterable[str], language: str) -> list[str]:
    """The stems of ``words`` (already folded to lower case) in ``language``."""
    stem = _stemmer(language)
    return [stem(word) for word in words]


def is_stopword(word: str, language: str) -> bool:
    """A word too common in ``language`` (or in English, which every language borrows) to mean anything."""
    return word in STOPWORDS.get(language, frozenset()) or word in STOPWORDS["en"]
