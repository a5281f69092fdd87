"""The ``$si-`` keyword scheme: how claims and status travel on IMAP messages.

Pure functions only (no I/O). See docs/team-keywords.md for the scheme in prose.

The scheme uses a fixed set of :data:`ALL_KEYWORDS` (19 names), whatever the history of
the mailbox: no keyword name carries an agent, a time or an id. Servers cap the number of
keywords per folder (Cyrus at about 128, Dovecot's Maildir keeps 26 in file names) and
every other client shows them as tags, so names that grow with use are not an option.

- ``$si-state``: a client wrote this message's team keywords; its other team keywords are
  then the whole state (a missing status keyword means "no manual status").
- ``$si-status-open|pending|snoozed|closed``: the status set by hand.
- ``$si-holder-1`` ... ``$si-holder-12``: the agent registered in that slot holds the
  conversation. Agents get a slot in the team's registry (messages in the state folder,
  see :mod:`supportinbox.team.statefolder`); the first registration of a slot wins there.
- ``$si-sending``: the atomic send step's marker (never touched by state writes).
- ``$si-probe``: set and cleared at once to check that the server really keeps keywords.

What a name cannot carry travels as a *detail* in the state folder: who set the status,
when, and until when a snooze lasts (:class:`Detail`).

Reading merges a conversation's messages (:func:`resolve`):

- status: from the message carrying ``$si-state`` with the highest (MODSEQ, UID), i.e.
  the last one written; two status keywords on it (interleaved STOREs) resolve by
  :data:`STATUS_PRECEDENCE`;
- claim: the union of ``$si-holder-N`` keywords. Claims are written with a conditional
  STORE (CONDSTORE ``UNCHANGEDSINCE``), so the second of two simultaneous claims fails on
  the server and its client backs off; should two claims still coexist, the lowest slot
  wins on every client (no registry lookup is needed to agree), and the next sync removes
  the others;
- who and when: from the newest detail that matches the status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from supportinbox.domain.when import parse_time

PREFIX = "$si-"
STATUSES: tuple[str, ...] = ("open", "pending", "snoozed", "closed")
# When one message carries two status keywords (two writers interleaved their STOREs),
# every client picks the same one: the first in this order.
STATUS_PRECEDENCE: tuple[str, ...] = ("closed", "snoozed", "pending", "open")
# Agents that can hold a conversation at the same time on one mailbox.
SLOTS = 12

STATE = PREFIX + "state"
# Reserved for the atomic send step: set with a conditional STORE (CONDSTORE
# UNCHANGEDSINCE) on the customer's latest message right before the first SMTP byte, so
# that of two agents sending at once exactly one wins. One fixed name whatever the agent or
# time; the state writes below never add or remove it.
SENDING = PREFIX + "sending"
PROBE = PREFIX + "probe"
_STATUS_PREFIX = PREFIX + "status-"
_HOLDER_PREFIX = PREFIX + "holder-"


def status_keyword(status: str) -> str:
    """``$si-status-open|pending|snoozed|closed``."""
    if status not in STATUSES:
        raise KeywordError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    return _STATUS_PREFIX + status


def holder_keyword(slot: int) -> str:
    """``$si-holder-N``: the agent in slot N holds the conversation."""
    if not 1 <= slot <= SLOTS:
        raise KeywordError(f"team slot {slot} is outside 1-{SLOTS}")
    return f"{_HOLDER_PREFIX}{slot}"


ALL_KEYWORDS: tuple[str, ...] = (
    STATE,
    *(status_keyword(s) for s in STATUSES),
    *(holder_keyword(n) for n in range(1, SLOTS + 1)),
    SENDING,
    PROBE,
)
_KNOWN = frozenset(k.lower() for k in ALL_KEYWORDS)
# Keywords a state write sets or clears; the others belong to someone else.
_STATE_KEYWORDS = _KNOWN - {SENDING, PROBE}

# RFC 3501 atom-specials, plus what no keyword of ours may contain.
_ATOM_SPECIALS = frozenset('(){ %*"\\]')


class KeywordError(ValueError):
    """A value that cannot be written as a keyword of this scheme."""


def is_atom(text: str) -> bool:
    """True if ``text`` is a valid IMAP atom (printable 7-bit ASCII, no atom-specials)."""
    return bool(text) and all(33 <= ord(c) <= 126 and c not in _ATOM_SPECIALS for c in text)


def is_team_keyword(flag: str | bytes) -> bool:
    """True for any flag in the ``$si-`` namespace (ours, a legacy one, or malformed)."""
    text = flag.decode("ascii", "replace") if isinstance(flag, bytes) else flag
    return text.lower().startswith(PREFIX)


def is_current_keyword(flag: str) -> bool:
    """True for a keyword of this scheme (any case)."""
    return flag.lower() in _KNOWN


def is_legacy_keyword(flag: str) -> bool:
    """A ``$si-`` keyword that is not of this scheme: written by the per-agent/per-time scheme."""
    return is_team_keyword(flag) and not is_current_keyword(flag)


def _holder_slot(lowered: str) -> int | None:
    if not lowered.startswith(_HOLDER_PREFIX):
        return None
    digits = lowered[len(_HOLDER_PREFIX) :]
    if not digits.isdigit() or digits != str(int(digits)) or not 1 <= int(digits) <= SLOTS:
        return None
    return int(digits)


def normalize_snooze(until: str | None) -> str | None:
    """A snooze time as the scheme stores it (UTC ISO 8601, to the minute), for comparisons."""
    if not until:
        return None
    when = parse_time(until)
    if when is None:
        return None
    return when.replace(second=0, microsecond=0).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class MessageFlags:
    """The flags of one server message, as fetched or cached."""

    uid: int
    modseq: int
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TeamState:
    """Shared state of one conversation. ``None`` everywhere means never touched."""

    status: str | None = None
    snoozed_until: str | None = None
    assigned_to: str | None = None

    def normalized(self) -> TeamState:
        """The form the server can carry (snooze to the minute, only while snoozed)."""
        snooze = normalize_snooze(self.snoozed_until) if self.status == "snoozed" else None
        return TeamState(self.status, snooze, self.assigned_to or None)


@dataclass(frozen=True, slots=True)
class Detail:
    """Who set a conversation's status, when, and until when a snooze lasts.

    Recorded in the state folder after each status write; ``uid`` orders them.
    """

    uid: int
    status: str | None
    snoozed_until: str | None
    author: str
    at: str


@dataclass(frozen=True)
class Resolution:
    """What every client concludes from a conversation's messages."""

    state: TeamState
    claimants: tuple[str, ...] = ()
    last_writer: str | None = None
    modseq: int | None = None
    divergent: bool = False
    written_at: str | None = None

    @property
    def losers(self) -> tuple[str, ...]:
        """Claimants other than the winner: the next sync removes their claim."""
        return tuple(a for a in self.claimants if a != self.state.assigned_to)


