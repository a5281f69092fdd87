"""Message parsing: decoding headers in any script, bodies, attachments, and hostile input."""

from __future__ import annotations

import base64
import quopri
from email.message import EmailMessage

import pytest

from supportinbox.mail.html import html_to_text, strip_tags
from supportinbox.mail.parse import (
    MAX_REFERENCES,
    MAX_TEXT,
    decode_body,
    decode_bytes,
    decode_header_value,
    parse_header_block,
    parse_message,
)


def _b64_word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def test_arabic_and_persian_subjects_decode() -> None:
    arabic = "عاجل: الحساب لا يعمل"
    persian = "فوری: حساب کاربری‌ام کار نمی‌کند"  # keeps the zero-width non-joiner
    assert decode_header_value(_b64_word(arabic)) == arabic
    assert decode_header_value(_b64_word(persian)) == persian
    q_word = "=?utf-8?Q?" + "".join(f"={b:02X}" for b in "سلام".encode()) + "?="
    assert decode_header_value(q_word + " world") == "سلام world"


def test_multibyte_characters_split_across_encoded_words_are_joined() -> None:
    raw = "مرحبا".encode()
    first, second = raw[:3], raw[3:]  # the cut falls inside a two-byte letter
    value = (
        f"=?UTF-8?B?{base64.b64encode(first).decode()}?=\r\n =?UTF-8?B?{base64.b64encode(second).decode()}?="
    )
    assert decode_header_value(value) == "مرحبا"


def test_windows_1256_arabic_subject() -> None:
    assert decode_header_value(_b64_word("شكرا", "cp1256")) == "شكرا"


def test_unknown_and_lying_charsets_fall_back_without_raising() -> None:
    assert decode_header_value("=?x-no-such-charset?Q?caf=C3=A9?=") == "café"
    # Labelled UTF-8 but really Latin-1: Windows-1252 is what the sender meant.
    assert decode_header_value("=?utf-8?Q?caf=E9?=") == "café"
    # A transform codec is not a text encoding and must not be run.
    assert decode_header_value("=?zlib_codec?Q?abc?=") == "abc"
    assert decode_bytes(b"\xff\xfe\x81", "utf-8")  # something printable, no exception


@pytest.mark.parametrize(
    ("data", "label", "text"),
    [
        # An Arabic message with one byte lost: its words, not "Ù…Ø´ÙƒÙ„Ø©".
        ("مشكلة في الفاتورة".encode() + b" \xff", "utf-8", "مشكلة في الفاتورة ÿ"),
        # A footer a gateway added in Latin-1 under a UTF-8 text.
        (
            "Bonjour, ça ne marche pas.\n-- \n".encode() + b"Envoy\xe9 de mon iPhone",
            "utf-8",
            "Bonjour, ça ne marche pas.\n-- \nEnvoyé de mon iPhone",
        ),
        # No charset, or one nobody knows: the same.
        (b"Fehler beim Export: " + "Größe".encode() + b" \x80", None, "Fehler beim Export: Größe €"),
        ("عربي".encode() + b" \xe9\xff", "x-bogus", "عربي éÿ"),
        # A legacy text with no whole UTF-8 character stays Windows-1252 as a whole.
        (b"Caf\xe9 d\xe9j\xe0 \x93vu\x94", "utf-8", "Café déjà “vu”"),
    ],
)
def test_mostly_utf8_keeps_its_utf8_and_reads_stray_bytes_alone(
    data: bytes, label: str | None, text: str
) -> None:
    assert decode_bytes(data, label) == text
    if "\n" not in text:
        assert decode_header_value(data) == text  # raw 8-bit in a header: the same


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        # Labels Python does not know: Java and Windows mailers, old Arabic systems.
        ("Windows-31J", "cp932", "請求書のダウンロード"),
        ("x-sjis", "shift_jis", "請求書のダウンロード"),
        ("x-cp1256", "cp1256", "مشكلة في الفاتورة"),
        ("ISO-8859-6-I", "iso-8859-6", "مشكلة في الفاتورة"),
        ("ISO-8859-6-E", "iso-8859-6", "مشكلة في الفاتورة"),
        ("x-koi8-r", "koi8_r", "Не приходят письма"),
        # Written in a superset of the label: one character beyond it sent the whole text to
        # the Windows-1252 fallback ("‡@‰ï‹c" for "①会議").
        ("Shift_JIS", "cp932", "①会議②の件 ㈱アクメ"),
        ("GB2312", "gbk", "镕铸发票"),
        ("ks_c_5601-1987", "cp949", "똠방각하 청구서"),
        ("ISO-8859-9", "cp1254", "“Fatura” hatası"),
    ],
)
def test_charset_labels_mail_software_writes(label: str, codec: str, text: str) -> None:
    assert decode_header_value(_b64_word(text, codec).replace(f"?{codec}?", f"?{label}?")) == text
    assert decode_bytes(text.encode(codec), label) == text


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "eingerückt, Grüße"),
        ("windows-1256", "مرحبا، الفاتورة"),
        ("koi8-r", "Привет"),
        ("utf-8", "مرحبا"),
    ],
)
def test_an_eight_bit_body_is_decoded_once(charset: str, text: str) -> None:
    # The parser handed back 8-bit text already decoded by its charset; it was decoded a
    # second time ("eingerÃ¼ckt, GrÃ¼ÃŸe").
    raw = f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    assert parse_message(raw.encode() + text.encode(charset) + b"\r\n").body_text == text + "\n"


