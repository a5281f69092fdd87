"""Waiting on one IMAP connection for changes, and noticing every way it can die.

imapclient's ``idle_check`` returns ``[]`` when the server has closed the connection (a
caller's wait loop then spins), and a timeout on imaplib's reader leaves it unusable. So
once the folder is selected, :class:`FolderWatch` speaks IDLE itself on the raw socket,
with a line reader that knows literals:

- end of file, a reset, a TLS error or ``* BYE`` raise :class:`ConnectionLost`;
- every ``keepalive`` seconds it ends IDLE (``DONE``) and starts it again: a server that
  does not answer within the account's timeout is taken for lost (a silent network);
- other folders (notes, Junk, Sent, the team state folder) are watched on the same
  connection: by ``NOTIFY`` where the server offers it (their ``STATUS`` arrives during
  IDLE), else by a short ``STATUS`` poll between two IDLE commands. One connection in all.

Without IDLE the same loop sends ``NOOP`` every ``poll_interval`` seconds instead.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import select
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from imapclient import imap_utf7

if TYPE_CHECKING:
    import socket

    from imapclient import IMAPClient

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 300.0
STATUS_POLL_SECONDS = 10.0
NOOP_POLL_SECONDS = 30.0
BURST_SECONDS = 0.1
MAX_LINE = 1 << 20  # a line longer than this is not a server we can talk to

_LITERAL = re.compile(rb"\{(\d+)\+?\}$")
_CHANGE_WORDS = (b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED", b"RECENT")


class ConnectionLost(imaplib.IMAP4.abort):
    """The server closed, reset or stopped answering on the connection."""


@dataclass
class Changes:
    """What a wait saw: the selected folder changed, and which watched folders did."""

    selected: bool = False
    folders: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return self.selected or bool(self.folders)


def _quote(name: str) -> str:
    """A mailbox name as a quoted string in modified UTF-7, as servers expect it."""
    wire = bytes(imap_utf7.encode(name)).decode("ascii")
    return '"' + wire.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(raw: bytes) -> str:
    text = raw.strip()
    if len(text) >= 2 and text[:1] == b'"' and text[-1:] == b'"':
        text = re.sub(rb"\\(.)", rb"\1", text[1:-1])
    return str(imap_utf7.decode(text))


class FolderWatch:
    """Waits for changes of the selected folder (and ``others``) on ``client``'s connection.

    ``client`` must have a folder selected and nothing in flight. After the watch the
    connection is only good for closing.
    """

    def __init__(
        self,
        client: IMAPClient,
        *,
        timeout: float,
        others: Iterable[str] = (),
        keepalive: float = KEEPALIVE_SECONDS,
        status_poll: float = STATUS_POLL_SECONDS,
        noop_poll: float = NOOP_POLL_SECONDS,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._keepalive = keepalive
        self._status_poll = status_poll
        self._noop_poll = noop_poll
        capabilities = {bytes(c).upper() for c in client.capabilities()}
        self._idle = b"IDLE" in capabilities
        self._others = {name.lower(): name for name in others}
        self._notify = b"NOTIFY" in capabilities and bool(self._others) and self._idle
        self._status_items = "MESSAGES UIDNEXT UIDVALIDITY" + (
            " HIGHESTMODSEQ" if b"CONDSTORE" in capabilities else ""
        )
        self._sock: socket.socket = client.socket()
        self._buffer = b""
        self._tag = 0
        self._in_idle = False
        self._idle_tag = b""
        self._last_answer = ""
        self._cycle_started = 0.0
        self._statuses: dict[str, bytes] = {}
        self._baseline = False  # the first STATUS of each folder was taken
        self._changes = Changes()
        self._started = False

    @property
    def mode(self) -> str:
        """How the watch learns of changes, in words for the log."""
        if not self._idle:
            return "NOOP poll"
        if not self._others:
            return "IDLE"
        return "IDLE + NOTIFY" if self._notify else "IDLE + STATUS poll"

    # -- the public loop ------------------------------------------------------------------

    def wait(self, seconds: float) -> Changes:
        """Block until something changed or ``seconds`` passed; raises :class:`ConnectionLost`."""
        deadline = time.monotonic() + seconds
        if not self._started:
            self._start()
        while not self._changes:
            now = time.monotonic()
            due = self._next_cycle
            if now >= deadline:
                break
            if now >= due:
                self._cycle()
                continue
            line = self._read_line(min(deadline, due), required=False)
            if line is not None:
                self._untagged(line)
        if self._changes:
            # Servers announce one change in several lines (EXISTS, RECENT, FETCH): take the
            # rest of the burst too, so one change wakes the caller once.
            settle = time.monotonic() + BURST_SECONDS
            while (line := self._read_line(settle, required=False)) is not None:
                self._untagged(line)
        changes, self._changes = self._changes, Changes()
        return changes

    def check(self) -> None:
        """Ask the server for an answer now (end IDLE and start it again, or NOOP); raises
        :class:`ConnectionLost` when it gives none within the timeout."""
        if not self._started:
            self._start()
            return
        self._cycle()

    def close(self) -> None:
        """Log out without waiting for an answer (the connection may be dead), then drop it."""
        with contextlib.suppress(OSError):
            self._send((b"DONE\r\n" if self._in_idle else b"") + self._next_tag() + b" LOGOUT\r\n")
        with contextlib.suppress(Exception):
            self._client.shutdown()

    # -- protocol ----------------------------------------------------------------------------

    def _start(self) -> None:
        self._started = True
        self._drain_imaplib()
        if self._notify and not self._set_notify():
            self._notify = False
        if self._others and not self._notify:
            self._poll_statuses()
        self._enter_idle()

    @property
    def _next_cycle(self) -> float:
        if not self._idle:
            return self._cycle_started + self._noop_poll
        if self._others and not self._notify:
            return self._cycle_started + min(self._status_poll, self._keepalive)
        return self._cycle_started + self._keepalive

    def _cycle(self) -> None:
        """Leave IDLE (or send NOOP), poll other folders when needed, and idle again."""
        if self._idle:
            self._send(b"DONE\r\n")
            self._in_idle = False
            self._complete(self._idle_tag)
            if self._others and not self._notify:
                self._poll_statuses()
            self._enter_idle()
        else:
            self._command("NOOP")
            if self._others:
                self._poll_statuses()
            self._cycle_started = time.monotonic()

    def _enter_idle(self) -> None:
        self._cycle_started = time.monotonic()
        if not self._idle:
            return
        self._idle_tag = self._send_command("IDLE")
        while True:
            line = self._read_line(time.monotonic() + self._timeout, required=True)
            assert line is not None
            if line.startswith(b"+"):
                self._in_idle = True
                return
            if line.startswith(self._idle_tag + b" "):
                raise ConnectionLost(f"the server refused IDLE: {_text(line)}")
            self._untagged(line)

    def _set_notify(self) -> bool:
        """Ask for STATUS of the other folders during IDLE; False when the server refuses."""
        names = " ".join(_quote(name) for name in self._others.values())
        events = "(MessageNew MessageExpunge FlagChange)"
        ok = self._command(f"NOTIFY SET (selected {events}) (mailboxes ({names}) {events})", check=False)
        if not ok:
            log.info(
                "the server refused NOTIFY for %s (%s): polling their STATUS instead",
                names,
                self._last_answer,
            )
        return ok

    def _poll_statuses(self) -> None:
        # A folder that does not exist yet answers NO; once created, its first STATUS is a change.
        for name in list(self._others.values()):
            self._command(f"STATUS {_quote(name)} ({self._status_items})", check=False)
        self._baseline = True

    def _command(self, text: str, *, check: bool = True) -> bool:
        """Send one command and read to its completion; False (or an error) if not OK."""
        tag = self._send_command(text)
        return self._complete(tag, check=check)

    def _complete(self, tag: bytes, *, check: bool = True) -> bool:
        deadline = time.monotonic() + self._timeout
        while True:
            line = self._read_line(deadline, required=True)
            assert line is not None
            if line.startswith(tag + b" "):
                self._last_answer = _text(line[len(tag) + 1 :])
                ok = self._last_answer.upper().startswith("OK")
                if not ok and check:
                    raise ConnectionLost(f"the server refused a command: {_text(line)}")
                return ok
            self._untagged(line)

    def _next_tag(self) -> bytes:
        self._tag += 1
        return f"SIW{self._tag}".encode()

    def _send_command(self, text: str) -> bytes:
        tag = self._next_tag()
        self._send(tag + b" " + text.encode("utf-8") + b"\r\n")
        return tag

    def _untagged(self, line: bytes) -> None:
        """Note what an untagged answer says: BYE ends the connection, others are changes."""
        if not line.startswith(b"* "):
            return
        words = line[2:].split(b" ", 2)
        if words[0].upper() == b"BYE":
            raise ConnectionLost(f"the server ended the session: {_text(line[6:]) or 'BYE'}")
        if words[0].upper() == b"STATUS":
            self._status(line)
            return
        if any(w.upper().rstrip(b")") in _CHANGE_WORDS for w in words[:2]):
            self._changes.selected = True

    def _status(self, line: bytes) -> None:
        body = line[len(b"* STATUS ") :]
        head, _, items = body.rpartition(b" (")
        name = self._others.get(_unquote(head).lower())
        if name is None:
            return
        previous = self._statuses.get(name)
        self._statuses[name] = items
        if self._notify or (self._baseline and previous != items):
            self._changes.folders.add(name)

    # -- bytes ---------------------------------------------------------------------------------

    def _drain_imaplib(self) -> None:
        """Take over whatever imaplib's buffered reader already holds."""
        file = self._client._imap.file
        self._sock.settimeout(0.0)
        try:
            held = file.peek(MAX_LINE)
        except (BlockingIOError, ssl.SSLWantReadError):
            held = b""
        finally:
            self._sock.settimeout(self._timeout)
        if held:
            self._buffer += file.read(len(held))

    def _send(self, data: bytes) -> None:
        self._sock.settimeout(self._timeout)
        self._sock.sendall(data)

    def _read_line(self, deadline: float, *, required: bool) -> bytes | None:
        """One complete response line (literals folded in), or None when ``deadline`` passed.

        With ``required`` the server owes an answer: passing the deadline means it is gone.
        """
        while True:
            line = self._take_line()
            if line is not None:
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if required:
                    raise ConnectionLost(f"the server did not answer within {self._timeout:g} s")
                return None
            if not self._readable(remaining):
                continue
            data = self._recv()
            if data is None:
                continue
            if not data:
                raise ConnectionLost("the server closed the connection")
            self._buffer += data
            if len(self._buffer) > MAX_LINE:
                raise ConnectionLost("the server sent a response line longer than 1 MB")

    def _take_line(self) -> bytes | None:
        start = 0
        parts: list[bytes] = []
        while True:
            end = self._buffer.find(b"\r\n", start)
            if end < 0:
                return None
            piece = self._buffer[start:end]
            literal = _LITERAL.search(piece)
            if literal is None:
                parts.append(piece)
                self._buffer = self._buffer[end + 2 :]
                return b"".join(parts)
            size = int(literal.group(1))
            if len(self._buffer) < end + 2 + size:
                return None
            # The literal's bytes are skipped: nothing in them may look like a response.
            parts.append(piece[: literal.start()] + b'""')
            start = end + 2 + size

    def _readable(self, seconds: float) -> bool:
        pending = getattr(self._sock, "pending", None)
        if callable(pending) and pending() > 0:
            return True
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(max(int(seconds * 1000), 1)))

    def _recv(self) -> bytes | None:
        """What the socket holds now; b"" at end of file, None when nothing was ready."""
        self._sock.settimeout(0.0)
        try:
            return self._sock.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError, InterruptedError):
            return None
        finally:
            self._sock.settimeout(self._timeout)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()[:200]
