"""Courier IMAP's imapd (Debian's courier-imap) behind a small login front, on a free loopback port.

The third real server of the suite. Courier's imapd can run a logged-in session on
stdin/stdout for a Maildir (what ``tunnel = "ssh host imapd Maildir"`` uses); the front
speaks only the part before login -- a greeting, CAPABILITY, LOGIN checked against
``users`` -- then hands the connection to a fresh ``imapd Maildir`` for that user, whose
answers (SELECT, FETCH, STORE, keywords or not, folders) are Courier's own. This avoids
Courier's system-wide authdaemon: nothing outside the temporary folder is touched.

``keywords=False`` runs imapd with ``IMAP_KEYWORDS=0``, a server that refuses custom
keywords (PERMANENTFLAGS without ``\\*``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.dovecot import free_port

# scripts/test.sh unpacks Courier's imapd into .cache/imap-servers: the courier-imap package
# cannot be installed beside dovecot-imapd (both "provide imap-server"), but imapd runs anywhere.
_CANDIDATES = (
    Path(os.environ.get("SUPPORTINBOX_COURIER_IMAPD", "/nonexistent")),
    Path(__file__).resolve().parents[2] / ".cache" / "imap-servers" / "root" / "usr" / "bin" / "imapd",
    Path("/usr/bin/imapd"),
)


def imapd() -> Path | None:
    return next((p for p in _CANDIDATES if p.is_file() and os.access(p, os.X_OK)), None)


CAPABILITY = "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"


def available() -> bool:
    return imapd() is not None


@dataclass
class Courier:
    """Courier imapd sessions for ``users``, each with a Maildir holding INBOX, Junk and Sent."""

    root: Path
    imap_port: int = 0
    imaps_port: int = 0
    users: dict[str, str] = field(default_factory=lambda: {"support": "secret"})
    keywords: bool = True
    name: str = "courier"
    _listener: socket.socket | None = None
    _thread: threading.Thread | None = None
    _sessions: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def cert_file(self) -> Path:
        return self.root / "cert.pem"  # unused: the front speaks plaintext on loopback only

    def maildir(self, user: str = "support") -> Path:
        return self.root / "home" / user / "Maildir"

    def start(self) -> Courier:
        if not available():
            raise RuntimeError(
                "Courier's imapd is missing: scripts/test.sh unpacks it into .cache/imap-servers"
            )
        for user in self.users:
            maildir = self.maildir(user)
            # A Maildir++ with INBOX.Junk and INBOX.Sent, as maildirmake -f makes them.
            for folder in (maildir, maildir / ".Junk", maildir / ".Sent"):
                for sub in ("cur", "new", "tmp"):
                    (folder / sub).mkdir(parents=True, exist_ok=True)
                if folder != maildir:
                    (folder / "maildirfolder").touch()
        self._listener = socket.create_server(("127.0.0.1", self.imap_port or 0))
        self.imap_port = int(self._listener.getsockname()[1])
        self.imaps_port = self.imaps_port or free_port()
        self._thread = threading.Thread(target=self._accept, args=(self._listener,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); a bare close() would leave it
            # waiting on a descriptor number the next listener may get.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None
            if self._thread is not None:
                self._thread.join(timeout=5)
        for proc in self._sessions:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        self._sessions.clear()

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Courier:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn, conn.makefile("rb") as reader:
            conn.sendall(f"* OK [CAPABILITY {CAPABILITY} AUTH=PLAIN] Courier-IMAP ready.\r\n".encode())
            while line := reader.readline():
                tag, _, rest = line.decode("utf-8", "replace").strip().partition(" ")
                command, _, args = rest.partition(" ")
                command = command.upper()
                if command == "CAPABILITY":
                    conn.sendall(
                        f"* CAPABILITY {CAPABILITY} AUTH=PLAIN\r\n{tag} OK CAPABILITY completed\r\n".encode()
                    )
                elif command == "NOOP":
                    conn.sendall(f"{tag} OK NOOP completed\r\n".encode())
                elif command == "LOGOUT":
                    conn.sendall(
                        f"* BYE Courier-IMAP server shutting down\r\n{tag} OK LOGOUT completed\r\n".encode()
                    )
                    return
                elif command == "LOGIN":
                    user, _, password = args.partition(" ")
                    user, password = user.strip('"'), password.strip('"')
                    if self.users.get(user) != password:
                        conn.sendall(f"{tag} NO Login failed.\r\n".encode())
                        continue
                    self._hand_over(conn, reader, tag, user)
                    return
                else:
                    conn.sendall(f"{tag} BAD Log in first.\r\n".encode())

    def _hand_over(self, conn: socket.socket, reader: object, tag: str, user: str) -> None:
        home = self.maildir(user).parent
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "AUTHENTICATED": user,
            "IMAP_CAPABILITY": CAPABILITY,
            "IMAP_KEYWORDS": "1" if self.keywords else "0",
            "IMAP_ACL": "1",
            "IMAP_USELOCKS": "1",
            "IMAP_IDLE_TIMEOUT": "5",
            "IMAP_ENHANCEDIDLE": "0",
            "IMAP_MAILBOX_SANITY_CHECK": "0",
            "TCPREMOTEIP": "127.0.0.1",
        }
        proc = subprocess.Popen(
            [str(imapd()), "Maildir"],
            cwd=home,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._sessions.append(proc)
        assert proc.stdout is not None and proc.stdin is not None
        proc.stdout.readline()  # "* PREAUTH Ready." replaced by the answer to LOGIN
        conn.sendall(f"{tag} OK LOGIN Ok.\r\n".encode())

        def client_to_imapd() -> None:
            assert proc.stdin is not None
            with contextlib.suppress(OSError, ValueError):
                while data := reader.read1(65536):  # type: ignore[attr-defined]
                    proc.stdin.write(data)
                    proc.stdin.flush()
            with contextlib.suppress(OSError):
                proc.stdin.close()

        pump = threading.Thread(target=client_to_imapd, daemon=True)
        pump.start()
        with contextlib.suppress(OSError, ValueError):
            while data := proc.stdout.read1(65536):
                conn.sendall(data)
        proc.wait()
