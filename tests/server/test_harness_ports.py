"""The test servers' ports are theirs from the moment they are chosen.

On a busy machine a server takes seconds to bind its port after the harness chose it; a
loopback connection made meanwhile anywhere may be given that port as its local one, and
the server then cannot listen: the fixture errors ("dovecot exited (89): ... Address already
in use"), now and then, only under load. Here that connection is made for certain, in the
window, by every process the harness starts once the port is chosen.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import cyrus
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.mail import client

pytestmark = [pytest.mark.server]


@pytest.fixture
def elsewhere() -> Iterator[socket.socket]:
    """A listener that connections from "elsewhere on the machine" go to."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener


@pytest.mark.parametrize("kind", ["dovecot", "cyrus"])
def test_no_connection_takes_a_servers_port_while_it_starts(
    kind: str, elsewhere: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = cyrus.make_root() if kind == "cyrus" else make_root()
    server: Any = cyrus.Cyrus(root) if kind == "cyrus" else Dovecot(root)
    taken: list[socket.socket] = []
    tried: list[int] = []
    spawn = subprocess.Popen

    def popen_after_a_connection(*args: Any, **kwargs: Any) -> Any:
        if server.imap_port and not tried:
            # A connection elsewhere given the chosen port as its local one, as connect() may.
            tried.append(server.imap_port)
            intruder = socket.socket()
            try:
                intruder.bind(("127.0.0.1", server.imap_port))
                intruder.connect(elsewhere.getsockname())
                taken.append(intruder)
            except OSError:
                intruder.close()
        return spawn(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen_after_a_connection)
    try:
        server.start()
        assert tried, "no process was started after the port was chosen: the test proves nothing"
        assert taken == [], "a connection was given the server's port"
        with client(server) as imap:
            assert imap.select_folder("INBOX")
    finally:
        monkeypatch.undo()
        server.stop()
        for sock in taken:
            sock.close()
        shutil.rmtree(root, ignore_errors=True)
