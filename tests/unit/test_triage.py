"""Status derivation, keyword matching, explained scores and incidents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from supportinbox.config import TriageConfig
from supportinbox.domain import incidents, keywords, scoring, sla
from supportinbox.domain.followups import FollowUp, explicit_due
from supportinbox.domain.incidents import IncidentCandidate, find_incidents
from supportinbox.domain.keywords import KeywordMatcher
from supportinbox.domain.quoting import first_sentence, new_text
from supportinbox.domain.scoring import ConversationFacts, score
from supportinbox.domain.status import derive_status, effective_status, ended_by_customer
from supportinbox.domain.threading import normalize_subject

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


# --- status -----------------------------------------------------------------------------


def test_customer_wrote_last_is_open_we_wrote_last_is_pending() -> None:
    assert derive_status(ago(1), ago(2), False) == "open"
    assert derive_status(ago(2), ago(1), False) == "pending"
    assert derive_status(ago(1), None, True) == "pending"  # answered from another client
    assert derive_status(None, ago(1), False) == "pending"


def test_closed_reopens_only_when_the_customer_writes_after_closing() -> None:
    closed_at = ago(5)
    assert effective_status("pending", "closed", closed_at, None, ago(6), ago(5.5), NOW) == "closed"
    assert effective_status("pending", "closed", closed_at, None, ago(6), ago(1), NOW) == "closed"
    assert effective_status("open", "closed", closed_at, None, ago(1), ago(6), NOW) == "open"
    # Reopened, then answered: pending, as any conversation we answered last.
    assert effective_status("pending", "closed", closed_at, None, ago(2), ago(1), NOW) == "pending"
    assert effective_status("pending", "pending", closed_at, None, ago(2), ago(1), NOW) == "pending"
    assert effective_status(
        "pending", "snoozed", closed_at, NOW + timedelta(hours=1), ago(2), ago(1), NOW
    ) == ("pending")


def test_a_customer_message_in_the_second_of_a_close_or_snooze_is_after_it() -> None:
    at = ago(5)
    later = NOW + timedelta(hours=1)
    assert effective_status("open", "closed", at, None, at, ago(6), NOW) == "open"
    assert ended_by_customer("open", "closed", at, None, at) == "closed"
    assert effective_status("open", "snoozed", at, later, at, None, NOW) == "open"
    assert ended_by_customer("open", "snoozed", at, later, at) == "snoozed"
    assert effective_status("open", "pending", at, None, at, None, NOW) == "open"
    # The same rule as a follow-up's: a message in the second it was set clears it.
    assert explicit_due(FollowUp("k3m9x2qa", later, "", "bob", at), at, None) is None


def test_snooze_ends_at_its_time_or_when_the_customer_writes() -> None:
    at = ago(5)
    assert effective_status("open", "snoozed", at, NOW + timedelta(hours=1), ago(6), None, NOW) == "snoozed"
    assert effective_status("open", "snoozed", at, NOW - timedelta(minutes=1), ago(6), None, NOW) == "open"
    assert (
        effective_status("pending", "snoozed", at, NOW - timedelta(minutes=1), ago(6), ago(5.5), NOW)
        == "open"
    )
    assert effective_status("open", "snoozed", at, NOW + timedelta(hours=1), ago(1), None, NOW) == "open"


def test_manual_pending_and_open() -> None:
    assert effective_status("open", "pending", ago(5), None, ago(6), None, NOW) == "pending"
    assert effective_status("open", "pending", ago(5), None, ago(1), None, NOW) == "open"
    assert effective_status("pending", "open", ago(5), None, ago(7), ago(6), NOW) == "open"
    assert effective_status("pending", "open", ago(5), None, ago(7), ago(1), NOW) == "pending"


# --- keywords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("refund", "I want a REFUND now", True),
        ("refund", "refunded already", False),  # whole words only
        ("down", "please download the file", False),
        ("down", "the site is down!", True),
        ("not working", "it is not\nworking", True),
        ("can't log in", "I can’t log in", True),  # typographic apostrophe
        ("rückerstattung", "RÜCKERSTATTUNG bitte", True),
        ("استرداد", "أريد الاسترداد من فضلك", True),  # Arabic article attached
        ("عاجل", "مشكلة عاجلة", False),  # a different word
        ("عاجل", "عاجل جدا", True),
        ("فوری", "فوري لطفا", True),  # Arabic yeh typed for the Persian one
        ("کار نمی‌کند", "سایت کار نمی کند", True),  # ZWNJ typed as a space
        ("هک", "حسابم هک شده", True),
        ("urgent", "see our sale <https://shop.test/urgent-sale>", False),  # a link's address
        ("urgent", "urgent: https://shop.test/x", True),
        ("urgent", "عاجل http://x.test/urgent", False),
        ("refund", "[link=https://evil.test]Refund[/link] now", True),  # "]" ends an address
        ("refund", "<https://shop.test/x>refund please", True),
    ],
)
def test_keyword_matching(keyword: str, text: str, found: bool) -> None:
    assert bool(KeywordMatcher.build([keyword]).find(text)) is found


def facts(**kwargs: object) -> ConversationFacts:
    base: dict[str, object] = {
        "id": "c1",
        "customer_email": "lina@customer.test",
        "subject": "Hello",
        "waiting_texts": [("Hello", "Just a question")],
        "followups": 0,
        "high_priority": False,
    }
    base.update(kwargs)
    return ConversationFacts(**base)  # type: ignore[arg-type]


def run(f: ConversationFacts, config: TriageConfig | None = None) -> scoring.Score:
    config = config or TriageConfig()
    return score(f, config, keywords.matcher_for(config))


def test_plain_question_is_normal_with_no_points() -> None:
    result = run(facts())
    assert (result.urgency, result.band, result.reasons) == (0, sla.BAND_NORMAL, [])


def test_every_point_has_a_reason() -> None:
    result = run(
        facts(
            waiting_texts=[("Refund please", "I was charged twice"), ("Hello?", "anyone?")],
            followups=1,
            high_priority=True,
            customer_email="ceo@bigcustomer.com",
        ),
        TriageConfig(vip_senders=("@bigcustomer.com",)),
    )
    assert result.reasons == [
        "'refund' in subject",
        "'charged twice' in message",
        "1 follow-up without reply",
        "VIP sender (@bigcustomer.com)",
        "sender marked it high priority",
    ]
    assert result.urgency == 25 + 15 + 10 + 30 + 15
    assert result.band == sla.BAND_URGENT


def test_two_followups_make_it_urgent() -> None:
    result = run(facts(followups=2))
    assert result.reasons == ["2 follow-ups without reply"]
    assert result.band == sla.BAND_URGENT


def test_extra_keywords_and_arabic_subject() -> None:
    config = TriageConfig(extra_urgent_keywords=("invoice",))
    assert run(facts(waiting_texts=[("Invoice wrong", "")]), config).reasons == ["'invoice' in subject"]
    assert run(facts(waiting_texts=[("عاجل: لا يعمل", "")])).reasons == [
        "'عاجل' in subject",
        "'لا يعمل' in subject",
    ]


def test_re_urgent_on_a_thank_you_is_not_urgent() -> None:
    # Old rule: the inherited "URGENT" in a reply's subject made the thank-you urgent.
    result = run(facts(waiting_texts=[("Re: URGENT: exports down", "Thanks, all good now!")]))
    assert (result.band, result.reasons) == (sla.BAND_NORMAL, [])
    # The same subject on a message that still reports the problem keeps its weight.
    still = run(facts(waiting_texts=[("Re: URGENT: exports down", "Still failing here, any news?")]))
    assert still.band == sla.BAND_URGENT and still.reasons[0] == "'urgent' in subject"


def test_a_failure_that_blocks_is_urgent_in_any_words() -> None:
    # Old rule: only listed keywords counted; "keeps failing" and "funktioniert nicht" did not.
    for subject, body in (
        ("2FA keeps failing", "Tried two browsers, same result."),
        ("Export", "Der PDF-Export funktioniert nicht."),
        ("Checkout", "Getting error 502 every time we pay."),
    ):
        result = run(facts(waiting_texts=[(subject, body)]))
        assert result.band == sla.BAND_URGENT, subject
        assert result.reasons[0].startswith("reports a failure: ")


def test_error_bug_cannot_raise_attention_without_urgency() -> None:
    # Old rule: these words scored nothing; "fails" with "no rush" must not be urgent either.
    for subject, body, word in (
        ("Small bug on the pricing page", "Tiny bug: it says 'per mont'.", "bug"),
        ("Cannot find the setting", "I cannot find where to change the date format.", "cannot"),
        ("Import", "The CSV import fails for one row with an emoji. No rush.", "fails"),
    ):
        result = run(facts(waiting_texts=[(subject, body)]))
        assert result.band == sla.BAND_NORMAL, subject
        assert result.reasons == [f"mentions '{word}': maybe a problem, not urgent"]
        assert result.urgency == scoring.ATTENTION_POINTS


def test_down_ending_a_question_is_a_failure() -> None:
    # Old rule: "down" counted only after "is"/"are"/"went", so "Is autosave down?" reported nothing.
    for subject, body in (("Autosave down?", ""), ("Exports", "Is the PDF export down? We are blocked.")):
        assert scoring.read_report(subject, body).failures == ["down"], subject
    # "Tone down the notifications?" asks for fewer mails; nothing is down.
    assert not scoring.read_report("Tone down the notifications?", "They are too many.").is_problem


def test_a_symptom_is_a_problem_report_without_urgency() -> None:
    # Old rule: a customer naming only what they see ("drafts are lost", "rien ne se passe") reported nothing.
    for subject, body, word in (
        ("Drafts lost on autosave?", "Getting drafts lost on autosave. Is this on your side?", "lost"),
        ("Kommentare", "Die Kommentare sind verschwunden.", "verschwunden"),
        ("Rappels", "Quand je clique, rien ne se passe.", "rien ne se passe"),
        ("الوسوم", "الوسوم اختفت من التذاكر.", "اختفت"),
    ):
        judged = scoring.read_report(subject, body)
        assert judged.is_problem and not judged.failures, subject
        result = run(facts(waiting_texts=[(subject, body)]))
        assert result.band == sla.BAND_NORMAL, subject
        assert result.reasons == [f"mentions '{word}': maybe a problem, not urgent"]


def test_vip_matches_address_or_domain_only() -> None:
    assert scoring.is_vip("Boss@Big.com", ["boss@big.com"]) == "boss@big.com"
    assert scoring.is_vip("a@eu.big.com", ["@big.com"]) == "@big.com"
    assert scoring.is_vip("a@notbig.com", ["@big.com"]) is None


# --- incidents --------------------------------------------------------------------------


def cand(
    ident: str,
    customer: str,
    hours: float,
    subject: str,
    text: str = "",
    *,
    failing: bool = True,
    lang: str | None = None,
) -> IncidentCandidate:
    """A report as the refresh builds it: stems of the subject and of the first sentence."""
    both = f"{subject} {text}"
    lang = lang or keywords.language_of(both, keywords.words(both))
    return IncidentCandidate(
        id=ident,
        customer=customer,
        when=ago(hours),
        subject_terms=incidents.subject_terms(normalize_subject(subject), lang, subject),
        text_terms=incidents.report_terms(first_sentence(text), lang),
        failing=failing,
        lang=lang,
    )


def test_four_customers_with_the_same_problem_form_an_incident() -> None:
    candidates = [
        cand("c1", "a@x.test", 3, "Login broken"),
        cand("c2", "b@y.test", 2, "login page error"),
        cand("c3", "c@z.test", 1, "Re: Login fails"),
        cand("c4", "d@w.test", 0, "LOGIN???"),
        cand("c5", "e@v.test", 1, "Invoice copy"),
    ]
    incidents = find_incidents(candidates, TriageConfig(incident_min_customers=3, incident_window_hours=6))
    assert len(incidents) == 1
    assert set(incidents[0].conversation_ids) == {"c1", "c2", "c3", "c4"}
    assert incidents[0].reason == "incident: 4 customers report 'login' in 3h"


def test_one_customer_writing_many_times_is_no_incident() -> None:
    candidates = [cand(f"c{i}", "a@x.test", i, "Login broken") for i in range(5)]
    assert find_incidents(candidates, TriageConfig(incident_min_customers=3)) == []


def test_reports_spread_beyond_the_window_are_no_incident() -> None:
    candidates = [cand(f"c{i}", f"u{i}@x.test", i * 10, "Login broken") for i in range(4)]
    assert find_incidents(candidates, TriageConfig(incident_min_customers=3, incident_window_hours=6)) == []


def test_inflections_acronyms_and_languages_of_one_problem_form_one_incident() -> None:
    # Old rule: exact subject words of 4+ letters, so "PDF" and "exporting"/"Export" never met.
    candidates = [
        cand("c1", "a@x.test", 2, "PDF export not working"),
        cand("c2", "b@x.test", 1.5, "Error when exporting to PDF"),
        cand("c3", "c@x.test", 1, "Fehler beim PDF-Export"),
        cand("c4", "d@x.test", 0.5, "¿La exportación a PDF no funciona?"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert set(incident.conversation_ids) == {"c1", "c2", "c3", "c4"}
    assert sorted(incident.signal.split()) == ["export", "pdf"]  # customers wrote both orders
    assert incident.reason == f"incident: 4 customers report '{incident.signal}' in 1h 30m"


def test_one_feature_named_in_other_languages_forms_one_incident() -> None:
    # Without the product glossary "البحث", "جستجو" and "pesquisa" share no stem with "search".
    candidates = [
        cand("c1", "a@x.test", 2, "Search returns nothing"),
        cand("c2", "b@x.test", 1.5, "البحث لا يعمل"),
        cand("c3", "c@x.test", 1, "جستجو کار نمی‌کند"),
        cand("c4", "d@x.test", 0.5, "A pesquisa não funciona"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert set(incident.conversation_ids) == {"c1", "c2", "c3", "c4"}
    assert incident.signal == "search"


def test_a_feature_spelled_its_way_in_each_language_forms_one_incident() -> None:
    # No word list knows "comments": "comentarios", "commentaires" and "Kommentare" are the same word.
    candidates = [
        cand("c1", "a@x.test", 2, "Comments not working"),
        cand("c2", "b@x.test", 1.5, "Problema con los comentarios"),
        cand("c3", "c@x.test", 1, "Les commentaires ne fonctionnent pas"),
        cand("c4", "d@x.test", 0.5, "Kommentare funktionieren nicht"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert set(incident.conversation_ids) == {"c1", "c2", "c3", "c4"}
    assert incident.signal == "comments"


def test_a_compound_is_read_as_the_words_others_write_apart() -> None:
    # "Texteditor" is a text editor: German writes as one word what English writes as two.
    candidates = [
        cand("c1", "a@x.test", 2, "The text editor not working"),
        cand("c2", "b@x.test", 1.5, "Der Texteditor funktioniert nicht", lang="de"),
        cand("c3", "c@x.test", 1, "Problem with the text editor"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("c1", "c2", "c3")
    assert incidents.compound_parts("texteditor", {"text", "editor"}) == ("editor", "text")
    assert incidents.compound_parts("rechnungsadress", {"rechnung", "adress"}) == ("adress", "rechnung")
    assert incidents.compound_parts("zeiterfassung", {"zeit"}) == ()  # what it is must be known
    assert incidents.compound_parts("webhook", {"hook", "web"}) == ()  # too short to be a compound


def test_a_german_compound_of_product_words_joins_the_english_reports() -> None:
    # "Rechnungsexport" is an invoice export, "Kalender-Synchronisation" a calendar sync: the
    # glossary knows "Rechnung", "Export" and "Kalender", and "Synchronisation" derives
    # from its "Synchronisierung"; no English report writes "rechnung" or "synchronisation".
    calendar = ("Calendar sync not working", "Calendar sync broken")
    for german, english in (
        ("Rechnungsexport geht nicht mehr", ("Invoice export fails", "Can't export invoices")),
        ("Kalendersynchronisation funktioniert nicht", calendar),
        ("Kalender-Synchronisation funktioniert nicht", calendar),
    ):
        candidates = [
            cand("c1", "a@x.test", 2, english[0]),
            cand("c2", "b@x.test", 1.5, german, lang="de"),
            cand("c3", "c@x.test", 1, english[1]),
        ]
        (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
        assert incident.conversation_ids == ("c1", "c2", "c3"), german
    assert incidents.compound_parts("rechnungsexport", {"export"}, "de") == ("export", "invoic")
    assert incidents.compound_parts("kalendersynchronis", set(), "de") == ("sync", "calendar")
    assert keywords.product_concept("synchronis", "de") == "sync"
    assert keywords.product_concept("benutzbar", "de") is None  # "usable", not "user" ("benutz")
    assert keywords.product_concept("synchronis", "en") is None  # English words are the concepts


def test_an_arabic_incident_is_named_in_arabic_letters() -> None:
    # Matching folds "ي" and "ك" to the Persian "ی" and "ک"; the title showed them so
    # ("الکامیرا", "بخطوتین"): an Arabic word misspelled in every queue row and toast.
    for words, persian in (("الكاميرا", ""), ("التحقق بخطوتين", ""), ("دوربین", "دوربین")):
        candidates = [
            cand("c1", "a@x.test", 2, f"{words} لا يعمل" if not persian else f"{words} کار نمی‌کند"),
            cand("c2", "b@x.test", 1.5, f"مشكلة في {words}" if not persian else f"مشکل {words}"),
            cand("c3", "c@x.test", 1, f"{words} معطل" if not persian else f"{words} خراب است"),
        ]
        (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
        assert incident.signal == words
    assert keywords.stems("الكاميرا معطلة")[0] == ("کامیر", "الكاميرا")  # matched folded, shown as written


def test_an_incident_is_named_in_the_language_most_of_its_customers_wrote() -> None:
    # "invoic" is the stem of "invoice", "invoices", "factures" and "Rechnungen": counted word
    # by word, the one French report named an incident of English ones "export factures".
    candidates = [
        cand(
            "c1", "a@x.test", 2, "Export des factures impossible", "Je n'arrive plus à exporter mes factures."
        ),
        cand("c2", "b@x.test", 1.5, "Invoice export fails"),
        cand("c3", "c@x.test", 1, "Can't export invoices", "Exporting invoices is not working for us."),
        cand("c4", "d@x.test", 0.9, "Rechnungsexport geht nicht mehr", "Der Export bricht ab.", lang="de"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("c1", "c2", "c3", "c4")
    assert incident.signal == "export invoices"


@pytest.mark.parametrize(
    ("subject", "text", "fails"),
    [
        # "I can't" in each language read, as "cannot" is in English: a problem, not yet a failure.
        ("¿Por qué no puedo descargar mi factura?", "Intento descargar la factura de noviembre.", False),
        ("Não consigo sincronizar o calendário", "Desde ontem.", False),
        ("Rechnung", "Ich kann die Rechnung nicht herunterladen, sie lässt sich nicht öffnen.", False),
        ("Export des factures impossible", "Depuis ce matin.", False),
        ("لا أستطيع تحميل الفاتورة", "منذ الصباح.", False),
        ("فاکتور", "نمی‌توانم فاکتور را دانلود کنم.", False),
        # "no longer able" is "not able": a failure, as "n'arrive pas" is.
        ("Factures", "Je n'arrive plus à exporter mes factures depuis ce matin.", True),
    ],
)
def test_i_cannot_is_read_in_every_language(subject: str, text: str, fails: bool) -> None:
    report = scoring.read_report(subject, text)
    assert report.is_problem and report.says_it_fails is fails, report


def test_reports_that_only_mention_a_problem_are_no_incident() -> None:
    # Three customers who cannot find a setting ask where it is; nothing fails.
    for subject, body, fails in (
        ("Cannot find the setting", "I cannot find where to change the date format.", False),
        ("Invoice shows the wrong VAT number", "Could you correct it?", False),
        ("Error when resetting my password", "", True),
        ("Can't use the password reset email", "", True),
    ):
        assert scoring.read_report(subject, body).says_it_fails is fails, subject
    asking = [
        cand(f"c{n}", f"u{n}@x.test", 2 - n * 0.5, "Cannot find the setting", failing=False) for n in range(3)
    ]
    assert find_incidents(asking, TriageConfig(incident_min_customers=3)) == []
    one_fails = [*asking[:2], cand("c9", "z@x.test", 0, "Cannot find the setting")]
    assert len(find_incidents(one_fails, TriageConfig(incident_min_customers=3))) == 1


def test_a_persian_loanword_meets_the_english_word() -> None:
    # "وبینار" is "webinar" written in Persian letters; no word list has it.
    candidates = [
        cand("c1", "a@x.test", 2, "Webinars not working"),
        cand("c2", "b@x.test", 1.5, "مشکل در وبینار"),
        cand("c3", "c@x.test", 1, "Urgent: webinars keeps failing"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("c1", "c2", "c3")
    assert [incidents.arabic_skeleton(w) for w in ("آفلاین", "پلاگین", "الكوبونات")] == ["fln", "blgn", "kbn"]
    assert [incidents.english_skeleton(w) for w in ("offline", "plugin", "coupon")] == ["fln", "blgn", "kbn"]


def test_a_loanword_needs_three_consonants_and_one_english_word() -> None:
    def reports(*texts: tuple[str, str]) -> list[IncidentCandidate]:
        return [cand(f"c{n}", f"u{n}@x.test", 1, text, lang=lang) for n, (text, lang) in enumerate(texts)]

    # "لاگ" (log) has two consonants: too few to tell it from other words.
    assert incidents.loanwords(reports(("log export fails", "en"), ("لاگ کار نمی‌کند", "fa"))) == {}
    # "fresh" and "afresh" both sound like "فروش" (sale): no English word is chosen.
    found = incidents.loanwords(reports(("fresh start", "en"), ("afresh", "en"), ("فروش", "fa")))
    assert found == {}
    assert incidents.loanwords(reports(("webinars fail", "en"), ("وبینار", "fa"))) == {"وبینار": "webinar"}


def test_a_loanword_takes_the_english_word_most_reports_use() -> None:
    # "offline" (four reports) and the German "vielen" (one) both sound "fln", as "آفلاین" does.
    candidates = [
        cand("c1", "a@x.test", 4, "Offline mode down?"),
        cand("c2", "b@x.test", 3.5, "Offline mode fails, it never syncs back"),
        cand("c3", "c@x.test", 3, "Can't use offline mode"),
        cand("c4", "d@x.test", 2.5, "Offline mode down?"),
        cand("c5", "e@x.test", 2, "Vielen Nutzern fehlt die Vorlage", lang="de"),
        cand("c6", "f@x.test", 1, "حالت آفلاین کار نمی‌کند"),
    ]
    assert incidents.loanwords(candidates) == {"آفلا": "offlin"}
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("c1", "c2", "c3", "c4", "c6")


def test_words_nobody_could_share_count_less() -> None:
    # "حالت آفلاین" is "offline mode": "آفلاین" meets "offline", "حالت" (mode) has no English
    # report to meet. Counted in full, it made the Persian report half unlike the English
    # ones, whichever of them came first.
    for persian_first in (False, True):
        candidates = [
            cand("c1", "a@x.test", 3, "Offline mode down?"),
            cand("c2", "b@x.test", 2, "Offline mode fails, it never syncs back"),
            cand("c3", "c@x.test", 4 if persian_first else 1, "حالت آفلاین کار نمی‌کند"),
        ]
        (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
        assert sorted(incident.conversation_ids) == ["c1", "c2", "c3"], persian_first
    # A Persian report on another problem shares no word: still apart.
    other = [*candidates[:2], cand("c4", "d@x.test", 1, "فروش بلیت کار نمی‌کند")]
    assert find_incidents(other, TriageConfig(incident_min_customers=3)) == []


def test_an_arabic_plural_is_the_singular() -> None:
    # "بطاقة هدية" (a gift card), "بطاقات الهدايا" (gift cards): Snowball read "طاق", "طاقا", "بطاق".
    assert keywords.arabic_singular("بطاقات") == keywords.arabic_singular("البطاقات") == "بطاق"
    assert keywords.arabic_singular("بطاقة") == "بطاق"
    assert keywords.arabic_singular("ذات") == "ذات"  # a root keeps three letters
    assert keywords.stems("بطاقة")[0][0] == keywords.stems("بطاقات")[0][0] == keywords.stems("البطاقات")[0][0]
    candidates = [
        cand("c1", "a@x.test", 3, "خطأ عند استخدام بطاقة الدفع", "يظهر لي خطأ كلما حاولت الدفع."),
        cand("c2", "b@x.test", 2, "مشكلة في بطاقات الدفع"),
        cand("c3", "c@x.test", 1, "البطاقات لا تعمل"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("c1", "c2", "c3")


def test_a_feature_the_team_names_reads_as_one_word_in_every_name() -> None:
    features = {"purchase orders": ("POs", "Bestellungen"), "conversion funnels": ("funnel reports",)}
    config = TriageConfig(incident_min_customers=3, features=features)
    glossary = incidents.Glossary(features)
    po, funnel = (token for token, _ in glossary.names)
    assert glossary.read(keywords.stems("Purchase orders give a blank page", "en"), "en")[0] == (
        po,
        "purchase orders",
    )
    assert glossary.read(keywords.stems("Die Bestellungen gehen nicht", "de"), "de") == [(po, "bestellungen")]
    # One word of a longer name names the feature alone when no other feature has it...
    assert glossary.read(keywords.stems("Error when building a funnel", "en"), "en") == [
        ("build", "building"),
        (funnel, "funnel"),
    ]
    # ... unless it is a common product word: "report" is many features' word.
    assert glossary.read(keywords.stems("Report export fails", "en"), "en") == [
        ("report", "report"),
        ("export", "export"),
    ]
    candidates = [
        cand("c1", "a@x.test", 3, "Urgent: POs keep failing"),
        cand("c2", "b@x.test", 2.5, "Purchase orders give a blank page", "Since this morning."),
        cand("c3", "c@x.test", 2, "Bestellungen gehen nicht", lang="de"),
    ]
    assert find_incidents(candidates, TriageConfig(incident_min_customers=3)) == []
    (incident,) = find_incidents(candidates, config)
    assert incident.conversation_ids == ("c1", "c2", "c3")
    assert incident.signal == "purchase orders"
    # A later report naming the feature another way joins the kept incident.
    (kept,) = incidents.track([], [incident], candidates, config, ago(1.5))
    later = cand("c4", "d@x.test", 1, "POs broken?")
    (after,) = incidents.track([kept], [], [*candidates, later], config, ago(0.5))
    assert after.members == ("c1", "c2", "c3", "c4")


def test_a_named_feature_outweighs_the_words_around_it() -> None:
    # Each report says more than the feature ("answers marked wrong", "grading"): counted by
    # rarity alone, those words made four reports of one feature two pairs.
    features = {"quizzes": ("assessments", "the quiz builder")}
    candidates = [
        cand("c1", "a@x.test", 4, "assessments keeps failing"),
        cand("c2", "b@x.test", 3, "QUIZZES FAILS WITH EVERY ANSWER MARKED WRONG"),
        cand("c3", "c@x.test", 2, "Error when grading assessments"),
        cand("c4", "d@x.test", 1, "Quizzes gives a blank page"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3, features=features))
    assert incident.conversation_ids == ("c1", "c2", "c3", "c4")


@pytest.mark.parametrize(
    "subject",
    [
        "Die Kursanmeldung: nur eine leere Seite",
        "Pantalla en blanco: el lector de códigos",
        "Page blanche sur les factures",
        "Pagina vuota dopo il login",
        "صفحة فارغة عند فتح التقرير",
        "صفحه سفید در گزارش‌ها",
    ],
)
def test_a_blank_page_fails_in_every_language(subject: str) -> None:
    assert scoring.read_report(subject, "").says_it_fails, subject


def test_cognates_need_a_long_shared_beginning() -> None:
    found = incidents.cognates(["comment", "comentari", "commentair", "kommentar", "form", "formul"])
    assert found == {"comentari": "comment", "commentair": "comment", "kommentar": "comment"}
    assert incidents.cognates(["coupon", "cupon"]) == {"cupon": "coupon"}  # English "ou", Romance "u"
    # "confirm" and "configur" share four letters; "contract" and "contrasen" (password) six of nine.
    assert incidents.cognates(["confirm", "configur", "contract", "contrasen"]) == {}


def test_a_product_word_is_read_in_its_own_language() -> None:
    # "Bericht" is a report in German and a message in Dutch.
    assert keywords.stems("der Bericht", "de") == [("report", "bericht")]
    assert keywords.stems("het bericht", "nl") == [("messag", "bericht")]
    assert keywords.stems("Bericht", "en") == [("bericht", "bericht")]


def test_english_pasted_into_another_language_reads_as_english() -> None:
    # Old rule: "they never get created" in a Portuguese mail gave the stems "they", "nev", "get";
    # "tags" in an Arabic mail went through the Arabic stemmer and never met the English "tag".
    assert keywords.stems("Erro ao criar tarefas: they never get created", "pt") == [
        ("cri", "criar"),
        ("taref", "tarefas"),
        ("creat", "created"),
    ]
    assert ("tag", "tags") in keywords.stems("الوسوم: tags vanish", "ar")


def test_contractions_say_nothing_about_the_problem() -> None:
    # Old rule: "can't" and "doesn't" were stems, so "Can't use offline mode" shared a third of
    # itself with every other "can't" report.
    assert keywords.stems("Can't use offline mode") == [("offlin", "offline"), ("mode", "mode")]
    assert keywords.stems("It doesn't load and I'm stuck") == [("load", "load"), ("stuck", "stuck")]


def test_the_body_says_what_a_vague_subject_does_not() -> None:
    candidates = [
        cand("c1", "a@x.test", 2, "Urgent!!", "Hi,\n\nSSO login fails with a SAML error since 9:00."),
        cand("c2", "b@x.test", 1, "Problem", "Hello team,\n\nour SSO login is broken."),
        cand("c3", "c@x.test", 0, "SSO login down?"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.customers == 3 and "sso" in incident.signal


def test_one_shared_common_word_is_not_an_incident() -> None:
    # Old rule: one shared subject word of 4+ letters ("invoice") made an incident.
    candidates = [
        cand("c1", "a@x.test", 1, "Invoice download fails"),
        cand("c2", "b@x.test", 0.8, "Invoice shows the wrong VAT number"),
        cand("c3", "c@x.test", 0.5, "Invoice email never arrives"),
    ]
    assert find_incidents(candidates, TriageConfig(incident_min_customers=3)) == []


def test_a_report_alike_to_two_groups_joins_them() -> None:
    # Old rule: each report joined one group, so "moving cards on the board" and "the kanban
    # board" stayed two groups of one and two customers although the third report names both.
    candidates = [
        cand("c1", "a@x.test", 2, "Error when moving cards on the board"),
        cand("c2", "b@x.test", 1.5, "Urgent: the kanban board keeps failing"),
        cand("c3", "c@x.test", 1, "cards jump back on the kanban board?"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("c1", "c2", "c3")
    assert "board" in incident.signal.split()


def test_a_report_naming_two_incidents_does_not_merge_them() -> None:
    imports = [cand(f"i{n}", f"i{n}@x.test", 3 - n * 0.2, "CSV import fails") for n in range(3)]
    exports = [cand(f"e{n}", f"e{n}@x.test", 2 - n * 0.2, "CSV export fails") for n in range(3)]
    both = cand("b", "b@x.test", 1, "CSV import and CSV export fail")
    found = find_incidents([*imports, *exports, both], TriageConfig(incident_min_customers=3))
    assert sorted(i.signal for i in found) == ["csv export", "csv import"]


def test_an_acronym_reads_as_the_phrase_other_reports_write_out() -> None:
    assert incidents.acronym_terms("Urgent: POs keeps failing, the SLA too") == [
        ("\u2038po", "POs"),
        ("\u2038sla", "SLA"),
    ]
    assert incidents.acronym_terms("ERROR WHEN BUILDING A FUNNEL") == []  # capitals throughout
    assert incidents.acronym_terms("A/B tests and R&D are broken") == []
    assert incidents.acronym_terms("Our IT team in the US cannot log in") == []
    # Two incidents of one outage, one writing "POs", the other "purchase orders".
    short = [
        cand(f"s{n}", f"s{n}@x.test", 4 - n * 0.5, title)
        for n, title in enumerate(
            ("Urgent: POs keeps failing", "error 500 on POs?", "POs broken for our whole team")
        )
    ]
    long = [
        cand(f"l{n}", f"l{n}@x.test", 3.8 - n * 0.5, title)
        for n, title in enumerate(
            ("Can't use purchase orders", "Purchase orders gives a blank page", "Purchase orders not working")
        )
    ]
    config = TriageConfig(incident_min_customers=3)
    (incident,) = find_incidents([*short, *long], config)
    assert sorted(incident.conversation_ids) == ["l0", "l1", "l2", "s0", "s1", "s2"]
    assert incident.signal == "purchase orders"
    # Written out by one report only, or as often as another phrase of those letters: not read.
    once = find_incidents([*short, long[0]], config)
    assert [i.conversation_ids for i in once] == [("s0", "s1", "s2")]
    other = [cand(f"o{n}", f"o{n}@x.test", 3.5 - n * 0.5, "Payment options missing") for n in range(2)]
    two = find_incidents([*short, long[0], long[2], *other], config)
    assert [i.conversation_ids for i in two] == [("s0", "s1", "s2")]


def test_how_a_feature_fails_bridges_no_two_groups() -> None:
    # "Purchase orders gives a blank page" is like the purchase orders incident by its
    # feature and like the ticket assignment report by "gives a blank page": it merged them.
    candidates = [
        cand("p1", "a@x.test", 3, "Purchase orders not working"),
        cand("p2", "b@x.test", 2.8, "Can't use purchase orders"),
        cand("p3", "c@x.test", 2.6, "Purchase orders down?"),
        cand("t1", "d@x.test", 2.5, "Ticket assignment gives a blank page"),
        cand("p4", "e@x.test", 2, "Purchase orders gives a blank page"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("p1", "p2", "p3", "p4")


def test_a_report_sharing_one_word_with_two_groups_does_not_join_them() -> None:
    # "Invoice problem" is like each invoice question, by its only word: they stay apart.
    candidates = [
        cand("c1", "a@x.test", 2, "Invoice download fails"),
        cand("c2", "b@x.test", 1.5, "Invoice shows the wrong VAT number"),
        cand("c3", "c@x.test", 1, "Invoice problem", "The invoice is wrong."),
    ]
    assert find_incidents(candidates, TriageConfig(incident_min_customers=3)) == []


def test_incident_id_is_stable() -> None:
    candidates = [cand(f"c{i}", f"u{i}@x.test", i, "Checkout outage") for i in range(3)]
    first = find_incidents(candidates, TriageConfig())
    second = find_incidents(list(reversed(candidates)), TriageConfig())
    assert [i.id for i in first] == [i.id for i in second]


def test_incidents_only_look_at_recent_reports() -> None:
    old = [cand(f"c{i}", f"u{i}@x.test", 24 * 30 + i, "Checkout outage") for i in range(3)]
    assert find_incidents(old, TriageConfig(), now=NOW) == []
    assert len(find_incidents(old, TriageConfig())) == 1


# --- keyword matching: the fast paths find what the plain scan finds -----------------------

_WORDLIKE = st.sampled_from(
    [
        "refund",
        "urgent",
        "not",
        "working",
        "can't",
        "cannot",
        "log",
        "in",
        "down",
        "broken",
        "the",
        "'",
        "''",
        "Refund",
        "URGENT",
        "الاسترداد",
        "استرداد",
        "عاجل",
        "فوری",
        "لا يعمل",
        "x_y",
        "42",
        "\u2019",
        "naïve",
    ]
)
_SEPARATOR = st.sampled_from([" ", "  ", ", ", ".", "!\n", "\t", "-", "'", "_", "\x01", "\u00a0", "\u200c"])


@st.composite
def _texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(_WORDLIKE, _SEPARATOR), max_size=40))
    return "".join(w + s for w, s in parts) + draw(st.text(max_size=20))


def _plain_words(text: str) -> list[str]:
    """The words of ``text`` by the specification: links' addresses out, folded, every token."""
    return keywords._TOKEN.findall(keywords._fold_chars(keywords._LINKS.sub(" ", text)))


