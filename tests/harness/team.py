"""Several teammates on ONE mailbox, each with a separate home, config and cache.

Each :class:`Teammate` has its own ``SUPPORTINBOX_HOME`` (config, cache, locks), and
switches the process environment to it while it acts, so the real CLI and the real sync
code run exactly as on that teammate's machine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from supportinbox.app.context import AccountContext
from supportinbox.config import AccountConfig, Config, load_config
from supportinbox.domain.templates import install_default_templates
from supportinbox.mail import drafts
from supportinbox.mail import outbox as sender
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, open_database
from supportinbox.sync.engine import SyncEngine
from supportinbox.sync.hooks import default_hooks
from supportinbox.team.collision import send_checks
from supportinbox.team.hook import TeamSyncHook
from supportinbox.team.statefolder import STATE_FOLDER, parse_state_message, registry
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import client
from tests.harness.replies import CliResult, run_cli, setup_account
from tests.harness.smtp import SmtpServer

TEMPLATE = "acknowledge-investigating"


@dataclass
class Teammate:
    agent: str
    home: Path
    config: Config
    name: str
    account: AccountConfig
    db: Database

    def ctx(self, account: AccountConfig | None = None) -> AccountContext:
        """This teammate's account (or ``account``, e.g. one whose server is unreachable) for a use case."""
        return AccountContext(self.db, self.config, self.name, account or self.account)

    @contextmanager
    def active(self) -> Iterator[None]:
        """Run as this teammate (their SUPPORTINBOX_HOME)."""
        before = os.environ.get("SUPPORTINBOX_HOME")
        os.environ["SUPPORTINBOX_HOME"] = str(self.home)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("SUPPORTINBOX_HOME", None)
            else:
                os.environ["SUPPORTINBOX_HOME"] = before

    def sync(self) -> TeamSyncHook:
        """What 'supportinbox sync' does: engine with the default hooks, then the queue refresh."""
        with self.active():
            hooks = default_hooks(self.config, self.name, self.account)
            SyncEngine(self.db, self.name, self.account, hooks=hooks).run()
            refresh_conversations(self.db, self.config, self.account)
        (hook,) = [h for h in hooks if isinstance(h, TeamSyncHook)]
        return hook

    def cli(self, capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
        with self.active():
            return run_cli(capsys, *args)

    def conversation_of(self, message_id: str) -> str:
        row = self.db.conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = ?", (message_id,)
        ).fetchone()
        assert row is not None and row[0], f"{message_id} is not in a conversation of {self.agent}"
        return str(row[0])

    def queue_row(self, cid: str) -> tuple[str | None, str]:
        """(assigned_to, status) as this teammate's queue shows the conversation."""
        row = self.db.conn.execute(
            "SELECT assigned_to, status FROM conversations WHERE id = ?", (cid,)
        ).fetchone()
        assert row is not None, f"{cid} not in the queue of {self.agent}"
        return row[0], str(row[1])

    def draft_reply(self, cid: str) -> int:
        """A reply written (queued in the outbox) but not sent yet."""
        with self.active():
            draft = drafts.prepare_draft(self.db, self.config, self.account, cid, TEMPLATE)
            msg = drafts.draft_message(draft, self.config, self.account)
            return drafts.queue_draft(self.db, draft, msg)

    def send(self, outbox_id: int, checks: sender.SendChecks | None = None) -> sender.SendReport:
        """Send this reply now, as the user naming it does (a held one too), with every check
        the product sends with unless ``checks`` says otherwise."""
        with self.active():
            return sender.send_due(
                self.db,
                self.name,
                self.account,
                force=True,
                ids=[outbox_id],
                checks=checks or send_checks(),
                held=True,
            )


def make_team(
    base: Path,
    dovecot: Dovecot,
    smtp: SmtpServer | None,
    agents: tuple[str, ...] = ("alice", "bob", "carol"),
    extra: str = "",
) -> list[Teammate]:
    """One teammate per agent name, each synced once."""
    team = []
    for agent in agents:
        home = base / f"home-{agent}"
        previous = os.environ.get("SUPPORTINBOX_HOME")
        os.environ["SUPPORTINBOX_HOME"] = str(home)
        try:
            write_config(home, account_toml(dovecot, smtp, agent=agent, extra=extra))
            install_default_templates()
            config = load_config()
            name, account = config.account()
            db = open_database(account=name)
        finally:
            if previous is not None:
                os.environ["SUPPORTINBOX_HOME"] = previous
        mate = Teammate(agent, home, config, name, account, db)
        mate.sync()
        team.append(mate)
    return team


def app_account_and_bob(
    home: Path,
    base: Path,
    dovecot: Dovecot,
    message: bytes,
    message_id: str,
    extra: str = "",
    smtp: SmtpServer | None = None,
) -> tuple[str, Teammate]:
    """The app's account (alice) at ``home`` with ``message`` synced, and teammate bob.

    Returns the conversation id of ``message_id`` and bob; alice's cache is left closed for
    the app to open.
    """
    setup = setup_account(home, dovecot, smtp, [message], extra=extra)
    cid = setup.conversation_of(message_id)
    setup.db.close()
    (bob,) = make_team(base, dovecot, smtp, ("bob",))
    return cid, bob


def server_registry(dovecot: Dovecot) -> dict[int, str]:
    """The team slots as the state folder on the server says: slot -> agent."""
    with client(dovecot) as imap:
        if not imap.folder_exists(STATE_FOLDER):
            return {}
        imap.select_folder(STATE_FOLDER, readonly=True)
        uids = imap.search(["ALL"])
        bodies = imap.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    entries = [parse_state_message(uid, bytes(bodies[uid][b"BODY[]"])) for uid in uids]
    return registry(e for e in entries if e is not None)


def state_entries(dovecot: Dovecot, kinds: tuple[str, ...]) -> list[dict[str, object]]:
    """The JSON bodies of the state folder's entries of ``kinds``, oldest first."""
    with client(dovecot) as imap:
        if not imap.folder_exists(STATE_FOLDER):
            return []
        imap.select_folder(STATE_FOLDER, readonly=True)
        uids = imap.search(["ALL"])
        bodies = imap.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    found = []
    for uid in sorted(bodies):
        msg = message_from_bytes(bytes(bodies[uid][b"BODY[]"]), policy=policy.default)
        data = json.loads(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        if data.get("kind") in kinds:
            found.append(data)
    return found


def team_flags(dovecot: Dovecot, message_id: str) -> set[str]:
    """The flags of one inbox message on the server, ``$si-holder-N`` also as ``holder:AGENT``."""
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        (uid,) = imap.search(["HEADER", "Message-ID", message_id.strip("<>")])
        flags = {f.decode() for f in imap.get_flags([uid])[uid]}
    slots = server_registry(dovecot)
    holders = {
        f"holder:{slots.get(int(f.rpartition('-')[2]), '?')}"
        for f in flags
        if f.lower().startswith("$si-holder-")
    }
    return flags | holders
