"""``kill -9`` at every step of a sync and of a send, in turn: the end state is always the same.

isync interrupts each of its sync scenarios at every step of its journal and requires the
resumed run to reach the state an uninterrupted one reaches, and a further run to change
nothing. Here the steps are not a hand-made list: an uninterrupted run with
``SUPPORTINBOX_TEST_STEPS`` lists every crash point it passes (supportinbox/faults.py): each
cache transaction before and after COMMIT, each write to the IMAP or SMTP server before
and after it leaves, and the engine's own points. Then, for every step N, a fresh copy of
the same mailbox and cache (a cloned Maildir under another Dovecot user, a copied cache)
runs the command with ``SUPPORTINBOX_TEST_CRASH_AT=N`` and dies exactly there.

* Sync (with new mail, a flag change, an expunge on the server and a rescue from Junk
  queued offline): ``sync`` again; the cache equals the uninterrupted run's (a canonical
  dump: folders, messages, conversations, queued changes, spam verdicts), the server
  equals its server, and a further ``sync`` is "up to date" and changes nothing.
* Send (``reply --send``): ``outbox retry``; the customer got the reply exactly once, Sent
  holds one copy and the original is \\Answered, or, when the process died between
  handing the message to SMTP and recording the answer, it is "maybe delivered", was
  delivered at most once, and a plain retry never sends it again (RFC 1047).

The number of steps covered is printed. Runs go three at a time.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.harness.cliproc import (
    Run,
    config_text,
    integrity_ok,
    open_cache,
    query,
    run_cli,
    write_config,
)
from tests.harness.dovecot import Dovecot, free_port, make_root
from tests.harness.mail import make_message
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(900)]

KILLED = -signal.SIGKILL
PARALLEL = 3
MAX_STEPS = 400
PASSWORD = "secret"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Bench:
    """One Dovecot (every copy of the mailbox is another user of it) and a template state."""

    dovecot: Dovecot
    root: Path
    smtp: SmtpServer | None = None

    def config(self, user: str, *, offline: bool = False) -> str:
        text = config_text(
            imap_port=free_port() if offline else self.dovecot.imap_port,
            smtp_port=self.smtp.port if self.smtp else 1,
            timeout=20,
            batch_size=3,
        )
        return text.replace('username = "support"', f'username = "{user}"')

    def clone(self, template: str, user: str) -> Path:
        """A copy of the template's mailbox (as user ``user``) and of its cache; the copy's home."""
        source = self.dovecot.root / "mail" / template
        assert user in self.dovecot.users, f"declare {user} before Dovecot starts"
        shutil.copytree(source, self.dovecot.root / "mail" / user, symlinks=True, dirs_exist_ok=True)
        self.dovecot._chown_mail()
        home = self.root / f"home-{user}"
        shutil.copytree(self.root / f"home-{template}", home, symlinks=True)
        write_config(home, self.config(user))
        return home


def _steps(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.split(" ", 1)[1] for line in path.read_text().splitlines()]


def _run(home: Path, *args: str, crash_at: int | None = None, trace: Path | None = None) -> Run:
    env: dict[str, str] = {}
    if crash_at is not None:
        env["SUPPORTINBOX_TEST_CRASH_AT"] = str(crash_at)
    if trace is not None:
        env["SUPPORTINBOX_TEST_STEPS"] = str(trace)
    return run_cli(home, *args, env=env, timeout=120)


def _stable_flags(flags: str) -> list[str]:
    return sorted(f for f in str(flags).split() if f.lower() != "\\recent")


def cache_dump(home: Path) -> dict[str, Any]:
    """The cache's meaning, without what differs between equal runs (row ids, clock times)."""
    with open_cache(home) as conn:
        folders = [
            tuple(r)
            for r in conn.execute(
                "SELECT name, role, uidvalidity, uidnext, highestmodseq FROM folders ORDER BY name"
            )
        ]
        messages = [
            (
                r["name"],
                r["uid"],
                r["message_id"],
                r["subject"],
                r["from_addr"],
                _stable_flags(r["flags"]),
                r["date"],
                r["internaldate"],
                hashlib.sha256(str(r["body_text"]).encode()).hexdigest()[:16],
                r["conversation_id"],
            )
            for r in conn.execute(
                "SELECT f.name, m.* FROM messages m JOIN folders f ON f.id = m.folder_id "
                "ORDER BY f.name, m.uid"
            )
        ]
        conversations = [
            tuple(r)
            for r in conn.execute(
                "SELECT id, subject, customer_email, status, derived_status, message_count, unread_count, "
                "followups, incident_id, first_message_at, last_message_at FROM conversations ORDER BY id"
            )
        ]
        pending = [
            tuple(r) for r in conn.execute("SELECT kind, payload, attempts, last_error FROM pending_ops")
        ]
        verdicts = [
            tuple(r)
            for r in conn.execute(
                "SELECT f.name, m.uid, v.score, v.suspect, v.reasons FROM junk_verdicts v "
                "JOIN messages m ON m.id = v.message_rowid JOIN folders f ON f.id = m.folder_id "
                "ORDER BY f.name, m.uid"
            )
        ]
    return {
        "folders": folders,
        "messages": messages,
        "conversations": conversations,
        "pending": pending,
        "verdicts": verdicts,
    }