def _plain_scan(matcher: keywords.KeywordMatcher, text: str) -> list[str]:
    """Every word position in order, the longest keyword matching there (the specification)."""
    tokens = _plain_words(text)
    found: list[str] = []
    for index, token in enumerate(tokens):
        for key in matcher._candidates(token):
            if tuple(tokens[index + 1 : index + len(key)]) == key[1:]:
                if matcher.originals[key] not in found:
                    found.append(matcher.originals[key])
                break
    return found


@settings(max_examples=400, deadline=None)
@given(_texts())
def test_keyword_finding_equals_a_plain_scan_of_every_word(text: str) -> None:
    matcher = keywords.KeywordMatcher.build(
        [
            "refund",
            "refund please",
            "not working",
            "can't log in",
            "urgent",
            "استرداد",
            "لا يعمل",
            "فوری",
            "x_y",
        ]
    )
    assert list(keywords.words(text)) == _plain_words(text)
    assert matcher.find(text) == _plain_scan(matcher, text)
    assert matcher.contains(text) == bool(_plain_scan(matcher, text))


def test_a_keyword_is_placed_where_it_first_occurs_with_or_without_a_clitic() -> None:
    matcher = keywords.KeywordMatcher.build(["استرداد", "urgent", "since yesterday", "since"])
    text = "الاسترداد urgent استرداد since today since yesterday"
    expected = ["استرداد", "urgent", "since", "since yesterday"]
    assert matcher.find(text) == _plain_scan(matcher, text) == expected


