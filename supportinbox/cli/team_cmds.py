"""claim, release, assign, note, agents, team: sharing one mailbox with a small team.

Each command changes the cache and the server at once when online; offline, the change
waits for the next sync. Mail-derived text is printed through ``one_line``/``clean``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from supportinbox.app import team_actions
from supportinbox.cli.app import (
    SEND_ANYWAY_CODES,
    CliContext,
    cli,
    edit_text,
    exit_codes_epilog,
    pass_ctx,
    require_editor,
)
from supportinbox.cli.output import json_text
from supportinbox.domain.safetext import clean, one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import AuthenticationFailed, CredentialsError, NotFound, UserError
from supportinbox.team.keywords import SLOTS, is_team_keyword
from supportinbox.team.server import FOLDER, KEYWORDS, MODE_META, MODE_REASON_META, TeamConflict
from supportinbox.team.statefolder import STATE_FOLDER, cached_registry
from supportinbox.team.store import known_agents, recent_events


def _say(result: team_actions.ActionResult) -> None:
    click.echo(one_line(result.message))


@contextmanager
def _kept_here(done: str) -> Iterator[None]:
    """The change is in the cache before the server is asked; when the login is refused it
    stays there (the next sync shares it), so the error says that beside how to fix the login:
    else the change is made again, and a note uploaded twice."""
    try:
        yield
    except (AuthenticationFailed, CredentialsError) as exc:
        said = f"{done} here only, not shared with the team: {exc.message}; the next sync shares it"
        raise type(exc)(said) from None


# An unreachable server keeps the change for the next sync (exit 0); a password or login
# the server refuses keeps it too, and says so with its own code.
_KEPT_FOR_SYNC = "done, or kept here and shared at the next sync when the server cannot be reached"
_HOLDER_CODES = exit_codes_epilog(
    (0, 1, 2, 3, 5, 6, 8, 10, 70, 130),
    {0: _KEPT_FOR_SYNC, 10: "a teammate holds the conversation (--force overrides)"},
)


@cli.command(epilog=_HOLDER_CODES)
@click.argument("conversation_id")
@click.option("--force", is_flag=True, help="Take it even if a teammate holds it.")
@pass_ctx
def claim(obj: CliContext, conversation_id: str, force: bool) -> None:
    """Claim a conversation: teammates see you hold it, and their replies are held back."""
    try:
        with _kept_here(f"{one_line(conversation_id, limit=40)} claimed"):
            _say(team_actions.claim(obj.context(), conversation_id, force=force))
    except TeamConflict as exc:
        raise TeamConflict(f"{exc.message} (--force takes it anyway)", exc.holder) from None


@cli.command(epilog=_HOLDER_CODES)
@click.argument("conversation_id")
@click.option("--force", is_flag=True, help="Release it even if a teammate holds it.")
@pass_ctx
def release(obj: CliContext, conversation_id: str, force: bool) -> None:
    """Give a claimed conversation back to the team."""
    try:
        with _kept_here(f"{one_line(conversation_id, limit=40)} released"):
            _say(team_actions.release(obj.context(), conversation_id, force=force))
    except TeamConflict as exc:
        raise TeamConflict(f"{exc.message} (--force releases it anyway)", exc.holder) from None


# A hand-over replaces any claim: no teammate refuses it (no 10).
_HANDOVER_CODES = exit_codes_epilog((0, 1, 2, 3, 5, 6, 8, 70, 130), {0: _KEPT_FOR_SYNC})


@cli.command(epilog=_HANDOVER_CODES)
@click.argument("conversation_id")
@click.argument("agent")
@click.option("--note", default="", help="Why, for AGENT and the team (kept with the hand-over note).")
@pass_ctx
def assign(obj: CliContext, conversation_id: str, agent: str, note: str) -> None:
    """Hand a conversation to AGENT (see 'supportinbox agents').

    Each change of hands is recorded as a note ("Handed over to AGENT by YOU: NOTE", or
    "Handed over to YOU from THEM" when you take it from a teammate) and counted: the queue
    says "handed over 2×" (hand a customer over at most once). Taking one nobody holds is a
    claim, not a hand-over.
    """
    from supportinbox.app import handover
    from supportinbox.store.handovers import handover_count

    ctx = obj.context()
    seen = set(known_agents(ctx.db.conn)) | set(ctx.account.agents) | {ctx.account.agent}
    with _kept_here(f"{one_line(conversation_id, limit=40)} assigned to {one_line(agent, limit=64)}"):
        result = handover.assign(ctx, conversation_id, agent, note=note)
    _say(result)
    if agent.strip() not in seen:
        # Said, not refused: a new teammate has left no trace yet. A typo gives it to nobody,
        # and with keywords the name took one of the mailbox's team slots.
        names = ", ".join(sorted(one_line(a, limit=30) for a in seen))
        slot = ""
        if ctx.db.get_meta(MODE_META) == KEYWORDS:
            slot = f", then 'supportinbox team forget {one_line(agent, limit=64)}' gives back its team slot"
        click.echo(
            f"supportinbox: warning: no agent {one_line(agent, limit=64)!r} was seen on this mailbox "
            f"before ({names}): if that is a typo, assign it again to the right name{slot}",
            err=True,
        )
    handed = handover_count(ctx.db.conn, result.conversation_id)
    if handed > 1:
        click.echo(
            f"supportinbox: warning: {result.conversation_id} has been handed over {handed}×: "
            "hand a customer over at most once, to someone who can solve it",
            err=True,
        )


_NOTE_TEMPLATE = (
    "\n# Internal note on {cid}: teammates see it, the customer never does.\n"
    "# Lines starting with # are ignored; an empty note is not saved.\n"
)


@cli.command(
    epilog=exit_codes_epilog(
        (0, 1, 2, 3, 5, 6, 8, 11, 70, 130),
        {
            0: _KEPT_FOR_SYNC,
            1: "not saved: the note is empty, or the editor failed or was closed without saving",
            11: "no terminal for $EDITOR: give the note as TEXT",
        },
    )
)
@click.argument("conversation_id")
@click.argument("text", required=False)
@pass_ctx
def note(obj: CliContext, conversation_id: str, text: str | None) -> None:
    """Add an internal note (never sent to the customer); without TEXT, opens $EDITOR."""
    if text is None:
        require_editor("give the note as TEXT: supportinbox note ID 'what happened'")
        edited = edit_text(
            _NOTE_TEMPLATE.format(cid=one_line(conversation_id, limit=40)), "no note was saved"
        )
        if edited is None:
            raise UserError("no note written: nothing saved")
        text = "\n".join(line for line in edited.splitlines() if not line.startswith("#"))
    with _kept_here(f"note on {one_line(conversation_id, limit=40)} saved"):
        _say(team_actions.add_note(obj.context(), conversation_id, text))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def agents(obj: CliContext, as_json: bool) -> None:
    """Agents seen on this mailbox (synced once, claims, team keywords, notes) and yourself."""
    _, account = obj.account()
    found = known_agents(obj.db().conn)
    found.setdefault(account.agent, set()).add("you")
    rows = [{"agent": agent, "seen_in": sorted(where)} for agent, where in sorted(found.items())]
    if as_json:
        click.echo(json_text(rows))
        return
    for agent, where in sorted(found.items()):
        click.echo(f"{one_line(agent, limit=60)}  ({', '.join(sorted(where))})")


@cli.group()
def team() -> None:
    """How team state travels on this server, and what teammates did."""


@team.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--events", "limit", type=click.IntRange(min=0), default=10, show_default=True)
@pass_ctx
def team_status(obj: CliContext, as_json: bool, limit: int) -> None:
    """Keywords or the fallback state folder, changes waiting for the server, recent events."""
    _, account = obj.account()
    db = obj.db()
    mode = db.get_meta(MODE_META)
    reason = db.get_meta(MODE_REASON_META)
    slots = cached_registry(db.conn)
    keywords = _keywords_in_use(db.conn)
    waiting = _unsent_changes(db.conn)
    notes_waiting = int(db.conn.execute("SELECT COUNT(*) FROM notes WHERE uploaded = 0").fetchone()[0])
    events = recent_events(db.conn, limit)
    data: dict[str, Any] = {
        "agent": account.agent,
        "mode": mode or "unknown",
        "why": reason,
        "state_folder": STATE_FOLDER,
        "slots": {str(n): agent for n, agent in sorted(slots.items())},
        "keywords_in_use": keywords,
        "notes_folder": account.notes_folder,
        "unsent_changes": waiting,
        "unsent_notes": notes_waiting,
        "events": [
            {
                "conversation": e.conversation_id,
                "kind": e.kind,
                "agent": e.agent,
                "text": clean(e.said()),  # without the isolates of its fields
                "at": e.created_at,
            }
            for e in events
        ],
    }
    if as_json:
        click.echo(json_text(data))
        return
    if mode == KEYWORDS:
        how = f"IMAP keywords ($si-...) on the inbox messages, details in the folder {STATE_FOLDER!r}"
    elif mode == FOLDER:
        how = f"the folder {STATE_FOLDER!r} (this server refuses custom keywords)"
    else:
        how = "not known yet: run 'supportinbox sync'"
    click.echo(f"you are {one_line(account.agent)}; team state travels as {how}")
    if reason:
        click.echo(f"why: {one_line(reason, limit=200)}")
    if mode == KEYWORDS:
        taken = ", ".join(f"{n} {one_line(agent, limit=64)}" for n, agent in sorted(slots.items()))
        click.echo(f"team slots ({len(slots)} of {SLOTS} taken): {taken or 'none yet'}")
        click.echo(f"keywords on inbox messages: {len(keywords)} ({' '.join(keywords) or 'none'})")
    click.echo(f"notes folder: {one_line(account.notes_folder)}")
    click.echo(f"waiting for the server: {waiting} state change(s), {notes_waiting} note(s)")
    for event in events:
        # The local clock, as 'outbox' and 'followups' say it ('--json' keeps ISO UTC).
        said = one_line(event.said(), limit=160, isolates=True)
        click.echo(f"{when_words(event.created_at):16}  {event.kind:9}  {said}")


def _keywords_in_use(conn: Any) -> list[str]:
    """The distinct ``$si-`` keywords on cached inbox messages (the scheme allows 19)."""
    found: set[str] = set()
    rows = conn.execute(
        "SELECT m.flags FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.role = 'inbox' AND m.flags LIKE '%$si-%'"
    )
    for (flags,) in rows:
        found.update(f.lower() for f in str(flags).split() if is_team_keyword(f))
    return sorted(one_line(f, limit=80) for f in found)


def _unsent_changes(conn: Any) -> int:
    from supportinbox.team.store import base_states, local_states

    bases = base_states(conn)
    return sum(1 for cid, state in local_states(conn).items() if state != bases.get(cid, type(state)()))


@team.command("forget")
@click.argument("agent")
@pass_ctx
def forget(obj: CliContext, agent: str) -> None:
    """Give AGENT's team slot back (someone who left); their claims are dropped."""
    click.echo(one_line(team_actions.forget_agent(obj.context(), agent)))


@team.command("send-anyway", epilog=exit_codes_epilog(SEND_ANYWAY_CODES))
@click.argument("outbox_id", type=int)
@pass_ctx
def send_anyway(obj: CliContext, outbox_id: int) -> None:
    """Send a reply held back because a teammate claimed, closed or answered the conversation."""
    from supportinbox.app import outbox as outbox_use
    from supportinbox.cli.reply_cmds import report_sends

    ctx = obj.context()
    report = outbox_use.send(ctx, ids={outbox_id}, anyway=True, force=True, held=True)
    if not report.outcomes:
        raise NotFound(f"no reply #{outbox_id} waiting in the outbox: see 'supportinbox outbox list'")
    report_sends(ctx.db, report)
