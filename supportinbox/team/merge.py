"""Three-way merge of a conversation's shared state (pure; no I/O).

``local`` is what this client shows (``conversation_state``), ``base`` what the server held
when the two last agreed (``team_sync``), ``server`` what the server holds now. Two parts
are merged separately:

- status and snooze: a side that did not change since ``base`` takes the other's; when
  both changed, the newer change wins: the local one is written last, so it becomes the last
  writer by MODSEQ on the server and wins everywhere, unless the server's was set later (two
  teammates working offline: the one who syncs last made the older change, which yields);
- the claim: when both changed, the server's (earlier) claim wins and the local one is
  dropped: the first claim wins, a later one is told.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from supportinbox.domain.safetext import isolate
from supportinbox.domain.when import parse_time, stamp
from supportinbox.team.keywords import Resolution, TeamState
from supportinbox.team.server import Change


@dataclass(frozen=True)
class Notice:
    """Something to tell the user about one conversation."""

    kind: str  # teammate | conflict
    agent: str
    text: str


@dataclass(frozen=True)
class MergeDecision:
    """The merged state and, if the server must change, the change to write."""

    state: TeamState
    push: Change | None
    notices: list[Notice] = field(default_factory=list)


def describe(state: TeamState) -> str:
    """A short human phrase for a status (for notices)."""
    if state.status == "snoozed" and state.snoozed_until:
        # Kept as a stamp: the event is read later (team status), when "tomorrow" may be today.
        return f"snoozed until {stamp(state.snoozed_until)}"
    return state.status or "no status"


def claim_dropped(holder: str, wanted: str | None, me: str) -> str:
    """What the user is told when a teammate's claim reached the server before their own
    change of holder (``wanted``: who they gave it to, themselves or a teammate; None: a
    release): "bob took it first; your claim was dropped"."""
    if wanted is None:
        mine = "your release"
    elif wanted == me:
        mine = "your claim"
    else:
        mine = f"your hand-over to {isolate(wanted)}"
    return f"{isolate(holder)} took it first; {mine} was dropped"


def merge(
    local: TeamState,
    base: TeamState,
    server: Resolution,
    me: str,
    handed_by: str | None = None,
    local_at: str | None = None,
) -> MergeDecision:
    """Decide what the conversation's state is and what to push.

    ``handed_by``: who handed the conversation to ``me``, as their hand-over note says (keywords
    do not say who wrote them), named when the server does not. ``local_at``: when the local
    state was set, against the server's ``written_at`` when both sides changed the status.
    """
    local, base, remote = local.normalized(), base.normalized(), server.state.normalized()
    who = server.last_writer or "a teammate"
    notices: list[Notice] = []

    def status_of(state: TeamState) -> tuple[str | None, str | None]:
        return (state.status, state.snoozed_until)

    local_status_changed = status_of(local) != status_of(base)
    remote_status_changed = status_of(remote) != status_of(base)
    push_status = False
    if not local_status_changed:
        status = status_of(remote)
        if remote_status_changed and server.last_writer != me:
            notices.append(Notice("teammate", who, f"{isolate(who)} set it {describe(remote)}"))
    elif not remote_status_changed or status_of(local) == status_of(remote):
        status = status_of(local)
        push_status = status_of(local) != status_of(remote)
    elif _later(server.written_at, local_at) and server.last_writer != me:
        status = status_of(remote)
        notices.append(
            Notice(
                "conflict",
                who,
                f"{isolate(who)} set it {describe(remote)} after you set it {describe(local)}: "
                "their newer change stands",
            )
        )
    else:
        status = status_of(local)
        push_status = True
        notices.append(
            Notice(
                "conflict",
                who,
                f"{isolate(who)} set it {describe(remote)} meanwhile; "
                f"your newer change ({describe(local)}) wins",
            )
        )

    local_claim_changed = local.assigned_to != base.assigned_to
    remote_claim_changed = remote.assigned_to != base.assigned_to
    push_claim = False
    if not local_claim_changed:
        claim = remote.assigned_to
        if remote_claim_changed:
            if remote.assigned_to and remote.assigned_to != me:
                notices.append(
                    Notice("teammate", remote.assigned_to, f"{isolate(remote.assigned_to)} holds it now")
                )
            elif remote.assigned_to == me and server.last_writer != me:
                # Also a hand-over from whoever held it before: the one place the new
                # holder hears that it is theirs now. Keywords do not say who wrote them:
                # then whoever held it before is named, not "a teammate".
                if server.last_writer is None and base.assigned_to:
                    text = f"it is yours now ({isolate(base.assigned_to)} held it before)"
                    notices.append(Notice("teammate", base.assigned_to, text))
                else:
                    by = server.last_writer or handed_by or who
                    notices.append(Notice("teammate", by, f"{isolate(by)} assigned it to you"))
            elif remote.assigned_to is None and base.assigned_to:
                notices.append(Notice("teammate", who, f"{isolate(base.assigned_to)} no longer holds it"))
    elif not remote_claim_changed or local.assigned_to == remote.assigned_to:
        claim = local.assigned_to
        push_claim = local.assigned_to != remote.assigned_to
    else:
        claim = remote.assigned_to
        holder = remote.assigned_to or "nobody"
        notices.append(Notice("conflict", holder, claim_dropped(holder, local.assigned_to, me)))

    if me in server.losers:
        notices.append(
            Notice(
                "conflict",
                remote.assigned_to or "",
                f"{isolate(remote.assigned_to or '')} claimed it at the same time as you and keeps it",
            )
        )
    state = TeamState(status[0], status[1], claim).normalized()
    push = None
    if push_status or push_claim:
        push = Change(
            status=state.status,
            snoozed_until=state.snoozed_until,
            assigned_to=state.assigned_to,
            sets_status=push_status,
            sets_claim=push_claim,
            # The claim must still be what this client saw, or a teammate's newer claim wins.
            expect_holder=(remote.assigned_to, state.assigned_to) if push_claim else None,
        )
    return MergeDecision(state, push, notices)


def _later(theirs: str | None, ours: str | None) -> bool:
    """Whether the server's status was set after the local one (both times known)."""
    their_time, our_time = parse_time(theirs), parse_time(ours)
    return their_time is not None and our_time is not None and their_time > our_time


def kept_over(server: TeamState, read: TeamState, local: TeamState) -> TeamState:
    """What the server's answer leaves of the changes made here while it was being asked.

    ``read`` is the local state when the exchange began (a write, a read, a sync's merge),
    ``local`` the local state now. Each part (the status with its snooze; the claim) that
    changed here meanwhile, say Pending pressed while a claim was on its way, is taken from
    ``local``; the rest from ``server``. The server's state still becomes the merge base, so
    a part kept differs from it and is sent by the next share or sync, never erased.
    """
    server, read, local = server.normalized(), read.normalized(), local.normalized()
    if (local.status, local.snoozed_until) != (read.status, read.snoozed_until):
        status, snoozed_until = local.status, local.snoozed_until
    else:
        status, snoozed_until = server.status, server.snoozed_until
    holder = local.assigned_to if local.assigned_to != read.assigned_to else server.assigned_to
    return TeamState(status, snoozed_until, holder).normalized()
