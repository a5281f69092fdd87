"""First names for greetings: right when sure, the fallback when not."""

from __future__ import annotations

import pytest

from supportinbox.domain.names import first_name


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("Lina Haddad", "Lina"),
        ("Haddad, Lina", "Lina"),
        # A tag in square brackets beside the name is not part of it.
        ("Lina Haddad [Acme]", "Lina"),
        ("[EXT] Lina Haddad", "Lina"),
        ('"Lina Haddad"', "Lina"),
        ("'Lina Haddad'", "Lina"),
        ("LINA HADDAD", "Lina"),
        ("lina haddad", "Lina"),
        ("Dr. Lina Haddad", "Lina"),
        ("Prof Dr. Lina Haddad", "Lina"),
        ("Mrs Lina Haddad", "Lina"),
        ("JEAN-PIERRE MARTIN", "Jean-Pierre"),
        ("Jean-Pierre Martin", "Jean-Pierre"),
        ("McKenzie, Mary-Ann", "Mary-Ann"),
        ("DeShawn Jones", "DeShawn"),
        ("José Álvarez", "José"),
        ("ÉLODIE DUPONT", "Élodie"),
        ("O'Brien, Siobhan", "Siobhan"),
        ("Łukasz Nowak", "Łukasz"),
        ("Ольга Иванова", "Ольга"),
        ("لينا حداد", "لينا"),
        ("مُحَمَّد علي", "مُحَمَّد"),
        ("د. لينا حداد", "لينا"),
        ("علی‌رضا رضایی", "علی‌رضا"),  # Persian, with its zero-width non-joiner
        ("آقای علی‌رضا رضایی", "علی‌رضا"),
        ("  Lina   Haddad  ", "Lina"),
        ("Anna at Fjordtech", "Anna"),  # a person for their company, unlike "Marketing at Bloom"
        # A given name of two words: "Abd" is "servant (of)", "Abu" "father (of)", "Umm"
        # "mother (of)": "مرحباً عبد" is no greeting.
        ("عبد الله السعيد", "عبد الله"),
        ("عبد الرحمن خان", "عبد الرحمن"),
        ("أبو بكر الصديق", "أبو بكر"),
        ("أم كلثوم إبراهيم", "أم كلثوم"),
        ("Abdul Rahman Khan", "Abdul Rahman"),
        ("ABDUL RAHMAN KHAN", "Abdul Rahman"),
        ("Abd al Aziz Saud", "Abd al Aziz"),
        ("Abd al-Aziz Saud", "Abd al-Aziz"),
        ("عبدالله بن سعيد", "عبدالله"),
        ("محمد عبد الرحمن", "محمد"),
        # Given names of two words by convention, when a family name follows: Spanish and
        # Portuguese "María José", Persian "محمد رضا" (not Arabic "محمد" son of "علي").
        ("María José García", "María José"),
        ("MARÍA JOSÉ GARCÍA", "María José"),
        ("García, María José", "María José"),
        ("Dr. María José García", "María José"),
        ("José Luis Rodríguez Zapatero", "José Luis"),
        ("Maria João Pires", "Maria João"),
        ("Maria Jose", "Maria"),  # Jose may be a father's or family name
        ("Maria Rosa Silva", "Maria"),  # Rosa is a family name as often as a given one
        ("John Paul Smith", "John"),  # an English middle name
        ("Smith, John Paul", "John"),
        ("Jean-Luc Picard", "Jean-Luc"),
        ("محمد رضا احمدی", "محمد رضا"),
        ("امیر حسین کریمی", "امیر حسین"),
        ("محمد علي حسن", "محمد"),  # Arabic: Mohammed, son of Ali
        ("محمد رضا", "محمد"),
        # Honorifics before the name: Seyed, Sheikh, Haj.
        ("سید علی موسوی", "علی"),
        ("Sheikh Hamad Al Thani", "Hamad"),
        ("الحاج محمد منصور", "محمد"),
    ],
)
def test_first_name_of_people(display: str, expected: str) -> None:
    assert first_name(display, "x@customer.test", "there") == expected


@pytest.mark.parametrize(
    "display",
    [
        "",
        None,
        "lina.haddad@customer.test",
        "[bold red]Mallory[/]",  # markup in a name: crafted, not greeted as "Bold"
        "[bold]CEO[/bold] [link=https://evil.test]",
        "Acme Support",
        "Support",
        "noreply",
        "Customer Service",
        "info",
        "J. Smith",
        "J Smith",
        "R2D2",
        "x",
        "Dr.",
        '"lina@customer.test"',
        # A company where a contact form puts the name: not "Hi Weber," or "Hi Acme,".
        "Weber GmbH",
        "Rossi Design Srl",
        "Rossi Design S.r.l.",
        "Acme, Inc.",
        "Nordlicht Consulting Ltd.",
        # A department writing for its company: not "Hi Marketing,".
        "Marketing at Bloom",
        "Accounting Team",
        "Buchhaltung Weber",
        "Orders - Fjordtech",
        "Newsletter",
    ],
)
def test_unsure_names_use_the_fallback(display: str | None) -> None:
    assert first_name(display, "lina.haddad@customer.test", "there") == "there"


def test_escape_sequences_are_removed_before_judging() -> None:
    assert first_name("\x1b[31mLina\x1b[0m Haddad", None, "there") == "Lina"


def test_email_local_part_is_never_guessed() -> None:
    assert first_name("", "lina.haddad@customer.test", "there") == "there"
    assert first_name("lina.haddad@customer.test", "lina.haddad@customer.test", "friend") == "friend"


def test_fallback_is_configurable() -> None:
    assert first_name(None, None, "") == ""
    assert first_name("Support", None, "du") == "du"


def test_control_characters_never_survive() -> None:
    name = first_name("Lina\r\nBcc: evil@x.test", None, "there")
    assert "\r" not in name and "\n" not in name


@pytest.mark.parametrize(
    ("display", "sign_off", "expected"),
    [
        # Two given names the customer signs with are kept together.
        ("Maria Grazia Bianchi", "Maria Grazia", "Maria Grazia"),
        ("Maria Grazia Bianchi", "Grazie, Maria Grazia", "Maria Grazia"),
        ("Mary Jane Watson", "- Mary Jane", "Mary Jane"),
        ("MARY JANE WATSON", "mary jane", "Mary Jane"),  # the name's case is tidied, not the sign-off's
        ("Dr. Anne Marie Dubois", "Anne Marie.", "Anne Marie"),
        ("Bianchi, Maria Grazia", "Maria Grazia", "Maria Grazia"),  # the family name before the comma
        ("Gian Luca Rossi", "Gian Luca", "Gian Luca"),
        # A sign-off that does not tell which words are given names changes nothing.
        ("Mary Jane Watson", "Mary Jane Watson", "Mary"),  # the whole name
        ("Anne Marie", "Anne Marie", "Anne"),  # no family name after it: Marie may be one
        ("Mary Jane Watson", "Mary", "Mary"),
        ("Mary Jane Watson", "Cheers, Bob Smith", "Mary"),  # someone else's name
        ("Mary Jane Watson", "Jane Watson", "Mary"),  # not the start of the name
        ("Mary Jane Watson", "Thanks so much", "Mary"),
        ("Support Team", "Support Team", "there"),  # never a name the rules refuse
    ],
)
def test_given_names_signed_with_are_kept_together(display: str, sign_off: str, expected: str) -> None:
    assert first_name(display, None, "there", sign_off) == expected
