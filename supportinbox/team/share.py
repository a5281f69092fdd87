"""Sharing a change made here with the team at once, over a short connection of its own.

The change is in the cache already; when the server cannot take it now, the next sync
shares it, and the caller says so with the reason given here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig
from supportinbox.domain.safetext import one_line
from supportinbox.errors import ConnectionFailed, UserError
from supportinbox.mail.imap import NETWORK_ERRORS, connect, logout

log = logging.getLogger(__name__)


def share_now(
    account_name: str,
    account: AccountConfig,
    upload: Callable[[IMAPClient], object],
    *,
    password: str | None = None,
) -> str | None:
    """Run ``upload`` on a new connection: ``None`` when done, else why it waits for the next sync."""
    try:
        imap = connect(account_name, account, password=password)
    except ConnectionFailed:
        return "server unreachable"
    except UserError as exc:  # a login that fails: the change is kept all the same
        return one_line(exc.message, limit=200)
    try:
        upload(imap)
    except (*NETWORK_ERRORS, IMAPClientError) as exc:
        log.info("change kept for the next sync: %s", exc)
        return "the connection was lost"
    finally:
        logout(imap)
    return None


def waiting(what: str, why: str | None) -> str:
    """``what (shared with the team)`` or ``what; not shared yet (why): the next sync shares it``."""
    if why is None:
        return f"{what} (shared with the team)"
    return f"{what}; not shared yet ({why}): the next sync shares it"
