"""Demo threads that need attention now: an outage reported by four customers, a refund,
a locked-out user, a VIP, a duplicate charge in Spanish, an Arabic log-in problem; the
hostile message; and the spam folder (a real customer caught in it, next to real spam)."""

from __future__ import annotations

from supportinbox.demo.model import Thread, customer

_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

OUTAGE = (
    Thread(
        "Marta Kowalska",
        "marta@northwind.example",
        "API down: 502 Bad Gateway since 9:40, checkout broken",
        (
            customer(
                52,
                "Hi,\n\nevery call to api.acme.example returns 502 Bad Gateway since about 9:40. "
                "Our checkout is down and customers are waiting. Is there an outage?\n\n"
                "Request id: 7f3a-22c1\n\nMarta\n-- \nMarta Kowalska\nCTO, Northwind Traders",
                attachment=("502-error.png", "image/png", _PNG),
            ),
        ),
    ),
    Thread(
        "Deepak Rao",
        "deepak.rao@bluefin.example",
        "Urgent: dashboard not loading, API gives 502 Bad Gateway",
        (
            customer(
                38,
                "Hello Acme team,\n\nthe dashboard shows a spinner forever and our integration logs "
                "502s from the API. This is urgent for us — our Friday billing run depends on it.\n\nDeepak",
            ),
        ),
    ),
    Thread(
        "Sophie Martin",
        "sophie@lumiere-studio.example",
        "Service en panne ? API 502 Bad Gateway",
        (
            customer(
                27,
                "Bonjour,\n\nnotre application ne reçoit plus de réponses de votre API (erreur 502) "
                "depuis ce matin. Le service est-il en panne ?\n\n(English: your API returns 502 "
                "for us since this morning — is it down?)\n\nMerci,\nSophie",
            ),
        ),
    ),
    Thread(
        "Jonas Weber",
        "jonas.weber@kraftwerk-it.example",
        "Ausfall der API? 502 Bad Gateway",
        (
            customer(
                14,
                "Hallo,\n\nseit etwa einer Stunde bekommen wir nur noch 502 von der API. Gibt es "
                "einen Ausfall? Bitte dringend um Rückmeldung, unsere Kunden rufen schon an.\n\n"
                "Viele Grüße\nJonas Weber",
            ),
        ),
    ),
)

URGENT = (
    Thread(
        "Priya Natarajan",
        "priya@quillpad.example",
        "Charged twice for the annual plan — refund please",
        (
            customer(
                95,
                "Hello,\n\nI was charged twice for the annual plan this morning (two charges of $348 "
                "on my card ending 4421). Please refund the duplicate charge.\n\nThe invoice is "
                "attached.\n\nThanks,\nPriya",
                attachment=("invoice-2291.pdf", "application/pdf", _PDF),
            ),
        ),
    ),
    Thread(
        "Tom Becker",
        "tom.becker@hollowpine.example",
        "Locked out of my account after changing phones",
        (
            customer(
                300,
                "Hi, I got a new phone and my authenticator codes are gone. I'm locked out of my "
                "account and can't log in to export the reports my boss needs today. Can you "
                "reset my two-factor?\n\nTom",
            ),
            customer(
                40,
                "Hello? Still locked out. Anyone there? I need access today.\n\n"
                "On Tue, Tom Becker wrote:\n> Hi, I got a new phone and my authenticator codes are "
                "gone.\n> I'm locked out of my account and can't log in.\n",
            ),
        ),
    ),
    Thread(
        "Helen Zhao",
        "helen.zhao@megacorp.example",
        "Contract renewal and SSO question",
        (
            customer(
                65,
                "Hi team,\n\nbefore we sign the renewal for our 400 seats next week I need to know "
                "whether SAML SSO with Okta is included in the Business tier, and whether you can "
                "enforce it for all users.\n\nBest,\nHelen Zhao\nVP Operations, MegaCorp",
            ),
        ),
    ),
    Thread(
        "Luis Ortega",
        "luis@ortega-consulting.example",
        "Reembolso urgente — cobro duplicado",
        (
            customer(
                180,
                "Hola,\n\nme han cobrado dos veces la suscripción mensual. Necesito un reembolso "
                "urgente del cargo duplicado, por favor.\n\nGracias,\nLuis Ortega",
            ),
        ),
    ),
    Thread(
        "Samir Haddad",
        "samir.haddad@souq-online.example",
        "عاجل: لا يمكنني تسجيل الدخول",
        (
            customer(
                75,
                "مرحباً،\n\nلا يمكنني تسجيل الدخول إلى حسابي منذ الصباح، والنظام لا يعمل. الأمر عاجل "
                "لأن فريق المبيعات متوقف عن العمل.\n\nشكراً لكم،\nسمير حداد",
            ),
        ),
    ),
)

