"""Incidents: several customers reporting the same problem within a short window.

A conversation is a candidate when its customer reports a problem in their own new text
(failure wording such as "not working", "error 502", "funktioniert nicht", or an urgent
keyword). What the problem is about is read from the stems of the subject and the new
text (:func:`supportinbox.domain.keywords.stems`: "export", "exporting" and "Export" agree;
"PDF", "SSO", "2FA", "502" are kept), without stop words, generic support words and
words no other candidate uses.

Candidates are taken in time order; each joins the group it is most similar to (a weighted
Dice coefficient over shared stems, rarer stems weighing more, subject words double) if
that group started within the window and the similarity reaches :data:`SIMILARITY`, else
starts a group of its own. One shared common word ("invoice") is not enough; a shared
name ("pdf export") is. A report alike to two groups, sharing at least
:data:`BRIDGE_STEMS` stems with each, shows they are one problem told two ways ("moving
cards on the board", "the kanban board keeps failing", then "cards jump back on the kanban
board?"): the other group, while too small to be an incident, merges into the first (two
incidents stay apart). Once all reports are placed, groups of two or more whose members
all use one word that is theirs ("funnel" in "Conversion funnels broken" and "Error when
building a funnel") join too (:func:`_join_fragments`), and a lone report naming an
incident's own word and little else joins it ("Expense reports fails with error 500" amid
reports of "expense claims", :func:`_join_lone_reports`). A group with
``incident_min_customers`` different customers is an incident, explained in one line:
``incident: 3 customers report 'pdf export' in 1 h``.

Work is near-linear: a candidate is compared only with the groups that share one of its
stems and are still inside the window.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import TypeVar

from supportinbox.config import TriageConfig
from supportinbox.domain.keywords import concept_stems, product_concept, stems
from supportinbox.domain.threading import short_id
from supportinbox.domain.vocabulary import GENERIC, STOP_WORDS, STRONG_FAILURE
from supportinbox.domain.when import span_words

_Key = TypeVar("_Key")

INCIDENT_POINTS = 25
INCIDENT_LOOKBACK = timedelta(days=7)
SIMILARITY = 0.5  # share of the smaller side (report or group profile) in common, to join
SUBJECT_WEIGHT = 2.0
BRIDGE_STEMS = 2  # stems a report shares with each of two groups to merge them (one word is not enough)
UNTRANSLATED = 0.5  # weight of a report's Arabic-script words against a group that has none
_SIGNAL_SHARE = 0.5  # a stem named in the reason is used by more than this share of members


@dataclass(frozen=True)
class IncidentCandidate:
    """A conversation whose customer reports a problem, as incident detection sees it.

    ``subject_terms`` and ``text_terms`` are ``(stem, word)`` pairs of the subject and of
    the customer's new text (see :func:`supportinbox.domain.keywords.stems`).
    """

    id: str
    customer: str
    when: datetime
    subject_terms: Sequence[tuple[str, str]]
    text_terms: Sequence[tuple[str, str]] = ()
    # Whether the customer says something fails ("not working", "error 500", "down?"), not
    # only mentions a problem ("cannot find", "missing"): an incident needs one such report.
    failing: bool = True
    lang: str = "en"  # the language the stems were read in (see keywords.language_of)


@dataclass(frozen=True)
class Incident:
    id: str
    signal: str  # the words members share, as customers wrote them ("pdf export")
    customers: int
    span: timedelta
    conversation_ids: tuple[str, ...]
    stems: tuple[str, ...]  # what new reports are matched against
    first_at: datetime
    last_at: datetime

    @property
    def reason(self) -> str:
        """``"incident: 4 customers report 'login' in 3 h"`` (or ``in 40 min``)."""
        return reason_line(self.customers, self.signal, self.span)


def reason_line(customers: int, signal: str, span: timedelta) -> str:
    """The one line that explains an incident: ``... in 12 min`` (``within a minute``)."""
    return f"incident: {customers} customers report '{signal}' {span_words(span)}"


_REASON = re.compile(r"incident: (\d+) customers report (.+)")


def read_reason(reason: str) -> tuple[int, str] | None:
    """The customers and what they report (``"'login' in 3h"``) of a :func:`reason_line`.

    Whatever shows an incident's count reads it here, so a row never says "2 customers"
    beside its reason's "3 customers" (a member closed still reported it). None for
    another line.
    """
    found = _REASON.fullmatch(reason)
    return (int(found.group(1)), found.group(2)) if found else None


def incident_cutoff(config: TriageConfig, now: datetime) -> datetime:
    """Conversations reporting before this moment cannot be part of an incident at ``now``."""
    return now - max(INCIDENT_LOOKBACK, timedelta(hours=config.incident_window_hours))


@dataclass
class _Group:
    """Reports gathered so far on one problem."""

    first: datetime
    members: list[IncidentCandidate] = field(default_factory=list)
    profile: _Profile = field(default_factory=lambda: _Profile())  # subject and first sentence
    subjects: _Profile = field(default_factory=lambda: _Profile())  # subjects alone
    uses: Counter[str] = field(default_factory=Counter)  # stem -> members using it
    customers: set[str] = field(default_factory=set)
    failing: bool = False  # a member reports a failure, not only mentions a problem
    _held: tuple[int, frozenset[str]] = (0, frozenset())  # members counted -> stems all name

    def add(self, candidate: IncidentCandidate, report: _Report) -> None:
        self.members.append(candidate)
        self.customers.add(candidate.customer)
        self.failing = self.failing or candidate.failing
        self.profile.add(report.full)
        self.subjects.add(report.subject)
        self.uses.update(report.full.keys())  # members using each stem (not their weights)

    def absorb(self, other: _Group) -> None:
        """Take ``other``'s members in: one problem that two groups started apart."""
        self.first = min(self.first, other.first)
        self.members = sorted([*self.members, *other.members], key=lambda c: (c.when, c.id))
        self.profile.merge(other.profile)
        self.subjects.merge(other.subjects)
        self.uses.update(other.uses)
        self.customers |= other.customers
        self.failing = self.failing or other.failing

    def is_incident(self, config: TriageConfig) -> bool:
        return self.failing and len(self.customers) >= config.incident_min_customers

    def held(self) -> frozenset[str]:
        """The stems of :data:`_OWN_STEM` letters or more that every member names.

        Members quoting one error message are read as one voice: a member names a stem when
        another member quoting the same message does ("Bug avec les demandes de congés :
        'balance cannot be negative'" and "Problema con las solicitudes de vacaciones:
        'balance cannot be negative'" both name "demandes").
        """
        size = len(self.members)
        if self._held[0] == size:  # members only come, so their count tells the stems are current
            return self._held[1]
        held = {stem for stem, used in self.uses.items() if used == size and len(stem) >= _OWN_STEM}
        if len(held) < len(self.uses) and any(
            stem.startswith(QUOTE_MARK) and used > 1 for stem, used in self.uses.items()
        ):
            said = [{stem for stem, _ in (*m.subject_terms, *m.text_terms)} for m in self.members]
            voice = list(range(size))  # member -> a member quoting what it quotes (union-find)

            def root(member: int) -> int:
                while voice[member] != member:
                    voice[member] = voice[voice[member]]
                    member = voice[member]
                return member

            quoting: dict[str, int] = {}  # message -> the first member quoting it
            for member, words in enumerate(said):
                for stem in words:
                    if stem.startswith(QUOTE_MARK):
                        voice[root(member)] = root(quoting.setdefault(stem, member))
            voices: dict[str, set[int]] = defaultdict(set)
            for member, words in enumerate(said):
                for stem in words:
                    voices[stem].add(root(member))
            every = {root(member) for member in range(size)}
            held |= {stem for stem in self.uses if len(stem) >= _OWN_STEM and voices[stem] == every}
        self._held = (size, frozenset(held))
        return self._held[1]

    def shares(self, report: _Report) -> int:
        """How many of the report's stems members of this group use, beside failure words.

        "Gives a blank page" says how a feature fails, not which: it bridges no two groups.
        """
        uses, failure = self.uses, _failure_stems()
        return sum(1 for stem in report.full if stem in uses and stem not in failure)

    def similarity(self, report: _Report) -> float:
        """How alike a report and this group are: by everything they say, or by their subjects."""
        size = len(self.members)
        full = self.profile.overlap(report.full, report.full_norm, size, report.full_native)
        if not report.subject:
            return full
        subject = self.subjects.overlap(report.subject, report.subject_norm, size, report.subject_native)
        return max(full, subject)


