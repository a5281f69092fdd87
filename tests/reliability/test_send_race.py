"""Teammates pressing send at the same instant: exactly one reply reaches the customer.

Each round a new customer writes; every agent (its own cache, its own outbox lock, as on
its own machine) drafts a reply and all send at once — threads released by one barrier,
or separate ``supportinbox reply`` processes released by one file. The SMTP server must
receive exactly one reply per round, the others are held naming the winner, and no
"sending" marker is left on the server. A winner killed after winning does not block the
conversation for good: it finishes when it comes back, or its marker expires.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as store
from supportinbox.team import sending
from supportinbox.team.collision import send_checks
from supportinbox.team.keywords import SENDING
from supportinbox.team.statefolder import STATE_FOLDER
from tests.harness.cliproc import cli_env, run_cli
from tests.harness.dovecot import Dovecot, acl_dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import TEMPLATE, Teammate, make_team

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(600)]

AGENTS = ("alice", "bob", "carol", "dave")
ROUNDS = 6


@pytest.fixture
def no_keywords_dovecot() -> Iterator[Dovecot]:
    yield from acl_dovecot("* owner lrsteikxa\n")


@pytest.fixture(params=["keywords", "state folder"])
def server(request: pytest.FixtureRequest) -> Dovecot:
    """Dovecot with keywords and CONDSTORE, and one that refuses keywords (state folder)."""
    name = "dovecot" if request.param == "keywords" else "no_keywords_dovecot"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def _customer_writes(dovecot: Dovecot, n: int) -> str:
    mid = f"<race-{n}@customer.test>"
    append(
        dovecot, [make_message(sender=f"Cust {n} <c{n}@customer.test>", subject=f"Down {n}", message_id=mid)]
    )
    return mid


def _replies_to(smtp: SmtpServer, mid: str) -> list[str]:
    """Agents of the replies the SMTP server received to ``mid``."""
    return [
        str(r.message["X-Supportinbox-Agent"]) for r in smtp.received if str(r.message["In-Reply-To"]) == mid
    ]


def _markers_left(dovecot: Dovecot) -> list[str]:
    """Sending markers or intents still on the server."""
    left = []
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        left += [f"INBOX {uid}" for uid in imap.search(["KEYWORD", SENDING])]
        if imap.folder_exists(STATE_FOLDER):
            imap.select_folder(STATE_FOLDER, readonly=True)
            found = imap.search(["HEADER", sending.SENDING_HEADER, ""])
            left += [f"{STATE_FOLDER} {uid}" for uid in found]
    return left


def _own_outbox_lock(monkeypatch: pytest.MonkeyPatch) -> threading.local:
    """Each thread plays a teammate on another machine: its own outbox lock file."""
    local = threading.local()

    def lock_file(account: str) -> Path:
        home: Path = local.home
        home.mkdir(parents=True, exist_ok=True)
        return home / f"{account}.outbox.lock"

    monkeypatch.setattr(paths, "outbox_lock_file", lock_file)
    return local


def _send_together(team: list[Teammate], ids: list[int], local: threading.local) -> list[sender.Outcome]:
    barrier = threading.Barrier(len(team))
    outcomes: list[sender.Outcome | BaseException] = [RuntimeError("not run")] * len(team)

    def send(index: int) -> None:
        mate = team[index]
        local.home = mate.home / "lock"
        barrier.wait()
        try:
            report = sender.send_due(
                mate.db,
                mate.name,
                mate.account,
                checks=send_checks(),
                force=True,
                ids=[ids[index]],
            )
            (outcomes[index],) = report.outcomes
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(team))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(o, sender.Outcome) for o in outcomes), outcomes
    return [o for o in outcomes if isinstance(o, sender.Outcome)]


def test_agents_in_threads_pressing_send_at_once_reach_the_customer_once(
    tmp_path: Path, server: Dovecot, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = _own_outbox_lock(monkeypatch)
    team = make_team(tmp_path, server, smtp_server, AGENTS)
    for n in range(ROUNDS):
        mid = _customer_writes(server, n)
        for mate in team:
            mate.sync()
        cid = team[0].conversation_of(mid)
        ids = [mate.draft_reply(cid) for mate in team]
        outcomes = _send_together(team, ids, local)

        replies = _replies_to(smtp_server, mid)
        assert len(replies) == 1, f"round {n}: the customer got {len(replies)} replies: {outcomes}"
        (winner,) = replies
        assert [o.status for o in outcomes].count("sent") == 1, outcomes
        for mate, outcome in zip(team, outcomes, strict=True):
            if mate.agent != winner:
                assert outcome.status == "held", outcome
                assert winner in outcome.message, outcomes  # the loser learns who
                row = store.get(mate.db.conn, outcome.outbox_id)
                assert row is not None and row.status == "held" and row.held_by == winner, row
        assert _markers_left(server) == [], f"round {n}"


_DRIVER = """
import sys, time
from pathlib import Path
from supportinbox.cli import main
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
main(sys.argv[2:])
"""


def test_agents_in_separate_processes_pressing_send_at_once_reach_the_customer_once(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    team = make_team(tmp_path, dovecot, smtp_server, AGENTS[:3])
    for n in range(ROUNDS):
        mid = _customer_writes(dovecot, n)
        for mate in team:
            mate.sync()
        cid = team[0].conversation_of(mid)
        go = tmp_path / f"go-{n}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _DRIVER, str(go), "reply", cid, "-t", TEMPLATE, "--send", "--yes"],
                env=cli_env(mate.home),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for mate in team
        ]
        time.sleep(1.5)  # every process has imported everything and waits for the file
        go.touch()
        results = [proc.communicate(timeout=120) for proc in procs]
        codes = [proc.returncode for proc in procs]

        replies = _replies_to(smtp_server, mid)
        assert len(replies) == 1, f"round {n}: {len(replies)} replies; {codes} {results}"
        (winner,) = replies
        for mate, code, (_out, err) in zip(team, codes, results, strict=True):
            if mate.agent == winner:
                assert code == 0, err
            else:
                assert code != 0 and winner in err, (mate.agent, code, err)
        assert _markers_left(dovecot) == [], f"round {n}"


def _alice_killed_after_winning(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer
) -> tuple[Teammate, Teammate, str, str]:
    """alice and bob on one new conversation; alice's reply won the race, then alice was killed."""
    alice, bob = make_team(tmp_path, dovecot, smtp, ("alice", "bob"))
    mid = _customer_writes(dovecot, 0)
    alice.sync()
    bob.sync()
    cid = alice.conversation_of(mid)
    killed = run_cli(
        alice.home,
        "reply", cid, "-t", TEMPLATE, "--send", "--yes",
        env={"SUPPORTINBOX_TEST_CRASH_AT": "outbox.after_claim:1"},
    )  # fmt: skip
    assert killed.returncode == -9, killed.describe()
    return alice, bob, cid, mid


