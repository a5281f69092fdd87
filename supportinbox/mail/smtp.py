"""Handing one message to the account's SMTP server.

``tls`` verifies the certificate (system roots plus ``ca_file``); ``starttls`` refuses to
continue when the server does not offer STARTTLS, rather than falling back to plaintext;
``none`` is accepted by the config only for a loopback host and is checked again here.
The password is fetched only when the server asks for authentication, and never appears
in an error message.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence

from supportinbox.config import AccountConfig, is_loopback
from supportinbox.domain.safetext import one_line
from supportinbox.errors import AuthenticationFailed, ConnectionFailed, SendRefused, UserError
from supportinbox.mail import credentials
from supportinbox.mail.sasl import OneResponse, oauth2_mechanism, sasl_oauth2
from supportinbox.mail.wire import untrusted_certificate

log = logging.getLogger(__name__)

TIMEOUT_TEXT = "no answer within the timeout"


def tls_context(account: AccountConfig) -> ssl.SSLContext:
    """A verifying context: the system trust store plus the account's ``ca_file``."""
    context = ssl.create_default_context()
    if account.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(account.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConnectionFailed(
                f"cannot load ca_file {account.ca_file}: {getattr(exc, 'strerror', None) or exc}",
                temporary=False,
            ) from None
    return context


def _text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def _reply_text(code: int, message: bytes | str) -> str:
    return f"{code} {one_line(_text(message), limit=200)}"


def _where(account: AccountConfig) -> str:
    return f"{account.smtp_server}:{account.smtp_port}"


def _open(account: AccountConfig) -> smtplib.SMTP:
    host, port, timeout = account.smtp_server, account.smtp_port, account.timeout
    if account.smtp_security == "tls":
        secure = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(account))
        secure.ehlo()  # learn the extensions (AUTH) before deciding how to log in
        return secure
    if account.smtp_security == "none" and not is_loopback(host):
        raise ConnectionFailed(
            f'smtp_security = "none" is only allowed for a loopback host, not {host!r}', temporary=False
        )
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if account.smtp_security == "starttls":
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            smtp.close()
            raise ConnectionFailed(
                f"SMTP server {_where(account)} does not offer STARTTLS: refusing to send in plaintext "
                '(use smtp_security = "tls" with the server\'s TLS port if it has one)',
                temporary=False,
            )
        try:
            smtp.starttls(context=tls_context(account))
        except smtplib.SMTPResponseException as exc:
            smtp.close()
            raise ConnectionFailed(
                f"SMTP server {_where(account)} did not start TLS "
                f"({_reply_text(exc.smtp_code, exc.smtp_error)}): refusing to send in plaintext"
            ) from None
    smtp.ehlo()
    return smtp


