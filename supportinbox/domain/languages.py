"""Which language a customer writes in, and which template variant answers in it.

A template may have variants in other languages beside it: ``refund-processed.txt`` (the
account's own language, ``replies.language``, English unless set), ``refund-processed.de.txt``,
``refund-processed.ar.md``. The customer's language is detected from what they wrote
(their own words: quoted history is left out) with py3langid, whose model ships inside the
package (no download, no network). The choice is made only among the languages there are
variants for (and those the model confuses with them: Persian beside Arabic), which is what
makes short messages reliable; a text too short or too mixed to tell, or in a language
without a variant, keeps the template asked for. The user can always pick another variant.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

# A variant's suffix: an ISO 639-1 code (``de``, ``ar``), optionally with a region (``pt-br``).
_VARIANT = re.compile(r"^(?P<base>.+)\.(?P<lang>[a-z]{2}(?:-[a-z]{2})?)$")
_QUOTE_START = re.compile(
    r"^(>|on .{0,200} wrote:|am .{0,200} schrieb .{0,80}:|le .{0,200} a écrit\s?:"
    r"|-----original message-----)",
    re.IGNORECASE,
)
# Languages that read alike to the model (one script, near vocabularies): each is also a
# candidate when another of its group has a variant, so a Persian customer is not taken
# for an Arabic one because only an Arabic variant exists.
_SIBLINGS = (
    ("ar", "fa", "ur"),
    ("es", "pt", "it", "ca", "gl"),
    ("de", "nl", "lb"),
    ("ru", "uk", "be", "bg"),
    ("no", "nb", "nn", "da", "sv"),
    ("cs", "sk"),
    ("hr", "sr", "bs"),
    ("ms", "id"),
)
# Languages written in the Arabic script (the model's codes); the others it knows that a
# template may be in are written in Latin letters, or in a script of their own.
_ARABIC_SCRIPT = frozenset({"ar", "fa", "ur", "ps", "ug", "ku"})
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.8
MAX_CHARS = 4000  # enough to tell; bounds the work on a long message
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Detected:
    language: str
    confidence: float


def split_variant(name: str) -> tuple[str, str | None]:
    """``refund.de`` -> (``refund``, ``de``); ``refund`` -> (``refund``, None)."""
    match = _VARIANT.match(name)
    if match is None:
        return name, None
    return match.group("base"), match.group("lang")


def own_words(body: str) -> str:
    """The part of a message the customer wrote now: quoted history and signatures left out."""
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if stripped == "--" or _QUOTE_START.match(stripped):
            break
        kept.append(line)
    return "\n".join(kept)


@cache
def _identifier() -> tuple[Any, frozenset[str]]:
    """The shared identifier and every language its model knows.

    ``set_languages`` narrows the identifier's own list of languages to the ones asked: the
    model's whole list is kept aside, or a detection among German variants would leave the
    next one unable to tell Persian or Arabic.
    """
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return identifier, frozenset(identifier.nb_classes)


def detect(texts: Iterable[str], candidates: Iterable[str]) -> Detected | None:
    """The language of ``texts`` among ``candidates`` (ISO codes), if it can be told.

    ``None`` when fewer than two candidates are known to the model, the text has too few
    letters, or no candidate is likely enough (see :data:`MIN_CONFIDENCE`).
    """
    text = "\n".join(own_words(t) for t in texts)[:MAX_CHARS]
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return None
    identifier, known = _identifier()
    asked = {c.split("-")[0] for c in candidates}
    related = {lang for group in _SIBLINGS if asked & set(group) for lang in group}
    wanted = sorted((asked | related) & known)
    if len(wanted) < 2:
        return None
    if _script(text) not in {"arabic" if lang in _ARABIC_SCRIPT else "latin" for lang in wanted}:
        # Russian among English, German and Arabic is none of them: chosen among those, it
        # read as Luxembourgish ("the customer writes lb"). Which language it is, then, among all.
        wanted = sorted(known)
    with _LOCK:  # set_languages changes the shared identifier
        identifier.set_languages(wanted)
        language, confidence = identifier.classify(text)
    if confidence < MIN_CONFIDENCE:
        return None
    return Detected(str(language), float(confidence))


def _script(text: str) -> str:
    """``latin``, ``arabic`` or ``other``: the script most of the letters of ``text`` are in."""
    counts = {"latin": 0, "arabic": 0, "other": 0}
    for char in text:
        if char.isalpha():
            if char < "\u0250":
                counts["latin"] += 1
            elif "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f" or "\ufb50" <= char <= "\ufeff":
                counts["arabic"] += 1
            else:
                counts["other"] += 1
    return max(counts, key=counts.__getitem__)


def choose_variant(
    name: str, available: Sequence[str], customer_texts: Iterable[str], own_language: str = "en"
) -> tuple[str, Detected | None]:
    """The template to preselect for ``name`` (a base name or a variant) and what was detected.

    ``available`` are every template name there is. The detected language's variant is
    chosen when it exists; the account's own language is the base template; anything else
    keeps ``name`` as asked.
    """
    base, _ = split_variant(name)
    variants = {lang: n for n in available if (split := split_variant(n))[0] == base and (lang := split[1])}
    if not variants:
        return name, None
    found = detect(customer_texts, [own_language, *variants])
    if found is None:
        return name, None
    if found.language == own_language.split("-")[0]:
        return (base if base in available else name), found
    for lang, variant in sorted(variants.items()):
        if lang.split("-")[0] == found.language:
            return variant, found
    return name, found
