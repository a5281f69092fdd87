"""Incidents as entities: kept across refreshes, joined by new reports, closed, and answered as one."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len

from supportinbox.config import load_config
from supportinbox.domain import sla
from supportinbox.store import conversations as cv
from supportinbox.store import incidents as incident_store
from supportinbox.store.db import Database, open_database
from tests.conftest import write_config
from tests.harness.bidi import assert_columns_read_right, column_starts, drawn, logical
from tests.harness.mail import SSO_REPORTS
from tests.harness.replies import TerminalInput, run_cli
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG
from tests.store.factories import add_message, add_raw


@pytest.fixture
def mailbox(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Database, datetime]]:
    """Three customers reporting one SSO outage within an hour, templates installed."""
    write_config(supportinbox_home, CONFIG)
    assert run_cli(capsys, "templates", "install").code == 0
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_database(account=load_config().account()[0])
    for i, (name, address, subject, body) in enumerate(SSO_REPORTS):
        add_message(
            db,
            message_id=f"<r{i}@c.test>",
            sender=address,
            name=name,
            subject=subject,
            body=body,
            when=now - timedelta(hours=2 - i * 0.5),
        )
    yield db, now
    db.close()


def _refresh(db: Database, now: datetime) -> None:
    config = load_config()
    cv.refresh_conversations(db, config, config.account()[1], now=now)


def test_an_incident_keeps_its_id_and_new_reports_join_it(mailbox: tuple[Database, datetime]) -> None:
    db, now = mailbox
    _refresh(db, now)
    (incident,) = incident_store.list_incidents(db)
    assert (incident.members, incident.customers, incident.status) == (3, 3, "active")
    add_message(
        db,
        message_id="<r9@c.test>",
        sender="omar@zenbyte.test",
        subject="Can't sign in",
        body="Hello,\n\nSSO login is not working for our whole team.",
        when=now + timedelta(minutes=30),
    )
    _refresh(db, now + timedelta(hours=1))
    (later,) = incident_store.list_incidents(db)
    assert later.id == incident.id and later.title == incident.title
    assert later.members == 4


def test_a_quiet_incident_ends_and_its_members_keep_their_own_place(
    mailbox: tuple[Database, datetime],
) -> None:
    db, now = mailbox
    _refresh(db, now)
    _refresh(db, now + timedelta(hours=30))
    assert incident_store.list_incidents(db) == []
    (quiet,) = incident_store.list_incidents(db, include_all=True)
    assert quiet.status == "quiet" and quiet.members == 3
    rows = cv.list_queue(db, now=now + timedelta(hours=30))
    assert all(r.band != sla.BAND_INCIDENT and r.incident_id is None for r in rows)


def test_incident_commands(
    mailbox: tuple[Database, datetime], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = mailbox
    listed = run_cli(capsys, "incident", "list", "--json")
    assert listed.code == 0, listed.err
    (incident,) = json.loads(listed.out)
    assert incident["reason"].startswith("incident: 3 customers report 'sso login'")
    assert (incident["status"], incident["members"], incident["open"], incident["waiting"]) == (
        "active",
        3,
        3,
        3,
    )

    shown = json.loads(run_cli(capsys, "incident", "show", incident["id"][:5], "--json").out)
    assert [c["subject"] for c in shown["conversations"]] == [r[2] for r in SSO_REPORTS]

    # One template, one draft per customer: their own name, their own thread.
    drafts = run_cli(capsys, "incident", "reply", incident["id"], "-t", "acknowledge-investigating")
    assert drafts.code == 0, drafts.err
    for i, (name, address, subject, _) in enumerate(SSO_REPORTS):
        assert f"To: {name} <{address}>" in drafts.out
        assert f"In-Reply-To: <r{i}@c.test>" in drafts.out
        assert f"Subject: Re: {subject}" in drafts.out
        assert f"Hi {name.split()[0]}," in drafts.out

    # "No" to sending them is a cancelled command (130), and nothing is queued.
    monkeypatch.setattr(sys, "stdin", TerminalInput("n\n"))
    declined = run_cli(
        capsys, "incident", "reply", incident["id"], "-t", "acknowledge-investigating", "--send"
    )
    assert declined.code == 130 and "Send these 3 replies?" in declined.out, declined.err
    assert declined.err == "supportinbox: not sent\n"
    assert db.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0

    closed = run_cli(capsys, "incident", "close", incident["id"])
    assert closed.code == 0, closed.err
    assert run_cli(capsys, "incident", "list").out.strip() == "No active incidents."
    assert "closed" in run_cli(capsys, "incident", "list", "--all").out
    rows = cv.list_queue(db)
    assert all(r.incident_id is None for r in rows)
    again = run_cli(capsys, "incident", "close", incident["id"])
    assert again.code != 0 and "already closed" in again.err


def test_unknown_incident_is_one_line(
    mailbox: tuple[Database, datetime], capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "incident", "show", "izzzzz")
    assert result.code == 8
    assert result.err.strip().count("\n") == 0 and "no incident" in result.err


def _form(name: str, address: str, message: str, when: datetime, subject: str) -> bytes:
    """A website's contact form: sent as noreply@ with the person in Reply-To and the body."""
    return (
        f"From: Acme Website <noreply@acme.test>\r\nTo: support@acme.test\r\n"
        f"Reply-To: {address}\r\nSubject: {subject}\r\n"
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <form-{address}>\r\n\r\n"
        f"Name: {name}\r\nEmail: {address}\r\n\r\nMessage:\r\n{message}\r\n"
    ).encode()


