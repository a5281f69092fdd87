"""Reading the per-agent, per-time keywords of the scheme :mod:`supportinbox.team.keywords` replaced.

That scheme named agents and times in keywords (``$si-claim-AGENT``, ``$si-by-AGENT``,
``$si-seen-AGENT``, ``$si-snooze-20261201T0900Z``, ``$si-at-20261126T045912Z``), so every
status change created a new keyword: after ~100 changes one inbox carried 84 of them.
:func:`read` recovers what such a conversation said, so the migration can write it in the
bounded scheme (with the time and writer as a detail) and remove the old keywords.

Pure functions only. AGENT was encoded so any name survived servers that compare keywords
case-insensitively: ``a-z 0-9 - .`` stood for themselves, every other character became
``_`` + two hex digits per UTF-8 byte (``Alice`` -> ``_41lice``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from supportinbox.config import is_agent_name
from supportinbox.team.keywords import (
    PREFIX,
    STATUS_PRECEDENCE,
    STATUSES,
    MessageFlags,
    TeamState,
)

_ENCODED = re.compile(r"(?:[a-z0-9.\-]|_[0-9a-f]{2})+")
_TIMES = {
    "snooze": ("%Y%m%dT%H%MZ", re.compile(r"\d{8}T\d{4}Z")),
    "at": ("%Y%m%dT%H%M%SZ", re.compile(r"\d{8}T\d{6}Z")),
}


def decode_agent(encoded: str) -> str | None:
    """The agent name of an encoded form; ``None`` when it is not one a config accepts."""
    encoded = encoded.lower()
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
    return name if is_agent_name(name) else None


def encode_agent(agent: str) -> str:
    """The encoded form (only tests write legacy keywords now)."""
    plain = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
    return "".join(c if c in plain else "".join(f"_{b:02x}" for b in c.encode()) for c in agent)


@dataclass(frozen=True)
class LegacyState:
    """What a conversation's legacy keywords said."""

    state: TeamState
    writer: str | None
    written_at: str | None


def _parse(flag: str) -> tuple[str, str] | None:
    lowered = flag.lower()
    if not lowered.startswith(PREFIX):
        return None
    kind, sep, rest = lowered[len(PREFIX) :].partition("-")
    if not sep or not rest:
        return None
    if kind in ("claim", "by", "seen"):
        agent = decode_agent(rest)
        return (kind, agent) if agent else None
    if kind == "status":
        return (kind, rest) if rest in STATUSES else None
    if kind in _TIMES:
        fmt, pattern = _TIMES[kind]
        if not pattern.fullmatch(rest.upper()):
            return None
        try:
            when = datetime.strptime(rest.upper(), fmt).replace(tzinfo=UTC)
        except ValueError:
            return None
        return (kind, when.isoformat(timespec="seconds"))
    return None


def read(messages: Iterable[MessageFlags]) -> LegacyState:
    """The state the legacy keywords of a conversation's messages described.

    Status, snooze, writer and time from the message written last (carrying ``$si-by-*``,
    highest MODSEQ then UID); the claim from all messages, the case-folded smallest name
    winning, as that scheme decided.
    """
    claimants: set[str] = set()
    best: tuple[tuple[int, int], list[tuple[str, str]]] | None = None
    for message in messages:
        parsed = [p for p in (_parse(f) for f in message.flags) if p is not None]
        claimants.update(value for kind, value in parsed if kind == "claim")
        if any(kind in ("status", "by") for kind, _ in parsed):
            rank = (message.modseq, message.uid)
            if best is None or rank > best[0]:
                best = (rank, parsed)
    winner = min(claimants, key=lambda a: (a.casefold(), a)) if claimants else None
    if best is None:
        return LegacyState(TeamState(assigned_to=winner), None, None)
    values: dict[str, list[str]] = {}
    for kind, value in best[1]:
        values.setdefault(kind, []).append(value)
    status = next((s for s in STATUS_PRECEDENCE if s in values.get("status", [])), None)
    snooze = max(values["snooze"]) if status == "snoozed" and values.get("snooze") else None
    writers = sorted(values.get("by", []), key=lambda a: (a.casefold(), a))
    times = sorted(values.get("at", []))
    return LegacyState(
        TeamState(status, snooze, winner).normalized(),
        writers[0] if writers else None,
        times[-1] if times else None,
    )