def test_raw_eight_bit_headers_are_decoded() -> None:
    block = "Subject: Grüße aus Köln\r\nFrom: Jörg <JOERG@Example.TEST>\r\n\r\n".encode()
    parsed = parse_header_block(block)
    assert parsed.subject == "Grüße aus Köln"
    assert (parsed.from_name, parsed.from_addr) == ("Jörg", "joerg@example.test")


def test_address_fields_dates_and_ids() -> None:
    block = (
        b"From: =?utf-8?B?2YTbjNmG2Kc=?= <Lina@Customer.test>\r\n"
        b"Reply-To: Billing <BILLING@customer.test>\r\n"
        b'To: a@acme.test, "Support, Team" <Support@Acme.test>\r\n'
        b"Cc: c@x.test\r\n"
        b"Message-ID: <abc@customer.test>\r\n"
        b"In-Reply-To: <parent@acme.test> (comment)\r\n"
        b"References: <r1@x> <r2@x>\r\n <parent@acme.test>\r\n"
        b"Date: Tue, 24 Nov 2026 10:00:00 +0330\r\n"
        b"\r\n"
    )
    parsed = parse_header_block(block)
    assert (parsed.from_name, parsed.from_addr) == ("لینا", "lina@customer.test")
    assert parsed.reply_to == "billing@customer.test"
    assert parsed.to_addrs == ["a@acme.test", "support@acme.test"]
    assert parsed.cc_addrs == ["c@x.test"]
    assert parsed.message_id == "<abc@customer.test>"
    assert parsed.in_reply_to == "<parent@acme.test>"
    assert parsed.references == ["<r1@x>", "<r2@x>", "<parent@acme.test>"]
    assert parsed.date == "2026-11-24T06:30:00+00:00"
    assert parsed.parse_error is None


def test_a_reply_to_list_keeps_each_address_and_the_first_name() -> None:
    block = (
        b"From: Website <noreply@acme.test>\r\n"
        b'Reply-To: "Ana Silva" <Ana@Silva.test>, boss@silva.test\r\n\r\n'
    )
    parsed = parse_header_block(block)
    assert (parsed.reply_to, parsed.reply_to_name) == ("ana@silva.test boss@silva.test", "Ana Silva")
    # Nothing that is an address: no Reply-To, as before.
    junk = parse_header_block(b"From: a@x.test\r\nReply-To: nobody here, at all\r\n\r\n")
    assert (junk.reply_to, junk.reply_to_name) == ("", "")


def test_unparsable_date_is_none_and_references_are_bounded() -> None:
    refs = " ".join(f"<id{i}@x>" for i in range(1000))
    parsed = parse_header_block(f"Date: yesterday-ish\r\nReferences: {refs}\r\n\r\n".encode())
    assert parsed.date is None
    assert len(parsed.references) == MAX_REFERENCES
    assert parsed.references[-1] == "<id999@x>"


