"""Building replies: recipients, subject, threading headers, quoting, and header injection."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportinbox.config import AccountConfig
from supportinbox.domain.quoting import new_text
from supportinbox.domain.replies import (
    MAX_REFERENCES,
    Original,
    ReplyError,
    addressees,
    base_subject,
    build_reply,
    flow,
    quote,
    reply_subject,
    reply_to_elsewhere,
    reply_to_note,
    template_variables,
    to_bytes,
)
from supportinbox.domain.templates import parse_template, render
from supportinbox.domain.threading import normalize_subject

ACCOUNT = AccountConfig(
    email="support@acme.test",
    display_name="Acme Support",
    agent="alice",
    username="support",
    imap_host="imap.acme.test",
)
ORIGINAL = Original(
    from_name="Lina Haddad",
    from_addr="lina@customer.test",
    subject="Cannot log in",
    message_id="<q2@customer.test>",
    references=["<q0@customer.test>", "<q1@acme.test>"],
    to_addrs=["support@acme.test", "bob@customer.test"],
    cc_addrs=["carol@customer.test", "SUPPORT@acme.test"],
    body_text="Still broken.\n",
)
EXPECTED_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "x-supportinbox-agent",  # who on the team wrote it (read by teammates' collision check)
}


def _wire(msg: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(to_bytes(msg), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _body(msg: EmailMessage) -> str:
    return str(msg.get_content()).replace("\r\n", "\n")


def test_reply_headers_and_threading() -> None:
    msg = _wire(build_reply(ORIGINAL, ACCOUNT, "Hi Lina,\n", now=datetime(2026, 11, 26, 9, 0, tzinfo=UTC)))
    assert msg["From"] == "Acme Support <support@acme.test>"
    assert msg["To"] == "Lina Haddad <lina@customer.test>"
    assert msg["Cc"] is None
    assert msg["Subject"] == "Re: Cannot log in"
    assert msg["In-Reply-To"] == "<q2@customer.test>"
    assert msg["References"].split() == ["<q0@customer.test>", "<q1@acme.test>", "<q2@customer.test>"]
    assert msg["Message-ID"].endswith("@acme.test>") and msg["Message-ID"] != "<q2@customer.test>"
    assert msg["Date"] == "Thu, 26 Nov 2026 09:00:00 +0000"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert _body(msg) == "Hi Lina,\n"


def test_each_reply_gets_a_fresh_message_id() -> None:
    ids = {str(build_reply(ORIGINAL, ACCOUNT, "x")["Message-ID"]) for _ in range(20)}
    assert len(ids) == 20


def test_reply_to_header_wins_over_from() -> None:
    original = replace(ORIGINAL, reply_to=["tickets@customer.test"])
    msg = build_reply(original, ACCOUNT, "x")
    assert str(msg["To"]) == "tickets@customer.test"


def test_reply_all_copies_the_others_but_never_us() -> None:
    msg = build_reply(ORIGINAL, ACCOUNT, "x", reply_all=True)
    assert str(msg["To"]) == "Lina Haddad <lina@customer.test>"
    assert str(msg["Cc"]) == "bob@customer.test, carol@customer.test"


def test_reply_all_keeps_the_names_the_customer_wrote() -> None:
    names = {"bob@customer.test": "Bob Stone", "carol@customer.test": "Berg, Carol"}
    msg = build_reply(replace(ORIGINAL, names=names), ACCOUNT, "x", reply_all=True)
    assert str(msg["Cc"]) == 'Bob Stone <bob@customer.test>, "Berg, Carol" <carol@customer.test>'


def test_reply_to_ourselves_is_refused() -> None:
    with pytest.raises(ReplyError, match="own address"):
        build_reply(replace(ORIGINAL, from_addr="support@acme.test"), ACCOUNT, "x")


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a@b@c", "lina@customer.test>, evil@x.test", "a b@c.d"])
def test_invalid_sender_address_is_refused(bad: str) -> None:
    # No address at all is a From that was not one valid address (see domain/senders.py).
    with pytest.raises(ReplyError, match=r"not valid|not one valid address"):
        build_reply(replace(ORIGINAL, from_addr=bad), ACCOUNT, "x")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Cannot log in", "Re: Cannot log in"),
        ("Re: Cannot log in", "Re: Cannot log in"),
        ("RE: Re: re: Cannot log in", "Re: Cannot log in"),
        ("AW: RE: Cannot log in", "Re: Cannot log in"),
        ("Fwd: Re: Cannot log in", "Re: Cannot log in"),
        ("FW: Cannot log in", "Re: Cannot log in"),
        ("Re[2]: Cannot log in", "Re: Cannot log in"),
        ("Re : Cannot log in", "Re: Cannot log in"),
        ("SV: Antw: Cannot log in", "Re: Cannot log in"),
        ("رد: لا يعمل", "Re: لا يعمل"),
        ("Regarding: invoices", "Re: Regarding: invoices"),
        ("Reset password", "Re: Reset password"),
        ("", "Re: your message"),
        ("Re:", "Re: your message"),
    ],
)
def test_subject_prefixes_never_stack(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    "prefix",
    ["Ynt:", "ОТВ:", "Ответ:", "回复：", "返信:", "답장:", "الرد:", "پاسخ:", "השב:", "Antwort:", "R:", "VS:"],
)
def test_reply_subjects_know_every_prefix_threading_knows(prefix: str) -> None:
    """One list: a prefix that threading ignores is never stacked under "Re:" either."""
    subject = f"{prefix} Login kaputt"
    assert normalize_subject(subject) == "login kaputt"
    assert reply_subject(subject) == "Re: Login kaputt"


def test_subject_prefix_from_template_added_once() -> None:
    assert reply_subject("Cannot log in", "[Acme]") == "Re: [Acme] Cannot log in"
    assert reply_subject("Re: [Acme] Cannot log in", "[Acme]") == "Re: [Acme] Cannot log in"
    assert base_subject("Re: AW: x") == "x"


def test_references_are_bounded_keeping_the_root() -> None:
    refs = [f"<r{i}@customer.test>" for i in range(100)]
    msg = build_reply(replace(ORIGINAL, references=refs), ACCOUNT, "x")
    chain = str(msg["References"]).split()
    assert len(chain) == MAX_REFERENCES
    assert chain[0] == "<r0@customer.test>" and chain[-1] == "<q2@customer.test>"
    assert chain[-2] == "<r99@customer.test>"


def test_missing_or_malformed_message_id_gives_no_threading_header() -> None:
    msg = build_reply(replace(ORIGINAL, message_id=None, references=[]), ACCOUNT, "x")
    assert msg["In-Reply-To"] is None and msg["References"] is None
    msg = build_reply(replace(ORIGINAL, message_id="<a b>", references=["<ok@x>", "<bad<id>"]), ACCOUNT, "x")
    assert msg["In-Reply-To"] is None
    refs = str(msg["References"]).split()
    assert refs[0] == "<ok@x>" and all(r.count("<") == 1 and "bad<" not in r for r in refs)


def test_bare_message_id_gets_brackets() -> None:
    msg = build_reply(replace(ORIGINAL, message_id="q2@customer.test", references=[]), ACCOUNT, "x")
    assert msg["In-Reply-To"] == "<q2@customer.test>"


INJECTIONS = [
    "x\r\nBcc: evil@evil.test",
    "x\nBcc: evil@evil.test",
    "x\rBcc: evil@evil.test",
    "x\r\n\r\nevil body",
    "x\u2028Bcc: evil@evil.test",
    "x\x85Bcc: evil@evil.test",
    # Encoded words survive one_line() but email would decode them into real line breaks.
    "=?utf-8?q?x=0D=0ABcc:_evil@evil.test?=",
    "=?utf-8?b?eA0KQmNjOiBldmlsQGV2aWwudGVzdA==?=",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3D0D=3D0ABcc:_evil@evil.test=3F=3D?=",
    "=?utf-8?q?=0D=0A?=@evil.test",
]


def _assert_no_injection(msg: EmailMessage) -> None:
    raw = to_bytes(msg)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert _body(parsed) == _body(msg), "nothing was pushed from the headers into the body"
    assert {k.lower() for k in parsed} <= EXPECTED_HEADERS
    assert parsed["Bcc"] is None
    for name, value in parsed.items():
        assert "\n" not in str(value) and "\r" not in str(value), name
    recipients = [a.addr_spec for h in ("To", "Cc") if parsed[h] for a in parsed[h].addresses]
    assert "evil@evil.test" not in recipients
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in header_block and b"\n\r\n" not in header_block


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(
    "field",
    ["from_name", "from_addr", "subject", "message_id", "references", "reply_to", "to_addrs", "cc_addrs"],
)
def test_header_injection_through_the_original_is_impossible(field: str, payload: str) -> None:
    value: object = [payload] if field in ("references", "reply_to", "to_addrs", "cc_addrs") else payload
    original = replace(ORIGINAL, **{field: value})
    try:
        msg = build_reply(original, ACCOUNT, "body", reply_all=True)
    except ReplyError:
        assert field == "from_addr"  # an unusable sender address is refused outright
        return
    _assert_no_injection(msg)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_header_injection_through_a_copied_name_is_impossible(payload: str) -> None:
    original = replace(ORIGINAL, names={"bob@customer.test": payload})
    _assert_no_injection(build_reply(original, ACCOUNT, "body", reply_all=True))


@pytest.mark.parametrize("payload", INJECTIONS)
def test_header_injection_through_account_and_template_is_impossible(payload: str) -> None:
    account = ACCOUNT.model_copy(update={"display_name": payload})
    _assert_no_injection(build_reply(ORIGINAL, account, "body", subject_prefix=payload))


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_through_template_variables_stays_in_the_body(payload: str) -> None:
    original = replace(ORIGINAL, from_name=payload, subject=payload, body_text=payload)
    values = template_variables(original, ACCOUNT, "k3m9x2qa")
    for text in (values.customer_name, values.customer_first_name, values.subject):
        assert "\r" not in text and "\n" not in text
    source = "Hi {{ customer.first_name }} {{ customer.name }} {{ subject }}\n{{ quote }}"
    template = parse_template("t", source)
    msg = build_reply(original, ACCOUNT, render(template, values))
    _assert_no_injection(msg)


def _encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() + "?="


HEADER_TEXT = st.one_of(
    st.text(max_size=80),
    st.text(max_size=40).map(_encoded),
    st.text(max_size=20).map(_encoded).map(_encoded),
    st.lists(st.sampled_from(["x", "\r\n", "Bcc: e@e.test", "=?", "?=", "?q?", "=0D=0A", " ", "\n\n"])).map(
        "".join
    ),
)


@settings(max_examples=300, deadline=None)
@given(name=HEADER_TEXT, subject=HEADER_TEXT, prefix=HEADER_TEXT)
def test_any_text_in_names_and_subjects_keeps_the_header_set(name: str, subject: str, prefix: str) -> None:
    original = replace(ORIGINAL, from_name=name, subject=subject)
    msg = build_reply(original, ACCOUNT, "body", subject_prefix=prefix)
    raw = to_bytes(msg)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert {k.lower() for k in parsed} == EXPECTED_HEADERS - {"cc"}
    assert [a.addr_spec for a in parsed["To"].addresses] == ["lina@customer.test"]
    assert raw.isascii()


def test_non_ascii_body_and_names_are_encoded_for_any_relay() -> None:
    original = replace(ORIGINAL, from_name="لينا حداد", subject="لا يعمل تسجيل الدخول")
    msg = build_reply(original, ACCOUNT, "مرحبا لينا،\nشكراً لتواصلك.\n")
    raw = to_bytes(msg)
    assert raw.isascii()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = _wire(msg)
    assert parsed["To"].addresses[0].display_name == "لينا حداد"
    assert parsed["Subject"] == "Re: لا يعمل تسجيل الدخول"
    assert _body(parsed) == "مرحبا لينا،\nشكراً لتواصلك.\n"


@pytest.mark.parametrize(
    "subject",
    [
        "مشكلة في الطلب رقم 48213 — الفاتورة غير صحيحة",
        "همگام\u200cسازی تقویم کار نمی\u200cکند و رویدادها ناپدید می\u200cشوند",
        "Kalender-Synchronisation funktioniert nicht mehr seit dem Update äöü",
    ],
)
def test_a_long_non_ascii_subject_is_folded_into_short_encoded_words(subject: str) -> None:
    # email's folding lost the space before a new encoded word ("48213— الفاتورة"), so the
    # headers went out unfolded: the subject one encoded word of 150 characters (RFC 2047: 75).
    msg = build_reply(replace(ORIGINAL, subject=subject), ACCOUNT, "body")
    raw = to_bytes(msg)
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in header_block.split("\r\n")), header_block
    assert all(len(word) <= 75 for word in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", header_block))
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == f"Re: {subject}"


def test_body_control_characters_are_removed() -> None:
    msg = build_reply(ORIGINAL, ACCOUNT, "Hi\x1b]52;c;ZXZpbA==\x07 there\x00\n")
    assert _body(_wire(msg)) == "Hi there\n"


def test_format_flowed_wraps_and_round_trips() -> None:
    long = "word " * 40
    flowed = flow(f"Hi,\n\n{long}\n> quoted line that is long " + "q " * 50 + "\nFrom here\n")
    lines = flowed.split("\n")
    assert all(len(line) <= 78 for line in lines if not line.startswith(">"))
    assert " From here" in lines
    msg = _wire(build_reply(ORIGINAL, ACCOUNT, f"Hi,\n\n{long}\n", format_flowed=True))
    assert msg.get_param("format") == "flowed"
    # Unfolding the soft breaks gives back the paragraph.
    body = _body(msg)
    assert body.replace(" \n", " ").split("\n")[2] == long.strip()


def test_quote_keeps_the_new_text_only() -> None:
    body = (
        "Still broken after the update.\nError 500 on login.\n\n"
        "On Mon, 23 Nov 2026 at 10:00, Acme Support <support@acme.test> wrote:\n"
        "> Have you tried resetting?\n"
    )
    assert quote(body) == "> Still broken after the update.\n> Error 500 on login."


@pytest.mark.parametrize(
    "history",
    [
        "-----Original Message-----\nFrom: Acme",
        "From: Acme Support <support@acme.test>\nSent: Monday",
        "Le lun. 23 nov. 2026 à 10:00, Acme <support@acme.test> a écrit :\n> x",
        "Am 23.11.2026 um 10:00 schrieb Acme <support@acme.test>:\n> x",
        "-- \nLina Haddad\nCEO",
        "Sent from my iPhone",
        "> quoted tail\n> more",
    ],
)
def test_history_and_signatures_are_trimmed(history: str) -> None:
    assert new_text(f"New text here.\n\n{history}\n") == "New text here."


def test_a_paragraph_on_one_line_is_quoted_wrapped() -> None:
    # HTML mail and format=flowed mail give a paragraph a line: quoted whole, a 150-character
    # line showed in a mail client as "> seit heute ..." and the rest of it unquoted below.
    line = (
        "seit heute Morgen funktioniert die Kalender-Synchronisation mit Outlook nicht mehr. "
        "Details: https://acme.test/r/77120?view=full&lang=de und das Protokoll."
    )
    arabic = "الطلب رقم #48213 تم دفعه لكن الفاتورة على https://acme.test/invoices/48213 تظهر مبلغ 1,250 SAR"
    quoted = quote(f"{line}\n\n  {line}\n{arabic}").split("\n")
    assert all(q.startswith(">") and len(q) <= 72 for q in quoted), quoted
    blank = quoted.index(">")
    first, indented, last = quoted[:blank], quoted[blank + 1 : blank + 4], quoted[blank + 4 :]
    assert any("https://acme.test/r/77120?view=full&lang=de" in q for q in first)  # a link stays whole
    assert all(q.startswith(">   ") for q in indented)  # indented text stays indented
    assert " ".join(first).replace(">", " ").split() == line.split()
    assert " ".join(indented).replace(">", " ").split() == line.split()
    assert " ".join(last).replace("> ", " ").split() == arabic.split()
    assert quote("短い" * 80) == "> " + "短い" * 80  # no space to break at: left whole


def test_quote_is_bounded_and_cleaned() -> None:
    body = "\n".join(f"line {i}\x1b[2J" for i in range(100))
    quoted = quote(body).split("\n")
    assert len(quoted) == 41 and quoted[-1] == "> [...]"
    assert "\x1b" not in "".join(quoted)
    assert quote("") == "" and quote("\n\n") == ""


def test_template_variables_from_a_message() -> None:
    original = replace(ORIGINAL, from_name='"HADDAD, LINA"', subject="RE: AW: Cannot log in")
    values = template_variables(original, ACCOUNT, "k3m9x2qa", fallback_first_name="there")
    assert values.customer_first_name == "Lina"
    assert values.subject == "Cannot log in"
    assert values.agent_name == "Alice"
    assert values.account_display_name == "Acme Support"
    assert values.quote == "> Still broken."
    nameless = template_variables(replace(ORIGINAL, from_name=""), ACCOUNT, "c", fallback_first_name="there")
    assert nameless.customer_first_name == "there"


@pytest.mark.parametrize(
    "name",
    [
        "x" * 30 + "," + "y" * 50,
        "0" * 75 + ";",
        "Haddad, Lina (Accounts Payable, Northern Region Subsidiary of Customer Holdings)",
        "لينا حداد " * 8,
        "attacker@evil.test, " + "padding " * 10,
    ],
)
def test_long_display_names_read_back_as_one_recipient(name: str) -> None:
    msg = build_reply(replace(ORIGINAL, from_name=name), ACCOUNT, "body")
    parsed = _wire(msg)
    (address,) = parsed["To"].addresses
    assert address.addr_spec == "lina@customer.test"
    assert address.display_name == msg["To"].addresses[0].display_name
    assert parsed.get_content_type() == "text/plain"


def test_signature_separator_survives_rendering_and_building() -> None:
    values = template_variables(ORIGINAL, ACCOUNT, "k3m9x2qa")
    source = "Hi {{ customer.first_name }},   \n\n-- \n{{ agent.name }}\n"
    body = render(parse_template("t", source), values)
    assert body == "Hi Lina,\n\n-- \nAlice\n"
    for flowed in (False, True):
        msg = _wire(build_reply(ORIGINAL, ACCOUNT, body, format_flowed=flowed))
        assert "\n-- \nAlice\n" in _body(msg)


def test_reply_to_in_another_domain_is_named_and_the_reply_goes_there() -> None:
    spoofed = Original(
        from_name="Big Boss",
        from_addr="ceo@customer.test",
        subject="Refund",
        reply_to=["attacker@evil.test"],
        to_addrs=["support@acme.test"],
        cc_addrs=["ann@customer.test"],
    )
    shown = addressees(spoofed, ACCOUNT)
    assert (shown.to, shown.cc) == ("attacker@evil.test", "")
    assert shown.note == "Reply-To differs from sender: attacker@evil.test"
    assert addressees(spoofed, ACCOUNT, reply_all=True).cc == "ann@customer.test"
    # Same domain (an office address, a colleague): a fact not worth a mark.
    assert reply_to_elsewhere("ann@customer.test", ["Office <office@CUSTOMER.test>"]) == []
    assert reply_to_note("ann@customer.test", []) == ""
    # Invalid addresses are never a recipient, so never named either.
    assert reply_to_elsewhere("ann@customer.test", ["not an address", "x@evil.test", "X@evil.test"]) == [
        "x@evil.test"
    ]
    # Without Reply-To the reply goes to From, named with its display name.
    plain = addressees(Original(from_name="Ann", from_addr="ann@customer.test", subject="Hi"), ACCOUNT)
    assert (plain.to, plain.note) == ("Ann <ann@customer.test>", "")
