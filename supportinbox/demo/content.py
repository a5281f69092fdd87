"""The demo mailbox as data: who wrote what, when (minutes before "now"), and where it lies.

Each :class:`Thread` is one conversation. ``turns`` alternate between the customer and the
support team; a turn written by the team is filed in Sent, the rest in the thread's folder.
The mix is what a real support inbox looks like on a bad morning: an outage reported by
several customers at once, a refund, a locked-out user, a VIP, follow-ups, answered
threads waiting on the customer, messages in several languages, a real customer caught
in Junk next to obvious spam, and one hostile message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUPPORT = ("Acme Support", "support@acme.example")
SIGNATURE = "\n\n-- \nAcme Support · https://acme.example/help\nWe answer within one working day."


@dataclass(frozen=True)
class Turn:
    minutes_ago: int
    body: str
    from_support: bool = False
    attachment: tuple[str, str, bytes] | None = None  # file name, MIME type, data
    seen: bool = True


@dataclass(frozen=True)
class Thread:
    name: str
    email: str
    subject: str
    turns: tuple[Turn, ...]
    folder: str = "INBOX"
    headers: dict[str, str] = field(default_factory=dict)


def _c(
    minutes: int, body: str, *, seen: bool = False, attachment: tuple[str, str, bytes] | None = None
) -> Turn:
    return Turn(minutes, body, from_support=False, attachment=attachment, seen=seen)


def _s(minutes: int, body: str) -> Turn:
    return Turn(minutes, body + SIGNATURE, from_support=True, seen=True)


_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

_OUTAGE = (
    Thread(
        "Marta Kowalska",
        "marta@northwind.example",
        "API down: 502 Bad Gateway since 9:40, checkout broken",
        (
            _c(
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
            _c(
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
            _c(
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
            _c(
                14,
                "Hallo,\n\nseit etwa einer Stunde bekommen wir nur noch 502 von der API. Gibt es "
                "einen Ausfall? Bitte dringend um Rückmeldung, unsere Kunden rufen schon an.\n\n"
                "Viele Grüße\nJonas Weber",
            ),
        ),
    ),
)

_URGENT = (
    Thread(
        "Priya Natarajan",
        "priya@quillpad.example",
        "Charged twice for the annual plan — refund please",
        (
            _c(
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
            _c(
                300,
                "Hi, I got a new phone and my authenticator codes are gone. I'm locked out of my "
                "account and can't log in to export the reports my boss needs today. Can you "
                "reset my two-factor?\n\nTom",
            ),
            _c(
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
            _c(
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
            _c(
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
            _c(
                75,
                "مرحباً،\n\nلا يمكنني تسجيل الدخول إلى حسابي منذ الصباح، والنظام لا يعمل. الأمر عاجل "
                "لأن فريق المبيعات متوقف عن العمل.\n\nشكراً لكم،\nسمير حداد",
            ),
        ),
    ),
)

_NORMAL = (
    Thread(
        "Anna Lindqvist",
        "anna@fjordtech.example",
        "How do I export invoices as CSV?",
        (
            _c(
                210,
                "Hi! Is there a way to export all invoices of last year as CSV for our accountant? "
                "I only find PDF downloads.\n\nThanks, Anna",
                seen=True,
            ),
        ),
    ),
    Thread(
        "Kwame Mensah",
        "kwame@savanna-apps.example",
        "Webhook retries — how many and how often?",
        (
            _c(
                330,
                "Hello,\n\nwhen our webhook endpoint returns 500, how many times do you retry and "
                "with what back-off? I couldn't find it in the docs.\n\nKwame",
            ),
        ),
    ),
    Thread(
        "Reza Ahmadi",
        "reza.ahmadi@parsian-soft.example",
        "سؤال درباره‌ی فاکتور ماهانه",
        (
            _c(
                420,
                "سلام،\n\nمی‌خواستم بدانم چطور می‌توانم نشانی شرکت را روی فاکتورهای ماهانه تغییر دهم؟ "
                "در تنظیمات حساب گزینه‌ای پیدا نکردم.\n\nبا سپاس،\nرضا احمدی",
                seen=True,
            ),
        ),
    ),
    Thread(
        "Claire Dubois",
        "claire.dubois@atelier-b.example",
        "Ajouter un collègue à notre espace",
        (
            _c(
                510,
                "Bonjour,\n\ncomment puis-je inviter un collègue dans notre espace de travail sans "
                "lui donner les droits d'administration ?\n\nCordialement,\nClaire Dubois",
            ),
        ),
    ),
    Thread(
        "Mateo Rossi",
        "mateo.rossi@pastaio.example",
        "Feature request: dark mode for the mobile app",
        (
            _c(
                760,
                "Hey folks, love the product. Any plans for a dark mode in the iOS app? My eyes "
                "would thank you.\n\nCheers,\nMateo",
                seen=True,
            ),
        ),
    ),
    Thread(
        "Fatima Al-Sayed",
        "fatima@nilecargo.example",
        "API rate limits for the bulk endpoint",
        (
            _c(
                890,
                "Hello,\n\nwhat is the rate limit of /v2/shipments/bulk? We plan to send about "
                "20,000 records per night.\n\nRegards,\nFatima Al-Sayed",
            ),
        ),
    ),
    Thread(
        "Greta Hoffmann",
        "greta@hoffmann-design.example",
        "Frage zur Datenschutzerklärung (DSGVO)",
        (
            _c(
                1000,
                "Guten Tag,\n\nkönnen Sie uns einen Auftragsverarbeitungsvertrag (AVV) nach DSGVO "
                "zusenden? Wo werden unsere Daten gespeichert?\n\nMit freundlichen Grüßen\n"
                "Greta Hoffmann",
            ),
        ),
    ),
    Thread(
        "Oliver Grant",
        "oliver@grant-and-co.example",
        "Changing the billing email",
        (
            _c(
                1180,
                "Hi, our finance contact changed. How do I change the billing e-mail address to "
                "finance@grant-and-co.example?\n\nOliver",
                seen=True,
            ),
        ),
    ),
    Thread(
        "Yuki Tanaka",
        "yuki.tanaka@sakura-labs.example",
        "Timezone of scheduled reports",
        (
            _c(
                1300,
                "Hello,\n\nour scheduled reports arrive at 02:00 instead of 09:00 (Tokyo). Which "
                "timezone do they use, and can I change it?\n\nThank you,\nYuki",
            ),
        ),
    ),
    Thread(
        "Carmen Vidal",
        "carmen.vidal@olivar.example",
        "¿Cómo cambio el idioma de la interfaz?",
        (
            _c(
                1420,
                "Hola,\n\n¿es posible cambiar el idioma de la interfaz a español para todo el "
                "equipo?\n\nUn saludo,\nCarmen",
            ),
        ),
    ),
    Thread(
        "Noah Feldman",
        "noah@brightline.example",
        "Question about the Team plan seats",
        (
            _c(
                1560,
                "Hi,\n\nif I add 3 seats in the middle of the month, am I billed pro rata?\n\nNoah",
                seen=True,
            ),
        ),
    ),
    Thread(
        "Layla Nasser",
        "layla@cedar-books.example",
        "استفسار عن الفواتير السنوية",
        (
            _c(
                1650,
                "مرحباً،\n\nهل يمكن الدفع سنوياً بدلاً من الدفع الشهري؟ وهل هناك خصم على ذلك؟\n\n"
                "مع التحية،\nليلى ناصر",
            ),
        ),
    ),
    Thread(
        "Ben Carter",
        "ben.carter@tidewater.example",
        "Importing contacts from a spreadsheet",
        (
            _c(
                1900,
                "Hello! What columns does the contact import expect? Our file has 'Full name' "
                "instead of first/last.\n\nBen",
                attachment=(
                    "contacts-sample.csv",
                    "text/csv",
                    b"Full name,Email\nAda Lovelace,ada@example.org\n",
                ),
            ),
        ),
    ),
    Thread(
        "Ingrid Berg",
        "ingrid.berg@polar-ventures.example",
        "Slow search in large projects",
        (
            _c(
                2300,
                "Hi,\n\nsearch takes 8-10 seconds in our biggest project (50k items). Is that "
                "expected, or is something wrong on our side?\n\nIngrid",
            ),
        ),
    ),
)

_FOLLOWUPS_AND_PENDING = (
    Thread(
        "Ravi Shankar",
        "ravi@monsoon-media.example",
        "Re: Custom domain not verifying",
        (
            _c(
                2900,
                "Hi, I added the TXT record for media.monsoon.example two days ago, but the "
                "domain still shows 'not verified'.\n\nRavi",
            ),
            _s(
                2700,
                "Hi Ravi,\n\nthanks for the details. DNS changes can take up to 48 hours; could you "
                "send us the output of `dig TXT _acme.media.monsoon.example`?",
            ),
            _c(
                600,
                'Here it is:\n\n_acme.media.monsoon.example. 300 IN TXT "acme-verify=8c1f"\n\n'
                "Still not verified.\n\n> DNS changes can take up to 48 hours; could you\n> send us "
                "the output of dig?\n\nRavi",
            ),
            _c(
                90,
                "Any news? It's been a while and our launch is on Monday.\n\nRavi",
            ),
        ),
    ),
    Thread(
        "Emma Schulz",
        "emma.schulz@gruenwerk.example",
        "Re: Passwort-Reset-Mail kommt nicht an",
        (
            _c(
                3000,
                "Hallo,\n\ndie Mail zum Zurücksetzen des Passworts kommt bei mir nicht an, auch "
                "nicht im Spam-Ordner.\n\nEmma Schulz",
            ),
            _s(
                2950,
                "Hallo Emma,\n\nwir haben die Mail erneut gesendet. Bitte prüfen Sie, ob "
                "noreply@acme.example auf Ihrer Blockliste steht, und geben Sie uns Bescheid.",
            ),
        ),
    ),
    Thread(
        "David Kim",
        "david.kim@harborline.example",
        "Re: Upgrade to Business plan",
        (
            _c(4400, "Hi, how do we upgrade from Team to Business mid-cycle?\n\nDavid", seen=True),
            _s(
                4300,
                "Hi David,\n\nyou can upgrade under Settings → Billing → Change plan; the "
                "difference is billed pro rata for the rest of the cycle.",
            ),
        ),
    ),
    Thread(
        "Aisha Bello",
        "aisha@kano-textiles.example",
        "Re: Integration with our ERP",
        (
            _c(5200, "Hello, do you integrate with Odoo?\n\nAisha", seen=True),
            _s(5100, "Hi Aisha,\n\nyes — through our Zapier app or the REST API. Shall I send the docs?"),
            _c(4000, "Yes please, the REST docs would be great.\n\nAisha", seen=True),
            _s(3900, "Here they are: https://acme.example/docs/api — let us know how it goes!"),
        ),
    ),
    Thread(
        "Pierre Lefèvre",
        "pierre.lefevre@vinsdu-sud.example",
        "Re: Export des données avant résiliation",
        (
            _c(
                6000,
                "Bonjour,\n\nnous allons résilier notre abonnement. Comment exporter toutes nos "
                "données avant ?\n\nPierre Lefèvre",
                seen=True,
            ),
            _s(
                5900,
                "Bonjour Pierre,\n\nSettings → Data → Export crée une archive complète. Pouvons-nous "
                "savoir pourquoi vous partez ?",
            ),
        ),
    ),
    Thread(
        "Hannah Wright",
        "hannah@wright-legal.example",
        "Re: Re: Audit log retention",
        (
            _c(1200, "How long do you keep audit logs?\n\nHannah", seen=True),
            _s(1150, "Hi Hannah, audit logs are kept for 13 months on Business and Enterprise."),
            _c(
                35,
                "Thanks. Our lawyer asks whether that can be extended to 7 years for compliance. "
                "Please advise quickly, the audit is next week.\n\n> audit logs are kept for 13 "
                "months on Business and Enterprise.\n\nHannah Wright\nWright Legal LLP",
            ),
        ),
    ),
    Thread(
        "Mohammad Karimi",
        "m.karimi@tehran-logistics.example",
        "Re: مشکل در همگام‌سازی",
        (
            _c(
                3500,
                "سلام،\n\nهمگام‌سازی اطلاعات انبار از دیروز کار نمی‌کند. لطفاً بررسی کنید.\n\nمحمد کریمی",
                seen=True,
            ),
            _s(
                3400,
                "سلام محمد،\n\nمشکل پیدا و برطرف شد. لطفاً دوباره امتحان کنید و نتیجه را به ما بگویید.",
            ),
        ),
    ),
    Thread(
        "Lucas Almeida",
        "lucas@almeida-foods.example",
        "Re: Refund for unused seats",
        (
            _c(7000, "We removed 5 seats; will we get a refund?\n\nLucas", seen=True),
            _s(6900, "Hi Lucas, removed seats are credited to your next invoice automatically."),
            _c(6800, "Perfect, thank you!\n\nLucas", seen=True),
        ),
    ),
)

_OLDER = tuple(
    Thread(
        name,
        email,
        subject,
        (_c(minutes, body, seen=True),),
    )
    for name, email, subject, minutes, body in (
        (
            "Olga Petrova",
            "olga@volga-dev.example",
            "Keyboard shortcuts list?",
            2600,
            "Is there a printable list of keyboard shortcuts?\n\nOlga",
        ),
        (
            "Sven Nilsson",
            "sven@nordic-bikes.example",
            "Invoice address wrong",
            3100,
            "Our invoice shows the old address in Malmö. Could you update it to Lund?\n\nSven",
        ),
        (
            "Chiara Bianchi",
            "chiara@bianchi-arch.example",
            "Project templates",
            3800,
            "Can I save a project as a template for new clients?\n\nChiara",
        ),
        (
            "Ahmed Mansour",
            "ahmed@delta-agri.example",
            "Mobile app offline mode",
            4700,
            "Does the Android app work offline in the fields? Reception is poor here.\n\nAhmed",
        ),
        (
            "Julia Nowak",
            "julia.nowak@wisla-print.example",
            "Two-factor for the whole team",
            5600,
            "Can I require two-factor authentication for every member?\n\nJulia",
        ),
    )
)

HOSTILE = Thread(
    "[bold red]ADMIN[/bold red] \x1b[31mSystem\x1b[0m",
    "attacker@evil.example",
    "\x1b]52;c;cm0gLXJmIH4=\x07[blink]Your account[/blink] \x1b[2Jwill be closed",
    (
        _c(
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
        (_c(45, "Sorry, one more thing: can the CSV include the VAT number column?\n\nAnna"),),
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
            _c(
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
        (_c(200, "Congratulations!!! Send 0.1 BTC fee to claim your 5 BTC prize. Act now!!!"),),
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
        (_c(400, "Best prices on all meds, no prescription needed. Unsubscribe never."),),
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
        (_c(900, "We guarantee first page ranking in 7 days. Reply for a free audit."),),
        folder="Junk",
        headers={"X-Spam-Status": "Yes, score=9.9 required=5.0", "X-Spam-Flag": "YES"},
    ),
)

VIP_SENDERS = ("@megacorp.example",)

THREADS: tuple[Thread, ...] = (*_OUTAGE, *_URGENT, *_NORMAL, *_FOLLOWUPS_AND_PENDING, *_OLDER, HOSTILE, *JUNK)

# Internal notes shown in the demo: (subject of the conversation, author, minutes ago, text).
NOTES: tuple[tuple[str, str, int, str], ...] = (
    (
        "Charged twice for the annual plan — refund please",
        "maya",
        80,
        "Stripe shows both charges captured. Refund the second one (ch_3Nx…), not the first.",
    ),
    (
        "Contract renewal and SSO question",
        "sam",
        50,
        "MegaCorp is our largest account — loop in Dana from sales before answering.",
    ),
)
