"""Turn raw mail into the fields the cache keeps, safely.

Mail comes from strangers, so nothing here may raise or run away: header values are decoded
by our own RFC 2047 decoder (unknown or lying charsets fall back to UTF-8, then
Windows-1252, never an exception), every list and text is bounded, and the MIME tree is
walked iteratively with a depth and part limit. Header blocks are split by a linear scan
and decoded field by field; the stdlib parser (``compat32``, which keeps values raw) is
only used for the MIME tree of a whole message, after a check that refuses nesting bombs.
HTML becomes text through :mod:`supportinbox.mail.html`. :func:`parse_message` never
raises: a message that cannot be understood is returned with ``parse_error`` set and
whatever headers could be read.

The sync engine does not download whole messages: it fetches the header block and the
chosen text part and assembles a :class:`ParsedMessage` with :func:`parse_header_block`
and :func:`decode_body`, so both paths share the same decoding.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import itertools
import re
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from supportinbox.domain import automated
from supportinbox.domain.message import Attachment as Attachment
from supportinbox.domain.message import ParsedMessage as ParsedMessage
from supportinbox.domain.message import to_row as to_row
from supportinbox.domain.senders import Sender, author_by_sender, parse_sender
from supportinbox.domain.when import as_utc
from supportinbox.mail.tnef import TNEF_TYPES

MAX_TEXT = 256 * 1024
"""Characters of body text kept (and bytes of a text part fetched)."""
MAX_RAW_HEADERS = 64 * 1024
# The most of a header block ever read: what is fetched, and what parsing looks at.
MAX_HEADER_BLOCK = MAX_RAW_HEADERS * 4
MAX_HEADER_VALUE = 4096
MAX_REFERENCES = 50
MAX_ADDRESSES = 100
MAX_GROUPS = 20
MAX_ATTACHMENTS = 100
MAX_PARTS = 500
MAX_DEPTH = 40
MAX_FORWARDED = 3  # forwarded messages shown in a message's text; more stay attachments
MAX_CONTAINERS = 100
MAX_HTML_INPUT = 1024 * 1024

SPAM_HEADER_PREFIXES = ("x-spam", "x-rspamd", "x-ham", "x-barracuda-spam", "x-microsoft-antispam")
LIST_PRECEDENCE = {"bulk", "list", "junk"}


# --- text decoding --------------------------------------------------------------------------

_FALLBACK_CHARSETS = ("utf-8", "cp1252")
_CHARSET_ALIASES = {
    "unknown-8bit": "",
    "x-unknown": "",
    "default": "",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    # Labels mail software writes that Python does not know (Java and Windows mailers).
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "unicode-1-1-utf-8": "utf-8",
}
# Charsets senders' software writes in a superset of, as the WHATWG Encoding Standard reads
# them: a Shift_JIS label over "①" or "㈱" (Windows' cp932), GB2312 over GBK, EUC-KR over
# Korean Outlook's cp949. Decoded strictly, one such character sent the whole text to the
# Windows-1252 fallback: Japanese, Chinese or Korean mail as mojibake.
_SUPERSETS = {
    "shift_jis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
    "iso8859-1": "cp1252",  # curly quotes in 0x80-0x9f
    "latin-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
}
# "x-cp1256", "x-koi8-r": an experimental prefix on a known name; "ISO-8859-6-I" and "-E":
# Arabic (and Hebrew) with implicit or explicit direction, the same characters.
_LABEL_DECORATION = re.compile(r"^x-|(?<=^iso-8859-[0-9])-[ie]$|(?<=^iso_8859-[0-9])-[ie]$")


@functools.lru_cache(maxsize=256)
def _codec(charset: str | None) -> str | None:
    """A usable text codec for ``charset``, or None (unknown, or not a text encoding)."""
    if not charset:
        return None
    name = charset.strip().strip('"').split("*", 1)[0].lower()[:40]
    name = _CHARSET_ALIASES.get(name, name)
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        plain = _LABEL_DECORATION.sub("", name)
        if plain == name:
            return None
        return _codec(plain)
    # Transform codecs (base64_codec, zlib_codec, ...) are not text encodings.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return _SUPERSETS.get(info.name, info.name)


# A whole UTF-8 character of two, three or four bytes.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# Bytes that are not part of a whole UTF-8 character (UTF-8's own error positions).
_UTF8_STRAYS = "supportinbox.utf8-strays"


def _strays_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", "replace"), exc.end


codecs.register_error(_UTF8_STRAYS, _strays_as_cp1252)


def _mostly_utf8(data: bytes, error: UnicodeDecodeError) -> bool:
    """UTF-8 with a few stray bytes (a footer a gateway added in Latin-1, a byte lost in a cut
    and pasted line), not a legacy text: as many whole multi-byte characters as strays, or more."""
    whole = len(_UTF8_MULTIBYTE.findall(data))
    if whole == 0:
        return False
    strays = len(data[error.start :].decode("utf-8", "replace")) - len(
        data[error.start :].decode("utf-8", "ignore")
    )
    return whole >= strays


def decode_bytes(data: bytes, charset: str | None = None, *, cut: bool = False) -> str:
    """Decode ``data`` in its declared charset, falling back gracefully; never raises.

    ``cut`` says the data was cut off at a size limit, possibly inside a character. Text
    that is mostly UTF-8 keeps its UTF-8 and reads only its stray bytes as Windows-1252;
    read as a whole in Windows-1252, one such byte turned an Arabic or French message into
    mojibake ("Ø¹Ø±Ø¨ÙŠ") that no rule, search or language detection could read.
    """
    codec = _codec(charset)
    for candidate in (codec, *_FALLBACK_CHARSETS) if codec else _FALLBACK_CHARSETS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError as exc:
            # A part cut off by the size cap may end inside a multi-byte character.
            if cut and exc.reason == "unexpected end of data" and exc.start >= len(data) - 6:
                try:
                    return data[: exc.start].decode(candidate)
                except UnicodeDecodeError:
                    continue
            if candidate == "utf-8" and _mostly_utf8(data, exc):
                return data.decode("utf-8", _UTF8_STRAYS)
        except (LookupError, ValueError):
            continue  # the label lied: try what senders usually mean
    return data.decode(codec or "utf-8", errors="replace") if codec else data.decode("utf-8", "replace")


def _unescape(value: str) -> bytes:
    """The original bytes of a header value parsed by the bytes parser (8-bit as surrogates)."""
    return value.encode("utf-8", "surrogateescape")


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?\s]*)\?=")
_FOLDING = re.compile(r"\r?\n[ \t]+|\r?\n")
_WSP_ONLY = re.compile(r"[ \t]*")


def lenient_b64decode(data: bytes) -> bytes:
    """Base64 as mail carries it: line breaks and stray characters skipped, padding optional.

    The last group keeps its bytes whether or not its ``=`` padding came; a lone character
    left over carries no whole byte and is dropped.
    """
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4))


def _decode_word(kind: str, payload: str) -> bytes:
    if kind in "bB":
        try:
            return lenient_b64decode(payload.encode("ascii", "ignore"))
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")
    return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)


def decode_header_value(value: str | bytes | None, limit: int = MAX_HEADER_VALUE) -> str:
    """Decode RFC 2047 words and raw 8-bit text in a header value; unfold it; bound it."""
    if not value:
        return ""
    if isinstance(value, str) and value.isascii() and "=?" not in value:
        # Plain ASCII without encoded words (most headers): only unfold and bound, and
        # only scan for what is there (most values are one line without NULs).
        text = value[: limit * 4]
        if "\n" in text:
            text = _FOLDING.sub(" ", text)
        if "\x00" in text:
            text = text.replace("\x00", "")
        return text.strip()[:limit]
    raw = value if isinstance(value, bytes) else _unescape(str(value))
    text = raw[: limit * 4].decode("ascii", "surrogateescape")
    text = _FOLDING.sub(" ", text)
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        # White space between two encoded words is not part of the text (RFC 2047 6.2).
        if not (pending and _WSP_ONLY.fullmatch(between)):
            flush()
            out.append(decode_bytes(_unescape(between)))
        charset = match.group(1).split("*", 1)[0].lower()
        # Adjacent words of one charset are joined before decoding: senders split
        # multi-byte characters (Arabic, Persian) across words.
        if pending and charset != pending_charset:
            flush()
        pending_charset = charset
        pending.append(_decode_word(match.group(2), match.group(3)))
        position = match.end()
    flush()
    out.append(decode_bytes(_unescape(text[position:])))
    decoded = "".join(out).replace("\x00", "")
    return decoded.strip()[:limit]


# --- header fields --------------------------------------------------------------------------

# Control characters are never part of an id: one could end up in a reply's In-Reply-To.
_MSGID = re.compile(r"<[^<>\s\x00-\x1f\x7f]{1,500}>")
_ID_CHARS = re.compile(r"[^<>\s\x00-\x1f\x7f]{1,500}")


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSGID.search(value)
    if match:
        return match.group(0)
    bare = _ID_CHARS.search(value)
    return f"<{bare.group(0)}>" if bare else None


_REFERENCES_WINDOW = MAX_REFERENCES * 600


def _id_list(value: str | None) -> list[str]:
    """Message ids of a References header, trimmed as RFC 5322 3.6.4 suggests: the thread's
    root and the newest ones (the direct parent is last)."""
    if not value:
        return []
    ids = _MSGID.findall(value)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


_ADDR = r"[^<>\s\",()\\;:\[\]@]+@[^<>\s\",()\\;:\[\]@]+"
_SIMPLE_ADDRESS = re.compile(rf"\s*(?:([^\",<>()\\;:@\[\]]*?)\s*<({_ADDR})>|({_ADDR}))\s*")


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-case addr-spec) pairs; names decoded, junk entries dropped."""
    if not values:
        return []
    raw_pairs: list[tuple[str, str]] = []
    simple = [_SIMPLE_ADDRESS.fullmatch(v) for v in values[:20]]
    if all(simple):
        # One plain address per header (the usual case) needs no full RFC 5322 parser.
        raw_pairs = [(m.group(1) or "", m.group(2) or m.group(3)) for m in simple if m]
    else:
        # Each ':' opens a group the legacy parser recurses into: a run of them is an attack
        # (RecursionError, losing every header after it), never a list of recipients.
        bounded = [v[:MAX_HEADER_VALUE] for v in values[:20] if v.count(":") <= MAX_GROUPS]
        try:
            raw_pairs = getaddresses(bounded)
        except RecursionError:
            raw_pairs = []
    pairs: list[tuple[str, str]] = []
    for name, addr in raw_pairs[:MAX_ADDRESSES]:
        addr = decode_header_value(addr, 320).strip().lower()
        if "@" not in addr or " " in addr:
            continue
        pairs.append((decode_header_value(name, 200).strip().strip('"').strip(), addr))
    return pairs


