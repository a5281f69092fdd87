"""The triage commands on a cached mailbox: JSON shape, and hostile mail rendered inert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import supportinbox.cli.triage_cmds  # noqa: F401  (registers the commands)
from supportinbox.cli.app import cli
from supportinbox.store.db import open_database
from tests.conftest import write_config
from tests.harness.bidi import assert_columns_read_right, column_starts, drawn, logical
from tests.harness.replies import run_cli
from tests.store.factories import add_message, add_raw

CONFIG = """
[accounts.support]
email = "support@acme.test"
agent = "alice"
username = "support"
imap_host = "127.0.0.1"
"""

OSC_LINK = "\x1b]8;;https://evil.test/\x07click me\x1b]8;;\x07"
OSC_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"
CSI = "\x1b[2J\x1b[31m"

HOSTILE_RAW = (
    b"From: =?utf-8?b?2YTZitmG2Kcg2K3Yr9in2K8=?= <lina@customer.test>\r\n"  # "لينا حداد"
    b"To: support@acme.test\r\n"
    b"Subject: =?utf-8?b?2LnYp9is2YQ6INmE2Kcg2YrYudmF2YQ=?=\r\n"  # "عاجل: لا يعمل"
    b"Message-ID: <ar@customer.test>\r\n"
    b"Date: Thu, 19 Nov 2026 10:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "سلام، پاسخ: کار نمی‌کند".encode() + b"\r\n"
)


@pytest.fixture
def mailbox(supportinbox_home: Path) -> Path:
    write_config(supportinbox_home, CONFIG)
    now = datetime.now(UTC)
    with open_database(account="support") as db:
        add_message(
            db,
            message_id="<h1@evil.test>",
            sender="mallory@evil.test",
            name=f"[bold red]Mallory[/] {OSC_CLIPBOARD}",
            subject=f"[link=https://evil.test]Refund[/link] {OSC_LINK} {CSI}now",
            body=f"body {CSI} with [blink]markup[/blink] and \u202eexe.pdf",
            when=now - timedelta(hours=2),
        )
        add_raw(db, HOSTILE_RAW)
        add_message(
            db,
            message_id="<p1@customer.test>",
            sender="paul@customer.test",
            name="Paul",
            subject="Plain question",
            when=now - timedelta(hours=1),
        )
    return supportinbox_home


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # Notes (e.g. "changed here only" without a server) go to stderr; the data is stdout.
    return result.stdout


def assert_inert(output: str) -> None:
    assert "\x1b" not in output
    assert "\x07" not in output
    assert "\u202e" not in output
    assert "\x9b" not in output and "\x9d" not in output


def test_list_on_a_pipe_is_plain_and_inert(mailbox: Path) -> None:
    output = run("list", "--limit", "10")
    assert_inert(output)
    # Markup from mail is printed as text, not interpreted.
    assert "[bold red]Mallory[/]" in output
    assert "[link=https://evil.test]Refund" in output
    assert "لينا حداد" in output
    assert "عاجل: لا يعمل" in output


def test_list_json_shape_and_order(mailbox: Path) -> None:
    rows = json.loads(run("list", "--json"))
    # Both urgent ones come before the plain question; Lina's week-old message keeps its
    # urgent band past the SLA and, having waited past it, goes ahead of the fresh one.
    assert [r["customer"] for r in rows] == ["lina@customer.test", "mallory@evil.test", "paul@customer.test"]
    # Paul is past the 30 min first-reply promise (said), far from the 24 h guard (not lifted).
    assert [r["band"] for r in rows] == [4, 4, 1]
    assert rows[2]["reasons"][0].startswith("first reply overdue by ")
    first = rows[0]
    for key in (
        "id",
        "subject",
        "customer",
        "customer_name",
        "status",
        "urgency",
        "reasons",
        "last_message_at",
        "waiting_since",
        "message_count",
        "assigned_to",
    ):
        assert key in first
    assert datetime.fromisoformat(first["last_message_at"]).tzinfo is not None
    assert first["subject"] == "عاجل: لا يعمل"
    assert first["reasons"][0].startswith("first reply overdue by ")
    assert first["reasons"][1:3] == ["'عاجل' in subject", "'لا يعمل' in subject"]
    assert rows[1]["reasons"] == ["first reply overdue by 1h 30m (target 30m)", "'refund' in subject"]


def test_show_is_inert_and_keeps_rtl_text(mailbox: Path) -> None:
    rows = {r["customer"]: r for r in json.loads(run("list", "--json"))}
    output = run("show", rows["mallory@evil.test"]["id"])
    assert_inert(output)
    assert "[blink]markup[/blink]" in output
    arabic = run("show", rows["lina@customer.test"]["id"])
    assert "کار نمی\u200cکند" in arabic  # the Persian zero-width non-joiner survives
    detail = json.loads(run("show", rows["mallory@evil.test"]["id"], "--json"))
    assert detail["messages"][0]["from"] == "mallory@evil.test"
    assert "\x1b" in detail["messages"][0]["body_text"]  # JSON keeps the data, escaped


def test_hostile_attachment_names_are_inert(mailbox: Path) -> None:
    with open_database(account="support") as db:
        db.conn.execute(
            "UPDATE messages SET attachments = ? WHERE message_id = '<h1@evil.test>'",
            (json.dumps([{"filename": f"invoice{OSC_CLIPBOARD}\u202egpj.exe", "size": 10, "part": "2"}]),),
        )
    rows = {r["customer"]: r for r in json.loads(run("list", "--json"))}
    output = run("show", rows["mallory@evil.test"]["id"])
    assert_inert(output)
    assert "attachment: invoicegpj.exe (10 B)" in output


def test_forced_colour_still_strips_mail_escapes(mailbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "220")
    output = run("list")
    for sequence in (OSC_LINK, OSC_CLIPBOARD, "\x1b]8;", "\x1b]52", "\x1b[2J", "\x07"):
        assert sequence not in output
    assert "[bold red]Mallory[/]" in output


def test_status_snooze_and_search_commands(mailbox: Path) -> None:
    rows = json.loads(run("list", "--json"))
    ident = rows[2]["id"]
    assert run("status", ident, "closed").strip() == f"{ident} is closed now"
    assert ident not in run("list")
    assert json.loads(run("list", "--status", "closed", "--json"))[0]["id"] == ident
    run("status", ident, "open")
    out = run("snooze", ident, "tomorrow", "9:30")
    # Said as a scheduled reply's time is, not "2026-12-08 09:30".
    assert out.strip() == f"{ident} is snoozed until tomorrow 09:30"
    assert [r["id"] for r in json.loads(run("list", "--status", "snoozed", "--json"))] == [ident]
    # The Why column says when it comes back, as the snooze said it.
    snoozed = [line for line in run("list", "--status", "snoozed").splitlines() if line.startswith(ident)]
    assert len(snoozed) == 1 and "snoozed until tomorrow 09:30" in snoozed[0], snoozed
    found = json.loads(run("search", "from:paul", "--json"))
    assert [r["id"] for r in found] == [ident]
    assert_inert(run("search", "refund"))


def test_a_search_filter_it_cannot_read_is_a_usage_error_as_list_says_it(
    mailbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad filter in a search is a wrong argument: exit 2 and one line saying what it takes,
    as 'list --status bogus' (click's own check) says it."""
    listed = run_cli(capsys, "list", "--status", "bogus")
    assert listed.code == 2 and "'open', 'pending', 'snoozed', 'closed', 'automated', 'all'" in listed.err
    for query, said in (
        (
            ["status:bogus"],
            "unknown status in 'status:bogus': use one of open, pending, snoozed, closed, automated, all",
        ),
        (["is:bogus"], "unknown filter 'is:bogus': use is:urgent or is:unread"),
        (["tag:a/b"], "'tag:a/b': a tag is one word of letters, digits, '-' or '_'"),
        (
            [""],
            "nothing to search for: give words, from:ADDRESS, status:STATUS, tag:TAG, owner:AGENT, "
            "is:urgent or is:unread",
        ),
    ):
        searched = run_cli(capsys, "search", *query)
        assert (searched.code, searched.err, searched.out) == (2, f"supportinbox: {said}\n", ""), query
    assert run_cli(capsys, "search", "status:all", "from:paul").code == 0


