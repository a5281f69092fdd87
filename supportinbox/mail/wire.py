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


def in_namespace(prefix: str, name: str) -> str:
    """Where a folder of ours called ``name`` lives under the personal namespace ``prefix``.

    Servers whose personal namespace has a prefix (Courier: ``INBOX.``) refuse to create
    folders outside it, so ``Support State`` there is ``INBOX.Support State``. A name that
    already carries the prefix, and servers without one (Dovecot, Cyrus, Gmail), keep it.
    """
    if not prefix or name.upper().startswith(prefix.upper()) or name.upper() == "INBOX":
        return name
    return prefix + name