@dataclass
class _Profile:
    """Summed stem weights of a group's members."""

    weight: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    total: float = 0.0
    native: float = 0.0  # the part of total in Arabic script

    def add(self, vector: dict[str, float]) -> None:
        for stem, value in vector.items():
            self.weight[stem] += value
        self.total += sum(vector.values())
        self.native += sum(value for stem, value in vector.items() if not stem.isascii())

    def merge(self, other: _Profile) -> None:
        self.add(other.weight)

    def overlap(self, vector: dict[str, float], norm: float, size: int, native: float = 0.0) -> float:
        """The share of the smaller side (the report, or the group's mean) that the two have in common.

        ``native`` is the part of ``norm`` in Arabic script. When only one side has words in
        that script, nobody on the other side could have shared them: they count
        :data:`UNTRANSLATED` of their weight ("حالت آفلاین" against "offline mode").
        """
        total = self.total
        if native and not self.native:
            norm -= (1 - UNTRANSLATED) * native
        elif self.native and not native:
            total -= (1 - UNTRANSLATED) * self.native
        weight = self.weight
        shared = 0.0
        for stem, value in vector.items():  # the hot loop of detection: plain arithmetic
            mine = weight.get(stem)
            if mine is not None:
                mine /= size
                shared += value if value < mine else mine
        if not shared:
            return 0.0
        mean = total / size
        return shared / (norm if norm < mean else mean)


@dataclass(frozen=True)
class _Report:
    """A candidate's stems weighted by rarity: everything (subject double), and the subject alone."""

    full: dict[str, float]
    subject: dict[str, float]
    full_norm: float
    subject_norm: float
    full_native: float = 0.0  # the part of full_norm in Arabic script
    subject_native: float = 0.0


def _frequency(candidates: Sequence[IncidentCandidate]) -> Counter[str]:
    """How many candidates use each stem (in their subject or their text).

    Not the terms that only say a word was an acronym (:func:`acronym_terms`): the word's
    own stem counts, or the phrase it was read as. Reports are weighed by the stems counted.
    """
    frequency: Counter[str] = Counter()
    for candidate in candidates:
        frequency.update({stem for stem, _ in candidate.subject_terms} | {s for s, _ in candidate.text_terms})
    for stem in [stem for stem in frequency if stem[:1] == ACRONYM_MARK]:
        del frequency[stem]
    return frequency


def _reports(candidates: Sequence[IncidentCandidate], frequency: Counter[str]) -> list[_Report]:
    """Each candidate's weighted stems: the rarer among the candidates, the more a stem names the problem.

    Stems only one candidate uses still count on its side: a report about "invoice download"
    shares only half of itself with one about "invoice VAT number". ``frequency`` is how many
    candidates use each stem (:func:`_frequency`).
    """
    count = len(candidates)
    rarity = {stem: math.log(1 + count / max(n, 2)) for stem, n in frequency.items()}
    for stem in rarity:
        if stem.startswith(FEATURE_MARK):  # the team named this feature: what the report is about
            rarity[stem] *= FEATURE_WEIGHT
        elif stem.startswith(QUOTE_MARK):  # the product's own words, copied from the screen
            rarity[stem] *= QUOTE_WEIGHT
    reports = []
    for candidate in candidates:
        subject = {stem: rarity[stem] for stem, _ in candidate.subject_terms if stem in rarity}
        full = {stem: rarity[stem] for stem, _ in candidate.text_terms if stem in rarity}
        full.update({stem: SUBJECT_WEIGHT * value for stem, value in subject.items()})
        reports.append(
            _Report(
                full,
                subject,
                sum(full.values()),
                sum(subject.values()),
                sum(v for stem, v in full.items() if not stem.isascii()),
                sum(v for stem, v in subject.items() if not stem.isascii()),
            )
        )
    return reports


COGNATE_LENGTH = 5  # letters the shorter of two cognate stems has at least ("coment", not "form")
_SPELLING = str.maketrans({"y": "i", "k": "c"})