def test_priority_spam_and_list_headers() -> None:
    parsed = parse_header_block(
        b"X-Priority: 2 (High)\r\nX-Spam-Status: No, score=1.2\r\nX-Spam-Flag: NO\r\n"
        b"X-Rspamd-Score: 3.4\r\nAuthentication-Results: mx; dkim=pass\r\nList-Id: <news.x>\r\n\r\n"
    )
    assert parsed.priority == 2
    assert parsed.spam_headers == {
        "x-spam-status": "No, score=1.2",
        "x-spam-flag": "NO",
        "x-rspamd-score": "3.4",
    }
    assert parsed.auth_results == "mx; dkim=pass"
    assert parsed.list_headers
    assert parse_header_block(b"Importance: low\r\nPrecedence: bulk\r\n\r\n").priority == 5
    assert parse_header_block(b"Precedence: bulk\r\n\r\n").list_headers
    assert not parse_header_block(b"Subject: hi\r\n\r\n").list_headers


def test_plain_text_is_preferred_over_html() -> None:
    msg = EmailMessage()
    msg["Subject"] = "both"
    msg.set_content("plain words")
    msg.add_alternative("<p>html words</p>", subtype="html")
    assert parse_message(msg.as_bytes()).body_text.strip() == "plain words"


def test_html_only_is_converted_without_markup_or_scripts() -> None:
    raw = (
        b"Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
        b"<body><p>Hello <b>there</b></p><img src='https://tracker.test/pixel.gif'></body></html>"
    )
    text = parse_message(raw).body_text
    assert "Hello there" in text
    assert "<" not in text and "alert" not in text and "color" not in text


def test_nested_multipart_attachments_have_imap_part_numbers() -> None:
    inner = EmailMessage()
    inner.set_content("the text")
    inner.add_alternative("<p>the text</p>", subtype="html")
    outer = EmailMessage()
    outer["Subject"] = "nested"
    outer.make_mixed()
    outer.attach(inner)
    outer.add_attachment(b"%PDF" * 1000, maintype="application", subtype="pdf", filename="قبض.pdf")
    outer.add_attachment(b"GIF89a", maintype="image", subtype="gif", filename="logo.gif")
    parsed = parse_message(outer.as_bytes())
    assert parsed.body_text.strip() == "the text"
    assert [(a.filename, a.content_type, a.part) for a in parsed.attachments] == [
        ("قبض.pdf", "application/pdf", "2"),
        ("logo.gif", "image/gif", "3"),
    ]
    assert abs(parsed.attachments[0].size - 4000) < 100


def test_thousand_levels_of_nesting_do_not_raise() -> None:
    depth = 1000
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth))
    tail = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(depth)))
    raw = ("Subject: deep\r\n" + head + "Content-Type: text/plain\r\n\r\ninner text" + tail).encode()
    parsed = parse_message(raw)
    assert parsed.subject == "deep"
    assert parsed.parse_error is not None and "nested" in parsed.parse_error


def test_moderate_nesting_is_parsed() -> None:
    depth = 30
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth))
    tail = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(depth)))
    raw = ("Subject: deep\r\n" + head + "Content-Type: text/plain\r\n\r\ninner text" + tail).encode()
    parsed = parse_message(raw)
    assert parsed.body_text.strip() == "inner text" and parsed.parse_error is None


def test_garbage_never_raises_and_is_marked() -> None:
    for raw in (b"", b"\x00" * 100, b"\xff\xfe garbage\r\n\r\n", b"Subject: =?utf-8?B?####?=\r\n\r\n"):
        parsed = parse_message(raw)
        assert isinstance(parsed.subject, str)
    assert parse_message(b"\xff\xfe garbage\r\n\r\nbody").parse_error


