"""A customer's first name for "Hi Lina," — or a neutral fallback when unsure.

Guessing wrong ("Hi Support,", "Hi Haddad,", "Hi LINA,") is worse than "Hi there,", so the
rules are conservative: only a display name that looks like a person's name yields a
first name, never the local part of an address. Names in scripts without letter case
(Arabic, Persian, Hebrew, CJK...) are kept exactly as written, zero-width joiners included.
"""

from __future__ import annotations

import re
import unicodedata

from supportinbox.domain.safetext import one_line

# Honorifics that precede a name in many languages (compared without the final dot).
_TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "rev",
        "herr",
        "frau",
        "m",
        "mme",
        "mlle",
        "sr",
        "sra",
        "srta",
        "dott",
        "dottssa",
        "ing",
        "mag",
        "دکتر",
        "مهندس",
        "آقای",
        "خانم",
        "السيد",
        "السيدة",
        "الدكتور",
        "د",
        # Honorifics before Arabic and Persian names: "Seyed Ali" is Ali, "Sheikh Hamad" Hamad.
        "سید",
        "سيد",
        "seyed",
        "sayyid",
        "شیخ",
        "شيخ",
        "الشيخ",
        "sheikh",
        "حاج",
        "الحاج",
        "haj",
        "hajj",
        "استاد",
        "أستاذ",
        "الأستاذ",
        "المهندس",
        "الدكتورة",
    }
)
# The first word of a given name of two: "Abd al-Rahman" (servant of ...), "Abu Bakr"
# (father of ...), "Umm Kulthum" (mother of ...) are not "Abd", "Abu" or "Umm".
_COMPOUND_FIRST = frozenset(
    {"عبد", "abd", "abdul", "abdel", "abdal", "abdol", "abdur"}
    | {"أبو", "ابو", "abu", "abou", "أم", "ام", "umm"}
)
_ARTICLES = frozenset({"al", "el", "ad", "ar", "as", "ash", "an", "az", "ud", "ul"})

# Given names of two words by convention, greeted whole when a family name follows ("María José
# García", "García, María José"): alone, "Maria Jose" may be a name and a father's or family name.
# Spanish and Portuguese: "María" or "José" and a second given name. Persian: "محمد", "امیر" or
# "علی" and a name they make one name with ("محمد رضا احمدی" is Mohammadreza Ahmadi), told
# from Arabic, where the second word is the father's name ("محمد علي حسن"), by the letters only
# Persian spells with. Other languages keep the first word: "John Paul Smith" is John.
_DOUBLE_GIVEN = {
    "maria": frozenset(
        {"jose", "jesus", "luisa", "isabel", "teresa", "elena", "carmen", "pilar", "dolores", "angeles"}
        | {"fernanda", "eugenia", "victoria", "antonia", "cristina", "ines", "mercedes", "joao"}
        | {"eduarda", "fatima", "guadalupe", "lourdes"}
    ),
    "jose": frozenset(
        {"maria", "luis", "antonio", "manuel", "carlos", "miguel", "angel", "ignacio", "javier"}
        | {"francisco", "ramon", "alberto", "eduardo", "enrique", "vicente", "juan"}
    ),
}
_PERSIAN_DOUBLE_GIVEN = {
    "محمد": frozenset(
        {"رضا", "علی", "حسین", "حسن", "مهدی", "جواد", "امین", "صادق", "تقی", "باقر", "کاظم", "هادی"}
    ),
    "امیر": frozenset({"حسین", "علی", "محمد", "رضا", "مهدی"}),
    "علی": frozenset({"رضا", "اکبر", "اصغر"}),
}
_PERSIAN_LETTERS = frozenset("پچژگکی")

# Display names that name a role or a system rather than a person.
_NOT_A_PERSON = frozenset(
    {
        "accounting",
        "accounts",
        "admin",
        "administrator",
        "alerts",
        "billing",
        "buchhaltung",
        "contact",
        "customer",
        "customers",
        "do-not-reply",
        "donotreply",
        "feedback",
        "finance",
        "hello",
        "help",
        "helpdesk",
        "info",
        "kundenservice",
        "mailer-daemon",
        "marketing",
        "newsletter",
        "no-reply",
        "noreply",
        "notifications",
        "office",
        "operations",
        "orders",
        "payments",
        "postmaster",
        "purchasing",
        "sales",
        "security",
        "service",
        "support",
        "team",
        "the",
        "unknown",
        "vertrieb",
        "webmaster",
    }
)

# Legal forms of companies ("Weber GmbH", "Rossi Design S.r.l."), compared without dots and
# commas: a contact form that puts the company where the name goes names no person to greet.
_COMPANY_FORMS = frozenset(
    {
        "ag",
        "bv",
        "corp",
        "corporation",
        "gbr",
        "gmbh",
        "inc",
        "kft",
        "kg",
        "llc",
        "llp",
        "lda",
        "ltd",
        "ltda",
        "limited",
        "nv",
        "ohg",
        "oy",
        "oyj",
        "plc",
        "pty",
        "pvt",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
        "sro",
        "ug",
    }
)

_QUOTES = "\"'`«»“”„‘’"
_TAG = re.compile(r"(?:^|(?<=\s))\[[^\[\]]*\](?=\s|$)")
_JOINERS = frozenset("-'’.\u200c\u200d")


def _is_name_word(word: str) -> bool:
    """Letters (with their combining marks, e.g. Arabic harakat) and inner joiners only."""
    if len(word) < 2 or not unicodedata.category(word[0]).startswith("L"):
        return False
    return all(unicodedata.category(c)[0] in "LM" or c in _JOINERS for c in word)


