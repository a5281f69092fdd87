"""``supportinbox report`` and ``report topics`` on a cached mailbox: text, JSON, CSV, errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import supportinbox.cli.report_cmds  # noqa: F401  (registers the commands)
from supportinbox.cli.app import cli
from supportinbox.domain.when import when_words
from supportinbox.store.db import open_database
from tests.conftest import write_config
from tests.harness.cliproc import run_into_closed_pipe
from tests.harness.replies import run_cli
from tests.store.factories import add_message, mark_synced

CONFIG = """
[accounts.support]
email = "support@acme.test"
agent = "alice"
username = "support"
imap_host = "127.0.0.1"
"""
CSI = "\x1b[2J\x1b[31m"


@pytest.fixture
def mailbox(supportinbox_home: Path) -> Path:
    write_config(supportinbox_home, CONFIG)
    # Each question and its reply an hour later fall on one day, whatever the hour the test
    # runs at: in the first hours of a day, the day before, late in the evening.
    now = datetime.now(UTC).astimezone()
    if now.hour < 3:
        now = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(minutes=1)
    with open_database(account="support") as db:
        for day in range(3):
            mid = f"<q{day}@c.test>"
            add_message(
                db,
                message_id=mid,
                sender=f"c{day}@c.test",
                subject="Password reset link expired",
                body="The password reset link expired before I could use it.",
                when=now - timedelta(days=day, hours=2),
            )
            add_message(
                db,
                folder="Sent",
                message_id=f"<r{day}@acme.test>",
                in_reply_to=mid,
                sender="support@acme.test",
                subject="Re: Password reset link expired",
                when=now - timedelta(days=day, hours=1),
                raw_headers=f"X-Supportinbox-Agent: =@{CSI}mallory\r\n" if day == 0 else "",
            )
    return supportinbox_home


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_report_text_json_and_csv(mailbox: Path) -> None:
    code, text = run("report", "--since", "7d")
    assert code == 0
    assert "First reply" in text and "median 1h ·" in text
    assert "\x1b" not in text  # the agent name from a header is shown inert
    code, out = run("report", "--since", "7d", "--json")
    data = json.loads(out)
    assert (data["totals"]["messages_in"], data["totals"]["replies_out"]) == (3, 3)
    assert data["totals"]["first_response"]["median_seconds"] == 3600
    assert data["sla"]["first_reply"] == {"met": 0, "due": 3, "percent": 0.0}
    code, out = run("report", "--since", "7d", "--by", "agent", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["agent", "new_conversations", "messages_in"]
    keys = {r[0] for r in rows[1:]}
    assert "(other client)" in keys
    assert all(not k.startswith(("=", "+", "-", "@")) for k in keys)  # no spreadsheet formulas


def test_report_table_keeps_every_figure_whole_at_80_columns(
    mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, text = run("report", "--since", "7d")
    assert code == 0
    table = text[text.index("by day") : text.index("by agent")].splitlines()
    assert all(len(line) <= 80 for line in table), table
    assert not any("…" in line for line in table), table  # nothing cut: "1h 0…", "backl…"
    header = " ".join(table[1:3])
    assert all(word in header for word in ("closed", "1st", "reply", "resolved", "backlog")), table
    days = [line for line in table if line[:2] == "20"]
    assert len(days) == 3 and all(day.count("│       1h│     1h│") == 1 for day in days), table  # median, p90


def test_report_by_agent_leaves_out_columns_empty_in_every_row(
    mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent writes no customer mail and has no backlog: no blank "new", "in", "backlog"."""
    monkeypatch.setenv("COLUMNS", "200")
    code, text = run("report", "--since", "7d", "--by", "agent")
    assert code == 0
    table = text[text.index("by agent") :].split("\n\n")[0].splitlines()
    header = [h.strip() for h in table[1].split("┃")]
    assert header[:3] == ["agent", "out", "closed"] and "resolved in" in header, table
    assert not {"new", "in", "backlog"} & set(header), table
    code, text = run("report", "--since", "7d", "--by", "day")
    header = [h.strip() for h in text[text.index("by day") :].splitlines()[1].split("┃")]
    assert {"new", "in", "backlog"} <= set(header), header  # a day has all three
    code, out = run("report", "--since", "7d", "--by", "agent", "--csv")
    first = next(csv.reader(io.StringIO(out)))
    assert {"new_conversations", "messages_in", "backlog"} <= set(first)  # CSV keeps its columns
    data = json.loads(run("report", "--since", "7d", "--by", "agent", "--json")[1])
    assert all({"new_conversations", "messages_in", "backlog"} <= set(r) for r in data["rows"])