def test_the_websites_subject_of_a_contact_form_is_no_shared_problem(
    supportinbox_home: Path,
) -> None:
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_database(account=load_config().account()[0])
    problems = [
        ("Lina Haddad", "lina@c.test", "I cannot log in since this morning, the page says error."),
        ("Omar Farouk", "omar@c.test", "The invoice download is not working for me."),
        ("Sofia Rossi", "sofia@c.test", "Exporting my project fails with an error."),
    ]
    for i, (name, address, message) in enumerate(problems):
        subject = "New message from the contact form"
        add_raw(db, _form(name, address, message, now - timedelta(minutes=50 - 20 * i), subject))
    _refresh(db, now)
    # Three people using the form for three problems: not "3 customers report 'contact form'".
    assert incident_store.list_incidents(db) == []
    # Three people reporting one problem through it are an incident named by their words.
    for i, (name, address) in enumerate([("Aiko Sato", "aiko@c.test"), ("Tom Beck", "tom@c.test")]):
        message = "The PDF export is not working since this morning."
        add_raw(
            db, _form(name, address, message, now - timedelta(minutes=10 - 5 * i), f"Contact form: {name}")
        )
    add_raw(
        db,
        _form("Lina Haddad", "lina2@c.test", "PDF export not working, please help.", now, "Contact form"),
    )
    _refresh(db, now + timedelta(minutes=1))
    (incident,) = incident_store.list_incidents(db)
    assert (
        incident.customers == 3 and "pdf" in incident.title.lower() and "form" not in incident.title.lower()
    )
    db.close()