def server_dump(dovecot: Dovecot, user: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Every folder's messages on the server: (Message-ID, flags), in UID order."""
    from imapclient import IMAPClient

    out: dict[str, list[tuple[str, list[str]]]] = {}
    with IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False, timeout=20) as imap:
        imap.login(user, PASSWORD)
        for folder in ("INBOX", "Junk", "Sent"):
            imap.select_folder(folder, readonly=True)
            uids = imap.search()
            data = imap.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
            out[folder] = [
                (
                    item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[-1].strip(),
                    _stable_flags(" ".join(f.decode() for f in item[b"FLAGS"])),
                )
                for _, item in sorted(data.items())
            ]
    return out


@pytest.fixture(scope="module")
def bench() -> Iterator[Bench]:
    root = make_root("si-every-step-")
    # Dovecot reads its user list once: every copy that may be needed is declared up front.
    names = ["template", "ref", "send-template", "send-ref"]
    names += [f"{kind}{n}" for kind in ("sync", "send") for n in range(1, MAX_STEPS + 1)]
    dovecot = Dovecot(root, users=dict.fromkeys(names, PASSWORD))
    try:
        dovecot.start()
        yield Bench(dovecot, root)
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


def _user_client(bench: Bench, user: str) -> Any:
    from imapclient import IMAPClient

    imap = IMAPClient("127.0.0.1", port=bench.dovecot.imap_port, ssl=False, timeout=20)
    imap.login(user, PASSWORD)
    return imap


def _msg(i: int, **kwargs: Any) -> bytes:
    kwargs.setdefault("sender", f"Customer {i} <c{i}@customer.test>")
    kwargs.setdefault("subject", f"Question {i}")
    return make_message(date=T0 + timedelta(minutes=i), message_id=f"<m{i}@customer.test>", **kwargs)


def _append(bench: Bench, user: str, folder: str, raws: list[bytes]) -> None:
    imap = _user_client(bench, user)
    try:
        for index, raw in enumerate(raws):
            imap.append(folder, raw, msg_time=T0 + timedelta(hours=1, minutes=index))
    finally:
        imap.logout()


def _sync_template(bench: Bench) -> Path:
    """The state before the sync under test: a synced cache, then changes on both sides."""
    user = "template"
    home = bench.root / f"home-{user}"
    write_config(home, bench.config(user))
    _append(bench, user, "INBOX", [_msg(i, body=f"Hello {i}\n" * 5) for i in range(5)])
    _append(
        bench,
        user,
        "Junk",
        [
            _msg(
                20,
                sender="Kim <kim@customer.test>",
                subject="Re: Question 1",
                in_reply_to="<m1@customer.test>",
            ),
            _msg(21, sender="Offers <deals@spam.test>", subject="Cheap pills"),
        ],
    )
    _append(
        bench, user, "Sent", [_msg(30, sender="Acme Support <support@acme.test>", subject="Re: Question 0")]
    )
    first = _run(home, "sync")
    assert first.returncode == 0, first.describe()
    # Offline: a rescue from Junk is queued for the next sync.
    (junk_uid,) = [
        r["uid"]
        for r in query(
            home,
            "SELECT m.uid FROM messages m JOIN folders f ON f.id = m.folder_id "
            "WHERE f.role = 'junk' AND m.message_id = '<m20@customer.test>'",
        )
    ]
    write_config(home, bench.config(user, offline=True))
    rescue = _run(home, "junk", "rescue", str(junk_uid))
    assert rescue.returncode == 0 and "queued" in rescue.stdout, rescue.describe()
    write_config(home, bench.config(user))
    # On the server meanwhile: new mail, a flag change, an expunge.
    _append(bench, user, "INBOX", [_msg(i, body=f"New {i}\n" * 5) for i in range(5, 12)])
    imap = _user_client(bench, user)
    try:
        imap.select_folder("INBOX")
        uids = sorted(imap.search())
        imap.add_flags([uids[0]], [b"\\Seen", b"$Label1"])
        imap.delete_messages([uids[2]])
        imap.expunge()
    finally:
        imap.logout()
    assert len(query(home, "SELECT id FROM pending_ops")) == 1
    return home


