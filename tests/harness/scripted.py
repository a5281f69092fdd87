"""A scripted TCP server that records every byte: the hostile or exact peer of a test.

Real servers (Dovecot, aiosmtpd) are the proof that the product works with the servers
it meets. Some properties need a peer no real server plays: one that shows the raw bytes
the client wrote (line ends, dot-stuffing, where DATA ended), or one that misbehaves on
purpose (an extra line after the greeting, bytes injected behind a STARTTLS answer).

:class:`ScriptedServer` runs an asyncio server on a loopback port in a background thread;
each connection runs ``script(conn)``, a coroutine that reads and writes through the
:class:`Connection`, which keeps the client's bytes (after TLS, the decrypted ones) in
``received``. :class:`RawSmtp` is such a script for SMTP: a minimal ESMTP server whose
greeting, capabilities and STARTTLS answer a test can bend.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.dovecot import PortHolds

LINE_LIMIT = 64 * 1024


class Closed(Exception):
    """The client closed the connection (or sent a line beyond ``LINE_LIMIT``)."""


@dataclass
class Connection:
    """One client connection as a script sees it; ``received`` is every byte the client sent."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    received: bytearray = field(default_factory=bytearray)
    sent: bytearray = field(default_factory=bytearray)
    # Client bytes received before the TLS handshake began (what a network observer saw).
    cleartext: bytes | None = None
    tls: bool = False

    async def readline(self) -> bytes:
        """The next line up to and including LF; :class:`Closed` at end of stream."""
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            self.received += exc.partial
            raise Closed from None
        except (asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
            raise Closed from None
        self.received += line
        return line

    async def send(self, data: bytes) -> None:
        self.sent += data
        self.writer.write(data)
        await self.writer.drain()

    async def start_tls(self, context: ssl.SSLContext) -> None:
        self.cleartext = bytes(self.received)
        await self.writer.start_tls(context)
        self.tls = True


Script = Callable[[Connection], Awaitable[None]]


class ScriptedServer:
    """Serve ``script`` on a free loopback port until :meth:`stop`."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._ports = PortHolds()
        self.port = self._ports.take()
        self.connections: list[Connection] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer)
        self.connections.append(conn)
        try:
            await self.script(conn)
        except (Closed, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def start(self) -> ScriptedServer:
        self._thread.start()

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(self._serve, "127.0.0.1", self.port, limit=LINE_LIMIT)

        self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        server = self._server
        if server is not None:

            async def close() -> None:
                server.close()
                for conn in self.connections:
                    conn.writer.close()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_tls_context(cert_dir: Path) -> ssl.SSLContext:
    """The server side of TLS with the harness's self-signed certificate (as Dovecot uses)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_dir / "cert.pem", cert_dir / "key.pem")
    return context


# Where a lenient server might take the DATA to end: RFC 5321 allows only CRLF . CRLF, but
# servers that accept a bare CR or LF as a line end (the SMTP smuggling study) end it at any
# of these. A client must never send one of them inside a message.
LENIENT_END_OF_DATA = re.compile(rb"(?:\r\n|\r|\n)\.(?:\r\n|\r|\n)")


@dataclass
class SmtpMessage:
    """One DATA transfer: the envelope and the payload as it crossed the wire (still dot-stuffed)."""

    mail_from: bytes
    rcpt_tos: list[bytes]
    wire: bytes

    @property
    def unstuffed(self) -> bytes:
        """The message (RFC 5321 4.5.2): the leading dot of every line removed."""
        return re.sub(rb"(?m)^\.", b"", self.wire)


def smtp_verb(line: bytes) -> bytes:
    """The command of an SMTP line, upper case (``b"MAIL"`` for ``b"mail FROM:<a@b>"``)."""
    return line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()


@dataclass
class RawSmtp:
    """A minimal ESMTP server script that records commands and DATA exactly as sent.

    ``greeting`` lines are sent as they are (a test may add a line after the 220);
    ``starttls_injection`` is written in the same packet as the STARTTLS answer, and TLS
    starts only when that answer is a 220 and ``starttls_handshake`` is set (a server can
    also say 220 and go on in plain text). AUTH is offered once TLS is on and accepts any
    login; ``auth_lines`` keeps what the client sent for it.
    """

    greeting: Sequence[bytes] = (b"220 raw.test ESMTP\r\n",)
    capabilities: Sequence[bytes] = (b"8BITMIME", b"SIZE 10485760")
    tls_context: ssl.SSLContext | None = None
    starttls_reply: bytes = b"220 2.0.0 ready to start TLS\r\n"
    starttls_injection: bytes = b""
    starttls_handshake: bool = True
    messages: list[SmtpMessage] = field(default_factory=list)
    # Every command line outside DATA, in order, for every connection.
    commands: list[bytes] = field(default_factory=list)
    auth_lines: list[bytes] = field(default_factory=list)

    @property
    def verbs(self) -> list[bytes]:
        return [smtp_verb(line) for line in self.commands]

    async def __call__(self, conn: Connection) -> None:
        await conn.send(b"".join(self.greeting))
        mail_from: bytes | None = None
        rcpts: list[bytes] = []
        while True:
            line = await conn.readline()
            self.commands.append(line)
            verb = smtp_verb(line)
            if verb in (b"EHLO", b"HELO"):
                caps = list(self.capabilities)
                if self.tls_context is not None and not conn.tls:
                    caps.append(b"STARTTLS")
                if conn.tls:
                    caps.append(b"AUTH PLAIN LOGIN")
                lines = [b"raw.test", *caps]
                reply = b"".join(
                    b"250" + (b" " if i == len(lines) - 1 else b"-") + cap + b"\r\n"
                    for i, cap in enumerate(lines)
                )
                await conn.send(reply)
            elif verb == b"STARTTLS" and self.tls_context is not None and not conn.tls:
                await conn.send(self.starttls_reply + self.starttls_injection)
                if self.starttls_reply.startswith(b"220") and self.starttls_handshake:
                    await conn.start_tls(self.tls_context)
                    mail_from, rcpts = None, []
            elif verb == b"AUTH" and conn.tls:
                self.auth_lines.append(line)
                words = line.split()
                initial = len(words) > 2
                mechanism = words[1].upper() if len(words) > 1 else b""
                # One challenge per piece of the login the client did not send yet.
                for _ in range({b"PLAIN": 1, b"LOGIN": 2}.get(mechanism, 0) - initial):
                    await conn.send(b"334 \r\n")
                    self.auth_lines.append(await conn.readline())
                await conn.send(b"235 2.7.0 ok\r\n")
            elif verb == b"MAIL":
                mail_from, rcpts = line.rstrip(b"\r\n"), []
                await conn.send(b"250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                rcpts.append(line.rstrip(b"\r\n"))
                await conn.send(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA" and mail_from is not None and rcpts:
                await conn.send(b"354 end with <CRLF>.<CRLF>\r\n")
                self.messages.append(SmtpMessage(mail_from, rcpts, await self._data(conn)))
                mail_from, rcpts = None, []
                await conn.send(b"250 2.0.0 queued\r\n")
            elif verb == b"RSET":
                mail_from, rcpts = None, []
                await conn.send(b"250 2.0.0 ok\r\n")
            elif verb == b"NOOP":
                await conn.send(b"250 2.0.0 ok\r\n")
            elif verb == b"QUIT":
                await conn.send(b"221 2.0.0 bye\r\n")
                return
            else:
                await conn.send(b"503 5.5.1 bad sequence of commands\r\n")

    @staticmethod
    async def _data(conn: Connection) -> bytes:
        """Lines up to the strict end of data (CRLF . CRLF), returned without it."""
        payload = bytearray()
        while True:
            line = await conn.readline()
            if line == b".\r\n" and (not payload or payload.endswith(b"\r\n")):
                return bytes(payload)
            payload += line
