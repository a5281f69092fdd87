"""How 'show' prints mail of the shapes real clients send, synced from a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

SOPHIE = "Sophie Laurent <sophie@laurent-bio.test>"


def test_a_long_back_and_forth_names_only_the_subjects_that_differ(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    start = datetime.now(UTC) - timedelta(hours=10)
    inbox, sent, ids = [], [], []
    for turn in range(6):
        ours = turn % 2 == 1
        message_id = f"<turn{turn}@{'acme.test' if ours else 'laurent-bio.test'}>"
        raw = make_message(
            sender="Acme Support <support@acme.test>" if ours else SOPHIE,
            to=SOPHIE if ours else "Acme Support <support@acme.test>",
            subject="Re: Import keeps failing" if turn else "Import keeps failing",
            body=f"Turn {turn}.",
            date=start + timedelta(hours=turn),
            message_id=message_id,
            in_reply_to=ids[-1] if ids else None,
            references=" ".join(ids) or None,
        )
        (sent if ours else inbox).append(raw)
        ids.append(message_id)
    # A new question asked in the same thread keeps its own subject in view.
    inbox.append(
        make_message(
            sender=SOPHIE,
            subject="Also: CSV export misses a column",
            body="And one more thing.",
            date=start + timedelta(hours=7),
            message_id="<turn6@laurent-bio.test>",
            in_reply_to=ids[-1],
            references=" ".join(ids),
        )
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [])
    append(dovecot, inbox)
    append(dovecot, sent, folder="Sent", flags=("\\Seen",))
    setup.sync()
    shown = run_cli(capsys, "show", setup.conversation_of("<turn0@laurent-bio.test>"))
    assert shown.code == 0, shown.err
    assert shown.out.count("Turn ") == 6
    assert "Subject: Re: Import keeps failing" not in shown.out
    assert shown.out.count("Subject: ") == 1
    assert "Subject: Also: CSV export misses a column" in shown.out


def test_an_attachment_s_size_reads_in_megabytes(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = make_message(
        sender="Bruno Costa <bruno@costa-films.test>",
        subject="Video of the bug",
        body="Here is a screen recording of the bug.",
        message_id="<video@costa-films.test>",
        attachment=("bug-recording.mp4", bytes(range(256)) * 12 * 1024),
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [raw])
    shown = run_cli(capsys, "show", setup.conversation_of("<video@costa-films.test>"))
    assert shown.code == 0, shown.err
    assert "  attachment: bug-recording.mp4 (3.0 MB)" in shown.out