# Reply-To addresses kept: a reply goes to each of them.
MAX_REPLY_TO = 5


def _sender(values: list[str]) -> tuple[str, str]:
    """(display name, lower-case address) of a From, Sender or Reply-To header, read strictly.

    A header that is not exactly one well-formed mailbox (more than one such header too)
    gives its text as the name and no address (:mod:`supportinbox.domain.senders`).
    """
    if not values:
        return "", ""
    value = " ".join(values[:2]) if len(values) > 1 else values[0]
    sender = parse_sender(value[:MAX_HEADER_VALUE])
    if len(values) > 1:
        sender = Sender(value, "", malformed=True)
    name = decode_header_value(sender.name, 200).strip()
    if not sender.malformed:
        name = name.strip('"').strip()
    return name, decode_header_value(sender.addr, 320).strip().lower()


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_COMMON_DATE = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) "
    r"([+-])(\d{2})(\d{2})\s*(?:\(.*\))?\s*"
)


def _date(value: str | None) -> str | None:
    if not value:
        return None
    common = _COMMON_DATE.fullmatch(value[:200])
    if common is not None and common.group(2).lower() in _MONTHS:
        # The usual RFC 5322 form, read without the general (slow) date parser.
        day, month, year, hour, minute, second, sign, off_h, off_m = common.groups()
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
        try:
            stamp = datetime(
                int(year),
                _MONTHS[month.lower()],
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=timezone(offset),
            )
            return stamp.astimezone(UTC).isoformat(timespec="seconds")
        except (ValueError, OverflowError):
            return None
    try:
        parsed = parsedate_to_datetime(value.strip()[:200])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return as_utc(parsed).isoformat(timespec="seconds")
    except (OverflowError, ValueError):
        return None


