"""Is this message in the spam folder really from a customer? Pure scoring with reasons.

Positive points say "a real customer": the message answers one of ours or continues a
conversation, the sender (or their company domain) wrote to us before or was written to
by us, authentication passes, the spam score is low, it reads like a support request.
Negative points say "spam": failed authentication, a high spam score, bulk-mail headers,
many recipients, a body full of links. A message at or above :data:`SUSPECT_SCORE` is a
suspect worth rescuing; every point comes with a reason a person can check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import authres

from supportinbox.domain.keywords import KeywordMatcher, Words, read
from supportinbox.domain.quoting import new_text
from supportinbox.domain.vocabulary import FIRST_PERSON, OUTREACH

SUSPECT_SCORE = 30

# Web-mail domains: a shared domain says nothing about being a customer.
FREEMAIL_DOMAINS = frozenset(
    re.findall(
        r"\S+",
        """
        gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com outlook.com hotmail.com
        hotmail.co.uk hotmail.fr live.com msn.com icloud.com me.com mac.com aol.com gmx.de gmx.net
        gmx.com web.de t-online.de mail.ru yandex.ru yandex.com proton.me protonmail.com zoho.com
        qq.com 163.com 126.com free.fr orange.fr laposte.net libero.it hotmail.es hotmail.it hotmail.de
        outlook.fr outlook.de outlook.es yahoo.es yahoo.de yahoo.com.br uol.com.br bol.com.br terra.com.br
        sapo.pt mail.com gmx.at gmx.ch bluewin.ch seznam.cz wp.pl o2.pl interia.pl
        """,
    )
)

SUPPORT_WORDS: tuple[str, ...] = (
    # English
    "order",
    "invoice",
    "receipt",
    "account",
    "login",
    "log in",
    "password",
    "refund",
    "help",
    "support",
    "subscription",
    "payment",
    "charged",
    "cancel",
    "ticket",
    "not working",
    "billing",
    "bill",
    "plan",
    "upgrade",
    "downgrade",
    "question",
    "error",
    "bug",
    "charge",
    "charged me",
    "license",
    "trial",
    "my account",
    "can't log in",
    "cannot log in",
    # German, French, Spanish, Portuguese, Italian
    "bestellung",
    "rechnung",
    "konto",
    "passwort",
    "hilfe",
    "abonnement",
    "kündigen",
    "kündigung",
    "tarif",
    "abbuchung",
    "fehler",
    "frage",
    "commande",
    "facture",
    "compte",
    "mot de passe",
    "aide",
    "forfait",
    "abonnement",
    "résilier",
    "remboursement",
    "erreur",
    "question",
    "pedido",
    "factura",
    "cuenta",
    "contraseña",
    "ayuda",
    "suscripción",
    "cancelar",
    "cargo",
    "plan",
    "reembolso",
    "duda",
    "fatura",
    "conta",
    "senha",
    "assinatura",
    "cobrança",
    "dúvida",
    "ordine",
    "fattura",
    "aiuto",
    "abbonamento",
    "rimborso",
    "factuur",
    "abonnement",
    "wachtwoord",
    # Arabic
    "طلب",
    "فاتورة",
    "حساب",
    "كلمة المرور",
    "مساعدة",
    "استرداد",
    "دفع",
    "اشتراك",
    "الاشتراك",
    "الفاتورة",
    "خصم",
    "سؤال",
    # Persian
    "سفارش",
    "فاکتور",
    "حساب",
    "رمز عبور",
    "کمک",
    "پرداخت",
    "بازپرداخت",
    "اشتراک",
    "سوال",
    "مبلغ",
    "لغو",
)

_SUPPORT_MATCHER = KeywordMatcher.build(SUPPORT_WORDS)
_OUTREACH_MATCHER = KeywordMatcher.build(OUTREACH)
_QUESTION_MARKS = ("?", "؟", "？")
_LINK = re.compile(r"https?://", re.IGNORECASE)
_SCORE = re.compile(r"(?:score\s*=\s*)?(-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class JunkFacts:
    """What is known about one message in the spam folder, looked up in the cache."""

    from_addr: str
    subject: str
    body: str
    answers_our_message: str | None = None  # subject of our sent message it replies to
    continues_conversation: str | None = None  # id of the conversation it continues
    sender_wrote_before: bool = False
    we_wrote_to_sender: bool = False
    domain_known: bool = False
    auth_results: str = ""  # Authentication-Results values, one per line, topmost first
    authserv_id: str | None = None  # our server's name in them; None: the topmost header's
    spam_headers: Mapping[str, str] = field(default_factory=dict)
    bulk_signs: Sequence[str] = ()
    recipients: int = 1
    automated: str = ""  # domain.automated description, e.g. "automated: bounce (from MAILER-DAEMON)"


@dataclass(frozen=True)
class Verdict:
    score: int
    suspect: bool
    reasons: list[str]


def auth_verdicts(auth_results: str, authserv_id: str | None = None) -> dict[str, str]:
    """``{"dkim": "pass", "spf": "fail", ...}`` from the Authentication-Results our server added.

    Anyone can write an Authentication-Results header into a message; only the ones with our
    own server's ``authserv_id`` count. Without it configured, the topmost header is ours:
    our server adds its header last, above whatever the sender wrote. Parsed with authres
    (RFC 8601), which knows the grammar (comments, quoted values, properties); an unreadable
    header counts as no result.
    """
    found: dict[str, str] = {}
    trusted = authserv_id.lower() if authserv_id else None
    for line in (auth_results or "").split("\n"):
        if not line.strip():
            continue
        try:
            header = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {line}")
        except (authres.AuthResError, ValueError, IndexError):
            continue
        server = str(header.authserv_id or "").lower()
        if trusted is None:
            trusted = server
        if server != trusted:
            continue
        for result in header.results:
            found.setdefault(str(result.method).lower(), str(result.result).lower())
    return found


def spam_score(headers: Mapping[str, str]) -> float | None:
    """The filter's numeric score from X-Spam-Score / X-Spam-Status / X-Rspamd-Score."""
    for name in ("x-spam-score", "x-rspamd-score", "x-spam-status", "x-spam-level"):
        value = headers.get(name)
        if not value:
            continue
        if name == "x-spam-level":
            stars = value.strip()
            if stars and set(stars) == {"*"}:
                return float(len(stars))
            continue
        if name == "x-spam-status":
            match = re.search(r"score\s*=\s*(-?\d+(?:\.\d+)?)", value, re.IGNORECASE)
        else:
            match = _SCORE.search(value)
        if match:
            try:
                return float(match.group(1))
            except ValueError:
                continue
    return None


