"""Start a private, throwaway Dovecot on free loopback ports.

Used by the pytest fixtures in tests/conftest.py and by bench/. Mail can be put in place
either over IMAP (APPEND, realistic) or written straight into the Maildir (fast, for
benchmarks with many thousands of messages); Dovecot indexes such files on next access.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "dovecot.conf.in"


def free_port() -> int:
    """A loopback port nobody listens on right now (for a refused connection); a server's
    port is held with :class:`PortHolds` instead."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortHolds:
    """Loopback ports held for a server from before it starts until this object is gone.

    A port found free and let go is any loopback connection's to take as its local port
    until the server binds it, which takes seconds on a busy machine: the server then cannot
    listen ("Address already in use") and the test errors in its fixture, now and then and
    only under load (about 1 in 1,500 ports was taken within 3 s while the server tests ran
    on two workers). A socket bound with SO_REUSEADDR that never listens keeps its port from
    every other bind and from connect()'s choice of a local port, and lets the server, which
    binds with SO_REUSEADDR too (Dovecot, Cyrus, asyncio), listen on it, again after a
    restart or an outage a test makes.
    """

    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []
        weakref.finalize(self, _close_all, self._sockets)

    def take(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._sockets.append(sock)
        return int(sock.getsockname()[1])


def _close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited ({proc.returncode}): {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {port}: {_tail(log)}")


def make_certificate(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (``cert.pem`` and ``key.pem`` in ``directory``)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert = directory / "cert.pem"
    if not cert.exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(directory / "key.pem"),
                "-out",
                str(cert),
                "-days",
                "3650",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            check=True,
            capture_output=True,
        )
    return cert


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


@dataclass
class Dovecot:
    """A running Dovecot instance with one or more users."""

    root: Path
    imap_port: int = 0
    imaps_port: int = 0
    users: dict[str, str] = field(default_factory=lambda: {"support": "secret"})
    extra_config: str = ""
    ssl: bool = True
    proc: subprocess.Popen[bytes] | None = None
    mail_uid: int = -1
    mail_gid: int = -1
    ports: PortHolds = field(default_factory=PortHolds, repr=False, compare=False)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def cert_file(self) -> Path:
        return self.root / "ssl" / "cert.pem"

    def start(self) -> Dovecot:
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot is not installed: apt-get install dovecot-imapd")
        root = self.root
        for sub in ("run", "state", "log", "mail", "ssl"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        if os.geteuid() == 0:
            mail_user = "nobody"
            login_user = _first_user("dovenull", "nobody")
            internal_user = _first_user("dovecot", "nobody")
        else:
            mail_user = login_user = internal_user = pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(mail_user)
        self.mail_uid, self.mail_gid = entry.pw_uid, entry.pw_gid
        make_certificate(root / "ssl")
        self.imap_port = self.imap_port or self.ports.take()
        self.imaps_port = self.imaps_port or self.ports.take()
        conf = (
            TEMPLATE.read_text()
            .replace("@ROOT@", str(root))
            .replace("@INSTANCE@", f"si-test-{uuid.uuid4().hex[:8]}")
            .replace("@LOGINUSER@", login_user)
            .replace("@INTERNALUSER@", internal_user)
            .replace("@UID@", str(self.mail_uid))
            .replace("@GID@", str(self.mail_gid))
            .replace("@IMAP_PORT@", str(self.imap_port))
            .replace("@IMAPS_PORT@", str(self.imaps_port))
            .replace("@SSL@", "yes" if self.ssl else "no")
            .replace("@EXTRA@", self.extra_config)
        )
        (root / "dovecot.conf").write_text(conf)
        self.write_users()
        for user in self.users:
            self.maildir(user).mkdir(parents=True, exist_ok=True)
        self._chown_mail()
        log = root / "log" / "dovecot.log"
        self.proc = subprocess.Popen(
            ["dovecot", "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_for_port(self.imap_port, self.proc, log)
        return self

    def write_users(self) -> None:
        lines = "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in self.users.items())
        users = self.root / "users"
        users.write_text(lines)
        users.chmod(0o644)

    def maildir(self, user: str = "support") -> Path:
        return self.root / "mail" / user / "Maildir"

    def folder_dir(self, folder: str, user: str = "support") -> Path:
        base = self.maildir(user)
        return base if folder.upper() == "INBOX" else base / ("." + folder.replace("/", "."))

    def deliver_files(self, messages: list[bytes], folder: str = "INBOX", user: str = "support") -> None:
        """Write messages straight into the Maildir (fast path for large mailboxes)."""
        target = self.folder_dir(folder, user)
        for sub in ("cur", "new", "tmp"):
            (target / sub).mkdir(parents=True, exist_ok=True)
        stamp = int(time.time())
        for index, raw in enumerate(messages):
            name = f"{stamp}.M{index}P{os.getpid()}.{uuid.uuid4().hex[:6]}.supportinbox-test,S={len(raw)}"
            (target / "new" / name).write_bytes(raw)
        self._chown_mail()

    def _chown_mail(self) -> None:
        if os.geteuid() != 0:
            return
        for dirpath, dirnames, filenames in os.walk(self.root / "mail"):
            for path in (dirpath, *(os.path.join(dirpath, name) for name in filenames + dirnames)):
                # Dovecot may move a message (new/ -> cur/) of another mailbox while this walks:
                # a file it moved is its own already.
                with contextlib.suppress(FileNotFoundError):
                    os.chown(path, self.mail_uid, self.mail_gid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _first_user(*names: str) -> str:
    for name in names:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return "nobody"


def _traversable(path: Path) -> bool:
    """Every ancestor lets other users through (Dovecot's auth runs as another user)."""
    for part in [path, *path.parents]:
        try:
            if not part.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def make_root(prefix: str = "si-dovecot-") -> Path:
    """A fresh state root that Dovecot's unprivileged processes can reach."""
    candidates = [Path(tempfile.gettempdir()), Path("/var/tmp"), Path("/dev/shm")]
    base = next((c for c in candidates if _traversable(c)), None)
    if base is None:
        raise RuntimeError("no world-traversable temporary folder for the test Dovecot")
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    root.chmod(0o755)
    return root


def acl_dovecot(rules: str) -> Iterator[Dovecot]:
    """A running Dovecot whose ACL plugin applies ``rules`` (a global ACL file), for fixtures.

    E.g. ``"* owner lrsteikxa"`` withholds 'w': PERMANENTFLAGS then omits ``\\*`` and the
    server silently drops keywords, like servers that do not support them.
    """
    root = make_root()
    acl = root / "global-acl"
    acl.write_text(rules)
    acl.chmod(0o644)
    extra = f"""
mail_plugins = $mail_plugins acl
protocol imap {{
  mail_plugins = $mail_plugins acl imap_acl
}}
plugin {{
  acl = vfile:{acl}
}}
"""
    server = Dovecot(root, extra_config=extra)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