_PRIORITY_WORDS = {"highest": 1, "urgent": 1, "high": 2, "normal": 3, "low": 4, "lowest": 5, "non-urgent": 5}
_IMPORTANCE = {"high": 1, "normal": 3, "low": 5}


def _priority(headers: dict[str, str]) -> int | None:
    if not headers:
        return None
    value = headers.get("x-priority", "").strip()
    match = re.match(r"(\d)", value)
    if match and 1 <= int(match.group(1)) <= 5:
        return int(match.group(1))
    for name, table in (("importance", _IMPORTANCE), ("x-msmail-priority", _IMPORTANCE)):
        word = headers.get(name, "").strip().lower()
        if word in table:
            return table[word]
    word = headers.get("priority", "").strip().lower()
    return _PRIORITY_WORDS.get(word)


_LINE_BREAK = re.compile(r"\r?\n")


def split_headers(block: bytes) -> tuple[list[tuple[str, str]], bool]:
    """(name, raw value) pairs of a header block, and whether it was malformed.

    A linear scan instead of the stdlib feed parser (which costs most of a sync's parsing
    time); 8-bit bytes are kept as surrogates for :func:`decode_header_value`.
    """
    text = block[:MAX_HEADER_BLOCK].decode("ascii", "surrogateescape")
    fields: list[list[str]] = []
    broken = False
    for number, line in enumerate(_LINE_BREAK.split(text)):
        if not line:
            break
        if line[0] in " \t":
            if fields:
                fields[-1].append(line)
            else:
                broken = True
            continue
        name, colon, value = line.partition(":")
        if number == 0 and line.startswith("From "):
            continue  # an mbox separator line
        name = name.rstrip(" \t")
        # A field name is 1 to 200 printable ASCII characters other than space and colon
        # (string tests instead of a regex match: this runs for every header line).
        if not (colon and 0 < len(name) <= 200 and name.isascii() and name.isprintable() and " " not in name):
            broken = True
            break
        fields.append([name, value.lstrip(" \t")])
        if len(fields) >= 2000:
            break
    return [(f[0], f[1] if len(f) == 2 else "\n".join(f[1:])) for f in fields], broken


