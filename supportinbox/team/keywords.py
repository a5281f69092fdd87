"""The ``$si-`` keyword scheme: how claims, status and snoozes travel on IMAP messages.

Pure functions only (no I/O). See docs/team-keywords.md for the scheme in prose.

Every keyword is an IMAP atom built from ``$ a-z 0-9 - . _`` only. Agent names are
encoded so that any name the config accepts (letters of any script, digits, ``-_.``)
survives a server that compares keywords case-insensitively: lower-case ASCII letters,
digits, ``-`` and ``.`` stand for themselves; every other character, ``_`` included,
becomes ``_`` followed by the two lower-case hex digits of each of its UTF-8 bytes
(``Alice`` -> ``_41lice``). Decoding is exact, so ``decode(encode(x)) == x``.

A conversation's state is written to every INBOX message of the conversation; reading
merges them (:func:`resolve`):

- status/snooze: from the message written last, i.e. the one carrying ``$si-by-WRITER``
  with the highest (MODSEQ, UID); no ``$si-status-*`` there means no manual status;
- claim: the union of ``$si-claim-*`` keywords. Claims are written with a conditional
  STORE (CONDSTORE ``UNCHANGEDSINCE``), so the second of two simultaneous claims fails on
  the server and its client backs off; should two claims still coexist, the lexically
  smallest agent name wins on every client, and the others are losers that remove their
  own keyword on their next sync.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

PREFIX = "$si-"
MAX_KEYWORD_LENGTH = 60
STATUSES: tuple[str, ...] = ("open", "pending", "snoozed", "closed")
# When one message carries two status keywords (two writers interleaved their STOREs),
# every client picks the same one: the first in this order.
STATUS_PRECEDENCE: tuple[str, ...] = ("closed", "snoozed", "pending", "open")

# Reserved for the atomic send step: set with a conditional STORE (CONDSTORE
# UNCHANGEDSINCE) on the customer's latest message right before the first SMTP byte, so
# that of two agents sending at once exactly one wins. One fixed name whatever the agent or
# time; the state writes below never add or remove it.
SENDING = PREFIX + "sending"

CLAIM = "claim"
SEEN = "seen"
BY = "by"
STATUS = "status"
SNOOZE = "snooze"
AT = "at"
_AGENT_KINDS = (CLAIM, SEEN, BY)

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
_ENCODED = re.compile(r"(?:[a-z0-9.\-]|_[0-9a-f]{2})+")
_SNOOZE_FORMAT = "%Y%m%dT%H%MZ"
_SNOOZE_VALUE = re.compile(r"\d{8}T\d{4}Z")
_AT_FORMAT = "%Y%m%dT%H%M%SZ"
_AT_VALUE = re.compile(r"\d{8}T\d{6}Z")
# RFC 3501 atom-specials, plus what no keyword of ours may contain.
_ATOM_SPECIALS = frozenset('(){ %*"\\]')


class KeywordError(ValueError):
    """An agent name or value that cannot be written as a keyword of this scheme."""


def is_atom(text: str) -> bool:
    """True if ``text`` is a valid IMAP atom (printable 7-bit ASCII, no atom-specials)."""
    return bool(text) and all(33 <= ord(c) <= 126 and c not in _ATOM_SPECIALS for c in text)


def encode_agent(agent: str) -> str:
    """The atom-safe, case-proof form of an agent name (see the module docstring)."""
    if not agent:
        raise KeywordError("an agent name cannot be empty")
    out = []
    for char in agent:
        if char in _PLAIN:
            out.append(char)
        else:
            out.extend(f"_{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


def decode_agent(encoded: str) -> str | None:
    """The agent name of an encoded form; ``None`` when it is not one of ours."""
    encoded = encoded.lower()  # a server may have changed the case: our form survives it
    if not _ENCODED.fullmatch(encoded):
        return None
    raw = bytearray()
    index = 0
    while index < len(encoded):
        if encoded[index] == "_":
            raw.append(int(encoded[index + 1 : index + 3], 16))
            index += 3
        else:
            raw.append(ord(encoded[index]))
            index += 1
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Only names the config accepts: a keyword set by anyone else (spaces, quotes, bidi
    # controls, escapes) is ignored rather than shown.
    return name if is_agent_name(name) else None


def is_agent_name(name: str) -> bool:
    """True for a name ``agent`` may have in the config: letters, digits, ``-_.``."""
    return bool(name) and len(name) <= 64 and all(c.isalnum() or c in "-_." for c in name)


def _agent_keyword(kind: str, agent: str) -> str:
    keyword = f"{PREFIX}{kind}-{encode_agent(agent)}"
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise KeywordError(
            f"agent name {agent!r} is too long to travel as an IMAP keyword "
            f"({len(keyword)} > {MAX_KEYWORD_LENGTH} characters once encoded); choose a shorter agent"
        )
    return keyword


def claim_keyword(agent: str) -> str:
    """``$si-claim-AGENT``: AGENT holds (is assigned) the conversation."""
    return _agent_keyword(CLAIM, agent)


def seen_keyword(agent: str) -> str:
    """``$si-seen-AGENT``: AGENT has worked on the conversation (presence, never removed)."""
    return _agent_keyword(SEEN, agent)


def by_keyword(agent: str) -> str:
    """``$si-by-AGENT``: AGENT wrote the current state (the last writer)."""
    return _agent_keyword(BY, agent)


def status_keyword(status: str) -> str:
    """``$si-status-open|pending|snoozed|closed``."""
    if status not in STATUSES:
        raise KeywordError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    return f"{PREFIX}{STATUS}-{status}"


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def snooze_keyword(until: str | datetime) -> str:
    """``$si-snooze-YYYYMMDDTHHMMZ`` (UTC, to the minute)."""
    when = until if isinstance(until, datetime) else _parse_time(until)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{PREFIX}{SNOOZE}-{when.astimezone(UTC).strftime(_SNOOZE_FORMAT)}"


def at_keyword(when: str | datetime) -> str:
    """``$si-at-YYYYMMDDTHHMMSSZ``: when the current state was written (UTC, to the second).

    To the second because the triage queue compares it with the customer's latest message
    (a conversation closed before the customer wrote again reopens).
    """
    moment = when if isinstance(when, datetime) else _parse_time(when)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{PREFIX}{AT}-{moment.astimezone(UTC).strftime(_AT_FORMAT)}"


def normalize_snooze(until: str | None) -> str | None:
    """A snooze time as the scheme stores it (UTC ISO 8601, to the minute), for comparisons."""
    if not until:
        return None
    try:
        when = _parse_time(until)
    except ValueError:
        return None
    return when.replace(second=0, microsecond=0).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Keyword:
    """One parsed team keyword: ``kind`` is claim, seen, by, status or snooze."""

    kind: str
    value: str


def parse_keyword(keyword: str | bytes) -> Keyword | None:
    """Parse a flag as a team keyword; ``None`` for anything else (foreign or malformed)."""
    if isinstance(keyword, bytes):
        try:
            keyword = keyword.decode("ascii")
        except UnicodeDecodeError:
            return None
    lowered = keyword.lower()
    if not lowered.startswith(PREFIX) or len(lowered) > MAX_KEYWORD_LENGTH * 2:
        return None
    kind, sep, rest = lowered[len(PREFIX) :].partition("-")
    if not sep or not rest:
        return None
    if kind in _AGENT_KINDS:
        agent = decode_agent(rest)
        return Keyword(kind, agent) if agent else None
    if kind == STATUS:
        return Keyword(kind, rest) if rest in STATUSES else None
    for time_kind, pattern, fmt in ((SNOOZE, _SNOOZE_VALUE, _SNOOZE_FORMAT), (AT, _AT_VALUE, _AT_FORMAT)):
        if kind == time_kind and pattern.fullmatch(rest.upper()):
            try:
                when = datetime.strptime(rest.upper(), fmt).replace(tzinfo=UTC)
            except ValueError:
                return None
            return Keyword(kind, when.isoformat(timespec="seconds"))
    return None


def is_team_keyword(flag: str | bytes) -> bool:
    """True for any flag in the ``$si-`` namespace (even a malformed one)."""
    text = flag.decode("ascii", "replace") if isinstance(flag, bytes) else flag
    return text.lower().startswith(PREFIX)


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
        """The form the keywords can carry (snooze to the minute, only while snoozed)."""
        snooze = normalize_snooze(self.snoozed_until) if self.status == "snoozed" else None
        return TeamState(self.status, snooze, self.assigned_to or None)


@dataclass(frozen=True)
class Resolution:
    """What every client concludes from a conversation's messages."""

    state: TeamState
    claimants: tuple[str, ...] = ()
    last_writer: str | None = None
    seen_by: frozenset[str] = frozenset()
    modseq: int | None = None
    divergent: bool = False
    written_at: str | None = None

    @property
    def losers(self) -> tuple[str, ...]:
        """Claimants other than the winner: each removes its own keyword when it sees this."""
        return tuple(a for a in self.claimants if a != self.state.assigned_to)


