"""Every `--json` prints exactly the keys docs/json.md documents: the contract scripts read.

One Dovecot mailbox holds something for each shape (an outage reported by three customers,
a Junk message, a sent reply, a failed one, a tag, a note, a follow-up, a merge and a
split); each command runs through the CLI and the keys of what it prints are compared with
the tables of docs/json.md, both ways: a key printed but not documented fails as much as a
documented key that is gone. Every command with `--json` must have its section.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest

from supportinbox.cli.app import COMMAND_MODULES, cli
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message, sso_outage
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

DOC = Path(__file__).resolve().parents[2] / "docs" / "json.md"


def documented() -> dict[str, set[str]]:
    """Heading of docs/json.md -> the keys of its table (headings without a table left out)."""
    shapes: dict[str, set[str]] = {}
    heading = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            heading = line.removeprefix("### ").strip()
        elif heading and (key := re.match(r"^\| `([a-z_]+)` \|", line)):
            shapes.setdefault(heading, set()).add(key[1])
    return shapes


def _json_commands() -> set[str]:
    """Every visible command (or group) that takes --json, as 'incident show'."""
    import importlib

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"supportinbox.cli.{module}")
    found: set[str] = set()

    def walk(command: click.Command, path: list[str]) -> None:
        if command.hidden:
            return
        if any("--json" in param.opts for param in command.params):
            found.add(" ".join(path))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    for name, command in cli.commands.items():
        walk(command, [name])
    return found


def test_every_json_command_has_its_section() -> None:
    headings = "\n".join(
        line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    missing = sorted(c for c in _json_commands() if f"`{c} --json`" not in headings)
    assert not missing, f"document the --json output of {missing} in docs/json.md"


@pytest.fixture
def printed(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Any]:
    now = datetime.now(UTC)
    earlier = now - timedelta(hours=2)
    mails = [
        *sso_outage(now),
        make_message(
            sender="Anna Lindqvist <anna@fjordtech.test>",
            subject="How do I export invoices as CSV?",
            message_id="<anna-1@fjordtech.test>",
            date=earlier,
        ),
        make_message(
            sender="Anna Lindqvist <anna@fjordtech.test>",
            subject="Re: How do I export invoices as CSV?",
            body="And can the export include the VAT number?",
            message_id="<anna-2@fjordtech.test>",
            in_reply_to="<anna-1@fjordtech.test>",
            date=earlier + timedelta(minutes=5),
        ),
        make_message(
            sender="Anna Lindqvist <anna@fjordtech.test>",
            subject="Dark mode?",
            message_id="<anna-3@fjordtech.test>",
            date=earlier + timedelta(minutes=10),
        ),
    ]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, mails)
    append(dovecot, [make_message(subject="You won a prize", message_id="<spam-1@bulk.test>")], folder="Junk")

    def cli_json(*args: str, code: int = 0) -> Any:
        result = run_cli(capsys, *args, "--json")
        assert result.code == code, result
        return json.loads(result.out)

    anna = setup.conversation_of("<anna-1@fjordtech.test>")
    other = setup.conversation_of("<anna-3@fjordtech.test>")
    for args in (
        ("sync",),
        ("reply", anna, "-t", "need-more-information", "--send", "--yes"),
        ("tag", anna, "+billing"),
        ("note", anna, "asked about VAT"),
        ("followup", anna, "--in", "3d", "--note", "check the export"),
    ):
        assert run_cli(capsys, *args).code == 0, args
    smtp_server.set_refusing(True)
    assert run_cli(capsys, "reply", other, "-t", "login-help", "--send", "--yes").code == 9
    smtp_server.set_refusing(False)
    assert run_cli(capsys, "sync").code == 0
    return cli_json


def _keys(value: Any) -> set[str]:
    assert isinstance(value, dict), value
    return set(value)


def test_each_json_prints_the_documented_keys(printed: Callable[..., Any]) -> None:
    doc = documented()
    conversation = doc["conversation"]
    checked: dict[str, set[str]] = {}

    listed = printed("list", "--status", "all")
    anna = next(c for c in listed if c["customer"] == "anna@fjordtech.test" and c["message_count"] == 3)
    checked["list"] = _keys(listed[0])
    checked["search"] = _keys(printed("search", "export")[0])
    for name in ("list", "search"):
        assert checked[name] == conversation, name

    overdue = printed("sla", "--check", "--warn", code=10)
    assert _keys(overdue[0]) == conversation | doc["`sla --check --json`"]
    shown = printed("show", anna["id"])
    assert _keys(shown) == conversation | doc["`show --json`"]
    assert all(_keys(m) == doc["message"] for m in shown["messages"]) and shown["messages"]
    assert [_keys(n) for n in shown["notes"]] == [doc["note"]]

    profile = printed("customer", anna["id"])
    assert _keys(profile) == doc["`customer --json`"]
    assert _keys(profile["conversations"][0]) == conversation | doc["customer conversation"]
    assert [_keys(n) for n in profile["notes"]] == [doc["customer note"]]

    assert _keys(printed("followups")[0]) == doc["`followups --json`"]
    assert [_keys(t) for t in printed("tags")] == [doc["`tags --json`"]]

    (incident,) = printed("incident", "list")
    assert _keys(incident) == doc["incident"]
    detail = printed("incident", "show", incident["id"])
    assert _keys(detail) == doc["incident"] | doc["`incident show --json`"]
    assert _keys(detail["conversations"][0]) == conversation | {"answered", "reply_in_outbox"}

    (junk,) = printed("junk", "list", "--all")
    assert _keys(junk) == doc["`junk list --json`, `spam-check --json`"]
    assert _keys(printed("junk", "rescue", str(junk["id"]))) == doc["`junk rescue --json`"]

    outbox = printed("outbox", "list", "--all")
    assert {row["status"] for row in outbox} == {"sent", "failed"}
    assert all(_keys(row) == doc["`outbox list --json`"] for row in outbox)

    assert all(_keys(a) == doc["`agents --json`"] for a in printed("agents"))
    assert _keys(printed("team", "status")) == doc["`team status --json`"]
    assert _keys(printed("sla")) == doc["`sla --json`"]

    report = printed("report", "--since", "7d")
    assert _keys(report) == doc["`report --json`"]
    assert _keys(report["totals"]) == doc["report row"]
    assert report["rows"] and all(_keys(row) == doc["report row"] for row in report["rows"])
    assert report["agents"] and all(_keys(row) == doc["report row"] for row in report["agents"])
    topics = printed("report", "topics", "--since", "7d")
    assert topics and all(_keys(t) == doc["`report topics --json`"] for t in topics)

    merged = printed("merge", anna["id"], next(c["id"] for c in listed if c["subject"] == "Dark mode?"))
    assert _keys(merged) == doc["`merge --json`, `split --json`"] - {"split_from"}
    split = printed("split", anna["id"], "--from", "3")
    assert _keys(split) == doc["`merge --json`, `split --json`"] - {"merged"}