def _fill_headers(parsed: ParsedMessage, pairs: list[tuple[str, str]]) -> None:
    first: dict[str, str] = {}
    every: dict[str, list[str]] = {}
    for name, value in pairs[:2000]:
        key = name.strip().lower()
        if key not in first:
            first[key] = value
        if key in _REPEATED_HEADERS:
            every.setdefault(key, []).append(value)
        if key.startswith(SPAM_HEADER_PREFIXES) and len(parsed.spam_headers) < 30:
            parsed.spam_headers.setdefault(key, decode_header_value(value, 1000))
    parsed.subject = decode_header_value(first.get("subject"), 1000)
    # Raw values carry 8-bit bytes as surrogates, which SQLite refuses: decode ids too.
    parsed.message_id = _first_id(decode_header_value(first.get("message-id")))
    parsed.in_reply_to = _first_id(decode_header_value(first.get("in-reply-to")))
    references = first.get("references") or ""
    if len(references) > 2 * _REFERENCES_WINDOW:  # only the two ends of a huge header matter
        references = references[:_REFERENCES_WINDOW] + " " + references[-_REFERENCES_WINDOW:]
    parsed.references = _id_list(decode_header_value(references, 2 * _REFERENCES_WINDOW + 1))
    parsed.from_name, parsed.from_addr = _sender(every.get("from") or every.get("sender") or [])
    if not parsed.from_addr and len(every.get("from", ())) == 1 and len(every.get("sender", ())) == 1:
        # Several authors, or none named: the Sender sent it (RFC 5322 section 3.6.2).
        author = author_by_sender(every["from"][0][:MAX_HEADER_VALUE], every["sender"][0][:MAX_HEADER_VALUE])
        if author is not None:
            parsed.from_name = decode_header_value(author.name, 200).strip().strip('"').strip()
            parsed.from_addr = decode_header_value(author.addr, 320).strip().lower()
    reply_name, parsed.reply_to = _sender(every.get("reply-to", []))
    if not parsed.reply_to and every.get("reply-to"):
        # Reply-To is an address list (RFC 5322): '"Ana Silva" <ana@…>, boss@…' names both,
        # kept space-separated, the first one's name beside them.
        listed = _addresses(every["reply-to"][:1])[:MAX_REPLY_TO]
        if listed:
            reply_name, parsed.reply_to = listed[0][0], " ".join(addr for _, addr in listed)
    parsed.reply_to_name = reply_name if parsed.reply_to else ""
    parsed.to_addrs = [addr for _, addr in _addresses(every.get("to", []))]
    parsed.cc_addrs = [addr for _, addr in _addresses(every.get("cc", []))]
    parsed.date = _date(first.get("date"))
    parsed.auth_results = "\n".join(
        decode_header_value(v, 2000) for v in every.get("authentication-results", [])[:5]
    )
    simple = {k: decode_header_value(first[k], 200) for k in _SIMPLE_HEADERS if k in first}
    parsed.priority = _priority(simple)
    parsed.list_headers = (
        "list-id" in first
        or "list-unsubscribe" in first
        or simple.get("precedence", "").strip().lower() in LIST_PRECEDENCE
    )
    found = automated.classify(simple, parsed.from_addr)
    parsed.automated, parsed.automated_reason = found.kind, found.reason