def claim_order(agent: str) -> tuple[str, str]:
    """The deterministic order of coexisting claims: the smallest wins."""
    return (agent.casefold(), agent)


def _team_keywords(flags: Iterable[str]) -> dict[str, Keyword]:
    parsed = {}
    for flag in flags:
        keyword = parse_keyword(flag)
        if keyword is not None:
            parsed[flag.lower()] = keyword
    return parsed


def resolve(messages: Iterable[MessageFlags]) -> Resolution:
    """Merge the team keywords of a conversation's messages into one state."""
    claimants: set[str] = set()
    seen: set[str] = set()
    best: tuple[tuple[int, int], dict[str, Keyword]] | None = None
    signatures: set[frozenset[str]] = set()
    for message in messages:
        keywords = _team_keywords(message.flags)
        for keyword in keywords.values():
            if keyword.kind == CLAIM:
                claimants.add(keyword.value)
            elif keyword.kind in (SEEN, BY):
                seen.add(keyword.value)
        # A message written by a client carries $si-by-WRITER; its other keywords are then
        # the whole state (a missing status keyword means "no manual status").
        if any(k.kind in (STATUS, BY) for k in keywords.values()):
            signatures.add(frozenset(k for k in keywords if not k.startswith(PREFIX + SEEN + "-")))
            rank = (message.modseq, message.uid)
            if best is None or rank > best[0]:
                best = (rank, keywords)
    ordered = tuple(sorted(claimants, key=claim_order))
    winner = ordered[0] if ordered else None
    if best is None:
        return Resolution(TeamState(assigned_to=winner), ordered, None, frozenset(seen))
    keywords = best[1]
    statuses = {k.value for k in keywords.values() if k.kind == STATUS}
    status = next((s for s in STATUS_PRECEDENCE if s in statuses), None)
    snoozes = sorted(k.value for k in keywords.values() if k.kind == SNOOZE)
    snooze = snoozes[-1] if status == "snoozed" and snoozes else None
    writers = sorted((k.value for k in keywords.values() if k.kind == BY), key=claim_order)
    times = sorted(k.value for k in keywords.values() if k.kind == AT)
    return Resolution(
        TeamState(status, snooze, winner),
        ordered,
        writers[0] if writers else None,
        frozenset(seen),
        best[0][0],
        divergent=len(signatures) > 1,
        written_at=times[-1] if times else None,
    )


