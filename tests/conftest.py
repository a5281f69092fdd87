"""Shared fixtures: an isolated supportinbox home, a real Dovecot and a real SMTP server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import cyrus
from tests.harness.dovecot import Dovecot, free_port, make_root
from tests.harness.smtp import SmtpServer

# Every test of the server layer (tests/server) that uses the dovecot fixture runs twice,
# on Dovecot and on Cyrus IMAP, as do tests elsewhere marked both_servers; a test marked
# dovecot_only needs something only Dovecot does (the reason beside the marker).
# SUPPORTINBOX_TEST_SERVER=cyrus runs every other test using the fixture on Cyrus instead.
SERVERS = ("dovecot", "cyrus")
SERVER_LAYER = Path(__file__).parent / "server"


def _on_both_servers(definition: pytest.Function) -> bool:
    if definition.get_closest_marker("dovecot_only"):
        return False
    marked = definition.get_closest_marker("both_servers")
    return bool(marked) or SERVER_LAYER in Path(definition.path).parents


@pytest.fixture(autouse=True)
def supportinbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config/data/state folders and no real keyring."""
    home = tmp_path / "si-home"
    monkeypatch.setenv("SUPPORTINBOX_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.delenv("SUPPORTINBOX_PASSWORD", raising=False)
    # As on a user's pipe: no width given. (A pytest-xdist worker has COLUMNS=80 set, which
    # the commands honour, so output would wrap there and nowhere else.) Tests of a width set it.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    return home


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    definition = metafunc.definition
    if _on_both_servers(definition):
        for name in ("dovecot", "plain_dovecot"):
            if name in metafunc.fixturenames:
                metafunc.parametrize(name, SERVERS, indirect=True)


@pytest.fixture
def dovecot(request: pytest.FixtureRequest) -> Iterator[Dovecot]:
    """A fresh Dovecot with user ``support`` / ``secret``, on free loopback ports.

    For the server layer and tests marked ``both_servers`` it is a Cyrus IMAP in the second
    run (same interface for what the tests use: host, ports, users, certificate,
    start/stop/restart).
    """
    kind = getattr(request, "param", None) or os.environ.get("SUPPORTINBOX_TEST_SERVER", "dovecot")
    root = cyrus.make_root() if kind == "cyrus" else make_root()
    server: Dovecot = cyrus.Cyrus(root) if kind == "cyrus" else Dovecot(root)  # type: ignore[assignment]
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


CAPABILITIES = (
    "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT UNSELECT CHILDREN NAMESPACE "
    "UIDPLUS LIST-EXTENDED SPECIAL-USE MOVE"
)
NO_CONDSTORE = f"""
protocol imap {{
  imap_capability = {CAPABILITIES}
}}
"""


@pytest.fixture
def plain_dovecot(request: pytest.FixtureRequest) -> Any:
    """A Dovecot (or Cyrus) that offers neither CONDSTORE, QRESYNC nor IDLE."""
    if getattr(request, "param", "dovecot") == "cyrus":
        root = cyrus.make_root()
        server: Any = cyrus.Cyrus(root, suppress=("CONDSTORE", "QRESYNC", "IDLE"))
    else:
        root = make_root()
        server = Dovecot(root, extra_config=NO_CONDSTORE)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback recording every message it accepts."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text)
    return path


def account_toml(
    dovecot: Dovecot,
    smtp: SmtpServer | None = None,
    *,
    name: str = "support",
    agent: str = "alice",
    security: str = "none",
    extra: str = "",
    offline: bool = False,
) -> str:
    """Config text for an account on the test servers, password via password_command.

    ``offline``: the IMAP port is a free one that refuses connections, as on a train.
    """
    port = dovecot.imap_port if security in ("none", "starttls") else dovecot.imaps_port
    if offline:
        port = free_port()
    smtp_port = smtp.port if smtp else 1
    password = dovecot.users["support"]
    return f"""
[accounts.{name}]
email = "support@acme.test"
display_name = "Acme Support"
agent = "{agent}"
username = "support"
password_command = "printf %s {password}"
imap_host = "127.0.0.1"
imap_port = {port}
imap_security = "{security}"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_security = "none"
ca_file = "{dovecot.cert_file}"
timeout = 10
{extra}
"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a test that ran a Dovecot fails, show Dovecot's own errors beside it.

    A server-side error ("[SERVERBUG] Internal error occurred") says nothing by itself;
    the reason is only in the server's log, which is deleted with the test's server.
    """
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for value in funcargs.values():
        if isinstance(value, Dovecot):
            log = value.root / "log" / "dovecot.log"
            try:
                lines = log.read_text(errors="replace").splitlines()
            except OSError:
                continue
            wanted = [line for line in lines if "Error" in line or "Panic" in line or "Fatal" in line]
            report.sections.append(("dovecot log (errors)", "\n".join(wanted[-40:]) or "(none)"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In CI, a real-server test may never be skipped for want of Dovecot."""
    if os.environ.get("CI") and shutil.which("dovecot") is None:
        raise pytest.UsageError("CI requires dovecot (apt-get install dovecot-imapd)")
    if os.environ.get("CI") and not cyrus.available():
        raise pytest.UsageError("CI requires Cyrus IMAP (apt-get install cyrus-imapd sasl2-bin)")