_SIMPLE_HEADERS = ("x-priority", "importance", "x-msmail-priority", "priority", *automated.HEADERS)
# Headers whose every occurrence counts (the others: the first one).
_REPEATED_HEADERS = frozenset(("from", "sender", "reply-to", "to", "cc", "authentication-results"))


def _raw_header_text(header_bytes: bytes) -> str:
    return decode_bytes(header_bytes[:MAX_RAW_HEADERS]).replace("\x00", "")


def parse_header_block(header_bytes: bytes) -> ParsedMessage:
    """Parse just a header block (as fetched by ``BODY.PEEK[HEADER]``); never raises."""
    parsed = ParsedMessage(raw_headers=_raw_header_text(header_bytes))
    try:
        pairs, broken = split_headers(header_bytes)
        _fill_headers(parsed, pairs)
        if not pairs:
            parsed.parse_error = "malformed message: no header could be read"
        elif broken:
            parsed.parse_error = "malformed header block: a line is neither a header nor a continuation"
    except Exception as exc:  # noqa: BLE001 - hostile input must never abort a sync
        parsed.parse_error = f"headers: {type(exc).__name__}: {str(exc)[:200]}"
    return parsed


# --- bodies ---------------------------------------------------------------------------------


def transfer_decoded(data: bytes, encoding: str | None) -> bytes:
    """A part's bytes without its Content-Transfer-Encoding (broken base64 reads as nothing)."""
    kind = (encoding or "").strip().lower()
    if kind == "base64":
        try:
            return lenient_b64decode(data)
        except (binascii.Error, ValueError):
            return b""
    if kind == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


def decode_body(
    data: bytes,
    *,
    encoding: str | None,
    charset: str | None,
    html: bool,
    cut: bool = False,
    flowed: str | None = None,
) -> str:
    """Decode a text part (``cut`` if it was cut off): transfer encoding, charset, HTML to text.

    ``flowed`` is the part's ``format`` parameter and, after a ``;``, its ``delsp``
    (``"flowed;yes"``): a format=flowed text is read as the paragraphs it stands for.
    """
    data = transfer_decoded(data, encoding)
    text = decode_bytes(data, charset, cut=cut).replace("\r\n", "\n")
    if "\x00" in text:  # a scan is cheaper than copying the whole text
        text = text.replace("\x00", "")
    if html:
        from supportinbox.mail.html import html_to_text

        text = html_to_text(text)
    elif flowed and flowed.partition(";")[0] == "flowed":
        text = unflow(text, delsp=flowed.partition(";")[2] == "yes")
    if not html and _SIGNED_START in text:
        text = unarmor(text)
    return text


_SIGNED_START = "-----BEGIN PGP SIGNED MESSAGE-----"
_SIGNATURE_START = "\n-----BEGIN PGP SIGNATURE-----"
_SIGNATURE_END = "-----END PGP SIGNATURE-----"
_ARMOR_HEADER = re.compile(r"[A-Za-z-]+:[^\n]*")
_MAX_SIGNED_BLOCKS = 10


