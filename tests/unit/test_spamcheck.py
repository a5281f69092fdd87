"""Spam-folder verdicts: the signals for and against a real customer, each with a reason."""

from __future__ import annotations

from supportinbox.domain.spamcheck import SUSPECT_SCORE, JunkFacts, auth_verdicts, judge, spam_score


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
            auth_results="dkim=pass; spf=pass",
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
