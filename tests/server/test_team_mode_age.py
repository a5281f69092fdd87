"""The team mode, once found, is trusted for a while: a sync soon after does not ask again."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import supportinbox.team.server as server_module
from supportinbox.mail.imap import connect, logout
from supportinbox.team import marks
from supportinbox.team.server import MODE_RECHECK_SECONDS, open_team_server
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.team import make_team

pytestmark = [pytest.mark.server]


def test_a_mode_found_a_moment_ago_is_not_asked_again(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(dovecot, [make_message()])
    (mate,) = make_team(tmp_path, dovecot, None, agents=("alice",))
    with mate.db.transaction():
        mate.db.set_meta(marks.MODE_CHECKED, "0")  # long ago: the next look asks the server
    # Found late in a second, then used a moment later within the same second.
    times = [1_000_000.6, 1_000_000.6, 1_000_000.7]  # look, record, look again (and so on)
    monkeypatch.setattr(
        server_module, "time", SimpleNamespace(time=lambda: times.pop(0) if times[1:] else times[0])
    )
    asked: list[str] = []
    detect = server_module.detect_mode

    def counted(*args: object) -> tuple[str, str]:
        asked.append("mode")
        return detect(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(server_module, "detect_mode", counted)
    imap = connect(mate.name, mate.account)
    try:
        for _ in range(2):
            open_team_server(imap, mate.db, mate.account, "INBOX", recheck_after=MODE_RECHECK_SECONDS)
    finally:
        logout(imap)

    assert asked == ["mode"]
    assert float(mate.db.get_meta(marks.MODE_CHECKED) or "inf") <= 1_000_000.6
