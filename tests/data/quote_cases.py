"""Hand-written replies in the shapes that hide quoted history: what is new, what is history.

Each case is a body (plain text, or HTML as Gmail, Outlook and Apple Mail write it, which
is read through our HTML-to-text first), the phrases the writer's new text must keep and
the phrases of quoted history it must not contain. Used by tests/unit/test_quoting.py and
by bench/quote_bench.py beside the peers' own fixtures.
"""

# ruff: noqa: E501 - mail bodies read best as they would arrive, one line each

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuoteCase:
    id: str
    body: str
    new: tuple[str, ...]
    history: tuple[str, ...]
    html: bool = False


OUR_REPLY = "Our engineers are looking into the export outage right now. This is urgent for us too."

CASES: tuple[QuoteCase, ...] = (
    QuoteCase(
        "attribution-two-lines",
        "Thanks, all good now!\n\nOn Mon, 23 Nov 2026 at 10:00, Acme Support\n<support@acme.test> wrote:\n\n"
        f"> {OUR_REPLY}\n",
        ("Thanks, all good now!",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "attribution-three-lines",
        "Works again, thank you.\n\nOn Nov 23, 2026, at 10:00 AM, Acme Support <\nsupport@acme.test>\nwrote:\n\n"
        f"{OUR_REPLY}\n",
        ("Works again, thank you.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "attribution-name-then-address-line",
        "Fixed on my side.\nOn Mon, Nov 23, 2026 at 9:12 AM Acme Support from Acme Inc\n<support@acme.test> wrote:\n"
        f"> {OUR_REPLY}",
        ("Fixed on my side.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "outlook-bold-block",
        "Great, thanks for the quick help.\n\n*From:* Acme Support [mailto:support@acme.test]\n"
        "*Sent:* Monday, November 23, 2026 10:00 AM\n*To:* Lina Haddad <lina@customer.test>\n"
        f"*Subject:* RE: URGENT export down\n\n{OUR_REPLY}\n",
        ("Great, thanks for the quick help.",),
        (OUR_REPLY, "RE: URGENT export down"),
    ),
    QuoteCase(
        "outlook-plain-block-under-rule",
        "Thank you, that solved it.\n\n________________________________\nFrom: Acme Support <support@acme.test>\n"
        f"Sent: Monday, 23 November 2026 10:00\nTo: Lina Haddad\nSubject: Export outage\n\n{OUR_REPLY}\n",
        ("Thank you, that solved it.",),
        (OUR_REPLY, "Subject: Export outage"),
    ),
    QuoteCase(
        "outlook-german-block",
        "Danke, funktioniert wieder.\n\nVon: Acme Support <support@acme.test>\nGesendet: Montag, 23. November 2026 10:00\n"
        f"An: Jonas Weber\nBetreff: AW: Export kaputt\n\n{OUR_REPLY}\n",
        ("Danke, funktioniert wieder.",),
        (OUR_REPLY, "Betreff: AW: Export kaputt"),
    ),
    QuoteCase(
        "reply-message-separator",
        f"All fine now, cheers.\n\n-----Reply Message-----\nFrom: support@acme.test\n\n{OUR_REPLY}\n",
        ("All fine now, cheers.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "original-message-spaced-separator",
        f"Merci, c'est réglé.\n\n-------- Message d'origine --------\nDe : Acme Support\n\n{OUR_REPLY}\n",
        ("Merci, c'est réglé.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "chinese-separator",
        f"谢谢，已经好了。\n\n------------------ 原始邮件 ------------------\n发件人: Acme Support\n\n{OUR_REPLY}\n",
        ("谢谢，已经好了。",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "header-block-starting-with-date",
        "Thanks for the fix.\n\nDate: Mon, 23 Nov 2026 10:00:02 +0000\nFrom: support@acme.test\nTo: lina@customer.test\n"
        f"Subject: Re: export\n\n{OUR_REPLY}\n",
        ("Thanks for the fix.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "bottom-posting",
        f"On Mon, 23 Nov 2026 at 10:00, Acme Support <support@acme.test> wrote:\n> {OUR_REPLY}\n>\n"
        "> Best, Acme\n\nThanks, it works again now.\n",
        ("Thanks, it works again now.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "inline-answers",
        "Hi,\n\n> Which browser do you use?\n\nFirefox 131.\n\n> Does the export fail for every file?\n\n"
        "Only for PDF files over 10 MB.\n",
        ("Firefox 131.", "Only for PDF files over 10 MB."),
        ("Which browser do you use?", "Does the export fail for every file?"),
    ),
    QuoteCase(
        "swedish",
        f"Tack, nu fungerar det.\n\nDen 23 nov. 2026 kl. 10:00 skrev Acme Support <support@acme.test>:\n\n> {OUR_REPLY}\n",
        ("Tack, nu fungerar det.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "swedish-weekday",
        f"Tack!\n\nmån 23 nov. 2026 kl. 10:00 skrev Acme Support <support@acme.test>:\n\n> {OUR_REPLY}\n",
        ("Tack!",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "danish",
        f"Tak, det virker nu.\n\nDen 23. nov. 2026 kl. 10.00 skrev Acme Support <support@acme.test>:\n\n{OUR_REPLY}\n",
        ("Tak, det virker nu.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "norwegian",
        f"Takk, alt i orden.\n\nPå 23. november 2026 kl. 10:00 skrev Acme Support <support@acme.test>:\n\n{OUR_REPLY}\n",
        ("Takk, alt i orden.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "dutch",
        "Bedankt, het werkt weer.\n\nOp 23 nov. 2026 om 10:00 heeft Acme Support <support@acme.test> het volgende "
        f"geschreven:\n\n> {OUR_REPLY}\n",
        ("Bedankt, het werkt weer.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "polish",
        "Dziękuję, już działa.\n\nW dniu 23.11.2026 o 10:00, Acme Support <support@acme.test> pisze:\n"
        "Dnia 23 listopada 2026 10:00 Acme Support <support@acme.test> napisał(a):\n\n"
        f"> {OUR_REPLY}\n",
        ("Dziękuję, już działa.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "russian",
        f"Спасибо, всё работает.\n\n23 нояб. 2026 г., в 10:00, Acme Support <support@acme.test> написал(а):\n\n> {OUR_REPLY}\n",
        ("Спасибо, всё работает.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "portuguese",
        f"Obrigada, já funciona.\n\nEm seg., 23 de nov. de 2026 às 10:00, Acme Support <support@acme.test> escreveu:\n\n"
        f"> {OUR_REPLY}\n",
        ("Obrigada, já funciona.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "japanese",
        f"ありがとうございます。解決しました。\n\n2026年11月23日(月) 10:00 Acme Support <support@acme.test>:\n\n> {OUR_REPLY}\n",
        ("ありがとうございます。解決しました。",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "japanese-verb",
        f"了解しました。\n\n2026/11/23 10:00、Acme Support のメッセージ:\n\n{OUR_REPLY}\n",
        ("了解しました。",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "vietnamese",
        f"Cảm ơn, đã ổn rồi.\n\nVào 10:00 23 tháng 11, 2026, Acme Support <support@acme.test> đã viết:\n\n> {OUR_REPLY}\n",
        ("Cảm ơn, đã ổn rồi.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "arabic",
        f"شكرا، تم الحل.\n\nفي الاثنين، 23 نوفمبر 2026 10:00 ص، كتب Acme Support <support@acme.test>:\n\n> {OUR_REPLY}\n",
        ("شكرا، تم الحل.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "persian",
        f"ممنون، درست شد.\n\nدر تاریخ ۲۳ نوامبر ۲۰۲۶، Acme Support <support@acme.test> نوشت:\n\n> {OUR_REPLY}\n",
        ("ممنون، درست شد.",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "signature-then-history",
        f"Thanks!\n\n-- \nLina Haddad\nCEO, Customer Ltd\n\nOn Mon, 23 Nov 2026 at 10:00, Acme <support@acme.test> wrote:\n> {OUR_REPLY}",
        ("Thanks!",),
        (OUR_REPLY,),
    ),
    QuoteCase(
        "prose-with-wrote-is-not-history",
        "Yesterday at 10:00 I wrote to you:\nthe export of PDF invoices fails with error 502.\nPlease help.",
        ("the export of PDF invoices fails with error 502.", "Please help."),
        (),
    ),
    QuoteCase(
        "forward-is-content",
        "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Billing <billing@vendor.test>\n"
        "Date: Mon, 23 Nov 2026\nSubject: Payment failed\n\nYour payment of 49 EUR failed.\n",
        ("FYI, see below.", "Your payment of 49 EUR failed."),
        (),
    ),
    QuoteCase(
        "gmail-html",
        '<div dir="ltr">Thanks, all good now!</div><br><div class="gmail_quote"><div dir="ltr" '
        'class="gmail_attr">On Mon, Nov 23, 2026 at 10:00\u202fAM Acme Support &lt;<a href="mailto:support@acme.test">'
        'support@acme.test</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
        f"<div>{OUR_REPLY}</div></blockquote></div>",
        ("Thanks, all good now!",),
        (OUR_REPLY,),
        html=True,
    ),
    QuoteCase(
        "outlook-html",
        '<div class="WordSection1"><p class="MsoNormal">Resolved, thank you.<o:p></o:p></p><p class="MsoNormal">'
        '<o:p>&nbsp;</o:p></p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b>From:</b> Acme Support &lt;support@acme.test&gt; <br><b>Sent:</b> Monday, '
        "November 23, 2026 10:00 AM<br><b>To:</b> Lina Haddad &lt;lina@customer.test&gt;<br><b>Subject:</b> RE: "
        f'urgent export down<o:p></o:p></p></div><p class="MsoNormal">{OUR_REPLY}<o:p></o:p></p></div>',
        ("Resolved, thank you.",),
        (OUR_REPLY, "Subject: RE: urgent export down"),
        html=True,
    ),
    QuoteCase(
        "outlook-web-html",
        '<div dir="ltr">Works now.</div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg"'
        ' dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Acme '
        "Support &lt;support@acme.test&gt;<br><b>Sent:</b> Monday, November 23, 2026 10:00<br><b>To:</b> Lina"
        f"<br><b>Subject:</b> Export</font><div>&nbsp;</div></div><div>{OUR_REPLY}</div>",
        ("Works now.",),
        (OUR_REPLY,),
        html=True,
    ),
    QuoteCase(
        "apple-mail-html",
        '<html><body><div>Thank you, fixed.</div><div><br><blockquote type="cite"><div>On 23 Nov 2026, at 10:00, '
        "Acme Support &lt;support@acme.test&gt; wrote:</div><br><div><div>"
        f"{OUR_REPLY}</div></div></blockquote></div></body></html>",
        ("Thank you, fixed.",),
        (OUR_REPLY,),
        html=True,
    ),
    QuoteCase(
        "apple-mail-html-german",
        '<html><body><div>Danke!</div><div><br><blockquote type="cite"><div>Am 23.11.2026 um 10:00 schrieb Acme '
        f"Support &lt;support@acme.test&gt;:</div><br><div>{OUR_REPLY}</div></blockquote></div></body></html>",
        ("Danke!",),
        (OUR_REPLY,),
        html=True,
    ),
)