def test_a_winner_killed_before_smtp_finishes_its_reply_when_it_comes_back(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    alice, bob, cid, mid = _alice_killed_after_winning(tmp_path, dovecot, smtp_server)
    assert _replies_to(smtp_server, mid) == [] and _markers_left(dovecot) != []

    held = bob.send(bob.draft_reply(cid))
    (outcome,) = held.outcomes
    assert outcome.status == "held" and "sending a reply" in outcome.message, outcome

    back = run_cli(alice.home, "outbox", "retry")
    assert back.returncode == 0, back.describe()
    assert _replies_to(smtp_server, mid) == ["alice"]
    assert _markers_left(dovecot) == []
    again = bob.send(outcome.outbox_id)
    assert [o.status for o in again.outcomes] == ["held"] and "alice" in again.outcomes[0].message
    assert _replies_to(smtp_server, mid) == ["alice"]


def test_a_marker_whose_sender_never_comes_back_expires(
    tmp_path: Path, server: Dovecot, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _alice, bob, cid, mid = _alice_killed_after_winning(tmp_path, server, smtp_server)

    monkeypatch.setattr(sending, "EXPIRY_SECONDS", 2.0)
    first = bob.send(bob.draft_reply(cid))
    (outcome,) = first.outcomes
    assert outcome.status == "held", outcome
    time.sleep(2.5)  # alice never comes back
    later = bob.send(outcome.outbox_id)
    assert [o.status for o in later.outcomes] == ["sent"], later.outcomes
    assert _replies_to(smtp_server, mid) == ["bob"]
    assert _markers_left(server) == []
