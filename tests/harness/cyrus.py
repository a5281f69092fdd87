"""Start a private, throwaway Cyrus IMAP (Debian's cyrus-imapd) on a free loopback port.

The second real server of the suite: what Fastmail runs. Same interface as
:class:`tests.harness.dovecot.Dovecot` for what the server tests use (host, ports, users,
certificate, start/stop), so a test can run on both. Everything lives in one temporary
folder: imapd.conf and cyrus.conf point every path there, users and passwords are in a
sasldb file of their own, and ``master`` runs in the foreground as the invoking user (or,
when that is root, as Debian's ``cyrus`` user, as Cyrus refuses to run as root).

``suppress`` hides capabilities (e.g. ``("CONDSTORE", "QRESYNC")``) to test their absence.
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
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness import dovecot
from tests.harness.dovecot import PortHolds

BIN = Path("/usr/lib/cyrus/bin")  # master, ctl_cyrusdb: Debian's cyrus-common
# imapd and idled come from Debian's cyrus-imapd, which conflicts with dovecot-imapd (both
# "provide imap-server"): scripts/test.sh unpacks it into .cache/imap-servers instead.
UNPACKED = (
    Path(__file__).resolve().parents[2] / ".cache" / "imap-servers" / "root" / "usr" / "lib" / "cyrus" / "bin"
)
ADMIN = "cyrusadmin"


def _program(name: str) -> Path | None:
    return next((d / name for d in (BIN, UNPACKED) if (d / name).is_file()), None)


def make_root() -> Path:
    """A fresh root for a Cyrus instance, in memory (/dev/shm) where there is one.

    Cyrus syncs every change to disk: on a disk, the 1,000 team changes of the keyword test
    take minutes; in memory, seconds. Nothing in a test instance needs to survive a crash.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) and shm.stat().st_mode & 0o001:
        root = Path(tempfile.mkdtemp(prefix="si-cyrus-", dir=shm))
        root.chmod(0o755)
        return root
    return dovecot.make_root("si-cyrus-")


def available() -> bool:
    return (
        (BIN / "master").exists()
        and all(_program(p) for p in ("imapd", "idled"))
        and shutil.which("saslpasswd2") is not None
    )