def test_incident_members_line_up_whatever_the_script_of_their_names(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Padded by characters, "佐藤 花子" (9 cells in 5 characters) and "مُحَمَّد" (vowel marks,
    # no cells) put the subject beside them out of line.
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_database(account=load_config().account()[0])
    names = ("佐藤 花子", "مُحَمَّد الحَسَن", "Ann Lee", "Bartholomew Featherstonehaugh-Smythe")
    for i, (name, (_, address, subject, body)) in enumerate(
        zip(names, [*SSO_REPORTS, SSO_REPORTS[0]], strict=True)
    ):
        add_message(
            db,
            message_id=f"<w{i}@c.test>",
            sender=address.replace("@", f"{i}@"),
            name=name,
            subject=subject,
            body=body,
            when=now - timedelta(hours=2 - i * 0.5),
        )
    _refresh(db, now)
    db.close()
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    lines = run_cli(capsys, "incident", "show", incident["id"]).out.splitlines()[1:]
    assert len(lines) == 4
    subjects = [r[2] for r in SSO_REPORTS]
    starts = {cell_len(line[: min(line.find(s) for s in subjects if s in line)]) for line in lines}
    assert len(starts) == 1, lines
    assert any("Bartholomew Featherston…" in line for line in lines)


# Three customers who cannot log in, in Arabic ("I cannot log in", "login problem", ...).
ARABIC_REPORTS = (
    ("سمير حداد", "samir@c.test", "تسجيل الدخول لا يعمل منذ الصباح"),
    ("ليلى منصور", "layla@c.test", "تسجيل الدخول لا يعمل في الحساب"),
    ("عمر خليل", "omar@c.test", "تسجيل الدخول لا يعمل عبر SSO"),
)


def test_right_to_left_lines_read_right_in_incident_sla_and_customer_output(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Drawn by a terminal that orders bidi text, each name and subject keeps its place.

    Unisolated, an Arabic name padded beside an Arabic subject ran into one right-to-left
    stretch: the subject was drawn where the name belongs.
    """
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_database(account=load_config().account()[0])
    for i, (name, address, subject) in enumerate(ARABIC_REPORTS):
        add_message(
            db,
            message_id=f"<ar{i}@c.test>",
            sender=address,
            name=name,
            subject=subject,
            body=subject,
            when=now - timedelta(hours=2 - i * 0.5),
        )
    _refresh(db, now)
    db.close()
    (incident,) = json.loads(run_cli(capsys, "incident", "list", "--json").out)
    lines = run_cli(capsys, "incident", "show", incident["id"]).out.splitlines()[1:]
    assert len(lines) == 3
    for line in lines:
        plain = logical(line)
        name, _, subject = next(r for r in ARABIC_REPORTS if r[2] in plain)
        starts = [0, cell_len(plain[: plain.index(name)]), cell_len(plain[: plain.index(subject)])]
        assert_columns_read_right(line, starts)
    for line in run_cli(capsys, "sla", "--check").out.splitlines():
        name, _, subject = next(r for r in ARABIC_REPORTS if r[0] in logical(line))
        assert drawn(line).endswith(f"{drawn(name, base_dir=None)}: {drawn(subject, base_dir=None)}"), drawn(
            line
        )
    shown = run_cli(capsys, "customer", "omar@c.test").out.splitlines()
    line = next(line for line in shown if ARABIC_REPORTS[2][2] in logical(line))
    assert drawn(line).endswith(drawn(ARABIC_REPORTS[2][2], base_dir=None)), drawn(line)
    ident = next(
        r["id"] for r in json.loads(run_cli(capsys, "list", "--json").out) if r["customer"] == "omar@c.test"
    )
    assert run_cli(capsys, "followup", ident, "--in", "2d", "--note", "SSO").code == 0
    header, *rows = run_cli(capsys, "followups").out.splitlines()
    starts = column_starts(header, ["ID", "Due", "Status", "Customer", "Subject", "Reason"])
    (row,) = rows
    assert_columns_read_right(row, starts)


def test_a_team_names_its_features_and_their_other_names_join(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "POs", "purchase orders" and "Bestellungen" are one feature only the team knows of;
    # the config says so, and the next refresh groups them under the team's name for it.
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_database(account=load_config().account()[0])
    reports = [
        (
            "lena@kestrel.test",
            "Urgent: POs keep failing",
            "POs are failing for our whole team since this morning.",
        ),
        (
            "omar@zenbyte.test",
            "Purchase orders give a blank page",
            "Opening purchase orders gives a blank page.",
        ),
        ("jonas@gmx.test", "Bestellungen gehen nicht", "Die Bestellungen funktionieren nicht, Fehler 500."),
    ]
    for i, (address, subject, body) in enumerate(reports):
        add_message(
            db,
            message_id=f"<po{i}@c.test>",
            sender=address,
            subject=subject,
            body=body,
            when=now - timedelta(hours=2 - i * 0.5),
        )
    _refresh(db, now)
    assert incident_store.list_incidents(db) == []
    write_config(
        supportinbox_home,
        CONFIG + '\n[triage.features]\n"purchase orders" = ["POs", "Bestellungen", "bons de commande"]\n',
    )
    _refresh(db, now)
    (incident,) = incident_store.list_incidents(db)
    assert (incident.members, incident.customers) == (3, 3)
    assert incident.title == "purchase orders"
    db.close()
    result = run_cli(capsys, "incident", "list", "--json")
    assert result.code == 0
    assert [i["title"] for i in json.loads(result.out)] == ["purchase orders"]


def test_incident_reply_says_why_a_member_gets_the_base_template(
    mailbox: tuple[Database, datetime], capsys: pytest.CaptureFixture[str]
) -> None:
    """As reply does: a member whose language is unclear is named with the variants there are,
    an English one is not; before, the headline said nothing."""
    db, now = mailbox
    add_message(
        db,
        message_id="<short@c.test>",
        sender="lucia@d.test",
        name="Lucia Perez",
        subject="¿El login SSO no funciona?",
        body="El login SSO no funciona, sale un error.",
        when=now - timedelta(minutes=10),
    )
    _refresh(db, now)
    (incident,) = incident_store.list_incidents(db)
    short = db.conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = '<short@c.test>'"
    ).fetchone()[0]
    drafts = run_cli(capsys, "incident", "reply", incident.id, "-t", "acknowledge-investigating")
    assert drafts.code == 0, drafts.err
    heads = [line for line in drafts.out.splitlines() if line.startswith("── ")]
    assert (
        f"── {short} (acknowledge-investigating: the customer's language is not clear; variants: ar, de)"
        in heads
    )
    assert len(heads) == 4 and sum(line.endswith(")") for line in heads) == 1, (
        heads
    )  # the English ones: plain
