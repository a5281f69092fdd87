"""OAuth2 for the test servers: a token-introspection endpoint and the SASL mechanisms.

:class:`TokenAuthority` issues and revokes access tokens and answers RFC 7662
introspection over HTTP on loopback, which the test Dovecot's oauth2 passdb asks
(``introspection_mode = post``). The in-process SMTP server checks XOAUTH2 and OAUTHBEARER
against the same authority (:class:`OAuthMechanisms`), so one token works for both, as
with Gmail or Microsoft 365.
"""

from __future__ import annotations

import json
import secrets
import threading
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.smtp import AuthResult


class TokenAuthority:
    """Valid tokens and the users they belong to; introspection at :attr:`url`."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self.asked: list[str] = []  # tokens introspected, in order
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                token = (form.get("token") or [""])[0]
                user = authority.user_of(token)
                with authority._lock:
                    authority.asked.append(token)
                body = json.dumps({"active": True, "username": user} if user else {"active": False}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._http.server_address[1])
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def start(self) -> TokenAuthority:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def issue(self, user: str) -> str:
        token = "ya29." + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = user
        return token

    def revoke(self, token: str) -> None:
        """The token expires: introspection says inactive from now on."""
        with self._lock:
            self._tokens.pop(token, None)

    def user_of(self, token: str) -> str | None:
        with self._lock:
            return self._tokens.get(token)

    def dovecot_config(self, conf_path: str) -> str:
        """Dovecot settings (``extra_config``) for an oauth2 passdb asking this authority."""
        return f"""
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {conf_path}
}}
"""

    def dovecot_oauth2_file(self) -> str:
        return (
            f"introspection_mode = post\nintrospection_url = {self.url}\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
            "force_introspection = yes\n"
        )


def parse_sasl(mechanism: str, blob: bytes) -> tuple[str, str] | None:
    """(user, token) from an XOAUTH2 or OAUTHBEARER client response; ``None`` if malformed."""
    text = blob.decode("utf-8", "replace")
    if mechanism == "XOAUTH2":
        fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
        user = fields.get("user", "")
    else:
        gs2, _, rest = text.partition("\x01")
        user = next((p[2:] for p in gs2.split(",") if p.startswith("a=")), "")
        fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
    auth = fields.get("auth", "")
    if not user or not auth.startswith("Bearer "):
        return None
    return user, auth[len("Bearer ") :]


class OAuthMechanisms:
    """aiosmtpd handler mixin: ``AUTH XOAUTH2`` and ``AUTH OAUTHBEARER`` checked against an authority.

    A refused token gets the RFC 7628 error challenge (a ``334`` with JSON), the client's
    empty answer, then ``535``, as Gmail and Microsoft 365 do.
    """

    authority: TokenAuthority | None = None

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        return await self._oauth(server, "XOAUTH2", args)

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> AuthResult:
        return await self._oauth(server, "OAUTHBEARER", args)

    async def _oauth(self, server: Any, mechanism: str, args: list[str]) -> AuthResult:
        if len(args) > 1:
            blob: Any = b64decode(args[1])
        else:
            blob = await server.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        parsed = parse_sasl(mechanism, blob)
        if (
            parsed is not None
            and self.authority is not None
            and self.authority.user_of(parsed[1]) == parsed[0]
        ):
            return AuthResult(success=True)
        await server.challenge_auth(json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"}))
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )
