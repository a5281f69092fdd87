"""The demo's mailbox: everything the IMAP side would do happens in the demo cache only.

It stands where :class:`supportinbox.app.mailbox.ServerMailbox` stands for a real account
(the :class:`~supportinbox.app.mailbox.Mailbox` port): nothing is fetched, team changes and
read state stay local, spam moves and rescues move the cached messages as the next sync
would after the server's move, and attachments come from the bundled messages.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from supportinbox import paths
from supportinbox.app.context import AccountContext, AccountHome
from supportinbox.app.mailbox import Fetched, FetchProgress
from supportinbox.demo.mailbox import demo_messages
from supportinbox.domain.conversation import MessageView
from supportinbox.domain.safetext import one_line
from supportinbox.errors import NotFound
from supportinbox.store import conversations
from supportinbox.store.db import open_database
from supportinbox.store.junk import JunkSuspect
from supportinbox.store.messages import change_flags, ensure_folder, max_uid


class DemoMailbox:
    """No server behind the demo cache."""

    has_server = False
    label = "demo mailbox"

    def __init__(self, home: AccountHome) -> None:
        self.home = home

    def banner(self) -> str:
        """Where replies go, so nobody thinks a customer got one."""
        return f"DEMO — replies are saved to {paths.demo_outbox_dir()}, nothing is sent"

    def share(self, conversation_id: str) -> str:
        return ""  # no team server: everything stays in the demo cache

    def push_changes(self) -> bool:
        return True  # the demo has no server: read state stays in the demo cache

    def fetch(self, ctx: AccountContext, progress: FetchProgress) -> Fetched:
        return Fetched(0, 0)  # nothing arrives: the demo cache is all there is

    def attachments_dir(self) -> Path:
        return paths.data_dir() / "demo-attachments"

    def fetch_attachment(self, message: MessageView, attachment: dict[str, Any]) -> bytes:
        """Take the attachment from the bundled demo message (there is no server to fetch from)."""
        wanted = str(attachment.get("filename") or "")
        for demo in demo_messages(self.home.clock()):
            parsed = message_from_bytes(demo.raw, policy=policy.default)
            if str(parsed.get("Message-ID", "")).strip() != (message.message_id or ""):
                continue
            assert isinstance(parsed, EmailMessage)
            for part in parsed.iter_attachments():
                if part.get_filename() == wanted:
                    data = part.get_payload(decode=True)
                    return data if isinstance(data, bytes) else b""
        raise NotFound(f"the demo mailbox has no attachment {wanted!r} on this message")

    def rescue(self, suspect: JunkSuspect) -> str:
        """Move the message to the cached inbox, as the next sync would after the server move."""
        self._move([suspect.rowid], "INBOX", "inbox", add="$NotJunk", remove="$Junk")
        return f"Rescued to the inbox: {one_line(suspect.subject, limit=50)} (demo: no server was told)"

    def mark_spam(self, conversation_id: str) -> str:
        """Move the conversation's inbox messages to the cached spam folder."""
        with open_database(self.home.db_path) as db:
            ident = conversations.resolve_id(db, conversation_id)
            rows = db.conn.execute(
                "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id "
                "WHERE m.conversation_id = ? AND f.role = 'inbox'",
                (ident,),
            ).fetchall()
        if not rows:
            raise NotFound("this conversation has no message in the inbox to mark as spam")
        self._move([int(r[0]) for r in rows], "Junk", "junk", add="$Junk", remove="$NotJunk")
        return f"Moved {len(rows)} message(s) to Junk (demo: no server was told)"

    def _move(self, rowids: list[int], folder: str, role: str, *, add: str, remove: str) -> None:
        with open_database(self.home.db_path) as db:
            with db.transaction() as conn:
                target = ensure_folder(conn, folder, role)
                uid = max_uid(conn, target.id)
                for rowid in rowids:
                    uid += 1
                    change_flags(conn, rowid, add=[add], remove=[remove])
                    conn.execute(
                        "UPDATE messages SET folder_id = ?, uid = ? WHERE id = ?", (target.id, uid, rowid)
                    )
            home = self.home
            conversations.refresh_conversations(db, home.config, home.account, now=home.clock())