def test_snooze_and_follow_up_take_the_times_a_reply_can_be_scheduled_for(mailbox: Path) -> None:
    """'snooze ID --until tomorrow' works as 'reply --send-at' and the app's snooze field do;
    --at and --in are the follow-up command's (and --send-at's) words for the same."""
    ident = json.loads(run("list", "--json"))[0]["id"]
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).date()
    for args in (("--until", "tomorrow"), ("--at", "tomorrow 9:00"), ("--until", f"{tomorrow}")):
        out = run("snooze", ident, *args)
        until = json.loads(run("show", ident, "--json"))["snoozed_until"]
        wakes = datetime.fromisoformat(until).astimezone()
        assert (wakes.date(), wakes.hour, wakes.minute) == (tomorrow, 9, 0), (args, out)
    run("snooze", ident, "--in", "2h")
    assert json.loads(run("show", ident, "--json"))["status"] == "snoozed"
    for words in (("tomorrow", "9:00"), ("tomorrow",)):  # WHEN without an option, as a stranger types it
        run("snooze", ident, *words)
        wakes = datetime.fromisoformat(json.loads(run("show", ident, "--json"))["snoozed_until"]).astimezone()
        assert (wakes.date(), wakes.hour, wakes.minute) == (tomorrow, 9, 0), words
    run("snooze", ident, "3d")
    wakes = datetime.fromisoformat(json.loads(run("show", ident, "--json"))["snoozed_until"])
    assert wakes > datetime.now(UTC) + timedelta(days=2, hours=23)
    twice = CliRunner().invoke(cli, ["snooze", ident, "tomorrow", "--for", "3d"])
    assert twice.exit_code != 0 and "give the time once" in str(twice.exception)
    result = CliRunner().invoke(cli, ["snooze", ident, "--until", "tomorow"])
    assert result.exit_code != 0
    assert "is not a time ahead: try 09:00, tomorrow 9:30" in str(result.exception)
    run("followup", ident, "--at", "fri 14:00")
    due = datetime.fromisoformat(json.loads(run("show", ident, "--json"))["followup_at"]).astimezone()
    assert (due.strftime("%a"), due.hour, due.minute) == ("Fri", 14, 0)


