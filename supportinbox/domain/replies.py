"""Building a reply e-mail: recipients, threading headers, quoting, body encoding.

Pure functions, no I/O. Every value that reaches a header comes from mail written by a
stranger or from a template, so each one is folded to a single line of safe text and each
address and Message-ID is validated before use: a customer called ``"x\\r\\nBcc: ..."`` or a
subject with line breaks cannot add a header. ``email.policy`` refuses line breaks in
header values as a second line of defence.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid

from supportinbox.config import AccountConfig
from supportinbox.domain.customer import (
    NOBODY,
    Party,
    customer_of,
    form_topic,
    forwarded_sender,
    is_no_reply,
    named_by_form,
    own_addresses,
)
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.names import first_name
from supportinbox.domain.quoting import new_text
from supportinbox.domain.safetext import clean, one_line
from supportinbox.domain.subjects import strip_reply_prefixes
from supportinbox.domain.templates import WRAP_WIDTH, TemplateVariables, trim_line
from supportinbox.errors import UserError

# Bytes on the wire: CRLF line ends; bodies 7-bit clean (quoted-printable or base64,
# whichever is shorter, chosen by set_content), so no relay without 8BITMIME can mangle
# them; headers with non-ASCII text are RFC 2047 encoded.
WIRE_POLICY = policy.SMTP.clone(cte_type="7bit")
UNFOLDED_POLICY = WIRE_POLICY.clone(max_line_length=998)

MAX_REFERENCES = 20

_AGENT = re.compile(r"[\w.-]{1,64}")
QUOTE_MAX_LINES = 40

# ASCII addresses only: an internationalised address would need SMTPUTF8 end to end.
_ADDR_SPEC = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9.\-]+$")
_MSGID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]+>$")
_BRACKETED = re.compile(r"<[^<>\s]+>")
# Lenient on purpose: email's own header parser also decodes words with spaces inside.
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?.*?\?=", re.DOTALL)


class ReplyError(UserError):
    """The reply cannot be built (no usable recipient address)."""

    title = "Reply"
    exit_code = 2


@dataclass(frozen=True)
class Original:
    """The customer's message being answered, as the cache holds it."""

    from_name: str
    from_addr: str
    subject: str
    message_id: str | None = None
    references: Sequence[str] = ()
    reply_to: Sequence[str] = ()
    to_addrs: Sequence[str] = ()
    cc_addrs: Sequence[str] = ()
    body_text: str = ""
    reply_to_name: str = ""  # the display name of the first Reply-To address
    # Display names of the To and Cc addresses (by lower-cased address), for a reply to all.
    names: Mapping[str, str] = field(default_factory=dict)

    def customer(self, own: Iterable[str]) -> Party:
        """Who this message stands for (:func:`supportinbox.domain.customer.customer_of`)."""
        first = self.reply_to[0] if self.reply_to else ""
        return customer_of(
            self.from_name, self.from_addr, self.reply_to_name, first, own, body=self.body_text
        )


@dataclass(frozen=True)
class Recipients:
    """Who gets the reply: ``to`` and, for reply-all, ``cc``."""

    to: tuple[Address, ...]
    cc: tuple[Address, ...] = field(default_factory=tuple)


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        return _ENCODED_WORD.sub(" ", text)


def header_text(value: str | None, *, limit: int = 900) -> str:
    """A single line of safe text for a header: controls removed, all line breaks folded.

    The cache holds decoded text, so an RFC 2047 encoded word still in it was encoded
    twice on purpose: ``email`` would decode it again when the header is set, and a
    ``=0D=0A`` inside would become a real line break. Such words are decoded here, before
    line breaks are folded, and any "=?" left is defused so nothing can be decoded again.
    """
    text = value or ""
    for _ in range(3):
        if not _ENCODED_WORD.search(text):
            break
        text = _decode_words(text)
    return one_line(text, limit=limit).replace("=?", "= ?")


def valid_address(addr: str) -> str | None:
    """The addr-spec if it is one plain address (no spaces, brackets, commas or controls)."""
    addr = addr.strip()
    if len(addr) > 254 or addr.count("@") != 1 or "=?" in addr or not _ADDR_SPEC.match(addr):
        return None
    local, _, domain = addr.partition("@")
    if not local or not domain or domain.startswith(".") or ".." in domain:
        return None
    return addr


def valid_msgid(value: str | None) -> str | None:
    """``<id@host>`` if ``value`` is one well-formed Message-ID (brackets added if missing)."""
    if not value:
        return None
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    # "=?" would let the header parser decode an encoded word (and its line breaks).
    return value if len(value) <= 250 and "=?" not in value and _MSGID.match(value) else None


