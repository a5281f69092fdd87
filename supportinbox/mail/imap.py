"""Connecting to the IMAP server, finding its folders, and small IMAP operations.

Every failure a user can fix becomes one line: :class:`ConnectionFailed` names the host and
port (and ``ca_file`` when a certificate is not trusted), :class:`AuthenticationFailed` names
the login and how to fix the password. The password never appears in any message.

TLS is verified: ``tls`` and ``starttls`` use the system trust store plus ``ca_file`` and
check the host name; ``starttls`` refuses a server that does not offer it rather than
continuing in plaintext; ``none`` is only accepted by the config for loopback hosts.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import imaplib
import io
import logging
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import compat32
from typing import Any

from imapclient import DELETED, IMAPClient, SocketTimeout, imap_utf7
from imapclient import exceptions as imap_errors

from supportinbox.config import AccountConfig
from supportinbox.domain.safetext import one_line
from supportinbox.errors import AuthenticationFailed, ConfigError, ConnectionFailed, NotFound, UserError
from supportinbox.mail.parse import MAX_HEADER_BLOCK, MAX_TEXT
from supportinbox.mail.sasl import OneResponse, oauth2_mechanism, sasl_oauth2
from supportinbox.mail.wire import CLIENT_ID, in_namespace, trust_context, untrusted_certificate

log = logging.getLogger(__name__)

JUNK_NAMES = ("Junk", "Spam", "Junk E-mail", "Junk Email", "[Gmail]/Spam", "INBOX.Junk", "INBOX.Spam")
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent")

GREETING_WAIT = 5.0  # seconds a plain-text greeting may take before a TLS-only port is suspected

# Errors that mean the connection itself broke (as opposed to a NO/BAD answer).
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    imaplib.IMAP4.abort,
    imap_errors.ProtocolError,
)

# A literal in an answer is announced with its size ({2147483648}) before its bytes, and
# imaplib would set aside that much memory at once. Nothing asked of a server needs more
# than the largest part fetched on purpose (a header block or text part, MAX_HEADER_BLOCK
# or MAX_TEXT) plus this margin; an attachment sets its own bound (fetch_part).
LITERAL_MARGIN = 64 * 1024
DEFAULT_LITERAL_LIMIT = max(MAX_HEADER_BLOCK, MAX_TEXT) + LITERAL_MARGIN
# An attachment whose size BODYSTRUCTURE did not give.
UNKNOWN_PART_LIMIT = 256 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


class OversizedAnswer(imaplib.IMAP4.abort):
    """The server announced more bytes than were asked for: the connection is given up."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the server announced a {size:,}-byte answer where at most {limit:,} bytes were asked"
        )
        self.size = size
        self.limit = limit


class _BoundedReads:
    """imaplib's ``read`` with a bound on each literal, reading big ones in chunks."""

    def __init__(self, inner: imaplib.IMAP4) -> None:
        self.limit = DEFAULT_LITERAL_LIMIT
        self.refused: OversizedAnswer | None = None
        self._read = inner.read
        inner.read = self.read  # type: ignore[method-assign]

    def read(self, size: int) -> bytes:
        if size > self.limit:
            self.refused = OversizedAnswer(size, self.limit)
            raise self.refused
        if size <= _READ_CHUNK:
            data: bytes = self._read(size)
            return data
        # Memory grows with what actually arrives, not with what was announced.
        buffer = io.BytesIO()
        while buffer.tell() < size:
            chunk: bytes = self._read(min(_READ_CHUNK, size - buffer.tell()))
            if not chunk:
                break
            buffer.write(chunk)
        return buffer.getvalue()


def _bounds(client: IMAPClient) -> _BoundedReads:
    bounds = getattr(client, "_si_bounds", None)
    if not isinstance(bounds, _BoundedReads):
        bounds = _BoundedReads(client._imap)
        client._si_bounds = bounds
    return bounds