def unarmor(text: str) -> str:
    """A cleartext-signed (inline PGP) text as its author wrote it (RFC 4880 section 7).

    The armour lines, the Hash header and the signature block go; dash-escaped lines
    ("- -- " for a signature's "-- ") read as written. Text outside the signed block stays;
    a block without its signature is left as it came.
    """
    out: list[str] = []
    position = 0
    for _ in range(_MAX_SIGNED_BLOCKS):
        begin = text.find(_SIGNED_START, position)
        if begin < 0 or (begin and text[begin - 1] != "\n"):
            break
        lines_end = text.find("\n\n", begin)
        signature = text.find(_SIGNATURE_START, lines_end) if lines_end >= 0 else -1
        finish = text.find(_SIGNATURE_END, signature) if signature >= 0 else -1
        if finish < 0:
            break
        headers = text[begin + len(_SIGNED_START) : lines_end].strip("\n ").split("\n")
        if any(h and not _ARMOR_HEADER.fullmatch(h.strip()) for h in headers):
            break
        signed = text[lines_end + 2 : signature].split("\n")
        out.append(text[position:begin])
        out.append("\n".join(line[2:] if line.startswith("- ") else line for line in signed) + "\n")
        position = finish + len(_SIGNATURE_END)
        position += 1 if text.startswith("\n", position) else 0
    out.append(text[position:])
    return "".join(out)


def flowed_param(format_value: str | None, delsp_value: str | None) -> str | None:
    """A text part's ``format`` and ``delsp`` parameters as :func:`decode_body` takes them."""
    kind = (format_value or "").strip().strip('"').lower()
    return f"{kind};{(delsp_value or '').strip().strip(chr(34)).lower()}" if kind else None