def _spelling(stem: str) -> str:
    """A stem as cognates across our Latin-script languages agree: no accents, no doubled letters."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(c))
    # English keeps the French "ou" where the Romance languages write "u" ("coupon", "cupón").
    plain = plain.translate(_SPELLING).replace("ph", "f").replace("ou", "u")
    return "".join(c for i, c in enumerate(plain) if i == 0 or c != plain[i - 1])


def cognates(stems: Iterable[str]) -> dict[str, str]:
    """Stems that are one word in two languages -> the shorter one: "comentari" -> "comment".

    Product words are often the same word in each language, spelled its way ("comentarios",
    "commentaires", "comments"). Two Latin-script stems are taken as one when, without
    accents and doubled letters, the shorter (at least :data:`COGNATE_LENGTH` letters) begins
    the longer and covers most of it. Stems are bucketed by their first letters, so the work
    stays linear in the number of stems.
    """
    buckets: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for stem in stems:
        if stem.isalpha() and all(c < "\u0250" for c in stem):  # Latin letters only
            plain = _spelling(stem)
            if len(plain) >= COGNATE_LENGTH:
                buckets[plain[:COGNATE_LENGTH]].append((plain, stem))
    mapping: dict[str, str] = {}
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        bucket.sort(key=lambda item: (len(item[0]), item[1]))
        for index, (plain, stem) in enumerate(bucket):
            for shorter, root in bucket[:index]:
                if plain.startswith(shorter) and len(shorter) >= _COGNATE_SHARE * len(plain):
                    mapping[stem] = mapping.get(root, root)
                    break
    return mapping


_COGNATE_SHARE = 0.6  # of the longer stem the shorter one covers ("coment" of "comentari")


_COMPOUNDING = frozenset({"de", "nl"})  # languages that write "text editor" as one word
_COMPOUND_LENGTH = 8  # letters a stem has at least to be read as a compound
_PART_LENGTH = 4  # letters the last part of a compound has at least ("editor", not "tor")


def compound_parts(stem: str, vocabulary: Collection[str], lang: str | None = None) -> tuple[str, ...]:
    """The parts of a German or Dutch compound that other reports name: "texteditor" -> editor, text.

    The last part is what the compound is ("Texteditor" is an editor): the longest ending of
    at least :data:`_PART_LENGTH` letters that is a stem in ``vocabulary`` or, with ``lang``,
    a product word of that language (as its English stem: "rechnungsexport" -> export,
    invoic); the part before it (without a joining "s") comes along when it is one too.
    Empty when no ending is known.
    """
    if len(stem) < _COMPOUND_LENGTH or not stem.isalpha():
        return ()
    for cut in range(3, len(stem) - _PART_LENGTH + 1):
        tail = _part(stem[cut:], vocabulary, lang)
        if tail:
            head = stem[:cut]
            for first in (head, head[:-1] if head.endswith("s") else ""):
                if part := _part(first, vocabulary, lang):
                    return tail, part
            return (tail,)
    return ()


def _part(part: str, vocabulary: Collection[str], lang: str | None) -> str:
    """``part`` as a stem other reports use: itself, or the product word it is; else empty."""
    if not part or part in vocabulary:
        return part
    return (product_concept(part, lang) or "") if lang else ""


# Consonants as Arabic script and English spelling both write them: a loanword ("آفلاین",
# "وبینار", "پلاگین") and the English word ("offline", "webinar", "plugin") agree. Vowels are
# left out (Persian and Arabic mostly do not write them); p/b and v/f are one sound class
# (Arabic has no p nor v: "كوبون", "فيديو").
_ARABIC_CONSONANTS = str.maketrans(
    {
        "\u0628": "b", "\u067e": "b", "\u062a": "t", "\u0637": "t", "\u062b": "s", "\u0633": "s",
        "\u0635": "s", "\u062c": "j", "\u0686": "c", "\u062d": "h", "\u0647": "h", "\u0629": "",
        "\u062e": "x", "\u062f": "d", "\u0636": "d", "\u0630": "z", "\u0632": "z", "\u0638": "z",
        "\u0698": "z", "\u0631": "r", "\u0634": "S", "\u0639": "", "\u063a": "g", "\u06af": "g",
        "\u0641": "f", "\u0642": "k", "\u06a9": "k", "\u0643": "k", "\u0644": "l", "\u0645": "m",
        "\u0646": "n", "\u0627": "", "\u0622": "", "\u0623": "", "\u0625": "", "\u0621": "",
        "\u0626": "", "\u0624": "",
    }
)  # fmt: skip
_ENGLISH_SOUNDS = (("sh", "S"), ("ch", "c"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("qu", "k"), ("x", "ks"))
_ENGLISH_CONSONANTS = str.maketrans(
    {"p": "b", "v": "f", "w": "f", "q": "k", "a": "", "e": "", "i": "", "o": "", "u": ""}
)
_SKELETON_LENGTH = 3  # consonants a word has at least to be matched by its sound


def _collapse(text: str) -> str:
    return "".join(c for i, c in enumerate(text) if i == 0 or c != text[i - 1])


def arabic_skeleton(word: str) -> str:
    """The consonants of an Arabic-script word (folded): "آفلاین" -> "fln", "وبینار" -> "fbnr"."""
    for clitic in ("\u0627\u0644", "\u0644\u0644"):  # "the", "for the"
        if word.startswith(clitic) and len(word) > len(clitic) + 2:
            word = word[len(clitic) :]
            break
    for plural in ("\u0647\u0627\u06cc", "\u0647\u0627", "\u0627\u062a"):  # Persian "ها(ی)", Arabic "ات"
        if word.endswith(plural) and len(word) > len(plural) + 2:
            word = word[: -len(plural)]
            break
    # و and ی are vowels inside a loanword ("پروفایل"), consonants at its start ("وبینار").
    head = {"\u0648": "f", "\u06cc": "y"}.get(word[:1], word[:1].translate(_ARABIC_CONSONANTS))
    rest = word[1:].translate(_ARABIC_CONSONANTS)
    return _collapse(head + "".join(c for c in rest if c.isascii()))


def english_skeleton(word: str) -> str:
    """The consonants of an English word as they sound: "offline" -> "fln", "webinar" -> "fbnr"."""
    for letters, sound in _ENGLISH_SOUNDS:
        word = word.replace(letters, sound)
    word = re.sub(r"c(?=[eiy])", "s", word).replace("c", "k")
    word = word[:1] + word[1:].replace("y", "")
    return _collapse(word.translate(_ENGLISH_CONSONANTS))


def loanwords(candidates: Sequence[IncidentCandidate]) -> dict[str, str]:
    """Stems of Persian and Arabic loanwords -> the English stem they sound like: "آفلاین" -> "offlin".

    A word is matched when its consonants (at least :data:`_SKELETON_LENGTH`) are those of
    one English word other reports use, or of several but one used by more reports than
    each of the others ("offline" in four reports over a German "vielen" in one).
    """
    if not any(c.lang in ("ar", "fa") for c in candidates):
        return {}
    english: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # -> stem -> reports
    for candidate in candidates:
        if candidate.lang not in ("ar", "fa"):
            for stem, word in (*candidate.subject_terms, *candidate.text_terms):
                if word.isascii() and word.isalpha():
                    english[english_skeleton(word)][stem].add(candidate.id)
                    english[english_skeleton(stem)][stem].add(candidate.id)  # "webinar" for "webinars"
    mapping: dict[str, str] = {}
    for candidate in candidates:
        if candidate.lang in ("ar", "fa"):
            for stem, word in (*candidate.subject_terms, *candidate.text_terms):
                if word.isascii():
                    continue
                skeleton = arabic_skeleton(word)
                found = english.get(skeleton) if len(skeleton) >= _SKELETON_LENGTH else None
                if found and (match := _most_used(found)):
                    mapping[stem] = match
    return mapping


def _most_used(stems: Mapping[_Key, set[str]]) -> _Key | None:
    """The stem (or phrase) more reports use than any other, if one is."""
    ranked = sorted(stems.items(), key=lambda item: -len(item[1]))
    if len(ranked) > 1 and len(ranked[0][1]) == len(ranked[1][1]):
        return None
    return ranked[0][0]


FEATURE_WEIGHT = 3.0  # a feature the team named weighs this many times its rarity
QUOTE_WEIGHT = 3.0  # an error message quoted word for word weighs this many times its rarity
_PART_STEM = 5  # letters a stem of a feature's name has at least to name the feature alone
FEATURE_MARK = "\u00a7"  # begins the stem a feature of the team's glossary is read as: "§k3x9qa"

QUOTE_MARK = "\u201c"  # begins the stem of a quoted error message: "\u201cbalance cannot be negative"
_QUOTED = re.compile(
    r"(?<!\w)['\u2018\"\u201c\u201e\u00ab]([^'\"\n\u2018\u2019\u201c\u201d\u00ab\u00bb]{3,80}?)['\u2019\"\u201d\u00bb](?!\w)"
    r"|\(([^()\n]{3,80})\)"
)
_OPENING = re.compile("['\"(\u2018\u201c\u201e\u00ab]")
_QUOTE_WORDS = (2, 8)  # words of letters a quoted message has (not "error 500", not a paragraph)


def report_terms(sentence: str, lang: str | None = None) -> list[tuple[str, str]]:
    """The terms of a report's first sentence: its stems, its acronyms and the error messages it quotes."""
    return [*stems(sentence, lang), *acronym_terms(sentence), *quoted_terms(sentence)]