def test_long_bodies_are_capped_and_flagged() -> None:
    raw = b"Subject: long\r\nContent-Type: text/plain\r\n\r\n" + b"word " * (MAX_TEXT // 2)
    parsed = parse_message(raw)
    assert len(parsed.body_text) <= MAX_TEXT and parsed.body_truncated


def test_decode_body_handles_a_base64_part_cut_in_the_middle() -> None:
    encoded = base64.encodebytes("سلام دنیا ".encode() * 50)
    text = decode_body(encoded[:101], encoding="base64", charset="utf-8", html=False, cut=True)
    assert text.startswith("سلام دنیا")
    qp = decode_body(b"caf=C3=A9 =\r\nsoft", encoding="quoted-printable", charset="utf-8", html=False)
    assert qp == "café soft"


FLOWED = (
    "Hallo zusammen,\r\n\r\n"
    "seit heute Morgen funktioniert die Kalender-Synchronisation mit Outlook nicht \r\n"
    "mehr. Termine tauchen in Outlook nicht auf, und \r\numgekehrt.\r\n\r\n"
    "> Am 3. Dezember schrieb Acme Support:\r\n> Die Synchronisation sollte jetzt wieder \r\n> laufen.\r\n"
    ">> Zweite \r\n>> Ebene\r\n\r\n  eingerückt\r\n"
    "-- \r\nJürgen Weiß \r\nWeiß GmbH\r\n"
)
UNFLOWED = (
    "Hallo zusammen,\n\nseit heute Morgen funktioniert die Kalender-Synchronisation mit Outlook nicht "
    "mehr. Termine tauchen in Outlook nicht auf, und umgekehrt.\n\n"
    "> Am 3. Dezember schrieb Acme Support:\n> Die Synchronisation sollte jetzt wieder laufen.\n"
    ">> Zweite Ebene\n\n eingerückt\n-- \nJürgen Weiß Weiß GmbH\n"
)


def test_a_format_flowed_body_is_read_as_its_paragraphs() -> None:
    # Thunderbird sends plain text as format=flowed (RFC 3676): shown as sent, a paragraph kept
    # the sender's breaks at 72 columns and wrapped raggedly in the thread view ("nicht" alone).
    raw = (
        b"Subject: Kalender\r\nContent-Type: text/plain; charset=iso-8859-1; format=flowed\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + quopri.encodestring(FLOWED.encode("latin-1"))
    )
    assert parse_message(raw).body_text == UNFLOWED
    fixed = raw.replace(b"; format=flowed", b"")
    assert parse_message(fixed).body_text == FLOWED.replace("\r\n", "\n")  # not flowed: as sent
    # DelSp=yes: the space before a soft break belongs to no word (Japanese, long URLs).
    spaced = (
        b"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\nhttps://x.test/a \r\nb\r\n"
    )
    assert parse_message(spaced).body_text == "https://x.test/ab\n"
    assert (
        decode_body(FLOWED.encode(), encoding="8bit", charset="utf-8", html=False, flowed="flowed;")
        == UNFLOWED
    )


@pytest.mark.parametrize(
    "body",
    ["Hello, world!\n", "Hello, world\n", "مرحباً،\n\nلا يمكنني تسجيل الدخول. هل هناك عطل؟\n\nسمير\n"],
)
def test_a_padded_base64_body_keeps_its_last_bytes(body: str) -> None:
    raw = (
        b"Subject: t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(body.encode()).replace(b"\n", b"\r\n")
    )
    assert parse_message(raw).body_text == body


def test_tag_heavy_html_is_converted() -> None:
    table = "<table>" + "<tr><td>cell</td></tr>" * 5000 + "</table>"
    raw = b"Subject: t\r\nContent-Type: text/html\r\n\r\n" + table.encode()
    text = parse_message(raw).body_text
    assert text.count("cell") == 5000 and "<" not in text


def test_html_structure_becomes_lines() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body><p>Hello&nbsp;<b>there</b></p>"
        "<ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>x<br>y"
        "<!-- hidden --><script>alert(1)</script></body></html>"
    )
    assert html_to_text(html) == "Hello there\n\n- one\n- two\n\na  b\n\nx\ny"
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>hi</p>') == "hi"
    assert strip_tags("<style>p{}</style><p>Hi&nbsp;<b>you</b></p><script>x()</script>end<script>") == (
        "Hi you\nend"
    )


