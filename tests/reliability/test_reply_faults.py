"""Network faults while a reply is sent: it reaches the customer once or stays in the outbox.

SMTP and IMAP both go through fault proxies. A fault before the server accepted the reply
leaves it in the outbox with one clear line; ``outbox retry`` then delivers exactly one
copy. A fault after SMTP accepted it (while filing it in Sent) never causes a second send.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.cliproc import config_text, run_cli, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import client, make_message
from tests.harness.replies import Setup, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

SEND_REFUSED_EXIT = 9


@dataclass
class Rig:
    setup: Setup
    conversation: str
    imap: FaultProxy
    smtp: FaultProxy
    home: Path

    def reply(self) -> tuple[int, str, str]:
        run = run_cli(
            self.home, "reply", self.conversation, "-t", "acknowledge-investigating", "--send", "--yes"
        )
        return run.returncode, run.stdout, run.stderr

    def row(self) -> dict[str, object]:
        (row,) = self.setup.db.conn.execute("SELECT * FROM outbox").fetchall()
        return dict(row)


@pytest.fixture
def rig(supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer) -> Iterator[Rig]:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<f1@customer.test>")]
    )
    conversation = setup.conversation_of("<f1@customer.test>")
    with FaultProxy(dovecot.imap_port) as imap, FaultProxy(smtp_server.port) as smtp:
        write_config(
            supportinbox_home,
            config_text(imap_port=imap.port, smtp_port=smtp.port, timeout=3),
        )
        yield Rig(setup, conversation, imap, smtp, supportinbox_home)


def _delivered(smtp_server: SmtpServer, message_id: str) -> int:
    return sum(1 for r in smtp_server.received if r.message["Message-ID"] == message_id)


def _in_sent(dovecot: Dovecot, message_id: str) -> int:
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        return len(imap.search(["HEADER", "Message-ID", message_id.strip("<>")]))


BEFORE_ACCEPTANCE = {
    "greeting-then-close": Fault("greeting"),
    "stall-at-rcpt": Fault("stall", direction="c2s", trigger=b"rcpt TO", after=0, seconds=30),
}


@pytest.mark.parametrize("name", list(BEFORE_ACCEPTANCE))
def test_fault_before_acceptance_keeps_reply_in_outbox(
    name: str, rig: Rig, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    rig.smtp.set_fault(BEFORE_ACCEPTANCE[name])
    code, _out, err = rig.reply()
    assert rig.smtp.stats.trips, "the fault never fired"
    assert code == SEND_REFUSED_EXIT, err
    assert "Traceback" not in err and len([line for line in err.splitlines() if line.strip()]) == 1, err
    assert "stays in the outbox" in err
    row = rig.row()
    assert row["status"] == "failed" and smtp_server.received == []

    rig.smtp.clear()
    retry = run_cli(rig.home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    message_id = str(row["message_id"])
    assert _delivered(smtp_server, message_id) == 1
    assert _in_sent(dovecot, message_id) == 1
    assert rig.row()["status"] == "sent"


def test_imap_cut_after_smtp_success_never_resends(
    rig: Rig, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    """Accepted by SMTP, then the connection breaks at APPEND: finished later, sent once."""
    rig.imap.set_fault(Fault("cut", direction="c2s", trigger=b"APPEND", after=0))
    _code, _out, err = rig.reply()
    assert rig.imap.stats.trips
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "not yet filed" in lines[0] and "Traceback" not in err, err
    # Said once, not "sent; sent".
    assert lines[0].startswith("reply #1 to lina@customer.test sent, but not yet filed in Sent"), lines
    row = rig.row()
    message_id = str(row["message_id"])
    assert _delivered(smtp_server, message_id) == 1
    assert row["smtp_done_at"] is not None and row["status"] == "sending"

    # While the server is still unreachable, a retry neither sends again nor loses it.
    rig.imap.set_fault(Fault("greeting"))
    again = run_cli(rig.home, "outbox", "retry")
    assert "Traceback" not in again.stderr and len(again.error_lines) == 1, again.describe()
    assert _delivered(smtp_server, message_id) == 1

    rig.imap.clear()
    retry = run_cli(rig.home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    assert _delivered(smtp_server, message_id) == 1
    assert _in_sent(dovecot, message_id) == 1
    assert rig.row()["status"] == "sent"
    # What the retry did is said as it was: filed, not sent.
    assert (
        retry.stdout
        == "reply #1 to lina@customer.test filed in Sent: it had gone out before, and was not sent again\n"
    )


def test_a_sync_that_files_a_reply_sent_before_does_not_say_it_sent_it(
    rig: Rig, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    rig.imap.set_fault(Fault("cut", direction="c2s", trigger=b"APPEND", after=0))
    rig.reply()
    message_id = str(rig.row()["message_id"])
    rig.imap.clear()
    synced = run_cli(rig.home, "sync")
    assert synced.returncode == 0, synced.describe()
    filed = "reply #1 to lina@customer.test filed in Sent: it had gone out before, and was not sent again"
    assert f"outbox: {filed}" in synced.stdout
    assert "outbox: reply #1 sent" not in synced.stdout
    assert _delivered(smtp_server, message_id) == 1 and _in_sent(dovecot, message_id) == 1


# aiosmtpd's go-ahead for the message ("354 End data with <CR><LF>.<CR><LF>"): what the
# server says next is its verdict on the whole message.
_GO_AHEAD = b"<CR><LF>.<CR><LF>\r\n"
LOST_VERDICT = {
    # The server's answer to the final dot is held back past the client's timeout.
    "stalled": Fault("stall", trigger=_GO_AHEAD, after=0, seconds=30),
    # The server queued the message; the connection closes before its 250 comes back, well
    # within the client's timeout (a server restarting, a NAT or proxy dropping the
    # connection): RFC 1047's window.
    "connection-closed": Fault("stall", trigger=_GO_AHEAD, after=0, seconds=0.5),
}


@pytest.mark.parametrize("name", list(LOST_VERDICT))
def test_lost_acceptance_is_maybe_delivered_and_never_resent_unasked(
    name: str, rig: Rig, smtp_server: SmtpServer
) -> None:
    """Lost 250: the server took the reply but its answer never came (RFC 5321 4.1.1.4)."""
    rig.smtp.set_fault(LOST_VERDICT[name])
    code, _out, err = rig.reply()
    assert rig.smtp.stats.trips
    assert code == SEND_REFUSED_EXIT and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    assert "may have been delivered" in err, err
    row = rig.row()
    message_id = str(row["message_id"])
    assert _delivered(smtp_server, message_id) == 1  # the server did take it
    rig.smtp.clear()
    assert "maybe delivered" in run_cli(rig.home, "outbox").stdout  # still in the outbox, visibly
    for _ in range(2):
        run_cli(rig.home, "outbox", "retry")
    # A sync from cron retries failed replies whose time has come: not this one.
    assert run_cli(rig.home, "sync").returncode == 0
    assert _delivered(smtp_server, message_id) == 1  # a plain retry never sends it again
    # Named explicitly, it is the user's decision to send it once more.
    assert run_cli(rig.home, "outbox", "retry", str(row["id"])).returncode == 0
    assert _delivered(smtp_server, message_id) == 2


def test_cut_while_the_message_is_on_its_way_is_maybe_delivered(
    rig: Rig, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    """A cut in mid-DATA looks, to a client whose bytes are all written, like a lost 250.

    The whole reply, final dot included, is in the client's socket when the connection
    closes: whether the server read it all is unknowable, so it is never resent unasked.
    Named, it goes out once (here the server had only 300 bytes of it).
    """
    rig.smtp.set_fault(Fault("cut", direction="c2s", trigger=b"data\r\n", after=300))
    code, _out, err = rig.reply()
    assert rig.smtp.stats.trips, "the fault never fired"
    assert code == SEND_REFUSED_EXIT and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    row = rig.row()
    message_id = str(row["message_id"])
    assert smtp_server.received == []
    rig.smtp.clear()
    run_cli(rig.home, "outbox", "retry")
    assert run_cli(rig.home, "sync").returncode == 0
    assert smtp_server.received == []
    assert run_cli(rig.home, "outbox", "retry", str(row["id"])).returncode == 0
    assert _delivered(smtp_server, message_id) == 1
    assert _in_sent(dovecot, message_id) == 1
    assert rig.row()["status"] == "sent"
