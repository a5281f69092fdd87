"""One account as every use case needs it: the open cache, the config, the account, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
