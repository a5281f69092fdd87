"""Sending the replies in the outbox: the one home of the use case, for the command line and the app.

Every send runs the team's pre-send checks (:func:`supportinbox.team.collision.send_checks`):
they are chosen here, so no caller can send with fewer. ``anyway`` is the user's "send it
anyway" (``--force``, ``team send-anyway``, the Outbox screen's S): it leaves out only the
teammate check.
"""

from __future__ import annotations

from collections.abc import Collection

from supportinbox.app.context import AccountContext
from supportinbox.mail.outbox import SendReport, send_due
from supportinbox.team.collision import send_anyway_checks, send_checks


def send(
    ctx: AccountContext,
    *,
    ids: Collection[int] | None = None,
    anyway: bool = False,
    force: bool = False,
    held: bool = False,
    password: str | None = None,
) -> SendReport:
    """Send the replies that are due (``ids`` only, when given); see :func:`send_due` for
    ``force`` and ``held``."""
    return send_due(
        ctx.db,
        ctx.config,
        ctx.account_name,
        ctx.account,
        checks=send_anyway_checks() if anyway else send_checks(),
        force=force,
        ids=ids,
        password=password,
        held=held,
    )