@settings(max_examples=300, deadline=None)
@given(_texts(), st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
@example(subject="", body="A://")  # a link's address, empty: no word (the reference read "a")
def test_words_of_a_subject_line_and_an_ascii_body_are_read_as_one_text(subject: str, body: str) -> None:
    text = f"{subject}\n{body}"
    assert list(keywords.words(text)) == _plain_words(text)
    assert keywords.words("Dringend: https://shop.test/urgent-sale jetzt") == ("dringend", "jetzt")


@settings(max_examples=400, deadline=None)
@given(st.one_of(_texts(), st.text(max_size=40)), st.one_of(_texts(), st.text(max_size=80)))
def test_a_subject_and_a_text_read_apart_are_the_joined_text_read_once(subject: str, text: str) -> None:
    joined = keywords.read(f"{subject}\n{text}")
    apart = keywords.read(subject) + keywords.read(text)
    assert apart.tokens == joined.tokens == tuple(keywords.words(f"{subject}\n{text}"))
    assert apart.distinct == joined.distinct == frozenset(joined.tokens)
    assert apart.arabic == joined.arabic == {w for w in joined.tokens if "\u0600" <= w[0] <= "\u06ff"}


def _report_of_the_joined_string(subject: str, text: str) -> scoring.Report:
    """read_report as first written: every matcher given the joined string (the specification)."""
    both = f"{subject}\n{text}"
    failures = scoring._STRONG.find(both)
    code = scoring._ERROR_CODE.search(both)
    if code:
        failures.append(code.group(0))
    down = scoring._DOWN.search(both)
    if down and not any(word.endswith("down") for word in failures):
        failures.append(down.group(0).lower())
    mentions = scoring._WEAK.find(both)
    closing = (
        not failures
        and not mentions
        and "?" not in text
        and len(keywords.words(text)) <= scoring._CLOSING_WORDS
        and bool(scoring._RESOLVED.find(text))
    )
    return scoring.Report(
        failures=failures,
        mentions=mentions,
        minor=bool(scoring._MINOR.find(both)),
        blocking=bool(scoring._BLOCKING.find(both)),
        closing=closing,
    )


_REPORT_WORDS = st.sampled_from(
    [
        "not working",
        "doesn't work",
        "funktioniert nicht",
        "ne fonctionne pas",
        "no funciona",
        "لا يعمل",
        "کار نمی‌کند",
        "error",
        "Error 502",
        "HTTP\n503",
        "bug",
        "down?",
        "Is it down",
        "?",
        "minor",
        "no rush",
        "everyone",
        "since this morning",
        "thanks",
        "works now",
        "solved",
        "الخطأ",
        "cannot",
        "crash",
        "\u200c",
    ]
)


@st.composite
def _report_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.one_of(_REPORT_WORDS, _WORDLIKE), _SEPARATOR), max_size=25))
    return "".join(w + s for w, s in parts)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_report_texts(), st.text(max_size=30)), st.one_of(_report_texts(), st.text(max_size=60)))