_QUOTES = re.compile(r">+")


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft line breaks of a format=flowed text (RFC 3676).

    Thunderbird and other clients send plain text as format=flowed: a line ending in a
    space goes on in the next line of the same quote depth. Shown as sent, a paragraph
    keeps the sender's breaks at 72 columns and wraps raggedly at any other width. Quote
    marks are written back as ``>`` per level and a space; the leading space of a stuffed
    line is removed; the signature separator ``-- `` ends a paragraph.
    """
    out: list[str] = []
    pending: str | None = None  # a flowed paragraph still open, without its quote marks
    pending_depth = 0

    def marks(depth: int) -> str:
        return ">" * depth + " " if depth else ""

    for line in text.split("\n"):
        quoted = _QUOTES.match(line)
        depth = len(quoted.group(0)) if quoted else 0
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after the quote marks)
        if pending is not None and (depth != pending_depth or content == "-- "):
            # Nothing flows into another quote level, nor into the signature separator.
            out.append(marks(pending_depth) + pending.rstrip(" "))
            pending = None
        if content == "-- ":
            out.append(marks(depth) + content)
            continue
        if pending is not None:
            content, pending = pending + content, None
        if content.endswith(" "):
            pending, pending_depth = (content[:-1] if delsp else content), depth
            continue
        out.append(marks(depth) + content)
    if pending is not None:
        out.append(marks(pending_depth) + pending.rstrip(" "))
    return "\n".join(out)


def limit_text(text: str, truncated: bool = False) -> tuple[str, bool]:
    """Cap body text at :data:`MAX_TEXT` characters."""
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], True
    return text, truncated


def estimated_size(encoded_size: int, encoding: str | None) -> int:
    """Decoded size of a part from its encoded size.

    Base64 carries 57 bytes in each line of 76 characters plus CR LF.
    """
    if (encoding or "").strip().lower() == "base64":
        return encoded_size * 57 // 78
    return encoded_size


def _filename(part: Message) -> str:
    name = part.get_param("filename", None, header="content-disposition")
    if name is None:
        name = part.get_param("name", None, header="content-type")
    if isinstance(name, tuple):  # RFC 2231: (charset, language, value)
        charset, _, value = name
        raw = value.encode("latin-1", "surrogateescape") if isinstance(value, str) else bytes(value)
        return decode_bytes(_unquote_2231(raw), charset or "utf-8")[:255]
    return decode_header_value(str(name), 255) if name else ""


def _unquote_2231(raw: bytes) -> bytes:
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _is_attachment(part: Message, maintype: str) -> bool:
    disposition = str(part.get("content-disposition", "")).split(";", 1)[0].strip().lower()
    return disposition == "attachment" or maintype not in ("text", "multipart")


def _walk(msg: Message) -> list[tuple[str, Message]]:
    """Leaf parts with IMAP section numbers, iteratively, depth- and count-bounded."""
    leaves: list[tuple[str, Message]] = []
    stack: list[tuple[str, Message, int]] = [("", msg, 0)]
    visited = 0
    while stack and visited < MAX_PARTS:
        number, part, depth = stack.pop()
        visited += 1
        payload = part.get_payload()
        # A message/rfc822 part (a forward, a bounce's returned mail) is a leaf, as IMAP's
        # BODYSTRUCTURE shows it: its own parts are not this message's.
        if part.is_multipart() and isinstance(payload, list) and part.get_content_type() != "message/rfc822":
            if depth >= MAX_DEPTH:
                continue
            children = [
                (f"{number}.{index}" if number else str(index), child, depth + 1)
                for index, child in enumerate(payload, start=1)
                if isinstance(child, Message)
            ]
            stack.extend(reversed(children))
        else:
            leaves.append((number or "1", part))
    return leaves


def _forwarded_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if part.get_content_type() == "message/rfc822" and isinstance(payload, list) and payload:
        inner = payload[0]
        return inner if isinstance(inner, Message) else None
    return None


def _fill_body(parsed: ParsedMessage, msg: Message, *, forwards: bool = True) -> None:
    plain: Message | None = None
    html: Message | None = None
    forwarded: list[tuple[bytes, str]] = []
    tnef: Message | None = None
    for number, part in _walk(msg):
        content_type = part.get_content_type()
        if content_type in TNEF_TYPES and tnef is None:
            tnef = part
        maintype = content_type.split("/", 1)[0]
        if content_type == "text/calendar":
            apply_calendar(parsed, _param(part, "method"))
        inner = _forwarded_message(part)
        if inner is not None and forwards and len(forwarded) < MAX_FORWARDED:
            # What is forwarded is read as the engine reads it (sync.structure): its text.
            header = inner.as_bytes(policy=compat32).split(b"\n\n", 1)[0] + b"\n\n"
            inner_parsed = ParsedMessage()
            _fill_body(inner_parsed, inner, forwards=False)
            forwarded.append((header, inner_parsed.body_text))
        if _is_attachment(part, maintype):
            if len(parsed.attachments) < MAX_ATTACHMENTS:
                payload = part.get_payload()
                size = len(payload) if isinstance(payload, str) else len(inner.as_bytes()) if inner else 0
                encoding = str(part.get("content-transfer-encoding", ""))
                name = _filename(part)
                if not name and inner is not None:
                    name = forwarded_name(decode_header_value(inner.get("subject"), 200))
                parsed.attachments.append(
                    Attachment(
                        filename=name,
                        content_type=content_type[:100],
                        size=estimated_size(size, encoding),
                        part=number,
                    )
                )
        elif content_type == "text/plain" and plain is None:
            plain = part
        elif content_type == "text/html" and html is None:
            html = part
    if parsed.automated == automated.BOUNCE:
        apply_report(parsed, *_report_texts(msg))
        forwarded = []  # the message a bounce returns is ours, not forwarded to us
    chosen = plain or html
    if chosen is None:
        if forwarded:
            parsed.body_text, parsed.body_truncated = limit_text(with_forwarded("", forwarded))
        elif tnef is not None:
            from supportinbox.mail.tnef import tnef_text

            payload = tnef.get_payload()
            encoded = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else b""
            decoded = transfer_decoded(encoded, str(tnef.get("content-transfer-encoding", "")))
            parsed.body_text, parsed.body_truncated = limit_text(tnef_text(decoded))
        return
    payload = chosen.get_payload()
    encoding = str(chosen.get("content-transfer-encoding", ""))
    if encoding.strip().lower() in ("base64", "quoted-printable"):
        encoded = _unescape(payload) if isinstance(payload, str) else b""
    else:
        # 8-bit text as it came: get_payload() hands it back already decoded by its charset
        # (which decode_body would decode a second time: "eingerÃ¼ckt").
        raw = chosen.get_payload(decode=True)
        encoded = raw if isinstance(raw, bytes) else b""
    cut = len(encoded) > MAX_TEXT
    text = decode_body(
        encoded[:MAX_TEXT],
        encoding=encoding,
        charset=chosen.get_content_charset(None),
        html=chosen is html,
        cut=cut,
        flowed=flowed_param(_param(chosen, "format"), _param(chosen, "delsp")),
    )
    if forwarded:
        text = with_forwarded(text, forwarded)
    parsed.body_text, parsed.body_truncated = limit_text(text, cut)


def _param(part: Message, name: str) -> str | None:
    value = part.get_param(name)
    return value if isinstance(value, str) else None


def _report_texts(msg: Message) -> tuple[str, str]:
    """The delivery-status text and the returned message's headers of a bounce."""
    status = returned = ""
    for index, part in enumerate(msg.walk()):
        if index >= MAX_PARTS:
            break
        content_type = part.get_content_type()
        payload = part.get_payload()
        if content_type == "message/delivery-status" and not status:
            # compat32 hands each block of the report over as a headers-only message.
            blocks = payload if isinstance(payload, list) else []
            status = "\n\n".join(
                "\n".join(f"{k}: {v}" for k, v in block.items())
                for block in blocks
                if isinstance(block, Message)
            )
        elif content_type == "text/rfc822-headers" and not returned:
            data = part.get_payload(decode=True)
            returned = decode_bytes(data[:65_536]) if isinstance(data, bytes) else ""
        elif content_type == "message/rfc822" and not returned and isinstance(payload, list) and payload:
            inner = payload[0]
            if isinstance(inner, Message):
                returned = "\n".join(f"{k}: {v}" for k, v in inner.items())
    return status, returned