def _login(smtp: smtplib.SMTP, account_name: str, account: AccountConfig, password: str | None) -> None:
    """Authenticate when the server offers AUTH (a relay on loopback may not)."""
    if not smtp.has_extn("auth"):
        log.debug("SMTP server %s offers no AUTH; sending without logging in", _where(account))
        return
    if account.uses_oauth2:
        _oauth2_login(smtp, account_name, account)
        return
    secret = password if password is not None else credentials.get_password(account_name, account)
    try:
        smtp.login(account.smtp_login, secret)
    except smtplib.SMTPAuthenticationError as exc:
        raise AuthenticationFailed(
            f"SMTP server {_where(account)} refused the login of {account.smtp_login!r} "
            f"({_reply_text(exc.smtp_code, exc.smtp_error)}): check the password or smtp_username"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise AuthenticationFailed(
            f"SMTP server {_where(account)} offers no login method supportinbox can use"
        ) from None


def _oauth2_login(smtp: smtplib.SMTP, account_name: str, account: AccountConfig) -> None:
    """AUTH with an access token; a refused one is replaced by a fresh one, once."""
    offered = {m.upper() for m in (smtp.esmtp_features.get("auth") or "").split()}
    mechanism = oauth2_mechanism(offered)
    if mechanism is None:
        raise AuthenticationFailed(
            f"SMTP server {_where(account)} offers no OAuth2 login (neither XOAUTH2 nor OAUTHBEARER): "
            f"check smtp_host and smtp_port of [accounts.{account_name}]"
        )
    answer = ""
    for fresh in (False, True):
        token = credentials.oauth2_token(account_name, account, fresh=fresh)
        respond = OneResponse(sasl_oauth2(mechanism, account.smtp_login, token))
        try:
            smtp.auth(mechanism, respond, initial_response_ok=True)
            return
        except smtplib.SMTPAuthenticationError as exc:
            answer = _reply_text(exc.smtp_code, exc.smtp_error)
            log.info("SMTP %s login refused the access token%s", mechanism, "" if fresh else "; asking again")
    raise AuthenticationFailed(
        f"SMTP server {_where(account)} refused the OAuth2 access token of {account.smtp_login!r} "
        f"({answer}), also a fresh one: check that oauth2_token_command of [accounts.{account_name}] "
        "gives a token for this address with mail access (it may need to be authorized again)"
    )


def send(
    account_name: str,
    account: AccountConfig,
    raw: bytes,
    mail_from: str,
    recipients: Sequence[str],
    *,
    password: str | None = None,
    before_data: Callable[[], None] | None = None,
) -> dict[str, str]:
    """Send ``raw`` (CRLF line ends) to ``recipients``.

    ``before_data`` is called once the server is ready for the message, just before its
    first byte goes out: from then on the server may deliver it even if its answer is lost.
    Returns the recipients the server refused while accepting the others (usually empty).
    Raises :class:`ConnectionFailed`, :class:`AuthenticationFailed` or :class:`SendRefused`
    with one line; when it raises, the server has not accepted the message.
    """
    if not recipients:
        raise SendRefused("the reply has no recipient")
    try:
        smtp = _open(account)
    except UserError:
        raise
    except ssl.SSLCertVerificationError as exc:
        where, table = f"SMTP server {_where(account)}", f"[accounts.{account_name}]"
        line = untrusted_certificate(
            exc, where=where, host_key="smtp_host", ca_file=account.ca_file, table=table
        )
        raise ConnectionFailed(line, temporary=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        # A TLS mismatch (wrong port or security setting) will not fix itself; the rest may.
        raise ConnectionFailed(
            f"cannot connect to SMTP server {_where(account)}: {_describe(exc)}{_connect_advice(exc)}",
            temporary=not isinstance(exc, ssl.SSLError),
        ) from None
    try:
        login_refused: AuthenticationFailed | None = None
        try:
            _login(smtp, account_name, account, password)
        except AuthenticationFailed as exc:
            # Some relays advertise AUTH without requiring it. If the server takes the
            # message anyway, fine; if it refuses, the failed login is the reason to report.
            login_refused = exc
        try:
            refused = _transfer(smtp, account, mail_from, recipients, raw, before_data)
        except _Refused as exc:
            if login_refused is not None and exc.needs_auth:
                raise login_refused from None
            raise
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return refused


class _Refused(SendRefused):
    """A refusal with the server's reply code, to tell "log in first" from other reasons."""

    def __init__(self, message: str, code: int, text: str) -> None:
        # 4xx: the server is busy or greylisting, try later; 5xx: it will say the same again.
        super().__init__(message, temporary=400 <= code < 500)
        self.needs_auth = code in (530, 535, 538) or text.lstrip().startswith("5.7.")


class DeliveryUncertain(SendRefused):
    """The whole message was sent but the server's verdict was lost: maybe delivered."""


def _envelope(smtp: smtplib.SMTP, mail_from: str, recipients: Sequence[str]) -> dict[str, tuple[int, bytes]]:
    """MAIL FROM and RCPT TO; the recipients refused (all refused raises)."""
    code, reply = smtp.mail(mail_from)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, mail_from)
    refused: dict[str, tuple[int, bytes]] = {}
    for rcpt in recipients:
        code, reply = smtp.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, reply)
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused(refused)
    return refused


# Any line end: CRLF, or a bare CR or LF.
_LINE_END = re.compile(rb"\r\n|\r|\n")


