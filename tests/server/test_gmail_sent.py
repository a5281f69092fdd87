"""Gmail files mail sent through its SMTP server in Sent Mail itself: no second copy.

Dovecot announces Gmail's X-GM-EXT-1 here (imap_capability), so the reply must not be
APPENDed: Sent stays empty on this Dovecot, where Gmail would hold exactly its own copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.store import outbox as store
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.mail import client, make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server


@pytest.fixture
def gmail_like_dovecot() -> Iterator[Dovecot]:
    root = make_root()
    server = Dovecot(root, extra_config="imap_capability = +X-GM-EXT-1\n")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_a_reply_is_not_appended_where_the_server_files_it_itself(
    supportinbox_home: Path,
    gmail_like_dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dovecot = gmail_like_dovecot
    with client(dovecot) as imap:
        assert b"X-GM-EXT-1" in imap.capabilities()
    # save_to_sent stays true (a generic profile): the capability alone decides.
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<g1@customer.test>")]
    )
    conversation = setup.conversation_of("<g1@customer.test>")
    sent = run_cli(capsys, "reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes")
    assert sent.code == 0, sent.err
    assert len(smtp_server.received) == 1
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        assert imap.search(["ALL"]) == []
        imap.select_folder("INBOX", readonly=True)
        (uid,) = imap.search(["HEADER", "Message-ID", "g1@customer.test"])
        assert b"\\Answered" in imap.get_flags([uid])[uid]
    (row,) = store.list_rows(setup.db.conn)
    assert (row.status, row.filed_in_sent, row.answered_set) == ("sent", True, True)