def split_msgids(text: str | Iterable[str]) -> list[str]:
    """Valid Message-IDs from a References-like value (a string or a list of strings)."""
    items = [text] if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        tokens = _BRACKETED.findall(item) if "<" in (item or "") else (item or "").split()
        for token in tokens:
            msgid = valid_msgid(token)
            if msgid and msgid not in out:
                out.append(msgid)
    return out


def base_subject(subject: str | None) -> str:
    """The subject without any stack of Re:/AW:/Fwd: prefixes."""
    return strip_reply_prefixes(header_text(subject)).strip()


def reply_subject(subject: str | None, prefix: str = "") -> str:
    """``Re: <subject>``, never ``Re: RE: AW: ...``; ``prefix`` (e.g. ``[Acme]``) added once."""
    base = base_subject(subject)
    prefix = header_text(prefix)
    if prefix and prefix.lower() not in base.lower():
        base = f"{prefix} {base}".strip()
    return f"Re: {base}" if base else "Re: your message"


def _address(name: str, addr: str) -> Address:
    display = header_text(name, limit=200).strip("\"'").strip()
    if display.lower() == addr.lower():
        display = ""
    return Address(display_name=display, addr_spec=addr)


def _domain(addr: str) -> str:
    return addr.rpartition("@")[2].lower()


def reply_to_elsewhere(from_addr: str, reply_to: Iterable[str]) -> list[str]:
    """Reply-To addresses in another domain than the sender's: a reply goes there, not to From.

    A fact, not a verdict: contact forms and help desks set one on purpose, and so does
    someone who forged From to have the answer sent to themselves.
    """
    sender = _domain(from_addr)
    found: list[str] = []
    for raw in reply_to:
        addr = valid_address(raw)
        if addr and _domain(addr) != sender and addr.lower() not in (a.lower() for a in found):
            found.append(addr)
    return found


def reply_to_note(from_addr: str, reply_to: Iterable[str]) -> str:
    """``Reply-To differs from sender: a@x.test`` when :func:`reply_to_elsewhere` finds any."""
    elsewhere = reply_to_elsewhere(from_addr, reply_to)
    return f"Reply-To differs from sender: {', '.join(elsewhere)}" if elsewhere else ""


@dataclass(frozen=True)
class Addressees:
    """Where a reply goes, as shown before it is sent (``cc`` and ``note`` may be empty)."""

    to: str
    cc: str
    note: str


def addressees(original: Original, account: AccountConfig, *, reply_all: bool = False) -> Addressees:
    """The reply's real To and Cc (as :func:`build_reply` sets them) and the Reply-To note."""
    rcpt = recipients(original, own_addresses(account), reply_all=reply_all)
    note = reply_to_note(original.from_addr, original.reply_to)
    if not any(valid_address(r) for r in original.reply_to) and rcpt.to:
        first = rcpt.to[0].addr_spec
        if first.lower() == forwarded_sender(original.body_text).email != original.from_addr.strip().lower():
            # A colleague's forward: said, so the colleague is not thought to be answered.
            sender = one_line(original.from_addr, limit=100)
            note = f"To is the sender of the message {sender} forwarded: {first}"
        elif first.lower() != original.from_addr.strip().lower():
            # Read from a contact form's fields: said, as a Reply-To elsewhere is.
            note = f"To is the address the contact form's fields give (it sets no Reply-To): {first}"
    return Addressees(
        to=", ".join(str(a) for a in rcpt.to),
        cc=", ".join(str(a) for a in rcpt.cc),
        note=note,
    )


