"""One account as every use case needs it: the open cache, the config, the account, the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from supportinbox.config import AccountConfig, Config

if TYPE_CHECKING:
    from supportinbox.store.db import Database


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AccountContext:
    """What a use case is run on, passed as one value instead of five arguments."""

    db: Database
    config: Config
    account_name: str
    account: AccountConfig
    clock: Callable[[], datetime] = field(default=_wall_clock)

    def now(self) -> datetime:
        """The current time (frozen in tests and snapshots)."""
        return self.clock()


@dataclass(frozen=True)
class AccountHome:
    """One account and where its cache is, not opened yet.

    The app's worker threads each open a connection of their own (:meth:`open`), so one
    account is passed around as this value instead of four arguments and a path.
    """

    config: Config
    account_name: str
    account: AccountConfig
    db_path: Path
    clock: Callable[[], datetime] = field(default=_wall_clock)  # frozen in tests and snapshots

    @contextmanager
    def open(self) -> Iterator[AccountContext]:
        """The account on a cache connection of its own, closed afterwards."""
        from supportinbox.store.db import open_database

        with open_database(self.db_path) as db:
            yield AccountContext(db, self.config, self.account_name, self.account, self.clock)