def test_report_topics(mailbox: Path) -> None:
    code, out = run("report", "topics", "--since", "7d", "--json")
    assert code == 0
    phrases = [t["phrase"] for t in json.loads(out)]
    assert phrases[0] in ("password reset", "reset link", "link expired")
    code, text = run("report", "topics", "--since", "7d")
    assert "customers" in text


def test_bad_options_are_one_line(mailbox: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--since", "soon"])
    assert result.exit_code != 0
    assert "--since" in str(result.exception or result.output)


def test_sla_check_exit_codes_for_cron(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, CONFIG + '\n[sla]\nfirst_reply = "1h"\n')
    now = datetime.now(UTC)
    with open_database(account="support") as db:
        add_message(
            db, message_id="<fresh@c>", sender="f@c.test", subject="Fresh", when=now - timedelta(minutes=5)
        )
        mark_synced(db)
    code, out = run("sla", "--check")
    assert (code, out.strip()) == (0, "Nobody waits past an SLA target.")
    with open_database(account="support") as db:
        add_message(
            db, message_id="<soon@c>", sender="s@c.test", subject="Soon", when=now - timedelta(minutes=50)
        )
    code, out = run("sla", "--check")
    assert code == 0
    code, out = run("sla", "--check", "--warn")
    assert code == 11
    assert "due soon" in out and "first reply due in" in out and "Soon" in out
    with open_database(account="support") as db:
        add_message(
            db, message_id="<late@c>", sender="l@c.test", subject="Late", when=now - timedelta(hours=3)
        )
    code, out = run("sla", "--check", "--warn")
    assert code == 10
    lines = out.splitlines()
    assert "breached" in lines[0] and "first reply overdue by 2h (target 1h)" in lines[0]
    assert "Late" in lines[0] and "Soon" in lines[1] and "Fresh" not in out
    assert all("held by nobody" in line for line in lines)
    code, out = run("sla", "--check", "--json")
    assert code == 10
    assert [r["subject"] for r in json.loads(out)] == ["Late"]
    code, out = run("sla", "--json")  # the targets, as JSON too
    assert code == 0
    shown = json.loads(out)
    assert shown["targets"] == {"first_reply": 3600.0, "next_reply": 86400.0, "resolution": None}
    assert (shown["business_hours"], shown["queue_lift_after"]) == (False, 86400.0)
    code, out = run("sla")
    assert code == 0 and "first reply 1h," in out
    # The queue lifts an unanswered conversation at the next-reply target (24 h), not at 1 h.
    assert "nobody has answered is lifted into the SLA band after 1d;" in out


def test_sla_check_says_what_it_cannot_see(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """From cron, a sync that never ran or stopped working must not read as a quiet queue."""
    write_config(supportinbox_home, CONFIG + '\n[sla]\nfirst_reply = "1h"\n[sla.vip]\nfirst_reply = "15m"\n')
    now = datetime.now(UTC)
    with open_database(account="support") as db:
        add_message(
            db, message_id="<a@c>", sender="a@c.test", subject="Fresh", when=now - timedelta(minutes=5)
        )
    never = run_cli(capsys, "sla", "--check", "--json")
    assert (never.code, never.out) == (1, ""), never
    assert "account 'support' was never synced: there is nothing to check yet" in never.err

    with open_database(account="support") as db:
        mark_synced(db, now - timedelta(minutes=10))
    fresh = run_cli(capsys, "sla", "--check")
    assert (fresh.code, fresh.err) == (0, ""), fresh

    with open_database(account="support") as db:
        mark_synced(db, now - timedelta(hours=2, minutes=5))
    stale = run_cli(capsys, "sla", "--check", "--json")
    assert stale.code == 0 and json.loads(stale.out) == []
    synced_at = when_words(now - timedelta(hours=2, minutes=5))  # as every moment is said
    assert stale.err.startswith(
        f"supportinbox: warning: the cache was last synced 2h 05m ago ({synced_at}): "
    ), stale
    assert "mail since then is not checked; is 'supportinbox sync' failing?" in stale.err

    write_config(supportinbox_home, CONFIG + '\n[sla]\nfirst_reply = "3h"\n')
    assert run_cli(capsys, "sla", "--check").err == ""  # younger than the shortest target: quiet


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_sla_check_exits_with_its_verdict_when_the_reader_leaves(
    supportinbox_home: Path, as_json: bool
) -> None:
    """``sla --check | head -1`` under cron: the pipe closing ends the output, not the verdict."""
    write_config(supportinbox_home, CONFIG + '\n[sla]\nfirst_reply = "1h"\n')
    now = datetime.now(UTC)
    with open_database(account="support") as db:
        for n in range(3):
            add_message(
                db,
                message_id=f"<late{n}@c>",
                sender=f"l{n}@c.test",
                subject="Late",
                when=now - timedelta(hours=3),
            )
        mark_synced(db)
    args = ("sla", "--check", *(["--json"] if as_json else []))
    run = run_into_closed_pipe(supportinbox_home, *args)
    assert (run.returncode, run.stderr) == (10, ""), run.describe()


def test_report_topics_in_arabic_keep_their_figures_in_place(
    supportinbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn by a terminal that orders bidi text, an Arabic topic's counts stay in their columns.

    Unisolated, the counts after an Arabic phrase joined its right-to-left stretch and swapped.
    """
    from tests.harness.bidi import assert_columns_read_right, column_starts

    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC)
    with open_database(account="support") as db:
        for day in range(4):
            add_message(
                db,
                message_id=f"<ar{day}@c.test>",
                sender=f"c{day}@c.test",
                subject="رابط إعادة تعيين كلمة المرور منتهي",  # "the password reset link expired"
                body="رابط إعادة تعيين كلمة المرور انتهت صلاحيته قبل أن أستخدمه.",
                when=now - timedelta(days=day, hours=2),
            )
    monkeypatch.setenv("COLUMNS", "100")
    code, text = run("report", "topics", "--since", "7d")
    assert code == 0, text
    lines = text.splitlines()
    header = next(line for line in lines if "customers" in line)
    rows = [line for line in lines[lines.index(header) + 2 :] if line.strip()]
    assert rows, text
    starts = column_starts(header, ["topic", "customers", "before"])
    starts[1:] = [start - 3 for start in starts[1:]]  # right-justified: the header ends its column
    for row in rows:
        assert_columns_read_right(row, starts)


def test_report_topics_count_customers_not_how_often_each_wrote(supportinbox_home: Path) -> None:
    """One customer asking three times about a stuck export is one question, not a trend.

    Counted by message, "export stuck" (one customer, three messages) led the topics above
    "password reset" (two customers).
    """
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC)
    with open_database(account="support") as db:
        for i, body in enumerate(["The CSV export stops at 99%.", "Any news? Still stuck.", "Stuck again."]):
            add_message(
                db,
                message_id=f"<mia{i}@c.test>",
                in_reply_to=f"<mia{i - 1}@c.test>" if i else None,
                sender="mia@c.test",
                name="Mia Lund",
                subject=("Re: " if i else "") + "Export stuck at 99%",
                body=body,
                when=now - timedelta(days=2 - i, hours=1),
            )
        for who in ("lea", "omar"):
            add_message(
                db,
                message_id=f"<{who}@c.test>",
                sender=f"{who}@c.test",
                subject="Password reset fails",
                body="Please help.",
                when=now - timedelta(days=1),
            )
        db.conn.commit()
    code, out = run("report", "topics", "--since", "7d", "--json")
    assert code == 0, out
    topics = json.loads(out)
    assert [(t["phrase"], t["customers_now"]) for t in topics] == [("password reset", 2)], topics


def test_report_topics_read_what_people_typed_into_the_contact_form(supportinbox_home: Path) -> None:
    """A form's subject, field labels and the sender's name are the website's, and a bounce
    asks nothing: topics are what the people asked.

    Read as plain mail, "contact form", "new message" and "lina haddad" were the topics that grew.
    """
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC)
    people = [
        ("Lina Haddad", "lina@customer.test"),
        ("Omar Farouk", "omar@example.test"),
        ("Yuki Sato", "yuki@t.test"),
    ]
    with open_database(account="support") as db:
        for day, (name, address) in enumerate(people):
            row = add_message(
                db,
                message_id=f"<form{day}@acme.test>",
                sender="noreply@acme.test",
                name="Acme Website",
                subject="New message from the contact form",
                body=f"Name: {name}\nEmail: {address}\n\nMessage:\nThe calendar sync stopped overnight.",
                when=now - timedelta(days=day, hours=2),
            )
            db.conn.execute("UPDATE messages SET reply_to = ? WHERE id = ?", (address, row))
            bounce = add_message(
                db,
                message_id=f"<bounce{day}@mx.test>",
                sender="mailer-daemon@mx.test",
                name="Mail Delivery System",
                subject="Undelivered Mail Returned to Sender",
                body="This is the mail system at host mx.test. Recipient address rejected: User unknown",
                when=now - timedelta(days=day, hours=1),
            )
            db.conn.execute("UPDATE messages SET automated = 'bounce' WHERE id = ?", (bounce,))
        db.conn.commit()
    code, out = run("report", "topics", "--since", "7d", "--json")
    assert code == 0, out
    phrases = [t["phrase"] for t in json.loads(out)]
    assert "calendar sync" in phrases, phrases
    boilerplate = {
        "contact form",
        "new message",
        "lina haddad",
        "message",
        "name",
        "undelivered",
        "recipient",
    }
    assert not boilerplate & {w for p in phrases for w in (p, *p.split())}, phrases
