"""The IMAP side of the app, as a port: :class:`Mailbox` fetches mail, tells the team, moves
mail on the server and fetches attachments.

:class:`InboxService` works the cache itself and hands everything that needs the mail
server to its mailbox. The real one, :class:`ServerMailbox`, talks to the account's IMAP
server; the demo supplies one that keeps everything on the machine. A mailbox also says
what the app runs by itself (``has_server``: syncs on a timer, watches for new mail, sends
read state) and how the account is shown (``label``, ``banner``), so no screen asks which
kind of account it is. Called from worker threads; this module imports no Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from supportinbox import paths
from supportinbox.app.context import AccountContext, AccountHome
from supportinbox.domain.conversation import MessageView
from supportinbox.domain.safetext import one_line
from supportinbox.errors import UserError
from supportinbox.store.junk import JunkSuspect
from supportinbox.team.server import TeamConflict

if TYPE_CHECKING:
    from supportinbox.sync.hooks import SyncHook

# (folder, done, total) while a folder is fetched
FetchProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Fetched:
    """What one fetch brought into the cache."""

    new: int
    updated: int
    # Messages the server could not send, left there (one line each, for a warning).
    skipped: tuple[str, ...] = ()
    # What teammates did that this agent must hear at once (one line each).
    team: tuple[str, ...] = ()
    # Everything teammates did, by conversation (for a reply being written to one of them).
    teammates: tuple[tuple[str | None, str], ...] = ()
    # A stopped rebuild's unfinished new cache the fetch removed, in one line (or "").
    cleared: str = ""


class Mailbox(Protocol):
    """The mail server side of one account."""

    @property
    def has_server(self) -> bool:
        """A server behind the cache: synced on a timer, watched, sent read state to."""

    @property
    def label(self) -> str:
        """Words beside the account name in the status bar ("" for an account on a server)."""

    def banner(self) -> str:
        """A line above the queue and the thread ("" for an account on a server)."""

    def fetch(self, ctx: AccountContext, progress: FetchProgress) -> Fetched:
        """Bring new mail and changes into the cache (``ctx``: on the sync's own connection)."""

    def share(self, conversation_id: str) -> str:
        """Tell the team this conversation's local changes; what the user should know, or ""."""

    def push_changes(self) -> bool:
        """Send queued flag changes now (kept for the next sync if that fails)."""

    def mark_spam(self, conversation_id: str) -> str:
        """Move the conversation's customer messages to the spam folder; what happened."""

    def rescue(self, suspect: JunkSuspect) -> str:
        """Move a spam-folder message back to the inbox; what happened."""

    def attachments_dir(self) -> Path:
        """Where saved attachments go."""

    def fetch_attachment(self, message: MessageView, attachment: dict[str, Any]) -> bytes:
        """One attachment of a message (as the cache describes it), decoded."""


class ServerMailbox:
    """The account's IMAP server, with the team sharing through it."""

    has_server = True
    label = ""

    def __init__(self, home: AccountHome) -> None:
        self.home = home
        # Sharing with the team goes one conversation at a time (never holding the cache).
        self._share_lock = threading.Lock()

    def banner(self) -> str:
        return ""

    def fetch(self, ctx: AccountContext, progress: FetchProgress) -> Fetched:
        from supportinbox.app import sync
        from supportinbox.team.hook import TeamSyncHook

        hooks = self._hooks()
        result = sync.fetch(ctx, progress=progress, hooks=hooks)
        skipped = tuple(line for folder in result.folders for line in folder.skipped)
        team_hook = next((hook for hook in hooks if isinstance(hook, TeamSyncHook)), None)
        if team_hook is None:
            return Fetched(result.new, result.updated, skipped, cleared=result.cleared)
        # Kept with the isolates around the names, subjects and notes they are made of.
        team = tuple(one_line(event.said(), limit=200, isolates=True) for event in team_hook.for_me(ctx.db))
        teammates = tuple(
            (e.conversation_id, one_line(e.text, limit=200, isolates=True)) for e in team_hook.events
        )
        return Fetched(result.new, result.updated, skipped, team, teammates, result.cleared)

    def _hooks(self) -> list[SyncHook]:
        from supportinbox.sync.hooks import default_hooks

        return default_hooks(self.home.config, self.home.account_name, self.home.account)

    def share(self, conversation_id: str) -> str:
        """Tell the team about this conversation's local changes (state and notes) now.

        Returns what the user should know ("" when it was shared); a teammate's claim made
        meanwhile raises :class:`~supportinbox.team.server.TeamConflict` (the cache then shows it).
        """
        from supportinbox.app import team_actions

        with self._share_lock, self.home.open() as ctx:
            try:
                state = team_actions.push_state(ctx, conversation_id)
                notes = team_actions.upload_notes(ctx, conversation_id)
            except TeamConflict:
                raise
            except UserError as exc:
                # Whole: a login refused says how to fix it at its end.
                why = one_line(exc.message, limit=240)
                return f"Not shared with the team yet ({why}): the next sync shares it."
        if state.online and notes.online:
            return ""
        return "Not shared with the team yet (the server is unreachable): the next sync shares it."

    def push_changes(self) -> bool:
        """Send queued flag changes to the server now (quietly kept for the next sync if it fails)."""
        from supportinbox.sync.flush import push_pending

        # Its own connection: no write lock held during network IO.
        with self.home.open() as ctx:
            return push_pending(ctx.db, ctx.account_name, ctx.account)

    def mark_spam(self, conversation_id: str) -> str:
        """Move the conversation's customer messages to the spam folder on the server."""
        from supportinbox.app import junk

        with self.home.open() as ctx:
            result = junk.report_spam(ctx, conversation_id, hooks=self._hooks())
        return f"Moved {result.moved} message(s) to Junk. {result.note}".strip()

    def rescue(self, suspect: JunkSuspect) -> str:
        """Move a spam-folder message back to the inbox, where it joins its conversation."""
        from supportinbox.app import junk

        with self.home.open() as ctx:
            result = junk.rescue(ctx, suspect.uid, hooks=self._hooks())
        subject = one_line(suspect.subject, limit=50)
        if result.queued:
            return f"Rescue of {subject}: {result.note}"
        reopened = result.describe_reopened()
        reopened = f"{reopened[:1].upper()}{reopened[1:]}." if reopened else ""
        stop = "" if subject.endswith((".", "?", "!", "…")) else "."  # not "CSV?."
        return " ".join(p for p in (f"Rescued to the inbox: {subject}{stop}", reopened, result.note) if p)

    def attachments_dir(self) -> Path:
        return paths.attachments_dir()

    def fetch_attachment(self, message: MessageView, attachment: dict[str, Any]) -> bytes:
        """Fetch one attachment from the server."""
        from supportinbox.mail.forwarding import server_attachments

        with server_attachments(self.home.account_name, self.home.account) as fetch:
            return fetch(message, attachment)