def test_base64_without_padding_or_with_a_stray_character_decodes() -> None:
    padded = base64.b64encode("Grüße aus Köln".encode())  # 17 bytes: one "=" of padding
    assert padded.endswith(b"=")
    unpadded = padded.rstrip(b"=") + b"\r\n"
    assert decode_body(unpadded, encoding="base64", charset="utf-8", html=False) == "Grüße aus Köln"
    whole = base64.b64encode("Grüße aus Köln!".encode())  # 18 bytes: no padding
    assert decode_body(whole + b"A", encoding="base64", charset="utf-8", html=False) == "Grüße aus Köln!"


def test_html_links_keep_their_address_after_their_words() -> None:
    raw = (
        b"Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>Please <a href="https://shop.test/reset?t=1">click here</a> to reset.</p>'
        b'<p>On Mon, Ana &lt;<a href="mailto:ana@x.test">ana@x.test</a>&gt; wrote:</p>'
        b'<p><a href="https://shop.test/">https://shop.test/</a> '
        b'<a href="mailto:bob@x.test?subject=hi">Bob</a></p>'
    )
    text = parse_message(raw).body_text
    assert "click here <https://shop.test/reset?t=1> to reset." in text
    # Words that already are the address are not repeated.
    assert "On Mon, Ana <ana@x.test> wrote:" in text
    assert text.count("shop.test/") == 2
    assert "Bob <bob@x.test>" in text


def test_a_link_whose_words_are_its_address_without_the_scheme_is_not_repeated() -> None:
    raw = (
        b"Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>See <a href="https://www.shop.test/help/">www.shop.test/help</a> or '
        b'<a href="http://Docs.Shop.test">docs.shop.test</a>.</p>'
        b'<p>Log in at <a href="https://evil.test/login">www.bank.test</a></p>'
    )
    text = parse_message(raw).body_text
    assert "See www.shop.test/help or docs.shop.test." in text
    # Words naming another address than the link's: where it really goes is shown.
    assert "www.bank.test <https://evil.test/login>" in text


def test_hostile_html_links_render_inert() -> None:
    long_path = "x" * 5000
    raw = (
        "Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        '<a href="javascript:alert(1)">run</a> <a href=" JaVaScript:alert(2)">run2</a> '
        '<a href="data:text/html,hi">data</a> '
        '<a href="https://a.test/&#27;[31m&#10;[b]x&#13;&#8238;">esc</a> '
        f'<a href="https://b.test/{long_path}">long</a>'
    ).encode()
    text = parse_message(raw).body_text
    assert "javascript" not in text.lower() and "alert" not in text and "data:" not in text
    assert "esc <https://a.test/[31m[b]x>" in text
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    long_line = next(line for line in text.splitlines() if "b.test" in line)
    assert len(long_line) < 400 and long_line.endswith("\u2026>")


def test_a_calendar_invitation_is_automated_mail_and_a_person_writing_about_one_is_not() -> None:
    invite = EmailMessage()
    invite["From"] = "Helen Zhao <helen.zhao@megacorp.test>"
    invite["Subject"] = "Invitation: Urgent: contract renewal call"
    invite.set_content("Urgent: contract renewal call, Thu 2pm")
    invite.add_alternative("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", subtype="calendar")
    invite.get_payload()[1].set_param("method", "REQUEST")
    parsed = parse_message(invite.as_bytes())
    assert parsed.automated == "notification"
    assert parsed.automated_reason == "invitation, text/calendar method=REQUEST"
    assert parsed.body_text.startswith("Urgent: contract renewal call")

    # An .ics a person attaches (no iTIP method) is an attachment of a customer's mail.
    shared = EmailMessage()
    shared["From"] = "Helen Zhao <helen.zhao@megacorp.test>"
    shared["Subject"] = "Our maintenance windows"
    shared.set_content("The windows are in the attached calendar.")
    shared.add_attachment(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text", "calendar", filename="windows.ics")
    assert parse_message(shared.as_bytes()).automated == ""


_SIGNED_BLOCK = (
    "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nHi,\n- -- \nFelix\n"
    "-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_SIGNED_BLOCK, "Hi,\n-- \nFelix\n"),
        ("See below.\n" + _SIGNED_BLOCK + "after\n", "See below.\nHi,\n-- \nFelix\nafter\n"),
        # Not a signed block as RFC 4880 writes one: left as it came.
        ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nno signature\n",) * 2,
        (_SIGNED_BLOCK.replace("Hash: SHA256", "not a header"),) * 2,
        ("quoted: " + _SIGNED_BLOCK,) * 2,
        ("-----BEGIN PGP SIGNED MESSAGE-----\n" * 5000,) * 2,
    ],
)
def test_an_inline_signed_text_reads_as_written(text: str, expected: str) -> None:
    assert decode_body(text.encode(), encoding="7bit", charset="utf-8", html=False) == expected