@dataclass(frozen=True)
class _Parsed:
    marked: bool
    statuses: frozenset[str]
    slots: frozenset[int]

    @property
    def signature(self) -> tuple[frozenset[str], frozenset[int]]:
        return (self.statuses, self.slots)


def _parse(flags: Iterable[str]) -> _Parsed:
    marked = False
    statuses: set[str] = set()
    slots: set[int] = set()
    for flag in flags:
        lowered = flag.lower()
        if lowered == STATE:
            marked = True
        elif lowered.startswith(_STATUS_PREFIX) and lowered[len(_STATUS_PREFIX) :] in STATUSES:
            statuses.add(lowered[len(_STATUS_PREFIX) :])
        else:
            slot = _holder_slot(lowered)
            if slot is not None:
                slots.add(slot)
    return _Parsed(marked, frozenset(statuses), frozenset(slots))


def holder_slots(messages: Iterable[MessageFlags]) -> set[int]:
    """Every slot a ``$si-holder-N`` keyword of these messages names."""
    return {slot for message in messages for slot in _parse(message.flags).slots}


def resolve(
    messages: Iterable[MessageFlags],
    agents: Mapping[int, str],
    details: Sequence[Detail] = (),
) -> Resolution:
    """Merge the team keywords of a conversation's messages into one state.

    ``agents``: the registry (slot -> agent); a holder slot nobody is registered in is
    ignored. ``details``: the conversation's details from the state folder, any order.
    """
    held: set[int] = set()
    best: tuple[tuple[int, int], _Parsed] | None = None
    signatures: set[tuple[frozenset[str], frozenset[int]]] = set()
    for message in messages:
        parsed = _parse(message.flags)
        held |= parsed.slots
        if parsed.marked:
            signatures.add(parsed.signature)
            rank = (message.modseq, message.uid)
            if best is None or rank > best[0]:
                best = (rank, parsed)
    claimants = tuple(agents[s] for s in sorted(held) if s in agents)
    winner = claimants[0] if claimants else None
    if best is None:
        return Resolution(TeamState(assigned_to=winner), claimants, divergent=len(held) > 0)
    status = next((s for s in STATUS_PRECEDENCE if s in best[1].statuses), None)
    detail, written_at = _detail_for(status, details)
    snooze = detail.snoozed_until if detail is not None and status == "snoozed" else None
    return Resolution(
        TeamState(status, snooze, winner).normalized(),
        claimants,
        detail.author if detail is not None else None,
        best[0][0],
        divergent=len(signatures) > 1 or len(claimants) > 1,
        written_at=written_at,
    )


