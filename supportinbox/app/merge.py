"""Merging conversations and splitting one: the one home of both, for the command line and the app.

A merge joins every message of the other conversations to the first one named, which keeps
its id; their team state (status, claim, notes, tags, follow-up, hand-overs) goes with the
messages (:func:`supportinbox.store.threadlinks.carry_merged`). A split starts a new
conversation at a message: that message and the later ones, but for replies to a message
that stays. Both are recorded by Message-ID, hold after a re-sync or a cache rebuild, and
travel to teammates through the state folder (:mod:`supportinbox.team.threads`): at once
when the server answers, else with the next sync.

Conversations of different customers are merged only when asked twice (``force``: the
command line's ``--force``, the app's confirmation saying whose they are): a merge picked
by mistake would show one customer's mail as the other's and answer both in one thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportinbox.app.context import AccountContext
from supportinbox.app.team_actions import push_state
from supportinbox.domain.conversation import ConversationSummary, MessageView
from supportinbox.domain.safetext import one_line
from supportinbox.domain.senders import sender_label
from supportinbox.domain.threading import MERGE, SPLIT, short_id, split_key
from supportinbox.domain.when import count_of
from supportinbox.errors import NotFound, UserError
from supportinbox.store import threadlinks
from supportinbox.store.conversations import get_conversation, refresh_if_stale, resolve_id
from supportinbox.team.share import share_now, waiting
from supportinbox.team.threads import upload_pending


@dataclass(frozen=True)
class Regrouped:
    """What a merge or split did: the conversations it left, and whether the team has it yet."""

    kind: str
    conversation_id: str  # the one that stays (merge) or the new one (split)
    others: tuple[str, ...]  # merged away (merge) or split from (split)
    messages: int  # in ``conversation_id`` now
    online: bool
    message: str

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.kind,
            "conversation": self.conversation_id,
            "merged" if self.kind == MERGE else "split_from": list(self.others),
            "messages": self.messages,
            "shared": self.online,
        }

    def said(self) -> str:
        """A few words for a toast."""
        if self.kind == MERGE:
            what = (
                f"Merged {count_of(len(self.others), 'conversation')} into this one "
                f"({count_of(self.messages, 'message')})"
            )
        else:
            what = f"New conversation {self.conversation_id} ({count_of(self.messages, 'message')}) split off"
        return what + ("" if self.online else " here; the next sync shares it")


@dataclass(frozen=True)
class Customer:
    """Whose a conversation is, as a merge warning names it."""

    conversation_id: str
    name: str
    email: str

    @property
    def label(self) -> str:
        return sender_label(self.name, self.email, limit=60, reason=False) or "(no sender)"


def customers_apart(conversations: Sequence[ConversationSummary]) -> list[Customer]:
    """The customer of each conversation when they are not all one (by address); else ``[]``:
    merging them needs ``force``."""
    customers = [Customer(c.id, c.customer_name, c.customer_email) for c in conversations]
    return customers if len({c.email.lower() for c in customers}) > 1 else []


def _anchor(messages: Sequence[MessageView], ident: str) -> str:
    for message in messages:
        if message.message_id:
            return message.message_id
    raise UserError(f"conversation {ident} has no message with a Message-ID: it cannot be merged or split")


def merge(
    ctx: AccountContext,
    ids: Sequence[str],
    *,
    password: str | None = None,
    share: bool = True,
    force: bool = False,
) -> Regrouped:
    """Merge the conversations ``ids[1:]`` into ``ids[0]`` (see the module doc).

    ``share``: False where there is no server (the demo): kept in the cache only.
    ``force``: merge conversations of different customers too (refused otherwise).
    """
    db = ctx.db
    if len(ids) < 2:
        raise UserError(
            "name two conversations or more: 'supportinbox merge ID OTHER...' (the first one stays)"
        )
    refresh_if_stale(db, ctx.config, ctx.account, ctx.now())
    resolved = [resolve_id(db, text) for text in ids]
    target, sources = resolved[0], resolved[1:]
    if target in sources:
        raise UserError(f"cannot merge {target} with itself: name another conversation")
    if len(set(sources)) != len(sources):
        raise UserError("a conversation is named twice: name each once")
    apart = [] if force else customers_apart([get_conversation(db, i, ctx.now()).summary for i in resolved])
    if apart:
        whose = ", ".join(f"{c.conversation_id} is {c.label}'s" for c in apart)
        raise UserError(
            f"not merged: these are different customers' conversations ({whose}); "
            "add --force to merge them anyway"
        )
    into = _anchor(get_conversation(db, target, ctx.now()).messages, target)
    at = threadlinks.now_text(ctx.now())
    with db.transaction() as tx:
        for source in sources:
            anchor = _anchor(get_conversation(db, source, ctx.now()).messages, source)
            link = threadlinks.Link(
                MERGE, anchor, into, source, target, ctx.account.agent, at, threadlinks.new_token()
            )
            threadlinks.record(tx, link)
    return _done(
        ctx, MERGE, target, tuple(sources), f"merged {', '.join(sources)} into {target}", password, share
    )


def split(
    ctx: AccountContext,
    conversation_id: str,
    at_message: str,
    *,
    password: str | None = None,
    share: bool = True,
) -> Regrouped:
    """Start a new conversation at ``at_message`` (its number in the conversation, from 1, or
    its Message-ID); see the module doc."""
    db = ctx.db
    refresh_if_stale(db, ctx.config, ctx.account, ctx.now())
    ident = resolve_id(db, conversation_id)
    messages = get_conversation(db, ident, ctx.now()).messages
    if len(messages) == 1:
        raise UserError(f"{ident} has one message only: nothing to split off")
    index = _message_index(messages, at_message, ident)
    if index == 0:
        raise UserError(
            f"message 1 starts {ident} already: split at a later one "
            f"({'2' if len(messages) == 2 else f'2 to {len(messages)}'})"
        )
    anchor = messages[index].message_id
    if not anchor:
        raise UserError(f"message {index + 1} of {ident} has no Message-ID: it cannot start a conversation")
    new_id = short_id(split_key(anchor))
    link = threadlinks.Link(
        SPLIT,
        anchor,
        "",
        ident,
        new_id,
        ctx.account.agent,
        threadlinks.now_text(ctx.now()),
        threadlinks.new_token(),
    )
    with db.transaction() as tx:
        threadlinks.record(tx, link)
    refresh_if_stale(db, ctx.config, ctx.account, ctx.now())
    held = threadlinks.holder(db.conn, anchor)
    if held is not None and held != new_id:
        # Regrouping gave the new part another id (one taken already): say and share that one.
        new_id = held
        with db.transaction() as tx:
            threadlinks.retarget(tx, link.token, new_id)
    # What stays may be named otherwise now too (split again where a split was merged back:
    # the earlier messages are the conversation they were at first).
    stays = (threadlinks.holder(db.conn, messages[0].message_id) if messages[0].message_id else None) or ident
    return _done(
        ctx, SPLIT, new_id, (stays,), f"split {new_id} off {stays} from message {index + 1}", password, share
    )


def _message_index(messages: Sequence[MessageView], text: str, ident: str) -> int:
    wanted = text.strip()
    if wanted.isdigit():
        number = int(wanted)
        if not 1 <= number <= len(messages):
            raise UserError(f"{ident} has messages 1 to {len(messages)}: there is no message {number}")
        return number - 1
    bare = wanted.strip("<>")
    for index, message in enumerate(messages):
        if message.message_id and message.message_id.strip("<>") == bare:
            return index
    raise NotFound(f"no message {wanted!r} in {ident}: give its number (1 to {len(messages)}) or Message-ID")


def _done(
    ctx: AccountContext,
    kind: str,
    ident: str,
    others: tuple[str, ...],
    what: str,
    password: str | None,
    share: bool,
) -> Regrouped:
    # Regroup now (the team state of a merged conversation is carried by this refresh).
    refresh_if_stale(ctx.db, ctx.config, ctx.account, ctx.now())
    try:
        count = len(get_conversation(ctx.db, ident, ctx.now()).messages)
    except NotFound:
        count = 0
    why = None
    if share:
        why = share_now(
            ctx.account_name,
            ctx.account,
            lambda imap: upload_pending(imap, ctx.db, ctx.account),
            password=password,
        )
    if share and why is None and kind == MERGE:
        # The status and claim carried here go on every message of the merged conversation.
        try:
            push_state(ctx, ident, password=password)
        except UserError as exc:
            why = one_line(exc.message, limit=200)
    return Regrouped(kind, ident, others, count, why is None, waiting(what, why))