def _every_step(labels: list[str], work: Callable[[int], str]) -> Counter[str]:
    """``work(N)`` for every step N, a few at a time; how often each outcome came out."""
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = [pool.submit(work, n) for n in range(1, len(labels) + 1)]
        return Counter(future.result() for future in futures)


def _killed_at(home: Path, step: int, labels: list[str], trace: Path, *args: str) -> str:
    """Run ``args`` until it dies at ``step``; where it died, for messages."""
    where = f"killed at step {step} ({labels[step - 1]})"
    killed = _run(home, *args, crash_at=step, trace=trace)
    taken = _steps(trace)
    # Under load the uninterrupted send has been seen to take one more IMAP write among its
    # first commands than the copies (a copy made right after the template, cause not found),
    # so a copy's path may be one step shorter: it then ends before the last step, and the
    # caller checks its end state like any other. Otherwise it dies at its own N-th step.
    if killed.returncode == 0 and len(taken) < step:
        print(f"\nstep {step}: the run ended after {len(taken)} steps, before this one")
        assert integrity_ok(home), where
        return f"{where}, reached the end first"
    assert killed.returncode == KILLED, f"{where}: {killed.describe()}"
    assert len(taken) == step, f"{where}: the run stopped after {len(taken)} steps: {taken}"
    if taken != labels[:step]:
        print(f"\nstep {step}: another path than the uninterrupted run's:\n  {labels[:step]}\n  {taken}")
    assert integrity_ok(home), where
    return where


def test_sync_killed_at_every_step_reaches_the_same_state(bench: Bench) -> None:
    _sync_template(bench)
    reference = bench.clone("template", "ref")
    trace = bench.root / "sync-steps"
    run = _run(reference, "sync", trace=trace)
    assert run.returncode == 0, run.describe()
    labels = _steps(trace)
    expected_cache = cache_dump(reference)
    expected_server = server_dump(bench.dovecot, "ref")
    assert expected_cache["pending"] == []
    again = _run(reference, "sync")
    assert "up to date" in again.stdout, again.describe()
    assert cache_dump(reference) == expected_cache

    def interrupt(step: int) -> str:
        user = f"sync{step}"
        home = bench.clone("template", user)
        where = _killed_at(home, step, labels, bench.root / f"{user}-steps", "sync")
        resumed = _run(home, "sync")
        assert resumed.returncode == 0, f"{where}: {resumed.describe()}"
        assert cache_dump(home) == expected_cache, where
        assert server_dump(bench.dovecot, user) == expected_server, where
        further = _run(home, "sync")
        assert further.returncode == 0 and "up to date" in further.stdout, f"{where}: {further.describe()}"
        assert cache_dump(home) == expected_cache, where
        return "same state"

    outcomes = _every_step(labels, interrupt)
    print(f"\nsync: killed at each of {len(labels)} steps {dict(Counter(labels))}: {dict(outcomes)}")
    assert outcomes == {"same state": len(labels)} and len(labels) > 40


def _send_template(bench: Bench) -> str:
    """A synced cache with one customer message to answer, and the templates installed."""
    user = "send-template"
    home = bench.root / f"home-{user}"
    write_config(home, bench.config(user))
    _append(bench, user, "INBOX", [_msg(50, subject="Cannot log in")])
    for args in (("templates", "install"), ("sync",)):
        run = _run(home, *args)
        assert run.returncode == 0, run.describe()
    (row,) = query(home, "SELECT conversation_id FROM messages WHERE message_id = '<m50@customer.test>'")
    return str(row["conversation_id"])


