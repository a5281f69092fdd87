"""Account configs pointing at the test Dovecot, for tests that call the sync code directly."""

from __future__ import annotations

from typing import Any

from supportinbox.config import AccountConfig
from supportinbox.store.db import Database, open_database
from tests.harness.dovecot import Dovecot


def imap_account(server: Dovecot, *, security: str = "none", **overrides: Any) -> AccountConfig:
    """An account on ``server`` (plain IMAP on loopback unless ``security`` says otherwise)."""
    values: dict[str, Any] = {
        "email": "support@acme.test",
        "display_name": "Acme Support",
        "agent": "alice",
        "username": "support",
        "imap_host": "127.0.0.1",
        "imap_port": server.imaps_port if security == "tls" else server.imap_port,
        "imap_security": security,
        "ca_file": server.cert_file,
        "timeout": 10,
    }
    values.update(overrides)
    return AccountConfig(**values)


def open_cache(name: str = "support") -> Database:
    """The account's cache in the isolated test home."""
    return open_database(account=name)


def cached(db: Database, folder: str = "INBOX") -> dict[int, str]:
    """UID -> flags of every cached message of ``folder``."""
    rows = db.conn.execute(
        "SELECT m.uid, m.flags FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.name = ?",
        (folder,),
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def on_server(server: Dovecot, folder: str = "INBOX") -> dict[int, str]:
    """UID -> flags (as the cache spells them) of every message in ``folder`` on the server."""
    from supportinbox.store.messages import flags_text
    from tests.harness.mail import client

    with client(server) as imap:
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["ALL"])
        data = imap.fetch(uids, ["FLAGS"]) if uids else {}
    return {int(uid): flags_text(item[b"FLAGS"]) for uid, item in data.items()}
