"""What every IMAP connection of ours shares, with nothing but the standard library.

The sync engine talks through imapclient (:mod:`supportinbox.mail.imap`); a no-change
``supportinbox sync`` answered before the program loads (:mod:`supportinbox.cli.quick_sync`)
talks through imaplib. Both trust the same certificates, name our own folders alike and
introduce themselves the same way, through these functions.
"""

from __future__ import annotations

import ssl

from supportinbox import __version__

#: What we say in ID (RFC 2971) to a server that announces it.
CLIENT_ID = {"name": "supportinbox", "version": __version__}


def trust_context(ca_file: str | None) -> ssl.SSLContext:
    """The system trust store plus ``ca_file``; host names are checked.

    Raises ``OSError`` or ``ssl.SSLError`` when ``ca_file`` cannot be loaded.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    return context


#: OpenSSL's verify codes for a certificate issued to another host name, e-mail or IP address.
_NAME_MISMATCH = frozenset({62, 63, 64})


def untrusted_certificate(
    exc: ssl.SSLCertVerificationError, *, where: str, host_key: str, ca_file: object, table: str
) -> str:
    """One line for a certificate that failed verification, with the fix that applies.

    A certificate issued to another name is not a trust problem: adding it to ``ca_file``
    would not help, the host setting has to name what the certificate names.
    """
    reason = (exc.verify_message or exc.reason or "verification failed").rstrip(".")
    if exc.verify_code in _NAME_MISMATCH:
        return (
            f"the TLS certificate of {where} is issued for another name ({reason}): set {host_key} "
            f"in {table} to a name the certificate is issued for"
        )
    if ca_file is not None:
        return (
            f"the TLS certificate of {where} is not trusted ({reason}), not even by ca_file "
            f"{ca_file}: check that ca_file holds the server's certificate or its CA"
        )
    return (
        f"the TLS certificate of {where} is not trusted ({reason}): if the server uses a "
        f'self-signed certificate or its own CA, set ca_file = "/path/to/cert.pem" in {table}'
    )


def in_namespace(prefix: str, name: str) -> str:
    """Where a folder of ours called ``name`` lives under the personal namespace ``prefix``.

    Servers whose personal namespace has a prefix (Courier: ``INBOX.``) refuse to create
    folders outside it, so ``Support State`` there is ``INBOX.Support State``. A name that
    already carries the prefix, and servers without one (Dovecot, Cyrus, Gmail), keep it.
    """
    if not prefix or name.upper().startswith(prefix.upper()) or name.upper() == "INBOX":
        return name
    return prefix + name