@contextlib.contextmanager
def literals_up_to(client: IMAPClient, limit: int) -> Iterator[None]:
    """Allow answers of up to ``limit`` bytes per literal (plus the margin) in this block."""
    bounds = _bounds(client)
    before = bounds.limit
    bounds.limit = max(limit + LITERAL_MARGIN, DEFAULT_LITERAL_LIMIT)
    bounds.refused = None
    try:
        yield
    except imaplib.IMAP4.abort:
        # imaplib re-raises a plain abort with our text in it: say what really happened.
        if bounds.refused is not None:
            raise bounds.refused from None
        raise
    finally:
        bounds.limit = before


def _where(account: AccountConfig) -> str:
    host = account.imap_host
    return f"[{host}]:{account.imap_port}" if ":" in host else f"{host}:{account.imap_port}"


def tls_context(account: AccountConfig, account_name: str = "") -> ssl.SSLContext:
    """System trust store plus the account's ``ca_file``; host names are checked."""
    try:
        return trust_context(str(account.ca_file) if account.ca_file is not None else None)
    except (OSError, ssl.SSLError) as exc:
        table = f"[accounts.{account_name}]" if account_name else "the account"
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
        raise ConfigError(
            f"ca_file {account.ca_file} of {table} cannot be loaded ({reason}): "
            "it must be a PEM certificate file"
        ) from None


