"""Who sent a message, shown so that nobody can pass for someone else.

A display name is text the sender chose. ``"bob@bigcustomer.com" <eve@evil.test>`` or
``"Bob <bob@bigcustomer.com>" <eve@evil.test>`` shows as Bob's address in any view that
prints the name alone. And Python's own address parser reads some crafted headers
wrongly (CVE-2023-27043: ``alice@acme.test)<eve@evil.test>`` becomes ``alice@acme.test``
on Python 3.11 and 3.12), so the cache could believe a sender the header never named.

The rules, in one place:

* :func:`parse_sender` reads a From (or Sender, Reply-To) header strictly, the same way on
  every Python: exactly one mailbox, no parse defect, a plain addr-spec (no encoded word,
  no quoted ``@`` in the local part, no domain literal). Anything else is *malformed*: the
  address is dropped (``""``) so that no rule (VIP, known customer, the spam-folder check,
  the reply target) can trust it, and the header's text is kept as the name, to be shown.
* :func:`sender_warning` says why a sender must not be taken at face value: the address is
  missing or malformed, or the name holds an address other than the real one (look-alike
  ``＠`` signs included).
* :func:`sender_label` and :func:`sender_short` are what every view shows: the real address
  always, and a warning mark when there is a warning.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email import errors
from functools import cache

from supportinbox.domain.safetext import isolate, one_line

# Not typing.TYPE_CHECKING: reading the queue (``list --json``) loads no typing (see cli/quick.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from email.headerregistry import Address, HeaderRegistry
    from typing import Any

WARNING_MARK = "⚠"
MALFORMED = "malformed sender address"
NAME_HOLDS_ADDRESS = "the name holds another address"
# A message from our own address that is not ours (store/ours.py): forged, or sent by a
# client that kept no copy in Sent.
NOT_IN_SENT = "our own address, but not in Sent"
# What a narrow column shows for a malformed sender.
MALFORMED_SHORT = "malformed"

# Bounds for the full RFC 5322 parser: a real From is far shorter and has few comments.
_MAX_PARSED = 512
_MAX_SPECIALS = 12
# The common shapes: Name <addr>, "Name" <addr>, or addr alone, with nothing that needs the
# full RFC 5322 parser (no comments, escapes, groups, commas or a second address).
_PLAIN_ADDR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\u0080-\U0010ffff]+@[A-Za-z0-9.\-\u0080-\U0010ffff]+"
_SIMPLE = rf'\s*(?:(?:"([^"\\@<>]*)"|([^",<>()\\;:@\[\]]*?))\s*<({_PLAIN_ADDR})>|({_PLAIN_ADDR}))\s*'
# Something in a display name that reads as an address (after NFKC, so "＠" is "@").
_ADDRESS_IN_TEXT = re.compile(r"[^\s<>\"'(),;:@\[\]]+@[^\s<>\"'(),;:@\[\]]+\.[^\s<>\"'(),;:@\[\]]+")


@cache
def _simple() -> re.Pattern[str]:
    # Compiled on first use: its non-ASCII ranges take milliseconds to compile, and
    # commands that only show stored senders never parse one.
    return re.compile(_SIMPLE)


@cache
def _registry() -> HeaderRegistry:
    # The full RFC 5322 parser is rarely needed (see parse_sender) and slow to import.
    from email.headerregistry import HeaderRegistry

    return HeaderRegistry()


@dataclass(frozen=True)
class Sender:
    """A parsed sender: ``addr`` is ``""`` when the header is not one well-formed mailbox."""

    name: str
    addr: str
    malformed: bool = False


def _plain_address(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    return (
        bool(at and local and domain)
        and "=?" not in addr
        and not any(c in addr for c in '"[]\\ <>')
        and "@" not in local
        and not domain.startswith(".")
        and ".." not in domain
    )


def parse_sender(value: str) -> Sender:
    """One From / Sender / Reply-To header value, read strictly (see the module docstring).

    ``value`` is the header as received; the name comes back as written (encoded words
    still encoded on the common path: the caller decodes it), the address lower-cased.
    A malformed header comes back whole as the name, with no address.
    """
    simple = _simple().fullmatch(value)
    if simple is not None:
        quoted, bare, addr, alone = simple.groups()
        addr = addr or alone
        if _plain_address(addr):
            return Sender(quoted if quoted is not None else (bare or ""), addr.lower())
        return Sender(value, "", malformed=True)
    if len(value) > _MAX_PARSED or any(value.count(c) > _MAX_SPECIALS for c in '("\\'):
        # The full parser recurses per nested comment and slows down on runs of quotes and
        # escapes: a real sender needs few of them, so many are an attack, not a name.
        return Sender(value, "", malformed=True)
    try:
        # An AddressHeader that is also a BaseHeader (str) with .defects; typeshed has no such type.
        header: Any = _registry()("from", value)
        addresses: tuple[Address, ...] = header.addresses
    except (errors.HeaderParseError, ValueError, IndexError, TypeError, AttributeError, RecursionError):
        return Sender(value, "", malformed=True)
    defective = any(isinstance(d, errors.InvalidHeaderDefect) for d in header.defects)
    if len(addresses) != 1 or defective or not _plain_address(addresses[0].addr_spec):
        return Sender(value, "", malformed=True)
    return Sender(addresses[0].display_name, addresses[0].addr_spec.lower())


def author_by_sender(from_value: str, sender_value: str) -> Sender | None:
    """Who sent a mail whose From is not one mailbox, when RFC 5322 (3.6.2) says: its Sender.

    From may list several authors ("Olivia <o@…>, Karl <k@…>") or an empty group
    ("undisclosed-recipients:;"); then Sender names the one mailbox that sent it. That
    Sender is the person to answer when it is one of the listed authors or when From lists
    none; a Sender outside a list of authors is not taken (None: From stays malformed).
    """
    sender = parse_sender(sender_value)
    if sender.malformed or not sender.addr:
        return None
    if len(from_value) > _MAX_PARSED or any(from_value.count(c) > _MAX_SPECIALS for c in '("\\:'):
        return None
    try:
        header: Any = _registry()("from", from_value)
        authors: tuple[Address, ...] = header.addresses
    except (errors.HeaderParseError, ValueError, IndexError, TypeError, AttributeError, RecursionError):
        return None
    if any(isinstance(d, errors.InvalidHeaderDefect) for d in header.defects):
        return None
    if not all(_plain_address(a.addr_spec) for a in authors):
        return None
    listed = {a.addr_spec.lower(): a.display_name for a in authors}
    if authors and sender.addr not in listed:
        return None
    return Sender(listed.get(sender.addr) or sender.name, sender.addr)


def addresses_in(text: str) -> list[str]:
    """Address-like words in ``text`` (a display name), look-alike "@" signs folded."""
    folded = unicodedata.normalize("NFKC", text)
    return [m.group(0).strip(".").lower() for m in _ADDRESS_IN_TEXT.finditer(folded)]


def sender_warning(name: str, addr: str) -> str:
    """Why this sender must not be taken at face value; ``""`` when there is no reason."""
    if not addr:
        # No header at all (or a conversation we started) cannot pass for anyone.
        return MALFORMED if name else ""
    if any(a != addr.lower() for a in addresses_in(name)):
        return NAME_HOLDS_ADDRESS
    return ""


def sender_label(name: str, addr: str, *, limit: int | None = 40, reason: bool = True) -> str:
    """The sender for a header line: the name, always the real address, and any warning.

    ``Bob <bob@x.test>``; ``⚠ "bob@y.test" <eve@z.test> (the name holds another address)``;
    ``⚠ alice@x)<eve@y> (malformed sender address)``; ``""`` for nobody. ``reason=False``
    leaves out the reason in parentheses (a table row; the mark stays).

    A right-to-left name is a field of its own beside its address (:func:`isolate`): read as
    one right-to-left run, the label put ``<sara@c.test>`` before the name, and an address
    starting with digits lent them to the name's run.
    """
    warning = sender_warning(name, addr)
    shown = isolate(one_line(name, limit=limit))
    if not warning:
        return f"{shown} <{one_line(addr)}>" if shown else one_line(addr)
    why = f" ({warning})" if reason else ""
    if not addr:
        return f"{WARNING_MARK} {shown}{why}"
    return f'{WARNING_MARK} "{shown}" <{one_line(addr)}>{why}'


def sender_short(name: str, addr: str, *, limit: int | None = None) -> str:
    """The sender for a narrow column: the name, or the warning mark and the real address."""
    warning = sender_warning(name, addr)
    if not warning:
        return one_line(name or addr, limit=limit)
    return one_line(f"{WARNING_MARK} {addr or MALFORMED_SHORT}", limit=limit)