def _detail_for(status: str | None, details: Sequence[Detail]) -> tuple[Detail | None, str | None]:
    """The detail of the status on the server, and when that status was set.

    Normally the newest detail, as it was written after its STORE. When the newest does
    not match (the STORE of a later status landed but its detail did not), the newest
    matching one still tells the snooze and the author, and the status was set no earlier
    than the newest detail of all.
    """
    if not details:
        return None, None
    ordered = sorted(details, key=lambda d: d.uid)
    newest = ordered[-1]
    if newest.status == status:
        return newest, newest.at or None
    matching = [d for d in ordered if d.status == status]
    return (matching[-1] if matching else None), newest.at or None


@dataclass(frozen=True)
class StorePlan:
    """Keyword changes for a group of messages that need the same ones."""

    uids: tuple[int, ...]
    add: tuple[str, ...]
    remove: tuple[str, ...]
    modseq: int = 0


@dataclass
class _Group:
    uids: list[int] = field(default_factory=list)
    modseq: int = 0


def target_keywords(state: TeamState, slots: Mapping[str, int]) -> set[str]:
    """The team keywords a message carries for ``state``; ``slots``: agent -> slot."""
    state = state.normalized()
    wanted = {STATE}
    if state.status:
        wanted.add(status_keyword(state.status))
    if state.assigned_to:
        if state.assigned_to not in slots:
            raise KeywordError(f"agent {state.assigned_to!r} has no team slot on this mailbox")
        wanted.add(holder_keyword(slots[state.assigned_to]))
    return wanted


def plan_store(
    messages: Sequence[MessageFlags], state: TeamState, slots: Mapping[str, int]
) -> list[StorePlan]:
    """The STOREs that give every message exactly the team keywords of ``state``.

    Every other ``$si-`` keyword goes too (a losing claim, a keyword of the per-agent
    scheme this one replaced), except :data:`SENDING` and :data:`PROBE`, which belong to
    the send step and the keyword check. Each plan carries the highest MODSEQ of its
    messages for a conditional STORE.
    """
    wanted = target_keywords(state, slots)
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], _Group] = {}
    for message in messages:
        present = {f.lower(): f for f in message.flags if is_team_keyword(f)}
        add = tuple(sorted(w for w in wanted if w not in present))
        remove = tuple(
            sorted(
                original
                for lowered, original in present.items()
                if lowered not in wanted and (lowered in _STATE_KEYWORDS or not is_current_keyword(lowered))
            )
        )
        if not add and not remove:
            continue
        group = groups.setdefault((add, remove), _Group())
        group.uids.append(message.uid)
        group.modseq = max(group.modseq, message.modseq)
    return [
        StorePlan(tuple(sorted(g.uids)), add, remove, g.modseq) for (add, remove), g in sorted(groups.items())
    ]