def test_a_message_forwarded_as_an_attachment_reads_as_the_sync_reads_it() -> None:
    inner = EmailMessage()
    inner["From"] = "Priya Nair <priya@lotus-retail.test>"
    inner["Subject"] = "Checkout fails"
    inner["Date"] = "Mon, 07 Dec 2026 09:02:00 +0000"
    inner.set_content("Checkout fails with 502.\n")
    outer = EmailMessage()
    outer["From"] = "Dan Miller <dan@partner.test>"
    outer["Subject"] = "Fwd: Checkout fails"
    outer.set_content("Can you help?\n")
    outer.add_attachment(inner)
    parsed = parse_message(outer.as_bytes())
    assert parsed.body_text == (
        "Can you help?\n\n---------- Forwarded message ----------\n"
        "From: Priya Nair <priya@lotus-retail.test>\n"
        "Date: Mon, 07 Dec 2026 09:02:00 +0000\n"
        "Subject: Checkout fails\n\n"
        "Checkout fails with 502."
    )
    assert [(a.filename, a.content_type, a.part) for a in parsed.attachments] == [
        ("Checkout fails.eml", "message/rfc822", "2")
    ]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # RFC 5322 3.6.2: several authors, and the Sender who sent it is one of them.
        ("From: Olivia <olivia@chen.test>, Karl Berg <karl@chen.test>\r\nSender: karl@chen.test\r\n",
         ("Karl Berg", "karl@chen.test")),
        # No author named (an empty group): the Sender.
        ("From: undisclosed-recipients:;\r\nSender: Karl Berg <karl@chen.test>\r\n",
         ("Karl Berg", "karl@chen.test")),
        # A Sender who is no author, no Sender, or a forged From: still no address.
        ("From: Olivia <olivia@chen.test>, Karl <karl@chen.test>\r\nSender: mallory@evil.test\r\n", None),
        ("From: Olivia <olivia@chen.test>, Karl <karl@chen.test>\r\n", None),
        ("From: support@acme.test <evil@x.test>\r\nSender: evil@x.test\r\n", None),
        ("From: a:b:;\r\nFrom: c@d.test\r\nSender: c@d.test\r\n", None),
    ],
)  # fmt: skip
def test_a_from_of_several_authors_is_its_sender(head: str, expected: tuple[str, str] | None) -> None:
    parsed = parse_message(head.encode() + b"Subject: x\r\n\r\nhi\r\n")
    if expected is None:
        assert parsed.from_addr == ""
    else:
        assert (parsed.from_name, parsed.from_addr) == expected


def test_a_whole_outlook_message_reads_the_text_inside_its_winmail_dat() -> None:
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart

    from tests.data.tnef import winmail

    outer = MIMEMultipart("mixed")
    outer["From"] = "Gerhard Braun <g.braun@braun-logistik.test>"
    outer["Subject"] = "RE: Lieferschein"
    tnef = MIMEApplication(winmail("Der Lieferschein fehlt.", {"Lieferschein.pdf": b"%PDF"}), "ms-tnef")
    tnef.add_header("Content-Disposition", "attachment", filename="winmail.dat")
    outer.attach(tnef)
    parsed = parse_message(outer.as_bytes())
    assert parsed.body_text == "Der Lieferschein fehlt.\n\nFiles inside winmail.dat: Lieferschein.pdf (4 B)"
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    # One that cannot be read keeps no text: the thread then says why.
    broken = MIMEApplication(b"\x78\x9f>\x22 not really TNEF", "ms-tnef")
    outer.set_payload([broken])
    assert parse_message(outer.as_bytes()).body_text == ""
