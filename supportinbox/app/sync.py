"""Syncing an account: the one home of this use case, for the command line (``sync``, ``cache
rebuild``), the app (its sync key, timer and push) and the junk moves.

A sync fetches new mail and changes into the cache (:func:`fetch`: the
:class:`~supportinbox.sync.engine.SyncEngine`, with the hooks through which the team joins it),
then rebuilds the queue (:func:`refresh_queue`). The replies that
have become due are sent afterwards by the caller (:func:`supportinbox.app.outbox.send`),
which words their outcome for its own screen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from supportinbox.app.context import AccountContext
from supportinbox.app.refresh_beside import RefreshBeside
from supportinbox.store.triage_fresh import refresh_conversations
from supportinbox.sync.engine import ProgressCallback, SyncEngine, SyncResult
from supportinbox.sync.hooks import SyncHook

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from supportinbox.mail.imap import FolderRoles
    from supportinbox.store.db import Database

SORTING = "sorting the queue"
"""The step reported (as ``progress(SORTING, 0, 0)``) once the folders are fetched: the team
state is exchanged and new mail threaded, scored and filed, which takes seconds on a first
sync of thousands of messages."""


class _Sorting:
    """The first hook of a sync with progress: says the fetch is over and the sorting begins."""

    def __init__(self, progress: ProgressCallback) -> None:
        self.progress = progress

    def before(self, imap: IMAPClient, db: Database, folders: FolderRoles) -> None:
        pass

    def after(self, imap: IMAPClient, db: Database, folders: FolderRoles) -> None:
        self.progress(SORTING, 0, 0)


def _nothing() -> Collection[str]:
    return ()


def fetch(
    ctx: AccountContext,
    *,
    progress: ProgressCallback | None = None,
    hooks: Sequence[SyncHook] = (),
    folders: Sequence[str] | None = None,
    password: str | None = None,
) -> SyncResult:
    """Bring new mail and changes of ``folders`` (all by default) into the cache.

    ``progress`` hears each folder's count of new messages as they are stored, then the
    :data:`SORTING` step (with ``0, 0``) before the hooks run. A folder with many new
    messages has the queue sorted in a second process as they arrive
    (:mod:`supportinbox.app.refresh_beside`); the fetch returns once that process is done,
    and :func:`refresh_queue` sorts whatever is left.
    """
    if progress is not None:
        hooks = [_Sorting(progress), *hooks]
    beside = RefreshBeside(ctx, ctx.db.path)

    def told(folder: str, done: int, total: int) -> None:
        beside.progress(folder, done, total)
        if progress is not None:
            progress(folder, done, total)

    engine = SyncEngine(
        ctx.db,
        ctx.account_name,
        ctx.account,
        password=password,
        progress=told,
        hooks=hooks,
        folders=folders,
    )
    completed = False
    try:
        result = engine.run()
        completed = True
    finally:
        beside.finish(completed=completed)
    return result


def clear_unfinished_rebuild(account_name: str) -> str:
    """Remove what a rebuild stopped before its swap left, before the cache is even opened;
    what was removed, in one line, or "".

    On a disk it filled, opening the cache would fail first ("the disk is full: free some
    space") while the space to free is its own. A sync or rebuild holding the account
    (it may be that rebuild's own new cache) leaves it to the engine's look under the lock.
    """
    from supportinbox.errors import SyncBusy
    from supportinbox.store.rebuild import clear_unfinished
    from supportinbox.sync.lock import account_lock

    try:
        with account_lock(account_name, wait=0):
            return clear_unfinished(account_name)
    except SyncBusy:
        return ""


def refresh_queue(
    ctx: AccountContext, *, changed_meanwhile: Callable[[], Collection[str]] = _nothing
) -> None:
    """Rebuild the queue after a fetch, at the context's clock.

    ``changed_meanwhile``: the conversations whose state was changed on another connection
    while the sync ran (the app's keys); the rebuild read them before the change, so their
    state is applied again.
    """
    refresh_conversations(ctx.db, ctx.config, ctx.account, now=ctx.now())
    from supportinbox.app.junk import reopen_queued_rescues

    reopen_queued_rescues(ctx)  # rescues queued offline, done by this sync's first step
    touched = changed_meanwhile()
    if touched:
        # The queue's module (and all it imports) loads only when something changed meanwhile.
        from supportinbox.store.conversations import reapply_state

        reapply_state(ctx.db, touched, now=ctx.now())
