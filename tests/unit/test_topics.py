"""The topics that grew among customer questions (stems and quotes as the triage reads them)."""

from __future__ import annotations

from supportinbox.domain.keywords import language_of, stem_words, words
from supportinbox.domain.quoting import new_text
from supportinbox.domain.topics import growing_topics


def guess_language(text: str) -> str:
    return language_of(text, words(text))


def test_languages_are_guessed_from_script_and_common_words() -> None:
    assert guess_language("Hallo, ich habe eine Frage zu meiner Rechnung") == "de"
    assert guess_language("Bonjour, je ne peux pas me connecter avec mon compte") == "fr"
    assert guess_language("سلام، من نمی‌توانم وارد حساب کاربری شوم") == "fa"
    assert guess_language("مرحبا، لا أستطيع الدخول إلى حسابي") == "ar"
    assert guess_language("I cannot log in") == "en"


def test_word_forms_share_a_stem() -> None:
    assert len(set(stem_words(["refunds", "refunded", "refund"], "en"))) == 1
    assert len(set(stem_words(["rechnungen", "rechnung"], "de"))) == 1


def test_quotes_are_not_the_customers_words() -> None:
    body = "Still broken.\n\nOn Mon, Anna wrote:\n> the invoice\n> is wrong"
    assert "invoice" not in new_text(body)
    assert "invoice" not in new_text("> the invoice is wrong\nThanks")


def test_growing_topics_are_stemmed_counted_once_per_customer_and_ranked_by_growth() -> None:
    now = [
        ["Export to CSV fails\nThe CSV export fails every time, the csv export!"],
        ["CSV exports broken\nExporting CSV gives an empty file"],
        ["Rechnungen fehlen\nIch finde meine Rechnung nicht"],
        ["Rechnung\nWo ist die Rechnung?"],
        ["Login\nI cannot log in"],
    ]
    before = [["Login\nI cannot log in"], ["Login again\nlogin fails"]]
    topics = growing_topics(now, before)
    by_phrase = {t.phrase: (t.now, t.before) for t in topics}
    assert topics[0].phrase == "csv export"  # a phrase as frequent as its words replaces them
    assert by_phrase["csv export"] == (2, 0)
    assert any(p.startswith("rechnung") and n == (2, 0) for p, n in by_phrase.items())
    assert "login" not in by_phrase  # as frequent before as now: no growth


def test_an_arabic_topic_is_shown_in_arabic_letters() -> None:
    # Folding writes "ي" and "ك" as the Persian "ی" and "ک" so that both spellings match;
    # shown that way, "الكاميرا" read as "الکامیرا", misspelled for the customers who wrote it.
    now = [["الكاميرا لا تعمل\nالكاميرا سوداء"], ["مشكلة الكاميرا\nالكاميرا لا تفتح"], ["دوربین کار نمی‌کند"]]
    phrases = [t.phrase for t in growing_topics(now, [])]
    assert "الكاميرا" in phrases and not any("\u06a9" in p or "\u06cc" in p for p in phrases), phrases


def test_a_customer_who_writes_again_is_one_customer_asking() -> None:
    # Mia asks about the stuck export three times in one thread, Ravi twice about his
    # domain; only the password reset is asked by more than one customer.
    now = [
        [
            "Export stuck at 99%\nThe CSV export stops at 99%.",
            "Re: Export stuck at 99%\nAny news? The export is still stuck.",
            "Re: Export stuck at 99%\nExport stuck again today.",
        ],
        ["Custom domain not verifying\nmonsoon media domain", "Re: Custom domain\nmonsoon media still"],
        ["Password reset\nThe password reset link expired."],
        ["Reset\nMy password reset does not work."],
    ]
    topics = growing_topics(now, [])
    assert [(t.phrase, t.now) for t in topics] == [("password reset", 2)], topics