def test_user_errors_are_one_line(mailbox: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "nosuchid"])
    assert result.exit_code != 0
    result = CliRunner().invoke(cli, ["snooze", "abcd", "--for", "soon"])
    assert result.exit_code != 0
    assert "30m, 4h, 3d, 2w" in str(result.exception)


def test_mine_and_unassigned(mailbox: Path) -> None:
    rows = json.loads(run("list", "--json"))
    with open_database(account="support") as db:
        db.conn.execute(
            "INSERT INTO conversation_state(conversation_id, assigned_to, updated_at, updated_by) "
            "VALUES (?, 'alice', ?, 'alice')",
            (rows[0]["id"], datetime.now(UTC).isoformat()),
        )
        from supportinbox.store.conversations import reapply_state

        reapply_state(db, [rows[0]["id"]])
    assert [r["id"] for r in json.loads(run("list", "--mine", "--json"))] == [rows[0]["id"]]
    assert rows[0]["id"] not in [r["id"] for r in json.loads(run("list", "--unassigned", "--json"))]


def test_an_empty_list_before_the_first_sync_says_to_sync(supportinbox_home: Path) -> None:
    """'No open conversations.' from a cache never synced reads as an empty mailbox."""
    write_config(supportinbox_home, CONFIG)
    assert run("list").strip() == (
        "No conversations yet: account 'support' was never synced; 'supportinbox sync' fetches its mail."
    )
    with open_database(account="support") as db, db.transaction() as conn:
        synced = datetime.now(UTC).isoformat()
        conn.execute("INSERT INTO folders(name, role, last_sync) VALUES ('INBOX', 'inbox', ?)", (synced,))
    assert run("list").strip() == "No open conversations."
    assert run("list", "--status", "closed").strip() == "No closed conversations."


def test_show_gives_a_long_name_whole_where_the_list_cuts_it(mailbox: Path) -> None:
    """The detail view cut a customer's name at 30 characters, as the queue's column does."""
    long_name = "Maximiliane Ottilie von Habsburg-Lothringen"
    malformed = "ceo@big.test)<eve@evil.test> on behalf of the board of directors"
    with open_database(account="support") as db:
        add_message(
            db,
            message_id="<long@customer.test>",
            sender="max@habsburg.test",
            name=long_name,
            subject="Invoice question",
            when=datetime.now(UTC) - timedelta(minutes=5),
        )
        add_raw(
            db,
            b"From: " + malformed.encode() + b"\r\nTo: support@acme.test\r\nSubject: Board\r\n"
            b"Message-ID: <board@evil.test>\r\nDate: Thu, 19 Nov 2026 11:00:00 +0000\r\n\r\nHi\r\n",
        )
    rows = {r["subject"]: r for r in json.loads(run("list", "--json"))}
    shown = run("show", rows["Invoice question"]["id"])
    assert f"customer: {long_name} <max@habsburg.test>" in shown, shown
    assert f"  {long_name} <max@habsburg.test>  [INBOX]" in shown, shown  # the message's head too
    board = run("show", rows["Board"]["id"])
    assert "on behalf of the board of directors" in board.split("\n", 3)[2], board
    listed = run("list", "--wide")
    assert long_name not in listed and long_name[:29] + "…" in listed  # the table still cuts