def target_keywords(state: TeamState, writer: str, written_at: str | datetime | None = None) -> set[str]:
    """The team keywords a message carries for ``state`` written by ``writer``."""
    state = state.normalized()
    wanted = {by_keyword(writer), seen_keyword(writer), at_keyword(written_at or datetime.now(UTC))}
    if state.status:
        wanted.add(status_keyword(state.status))
    if state.status == "snoozed" and state.snoozed_until:
        wanted.add(snooze_keyword(state.snoozed_until))
    if state.assigned_to:
        wanted.add(claim_keyword(state.assigned_to))
    return wanted


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


def plan_store(
    messages: Sequence[MessageFlags],
    state: TeamState,
    writer: str,
    written_at: str | datetime | None = None,
) -> list[StorePlan]:
    """The STOREs that give every message exactly the team keywords of ``state``.

    ``$si-seen-*`` keywords are kept (they record who ever worked on the conversation), and
    so is :data:`SENDING`, which belongs to the send step.
    Each plan carries the highest MODSEQ of its messages for a conditional STORE.
    """
    wanted = target_keywords(state, writer, written_at)
    wanted_lower = {w.lower() for w in wanted}
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], _Group] = {}
    for message in messages:
        present = {f.lower(): f for f in message.flags if is_team_keyword(f)}
        add = tuple(sorted(w for w in wanted if w.lower() not in present))
        remove = tuple(
            sorted(
                original
                for lowered, original in present.items()
                if lowered not in wanted_lower
                and not lowered.startswith(PREFIX + SEEN + "-")
                and lowered != SENDING
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