def apply_report(parsed: ParsedMessage, delivery_status: str, returned_headers: str) -> None:
    """Fill a bounce's details (which message of ours failed, for whom, why) from its report."""
    report = automated.bounce_report(delivery_status, returned_headers)
    if report is None:
        return
    parsed.bounce_of = report.message_id
    parsed.bounce_recipient = report.recipient
    parsed.bounce_reason = report.reason


def forwarded_name(subject: str) -> str:
    """The file name of a forwarded message that has none: its subject, as a .eml file."""
    return f"{subject or 'forwarded message'}.eml"


def with_forwarded(body: str, forwarded: list[tuple[bytes, str]]) -> str:
    """``body`` followed by each message forwarded as an attachment (its header, its text).

    Each reads as an inline forward does ("---------- Forwarded message ----------", From,
    Date, Subject, To, then its text): what a customer forwards is what they want us to read.
    """
    from supportinbox.domain.forward import ForwardedMessage, forward_body

    parts = [body.rstrip()] if body.strip() else []
    for header, text in forwarded:
        inner = parse_header_block(header)
        message = ForwardedMessage(
            inner.from_name, inner.from_addr, inner.date, inner.subject, text, to=tuple(inner.to_addrs)
        )
        parts.append(forward_body([message]).rstrip())
    return "\n\n".join(parts)


def apply_calendar(parsed: ParsedMessage, method: str | None) -> None:
    """Mark a message with an iTIP calendar part (an invitation...) as automated mail."""
    if method and not parsed.automated:
        found = automated.calendar(method)
        parsed.automated, parsed.automated_reason = found.kind, found.reason


def _split_header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(separator, 0, MAX_HEADER_BLOCK)
        if index >= 0:
            return raw[: index + len(separator)]
    return raw[: MAX_RAW_HEADERS * 4]


_MULTIPART_HEADER = re.compile(rb"content-type:[ \t]*multipart/", re.IGNORECASE)


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a whole raw message; never raises (``parse_error`` says what went wrong)."""
    parsed = parse_header_block(_split_header_block(raw))
    containers = sum(1 for _ in itertools.islice(_MULTIPART_HEADER.finditer(raw), MAX_CONTAINERS + 1))
    if containers > MAX_CONTAINERS:
        # The stdlib parser recurses once per level: a deeply nested bomb would cost
        # seconds and end in RecursionError, so the body is not parsed at all.
        parsed.parse_error = f"more than {MAX_CONTAINERS} nested MIME containers: body not shown"
        return parsed
    try:
        msg = message_from_bytes(raw, policy=compat32)
        _fill_body(parsed, msg)
    except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError-free hostile MIME
        error = f"body: {type(exc).__name__}: {str(exc)[:200]}"
        parsed.parse_error = f"{parsed.parse_error}; {error}" if parsed.parse_error else error
    return parsed
