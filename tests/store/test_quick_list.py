"""``list --json`` answered before click loads: the same JSON as the command, or no answer.

The quick path (supportinbox/cli/quick.py) reads an up-to-date queue with what the full
command recorded after loading the config. Every case where it is not plainly the same
answer must decline, so the command runs and says it (or refreshes, or errors) itself.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import supportinbox.cli.triage_cmds  # noqa: F401  (registers the commands)
from supportinbox import paths
from supportinbox.cli import quick
from supportinbox.cli.app import cli
from supportinbox.config import load_config
from supportinbox.domain.tags import TagChange
from supportinbox.store import conversations as store
from supportinbox.store import triage_fresh
from supportinbox.store.db import SCHEMA_VERSION, open_current, open_database
from supportinbox.store.tags import change_tags
from tests.conftest import write_config
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG, add_message

CUSTOMERS = ("lina", "omar", "paul", "sara", "taro")
HOSTILE = "[bold red]Mallory[/] \x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2J \u202eexe.pdf \x9b"


@pytest.fixture
def mailbox(supportinbox_home: Path) -> Path:
    """Five conversations hours old (well past their SLA warnings, so no clock step is near):
    one pending, one tagged, one assigned to alice, one to bob."""
    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    config = load_config()
    name, account = config.account()
    now = datetime.now(UTC)
    with open_database(account=name) as db:
        for hours, who in enumerate(CUSTOMERS, start=2):
            add_message(
                db,
                message_id=f"<{who}@customer.test>",
                sender=f"{who}@customer.test",
                name=who.title() if who != "taro" else HOSTILE,
                subject=f"Question from {who}: export fails" + (HOSTILE if who == "taro" else ""),
                when=now - timedelta(hours=hours),
            )
        store.refresh_conversations(db, config, account)
        ids = {row.customer_email.split("@")[0]: row.id for row in store.list_queue(db, limit=10)}
        store.set_status(db, ids["omar"], "pending", agent="alice")
        change_tags(db, ids["paul"], TagChange(add=("billing",)), agent="alice")
        with db.transaction() as tx:
            for who, agent in (("sara", "alice"), ("taro", "bob")):
                tx.execute(
                    "INSERT INTO conversation_state(conversation_id, assigned_to, updated_at) "
                    "VALUES (?, ?, ?) ON CONFLICT(conversation_id) "
                    "DO UPDATE SET assigned_to = excluded.assigned_to",
                    (ids[who], agent, now.isoformat(timespec="seconds")),
                )
    return supportinbox_home


def command(*args: str) -> str:
    """What the full command prints (and it records what the quick path needs)."""
    result = CliRunner().invoke(cli, ["list", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--json"],
        ["--json", "--status", "all"],
        ["--status=pending", "--json"],
        ["--json", "--limit", "2"],
        ["--json", "--mine"],
        ["--unassigned", "--json"],
        ["--json", "--tag", "Billing"],
        ["--json", "--tag", "nothing-tagged-so"],
    ],
)
def test_the_quick_answer_is_what_the_command_prints(mailbox: Path, args: list[str]) -> None:
    printed = command(*args)
    answered = quick.answer(args)
    assert answered is not None, "an up-to-date queue is read without the command"
    assert answered + "\n" == printed
    assert json.loads(answered) == json.loads(printed)
    assert not {"\x1b", "\x07", "\x9b", "\u202e"} & set(answered)


def test_the_answer_follows_the_cache_each_time(mailbox: Path) -> None:
    first = json.loads(command("--json"))
    assert sorted(row["customer"].split("@")[0] for row in first) == ["lina", "paul", "sara", "taro"]
    assert {row["assigned_to"] for row in first} == {None, "alice", "bob"}
    assert quick.answer(["--json", "--mine"]) is not None
    mine = json.loads(quick.answer(["--json", "--mine"]) or "")
    assert [row["assigned_to"] for row in mine] == ["alice"]
    # A new message makes the queue stale: the command refreshes it, then the quick path
    # answers again, with the new conversation in it.
    with open_database(account="support") as db:
        add_message(db, message_id="<new@customer.test>", sender="nadia@customer.test", subject="Urgent!")
    assert quick.answer(["--json"]) is None
    refreshed = command("--json")
    assert "nadia@customer.test" in refreshed
    assert quick.answer(["--json"]) == refreshed.removesuffix("\n")


@pytest.mark.parametrize(
    "args",
    [
        [],  # the table: Rich, not JSON
        ["--json", "--wide"],
        ["--json", "--account", "support"],
        ["--json", "-h"],
        ["--json", "--status", "bogus"],
        ["--json", "--limit", "0"],
        ["--json", "--limit", "two"],
        ["--json", "--limit", "٣"],  # a digit to isdigit(), not to click
        ["--json", "--limit"],
        ["--json", "--tag", "two words"],
        ["--json", "--mine", "--unassigned"],
        ["--json", "--status", "open", "--status", "all"],
        ["--json", "--json=yes"],
        ["--json", "--"],
    ],
)
def test_anything_but_plain_list_options_goes_to_the_command(mailbox: Path, args: list[str]) -> None:
    command("--json")
    assert quick.answer(["--json"]) is not None
    assert quick.answer(args) is None


def test_no_answer_before_the_command_ran_once(mailbox: Path) -> None:
    assert not paths.quick_list_file().exists()
    assert quick.answer(["--json"]) is None


def test_an_edited_config_is_read_by_the_command_again(mailbox: Path) -> None:
    command("--json")
    config_file = paths.config_file()
    config_file.write_text(config_file.read_text() + "# edited\n")
    assert quick.answer(["--json"]) is None
    command("--json")
    assert quick.answer(["--json"]) is not None


def test_another_config_file_or_cache_goes_to_the_command(
    mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command("--json")
    monkeypatch.setenv("SUPPORTINBOX_CONFIG", str(paths.config_file()))
    assert quick.answer(["--json"]) is None
    monkeypatch.delenv("SUPPORTINBOX_CONFIG")
    paths.database_file("support").unlink()
    assert quick.answer(["--json"]) is None


def test_new_scoring_rules_or_schema_go_to_the_command(
    mailbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command("--json")
    rules = triage_fresh.SCORING_VERSION
    monkeypatch.setattr(triage_fresh, "SCORING_VERSION", rules + "|newer")
    assert quick.answer(["--json"]) is None
    monkeypatch.setattr(triage_fresh, "SCORING_VERSION", rules)
    assert quick.answer(["--json"]) is not None
    record = json.loads(paths.quick_list_file().read_text())
    paths.quick_list_file().write_text(json.dumps({**record, "schema": record["schema"] - 1}))
    assert quick.answer(["--json"]) is None


def test_a_clock_step_due_is_left_to_the_command(mailbox: Path) -> None:
    """Waking a snoozed conversation writes: the quick path never does."""
    command("--json")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    with open_database(account="support") as db:
        # As a snooze that ran out since the last read (the clock, not an input, changed).
        db.conn.execute(
            "UPDATE conversations SET status = 'snoozed', snoozed_until = ? "
            "WHERE customer_email LIKE 'lina@%'",
            (past,),
        )
        assert triage_fresh.clock_due(db)
    assert quick.answer(["--json"]) is None
    woken = json.loads(command("--json"))
    assert "lina@customer.test" in [row["customer"] for row in woken]
    assert quick.answer(["--json"]) is not None


def test_a_config_changed_while_the_command_ran_is_not_recorded(mailbox: Path) -> None:
    config = load_config()
    name, account = config.account()
    paths.config_file().write_text(OFFLINE_ACCOUNT_CONFIG.replace('agent = "alice"', 'agent = "bob"'))
    quick.remember(config, name, account)
    assert not paths.quick_list_file().exists()


def test_the_record_is_private_and_holds_no_secret(mailbox: Path) -> None:
    command("--json")
    record = paths.quick_list_file()
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert set(json.loads(record.read_text())) == {
        "program",
        "scoring",
        "schema",
        "config",
        "digest",
        "account",
        "agent",
        "fingerprint",
    }


def test_the_quick_answers_read_only_a_cache_of_this_schema(tmp_path: Path) -> None:
    """No cache yet, or one a migration is due for: the full command's to do (it says why)."""
    path = tmp_path / "cache.sqlite3"
    assert open_current(path) is None and not path.exists()  # nothing created either
    open_database(path).close()
    db = open_current(path)
    assert db is not None
    db.close()
    older = sqlite3.connect(path)
    older.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    older.close()
    assert open_current(path) is None
