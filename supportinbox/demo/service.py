"""The demo's service: the real cache and queue, but no server.

Everything reads and writes the demo cache exactly as with a real account. The two
outward actions change: a sync fetches nothing, and a reply, once its undo window is
over, is written as an ``.eml`` file to :func:`paths.demo_outbox_dir` and filed in the
cached Sent folder (through the same parse/upsert/refresh path as a sync) instead of
going to SMTP.
"""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from supportinbox import paths
from supportinbox.demo.mailbox import demo_messages
from supportinbox.domain.conversation import MessageView
from supportinbox.domain.safetext import one_line
from supportinbox.domain.templates import install_default_templates
from supportinbox.errors import NotFound, UserError
from supportinbox.mail.attachments import safe_save
from supportinbox.store import conversations
from supportinbox.store.junk import JunkSuspect
from supportinbox.store.messages import change_flags, ensure_folder, max_uid
from supportinbox.team import notes as team_notes
from supportinbox.team import store as team_store
from supportinbox.team.keywords import TeamState
from supportinbox.tui.service import InboxService, Progress, SyncOutcome


class DemoService(InboxService):
    """An :class:`InboxService` whose outward actions stay on this machine."""

    has_server = False
    label = "demo mailbox"

    def banner(self) -> str:
        """Where replies go, so nobody thinks a customer got one."""
        return f"DEMO — replies are saved to {paths.demo_outbox_dir()}, nothing is sent"

    def templates_dir(self) -> Path:
        """The user's templates if there are any, else the shipped ones (copied for the demo)."""
        mine = paths.templates_dir()
        if mine.is_dir() and any(mine.iterdir()):
            return mine
        directory = paths.data_dir() / "demo-templates"
        install_default_templates(directory)
        return directory

    def share(self, conversation_id: str) -> str:
        return ""  # no team server: everything stays in the demo cache

    def claim(self, conversation_id: str) -> str:
        """Take the conversation in the demo cache (no teammates to tell)."""
        agent = self.account.agent

        def take(owner: str | None) -> str | None:
            if owner and owner != agent:
                raise UserError(f"{owner} has claimed this conversation already")
            return agent

        self._set_owner(conversation_id, take)
        return f"Claimed by {agent}"

    def release(self, conversation_id: str) -> str:
        """Give up this agent's claim in the demo cache."""
        self._set_owner(conversation_id, lambda owner: None if owner == self.account.agent else owner)
        return "Released"

    def add_note(self, conversation_id: str, text: str) -> str:
        """Keep the note in the demo cache at the demo clock, marked shared (there is no server)."""
        with self.writer() as db:
            ident = conversations.resolve_id(db, conversation_id)
            with db.transaction() as conn:
                message_id = team_notes.add_local_note(conn, self.account, ident, text)
                conn.execute(
                    "UPDATE notes SET uploaded = 1, created_at = ? WHERE message_id = ?",
                    (self.now().isoformat(timespec="seconds"), message_id),
                )
        return "Note added (demo: kept on this machine)"

    def _set_owner(self, conversation_id: str, decide: Callable[[str | None], str | None]) -> None:
        with self.writer() as db:
            ident = conversations.resolve_id(db, conversation_id)
            with db.transaction() as conn:
                state = team_store.local_state(conn, ident)
                owner = decide(state.assigned_to)
                team_store.write_local(
                    conn, ident, TeamState(state.status, state.snoozed_until, owner), by=self.account.agent
                )
            conversations.reapply_state(db, [ident], now=self.now())

    def push_changes(self) -> bool:
        return True  # the demo has no server: read state stays in the demo cache

    def sync(self, progress: Progress) -> SyncOutcome:
        progress("demo mailbox")
        return SyncOutcome("demo mailbox: nothing to fetch", None)

    def attachments_dir(self) -> Path:
        return paths.data_dir() / "demo-attachments"

    def save_attachment(self, message: MessageView, attachment: dict[str, Any]) -> Path:
        """Take the attachment from the bundled demo message (there is no server to fetch from)."""
        wanted = str(attachment.get("filename") or "")
        for demo in demo_messages(self.now()):
            parsed = message_from_bytes(demo.raw, policy=policy.default)
            if str(parsed.get("Message-ID", "")).strip() != (message.message_id or ""):
                continue
            assert isinstance(parsed, EmailMessage)
            for part in parsed.iter_attachments():
                if part.get_filename() == wanted:
                    data = part.get_payload(decode=True)
                    return safe_save(self.attachments_dir(), wanted, data if isinstance(data, bytes) else b"")
        raise NotFound(f"the demo mailbox has no attachment {wanted!r} on this message")

    def rescue(self, suspect: JunkSuspect) -> str:
        """Move the message to the cached inbox, as the next sync would after the server move."""
        self._move([suspect.rowid], "INBOX", "inbox", add="$NotJunk", remove="$Junk")
        return f"Rescued to the inbox: {one_line(suspect.subject, limit=50)} (demo: no server was told)"

    def mark_spam(self, conversation_id: str) -> str:
        """Move the conversation's inbox messages to the cached spam folder."""
        with self.writer() as db:
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
        with self.writer() as db:
            with db.transaction() as conn:
                target = ensure_folder(conn, folder, role)
                uid = max_uid(conn, target.id)
                for rowid in rowids:
                    uid += 1
                    change_flags(conn, rowid, add=[add], remove=[remove])
                    conn.execute(
                        "UPDATE messages SET folder_id = ?, uid = ? WHERE id = ?", (target.id, uid, rowid)
                    )
            conversations.refresh_conversations(db, self.config, self.account, now=self.now())
