"""What teammates did, said on one line each by 'supportinbox sync', reads right in any script.

An Arabic customer's name beside an Arabic subject, and a note in Arabic, are fields of a
line written in English: a terminal that orders bidi text (VTE, Konsole, mlterm) drew the
subject where the name belongs and took the words after the note into its run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.bidi import assert_fields_read_right
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.team import make_team

pytestmark = [pytest.mark.server]

MID = "<invoice-ar@customer.test>"
NAME = "أحمد خليل"
SUBJECT = "مشكلة في الفاتورة 4521."
NOTE = "تم الإصلاح في الإصدار 2.4."


def test_a_note_on_an_arabic_conversation_keeps_every_field_in_its_place(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [make_message(sender=f"{NAME} <ahmed@customer.test>", subject=SUBJECT, message_id=MID)])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    assert alice.cli(capsys, "note", cid, NOTE).code == 0

    synced = bob.cli(capsys, "sync")
    assert synced.code == 0, synced.err
    (line,) = [line for line in synced.out.splitlines() if line.startswith("team: ")]
    i, o = "\u2068", "\u2069"
    assert line == f"team: {cid} ({i}{NAME}{o}: {i}{SUBJECT}{o}): alice added a note: {i}{NOTE}{o}"
    assert_fields_read_right(line, [NAME, SUBJECT, NOTE])

    history = bob.cli(capsys, "team", "status")
    (said,) = [line for line in history.out.splitlines() if "added a note" in line]
    assert_fields_read_right(said, [NAME, SUBJECT, NOTE])
    # The JSON gives the text as written, without the marks a terminal needs.
    (event,) = json.loads(bob.cli(capsys, "team", "status", "--json").out)["events"]
    assert event["text"] == f"{cid} ({NAME}: {SUBJECT}): alice added a note: {NOTE}"


def test_a_teammate_named_in_arabic_is_a_field_of_the_line(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """'علی holds it now' beside an Arabic subject: the name is isolated, or the subject and the
    name read as one right-to-left run."""
    append(dovecot, [make_message(sender=f"{NAME} <ahmed@customer.test>", subject=SUBJECT, message_id=MID)])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    assert alice.cli(capsys, "assign", cid, "علی").code == 0

    synced = bob.cli(capsys, "sync")
    (line,) = [line for line in synced.out.splitlines() if "holds it now" in line]
    assert_fields_read_right(line, [NAME, SUBJECT, "علی"])
