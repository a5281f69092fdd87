"""A plaintext IMAP proxy that rewrites the server's lines: a real server that says other things.

Used to make a real Dovecot behave like servers the suite cannot run: one that announces
``\\*`` in PERMANENTFLAGS but drops keywords, one that announces Gmail's ``X-GM-EXT-1``.
Client-to-server bytes pass untouched; each server line (up to CRLF) goes through
``rewrite``. Lines inside a literal pass through it too, so a rewrite must only match lines
no message contains.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

Rewrite = Callable[[bytes], bytes]


class RewriteProxy:
    """Forward ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>``, rewriting server lines."""

    def __init__(self, target_port: int, rewrite: Rewrite) -> None:
        self.target_port = target_port
        self.rewrite = rewrite
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, name="rewriteproxy", daemon=True)

    def start(self) -> RewriteProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        # shutdown() wakes the thread blocked in accept() (close() alone would not).
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RewriteProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [downstream, upstream]
            threading.Thread(target=self._copy, args=(downstream, upstream), daemon=True).start()
            threading.Thread(target=self._lines, args=(upstream, downstream), daemon=True).start()

    def _copy(self, source: socket.socket, dest: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                dest.sendall(data)
        self._close(source, dest)

    def _lines(self, source: socket.socket, dest: socket.socket) -> None:
        with contextlib.suppress(OSError), source.makefile("rb") as lines:
            for line in lines:
                dest.sendall(self.rewrite(line))
        self._close(source, dest)

    @staticmethod
    def _close(*socks: socket.socket) -> None:
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
