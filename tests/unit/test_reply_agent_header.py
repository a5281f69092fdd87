"""Replies name their writer in X-Supportinbox-Agent, 7-bit clean for any agent name."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, Config
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.replies import Original, build_reply, to_bytes
from supportinbox.domain.templates import Template
from supportinbox.mail.drafts import Draft, draft_message
from supportinbox.mail.parse import decode_header_value

ORIGINAL = Original("Ann", "ann@customer.test", "Refund", message_id="<r1@customer.test>")


def _account(agent: str) -> AccountConfig:
    return AccountConfig(
        email="support@acme.test",
        display_name="Acme Support",
        agent=agent,
        username="support",
        imap_host="imap.acme.test",
    )


@pytest.mark.parametrize("agent", ["alice", "j.doe-2", "Zoë", "علی"])
def test_agent_header_travels_and_reads_back(agent: str) -> None:
    raw = to_bytes(build_reply(ORIGINAL, _account(agent), "Hello\n"))
    assert raw.isascii()
    parsed = message_from_bytes(raw, policy=policy.compat32)
    assert decode_header_value(parsed[AGENT_HEADER]) == agent
    if agent.isascii():
        assert f"{AGENT_HEADER}: {agent}\r\n".encode() in raw


def test_draft_message_is_dated_by_the_given_clock() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    template = Template("thanks", Path("thanks.txt"), "Hi")
    draft = Draft("c1", ORIGINAL, 1, "INBOX", template, "Hi\n", reply_all=False)
    msg = draft_message(draft, Config(), _account("alice"), now=moment)
    assert message_from_bytes(to_bytes(msg), policy=policy.default)["Date"].datetime == moment