def _delivered(smtp: SmtpServer, user: str) -> int:
    return sum(1 for r in smtp.received if r.mail_from == f"{user}@acme.test")


def _sent_copies(bench: Bench, user: str, message_id: str) -> int:
    imap = _user_client(bench, user)
    try:
        imap.select_folder("Sent", readonly=True)
        return len(imap.search(["HEADER", "Message-ID", message_id]))
    finally:
        imap.logout()


def _answered(bench: Bench, user: str) -> bool:
    imap = _user_client(bench, user)
    try:
        imap.select_folder("INBOX", readonly=True)
        (uid,) = imap.search(["HEADER", "Message-ID", "<m50@customer.test>"])
        return b"\\Answered" in imap.get_flags([uid])[uid]
    finally:
        imap.logout()


def test_send_killed_at_every_step_reaches_the_customer_once(bench: Bench) -> None:
    smtp = SmtpServer().start()
    bench.smtp = smtp
    try:
        _check_every_send_step(bench, smtp)
    finally:
        bench.smtp = None
        smtp.stop()


def _check_every_send_step(bench: Bench, smtp: SmtpServer) -> None:
    conversation = _send_template(bench)
    reply = ("reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes")

    def clone(user: str) -> Path:
        """A copy whose replies go out from USER@acme.test, so each copy's mail is told apart."""
        home = bench.clone("send-template", user)
        config = bench.config(user).replace('email = "support@acme.test"', f'email = "{user}@acme.test"')
        write_config(home, config)
        return home

    reference = clone("send-ref")
    trace = bench.root / "send-steps"
    run = _run(reference, *reply, trace=trace)
    assert run.returncode == 0, run.describe()
    labels = _steps(trace)
    (row,) = query(reference, "SELECT message_id, status FROM outbox")
    assert row["status"] == "sent" and _delivered(smtp, "send-ref") == 1
    assert _sent_copies(bench, "send-ref", row["message_id"]) == 1 and _answered(bench, "send-ref")
    expected_status = query(reference, "SELECT status FROM conversations WHERE id = ?", conversation)[0][0]

    def interrupt(step: int) -> str:
        user = f"send{step}"
        home = clone(user)
        where = _killed_at(home, step, labels, bench.root / f"{user}-steps", *reply)
        if not query(home, "SELECT id FROM outbox"):
            # Died before the reply was queued: nothing was promised, nothing went out.
            assert _delivered(smtp, user) == 0, where
            return "not queued"
        for _ in range(2):  # a retry, and one more that must change nothing
            retried = _run(home, "outbox", "retry")
            assert retried.returncode in (0, 9), f"{where}: {retried.describe()}"
            assert "Traceback" not in retried.stderr, f"{where}: {retried.describe()}"
        (final,) = query(home, "SELECT message_id, status, last_error FROM outbox")
        delivered = _delivered(smtp, user)
        if final["status"] == "sent":
            assert delivered == 1, f"{where}: delivered {delivered} times"
            assert _sent_copies(bench, user, final["message_id"]) == 1, where
            assert _answered(bench, user), where
            status = query(home, "SELECT status FROM conversations WHERE id = ?", conversation)[0][0]
            assert status == expected_status, where
            return "sent once"
        # Died between handing the reply to SMTP and recording the answer: it may have been
        # delivered, so it is never sent again without being asked to (RFC 1047).
        assert final["status"] == "failed", f"{where}: {dict(final)}"
        assert str(final["last_error"]).startswith("maybe delivered"), f"{where}: {dict(final)}"
        assert delivered <= 1, f"{where}: delivered {delivered} times"
        listed = _run(home, "outbox")
        assert "maybe delivered" in listed.stdout, f"{where}: {listed.describe()}"
        return f"maybe delivered, {delivered} copy"

    outcomes = _every_step(labels, interrupt)
    print(f"\nsend: killed at each of {len(labels)} steps {dict(Counter(labels))}: {dict(outcomes)}")
    assert sum(outcomes.values()) == len(labels) and outcomes["sent once"] > len(labels) // 2