def subject_terms(subject: str, lang: str | None = None, written: str = "") -> list[tuple[str, str]]:
    """The terms of a report's subject: its stems, and the acronyms of the subject as ``written``.

    ``subject`` is the subject as threads compare it (case-folded: see
    :func:`supportinbox.domain.threading.normalize_subject`), ``written`` as the customer wrote it.
    """
    return [*stems(subject, lang), *acronym_terms(written)]


ACRONYM_MARK = "\u2038"  # begins the term of an acronym as written: "\u2038po" for "POs"
_ACRONYM = re.compile(r"(?<![\w/&-])(([A-Z]{2,4})s?)(?![\w/&-])")


def acronym_terms(text: str) -> list[tuple[str, str]]:
    """The acronyms of ``text`` ("POs", "SLA"), each as a term of its letters: ``("\u2038po", "POs")``.

    Read where the writer also writes lower case: a subject in capitals ("ERROR WHEN
    BUILDING A FUNNEL") has no acronyms, and a stop word in capitals ("our IT team") is none.
    """
    found = _ACRONYM.findall(text)
    if not found or text.upper() == text:
        return []
    stop = _stop_words()
    return list(
        {
            ACRONYM_MARK + letters.lower(): written
            for written, letters in found
            if letters.lower() not in stop  # "IT", "US", "OR" are words
        }.items()
    )


@cache
def _stop_words() -> frozenset[str]:
    """Stop words of every language the rules read, and the generic words of support mail."""
    return frozenset().union(GENERIC, *STOP_WORDS.values())


class _Initials(dict[tuple[str, str], str]):
    """A term -> the first letter of its word, or a space for a term that is no word of letters."""

    def __missing__(self, term: tuple[str, str]) -> str:
        stem, word = term
        letter = word[0] if word.isalpha() and stem[:1] != ACRONYM_MARK else " "
        self[term] = letter
        return letter


def acronyms(
    candidates: Sequence[IncidentCandidate], vocabulary: Collection[str]
) -> dict[str, tuple[tuple[str, str], ...]]:
    """Acronyms -> the terms of the phrase their letters begin: "POs" -> purchase orders.

    Customers shorten a feature's name ("POs", "ATA") where others write it out ("purchase
    orders", "automatic ticket assignment"). An acronym is read as the phrase of two to four
    words, in a row in one subject or first sentence, whose initials are its letters, when
    two reports or more write that phrase and no other phrase of those initials is written
    as often. The acronym's term and the stem of its word ("pos") both become the phrase's
    terms, as its first writer spelled them. ``vocabulary``: the candidates' stems.
    """
    wanted = {stem[1:] for stem in vocabulary if stem[:1] == ACRONYM_MARK}
    if not wanted:
        return {}
    phrases: dict[str, dict[tuple[str, ...], set[str]]] = defaultdict(lambda: defaultdict(set))
    spelled: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}  # a phrase's stems -> as written
    initial = _Initials()
    for candidate in candidates:
        for terms in (candidate.subject_terms, candidate.text_terms):
            if len(terms) < 2:
                continue
            initials = "".join(map(initial.__getitem__, terms))  # the hot loop: no Python per term
            for letters in wanted:
                at = initials.find(letters)
                while at >= 0:
                    run = tuple(terms[at : at + len(letters)])
                    named = tuple(stem for stem, _ in run)
                    phrases[letters][named].add(candidate.id)
                    spelled.setdefault(named, run)
                    at = initials.find(letters, at + 1)
    mapping: dict[str, tuple[tuple[str, str], ...]] = {}
    for letters in wanted:
        written = {named: ids for named, ids in phrases[letters].items() if len(ids) >= 2}
        if written and (best := _most_used(written)):
            # The acronym's word as stemmed: "POs" is "pos", "CRM" is "crm".
            for stem in (ACRONYM_MARK + letters, *(s for s in (letters, f"{letters}s") if s in vocabulary)):
                mapping[stem] = spelled[best]
    return mapping


