"""Everyday demo threads: questions in five languages, contact-form messages, follow-ups,
answered threads waiting on the customer, and older mail past its SLA."""

from __future__ import annotations

from supportinbox.demo.model import SUPPORT, Thread, acknowledgement, customer, support

# The website's contact form sends as a no-reply address or as the support address itself,
# with the person in Reply-To: the customer is the person, never the form.
CONTACT_FORMS = (
    Thread(
        "Nadia Rahimi",
        "nadia@bluefern.example",
        "New message from the contact form",
        (
            customer(
                45,
                "Name: Nadia Rahimi\nCompany: Bluefern (non-profit)\n\nMessage:\nDo you offer a "
                "discount for registered non-profits? We are 12 volunteers.",
            ),
        ),
        via=("Acme Website", "noreply@acme.example"),
    ),
    Thread(
        "Tariq Aziz",
        "tariq.aziz@oasis-travel.example",
        "New message from the contact form",
        (
            customer(
                95,
                "Name: Tariq Aziz\nCompany: Oasis Travel\n\nMessage:\nCan we pay yearly by bank "
                "transfer instead of card?",
            ),
        ),
        via=SUPPORT,
    ),
)

NORMAL = (
    # She sent the screenshot as a new mail instead of a reply: merged by hand (content.MERGES).
    Thread(
        "Lucía Fernández",
        "lucia@mirador.example",
        "Upload fails for files over 10 MB",
        (
            customer(
                150,
                "Hola,\n\nuploading our floor plans (12-15 MB PDFs) stops at 99% with 'Upload "
                "failed'. Smaller files work. Is there a size limit?\n\nLucía",
                seen=True,
            ),
        ),
    ),
    Thread(
        "Lucía Fernández",
        "lucia@mirador.example",
        "Screenshot of the upload error",
        (customer(140, "Sorry, forgot the screenshot: it shows 'Upload failed (413)'. Lucía"),),
    ),
    Thread(
        "Anna Lindqvist",
        "anna@fjordtech.example",
        "How do I export invoices as CSV?",
        (
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
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
            customer(
                2300,
                "Hi,\n\nsearch takes 8-10 seconds in our biggest project (50k items). Is that "
                "expected, or is something wrong on our side?\n\nIngrid",
            ),
        ),
    ),
)

FOLLOWUPS_AND_PENDING = (
    Thread(
        "Ravi Shankar",
        "ravi@monsoon-media.example",
        "Re: Custom domain not verifying",
        (
            customer(
                2900,
                "Hi, I added the TXT record for media.monsoon.example two days ago, but the "
                "domain still shows 'not verified'.\n\nRavi",
            ),
            support(
                2700,
                "Hi Ravi,\n\nthanks for the details. DNS changes can take up to 48 hours; could you "
                "send us the output of `dig TXT _acme.media.monsoon.example`?",
            ),
            customer(
                600,
                'Here it is:\n\n_acme.media.monsoon.example. 300 IN TXT "acme-verify=8c1f"\n\n'
                "Still not verified.\n\n> DNS changes can take up to 48 hours; could you\n> send us "
                "the output of dig?\n\nRavi",
            ),
            customer(
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
            customer(
                3000,
                "Hallo,\n\ndie Mail zum Zurücksetzen des Passworts kommt bei mir nicht an, auch "
                "nicht im Spam-Ordner.\n\nEmma Schulz",
            ),
            support(
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
            customer(4400, "Hi, how do we upgrade from Team to Business mid-cycle?\n\nDavid", seen=True),
            support(
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
            customer(5200, "Hello, do you integrate with Odoo?\n\nAisha", seen=True),
            support(
                5100, "Hi Aisha,\n\nyes — through our Zapier app or the REST API. Shall I send the docs?"
            ),
            customer(4000, "Yes please, the REST docs would be great.\n\nAisha", seen=True),
            support(3900, "Here they are: https://acme.example/docs/api — let us know how it goes!"),
        ),
    ),
    Thread(
        "Pierre Lefèvre",
        "pierre.lefevre@vinsdu-sud.example",
        "Re: Export des données avant résiliation",
        (
            customer(
                6000,
                "Bonjour,\n\nnous allons résilier notre abonnement. Comment exporter toutes nos "
                "données avant ?\n\nPierre Lefèvre",
                seen=True,
            ),
            support(
                5900,
                "Bonjour Pierre,\n\nSettings → Data → Export crée une archive complète. Pouvons-nous "
                "savoir pourquoi vous partez ?",
            ),
        ),
    ),
    Thread(
        "Hannah Wright",
        "hannah@wright-legal.example",
        "Re: Audit log retention",
        (
            customer(1200, "How long do you keep audit logs?\n\nHannah", seen=True),
            support(1150, "Hi Hannah, audit logs are kept for 13 months on Business and Enterprise."),
            customer(
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
            customer(
                3500,
                "سلام،\n\nهمگام‌سازی اطلاعات انبار از دیروز کار نمی‌کند. لطفاً بررسی کنید.\n\nمحمد کریمی",
                seen=True,
            ),
            support(
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
            customer(7000, "We removed 5 seats; will we get a refund?\n\nLucas", seen=True),
            support(6900, "Hi Lucas, removed seats are credited to your next invoice automatically."),
            customer(6800, "Perfect, thank you!\n\nLucas", seen=True),
        ),
    ),
)

OLDER = tuple(
    Thread(
        name,
        email,
        subject,
        (customer(minutes, body, seen=True),),
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

# Written on a Friday night: acknowledged on arrival ([accounts.X.acknowledgement]),
# still waiting for a person's answer.
OLDER = (
    *OLDER,
    Thread(
        "Chiara Bianchi",
        "chiara@bianchi-arch.example",
        "Project templates",
        (
            customer(3800, "Can I save a project as a template for new clients?\n\nChiara", seen=True),
            acknowledgement(3799, "Chiara", "Project templates"),
        ),
    ),
)

# Earlier conversations, so a customer's profile (i) has a history: Priya asked before, and
# a colleague of hers at the same company wrote too.
EARLIER = (
    Thread(
        "Priya Natarajan",
        "priya@quillpad.example",
        "Receipt for the March invoice",
        (
            customer(57600, "Could you send a receipt with our VAT number for March?\n\nPriya", seen=True),
            support(57500, "Hi Priya,\n\nhere it is, with your VAT number GB 123 4567 89."),
        ),
        closed=(57000, "maya"),
    ),
    Thread(
        "Arjun Mehta",
        "arjun@quillpad.example",
        "Adding a second admin",
        (
            customer(20000, "How do I make a colleague admin too?\n\nArjun", seen=True),
            support(19900, "Hi Arjun,\n\nSettings → Members → Role → Admin."),
        ),
        closed=(19000, "alex"),
    ),
)