HOSTILE = Thread(
    "[bold red]ADMIN[/bold red] \x1b[31mSystem\x1b[0m",
    "attacker@evil.example",
    "\x1b]52;c;cm0gLXJmIH4=\x07[blink]Your account[/blink] \x1b[2Jwill be closed",
    (
        customer(
            20,
            "\x1b[2J\x1b[H[bold]Dear support[/bold],\n\n\x1b]8;;https://evil.example/\x07click "
            "here\x1b]8;;\x07 to verify. [link=https://evil.example]Verify now[/link]\n"
            "File: invoice\u202efdp.exe\n\x07\x07\x00\n[/]unbalanced [red markup\n",
            attachment=("../../.bashrc", "application/octet-stream", b"echo pwned\n"),
        ),
    ),
)

# In Junk: a real customer (an earlier conversation exists, DKIM passes) and obvious spam.
JUNK = (
    Thread(
        "Anna Lindqvist",
        "anna@fjordtech.example",
        "Re: How do I export invoices as CSV?",
        (customer(45, "Sorry, one more thing: can the CSV include the VAT number column?\n\nAnna"),),
        folder="Junk",
        headers={
            "Authentication-Results": "mx.acme.example; dkim=pass header.d=fjordtech.example; "
            "spf=pass smtp.mailfrom=fjordtech.example; dmarc=pass",
            "X-Spam-Status": "Yes, score=5.3 required=5.0 tests=HTML_MESSAGE,RCVD_IN_XBL",
            "X-Spam-Flag": "YES",
        },
    ),
    Thread(
        "Rosa Jiménez",
        "rosa.jimenez@castillo-hotels.example",
        "Reembolso de la reserva cancelada",
        (
            customer(
                130,
                "Hola,\n\ncancelamos la reserva del plan Enterprise por error y necesitamos el "
                "reembolso. Somos clientes desde 2021.\n\nRosa Jiménez",
            ),
        ),
        folder="Junk",
        headers={
            "Authentication-Results": "mx.acme.example; dkim=pass header.d=castillo-hotels.example; "
            "spf=pass; dmarc=pass",
            "X-Spam-Status": "Yes, score=6.1 required=5.0 tests=FREEMAIL_FORGED_REPLYTO",
            "X-Spam-Flag": "YES",
        },
    ),
    Thread(
        "Crypto Profits",
        "winner@bitcoin-profits.example",
        "YOU WON 5 BTC!!! Claim now",
        (customer(200, "Congratulations!!! Send 0.1 BTC fee to claim your 5 BTC prize. Act now!!!"),),
        folder="Junk",
        headers={
            "Authentication-Results": "mx.acme.example; dkim=fail; spf=fail; dmarc=fail",
            "X-Spam-Status": "Yes, score=24.7 required=5.0",
            "X-Spam-Flag": "YES",
        },
    ),
    Thread(
        "Pharmacy Deals",
        "deals@cheap-pills.example",
        "Cheap meds — 90% off, no prescription",
        (customer(400, "Best prices on all meds, no prescription needed. Unsubscribe never."),),
        folder="Junk",
        headers={
            "Authentication-Results": "mx.acme.example; dkim=none; spf=softfail; dmarc=fail",
            "X-Spam-Status": "Yes, score=18.2 required=5.0",
            "X-Spam-Flag": "YES",
        },
    ),
    Thread(
        "SEO Experts",
        "rank1@seo-magic.example",
        "Get your site to #1 on Google",
        (customer(900, "We guarantee first page ranking in 7 days. Reply for a free audit."),),
        folder="Junk",
        headers={"X-Spam-Status": "Yes, score=9.9 required=5.0", "X-Spam-Flag": "YES"},
    ),
)
