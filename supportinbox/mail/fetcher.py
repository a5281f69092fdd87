"""Pipelined UID FETCH on an imapclient connection, and a count of the bytes it read.

imapclient's public ``fetch()`` takes only message-number lists, waits for each command and
parses answers one character at a time. A first sync needs ``1:*``-style sets, several
FETCH commands in flight at once and a faster parser (:mod:`supportinbox.mail.fetchparse`),
so :class:`Fetcher` sends the commands and reads their answers itself, below imapclient.
This module is the only one that touches imaplib's internals for that (its ``_command``,
``tagged_commands``, ``untagged_responses`` and ``read``/``readline``); it is tested
against the imapclient versions ``pyproject.toml`` allows.

Answers stay bounded: every literal is read through the bound
:func:`~supportinbox.mail.imap.connect` sets on the connection, so a literal bigger than asked raises
:class:`~supportinbox.mail.imap.OversizedAnswer` before a byte of it is read.
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from supportinbox.mail.fetchparse import parse_fetch
from supportinbox.mail.imap import OversizedAnswer

__all__ = ["ByteCounter", "Fetched", "Fetcher", "answer_broke", "uid_set"]

Messages = dict[int, dict[bytes, Any]]
"""``{uid: {item: value}}``, the shape imapclient's ``fetch()`` returns."""


class ByteCounter:
    """Counts the bytes read from the server on every connection attached to it."""

    def __init__(self) -> None:
        self.count = 0

    def attach(self, client: IMAPClient) -> None:
        """Count this connection's bytes too (a connection opened again during a sync)."""
        inner = client._imap
        read, readline = inner.read, inner.readline

        def counted_read(size: int) -> bytes:
            data: bytes = read(size)
            self.count += len(data)
            return data

        def counted_readline() -> bytes:
            line: bytes = readline()
            self.count += len(line)
            return line

        inner.read = counted_read
        inner.readline = counted_readline


def uid_set(uids: Iterable[int]) -> str:
    """A compact IMAP sequence set: 1:5,9,12:13."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        start = end = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == end + 1:
            index += 1
            end = ordered[index]
        parts.append(str(start) if start == end else f"{start}:{end}")
        index += 1
    return ",".join(parts)


def answer_broke(exc: BaseException) -> bool:
    """Whether a FETCH failed on what the server answered, not on the connection going away.

    Such a failure can be one message's (a BODYSTRUCTURE nested without end, an unreadable
    message file answered NO, a line past imaplib's cap, a literal bigger than asked that
    was refused before it was read): the message alone can then be skipped. A lost
    connection is not.
    """
    if isinstance(exc, OversizedAnswer):
        return True
    if isinstance(exc, OSError | imaplib.IMAP4.abort):
        return False
    return isinstance(exc, imap_errors.IMAPClientError)


def _send_fetch(imap: IMAPClient, uid_set: str, items: Sequence[str], modifiers: Sequence[str] = ()) -> Any:
    args = ["FETCH", uid_set, "(" + " ".join(items) + ")"]
    if modifiers:
        args.append("(" + " ".join(modifiers) + ")")
    return imap._imap._command("UID", *args)


_LITERAL_TAIL = re.compile(rb"\{(\d+)\}\r?\n$")
_UNTAGGED = re.compile(rb"\* (?:(\d+) )?([A-Za-z-]+)(?: (.*))?$", re.DOTALL)
_TAGGED = re.compile(rb"([!-~]+) (OK|NO|BAD)(?: (.*))?$", re.DOTALL | re.IGNORECASE)


def _read_response(inner: Any) -> list[Any]:
    """One server response: its lines and literals, in imaplib's (head, literal) shape."""
    line: bytes = inner.readline()
    if not line:
        raise imaplib.IMAP4.abort("the server closed the connection")
    pieces: list[Any] = []
    while True:
        match = _LITERAL_TAIL.search(line)
        if match is None:
            pieces.append(line.rstrip(b"\r\n"))
            return pieces
        literal: bytes = inner.read(int(match.group(1)))
        pieces.append((line[: match.end(1) + 1], literal))
        line = inner.readline()
        if not line:
            raise imaplib.IMAP4.abort("the server closed the connection inside a literal")


