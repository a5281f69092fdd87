"""A mailbox for the scripted IMAP server (tests/harness/fakeimap.py): UIDs a test can break.

:class:`Mailbox` holds an INBOX as UID -> message and answers SELECT / EXAMINE, UID SEARCH,
UID FETCH (of just the UIDs asked) and UID STORE like a plain IMAP4rev1 server without
CONDSTORE. A test changes it between syncs the way broken servers do: a UID given to
another message under the same UIDVALIDITY, UIDNEXT going backwards, keywords silently
dropped; ``interject`` adds untagged lines to FETCH answers (an EXPUNGE in the middle, a
FETCH for a UID nobody asked for); ``broken`` gives one message a BODYSTRUCTURE that breaks
the protocol and ``refused`` answers NO to a FETCH of content that names one of its messages
(a server bug on one message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.harness.fakeimap import Handler, Reply, literal


@dataclass
class FakeMessage:
    raw: bytes
    flags: set[bytes] = field(default_factory=set)
    arrived: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 8, 0, tzinfo=UTC))

    @property
    def header(self) -> bytes:
        return self.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"

    @property
    def body(self) -> bytes:
        return self.raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in self.raw else b""


def message(n: int, *, size: int = 0) -> FakeMessage:
    """A small plain-text message numbered ``n`` (``size`` pads the body)."""
    raw = (
        f"From: Customer {n} <c{n}@customer.test>\r\nTo: support@acme.test\r\nSubject: Question {n}\r\n"
        f"Message-ID: <q{n}@customer.test>\r\nDate: Thu, 26 Nov 2026 08:{n % 60:02d}:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hello, question {n}.\r\n" + "x" * size
    ).encode()
    return FakeMessage(raw, arrived=datetime(2026, 11, 26, 8, 0, tzinfo=UTC) + timedelta(minutes=n))


def _uids(spec: bytes, known: list[int]) -> list[int]:
    top = max(known, default=0)
    wanted: set[int] = set()
    for piece in spec.split(b","):
        low, _, high = piece.partition(b":")
        start = top if low == b"*" else int(low)
        end = start if not high else (top if high == b"*" else int(high))
        wanted.update(u for u in known if min(start, end) <= u <= max(start, end))
    return sorted(wanted)


@dataclass
class Mailbox:
    messages: dict[int, FakeMessage]
    uidvalidity: int = 7
    uidnext: int | None = None  # the next UID the server says it will give (default: max + 1)
    keep_keywords: bool = True
    # Untagged lines to add to the answer of a UID FETCH of the given UIDs (after the first).
    interject: Callable[[list[int]], bytes] | None = None
    # UID -> the bytes sent as its BODYSTRUCTURE instead of its own.
    broken: dict[int, bytes] = field(default_factory=dict)
    # UIDs whose content the server cannot read: a FETCH of structure or text naming one ends
    # in NO, after the others' answers (as Dovecot's SERVERBUG, Gmail's "could not be FETCHed").
    refused: set[int] = field(default_factory=set)

    def _select(self, tag: bytes, args: list[bytes]) -> Reply:
        if args and args[0].strip(b'"').upper() != b"INBOX":
            return tag + b" NO no such folder\r\n"
        uidnext = self.uidnext or max(self.messages, default=0) + 1
        permanent = b"\\Seen \\Answered \\Flagged \\Deleted \\Draft" + (
            b" \\*" if self.keep_keywords else b""
        )
        return (
            (
                b"* %d EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n"
                b"* OK [PERMANENTFLAGS (%s)] ok\r\n* OK [UIDVALIDITY %d] ok\r\n* OK [UIDNEXT %d] ok\r\n"
                % (len(self.messages), permanent, self.uidvalidity, uidnext)
            )
            + tag
            + b" OK [READ-WRITE] done\r\n"
        )

    def _seq(self, uid: int) -> int:
        return sorted(self.messages).index(uid) + 1

    def _fetch(self, tag: bytes, spec: bytes, items: bytes) -> Reply:
        asked = _uids(spec, list(self.messages))
        lines: list[bytes] = []
        for index, uid in enumerate(asked):
            if index == 1 and self.interject is not None:
                lines.append(self.interject(asked))
            msg = self.messages.get(uid)
            if msg is None:
                continue
            flags = b" ".join(sorted(msg.flags))
            parts = [b"UID %d" % uid, b"FLAGS (%s)" % flags]
            if b"RFC822.SIZE" in items:
                parts.append(b"RFC822.SIZE %d" % len(msg.raw))
            if b"INTERNALDATE" in items:
                parts.append(b'INTERNALDATE "%s"' % msg.arrived.strftime("%d-%b-%Y %H:%M:%S +0000").encode())
            if b"BODYSTRUCTURE" in items and uid in self.broken:
                parts.append(b"BODYSTRUCTURE " + self.broken[uid])
            elif b"BODYSTRUCTURE" in items:
                parts.append(
                    b'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" %d 1 NIL NIL NIL NIL)'
                    % len(msg.body)
                )
            if b"BODY.PEEK[HEADER]<" in items:
                parts.append(b"BODY[HEADER]<0> " + literal(msg.header))
            elif b"BODY.PEEK[HEADER]" in items:
                parts.append(b"BODY[HEADER] " + literal(msg.header))
            if b"BODY.PEEK[1]" in items:
                parts.append(b"BODY[1]<0> " + literal(msg.body))
            lines.append(b"* %d FETCH (%s)\r\n" % (self._seq(uid), b" ".join(parts)))
        if self.refused.intersection(asked) and b"BODY" in items:  # flags come from the index
            return b"".join(lines) + tag + b" NO [SERVERBUG] Internal error occurred\r\n"
        return b"".join(lines) + tag + b" OK FETCH done\r\n"

    def _store(self, tag: bytes, args: list[bytes]) -> Reply:
        spec, how, flags = args[0], args[1].upper(), b" ".join(args[2:]).strip(b"()").split()
        if not self.keep_keywords:
            flags = [f for f in flags if f.startswith(b"\\")]
        for uid in _uids(spec, list(self.messages)):
            msg = self.messages[uid]
            if how.startswith(b"+"):
                msg.flags.update(flags)
            elif how.startswith(b"-"):
                msg.flags.difference_update(flags)
            else:
                msg.flags = set(flags)
        return tag + b" OK STORE done\r\n"

    def _uid(self, tag: bytes, args: list[bytes]) -> Reply:
        command = args[0].upper() if args else b""
        if command == b"FETCH":
            return self._fetch(tag, args[1], b" ".join(args[2:]).upper())
        if command == b"SEARCH":
            found = b" ".join(b"%d" % u for u in sorted(self.messages))
            return b"* SEARCH " + found + b"\r\n" + tag + b" OK SEARCH done\r\n"
        if command == b"STORE":
            return self._store(tag, args[1:])
        return tag + b" OK done\r\n"

    def handlers(self) -> dict[str, Handler]:
        """Handlers for :class:`~tests.harness.fakeimap.FakeImap` (``FakeImap(**box.handlers())``)."""
        return {"SELECT": self._select, "EXAMINE": self._select, "UID": self._uid}
