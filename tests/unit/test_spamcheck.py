"""Spam-folder verdicts: the signals for and against a real customer, each with a reason."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from supportinbox.domain import spamcheck
from supportinbox.domain.keywords import read, words
from supportinbox.domain.spamcheck import SUSPECT_SCORE, JunkFacts, auth_verdicts, judge, spam_score
from supportinbox.domain.vocabulary import FIRST_PERSON


def test_reply_to_our_message_is_a_suspect_with_reasons() -> None:
    verdict = judge(
        JunkFacts(
            from_addr="lina@customer.test",
            subject="Re: Your refund",
            body="Thanks, but I still have not received it.",
            answers_our_message="Re: Your refund",
            sender_wrote_before=True,
            auth_results="mx.acme.test; dkim=pass header.d=customer.test; spf=pass; dmarc=pass",
            spam_headers={"x-spam-score": "5.4"},
        )
    )
    assert verdict.suspect
    assert verdict.reasons == [
        "+50 replies to our message 'Re: Your refund'",
        "+30 sender wrote to the inbox before",
        "+5 DKIM pass",
        "+5 SPF pass",
        "+5 DMARC pass",
        "+5 borderline spam score 5.4",
        "+15 support wording: 'refund'",
    ]


def test_obvious_spam_is_not_a_suspect() -> None:
    verdict = judge(
        JunkFacts(
            from_addr="deals@bulk.example",
            subject="You won!!!",
            body=" ".join(f"https://bulk.example/{i}" for i in range(20)),
            auth_results="mx; dkim=fail; spf=softfail; dmarc=fail",
            spam_headers={"x-spam-status": "Yes, score=14.2 required=5.0"},
            bulk_signs=["List-Unsubscribe", "Precedence: bulk"],
            recipients=40,
        )
    )
    assert not verdict.suspect
    assert verdict.score < 0
    assert "-30 high spam score 14.2" in verdict.reasons
    assert "-25 bulk mail (List-Unsubscribe, Precedence: bulk)" in verdict.reasons
    assert "-20 sent to 40 recipients" in verdict.reasons
    assert "-15 20 links" in verdict.reasons
    assert "-20 DMARC fail" in verdict.reasons


def test_new_customer_with_support_wording_and_clean_headers() -> None:
    verdict = judge(
        JunkFacts(
            from_addr="sara@newco.test",
            subject="مشکل با سفارش",  # "problem with the order" in Persian
            body="رمز عبور کار نمی‌کند",
            auth_results="mx.acme.test; dkim=pass; spf=pass",
            spam_headers={"x-spam-score": "1.2"},
        )
    )
    assert verdict.score == 5 + 5 + 15 + 15
    assert verdict.suspect
    assert verdict.reasons[-1] == "+15 support wording: 'سفارش', 'رمز عبور'"


def test_known_company_domain_counts_but_not_alone() -> None:
    verdict = judge(JunkFacts(from_addr="new@bigco.test", subject="Hi", body="", domain_known=True))
    assert verdict.reasons == ["+15 domain bigco.test is a known customer domain"]
    assert verdict.score < SUSPECT_SCORE


def test_header_parsing_helpers() -> None:
    assert auth_verdicts("a; DKIM=Pass header.i=@x; spf=neutral; dmarc=none") == {
        "dkim": "pass",
        "spf": "neutral",
        "dmarc": "none",
    }
    assert spam_score({"x-spam-level": "*******"}) == 7.0
    assert spam_score({"x-rspamd-score": "-1.5"}) == -1.5
    assert spam_score({"x-spam-status": "No, score=2.1 required=5.0 tests=..."}) == 2.1
    assert spam_score({"x-spam-flag": "YES"}) is None


OURS = "mx.acme.test"


def test_only_our_own_servers_results_count() -> None:
    # The sender wrote a passing header of their own; ours, added on top, says fail.
    forged = f"{OURS}; dkim=fail; spf=fail\nmail.bank.example; dkim=pass; spf=pass; dmarc=pass"
    assert auth_verdicts(forged, OURS) == {"dkim": "fail", "spf": "fail"}
    assert auth_verdicts(forged) == {"dkim": "fail", "spf": "fail"}  # unset: the topmost header is ours
    spoofed_on_top = f"mail.bank.example; dkim=pass; spf=pass\n{OURS}; spf=fail"
    assert auth_verdicts(spoofed_on_top, OURS) == {"spf": "fail"}
    assert auth_verdicts("not a header at all ;;; ===", OURS) == {}


def test_a_first_time_customer_asking_about_their_bill_is_rescued() -> None:
    # Old rules: 'plan' and 'billing' were no support words, and a question counted for nothing.
    verdict = judge(
        JunkFacts(
            from_addr="new.customer@gmail.com",
            subject="Question about my plan",
            body="Hi,\n\nI was billed $49 but my plan should be $39. Can you check my billing?\n\nAna",
            auth_results=f"{OURS}; dkim=pass header.d=gmail.com; spf=pass smtp.mailfrom=gmail.com",
            authserv_id=OURS,
            spam_headers={"x-spam-score": "5.3"},
        )
    )
    assert verdict.suspect
    assert "+15 authenticated question about their own account" in verdict.reasons


def test_the_same_question_without_our_servers_pass_is_not_enough() -> None:
    verdict = judge(
        JunkFacts(
            from_addr="new.customer@gmail.com",
            subject="Question about my plan",
            body="I was billed $49 but my plan should be $39. Can you check my billing?",
            auth_results=f"mail.elsewhere.example; dkim=pass; spf=pass\n{OURS}; dkim=none; spf=softfail",
            authserv_id=OURS,
            spam_headers={"x-spam-score": "5.3"},
        )
    )
    assert not verdict.suspect


def test_sales_outreach_about_our_support_team_is_not_a_customer() -> None:
    verdict = judge(
        JunkFacts(
            from_addr="sam@helpdesk-ai.example",
            subject="Reduce your support ticket backlog",
            body="I noticed your support team handles many tickets. Would you be open to a quick call?",
            auth_results=f"{OURS}; dkim=pass; spf=pass; dmarc=pass",
            authserv_id=OURS,
            spam_headers={"x-spam-score": "4.9"},
        )
    )
    assert not verdict.suspect
    assert "-25 reads like sales outreach: 'reduce your'" in verdict.reasons


_PIECES = st.sampled_from(
    ["my", "My", "our", "we", "I", "i'm", "j'ai", "mein", "من", "ما", "invoice", "?", "؟", "？", "\u200c"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=12).map(" ".join),
    st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=30).map("\n".join),
)
def test_a_question_about_their_account_reads_the_subject_and_text_joined(subject: str, text: str) -> None:
    joined = f"{subject}\n{text}"
    asks = any(mark in joined for mark in spamcheck._QUESTION_MARKS) and any(
        word in FIRST_PERSON for word in words(joined)
    )
    both = read(subject) + read(text)
    assert spamcheck._asks_about_own_account(subject, text, both) is asks
    assert spamcheck._OUTREACH_MATCHER.find(both) == spamcheck._OUTREACH_MATCHER.find(joined)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["http", "https", "HTTPS", "hTtP", "httpſ", "://", ":", "/", "s", "x", " ", "\n"]),
        max_size=40,
    ).map("".join)
)
def test_links_are_counted_as_the_pattern_finds_them(body: str) -> None:
    assert spamcheck._links(body) == len(spamcheck._LINK.findall(body))


def test_links_at_the_start_and_back_to_back() -> None:
    body = "https://a http://b HTTP://c https://http://x ://y xhttps://z"
    assert spamcheck._links(body) == len(spamcheck._LINK.findall(body)) == 6
