"""An in-process SMTP server (aiosmtpd) that records what it receives.

It speaks real SMTP on a loopback port, with optional AUTH and STARTTLS or implicit TLS
using the same self-signed certificate as the test Dovecot.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.harness.dovecot import PortHolds
from tests.harness.oauth import OAuthMechanisms, TokenAuthority


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: bool = False
    permanent: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse and self.permanent:
            return "550 5.1.1 mailbox unavailable (test)"
        if self.refuse:
            return "451 4.3.0 temporarily refusing mail (test)"
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        return "250 OK"


@dataclass
class _OAuthHandler(_Handler, OAuthMechanisms):
    """Also offers AUTH XOAUTH2 and OAUTHBEARER, checked against a token authority."""


class SmtpServer:
    """``security``: none | starttls | tls. Credentials are checked when ``users`` is given;
    OAuth2 access tokens when ``oauth`` is."""

    def __init__(
        self,
        cert_dir: Path | None = None,
        security: str = "none",
        users: dict[str, str] | None = None,
        oauth: TokenAuthority | None = None,
    ) -> None:
        self._ports = PortHolds()
        self.port = self._ports.take()
        self.handler = _Handler()
        if oauth is not None:
            self.handler = _OAuthHandler()
            self.handler.authority = oauth
        self.users = users
        self.security = security
        context = None
        if security != "none":
            assert cert_dir is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_dir / "cert.pem", cert_dir / "key.pem")
        kwargs: dict[str, Any] = {
            "hostname": "127.0.0.1",
            "port": self.port,
            "auth_require_tls": False,
        }
        if users is not None:
            kwargs["authenticator"] = self._authenticate
        if users is not None or oauth is not None:
            kwargs["auth_required"] = True
        if security == "starttls":
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
        elif security == "tls":
            kwargs["ssl_context"] = context
        self._kwargs = kwargs
        self._stopped = False
        self.controller = Controller(self.handler, **kwargs)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.users is not None:
            user = auth_data.login.decode()
            if self.users.get(user) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def set_refusing(self, refuse: bool, *, permanent: bool = False) -> None:
        """Refuse every message: 451 (try later), or 550 (never) when ``permanent``."""
        self.handler.refuse = refuse
        self.handler.permanent = permanent

    def start(self) -> SmtpServer:
        """Listen (again, after :meth:`stop`: same port, same record of received mail)."""
        if self._stopped:
            self.controller = Controller(self.handler, **self._kwargs)
            self._stopped = False
        if self.security == "tls":
            # Controller's readiness probe would speak plaintext to a TLS socket; a bare TCP
            # connection is enough to make it create the SMTP protocol object it waits for.
            port = self.port

            def _touch() -> None:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()

            self.controller._trigger_server = _touch  # type: ignore[method-assign]
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused, as with a server that is down."""
        if not self._stopped:
            self.controller.stop()
            self._stopped = True


def swallow_answers(server: SmtpServer, seconds: float) -> None:
    """Record each message, then keep the client waiting for the verdict ``seconds`` (past its
    timeout: the reply was taken, but the client never learns it)."""

    async def handle_data(smtp: Any, session: Any, envelope: Any) -> str:
        with server.handler.lock:
            server.handler.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        await asyncio.sleep(seconds)
        return "250 OK"

    server.handler.handle_DATA = handle_data  # type: ignore[method-assign]