def judge(facts: JunkFacts) -> Verdict:
    """Score one spam-folder message; ``suspect`` means "probably a real customer"."""
    points = 0
    reasons: list[str] = []

    def add(value: int, reason: str) -> None:
        nonlocal points
        points += value
        reasons.append(f"{value:+d} {reason}")

    if facts.answers_our_message is not None:
        add(50, f"replies to our message '{facts.answers_our_message}'")
    elif facts.continues_conversation is not None:
        add(40, f"continues conversation {facts.continues_conversation}")
    if facts.sender_wrote_before:
        add(30, "sender wrote to the inbox before")
    if facts.we_wrote_to_sender:
        add(30, "we wrote to this address before")
    if facts.domain_known and not (facts.sender_wrote_before or facts.we_wrote_to_sender):
        domain = facts.from_addr.rpartition("@")[2]
        add(15, f"domain {domain} is a known customer domain")
    verdicts = auth_verdicts(facts.auth_results, facts.authserv_id)
    for method, result in verdicts.items():
        name = method.upper()
        if result == "pass":
            add(5, f"{name} pass")
        elif result in ("fail", "softfail", "permerror"):
            add(-20 if method == "dmarc" else -15, f"{name} {result}")
    score = spam_score(facts.spam_headers)
    if score is not None:
        if score < 3:
            add(15, f"low spam score {score:g}")
        elif score < 6:
            add(5, f"borderline spam score {score:g}")
        elif score >= 10:
            add(-30, f"high spam score {score:g}")
        else:
            add(-10, f"spam score {score:g}")
    text = new_text(facts.body[:20000], facts.subject)[:5000]
    found = list(dict.fromkeys(_SUPPORT_MATCHER.find(facts.subject) + _SUPPORT_MATCHER.find(text)))
    if found:
        shown = ", ".join(f"'{w}'" for w in found[:3])
        add(15, f"support wording: {shown}")
    # The subject and the text as one text, their words split once (see keywords.Words).
    both = read(facts.subject) + read(text)
    outreach = _OUTREACH_MATCHER.find(both)
    if outreach:
        add(-25, f"reads like sales outreach: '{outreach[0]}'")
    elif (
        found
        and _asks_about_own_account(facts.subject, text, both)
        and "pass" in (verdicts.get("dkim"), verdicts.get("spf"))
    ):
        add(15, "authenticated question about their own account")
    if facts.bulk_signs:
        add(-25, "bulk mail (" + ", ".join(facts.bulk_signs) + ")")
    if facts.automated:
        # An auto-reply or bounce that answers our mail is still nobody to rescue.
        add(-40, facts.automated)
    if facts.recipients > 10:
        add(-20, f"sent to {facts.recipients} recipients")
    links = _links(facts.body)
    if links > 10:
        add(-15, f"{links} links")
    # Automated mail is nobody waiting for an answer, however well it knows us.
    return Verdict(score=points, suspect=points >= SUSPECT_SCORE and not facts.automated, reasons=reasons)


def _links(body: str) -> int:
    """How many times :data:`_LINK` occurs in ``body``.

    Every link ends in "://", found by a plain search; only the letters before each one are
    matched, instead of trying the case-blind pattern at every character of a long body.
    """
    count = 0
    at = body.find("://")
    while at >= 0:
        if _LINK.match(body, max(at - 5, 0), at + 3) or _LINK.match(body, max(at - 4, 0), at + 3):
            count += 1
        at = body.find("://", at + 3)
    return count


def _asks_about_own_account(subject: str, text: str, both: Words) -> bool:
    """A question, written in the first person ("my invoice", "can I upgrade our plan?").

    ``both`` is the subject and the text read as one (:func:`read`).
    """
    if not any(mark in subject or mark in text for mark in _QUESTION_MARKS):
        return False
    return not FIRST_PERSON.isdisjoint(both.distinct)
