"""Push (IDLE) under a running app survives any disconnect: a Dovecot stopped and started
again, the IDLE socket cut, reset or garbled by the fault proxy, a server that falls silent.

For each: the status bar says offline within seconds without a key press, no thread
spins while the server is away (CPU seconds measured, not wall-clock), no error modal
appears, the offline mark clears within seconds of the server's return, and new mail is
pushed again afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.modals import ErrorModal
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.conftest import account_toml, write_config
from tests.harness.cpu import WorkerCpu
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import append, make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, queue, wait_until

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

# Pilot rounds of 0.05 s: "within a few seconds", with room for a loaded machine.
FEW_SECONDS = 200
# The window the server stays away, and the CPU the app's threads may use meanwhile: a
# wait loop that spins uses the whole window.
DOWN_SECONDS = 3.0
MAX_CPU_SECONDS = 0.5


@pytest.fixture
def imap_proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    with FaultProxy(dovecot.imap_port) as proxy:
        yield proxy


@pytest.fixture
def imaps_proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    with FaultProxy(dovecot.imaps_port) as proxy:
        yield proxy


def _account(
    home: Path, dovecot: Dovecot, *, port: int | None = None, security: str = "none", timeout: int = 10
) -> None:
    """A synced account with one conversation; the app then talks through ``port`` if given."""
    first = make_message(sender="Ann <ann@customer.test>", subject="Export", message_id="<p1@c.test>")
    setup_account(home, dovecot, None, [first]).db.close()
    text = account_toml(dovecot, security=security).replace("timeout = 10\n", f"timeout = {timeout}\n")
    if port is not None:
        own = dovecot.imaps_port if security == "tls" else dovecot.imap_port
        text = text.replace(f"imap_port = {own}\n", f"imap_port = {port}\n")
    write_config(home, text)


class Watch:
    """Every offline text the status bar showed, in order ("" = online)."""

    def __init__(self, app: SupportInboxApp) -> None:
        self.app = app
        self.seen: list[str] = []
        app.watch(app, "sync_status", lambda status: self.seen.append(status.offline), init=False)

    @property
    def offline(self) -> str:
        return self.app.sync_status.offline

    def went_offline(self) -> bool:
        return any(self.seen)


def _no_error_shown(app: SupportInboxApp) -> None:
    assert not any(isinstance(screen, ErrorModal) for screen in app.screen_stack)
    assert not any("Internal error" in str(n.message) for n in app._notifications)


async def _connected(pilot: object, app: SupportInboxApp) -> None:
    await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)  # type: ignore[arg-type]
    await wait_until(pilot, app.service.push_connected)  # type: ignore[arg-type]


async def _idle_cpu(pilot: object, seconds: float) -> float:
    cpu = WorkerCpu().start()
    await asyncio.sleep(seconds)
    return cpu.seconds()


async def _pushed_again(pilot: object, app: SupportInboxApp, dovecot: Dovecot, n: int) -> None:
    """New mail reaches the open app by push alone (the timer sync is 120 s away)."""
    await wait_until(pilot, lambda: not app.sync_status.syncing and app.service.push_connected())  # type: ignore[arg-type]
    total = queue(app).total
    append(dovecot, [make_message(sender=f"C{n} <c{n}@customer.test>", subject=f"After {n}")])
    await wait_until(pilot, lambda: queue(app).total == total + 1, rounds=FEW_SECONDS)  # type: ignore[arg-type]


@pilot_test
async def test_dovecot_stopped_and_started_again_under_the_running_app(
    supportinbox_home: Path, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="supportinbox")
    _account(supportinbox_home, dovecot)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await _connected(pilot, app)
        watch = Watch(app)
        assert not watch.offline

        dovecot.stop()
        await wait_until(pilot, lambda: bool(watch.offline), rounds=FEW_SECONDS)
        assert "IMAP server" in watch.offline
        cpu = await _idle_cpu(pilot, DOWN_SECONDS)
        assert cpu < MAX_CPU_SECONDS, f"the app used {cpu:.2f} CPU s in {DOWN_SECONDS} s with the server down"
        _no_error_shown(app)

        dovecot.start()
        await wait_until(pilot, lambda: not watch.offline, rounds=FEW_SECONDS)
        await _pushed_again(pilot, app, dovecot, 1)
        _no_error_shown(app)
    logged = [r.getMessage() for r in caplog.records if r.name == "supportinbox.sync.push"]
    assert any("reconnecting with backoff" in text for text in logged), logged
    assert any("connected again after" in text for text in logged), logged


@pytest.mark.parametrize("how", ["cut", "reset"])
@pilot_test
async def test_the_idle_socket_cut_or_reset_by_the_network(
    supportinbox_home: Path, dovecot: Dovecot, imap_proxy: FaultProxy, how: str
) -> None:
    _account(supportinbox_home, dovecot, port=imap_proxy.port)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await _connected(pilot, app)
        watch = Watch(app)
        # While the "network" is down, every new connection is cut right after the greeting.
        imap_proxy.set_fault(Fault("greeting"))
        assert imap_proxy.break_open(how) == 1  # the IDLE connection is the only one open
        await wait_until(pilot, lambda: bool(watch.offline), rounds=FEW_SECONDS)
        cpu = await _idle_cpu(pilot, DOWN_SECONDS)
        assert cpu < MAX_CPU_SECONDS, f"the app used {cpu:.2f} CPU s in {DOWN_SECONDS} s while cut off"
        _no_error_shown(app)

        imap_proxy.clear()
        await wait_until(pilot, lambda: not watch.offline, rounds=FEW_SECONDS)
        await _pushed_again(pilot, app, dovecot, 2)
        _no_error_shown(app)


@pilot_test
async def test_offline_at_80_columns_leaves_room_for_the_rest_of_the_status_bar(
    supportinbox_home: Path, dovecot: Dovecot, imap_proxy: FaultProxy
) -> None:
    _account(supportinbox_home, dovecot, port=imap_proxy.port)
    app = build_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await _connected(pilot, app)
        imap_proxy.set_fault(Fault("greeting"))
        assert imap_proxy.break_open("reset") == 1
        await wait_until(pilot, lambda: "IMAP server" in app.sync_status.offline, rounds=FEW_SECONDS)
        await pilot.pause()
        bar = app.screen.query_one(StatusBar)
        shown = bar.render().plain
        assert len(app.sync_status.offline) > 60, app.sync_status.offline  # more than fits
        assert f"offline: {app.sync_status.offline[:30]}" in shown, shown
        assert "synced" in shown and shown.endswith(" · 1/1"), shown  # when, and where the cursor is
        assert len(shown) <= bar.content_size.width, shown  # nothing cut off at the edge


@pilot_test
async def test_a_garbled_tls_record_on_the_idle_connection(
    supportinbox_home: Path, dovecot: Dovecot, imaps_proxy: FaultProxy
) -> None:
    _account(supportinbox_home, dovecot, port=imaps_proxy.port, security="tls")
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await _connected(pilot, app)
        watch = Watch(app)
        # An application-data record whose contents fail decryption: a TLS error, not EOF.
        assert imaps_proxy.inject_open(b"\x17\x03\x03\x00\x20" + bytes(range(32))) == 1
        await wait_until(pilot, watch.went_offline, rounds=FEW_SECONDS)
        await wait_until(pilot, lambda: not watch.offline, rounds=FEW_SECONDS)
        await _pushed_again(pilot, app, dovecot, 3)
        _no_error_shown(app)


@pilot_test
async def test_a_server_silent_past_the_keepalive_is_left_for_a_new_connection(
    supportinbox_home: Path, dovecot: Dovecot, imap_proxy: FaultProxy
) -> None:
    _account(supportinbox_home, dovecot, port=imap_proxy.port, timeout=2)
    # Connections that start IDLE hear nothing from the server afterwards (a dead NAT).
    imap_proxy.set_fault(Fault("stall", trigger=b"+ idling\r\n", seconds=60))
    app = build_app(load_config())
    app.service.push_keepalive = 1.0
    async with app.run_test(size=SIZE) as pilot:
        await _connected(pilot, app)
        watch = Watch(app)
        await wait_until(pilot, lambda: bool(watch.offline), rounds=FEW_SECONDS)
        assert "did not answer" in watch.offline
        imap_proxy.clear()
        await wait_until(pilot, lambda: not watch.offline, rounds=FEW_SECONDS)
        await _pushed_again(pilot, app, dovecot, 4)
        _no_error_shown(app)
