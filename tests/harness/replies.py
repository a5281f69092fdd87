"""Helpers for the reply tests: a synced account on the test servers and the CLI in-process."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportinbox.cli import main
from supportinbox.config import AccountConfig, Config, load_config
from supportinbox.domain.templates import install_default_templates
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, open_database
from supportinbox.sync.engine import SyncEngine
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append
from tests.harness.smtp import SmtpServer


@dataclass
class Setup:
    config: Config
    name: str
    account: AccountConfig
    db: Database

    def sync(self) -> None:
        """Sync the account and recompute the conversations, as 'supportinbox sync' does."""
        SyncEngine(self.db, self.name, self.account).run()
        refresh_conversations(self.db, self.config, self.account)

    def conversation_of(self, message_id: str) -> str:
        row = self.db.conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = ?", (message_id,)
        ).fetchone()
        assert row is not None and row[0], f"{message_id} is not in a conversation"
        return str(row[0])


def setup_account(
    home: Path,
    dovecot: Dovecot,
    smtp: SmtpServer | None,
    raws: list[bytes],
    extra: str = "",
    timeout: float | None = None,
) -> Setup:
    """Config on the test servers, default templates installed, ``raws`` delivered and synced."""
    text = account_toml(dovecot, smtp, extra=extra)
    if timeout is not None:
        text = text.replace("timeout = 10\n", f"timeout = {timeout}\n")
    write_config(home, text)
    install_default_templates()
    if raws:
        append(dovecot, raws)
    config = load_config()
    name, account = config.account()
    setup = Setup(config, name, account, open_database(account=name))
    setup.sync()
    return setup


class TerminalInput(io.StringIO):
    """Answers typed at a terminal: stdin for a command that asks before it acts."""

    def isatty(self) -> bool:
        return True


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """Run ``supportinbox ARGS`` in this process, as the console script would."""
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    else:
        code = 0
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