def recipients(original: Original, own_addresses: Iterable[str], *, reply_all: bool = False) -> Recipients:
    """To = Reply-To if given, else From; with ``reply_all`` the other To/Cc go to Cc, minus us.

    A contact form without a Reply-To goes to the person its fields name. A message from a
    no-reply address (a notification) naming nobody is refused rather than answered into
    the void.
    """
    own = {a.lower() for a in own_addresses}
    to: list[Address] = []
    seen: set[str] = set()
    targets = [a for a in (valid_address(r) for r in original.reply_to) if a]
    form = NOBODY
    if not targets:
        form = original.customer(own)
        if form.email == original.from_addr.lower() or not valid_address(form.email):
            form = NOBODY
        targets = [form.email] if form else []
    if not targets:
        if is_no_reply(original.from_addr) and original.from_addr.lower() not in own:
            raise ReplyError(
                f"cannot reply: {header_text(original.from_addr, limit=80)!r} is a no-reply address "
                "and the message names no Reply-To to answer"
            )
        addr = valid_address(original.from_addr)
        if addr is None and not original.from_addr:
            raise ReplyError(
                "cannot reply: the sender's From header is not one valid address "
                f"({header_text(original.from_name, limit=80) or 'empty'}); write to the customer by hand"
            )
        if addr is None:
            raise ReplyError(
                f"cannot reply: the sender address {header_text(original.from_addr, limit=80)!r} is not valid"
            )
        targets = [addr]
    for addr in targets:
        if addr.lower() in seen or addr.lower() in own:
            continue
        seen.add(addr.lower())
        if addr.lower() == original.from_addr.lower():
            name = original.from_name
        elif original.reply_to and addr.lower() == original.reply_to[0].strip().lower():
            name = original.reply_to_name
        elif form and addr.lower() == form.email:
            name = form.name
        else:
            name = ""
        to.append(_address(name, addr))
    if not to:
        raise ReplyError("cannot reply: the message was sent from this account's own address")
    cc: list[Address] = []
    if reply_all:
        for raw in (*original.to_addrs, *original.cc_addrs):
            addr = valid_address(raw)
            if addr is None or addr.lower() in seen or addr.lower() in own:
                continue
            seen.add(addr.lower())
            cc.append(_address(original.names.get(addr.lower(), ""), addr))
    return Recipients(tuple(to), tuple(cc))


def references_chain(original: Original, limit: int = MAX_REFERENCES) -> list[str]:
    """Their References plus their Message-ID, keeping the thread root and the newest ids."""
    chain = split_msgids(list(original.references))
    own = valid_msgid(original.message_id)
    if own:
        chain = [m for m in chain if m != own] + [own]
    if len(chain) > limit:
        chain = [chain[0], *chain[-(limit - 1) :]]
    return chain


def quote(
    body: str, max_lines: int = QUOTE_MAX_LINES, width: int = WRAP_WIDTH, *, subject: str | None = None
) -> str:
    """The customer's new text, each line prefixed with ``> `` (long messages shortened).

    A line longer than ``width`` is wrapped at its spaces, each piece quoted: the text of
    an HTML mail or a format=flowed one is a paragraph a line, and quoted as one line it
    reads, in a mail client that wraps it, as a quote mark followed by unquoted text.
    """
    lines = clean(new_text(body, subject)).split("\n") if body else []
    if not any(line.strip() for line in lines):
        return ""
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], "[...]"]
    out: list[str] = []
    for line in lines:
        if len(line) + 2 <= width:
            out.append(f"> {line}" if line else ">")
            continue
        indent = line[: len(line) - len(line.lstrip())]
        pieces = textwrap.wrap(
            line, width - 2, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
        )
        out.extend(f"> {piece}" for piece in pieces or [line])
    return "\n".join(out)


def agent_display(agent: str) -> str:
    """``alice`` -> ``Alice``, ``bob.smith`` -> ``Bob Smith`` (mixed case kept as written)."""
    parts = [p for p in re.split(r"[._-]+", agent) if p]
    return " ".join(p.capitalize() if p.islower() else p for p in parts) or agent


def template_variables(
    original: Original,
    account: AccountConfig,
    conversation_id: str,
    *,
    fallback_first_name: str = "there",
    today: date | None = None,
    signature: str = "",
) -> TemplateVariables:
    """The values a template sees for a reply to ``original``, all as safe one-line text.

    ``customer`` is the person the message stands for: for a contact form, the Reply-To
    person, never the form ("Hi Acme").
    """
    party = named_by_form(original.customer(own_addresses(account)), original.from_addr, original.body_text)
    if party == NOBODY:
        party = Party(original.from_addr, "")
    name = header_text(party.name, limit=200).strip("\"'")
    own_text = new_text(original.body_text, original.subject).rstrip() if original.body_text else ""
    return TemplateVariables(
        customer_name=name,
        customer_first_name=first_name(name, party.email, fallback_first_name, own_text.rpartition("\n")[2]),
        customer_email=header_text(party.email, limit=254),
        subject=_subject_of(original, party),
        agent_name=agent_display(account.agent),
        account_display_name=header_text(account.display_name) or header_text(account.email),
        account_email=account.email,
        conversation_id=header_text(conversation_id),
        quote=quote(original.body_text, subject=original.subject),
        today=today or date.today(),
        signature=signature,
    )


