"""Screenshots of the main screens at 80x24 and 120x40, through the demo factory, clock frozen.

Regenerate after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.support import demo_app, no_blink, settle

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def fixed_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The demo banner shows the data folder: keep it the same on every run, in UTC.

    The folder is the same for every checkout on the machine, so a lock keeps two test runs
    (two worktrees, a landing) from emptying it under each other.
    """
    home = Path(tempfile.gettempdir()) / "supportinbox-snapshot-home"
    with open(home.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(home, ignore_errors=True)
        monkeypatch.setenv("SUPPORTINBOX_HOME", str(home))
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        yield home
        shutil.rmtree(home, ignore_errors=True)
        monkeypatch.undo()
        time.tzset()


async def _steady(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    no_blink(pilot.app)  # type: ignore[arg-type]
    await pilot.pause()


def _keys_then_steady(*keys: str, then: tuple[str, ...] = ()) -> Callable[[Pilot[Any]], Any]:
    """Press ``keys``, let workers (search, ...) finish, press ``then``, and hold still."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        if then:
            await pilot.press(*then)
        await _steady(pilot)

    return run


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_inbox(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_steady)


@pytest.mark.parametrize("size", SIZES)
def test_conversation(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    # The follow-up from Ravi: four messages, quoted text and signatures folded.
    search = _keys_then_steady("slash", *"from:ravi", then=("down", "enter"))
    assert snap_compare(demo_app(), terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES)
def test_reply_picker(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_keys_then_steady("r", *"login"))


@pytest.mark.parametrize("size", SIZES)
def test_junk_review(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_keys_then_steady("J"))


def test_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=_keys_then_steady("question_mark"))


def test_search(snap_compare: SnapCompare) -> None:
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=_keys_then_steady("slash", *"refund"))


@pytest.mark.parametrize("size", SIZES)
def test_all_view(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    # Every status at once: the Status column is back, SLA and Owner still visible.
    assert snap_compare(demo_app(), terminal_size=size, run_before=_keys_then_steady("6"))


@pytest.mark.parametrize("size", SIZES)
def test_automated_view(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_keys_then_steady("7"))


@pytest.mark.parametrize("size", SIZES)
def test_reports(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_keys_then_steady("R"))


def test_note_hint_wraps_at_80_columns(snap_compare: SnapCompare) -> None:
    # On a conversation: the first row is the incident, where n only says what the row is.
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=_keys_then_steady("j", "n"))