def _complete_fetch(imap: IMAPClient, tag: Any) -> Messages:
    """Read answers until ``tag`` completes; return every FETCH answer seen meanwhile.

    A lean replacement for imaplib's per-line response machinery (the largest CPU cost of
    a first sync after parsing). Completions of other pipelined commands are recorded in
    imaplib's own ``tagged_commands``; other untagged answers (EXISTS, VANISHED...) are
    kept in its ``untagged_responses`` as imaplib would.
    """
    inner = imap._imap
    fetched: list[Any] = []
    while inner.tagged_commands.get(tag) is None:
        pieces = _read_response(inner)
        head = pieces[0][0] if isinstance(pieces[0], tuple) else pieces[0]
        untagged = _UNTAGGED.match(head)
        if untagged is not None:
            number, kind = untagged.group(1), untagged.group(2).upper()
            if kind == b"FETCH" and number is not None:
                first = pieces[0]
                cut = len(b"* ") + len(number)
                trimmed = number + head[cut + len(b" FETCH") :]
                pieces[0] = (trimmed, first[1]) if isinstance(first, tuple) else trimmed
                fetched.extend(pieces)
            elif kind == b"BYE":
                raise imaplib.IMAP4.abort(head.decode("ascii", "replace")[:200])
            else:
                data = head[2:] if number is None else number
                inner._append_untagged(kind.decode("ascii", "replace"), untagged.group(3) or data)
            continue
        tagged = _TAGGED.match(head)
        if tagged is not None and tagged.group(1) in inner.tagged_commands:
            inner.tagged_commands[tagged.group(1)] = (tagged.group(2).upper().decode(), [tagged.group(3)])
            continue
        raise imap_errors.ProtocolError(f"unexpected answer from the server: {head[:80]!r}")
    status, text = inner.tagged_commands.pop(tag)
    if status != "OK":
        detail = (text[0] or b"").decode("utf-8", "replace")[:200] if text else ""
        raise imap_errors.IMAPClientError(f"FETCH failed: {status} {detail}")
    return parse_fetch(fetched)


@dataclass
class Fetched:
    """The answer to one waited-for FETCH."""

    messages: Messages
    vanished: list[Any] = field(default_factory=list)  # VANISHED answers' data, as the server sent it


class Fetcher:
    """Pipelined UID FETCH commands on one connection, their answers merged by UID.

    :meth:`send` puts a command in flight and returns its tag; :meth:`wait` reads until that
    command completes; :meth:`get` looks at what arrived and :meth:`take` removes it.
    Dovecot may run pipelined FETCH commands in parallel, so answers of one command can
    arrive while another is being completed: everything received is merged into one pool
    keyed by UID (each answer names its message and items), and answers for UIDs nobody
    asked for are dropped. :meth:`fetch` is one command, waited for at once.

    The connection must have its folder selected. After any error the connection may be out
    of step with its answers: use a new one (and a new fetcher).
    """

    def __init__(self, client: IMAPClient) -> None:
        self.client = client
        self._data: Messages = {}
        self._asked: set[int] = set()

    def send(self, uids: Iterable[int], items: Sequence[str]) -> Any:
        """Ask for ``items`` of ``uids`` without waiting; the tag to :meth:`wait` for.

        No UIDs send nothing (an empty set is not valid IMAP): the tag is then ``None``.
        """
        wanted = list(uids)
        if not wanted:
            return None
        self._asked.update(wanted)
        return _send_fetch(self.client, uid_set(wanted), items)

    def wait(self, tag: Any) -> None:
        """Read answers until the command ``tag`` completes (raises if it failed)."""
        if tag is None:
            return
        for uid, items in _complete_fetch(self.client, tag).items():
            if uid in self._asked:
                self._data.setdefault(uid, {}).update(items)

    def get(self, uids: Iterable[int]) -> Messages:
        """What has arrived so far for ``uids`` (kept in the pool)."""
        return {uid: self._data[uid] for uid in uids if uid in self._data}

    def take(self, uids: Iterable[int]) -> Messages:
        """What has arrived for ``uids``, removed from the pool."""
        taken = {uid: self._data.pop(uid) for uid in uids if uid in self._data}
        self._asked.difference_update(taken)
        return taken

    def fetch(self, uids: str, items: Sequence[str], modifiers: Sequence[str] = ()) -> Fetched:
        """One UID FETCH of the set ``uids`` (``"1:*"`` style), waited for.

        ``modifiers`` are the command's (``CHANGEDSINCE 5``, ``VANISHED``); VANISHED answers
        received while it ran are returned with the messages. An empty set sends nothing.
        """
        if not uids:
            return Fetched({})
        untagged = self.client._imap.untagged_responses
        untagged.pop("VANISHED", None)
        messages = _complete_fetch(self.client, _send_fetch(self.client, uids, items, modifiers))
        return Fetched(messages, untagged.pop("VANISHED", []))
