"""Small words that a new user reads first: counts, example times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from textual.widgets import Input

import supportinbox.cli.triage_cmds  # noqa: F401  (registers the commands)
from supportinbox.cli.app import cli
from supportinbox.domain.when import count_of, example_wake_up
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.modals import SnoozeModal
from tests.tui.support import SIZE, demo_app, pilot_test, queue, settle


def test_counts_agree_with_their_number() -> None:
    assert count_of(1, "message") == "1 message"
    assert count_of(2, "message") == "2 messages"
    assert count_of(1200, "reply", "replies") == "1,200 replies"


def test_the_example_wake_up_time_is_always_ahead() -> None:
    for day in range(1, 29):
        now = datetime(2027, 2, day, 23, 59, tzinfo=UTC)
        example = example_wake_up(now)
        assert example > now and example.weekday() == 0 and example.hour == 9


@pytest.mark.parametrize("command", ["snooze", "followup", "reply"])
def test_time_help_never_suggests_a_past_time(command: str) -> None:
    """A fixed example date ("2026-12-08") is in the past a day later: help names none."""
    result = CliRunner().invoke(cli, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "YYYY-MM-DD" in result.output
    for shown in re.findall(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?", result.output):
        assert datetime.fromisoformat(shown) > datetime.now(), shown


@pilot_test
async def test_one_message_is_not_called_messages() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        for _ in range(table.total):
            if table.current is not None and table.current.message_count == 1:
                break
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        head = str(app.screen.query_one("#conversation-head").render())
        assert "1 message" in head and "1 messages" not in head


@pilot_test
async def test_the_snooze_dialog_example_lies_ahead() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        now = datetime(2027, 6, 2, 15, 0, tzinfo=UTC)
        await app.push_screen(SnoozeModal(now))
        await settle(pilot)
        placeholder = app.screen.query_one(Input).placeholder
        example = placeholder.rsplit("or ", 1)[1]
        assert datetime.strptime(example, "%Y-%m-%d %H:%M").astimezone() > now