def quoted_terms(text: str) -> list[tuple[str, str]]:
    """Error messages a customer quotes, each as one term: ``("\u201cbalance cannot be negative", ...)``.

    Customers copy what the product shows them, in quotes or brackets ("Tenemos un problema:
    'balance cannot be negative'", "يظهر لي خطأ ('condition invalid')"), in the product's
    language whatever their own: the same message quoted word for word by several customers
    is one failure. The term is the message without case, accents and punctuation, so it
    agrees across the languages around it; a message has two to eight words of letters.
    """
    if not _OPENING.search(text):  # most reports quote nothing: one quick look
        return []
    out: dict[str, str] = {}
    for found in _QUOTED.finditer(text):
        said = (found.group(1) or found.group(2)).strip().strip("'\"\u2018\u2019\u201c\u201d").strip()
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", said.casefold()) if not unicodedata.combining(c)
        )
        words = re.findall(r"\w+", plain)
        lettered = sum(1 for word in words if not word.isdigit())
        if _QUOTE_WORDS[0] <= lettered and len(words) <= _QUOTE_WORDS[1]:
            out.setdefault(QUOTE_MARK + " ".join(words), f"'{said}'")
    return list(out.items())


_Phrases = dict[str, list[tuple[tuple[str, ...], str]]]  # first stem -> (stems, feature stem), longest first