@dataclass
class Cyrus:
    """A running Cyrus IMAP with one or more users, each with INBOX, Junk and Sent."""

    root: Path
    imap_port: int = 0
    imaps_port: int = 0
    users: dict[str, str] = field(default_factory=lambda: {"support": "secret"})
    suppress: tuple[str, ...] = ()
    extra_config: str = ""
    proc: subprocess.Popen[bytes] | None = None
    name: str = "cyrus"
    ports: PortHolds = field(default_factory=PortHolds, repr=False, compare=False)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def cert_file(self) -> Path:
        return self.root / "ssl" / "cert.pem"

    def start(self) -> Cyrus:
        if not available():
            # Not "apt-get install cyrus-imapd": it conflicts with dovecot-imapd and removes it.
            raise RuntimeError(
                "Cyrus IMAP is missing: scripts/test.sh unpacks cyrus-imapd into .cache/imap-servers "
                "(installing the package would remove dovecot-imapd)"
            )
        root = self.root
        # Sockets (idled's among them) live in {configdirectory}/socket.
        for sub in ("conf", "conf/socket", "spool", "run", "log", "bin"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        # A copy the cyrus user can reach whatever the permissions of the checkout.
        for program in ("imapd", "idled"):
            found = _program(program)
            assert found is not None
            shutil.copy2(found, root / "bin" / program)
        dovecot.make_certificate(root / "ssl")
        self.imap_port = self.imap_port or self.ports.take()
        self.imaps_port = self.imaps_port or self.ports.take()
        user = "cyrus" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        conf = root / "imapd.conf"
        conf.write_text(
            f"configdirectory: {root}/conf\n"
            f"partition-default: {root}/spool\n"
            "servername: localhost\n"
            f"admins: {ADMIN}\n"
            f"cyrus_user: {user}\n"
            "sasl_pwcheck_method: auxprop\n"
            "sasl_auxprop_plugin: sasldb\n"
            f"sasl_sasldb_path: {root}/sasldb2\n"
            "sasl_mech_list: PLAIN LOGIN\n"
            "allowplaintext: 1\n"
            f"temp_path: {root}/run\n"
            "syslog_prefix: si-test-cyrus\n"
            # Tests delete and recreate Junk (a new UIDVALIDITY); Cyrus protects special-use
            # folders from that by default.
            "specialuse_protect: \\Archive\n"
            f"tls_server_cert: {self.cert_file}\n"
            f"tls_server_key: {root}/ssl/key.pem\n"
            + (f"suppress_capabilities: {' '.join(self.suppress)}\n" if self.suppress else "")
            + self.extra_config
        )
        imapd = f"{root}/bin/imapd -C {conf}"
        (root / "cyrus.conf").write_text(
            "START {\n"
            f'  recover cmd="{BIN}/ctl_cyrusdb -C {conf} -r"\n'
            "}\n"
            "SERVICES {\n"
            f'  imap cmd="{imapd}" listen="127.0.0.1:{self.imap_port}" prefork=0 maxchild=100\n'
            f'  imaps cmd="{imapd} -s" listen="127.0.0.1:{self.imaps_port}" prefork=0 maxchild=100\n'
            "}\n"
            "EVENTS {\n}\n"
            # idled tells IDLE sessions about changes at once (else they poll every minute).
            "DAEMON {\n"
            f'  idled cmd="{root}/bin/idled -C {conf}"\n'
            "}\n"
        )
        for name, password in {**self.users, ADMIN: "admin-secret"}.items():
            subprocess.run(
                ["saslpasswd2", "-p", "-c", "-f", str(root / "sasldb2"), "-u", "localhost", name],
                input=password.encode(),
                check=True,
                capture_output=True,
            )
        if os.geteuid() == 0:
            entry = pwd.getpwnam(user)
            for dirpath, dirnames, filenames in os.walk(root):
                os.chown(dirpath, entry.pw_uid, entry.pw_gid)
                for name in dirnames + filenames:
                    os.chown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)
        root.chmod(0o755)
        self._spawn()
        self._create_mailboxes()
        return self

    def _wait(self, port: int, log: Path, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"cyrus master exited ({self.proc.returncode}): {_tail(log)}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"cyrus did not listen on {port}: {_tail(log)}")

    def _create_mailboxes(self) -> None:
        from imapclient import IMAPClient

        with IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=30) as admin:
            admin.login(ADMIN, "admin-secret")
            known = {str(name) for _flags, _sep, name in admin.list_folders("user/", "%")}
            for user in self.users:
                if f"user/{user}" in known:
                    continue  # started again after a stop: the mailboxes are kept
                admin.create_folder(f"user/{user}")
        for user, password in self.users.items():
            with IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=30) as imap:
                imap.login(user, password)
                for folder, use in (("Junk", "\\Junk"), ("Sent", "\\Sent")):
                    # CREATE-SPECIAL-USE (RFC 6154), as Dovecot's harness config marks them.
                    imap._imap._simple_command("CREATE", folder, f"(USE ({use}))")

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
        """Stop and start the same instance (mailboxes kept)."""
        self.stop()
        self._spawn()

    def _spawn(self) -> None:
        log = self.root / "log" / "master.log"
        self.proc = subprocess.Popen(
            [
                str(BIN / "master"),
                "-C",
                str(self.root / "imapd.conf"),
                "-M",
                str(self.root / "cyrus.conf"),
                "-p",
                str(self.root / "run" / "master.pid"),
                "-L",
                str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait(self.imap_port, log)

    def __enter__(self) -> Cyrus:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"