def _tidy_case(word: str) -> str:
    """``LINA`` / ``lina`` -> ``Lina``, ``JEAN-PIERRE`` -> ``Jean-Pierre``; mixed case kept."""
    if word.isupper() or word.islower():
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)
    return word


def _names_a_company(display_name: str) -> bool:
    """Whether a name ends in a company's legal form ("Weber GmbH", "Acme, Inc.")."""
    words = display_name.split()[1:]
    return any(
        w.lower().strip(_QUOTES + "()").replace(".", "").replace(",", "") in _COMPANY_FORMS for w in words
    )


def _fold(word: str) -> str:
    """``word`` without accents or harakat, in lower case, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _second_given(words: list[str], family_follows: bool) -> str | None:
    """The second word of a two-word given name starting ``words`` (see _DOUBLE_GIVEN)."""
    if not family_follows or len(words) < 2:
        return None
    first, second = _fold(words[0]), words[1].rstrip(".,;:")
    if not _is_name_word(second):
        return None
    if any(c in _PERSIAN_LETTERS for word in words for c in word):
        return second if _fold(second) in _PERSIAN_DOUBLE_GIVEN.get(first, ()) else None
    return second if _fold(second) in _DOUBLE_GIVEN.get(first, ()) else None


# What may stand before the name on a sign-off line ("- Mary Jane", "~ Anne Marie").
_SIGN_OFF_LEAD = "-–—~*_ "


def _signed_given(words: list[str], directory: bool, sign_off: str) -> str | None:
    """The given names the customer signed with, when they start the display name's ``words``.

    "Maria Grazia Bianchi" signing "Grazie, Maria Grazia" goes by both words; which words
    of a name are given names is what a list of names cannot know. Two words at least (one
    says nothing the first word does not), and a family name must follow them unless it
    stood before a comma ("Bianchi, Maria Grazia"): a sign-off of the whole name does not
    say which part is given.
    """
    signed = sign_off.rpartition(",")[2].strip(_SIGN_OFF_LEAD + _QUOTES + ".!").split()
    if not 2 <= len(signed) <= min(3, len(words) if directory else len(words) - 1):
        return None
    if not all(_is_name_word(word) for word in signed):
        return None
    if [_fold(word) for word in signed] != [_fold(word.rstrip(".,;:")) for word in words[: len(signed)]]:
        return None
    return " ".join(_tidy_case(word.rstrip(".,;:")) for word in words[: len(signed)])


def first_name(
    display_name: str | None, email: str | None = None, fallback: str = "there", sign_off: str = ""
) -> str:
    """The first name in ``display_name``, else ``fallback``.

    ``email`` is accepted so callers can pass what they have, but the local part of an
    address is never guessed from: ``lina.haddad@`` may well be ``l.haddad@`` or a shared box.
    ``sign_off``: the last line of the customer's own text, where they may sign with both of
    their given names ("Mary Jane"), which are then kept together.
    """
    # A tag in square brackets beside the name ("Lina Haddad [Acme]", "[EXT] Lina") is not
    # part of it; brackets within words are markup or a crafted name ("[bold]Lina[/]").
    name = _TAG.sub(" ", one_line(display_name)).strip(_QUOTES + " ")
    if not name or "@" in name or "[" in name or "]" in name:
        return fallback
    if email and name.lower() == email.lower():
        return fallback
    if _names_a_company(name):
        return fallback
    directory = name.count(",") == 1
    if directory:
        # "Haddad, Lina" — the directory style puts the family name first.
        family, _, given = name.partition(",")
        directory = bool(given.strip())
        name = given.strip() or family.strip()
    words = [w.strip(_QUOTES + "()[]") for w in name.split()]
    words = [w for w in words if w]
    while words and words[0].lower().rstrip(".") in _TITLES:
        words.pop(0)
    if not words:
        return fallback
    word = words[0].rstrip(".,;:")
    if (
        not _is_name_word(word)
        or word.lower() in _NOT_A_PERSON
        or (len(words) > 1 and words[1].lower() in _NOT_A_PERSON)
    ):
        return fallback
    if signed := _signed_given(words, directory, one_line(sign_off)):
        return signed
    if word.lower() in _COMPOUND_FIRST and len(words) > 1:
        # "Abd al Aziz": the article comes along with the word after it.
        rest = words[1:3] if words[1].lower() in _ARTICLES and len(words) > 2 else words[1:2]
        parts = [word, *(w.rstrip(".,;:") for w in rest)]
        if all(_is_name_word(part) for part in parts):
            return _tidy_case(" ".join(parts))
    if second := _second_given(words, directory or len(words) > 2):
        return f"{_tidy_case(word)} {_tidy_case(second)}"
    return _tidy_case(word)


def full_name_key(display_name: str | None) -> str:
    """A person's full name, folded for comparing across addresses ("" for no full name).

    "Maria Santos", "MARIA SANTOS" and "Santos, María" share one key; a single name
    ("Maria"), a company ("Weber GmbH"), a role ("Acme Support") or an address has none:
    alone they say nothing about two addresses being one person.
    """
    name = _TAG.sub(" ", one_line(display_name)).strip(_QUOTES + " ")
    if first_name(name, fallback="") == "":
        return ""
    words = [w.strip(",") for w in name.split()]
    if len(words) < 2 or not all(_is_name_word(w) for w in words):
        return ""
    return " ".join(sorted(_fold(w) for w in words))
