"""Group messages into conversations.

The References / In-Reply-To graph is followed the JWZ way (containers keyed by
Message-ID, placeholders for referenced messages we do not have, links that would form a
loop are ignored). Thread roots that share a customer and a normalised subject within
:data:`SUBJECT_WINDOW` are then merged, so a reply from a client that drops the headers
still lands in its conversation. Roots of different customers are never merged, and the
customer of contact-form mail is the person behind it, not the form's address
(:func:`supportinbox.domain.customer.customer_of`), so two people sending the same form
stay two conversations. Our own replies (Sent folder) join through the same
headers.

A conversation id is derived from the thread root, not from database row ids, so it is
the same after a re-sync or a cache rebuild: the root's Message-ID when it has one, else
the customer, the normalised subject and the first date.

Merges and splits made by hand (:class:`Override`) are applied last, in the order they
were made. They name messages by Message-ID, so they hold whatever the cache holds: a
merge joins the conversation of one message to that of another (which keeps its id); a
split starts a new conversation at a message, whose id is derived from that message.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from supportinbox.domain.subjects import has_reply_prefix, strip_reply_prefixes
from supportinbox.domain.when import as_utc

SUBJECT_WINDOW = timedelta(days=30)
ID_LENGTH = 8

_SPACE = re.compile(r"\s+")


def is_reply_subject(subject: str | None) -> bool:
    """Whether a subject starts with a reply or forward prefix (Re:, AW:, SV:, رد: ...)."""
    return has_reply_prefix(unicodedata.normalize("NFKC", subject or ""))


def normalize_subject(subject: str | None) -> str:
    """The subject without reply/forward prefixes and list tags, case-folded, spaces folded.

    ``"RE[2]: AW: [Support] Login kaputt"`` and ``"login kaputt"`` normalise alike; so do
    ``"رد: لا يعمل"`` and ``"لا يعمل"``.
    """
    text = unicodedata.normalize("NFKC", subject or "")
    text = text.replace("\u200f", "").replace("\u200e", "")
    text = strip_reply_prefixes(text, list_tags=True)
    return _SPACE.sub(" ", text).strip().casefold()


def own_subject(subject: str | None, conversation_subject: str | None) -> str:
    """A message's subject when it is not the conversation's (merged in, a new question), else "".

    "Re: Import keeps failing" under "Import keeps failing" is the same subject: not shown.
    """
    if not subject or not conversation_subject:
        return ""
    return subject if normalize_subject(subject) != normalize_subject(conversation_subject) else ""


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """What threading needs to know about one cached message."""

    rowid: int
    message_id: str | None
    in_reply_to: str | None
    references: Sequence[str]
    subject: str
    from_addr: str
    to_addrs: Sequence[str]
    when: datetime | None
    from_us: bool
    # Who a customer message stands for (domain.customer.customer_of): None for the
    # sender, "" for nobody (a no-reply sender without Reply-To).
    customer_addr: str | None = None

    @property
    def customer(self) -> str:
        """The other party: the customer of a customer message, the first recipient of ours."""
        if self.from_us:
            return _lower(self.to_addrs[0]) if self.to_addrs else ""
        if self.customer_addr is not None:
            return _lower(self.customer_addr)
        return _lower(self.from_addr)


def _lower(text: str) -> str:
    # The cache's addresses are mostly lower case already: the same string then, not a
    # copy per conversation (100,000 copies are megabytes while threading a large cache).
    lowered = text.lower()
    return text if lowered == text else lowered


MERGE, SPLIT = "merge", "split"


@dataclass(frozen=True, slots=True)
class Override:
    """A merge or split made by hand.

    ``merge``: the conversation holding ``message_id`` joins the one holding ``into``.
    ``split``: ``message_id`` and the messages after it start a new conversation, but for
    those answering a message that stays (a reply to an earlier message is still about it).
    """

    kind: str
    message_id: str
    into: str = ""
    source: str = ""  # the id of the conversation split from (or merged away), when known


def split_key(message_id: str) -> str:
    """The threading key (and so the id) of the conversation a split starts at ``message_id``."""
    return f"split:{_clean_id(message_id) or message_id}"


@dataclass(slots=True)
class Thread:
    """One conversation: its stable id and its messages (oldest first)."""

    id: str
    key: str
    messages: list[ThreadMessage] = field(default_factory=list)
    # (customer, normalised subject) of each tree merged into it (see _merge_by_subject).
    subject_keys: tuple[tuple[str, str], ...] = ()


def thread_keys(thread: Thread) -> set[str]:
    """What links ``thread`` to other messages: whatever threading would join it to another by.

    The Message-IDs its messages carry or refer to (``i:``), and each merged tree's customer
    and subject (``s:``). Two conversations sharing no key are threaded independently, so
    recomputing a conversation needs only those that share a key with it.
    """
    keys = {f"s:{customer} {subject}" for customer, subject in thread.subject_keys}
    for message in thread.messages:
        for value in (message.message_id, message.in_reply_to, *message.references):
            cleaned = _clean_id(value)
            if cleaned:
                keys.add(f"i:{cleaned}")
    return keys


@dataclass(slots=True, eq=False)
class _Container:
    # A mailbox has about one container per message, so they are kept small: most hold
    # exactly one message and most have no children, hence no list until a second one.
    key: str
    real_id: bool
    message: ThreadMessage | None = None
    more: list[ThreadMessage] | None = None  # further messages with the same Message-ID
    parent: _Container | None = None
    children: list[_Container] | None = None

    def add(self, message: ThreadMessage) -> None:
        if self.message is None:
            self.message = message
        elif self.more is None:
            self.more = [message]
        else:
            self.more.append(message)

    def is_ancestor_of(self, other: _Container) -> bool:
        node: _Container | None = other
        seen = 0
        while node is not None and seen < 10_000:
            if node is self:
                return True
            node = node.parent
            seen += 1
        return False


def _clean_id(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().strip("<>").strip()
    if not value or " " in value:
        return None
    lowered = value.lower()
    return value if lowered == value else lowered


def _set_parent(child: _Container, parent: _Container) -> None:
    if child is parent or child.is_ancestor_of(parent):
        return  # would close a loop: keep the older link
    if child.parent is not None and child.parent.children is not None:
        child.parent.children.remove(child)
    child.parent = parent
    if parent.children is None:
        parent.children = [child]
    else:
        parent.children.append(child)


def _build_containers(messages: Iterable[ThreadMessage]) -> list[_Container]:
    by_id: dict[str, _Container] = {}
    loose: list[_Container] = []

    def container(key: str) -> _Container:
        found = by_id.get(key)
        if found is None:
            found = by_id[key] = _Container(key=key, real_id=True)
        return found

    for message in messages:
        own = _clean_id(message.message_id)
        if own is None:
            box = _Container(key=f"row:{message.rowid}", real_id=False)
            loose.append(box)
        else:
            box = container(own)
            if box.message is not None and box.message.from_addr.lower() != message.from_addr.lower():
                # The same Message-ID from another sender is not a copy of this message:
                # keep it apart instead of merging two customers' conversations.
                box = _Container(key=f"dup:{own}:{message.rowid}", real_id=False)
                loose.append(box)
        box.add(message)
        refs = [r for r in (_clean_id(x) for x in message.references) if r]
        reply_to = _clean_id(message.in_reply_to)
        if reply_to and (not refs or refs[-1] != reply_to):
            refs.append(reply_to)
        previous: _Container | None = None
        for ref in refs:
            if ref == own:
                continue
            node = container(ref)
            if previous is not None and node.parent is None:
                _set_parent(node, previous)
            previous = node
        if previous is not None:
            _set_parent(box, previous)
    return list(by_id.values()) + loose


def _take_tree_messages(root: _Container) -> list[ThreadMessage]:
    """The messages of the tree under ``root``, taken out of its containers.

    Every container of the tree is emptied and unlinked on the way: parent and child links
    put each container in a reference cycle, and breaking them tree by tree frees a large
    mailbox's containers while its trees are built rather than after.
    """
    out: list[ThreadMessage] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.message is not None:
            out.append(node.message)
            if node.more:
                out.extend(node.more)
        if node.children:
            stack.extend(node.children)
        node.message = node.more = node.parent = node.children = None
    return out


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(when: datetime | None) -> datetime | None:
    return None if when is None else as_utc(when)


def _canonical(message: ThreadMessage) -> tuple[object, ...]:
    return (
        _utc(message.when) or _EARLIEST,
        message.message_id or "",
        message.in_reply_to or "",
        tuple(message.references),
        message.subject,
        message.from_addr,
        message.customer,
        tuple(message.to_addrs),
        message.from_us,
        message.rowid,  # only between messages equal in everything else
    )


def _by_time(message: ThreadMessage) -> tuple[datetime, int]:
    return (_utc(message.when) or _EARLIEST, message.rowid)


def _time_only(message: ThreadMessage) -> datetime:
    return _utc(message.when) or _EARLIEST


def _canonical_order(messages: Iterable[ThreadMessage]) -> list[ThreadMessage]:
    """``messages`` sorted by :func:`_canonical`, without a wide key per message.

    The time is the first element of the canonical key, so sorting by time alone (whose
    keys are the messages' own datetimes) and then ordering each run of equal times by
    the full key gives the same order with a fraction of the memory.
    """
    ordered = list(messages)
    ordered.sort(key=_time_only)
    start = 0
    while start < len(ordered):
        moment = _time_only(ordered[start])
        end = start + 1
        while end < len(ordered) and _time_only(ordered[end]) == moment:
            end += 1
        if end - start > 1:
            ordered[start:end] = sorted(ordered[start:end], key=_canonical)
        start = end
    return ordered


@dataclass(slots=True)
class _Tree:
    key: str
    messages: list[ThreadMessage]
    customer: str
    subject: str
    first: datetime | None
    last: datetime | None
    # (customer, normalised subject) of each tree merged into it; None until a merge or a
    # split sets it: the tree's own, if it has both (see _subject_keys). Most trees are never
    # merged, and a large mailbox would hold a pair for each of them for nothing.
    subject_keys: tuple[tuple[str, str], ...] | None = None


def _tree_key(root: _Container, messages: list[ThreadMessage], customer: str, subject: str) -> str:
    if root.real_id:
        return f"mid:{root.key}"
    first = messages[0]
    when = first.when.isoformat() if first.when else ""
    if first.message_id:
        return f"mid:{_clean_id(first.message_id)}|{first.from_addr.lower()}|{when}"
    return f"subj:{customer}|{subject}|{when}"


def short_id(key: str, length: int = ID_LENGTH) -> str:
    """A short, typeable id (lower-case base32 without padding) derived from ``key``."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:length]


def thread_messages(messages: Iterable[ThreadMessage], overrides: Sequence[Override] = ()) -> list[Thread]:
    """Group ``messages`` into conversations with stable, unique ids (sorted by key).

    ``overrides`` (oldest first) are applied after threading; one naming a message that is
    not among ``messages`` changes nothing.
    """
    return list(iter_threads(messages, overrides))


def iter_threads(messages: Iterable[ThreadMessage], overrides: Sequence[Override] = ()) -> Iterator[Thread]:
    """:func:`thread_messages`, one conversation at a time.

    Nothing holds a conversation once it is handed over, so a caller that keeps only what
    it needs of each (ids, keys) never holds every conversation and its messages at once.
    """
    # Loop-breaking keeps the first link seen, so the input order matters when References
    # contradict each other. A canonical order (by content; the row id only separates exact
    # duplicates) gives the same conversations whatever order the cache hands the rows over in.
    containers: list[_Container | None] = list(_build_containers(_canonical_order(messages)))
    trees: list[_Tree] = []
    for index, root in enumerate(containers):
        containers[index] = None  # the list's hold on it: freed once its tree is taken
        if root is None or root.parent is not None:
            continue  # taken with its tree already, or a tree's root comes later
        found = _take_tree_messages(root)
        if not found:
            continue  # a placeholder whose children were all re-parented, or taken
        found.sort(key=_by_time)
        customer = next((m.customer for m in found if not m.from_us), found[0].customer)
        subject = normalize_subject(found[0].subject)
        trees.append(
            _Tree(
                key=_tree_key(root, found, customer, subject),
                messages=found,
                customer=customer,
                subject=subject,
                first=_utc(found[0].when),
                last=_utc(found[-1].when),
            )
        )
    del containers
    merged = _merge_by_subject(trees)
    if overrides:
        merged = _apply_overrides(merged, overrides)
    yield from _assign_ids(merged)


def _apply_overrides(trees: list[_Tree], overrides: Sequence[Override]) -> list[_Tree]:
    wanted: set[str] = set()
    for override in overrides:
        wanted.update(filter(None, (_clean_id(override.message_id), _clean_id(override.into))))
    holder: dict[str, _Tree] = {}
    for tree in trees:
        for message in tree.messages:
            cleaned = _clean_id(message.message_id)
            if cleaned in wanted and cleaned is not None:
                holder.setdefault(cleaned, tree)
    gone: set[int] = set()
    for override in overrides:
        anchor = _clean_id(override.message_id)
        source = holder.get(anchor or "")
        if source is None or anchor is None:
            continue
        if override.kind == MERGE:
            target = holder.get(_clean_id(override.into) or "")
            if target is None or target is source:
                continue
            target.messages.extend(source.messages)
            target.messages.sort(key=_by_time)
            target.subject_keys = _subject_keys(target) + _subject_keys(source)
            target.first = _utc(target.messages[0].when)
            target.last = _utc(target.messages[-1].when)
            for key, tree in holder.items():
                if tree is source:
                    holder[key] = target
            gone.add(id(source))
        elif override.kind == SPLIT:
            part = _split_off(source, anchor)
            if part is None:
                if _split_before(source, anchor, override.source):
                    # The anchor starts a conversation other than the one split from (the
                    # messages before it thread elsewhere now, or were expunged): it is
                    # still the conversation the split made, under the same id.
                    source.key = split_key(anchor)
                continue
            trees.append(part)
            for message in part.messages:
                cleaned = _clean_id(message.message_id)
                if cleaned in holder:
                    holder[cleaned] = part
    return [tree for tree in trees if id(tree) not in gone]


def _split_before(tree: _Tree, anchor: str, split_from: str) -> bool:
    """Whether ``tree``, starting at ``anchor``, was split off ``split_from`` before."""
    if not split_from or not tree.messages or _clean_id(tree.messages[0].message_id) != anchor:
        return False
    return short_id(tree.key, len(split_from)) != split_from


def _split_off(tree: _Tree, anchor: str) -> _Tree | None:
    """Take the messages from ``anchor`` on out of ``tree`` (see :class:`Override`)."""
    start = next((i for i, m in enumerate(tree.messages) if _clean_id(m.message_id) == anchor), None)
    if not start:  # not there, or the first message: nothing to split off
        return None
    stays = tree.messages[:start]
    kept = {c for c in (_clean_id(m.message_id) for m in stays) if c}
    moved: list[ThreadMessage] = [tree.messages[start]]
    for message in tree.messages[start + 1 :]:
        parent = _clean_id(message.in_reply_to)
        if parent in kept:
            stays.append(message)
            kept.add(_clean_id(message.message_id) or "")
        else:
            moved.append(message)
    tree.messages = stays
    tree.last = _utc(stays[-1].when)
    if tree.key == split_key(anchor) and stays[0].message_id:
        # Split at this message before, then merged back, and now split again: the part
        # that stays is the conversation it was before the first split, not the split's.
        tree.key = f"mid:{_clean_id(stays[0].message_id)}"
    first = moved[0]
    customer = next((m.customer for m in moved if not m.from_us), first.customer)
    return _Tree(
        key=split_key(anchor),
        messages=moved,
        customer=customer,
        subject=normalize_subject(first.subject),
        first=_utc(first.when),
        last=_utc(moved[-1].when),
        # The part was in the tree through these (a subject shared with it): kept, the two
        # share a key, so a partial refresh recomputes one whenever it recomputes the other.
        subject_keys=_subject_keys(tree),
    )


def _subject_keys(tree: _Tree) -> tuple[tuple[str, str], ...]:
    """The (customer, subject) pairs ``tree`` stands for: set by merges and splits, else its own."""
    if tree.subject_keys is not None:
        return tree.subject_keys
    return ((tree.customer, tree.subject),) if tree.subject and tree.customer else ()


def _first_or_earliest(tree: _Tree) -> datetime:
    return tree.first or _EARLIEST


def _merge_by_subject(trees: list[_Tree]) -> list[_Tree]:
    """Join trees of one customer with the same normalised subject that follow closely.

    ``trees`` is emptied: its trees are in the result, merged or as they were.
    """
    result = [tree for tree in trees if not (tree.subject and tree.customer)]
    grouped = [tree for tree in trees if tree.subject and tree.customer]
    trees.clear()
    # Sorted, each customer's subject is one run of trees, oldest first: by customer, then
    # subject, first date and key, in stable passes from the last of them (a key tuple per
    # tree would hold another object per conversation while sorting).
    grouped.sort(key=attrgetter("key"))
    grouped.sort(key=_first_or_earliest)
    grouped.sort(key=attrgetter("subject"))
    grouped.sort(key=attrgetter("customer"))
    start = 0
    while start < len(grouped):
        current = grouped[start]
        end = start + 1
        while (
            end < len(grouped)
            and grouped[end].customer == current.customer
            and grouped[end].subject == current.subject
        ):
            tree = grouped[end]
            close = (
                current.last is not None
                and tree.first is not None
                and tree.first - current.last <= SUBJECT_WINDOW
            )
            if close:
                current.messages.extend(tree.messages)
                current.subject_keys = _subject_keys(current) + _subject_keys(tree)
                current.messages.sort(key=_by_time)
                current.last = max(filter(None, (current.last, tree.last)), default=None)
            else:
                result.append(current)
                current = tree
            end += 1
        result.append(current)
        start = end
    return result


def _assign_ids(trees: list[_Tree]) -> Iterator[Thread]:
    """Each tree as a conversation with its id, in key order; ``trees`` is emptied."""
    trees.sort(key=lambda t: t.key)
    trees.reverse()
    used: set[str] = set()
    while trees:  # taken from the end, so each tree is freed once its thread exists
        tree = trees.pop()
        length = ID_LENGTH
        ident = short_id(tree.key, length)
        while ident in used:  # a collision: the later key (in sort order) takes a longer id
            length += 2
            ident = short_id(tree.key, length)
        used.add(ident)
        yield Thread(id=ident, key=tree.key, messages=tree.messages, subject_keys=_subject_keys(tree))
