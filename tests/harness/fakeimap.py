"""A scripted IMAP server on loopback, for answers no real server gives: hostile ones.

It speaks just enough IMAP for a login and a sync of one INBOX holding one message. Each
command can be answered differently by passing a handler: a function of the tag and the
command's arguments that returns the bytes to send, or an iterable of byte chunks (so a
test can stream hundreds of megabytes without holding them). A handler that raises
:class:`Hangup` closes the connection after what it sent.
"""

from __future__ import annotations

import contextlib
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any

Reply = bytes | Iterable[bytes]
Handler = Callable[[bytes, list[bytes]], Reply]

MESSAGE = (
    b"From: Ann <ann@customer.test>\r\nTo: support@acme.test\r\nSubject: Hello\r\n"
    b"Message-ID: <m1@customer.test>\r\nDate: Thu, 26 Nov 2026 08:00:00 +0000\r\n\r\n"
)
BODY = b"Hello, a question.\r\n"


class Hangup(Exception):
    """Raised by a handler to close the connection."""


class StartTls(Exception):
    """Raised by a STARTTLS handler: send ``reply`` (plus any injected bytes), then start TLS.

    With ``handshake=False`` the server says what it says and goes on in plain text.
    """

    def __init__(self, reply: bytes, *, handshake: bool = True) -> None:
        super().__init__("STARTTLS")
        self.reply = reply
        self.handshake = handshake


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n%s" % (len(data), data)


def _fetch(tag: bytes, args: list[bytes]) -> Reply:
    items = b" ".join(args).upper()
    if b"BODY.PEEK[HEADER]" in items:
        return (
            b'* 1 FETCH (UID 1 FLAGS () INTERNALDATE "26-Nov-2026 08:00:00 +0000" RFC822.SIZE '
            + str(len(MESSAGE) + len(BODY)).encode()
            + b' BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" '
            + str(len(BODY)).encode()
            + b" 1 NIL NIL NIL NIL) "
            + (b"BODY[HEADER]<0> " if b"BODY.PEEK[HEADER]<" in items else b"BODY[HEADER] ")
            + literal(MESSAGE)
            + b")\r\n"
            + tag
            + b" OK FETCH done\r\n"
        )
    if b"BODY.PEEK[1]" in items or b"BODY.PEEK[TEXT]" in items:
        return b"* 1 FETCH (UID 1 BODY[1]<0> " + literal(BODY) + b")\r\n" + tag + b" OK FETCH done\r\n"
    return b"* 1 FETCH (UID 1 FLAGS ())\r\n" + tag + b" OK FETCH done\r\n"


def _default_handlers() -> dict[str, Handler]:
    def ok(text: bytes = b"done") -> Handler:
        return lambda tag, args: tag + b" OK " + text + b"\r\n"

    def select(tag: bytes, args: list[bytes]) -> Reply:
        if args and args[0].strip(b'"').upper() != b"INBOX":
            return tag + b" NO no such folder\r\n"
        return (
            b"* 1 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n"
            b"* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft \\*)] ok\r\n"
            b"* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n" + tag + b" OK [READ-WRITE] done\r\n"
        )

    def uid(tag: bytes, args: list[bytes]) -> Reply:
        command = args[0].upper() if args else b""
        if command == b"FETCH":
            return _fetch(tag, args[1:])
        if command == b"SEARCH":
            return b"* SEARCH 1\r\n" + tag + b" OK SEARCH done\r\n"
        return tag + b" OK done\r\n"

    def logout(tag: bytes, args: list[bytes]) -> Reply:
        return b"* BYE bye\r\n" + tag + b" OK done\r\n"

    return {
        "CAPABILITY": lambda tag, args: b"* CAPABILITY IMAP4rev1 LITERAL+\r\n" + tag + b" OK done\r\n",
        "LOGIN": ok(b"[CAPABILITY IMAP4rev1 LITERAL+] logged in"),
        "LIST": lambda tag, args: b'* LIST (\\HasNoChildren) "/" INBOX\r\n' + tag + b" OK done\r\n",
        "SELECT": select,
        "EXAMINE": select,
        "UID": uid,
        "NOOP": ok(),
        "ENABLE": ok(),
        "ID": lambda tag, args: b"* ID NIL\r\n" + tag + b" OK done\r\n",
        "LOGOUT": logout,
        "CLOSE": ok(),
        "UNSELECT": ok(),
    }


class FakeImap:
    """``with FakeImap(greeting=..., LOGIN=handler) as server: ... server.port``."""

    def __init__(
        self,
        *,
        greeting: bytes = b"* OK fake IMAP ready\r\n",
        tls_context: ssl.SSLContext | None = None,
        **handlers: Handler,
    ) -> None:
        self.greeting = greeting
        self.tls_context = tls_context
        self.handlers = {**_default_handlers(), **{k.upper(): v for k, v in handlers.items()}}
        self.commands: list[bytes] = []
        # Commands received before TLS started, on every connection (what an observer saw).
        self.cleartext: list[bytes] = []
        self.connections = 0
        fake = self

        class _Connection(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                fake.connections += 1
                fake._serve(self)

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = _Server(("127.0.0.1", 0), _Connection)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _serve(self, conn: socketserver.StreamRequestHandler) -> None:
        rfile: Any = conn.rfile
        wfile: Any = conn.wfile
        in_tls = False
        try:
            wfile.write(self.greeting)
            while True:
                line = rfile.readline(65536)
                if not line:
                    return
                self.commands.append(line)
                if not in_tls:
                    self.cleartext.append(line)
                parts = line.rstrip(b"\r\n").split(b" ")
                if len(parts) < 2:
                    wfile.write(b"* BAD what\r\n")
                    continue
                tag, name, args = parts[0], parts[1].decode("ascii", "replace").upper(), parts[2:]
                handler = self.handlers.get(name)
                try:
                    reply = handler(tag, args) if handler else tag + b" BAD unknown command\r\n"
                except StartTls as start:
                    wfile.write(start.reply)
                    wfile.flush()
                    if start.handshake and self.tls_context is not None:
                        secure = self.tls_context.wrap_socket(conn.connection, server_side=True)
                        rfile, wfile = secure.makefile("rb"), secure.makefile("wb")
                        in_tls = True
                    continue
                for chunk in [reply] if isinstance(reply, bytes) else reply:
                    wfile.write(chunk)
                wfile.flush()
                if name == "LOGOUT":
                    return
        except (Hangup, BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return
        finally:
            with contextlib.suppress(OSError):
                wfile.flush()

    def __enter__(self) -> FakeImap:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def stream(head: bytes, size: int, chunk: int = 1 << 20) -> Iterable[bytes]:
    """``head``, then ``size`` bytes of filler in chunks, then a hang-up."""
    yield head
    filler = b"x" * chunk
    sent = 0
    while sent < size:
        part = filler[: min(chunk, size - sent)]
        yield part
        sent += len(part)
    raise Hangup