class Glossary:
    """The team's own feature names (``[triage] features``), read in each report's language.

    Each feature and each other name of it is stemmed as reports are (:func:`stems`); where
    a report's stems hold a name's stems in a row ("purchas", "order"), they are read as one
    stem of the feature, so "POs", "purchase orders" and "Bestellungen" are one word.
    """

    def __init__(self, features: Mapping[str, Sequence[str]]) -> None:
        self.names = [
            (f"{FEATURE_MARK}{short_id(feature, 6)}", (feature, *others))
            for feature, others in features.items()
        ]
        self.titles = {token: names[0] for token, names in self.names}  # stem -> the feature's name
        self._by_lang: dict[str, _Phrases] = {}

    def __bool__(self) -> bool:
        return bool(self.names)

    def _phrases(self, lang: str) -> _Phrases:
        found = self._by_lang.get(lang)
        if found is None:
            found = defaultdict(list)
            parts: dict[str, set[str]] = defaultdict(set)  # a stem of a name of several words -> features
            for token, names in self.names:
                for name in names:
                    named = tuple(stem for stem, _ in stems(name, lang))
                    if named:
                        found[named[0]].append((named, token))
                    if len(named) > 1:
                        for stem in named:
                            parts[stem].add(token)
            # "funnel" alone names "conversion funnels" when no other feature's name has it,
            # it is no common product word ("report", "export") and no short one.
            common = concept_stems()
            for stem, tokens in parts.items():
                if (
                    len(tokens) == 1
                    and len(stem) >= _PART_STEM
                    and stem not in common
                    and (stem,) not in {named for named, _ in found.get(stem, ())}
                ):
                    found[stem].append(((stem,), next(iter(tokens))))
            for options in found.values():
                options.sort(key=lambda option: -len(option[0]))
            self._by_lang[lang] = found
        return found

    def read(self, terms: Sequence[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
        """``terms`` with each run of stems naming a feature replaced by the feature's stem."""
        phrases = self._phrases(lang)
        if not any(stem in phrases for stem, _ in terms):
            return list(terms)
        out: dict[str, str] = {}
        index = 0
        while index < len(terms):
            stem, word = terms[index]
            for named, token in phrases.get(stem, ()):
                if tuple(s for s, _ in terms[index : index + len(named)]) == named:
                    out.setdefault(token, " ".join(w for _, w in terms[index : index + len(named)]))
                    index += len(named)
                    break
            else:
                out.setdefault(stem, word)
                index += 1
        return list(out.items())


def _with_glossary(candidates: list[IncidentCandidate], glossary: Glossary) -> list[IncidentCandidate]:
    if not glossary:
        return candidates
    return [
        replace(
            c,
            subject_terms=glossary.read(c.subject_terms, c.lang),
            text_terms=glossary.read(c.text_terms, c.lang),
        )
        for c in candidates
    ]


def _with_cognates(candidates: list[IncidentCandidate]) -> list[IncidentCandidate]:
    """The candidates as one vocabulary: cognates written as the shorter one, compounds as their parts."""
    vocabulary = {stem for c in candidates for stem, _ in (*c.subject_terms, *c.text_terms)}
    mapping: dict[str, tuple[str, ...]] = {s: (root,) for s, root in cognates(vocabulary).items()}
    mapping.update((stem, (english,)) for stem, english in loanwords(candidates).items())
    short = acronyms(candidates, vocabulary)
    mapping.update((stem, tuple(part for part, _ in run)) for stem, run in short.items())
    known = {mapping[s][0] if s in mapping else s for s in vocabulary}
    for candidate in candidates:
        if candidate.lang in _COMPOUNDING:
            for stem, _ in (*candidate.subject_terms, *candidate.text_terms):
                if stem not in mapping and (parts := compound_parts(stem, known - {stem}, candidate.lang)):
                    mapping[stem] = parts
    if not mapping:
        return candidates

    def mapped(terms: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        out: dict[str, str] = {}
        for stem, word in terms:
            if stem in short:  # "POs" reads as "purchase orders", written out
                for part, written in short[stem]:
                    out.setdefault(part, written)
                continue
            for part in mapping.get(stem, (stem,)):
                out.setdefault(part, word)
        return list(out.items())

    return [
        replace(c, subject_terms=mapped(c.subject_terms), text_terms=mapped(c.text_terms)) for c in candidates
    ]


def find_incidents(
    candidates: Sequence[IncidentCandidate], config: TriageConfig, now: datetime | None = None
) -> list[Incident]:
    """Group reports of the same problem from ``incident_min_customers`` customers in the window.

    With ``now``, only the last :data:`INCIDENT_LOOKBACK` counts: an incident is about what
    happens now. Each conversation joins at most one incident.
    """
    if now is not None:
        cutoff = incident_cutoff(config, now)
        candidates = [c for c in candidates if c.when >= cutoff]
    glossary = Glossary(config.features)
    ordered = _with_cognates(_with_glossary(sorted(candidates, key=lambda c: (c.when, c.id)), glossary))
    window = timedelta(hours=config.incident_window_hours)
    groups: list[_Group] = []
    merged: set[int] = set()  # groups taken into another one
    by_stem: dict[str, deque[int]] = defaultdict(deque)  # stem -> groups using it
    frequency = _frequency(ordered)  # rarity weighs the stems; joining groups asks whose a stem is
    for candidate, report in zip(ordered, _reports(ordered, frequency), strict=True):
        if not report.full:
            continue
        alike: dict[int, float] = {}
        for stem in report.full:
            postings = by_stem[stem]
            # Groups that started before the window are finished (postings are mostly oldest first).
            while postings and candidate.when - groups[postings[0]].first > window:
                postings.popleft()
            stale = False
            for index in postings:
                if index in merged:
                    stale = True
                elif index not in alike and candidate.when - groups[index].first <= window:
                    alike[index] = groups[index].similarity(report)
            if stale:  # each merged group is dropped from a posting list once
                by_stem[stem] = deque(i for i in postings if i not in merged)
        matches = sorted((i for i, sim in alike.items() if sim > SIMILARITY), key=lambda i: (-alike[i], i))
        if not matches:
            matches = [len(groups)]
            groups.append(_Group(candidate.when))
        best, group = matches[0], groups[matches[0]]
        if group.shares(report) >= BRIDGE_STEMS:
            for other in matches[1:]:
                # A fragment too small to be an incident joins; two incidents stay apart.
                if groups[other].shares(report) >= BRIDGE_STEMS and not groups[other].is_incident(config):
                    _index(by_stem, best, [s for s in groups[other].uses if s not in group.uses])
                    group.absorb(groups[other])
                    merged.add(other)
        _index(by_stem, best, [stem for stem in report.full if stem not in group.uses])
        group.add(candidate, report)
    _join_fragments(groups, merged, frequency, config, window)
    _join_lone_reports(groups, merged, ordered, config, window)
    return [
        _incident(g, glossary.titles)
        for index, g in enumerate(groups)
        if index not in merged and g.is_incident(config)
    ]


_OWN_SHARE = 2 / 3  # of the candidates using a stem, the share two fragments hold to join by it
_OWN_STEM = 4  # letters a stem has at least for two fragments to join by it ("test", not "tag")


def _join_fragments(
    groups: list[_Group], merged: set[int], frequency: Counter[str], config: TriageConfig, window: timedelta
) -> None:
    """Join groups that are one problem by the one word every member of both uses.

    Reports are joined one at a time by how much of them a group shares, so wordy reports
    of one outage can start apart: "Screenshot: Analytics > Funnels", "Conversion funnels
    broken" and "Error when building a funnel", "ERROR WHEN BUILDING A FUNNEL" make two
    pairs, each too small to be an incident. Two groups of at least two reports each, within
    the window, join when every member of both uses one stem of at least :data:`_OWN_STEM`
    letters that is theirs: at least :data:`_OWN_SHARE` of the candidates using it are in
    the two ("funnel" is; "invoice", used by reports of several problems, is not). Each
    group agrees within itself, so one word is enough between them; a lone report still
    needs :data:`SIMILARITY` ("Invoice shows the wrong VAT number" does not join reports
    of invoice downloads by the word "invoice"). A group too small to be an incident joins
    an incident so; two incidents stay apart. Each stem is looked at only for the few
    groups large enough to hold that share of its uses.
    """
    joined = True
    while joined:
        joined = False
        holders: dict[str, list[int]] = defaultdict(list)  # stem -> groups all of whose members use it
        for index, group in enumerate(groups):
            if index not in merged:
                for stem in group.held():
                    holders[stem].append(index)
        for stem in sorted(holders):
            held = sorted(
                (i for i in holders[stem] if i not in merged), key=lambda i: (-len(groups[i].members), i)
            )
            needed = _OWN_SHARE * frequency[stem]
            for at, first in enumerate(held):
                if first in merged:
                    continue
                for second in held[at + 1 :]:
                    a, b = groups[first], groups[second]
                    if len(a.members) + len(b.members) < needed:
                        break  # the rest are smaller still (sizes as the pass began: see below)
                    if second in merged or not _fragments_join(a, b, stem, config, window):
                        continue
                    # The incident stays (a group too small joins it); else the earlier group.
                    if b.is_incident(config) or (not a.is_incident(config) and second < first):
                        keep, gone = second, first
                    else:
                        keep, gone = first, second
                    groups[keep].absorb(groups[gone])
                    merged.add(gone)
                    joined = True
                    if gone == first:
                        break
        # A group that took another in this pass may have grown past those the order put
        # before it: the next pass, with sizes and stems read again, looks once more. The
        # last pass joins nothing, so no two groups it leaves could still join.


_OWN_WORDS = 2  # words of its own (a second name, "expense reports") a lone report may add
_PAIR_STEM = 5  # letters the word has at least by which a lone report joins a pair ("respons", not "plan")


@cache
def _failure_stems() -> frozenset[str]:
    """The stems of the words that say something fails, in each language ("blank", "down").

    Not the product words among them ("login" of "can't log in", "email" of "no email arrives").
    """
    phrases = " ".join(STRONG_FAILURE)
    return frozenset(stem for lang in STOP_WORDS for stem, _ in stems(phrases, lang)) - concept_stems()


def _join_lone_reports(
    groups: list[_Group],
    merged: set[int],
    ordered: Sequence[IncidentCandidate],
    config: TriageConfig,
    window: timedelta,
) -> None:
    """A lone report joins the incident (or pair) whose own word it names, and little else.

    "Expense reports fails with error 500" shares one word with three reports of "expense
    claims" failing an hour before: too little of it for :data:`SIMILARITY`, so it stayed
    alone. It joins an incident within the window when every member of the incident uses
    a stem (of at least :data:`_OWN_STEM` letters) that the report's subject names, nobody else
    uses it within the window around them, and the report adds at most :data:`_OWN_WORDS`
    words of its own, beside numbers and failure words ("Automatic ticket assignment gives
    a blank page" adds "automatic" and "gives"). A report saying what else is wrong
    ("Invoice shows the wrong VAT number" beside "Invoice download fails") stays apart.
    A pair grows so too, into an incident of three customers, by a word of at least
    :data:`_PAIR_STEM` letters that is no product word many features share: "Les réponses
    types en panne ?" beside two reports of "modèles de réponse" ("plan" of shift plans and
    plan templates, "export" of PDFs and of contacts, are no pair's own).

    A pair agreeing on two words beside failure words joins an incident as one report does,
    by the word one member's subject names: "Error al escanear códigos de barras" speaks for
    the report of "el lector de códigos de barras" beside "El escáner no funciona". A quoted
    message whose words the incident uses is no word of the report's own.
    """
    owners: dict[str, list[int]] = defaultdict(list)  # stem -> groups all of whose members use it
    concepts = concept_stems()
    for index, group in enumerate(groups):
        if index in merged or len(group.members) < 2:
            continue
        # A pair is less sure of its word than an incident: it grows by a longer word only,
        # and not by a product word many features share ("integration", "export").
        sure = group.is_incident(config)
        for stem in group.held():
            if sure or (len(stem) >= _PAIR_STEM and stem not in concepts):
                owners[stem].append(index)
    failure = _failure_stems()
    # A pair too small to be an incident whose members agree on two words beside failure
    # words ("códigos de barras") joins as one report would: a member naming the word speaks.
    speakers: dict[int, list[IncidentCandidate]] = {}
    for index, group in enumerate(groups):
        if index in merged or group.is_incident(config):
            continue
        if len(group.members) == 1:
            speakers[index] = group.members
        elif len(group.members) == 2:
            a, b = ({s for s, _ in (*m.subject_terms, *m.text_terms)} - failure for m in group.members)
            if len(a & b) >= BRIDGE_STEMS:
                speakers[index] = group.members
    # The word is in the report's subject, where customers say what is broken.
    named = {
        stem
        for members in speakers.values()
        for m in members
        for stem, _ in m.subject_terms
        if stem in owners
    }
    if not named:
        return
    times: dict[str, list[datetime]] = defaultdict(list)  # stem -> when reports used it, in order
    for candidate in ordered:
        for stem in {stem for stem, _ in (*candidate.subject_terms, *candidate.text_terms) if stem in named}:
            times[stem].append(candidate.when)
    joins: list[tuple[int, int]] = []  # (lone report's or pair's group, incident), judged before any joins
    for index, members in speakers.items():
        fits: set[int] = set()
        for report in members:
            titled = {stem for stem, _ in report.subject_terms if stem in named}
            if titled:
                fits |= _owners_joined(index, report, titled, groups, owners, times, failure, config, window)
        if fits:
            joins.append((index, min(fits, key=lambda owner: (-len(groups[owner].members), owner))))
    into: dict[int, int] = {}
    for index, owner in joins:
        while owner in into:  # a pair that took a report in joined an incident itself
            owner = into[owner]
        groups[owner].absorb(groups[index])
        merged.add(index)
        into[index] = owner


def _owners_joined(
    index: int,
    report: IncidentCandidate,
    titled: set[str],
    groups: list[_Group],
    owners: Mapping[str, list[int]],
    times: Mapping[str, list[datetime]],
    failure: frozenset[str],
    config: TriageConfig,
    window: timedelta,
) -> set[int]:
    """The groups (see :func:`_join_lone_reports`) that group ``index`` joins by ``report``'s words."""
    words = {stem for stem, _ in (*report.subject_terms, *report.text_terms) if stem[:1] != ACRONYM_MARK}
    quoted = _quoted_stems(report)
    joiner = groups[index]
    fits: set[int] = set()
    for stem in titled:
        said_at = times[stem]
        for owner in owners[stem]:
            incident = groups[owner]
            if owner == index or (len(joiner.members) > 1 and not incident.is_incident(config)):
                continue  # a pair joins an incident; two pairs join as fragments do
            first, last = incident.members[0].when, incident.members[-1].when
            if abs(report.when - first) > window:
                continue
            own = [
                w
                for w in words
                if w not in incident.uses
                and w not in failure
                and not w.isdigit()
                and not (w in quoted and quoted[w] <= incident.uses.keys())
            ]
            if len(own) > _OWN_WORDS:
                continue
            start, end = min(first, report.when) - window, max(last, report.when) + window
            # Nobody else used the word in those hours: it is the incident's own.
            users = bisect.bisect_right(said_at, end) - bisect.bisect_left(said_at, start)
            if users == incident.uses[stem] + joiner.uses[stem]:
                fits.add(owner)
    return fits


def _quoted_stems(candidate: IncidentCandidate) -> dict[str, set[str]]:
    """Each message ``candidate`` quotes, and the stems of its words among the candidate's.

    A quoted message whose words an incident uses says nothing of its own: "the camera not
    opening" beside a report of the camera that does not open.
    """
    quotes = {stem: said.casefold() for stem, said in candidate.text_terms if stem[:1] == QUOTE_MARK}
    if not quotes:
        return {}
    inside = {stem: set(re.findall(r"\w+", said)) for stem, said in quotes.items()}
    return {
        quote: {
            stem for stem, word in candidate.text_terms if word.casefold() in words and stem[:1] != QUOTE_MARK
        }
        for quote, words in inside.items()
    }


def _fragments_join(a: _Group, b: _Group, stem: str, config: TriageConfig, window: timedelta) -> bool:
    """Whether ``a`` and ``b`` (the candidates' share of ``stem`` checked) join by ``stem``."""
    if min(len(a.members), len(b.members)) < 2 or abs(a.first - b.first) > window:
        return False
    if a.is_incident(config) and b.is_incident(config):
        return False
    return stem in a.held() and stem in b.held()


def _index(by_stem: dict[str, deque[int]], group: int, stems: Iterable[str]) -> None:
    for stem in stems:
        by_stem[stem].append(group)


def _incident(group: _Group, titles: Mapping[str, str]) -> Incident:
    members = group.members
    size = len(members)
    signal_stems = [
        stem
        for stem, _ in sorted(group.profile.weight.items(), key=lambda item: (-item[1], item[0]))
        if group.uses[stem] >= 2 and group.uses[stem] > _SIGNAL_SHARE * size
    ][:2]
    signal_stems.sort(key=lambda stem: _position(stem, members))
    return Incident(
        # Named by its first report alone: teammates who found it at different sizes (its
        # words said differ as it grows) share a close by this id.
        id="i" + short_id(f"incident|{members[0].id}", 6),
        signal=" ".join(titles.get(stem) or _surface(stem, members) for stem in signal_stems)
        or "the same problem",
        customers=len({m.customer for m in members}),
        span=members[-1].when - members[0].when,
        conversation_ids=tuple(m.id for m in members),
        stems=tuple(signal_stems),
        first_at=members[0].when,
        last_at=members[-1].when,
    )


def _position(stem: str, members: Sequence[IncidentCandidate]) -> float:
    """Where customers put ``stem`` in their subjects, on average ("pdf export", not "export pdf")."""
    places = [index for m in members for index, (term, _) in enumerate(m.subject_terms) if term == stem]
    return sum(places) / len(places) if places else math.inf


def _surface(stem: str, members: Iterable[IncidentCandidate]) -> str:
    """The word customers most often wrote for ``stem``, in the language most of them wrote in.

    A product word is one stem in every language ("invoice", "invoices", "factures",
    "Rechnungen"): counted word by word, one French "factures" outnumbered two English
    spellings of one word and named an incident of English reports.
    """
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    for member in members:
        for terms in (member.subject_terms, member.text_terms):
            for term, word in terms:
                if term == stem:
                    spelled[member.lang][word.strip("'")] += 1
                    break
    if not spelled:
        return stem
    language = max(spelled, key=lambda lang: sum(spelled[lang].values()))  # the first of a tie
    return spelled[language].most_common(1)[0][0]


# --- incidents as entities ------------------------------------------------------------------

ACTIVE = "active"
QUIET = "quiet"
CLOSED = "closed"


@dataclass(frozen=True)
class Tracked:
    """An incident as the cache keeps it: it outlives the reports that started it.

    It stays ``active`` until closed by hand or quiet for ``incident_quiet_hours``; its
    members stay when they are answered, and new reports naming its words join it.
    """

    id: str
    title: str
    stems: tuple[str, ...]
    status: str
    first_at: datetime
    last_at: datetime
    members: tuple[str, ...]
    closed_at: datetime | None = None

    def with_members(self, ids: Iterable[str], first: datetime, last: datetime) -> Tracked:
        members = tuple(dict.fromkeys((*self.members, *ids)))
        return replace(
            self, members=members, first_at=min(self.first_at, first), last_at=max(self.last_at, last)
        )


def track(
    tracked: Sequence[Tracked],
    found: Sequence[Incident],
    candidates: Sequence[IncidentCandidate],
    config: TriageConfig,
    now: datetime,
) -> list[Tracked]:
    """The incidents after this refresh: the tracked ones carried on, new groups added.

    A group found now that shares a member with an active incident, or names its words
    within the window, continues it (same id and title); a report outside any group that
    names all of an active incident's words within the window joins it. Active incidents
    with no new report for ``incident_quiet_hours`` become quiet.
    """
    window = timedelta(hours=config.incident_window_hours)
    candidates = _with_glossary(list(candidates), Glossary(config.features))
    out = list(tracked)
    owner = {cid: index for index, t in enumerate(out) if t.status == ACTIVE for cid in t.members}
    for incident in sorted(found, key=lambda i: (i.first_at, i.id)):
        index = next((owner[c] for c in incident.conversation_ids if c in owner), None)
        if index is None:
            index = next(
                (
                    i
                    for i, t in enumerate(out)
                    if t.status == ACTIVE
                    and set(t.stems) <= set(incident.stems) | _stems_of(incident, candidates)
                    and incident.first_at - t.last_at <= window
                ),
                None,
            )
        if index is None:
            taken = {t.id for t in out}
            ident = incident.id
            while ident in taken:  # a new incident on the words of an ended one
                ident = "i" + short_id(f"{ident}|again", 6)
            out.append(
                Tracked(
                    ident,
                    incident.signal,
                    incident.stems,
                    ACTIVE,
                    incident.first_at,
                    incident.last_at,
                    incident.conversation_ids,
                )
            )
            index = len(out) - 1
        else:
            out[index] = out[index].with_members(
                incident.conversation_ids, incident.first_at, incident.last_at
            )
            if not out[index].stems:  # carried over from before incidents were kept: name it now
                out[index] = replace(out[index], title=incident.signal, stems=incident.stems)
        owner.update(dict.fromkeys(out[index].members, index))
    for candidate in sorted(candidates, key=lambda c: (c.when, c.id)):
        if candidate.id in owner:
            continue
        stems = {s for s, _ in candidate.subject_terms} | {s for s, _ in candidate.text_terms}
        for index, kept in enumerate(out):
            if (
                kept.status == ACTIVE
                and kept.stems
                and set(kept.stems) <= stems
                and abs(candidate.when - kept.last_at) <= window
            ):
                out[index] = kept.with_members([candidate.id], candidate.when, candidate.when)
                owner[candidate.id] = index
                break
    quiet = timedelta(hours=config.incident_quiet_hours)
    return [replace(t, status=QUIET) if t.status == ACTIVE and now - t.last_at > quiet else t for t in out]


def _stems_of(incident: Incident, candidates: Sequence[IncidentCandidate]) -> set[str]:
    members = set(incident.conversation_ids)
    return {s for c in candidates if c.id in members for s, _ in (*c.subject_terms, *c.text_terms)}