def test_a_report_reads_as_its_subject_and_text_joined(subject: str, text: str) -> None:
    assert scoring.read_report(subject, text) == _report_of_the_joined_string(subject, text)


def test_every_labelled_message_reads_as_its_subject_and_text_joined() -> None:
    root = Path(__file__).resolve().parents[2] / "bench" / "data"
    corpora = sorted(root.glob("triage_*.jsonl"))
    assert len(corpora) >= 5
    count = 0
    for corpus in corpora:
        for line in corpus.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            subject, text = item["subject"], new_text(item["body"])
            assert scoring.read_report(subject, text) == _report_of_the_joined_string(subject, text), item
            count += 1
    assert count > 3000


def test_two_pairs_that_name_one_feature_their_own_way_are_one_incident() -> None:
    # Each pair agrees within itself, and the two share only "funnel": joined one report at
    # a time, they stayed two pairs, neither an incident, while four customers reported it.
    candidates = [
        cand("c1", "a@x.test", 3, "Screenshot: Analytics > Funnels", "The funnel shows 10% then a 504."),
        cand("c2", "b@x.test", 2.2, "Urgent: Conversion funnels broken", "Analytics funnels give a 504."),
        cand("c3", "c@x.test", 1.2, "Error when building a funnel"),
        cand("c4", "d@x.test", 0.5, "ERROR WHEN BUILDING A FUNNEL"),
        cand("o1", "e@x.test", 2, "Invoice download fails"),
        cand("o2", "f@x.test", 1, "Password reset mail never arrives"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("c1", "c2", "c3", "c4")
    # Named by the word all four use, not by one half's ("building funnels").
    assert incident.signal == "funnels"


def test_two_pairs_that_own_a_short_word_are_one_incident() -> None:
    # "A/B tests" and "split tests" share only "test", four letters: the pairs stayed apart.
    candidates = [
        cand("a1", "a@x.test", 3, "Campaigns > A/B tests not working"),
        cand("s1", "b@x.test", 2.5, "Can't use split tests"),
        cand("s2", "c@x.test", 2, "Split tests gives a blank page"),
        cand("a2", "d@x.test", 1.5, "Is A/B tests broken?"),
        cand("o1", "e@x.test", 2, "Invoice download fails"),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("a1", "s1", "s2", "a2")
    assert incident.signal == "tests"


def test_pairs_sharing_a_word_other_reports_use_too_stay_apart() -> None:
    # "invoice" is in four more reports of other problems: it is not these pairs' own word.
    candidates = [
        cand("d1", "a@x.test", 3, "Invoice download fails", "Downloading any invoice fails."),
        cand("d2", "b@x.test", 2.5, "Invoice download broken"),
        cand("v1", "c@x.test", 2, "Invoice VAT number wrong", "The VAT number on the invoice is wrong."),
        cand("v2", "d@x.test", 1.5, "Wrong VAT number on invoice"),
        *(
            cand(f"o{n}", f"o{n}@x.test", 1 - n * 0.1, f"Invoice {word} fails")
            for n, word in enumerate(("email", "reminder", "template", "numbering"))
        ),
    ]
    found = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert all(set(i.conversation_ids) != {"d1", "d2", "v1", "v2"} for i in found)
    assert not any({"d1", "v1"} <= set(i.conversation_ids) for i in found)


def test_a_lone_report_does_not_join_an_incident_by_one_word() -> None:
    downloads = [cand(f"d{n}", f"d{n}@x.test", 3 - n * 0.3, "Invoice download fails") for n in range(3)]
    vat = cand("v", "v@x.test", 1, "Invoice shows the wrong VAT number")
    (incident,) = find_incidents([*downloads, vat], TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("d0", "d1", "d2")


def test_a_lone_report_naming_only_an_incidents_own_word_joins_it() -> None:
    # "Expense reports" shares only "expense" with the incident: too little of the report
    # for the similarity, so it stayed alone while nobody else said "expense" that evening.
    claims = [
        cand("c1", "a@x.test", 4, "Expenses > My claims not working"),
        cand("c2", "b@x.test", 3.3, "Expense claims down?"),
        cand("c3", "c@x.test", 2.5, "ISSUE: EXPENSE CLAIMS", "Since today submitting expense claims fails."),
    ]
    others = [
        cand("o1", "o@x.test", 2, "Invoice download fails"),
        cand("o2", "p@x.test", 1.8, "Login broken"),
    ]
    lone = cand("r1", "d@x.test", 1.5, "Expense reports fails with error 500")
    config = TriageConfig(incident_min_customers=3)
    (incident,) = find_incidents([*claims, *others, lone], config)
    assert incident.conversation_ids == ("c1", "c2", "c3", "r1")
    assert incident.signal == "expense claims"
    # Another report using the word in those hours: it is not the incident's own.
    question = cand("q1", "q@x.test", 6, "Expense export to CSV fails", "The expense export fails.")
    (incident,) = find_incidents([*claims, *others, lone, question], config)
    assert "r1" not in incident.conversation_ids
    # Nor one naming the word only below a subject that does not ("Exporting my project
    # fails" beside "PDF export not working"), one saying more of its own, one that would
    # only make a group.
    told = cand("t1", "t@x.test", 1.5, "Problem", "Expense reports fail with error 500.")
    (incident,) = find_incidents([*claims, *others, told], config)
    assert incident.conversation_ids == ("c1", "c2", "c3")
    wordy = cand("w1", "w@x.test", 1.5, "Expense reports show the wrong currency symbol")
    (incident,) = find_incidents([*claims, *others, wordy], config)
    assert incident.conversation_ids == ("c1", "c2", "c3")


def test_a_lone_report_naming_a_pairs_own_long_word_makes_an_incident() -> None:
    # "Les réponses types" shares only "réponses" with the pair of "modèles de réponse":
    # three customers of one outage, a pair and a report, none of them an incident.
    pair = [
        cand("m1", "a@x.test", 4, "Les modèles de réponse ne fonctionnent pas"),
        cand("m2", "b@x.test", 2, "Erreur : impossible d'utiliser un modèle de réponse"),
    ]
    others = [
        cand("o1", "o@x.test", 2.5, "Invoice download fails"),
        cand("o2", "p@x.test", 1.8, "Login broken"),
    ]
    lone = cand("r1", "c@x.test", 3, "Les réponses types en panne ?")
    config = TriageConfig(incident_min_customers=3)
    (incident,) = find_incidents([*pair, *others, lone], config)
    assert incident.conversation_ids == ("m1", "r1", "m2")
    # A pair is less sure of its word than an incident: not by a word of four letters
    # ("plan" of shift plans and of plan templates), nor by a product word many features
    # share ("export" of a PDF and of contacts).
    plans = [
        cand("p1", "a@x.test", 4, "Shift plans not loading"),
        cand("p2", "b@x.test", 3, "Shift plans down?"),
    ]
    templates = cand("r2", "c@x.test", 2, "Plan templates gives a blank page")
    assert find_incidents([*plans, *others, templates], config) == []
    exports = [
        cand("e1", "a@x.test", 4, "PDF export not working"),
        cand("e2", "b@x.test", 3, "PDF export down?"),
    ]
    assert (
        find_incidents([*exports, *others, cand("r3", "c@x.test", 2, "Export of contacts fails")], config)
        == []
    )


def test_a_pair_joins_an_incident_by_the_word_one_member_names() -> None:
    # "Error al escanear códigos de barras" names the scanner's word and agrees on "códigos
    # de barras" with a report an hour earlier that names the scanner as "el lector": the pair
    # stayed beside the incident. Its quoted message says what the incident says already.
    scanner = [
        cand("s1", "a@x.test", 5, "Inventario > Escanear da error", "Me sale the camera not opening."),
        cand("s2", "b@x.test", 4.3, "El escáner no funciona", "El escáner no funciona desde esta mañana."),
        cand("s3", "c@x.test", 4.2, "El escáner no funciona"),
        cand("s4", "d@x.test", 3.6, "Problema con el escáner"),
    ]
    others = [
        cand("o1", "o@x.test", 3.5, "Invoice download fails"),
        cand("o2", "p@x.test", 3.2, "Login broken"),
    ]
    reader = cand(
        "b1",
        "e@x.test",
        4.7,
        "Pantalla en blanco: el lector de códigos de barras",
        "Desde esta mañana el lector de códigos de barras me muestra una pantalla en blanco.",
    )

    def scanning(quoted: str, codes: str = "códigos de barras") -> IncidentCandidate:
        return cand(
            "b2",
            "f@x.test",
            3.8,
            f"Error al escanear {codes}",
            f"Me sale un error ({quoted}) cada vez que intento escanear {codes}.",
        )

    config = TriageConfig(incident_min_customers=3)
    (incident,) = find_incidents([*scanner, *others, reader, scanning("the camera not opening")], config)
    assert incident.conversation_ids == ("s1", "b1", "s2", "s3", "b2", "s4")
    # Not a report agreeing on one word alone, nor a pair whose message says more.
    (incident,) = find_incidents(
        [*scanner, *others, reader, scanning("the camera not opening", "códigos")], config
    )
    assert "b1" not in incident.conversation_ids
    (incident,) = find_incidents([*scanner, *others, reader, scanning("the label printer offline")], config)
    assert incident.conversation_ids == ("s1", "s2", "s3", "s4")


def test_an_error_message_is_quoted_as_one_term_in_any_language() -> None:
    said = "Tenemos un problema con las solicitudes de vacaciones: 'Balance cannot be négative'."
    assert incidents.quoted_terms(said) == [
        ("\u201cbalance cannot be negative", "'Balance cannot be négative'")
    ]
    arabic = "يظهر لي خطأ ('condition invalid') كلما حاولت إنشاء شريحة جديدة"
    assert [stem for stem, _ in incidents.quoted_terms(arabic)] == ["\u201ccondition invalid"]
    # An error code, one word, an apostrophe of "j'ai" or "can't", a paragraph: no message.
    for text in (
        "J'ai une erreur (error 500) à chaque fois que j'essaie",
        "Campaigns stuck in 'Sending' since noon",
        "We can't use it, it's broken",
        "It says (" + "very " * 10 + "long)",
    ):
        assert incidents.quoted_terms(text) == [], text


def test_reports_quoting_one_error_message_are_one_voice() -> None:
    # The Spanish report shares no word with the French ones but the message both quote;
    # with its French twin it made a pair beside the French incident, "demandes" not
    # named by the pair's every member.
    leave = [
        cand(
            "f1",
            "a@x.test",
            3,
            "Bug les demandes de congés pour toute l'équipe",
            "Toute l'équipe a le même bug avec les demandes de congés : 'balance cannot be negative'.",
        ),
        cand(
            "s1",
            "b@x.test",
            3,
            "Problema con las solicitudes de vacaciones",
            "Tenemos un problema con las solicitudes de vacaciones: 'balance cannot be negative'.",
        ),
        cand("f2", "c@x.test", 2.7, "Erreur : impossible de valider les demandes de congés"),
        cand(
            "f3",
            "d@x.test",
            2.6,
            "Problème avec les demandes de congés",
            "Nous avons un problème : error 500.",
        ),
        cand("f4", "e@x.test", 2.5, "Les demandes de congés ne fonctionne pas"),
        cand("o1", "o@x.test", 2, "Invoice download fails"),
    ]
    (incident,) = find_incidents(leave, TriageConfig(incident_min_customers=3))
    assert sorted(incident.conversation_ids) == ["f1", "f2", "f3", "f4", "s1"]
    assert incident.signal == "demandes congés"
    # Three customers quoting one message in three languages are an incident by it.
    segments = [
        cand(
            "a1",
            "a@x.test",
            3,
            "مشكلة في شرائح الجمهور",
            "لدينا مشكلة في شرائح الجمهور: 'condition invalid'.",
        ),
        cand(
            "a2",
            "b@x.test",
            2,
            "Urgent: Fehler beim Anlegen",
            "Ich bekomme 'Condition invalid' beim Anlegen.",
        ),
        cand("a3", "c@x.test", 1, "Error when creating a segment", "I get 'condition invalid' each time."),
    ]
    (incident,) = find_incidents(segments, TriageConfig(incident_min_customers=3))
    assert sorted(incident.conversation_ids) == ["a1", "a2", "a3"]
    assert "condition invalid" in incident.reason


def test_a_pair_joins_the_incident_of_its_feature_but_two_incidents_stay_apart() -> None:
    config = TriageConfig(incident_min_customers=3)
    deliveries = [cand(f"w{n}", f"w{n}@x.test", 4 - n * 0.2, "Webhook delivery fails") for n in range(3)]
    signatures = [
        cand(f"s{n}", f"s{n}@x.test", 3 - n * 0.2, "Webhook signatures invalid, broken") for n in range(3)
    ]
    found = find_incidents([*deliveries, *signatures], config)
    assert sorted(i.conversation_ids for i in found) == [("s0", "s1", "s2"), ("w0", "w1", "w2")]
    pair = [
        cand(f"p{n}", f"p{n}@x.test", 2 - n * 0.2, "Our webhooks stopped, endpoint never called")
        for n in range(2)
    ]
    (incident,) = find_incidents([*deliveries, *pair], config)
    assert incident.conversation_ids == ("w0", "w1", "w2", "p0", "p1")


def test_something_names_no_problem() -> None:
    # "something" was read as a topic: half of this subject matched nothing of the others'.
    candidates = [
        cand("h1", "a@x.test", 3, "Heatmaps stopped working", "No heatmap loads since noon."),
        cand("h2", "b@x.test", 2.5, "Heatmaps not loading"),
        cand("h3", "c@x.test", 2, "Heatmaps down"),
        cand(
            "h4",
            "d@x.test",
            1,
            "Something wrong with heatmaps today?",
            "Clicking on a recording from Monday gives me an empty view where the heatmap should be.",
            failing=False,
        ),
    ]
    (incident,) = find_incidents(candidates, TriageConfig(incident_min_customers=3))
    assert incident.conversation_ids == ("h1", "h2", "h3", "h4")
    assert [stem for stem, _ in keywords.stems("Something wrong with everything, somehow")] == []


def test_a_german_greeting_names_no_problem() -> None:
    # "Damen" named an incident of German notification reports ("benachrichtigungen damen").
    said = "Sehr geehrte Damen und Herren, beim Speichern der Benachrichtigungen kommt ein Fehler"
    assert [stem for stem, _ in keywords.stems(said)] == ["speich", "notif"]


def test_two_copies_that_found_an_incident_at_different_sizes_give_it_one_id() -> None:
    # Teammates share a close by the incident's id. One copy synced at three reports
    # ("export pdf"), the other at four ("export"): the id named the words, so a close made
    # on one never reached the other.
    reports = [
        cand("c1", "a@x.test", 3, "Export PDF fails"),
        cand("c2", "b@x.test", 2.5, "Export PDF broken"),
        cand("c3", "c@x.test", 2, "Export not working"),
        cand("c4", "d@x.test", 1, "Export fails again"),
    ]
    config = TriageConfig(incident_min_customers=3)
    (early,) = find_incidents(reports[:3], config)
    (late,) = find_incidents(reports, config)
    assert early.signal != late.signal  # the words said differ as the incident grows
    assert early.id == late.id