def _dot_stuffed(raw: bytes) -> bytes:
    """The DATA payload (RFC 5321 4.5.2): every line end CRLF, leading dots doubled, the final dot.

    Servers that take a bare CR or LF for a line end would otherwise read ``\\n.\\n`` or
    ``\\r.\\r\\n`` inside a message as its end and the bytes after it as new commands (SMTP
    smuggling), so no bare CR or LF ever reaches the wire, whatever bytes ``raw`` holds.
    """
    body = re.sub(rb"(?m)^\.", b"..", _LINE_END.sub(b"\r\n", raw))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _transfer(
    smtp: smtplib.SMTP,
    account: AccountConfig,
    mail_from: str,
    recipients: Sequence[str],
    raw: bytes,
    before_data: Callable[[], None] | None,
) -> dict[str, str]:
    try:
        refused = _envelope(smtp, mail_from, recipients)
        code, reply = smtp.docmd("data")  # smtplib's own spelling
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if before_data is not None:
            before_data()
        smtp.send(_dot_stuffed(raw))
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The final dot is out: from here the server may have taken the message whatever
            # ends the wait for its verdict (RFC 1047). A silent server may still be accepting
            # it (RFC 5321 4.5.3.2.6 lets it take minutes); a connection closed or reset may
            # have lost the 250 of a message already queued (a server restarting, a proxy or
            # NAT dropping the connection). The client cannot tell that from a cut before the
            # dot arrived, so either is "maybe delivered": never resent without being asked.
            if _describe(exc) == TIMEOUT_TEXT:
                raise DeliveryUncertain(
                    f"the SMTP server {_where(account)} received the whole reply but did not confirm "
                    f"it within {account.timeout:g} s: it may have been delivered"
                ) from None
            raise DeliveryUncertain(
                f"the connection to the SMTP server {_where(account)} broke after the whole reply "
                f"was sent, before the server confirmed it ({_describe(exc)}): it may have been delivered"
            ) from None
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
    except smtplib.SMTPRecipientsRefused as exc:
        details = "; ".join(f"{rcpt}: {_reply_text(*err)}" for rcpt, err in exc.recipients.items())
        code, text = next(iter(exc.recipients.values()), (0, b""))
        raise _Refused(
            f"SMTP server {_where(account)} refused every recipient ({details})", code, _text(text)
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise _Refused(
            f"SMTP server {_where(account)} refused the sender {mail_from} "
            f"({_reply_text(exc.smtp_code, exc.smtp_error)})",
            exc.smtp_code,
            _text(exc.smtp_error),
        ) from None
    except smtplib.SMTPResponseException as exc:
        answer = _reply_text(exc.smtp_code, exc.smtp_error)
        raise _Refused(
            f"SMTP server {_where(account)} refused the message ({answer})",
            exc.smtp_code,
            _text(exc.smtp_error),
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ConnectionFailed(
            f"connection to SMTP server {_where(account)} failed while sending: {_describe(exc)}"
        ) from None
    return {rcpt: _reply_text(*err) for rcpt, err in refused.items()}


def _connect_advice(exc: BaseException) -> str:
    """What to check when no SMTP session could be opened (": check ..."), as IMAP says it."""
    if isinstance(exc, socket.gaierror):
        return ": check smtp_host and the network"
    if isinstance(exc, ConnectionRefusedError):
        return ": check smtp_host and smtp_port, and that the server is running"
    if _describe(exc) == TIMEOUT_TEXT:
        return ": check the network, smtp_host and smtp_port (or raise timeout)"
    if isinstance(exc, ssl.SSLError) or (
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == -1
    ):
        return ': check smtp_port and smtp_security ("tls" usually on port 465, "starttls" on 587)'
    return ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError) or (
        # smtplib turns a timeout while reading a reply into "Connection unexpectedly closed".
        isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc)
    ):
        return TIMEOUT_TEXT
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == -1:  # smtplib's code for a line that is no SMTP answer at all
            return f"it does not answer like an SMTP server ({one_line(_text(exc.smtp_error), limit=80)!r})"
        return f"it answered {_reply_text(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(str(exc), limit=200) or type(exc).__name__
