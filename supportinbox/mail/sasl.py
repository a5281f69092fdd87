"""SASL client responses for OAuth2 logins, shared by IMAP and SMTP.

XOAUTH2 is Google's mechanism (Microsoft 365 speaks it too); OAUTHBEARER is the standard
(RFC 7628). Both carry the account's login and an access token; neither is ever logged.
"""

from __future__ import annotations


def sasl_oauth2(mechanism: str, user: str, token: str) -> bytes:
    """The client response of XOAUTH2 (Google's, also Microsoft's) or OAUTHBEARER (RFC 7628)."""
    if mechanism == "OAUTHBEARER":
        authzid = user.replace("=", "=3D").replace(",", "=2C")
        return f"n,a={authzid},\x01auth=Bearer {token}\x01\x01".encode()
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauth2_mechanism(offered: set[str]) -> str | None:
    """OAUTHBEARER (the standard) when offered, else XOAUTH2 (Google's, Microsoft's)."""
    return next((m for m in ("OAUTHBEARER", "XOAUTH2") if m in offered), None)


class OneResponse:
    """A SASL responder (imaplib, smtplib): the client response first, then an empty line,
    which is how a client acknowledges the error challenge of a refused token (RFC 7628 3.2.3)."""

    def __init__(self, response: bytes) -> None:
        self.response = response.decode("ascii")
        self.sent = False

    def __call__(self, challenge: bytes | None = None) -> str:
        if self.sent:
            return ""
        self.sent = True
        return self.response
