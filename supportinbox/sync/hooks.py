"""Extra work done around each sync (the team state travels this way).

A hook is any object with ``before(imap, db, folders)`` and ``after(imap, db, folders)``;
``folders`` is the :class:`~supportinbox.mail.imap.FolderRoles` of the account. ``before``
runs after queued changes were flushed and before the folders are synced; ``after`` runs
once every folder is in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from supportinbox.config import AccountConfig, Config

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from supportinbox.mail.imap import FolderRoles
    from supportinbox.store.db import Database


class SyncHook(Protocol):
    def before(self, imap: IMAPClient, db: Database, folders: FolderRoles) -> None: ...

    def after(self, imap: IMAPClient, db: Database, folders: FolderRoles) -> None: ...


def default_hooks(config: Config, account_name: str, account: AccountConfig) -> list[SyncHook]:
    """The hooks the CLI and the TUI run with every sync of ``account_name``."""
    from supportinbox.team.hook import TeamSyncHook

    return [TeamSyncHook(config, account_name, account)]
