"""Push across a machine's sleep (real Dovecot behind the fault proxy): a laptop that wakes
with its IDLE connection dead (a NAT dropped it while the lid was closed) notices within the
account's timeout, not after the keep-alive, and connects again (the app then syncs).

Suspend cannot be done in a test; what it leaves is: the wall clock ahead of the monotonic
one (which stops in suspend), and a connection that hears nothing any more.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from supportinbox.config import load_config
from supportinbox.sync import push
from supportinbox.sync.push import PushWatcher
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy

pytestmark = [pytest.mark.server, pytest.mark.timeout(60)]


@pytest.fixture
def imap_proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    with FaultProxy(dovecot.imap_port) as proxy:
        yield proxy


class SleepingClock:
    """``time`` as the watcher reads it, with the wall clock moved ahead by :meth:`sleep`."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self.ahead += seconds


def _until(condition: threading.Event, what: str) -> None:
    assert condition.wait(20), what


@pytest.mark.dovecot_only  # the stall starts at Dovecot's IDLE continuation, "+ idling"
def test_a_connection_dead_after_sleep_is_left_at_once(
    supportinbox_home: Path, dovecot: Dovecot, imap_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = account_toml(dovecot).replace("timeout = 10\n", "timeout = 2\n")
    write_config(
        supportinbox_home,
        text.replace(f"imap_port = {dovecot.imap_port}\n", f"imap_port = {imap_proxy.port}\n"),
    )
    name, account = load_config().account()
    clock = SleepingClock()
    monkeypatch.setattr(push, "time", SimpleNamespace(time=clock.time, monotonic=clock.monotonic))
    monkeypatch.setattr(push, "WAIT_SLICE_SECONDS", 0.2)
    # The first connection hears nothing once it idles (the NAT forgot it); later ones work.
    imap_proxy.set_fault(Fault("stall", trigger=b"+ idling\r\n", seconds=120, connections=1))
    offline, online = threading.Event(), threading.Event()
    reasons: list[str] = []
    ups: list[float] = []

    def went_offline(reason: str) -> None:
        reasons.append(reason)
        offline.set()

    def came_up() -> None:
        ups.append(time.monotonic())
        if len(ups) > 1:
            online.set()

    watcher = PushWatcher(
        name,
        account,
        changed=lambda _changes: None,
        offline=went_offline,
        online=came_up,
        slow_retry=60,
    )
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert watcher.connected.wait(20), "the watcher never connected"
        time.sleep(0.5)  # well into IDLE: the stall has begun
        assert not offline.is_set()

        clock.sleep(3600)  # the lid was closed for an hour
        _until(offline, "a dead connection after sleep was not noticed (the keep-alive is 300 s away)")
        assert "did not answer" in reasons[0], reasons
        _until(online, "the watcher did not connect again")
    finally:
        watcher.stop()
        thread.join(10)
