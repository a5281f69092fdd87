"""The demo's service: the real cache and queue, with the team's local steps kept local.

Everything reads and writes the demo cache exactly as with a real account. What would go
to a server goes to the demo's ports instead: its mailbox (:mod:`supportinbox.demo.offline`:
a sync fetches nothing, spam moves stay in the cache) and its sender
(:mod:`supportinbox.demo.sending`: a reply is saved as an ``.eml`` file). Claims and notes
are written here at the demo's clock, with nobody to tell.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from supportinbox import paths
from supportinbox.domain.templates import install_default_templates
from supportinbox.errors import UserError
from supportinbox.store import conversations
from supportinbox.team import notes as team_notes
from supportinbox.team import store as team_store
from supportinbox.team.keywords import TeamState
from supportinbox.tui.service import InboxService


class DemoService(InboxService):
    """An :class:`InboxService` whose claims and notes stay on this machine, at the demo's clock."""

    def templates_dir(self) -> Path:
        """The user's templates if there are any, else the shipped ones (copied for the demo)."""
        mine = paths.templates_dir()
        if mine.is_dir() and any(mine.iterdir()):
            return mine
        directory = paths.data_dir() / "demo-templates"
        install_default_templates(directory)
        return directory

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
