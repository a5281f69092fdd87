"""Topics that grew among customer questions: hints for what the documentation misses.

Each customer message (subject and its own new text: :func:`supportinbox.domain.quoting.new_text`)
gives its words and two-word phrases, stemmed in the message's language with the triage's
stemmer (:mod:`supportinbox.domain.keywords`). A topic counts the **customers** who
mention it, each once however many messages they wrote: one customer asking "any news on
the export?" three times is one question, not a trend. A topic's growth is how many more
customers mention it now than in the period before; topics must be mentioned by at least
:data:`MIN_CUSTOMERS` customers now. Each topic is shown in the spelling customers used most.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from supportinbox.domain.keywords import GENERIC, STOP_WORDS, as_written, language_of, stem_words, words

MIN_CUSTOMERS = 2
PHRASE_SHARE = 0.75  # a phrase replaces its words when it covers this share of their customers
_LINKS = re.compile(r"\S+@\S+|\w+://\S+|www\.\S+")
_GREETINGS = frozenset(
    ["hi", "hey", "hallo", "bonjour", "hola", "salut", "regards", "cheers", "best", "kind"]
)


@dataclass(frozen=True)
class Topic:
    phrase: str
    now: int
    before: int

    @property
    def growth(self) -> int:
        return self.now - self.before

    def to_json(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "customers_now": self.now, "customers_before": self.before}


def _terms(text: str) -> dict[str, str]:
    """Stemmed terms (words and two-word phrases) of one message -> their spelling here."""
    text = _LINKS.sub(" ", text)
    folded = words(text)
    pairs = [
        (w, s)
        for w, s in zip(folded, as_written(text, folded), strict=True)
        if not any(c.isdigit() for c in w)
    ]
    tokens = [w for w, _ in pairs]
    spelled = [s for _, s in pairs]  # as the customer's letters go: an Arabic "ي" is not shown as "ی"
    language = language_of(text, tokens)
    stems = stem_words(tokens, language)
    out: dict[str, str] = {}
    stops = STOP_WORDS[language] | STOP_WORDS["en"]  # every language borrows English
    keep = [len(w) >= 3 and w not in stops and w not in GENERIC and w not in _GREETINGS for w in tokens]
    for i, stem in enumerate(stems):
        if not keep[i]:
            continue
        out.setdefault(stem, spelled[i])
        if i + 1 < len(tokens) and keep[i + 1]:
            out.setdefault(f"{stem} {stems[i + 1]}", f"{spelled[i]} {spelled[i + 1]}")
    return out


def _count(customers: Iterable[Sequence[str]]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """How many customers use each term, and how they spell it (each message is read in
    its own language; a customer's term counts once)."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for texts in customers:
        terms: dict[str, str] = {}
        for text in texts:
            for term, spelling in _terms(text).items():
                terms.setdefault(term, spelling)
        for term, spelling in terms.items():
            counts[term] += 1
            spellings[term][spelling] += 1
    return counts, spellings


def growing_topics(
    now: Iterable[Sequence[str]], before: Iterable[Sequence[str]], limit: int = 15
) -> list[Topic]:
    """The terms that grew most from ``before`` to ``now``: each item is one customer's
    messages (their texts) in that period.

    A two-word phrase replaces its words when it is found with most of their customers
    (:data:`PHRASE_SHARE`), so "reset password" is listed rather than "reset" and
    "password" separately.
    """
    current, spellings = _count(now)
    previous, _ = _count(before)
    candidates = {t: c for t, c in current.items() if c >= MIN_CUSTOMERS}
    for term, count in list(candidates.items()):
        if " " in term:
            for part in term.split(" "):
                if candidates.get(part, 0) * PHRASE_SHARE <= count:
                    candidates.pop(part, None)
    ranked = sorted(
        candidates,
        key=lambda t: (-(candidates[t] - previous.get(t, 0)), -candidates[t], -t.count(" "), t),
    )
    topics = []
    for term in ranked:
        if candidates[term] - previous.get(term, 0) <= 0:
            break
        topics.append(Topic(spellings[term].most_common(1)[0][0], candidates[term], previous.get(term, 0)))
        if len(topics) >= limit:
            break
    return topics