def test_a_subject_of_only_invisible_characters_reads_as_none(mailbox: Path) -> None:
    invisible = "\u200b\u200c\u200d\ufeff\u2060\u3164"
    with open_database(account="support") as db:
        add_message(
            db,
            message_id="<zw@evil.test>",
            sender="zw@evil.test",
            name=invisible,
            subject=invisible,
            when=datetime.now(UTC) - timedelta(minutes=30),
        )
    rows = {r["customer"]: r for r in json.loads(run("list", "--json"))}
    ident = rows["zw@evil.test"]["id"]
    line = next(line for line in run("list").splitlines() if line.startswith(ident))
    assert "(no subject)" in line
    assert not set(line) & set(invisible)
    shown = run("show", ident)
    assert shown.splitlines()[0] == "(no subject)"
    assert "customer: zw@evil.test" in shown


# "I cannot log in to Acme Pro (error 403)"
PERSIAN_SUBJECT = "نمی\u200cتوانم وارد حساب Acme Pro شوم (خطای 403)"
# "Since yesterday I cannot log in to Acme Pro and get error ۴۰۳", Persian digits included.
PERSIAN_LINE = "من از دیروز نمی\u200cتوانم وارد Acme Pro شوم و خطای ۴۰۳ می\u200cگیرم."


@pytest.mark.parametrize("columns", [None, "110", "80"])
def test_list_keeps_right_to_left_fields_in_their_columns(
    mailbox: Path, monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    """On a terminal that orders bidi text, each field stays in its column and reads right.

    Unisolated, the Persian name and subject ran together into one right-to-left stretch:
    the subject was drawn in the Customer column and the name after it.
    """
    with open_database(account="support") as db:
        add_message(
            db,
            message_id="<fa@customer.test>",
            sender="zahra@customer.test",
            name="زهرا محمدی",
            subject=PERSIAN_SUBJECT,
            when=datetime.now(UTC) - timedelta(minutes=20),
        )
    if columns is not None:  # a terminal's width: cells cut with "…" to fit
        monkeypatch.setenv("COLUMNS", columns)
    lines = run("list").splitlines()
    header = lines[0]
    starts = column_starts(
        header, [name for name in ("ID", "Status", "Customer", "Subject", "Why") if name in header]
    )
    rows = [line for line in lines[2:] if "زهرا" in line or "لينا" in line]
    assert len(rows) == 2
    for row in rows:
        assert_columns_read_right(row, starts)
    if columns is None:
        persian = next(row for row in rows if "زهرا" in row)
        assert f"\u2068{PERSIAN_SUBJECT}\u2069" in persian


def test_show_reads_each_right_to_left_line_in_its_own_direction(mailbox: Path) -> None:
    with open_database(account="support") as db:
        add_message(
            db,
            message_id="<fa2@customer.test>",
            sender="zahra@customer.test",
            name="زهرا محمدی",
            subject=PERSIAN_SUBJECT,
            body=f"سلام،\n{PERSIAN_LINE}\nVersion 2.4.1",
            when=datetime.now(UTC) - timedelta(minutes=20),
        )
    rows = {r["customer"]: r for r in json.loads(run("list", "--json"))}
    lines = run("show", rows["zahra@customer.test"]["id"]).splitlines()
    for text in (PERSIAN_SUBJECT, PERSIAN_LINE, "Version 2.4.1"):
        line = next(line for line in lines if text in logical(line))
        # Alone on its line, drawn as it reads alone: "Acme Pro" in the middle of the
        # sentence, not at the far end of its first half.
        assert drawn(line).strip() == drawn(text, base_dir=None), drawn(line)


def test_a_subject_copied_from_the_list_finds_its_conversation(mailbox: Path) -> None:
    """Copied from a terminal, an Arabic subject brings the isolates our output put around it."""
    row = next(line for line in run("list").splitlines() if "لينا" in line)
    copied = row[row.index("\u2068عاجل") : row.index("\u2069", row.index("\u2068عاجل")) + 1]
    assert copied == "\u2068عاجل: لا يعمل\u2069"
    found = json.loads(run("search", "--json", copied))
    assert [r["customer"] for r in found] == ["lina@customer.test"]
