"""The inbox on a 100,000-message cache: the first screen renders a window, not every row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.config import load_config
from supportinbox.store.conversations import queue_counts
from supportinbox.store.db import open_database
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.widgets.queue_table import WINDOW
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.conftest import write_config
from tests.harness.bulk_cache import BULK_ACCOUNT_CONFIG as CONFIG
from tests.harness.bulk_cache import build_bulk_cache
from tests.tui.support import NOW, SIZE, pilot_test, queue, wait_until

pytestmark = pytest.mark.slow

MESSAGES = 100_000


@pytest.fixture(scope="module")
def bulk_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "bulk.sqlite3"
    build_bulk_cache(path, MESSAGES, NOW).close()
    return path


@pilot_test
async def test_first_screen_on_100k_messages_holds_one_window(
    supportinbox_home: Path, bulk_cache: Path
) -> None:
    write_config(supportinbox_home, CONFIG)
    target = paths.database_file("bulk")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(bulk_cache, target)
    with open_database(target) as db:
        assert db.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == MESSAGES
        # Each incident is one row of the open queue: its members fold into it.
        members, incidents = db.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT incident_id) FROM conversations "
            "WHERE status = 'open' AND incident_id IS NOT NULL"
        ).fetchone()
        expected_open = queue_counts(db)["open"] - members + incidents
    app = build_app(load_config(), now=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen) and queue(app).row_count > 0)
        table = queue(app)
        assert table.total == expected_open > WINDOW
        assert table.row_count == WINDOW
        await wait_until(pilot, lambda: bool(app.sync_status.offline))
        assert "offline" in str(app.screen.query_one(StatusBar).render())
        await pilot.press("G")
        assert table.position == table.total - 1 and table.row_count == WINDOW
        assert table.current is not None
        await pilot.press("6")
        assert queue(app).total > MESSAGES // 4 and queue(app).row_count == WINDOW