def _subject_of(original: Original, party: Party) -> str:
    """What the reply says the message was about: its subject, or for a contact form (the
    customer is not the sender) what the customer wrote in the form."""
    if party.email and party.email != original.from_addr.lower():
        topic = header_text(form_topic(original.body_text or ""), limit=200)
        if topic:
            return topic
    return base_subject(original.subject)


def flow(text: str, width: int = 72) -> str:
    """Encode ``text`` as format=flowed (RFC 3676): soft breaks end in a space, stuffing."""
    out: list[str] = []
    for line in text.split("\n"):
        if line == "-- ":
            out.append(line)
            continue
        line = line.rstrip(" ")
        if line.startswith(">"):
            out.append(line)
            continue
        if line.startswith((" ", "From ")):
            line = " " + line
        while len(line) > width:
            cut = line.rfind(" ", 1, width)
            if cut <= 0:
                break
            out.append(line[: cut + 1])
            line = line[cut + 1 :]
            if line.startswith(("From ", " ")):
                line = " " + line
        out.append(line)
    return "\n".join(out)


def build_reply(
    original: Original,
    account: AccountConfig,
    body: str,
    *,
    reply_all: bool = False,
    subject_prefix: str = "",
    format_flowed: bool = False,
    now: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """The reply as an :class:`EmailMessage`, threaded under ``original``."""
    rcpt = recipients(original, own_addresses(account), reply_all=reply_all)
    domain = account.email.rpartition("@")[2]
    msg = EmailMessage(policy=WIRE_POLICY)
    msg["From"] = _address(account.display_name, account.email)
    msg["To"] = rcpt.to
    if rcpt.cc:
        msg["Cc"] = rcpt.cc
    msg["Subject"] = reply_subject(original.subject, subject_prefix)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain=domain)
    if _AGENT.fullmatch(account.agent):
        msg[AGENT_HEADER] = account.agent
    parent = valid_msgid(original.message_id)
    if parent:
        msg["In-Reply-To"] = parent
    chain = references_chain(original)
    if chain:
        msg["References"] = " ".join(chain)
    set_text(msg, body, format_flowed=format_flowed)
    return msg


def set_text(msg: EmailMessage, body: str, *, format_flowed: bool = False) -> None:
    """Write ``body`` as the reply's text (a new reply's, or a scheduled one edited): made
    inert, lines trimmed, encoded as format=flowed when asked."""
    text = "\n".join(trim_line(line) for line in clean(body).rstrip("\n").split("\n")) + "\n"
    if format_flowed:
        msg.set_content(flow(text), charset="utf-8", params={"format": "flowed"})
    else:
        msg.set_content(text, charset="utf-8")


def _header_view(msg: Message) -> list[object]:
    view: list[object] = [str(msg["Subject"] or "")]
    for name in ("From", "To", "Cc"):
        header = msg[name]
        addresses = getattr(header, "addresses", ()) if header is not None else ()
        view.append([(a.display_name, a.addr_spec) for a in addresses])
    return view


def to_bytes(msg: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends, 7-bit clean, headers proven to read back the same.

    ``email`` folds a long quoted or encoded display name so that it reads back as other
    addresses (``"Haddad, Lina...`` becomes two recipients). The bytes are therefore parsed
    again; if any name or address changed, the headers are written unfolded (lines up to
    the 998 characters RFC 5322 allows), which never needs to split a name.
    """
    expected = _header_view(msg)
    for wire in (WIRE_POLICY, UNFOLDED_POLICY):
        for raw in (msg.as_bytes(policy=wire), _subject_encoded(msg, wire)):
            if raw and _header_view(message_from_bytes(raw, policy=policy.default)) == expected:
                return raw
    raise ReplyError("cannot write the recipients' names so that they read back the same")


def _subject_encoded(msg: EmailMessage, wire: policy.Policy[EmailMessage]) -> bytes:
    """The message with its non-ASCII subject encoded by ``email.header`` ("" if ASCII).

    ``email``'s folding drops (or doubles) the space where it starts a new encoded word:
    "48213 — الفاتورة" read back as "48213— الفاتورة", and the headers were written
    unfolded, the subject as one encoded word of 150 characters where RFC 2047 allows 75.
    ``email.header`` keeps each space inside an encoded word, each word within 75.
    """
    subject = str(msg["Subject"] or "")
    if subject.isascii():
        return b""
    encoded = Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n", maxlinelen=76)
    plain = copy.deepcopy(msg)
    del plain["Subject"]
    return b"Subject: " + encoded.encode("ascii") + b"\r\n" + plain.as_bytes(policy=wire)