def describe_network_error(exc: BaseException, account: AccountConfig, account_name: str = "") -> UserError:
    """One readable line for a connection problem (never containing secrets)."""
    where = _where(account)
    table = f"[accounts.{account_name}]" if account_name else "the account"
    if isinstance(exc, OversizedAnswer):
        return ConnectionFailed(
            f"the IMAP server {where} announced a {exc.size:,}-byte answer where at most {exc.limit:,} "
            "bytes were asked: stopped reading it (if this happens again, tell the mail provider)",
            aftermath="what was synced so far is kept",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        line = untrusted_certificate(
            exc, where=where, host_key="imap_host", ca_file=account.ca_file, table=table
        )
        return ConnectionFailed(line)
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or type(exc).__name__
        return ConnectionFailed(
            f"TLS with {where} failed ({reason}): check imap_security "
            '("tls" usually on port 993, "starttls" on port 143)'
        )
    if isinstance(exc, socket.gaierror):
        return ConnectionFailed(
            f"cannot find the IMAP server {account.imap_host!r} (name does not resolve): check imap_host "
            "and the network"
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return ConnectionFailed(
            f"the IMAP server {where} did not answer within {account.timeout:g} s: check the network, "
            "imap_host and imap_port (or raise timeout)"
        )
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionFailed(
            f"the IMAP server {where} refused the connection: check imap_host and imap_port, "
            "and that the server is running"
        )
    if isinstance(exc, OSError) and exc.strerror:
        return ConnectionFailed(f"cannot talk to the IMAP server {where}: {exc.strerror}")
    # The server's own words may be in the error: shown as inert text.
    text = one_line(str(exc), limit=200) or type(exc).__name__
    if isinstance(exc, imap_errors.ProtocolError):
        return ConnectionFailed(
            f"the IMAP server {where} sent an answer that breaks the IMAP protocol ({text})",
            aftermath="nothing of it was kept; what was synced before is",
        )
    return ConnectionFailed(
        f"the connection to the IMAP server {where} was lost ({text})", aftermath="try again"
    )


def connect(account_name: str, account: AccountConfig, *, password: str | None = None) -> IMAPClient:
    """A logged-in IMAPClient for ``account``; raises one-line user errors on failure."""
    if password is None and not account.uses_oauth2:
        from supportinbox.mail.credentials import get_password

        password = get_password(account_name, account)
    context = tls_context(account, account_name) if account.imap_security != "none" else None
    client = _open(account, account_name, context)
    _no_delay(client)
    try:
        _refuse_preauth(client, account)
        if account.imap_security == "starttls":
            _starttls(client, account, context)
        _bounds(client)
        if account.uses_oauth2:
            _oauth2_login(client, account_name, account)
        else:
            _login(client, account_name, account, password or "")
        _send_id(client, account, account_name)
    except BaseException:
        _close_quietly(client)
        raise
    return client


def _no_delay(client: IMAPClient) -> None:
    """Send each command at once. imaplib writes a literal (APPEND of a note, a reply to
    Sent) and its closing CRLF separately; with Nagle's algorithm the CRLF waits for the
    server's delayed ACK: 40 ms per APPEND on Cyrus (measured 45.6 ms -> 0.4 ms)."""
    with contextlib.suppress(OSError, AttributeError):
        client._imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _open(account: AccountConfig, account_name: str, context: ssl.SSLContext | None) -> IMAPClient:
    """Connect and read the greeting.

    In plain text (``starttls``, ``none``) the greeting gets :data:`GREETING_WAIT` seconds: a
    TLS-only port says nothing until the client starts TLS, so instead of waiting the whole
    ``timeout`` the port is then tried for TLS and, if it answers, named as what it is.
    """
    tls = account.imap_security == "tls"
    first_wait = account.timeout if tls else min(account.timeout, GREETING_WAIT)
    for wait in dict.fromkeys((first_wait, account.timeout)):
        try:
            return IMAPClient(
                account.imap_host,
                port=account.imap_port,
                ssl=tls,
                ssl_context=context,
                timeout=SocketTimeout(connect=wait, read=account.timeout),
            )
        except NETWORK_ERRORS as exc:
            slow = isinstance(exc, TimeoutError | socket.timeout) and wait < account.timeout
            if not slow:
                raise describe_network_error(exc, account, account_name) from None
            if _speaks_tls(account):
                raise ConnectionFailed(
                    f"the IMAP server {_where(account)} sent no greeting in plain text but answers TLS: "
                    f'it is a TLS-only port. Set imap_security = "tls" for this port, or use the '
                    "server's STARTTLS port (usually 143)"
                ) from None
        except imap_errors.IMAPClientError as exc:
            # imaplib raises its plain error for a greeting that is BYE or no IMAP at all.
            raise describe_network_error(exc, account, account_name) from None
    raise AssertionError("unreachable: the last attempt waits the whole timeout")


def _speaks_tls(account: AccountConfig) -> bool:
    """Whether the port completes a TLS handshake (only a probe: nothing is sent through it)."""
    probe = ssl.create_default_context()
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE  # no data crosses this connection: it only tells TLS apart
    try:
        with (
            socket.create_connection((account.imap_host, account.imap_port), timeout=GREETING_WAIT) as raw,
            probe.wrap_socket(raw, server_hostname=account.imap_host),
        ):
            return True
    except ssl.SSLError as exc:
        # A plain-text server's bytes are no TLS record ("wrong version number"); any other
        # TLS error means a TLS server answered.
        return "WRONG_VERSION_NUMBER" not in str(exc.reason or exc).upper()
    except OSError:
        return False


def _refuse_preauth(client: IMAPClient, account: AccountConfig) -> None:
    """A PREAUTH greeting skips the login; with ``tls``/``starttls`` that is refused.

    Before STARTTLS it would leave the whole session unencrypted (the server, or someone in
    between, cannot be told to start TLS any more); after TLS it means a session that never
    checked the password. On a loopback ``none`` connection a pre-authenticated session
    (a local tunnel) is used as it is.
    """
    if not bytes(client.welcome or b"").upper().startswith(b"* PREAUTH"):
        return
    if account.imap_security == "none":
        return
    before = "STARTTLS could protect the connection" if account.imap_security == "starttls" else "any login"
    raise ConnectionFailed(
        f"the IMAP server {_where(account)} greeted with PREAUTH (logged in before {before}): "
        f"refusing with imap_security = {account.imap_security!r}. Check imap_host and imap_port: "
        "something between here and the server may be answering for it"
    )


def _starttls(client: IMAPClient, account: AccountConfig, context: ssl.SSLContext | None) -> None:
    try:
        offered = b"STARTTLS" in client.capabilities()
        if not offered:
            raise ConnectionFailed(
                f"the IMAP server {_where(account)} does not offer STARTTLS, so the password would "
                'travel unencrypted: refusing. Use imap_security = "tls" (usually port 993)'
            )
        client.starttls(context)
    except UserError:
        raise
    except NETWORK_ERRORS as exc:  # TLS errors are OSErrors
        raise describe_network_error(exc, account) from None
    except imap_errors.IMAPClientError as exc:
        raise ConnectionFailed(
            f"the IMAP server {_where(account)} did not start TLS ({one_line(str(exc), limit=120)}): "
            "refusing to log in without it"
        ) from None


def _login(client: IMAPClient, account_name: str, account: AccountConfig, password: str) -> None:
    if bytes(client.welcome or b"").upper().startswith(b"* PREAUTH"):
        return  # a pre-authenticated loopback session (see _refuse_preauth): nothing to log in to
    try:
        client.login(account.username, password)
    except imap_errors.LoginError:
        # The server's own text is not echoed: some servers quote the attempted credentials.
        # Where the password came from is where to fix it: password_command comes first.
        fix = (
            f"check username and what password_command of [accounts.{account_name}] prints"
            if account.password_command
            else f"check username of [accounts.{account_name}] and the password ('supportinbox login' "
            "stores it again)"
        )
        raise AuthenticationFailed(
            f"IMAP login as {account.username!r} on {_where(account)} was refused: {fix}"
        ) from None
    except NETWORK_ERRORS as exc:
        raise describe_network_error(exc, account, account_name) from None
    except imap_errors.IMAPClientError:
        raise AuthenticationFailed(
            f"IMAP login as {account.username!r} on {_where(account)} failed: check username and password "
            f"of [accounts.{account_name}]"
        ) from None


def _oauth2_login(client: IMAPClient, account_name: str, account: AccountConfig) -> None:
    """AUTHENTICATE with an access token; a refused one is replaced by a fresh one, once."""
    from supportinbox.mail.credentials import oauth2_token

    offered = {
        c.decode("ascii", "replace").upper().removeprefix("AUTH=")
        for c in client.capabilities()
        if c.upper().startswith(b"AUTH=")
    }
    mechanism = oauth2_mechanism(offered)
    if mechanism is None:
        raise AuthenticationFailed(
            f"the IMAP server {_where(account)} offers no OAuth2 login (neither XOAUTH2 nor OAUTHBEARER): "
            f"check imap_host, or remove oauth2_token_command from [accounts.{account_name}]"
        )
    for fresh in (False, True):
        token = oauth2_token(account_name, account, fresh=fresh)
        try:
            client._imap.authenticate(mechanism, OneResponse(sasl_oauth2(mechanism, account.username, token)))
            return
        except imaplib.IMAP4.abort as exc:
            raise describe_network_error(exc, account, account_name) from None
        except imaplib.IMAP4.error:
            log.info("IMAP %s login refused the access token%s", mechanism, "" if fresh else "; asking again")
        except NETWORK_ERRORS as exc:
            raise describe_network_error(exc, account, account_name) from None
    raise AuthenticationFailed(
        f"IMAP login ({mechanism}) as {account.username!r} on {_where(account)} refused the OAuth2 access "
        f"token, also a fresh one: check that oauth2_token_command of [accounts.{account_name}] gives a "
        "token for this address with mail access (it may need to be authorized again)"
    )


def _send_id(client: IMAPClient, account: AccountConfig, account_name: str) -> None:
    """Say who we are (RFC 2971) when the server asks for it by announcing ID; some providers
    refuse or throttle clients that do not."""
    try:
        if b"ID" not in client.capabilities():
            return
        client.id_(dict(CLIENT_ID))
    except NETWORK_ERRORS as exc:
        raise describe_network_error(exc, account, account_name) from None
    except imap_errors.IMAPClientError as exc:
        log.debug("the server refused ID: %s", exc)


def _close_quietly(client: IMAPClient) -> None:
    # The connection is being abandoned anyway: any error closing it is irrelevant.
    with contextlib.suppress(Exception):
        client.shutdown()


def logout(client: IMAPClient) -> None:
    """Log out politely, or just drop a connection that is already broken."""
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - nothing more to do with a broken connection
        _close_quietly(client)


@dataclass
class FolderRoles:
    """Which server folder plays which role; ``problems`` lists roles that were not found."""

    inbox: str
    junk: str | None
    sent: str | None
    problems: list[str] = field(default_factory=list)

    def by_role(self) -> dict[str, str]:
        roles = {"inbox": self.inbox, "junk": self.junk, "sent": self.sent}
        return {role: name for role, name in roles.items() if name is not None}


def _folder_name(name: Any) -> str:
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


# One LIST answer: (flags) delimiter name, the name quoted, an atom, or (a literal) apart.
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$', re.DOTALL)


def list_folders(client: IMAPClient) -> list[tuple[tuple[bytes, ...], str]]:
    """(flags, name) of every folder on the server, whatever the folders are called.

    A name may carry brackets unquoted (an IMAP astring: ``[x]Sp[`` is one). imapclient
    reads a "[" as the start of a bracketed token and refused the whole listing ("No
    closing ']'"): one folder a teammate named so stopped every sync. Then the answer is
    read again here, a line at a time.
    """
    try:
        return [(tuple(flags), _folder_name(name)) for flags, _delim, name in client.list_folders()]
    except imap_errors.ProtocolError:
        log.debug("imapclient could not read the folder list: reading it line by line")
    imap4: Any = client._imap
    typ, data = imap4.list('""', "*")
    if typ != "OK":
        raise imap_errors.IMAPClientError(f"LIST failed: {data!r}")
    folders: list[tuple[tuple[bytes, ...], str]] = []
    for item in data:
        head, literal = (item[0], item[1]) if isinstance(item, tuple) else (item, None)
        match = _LIST_LINE.match(head or b"")
        if match is None:
            continue
        name = literal if literal is not None else match["name"]
        if literal is None and name.startswith(b'"') and name.endswith(b'"') and len(name) > 1:
            name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
        folders.append((tuple(match["flags"].split()), imap_utf7.decode(name)))
    return folders


def discover_folders(client: IMAPClient, account: AccountConfig) -> FolderRoles:
    """Find Inbox, Junk and Sent: config overrides, then SPECIAL-USE, then common names."""
    listing = list_folders(client)
    names = [name for _, name in listing]
    by_lower = {name.lower(): name for name in reversed(names)}
    problems: list[str] = []

    def pick(role: str, override: str | None, use_flag: bytes, candidates: tuple[str, ...]) -> str | None:
        if override:
            if override in names or override.lower() in by_lower:
                return override if override in names else by_lower[override.lower()]
            problems.append(f"{role}_folder {override!r} does not exist on the server")
            return None
        for flags, name in listing:
            if use_flag in {bytes(f).lower() for f in flags}:
                return name
        for candidate in candidates:
            if candidate.lower() in by_lower:
                return by_lower[candidate.lower()]
        problems.append(f"no {role} folder found on the server (set {role}_folder in the config)")
        return None

    inbox = account.inbox_folder
    if inbox.upper() != "INBOX" and inbox not in names:
        problems.append(f"inbox_folder {inbox!r} does not exist on the server; using INBOX")
        inbox = "INBOX"
    junk = pick("junk", account.junk_folder, b"\\junk", JUNK_NAMES)
    sent = pick("sent", account.sent_folder, b"\\sent", SENT_NAMES)
    return FolderRoles(inbox=inbox, junk=junk, sent=sent, problems=problems)


def own_folder(client: IMAPClient, name: str) -> str:
    """Where a folder of ours (notes, team state) lives on this server (see :func:`in_namespace`)."""
    return in_namespace(_personal_prefix(client), name)


def _personal_prefix(client: IMAPClient) -> str:
    cached: str | None = getattr(client, "_supportinbox_personal_prefix", None)
    if cached is not None:
        return cached
    prefix = ""
    if b"NAMESPACE" in client.capabilities():
        try:
            personal = client.namespace().personal
        except imap_errors.IMAPClientError:
            personal = None
        if personal:
            first = personal[0][0]
            prefix = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)
    client._supportinbox_personal_prefix = prefix
    return prefix


def leave_read_only(client: IMAPClient) -> None:
    """Close a folder selected read-only before an APPEND: Courier refuses to APPEND while
    the target is selected read-only. CLOSE of a read-only folder expunges nothing."""
    imap4: Any = client._imap
    if imap4.state == "SELECTED" and getattr(imap4, "is_readonly", False):
        client.close_folder()


GMAIL_CAPABILITY = b"X-GM-EXT-1"


def files_sent_mail_itself(client: IMAPClient) -> bool:
    """Gmail (it announces X-GM-EXT-1) files every message sent through its SMTP server in
    Sent Mail by itself: an APPEND there would show the reply twice."""
    return GMAIL_CAPABILITY in client.capabilities()


def fetch_part(client: IMAPClient, folder: str, uid: int, part: str, size: int = 0) -> bytes:
    """Download one MIME part (an attachment) and undo its transfer encoding.

    ``size`` is the part's size as BODYSTRUCTURE gave it (decoded, estimated): the answer
    may be up to twice that (base64, line breaks), never more.
    """
    if not part or not all(p.isdigit() for p in part.split(".")):
        raise ValueError(f"not a MIME part number: {part!r}")
    client.select_folder(folder, readonly=True)
    body_key, mime_key = f"BODY[{part}]", f"BODY[{part}.MIME]"
    with literals_up_to(client, 2 * size if size > 0 else UNKNOWN_PART_LIMIT):
        response = client.fetch([uid], [f"BODY.PEEK[{part}.MIME]", f"BODY.PEEK[{part}]"])
    data = response.get(uid)
    if not data or body_key.encode() not in data:
        raise NotFound(f"message {uid} in {folder!r} has no part {part} on the server (was it deleted?)")
    payload = bytes(data[body_key.encode()] or b"")
    headers = message_from_bytes(bytes(data.get(mime_key.encode()) or b""), policy=compat32)
    encoding = str(headers.get("content-transfer-encoding", "")).strip().lower()
    if encoding == "base64":
        try:
            return base64.b64decode(payload)
        except (binascii.Error, ValueError):
            return base64.b64decode(b"".join(payload.split()) + b"==", validate=False)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(payload)
    return payload


def message_id_at(client: IMAPClient, uid: int) -> str | None:
    """The Message-ID (lower case, with its brackets) of ``uid`` in the selected folder.

    Raises :class:`LookupError` if the folder has no such UID any more. Used to check that a
    UID still names the message it named when a move was decided.
    """
    data = client.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    if uid not in data:
        raise LookupError(f"message {uid} is no longer in the folder")
    raw = next((v for k, v in data[uid].items() if bytes(k).startswith(b"BODY")), b"")
    _, _, value = bytes(raw).decode("utf-8", "replace").partition(":")
    value = value.strip()
    return value.lower() if value else None


def flag_and_move(
    client: IMAPClient,
    uids: Sequence[int],
    dest: str,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    capabilities: Sequence[bytes],
) -> None:
    """Clear ``remove`` and set ``add`` on ``uids`` of the selected folder, then move them to ``dest``.

    Flags are set first so they travel with the messages. ``MOVE`` when the server has it,
    else ``COPY``, ``\\Deleted`` and ``UID EXPUNGE`` of just those messages.
    """
    targets = list(uids)
    if remove:
        client.remove_flags(targets, list(remove))
    if add:
        client.add_flags(targets, list(add))
    if b"MOVE" in capabilities:
        client.move(targets, dest)
        return
    client.copy(targets, dest)
    client.add_flags(targets, [DELETED])
    if b"UIDPLUS" in capabilities:
        client.uid_expunge(targets)
    else:
        # Without UIDPLUS an EXPUNGE could remove messages someone else flagged: leave the
        # originals flagged \Deleted for the next expunge instead.
        log.warning("server lacks UIDPLUS: original left flagged \\Deleted")
