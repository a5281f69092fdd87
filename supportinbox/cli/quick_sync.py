"""``supportinbox sync`` answered before click loads, when neither side has anything to do.

Cron jobs and status bars sync every few minutes, and most of those syncs find nothing:
the server's folders are as the cache holds them and nothing waits to be sent. The full
command then spends nearly all its time loading the program (click, the config model,
imapclient, the engine, the team hook). So for plain ``sync`` (no option, no global
option, ``SUPPORTINBOX_CONFIG`` unset) :func:`answer` asks the same questions with the
standard library's imaplib first, and prints the full command's line when every answer is
"nothing to do":

* the cache: of this program's schema; no queued server change (``pending_ops``), no reply
  to send (:func:`supportinbox.store.outbox.anything_to_send`), no note, merge, follow-up or
  tag change to share, no cached mail to read again (:mod:`supportinbox.sync.reread`),
  no team merge due, team state kept in keywords (a state folder is merged at every sync)
  and its mode recently checked, the queue current and nothing due on the clock
  (:mod:`supportinbox.store.triage_fresh`), as ``list --json`` asks;
* the server, through one connection made as the engine makes it (same security mode,
  certificates and ``ca_file``, the password from ``password_command``, ID when announced):
  the folder list as the last full sync saw it, each synced folder's UIDVALIDITY, UIDNEXT,
  HIGHESTMODSEQ and message count as the cache recorded them
  (:func:`supportinbox.store.messages.in_step`, the engine's own rule; a server without
  CONDSTORE never passes), the team's state and notes folders as last read
  (:mod:`supportinbox.team.marks`).

It then writes what such a full sync writes, the folders' ``last_sync``, under the
account's sync lock, and prints ``up to date in ... (INBOX n, ...)``.

What it needs from the config comes from a record the full command writes after each
plain sync (:func:`remember`): the account, the connection's settings as the config model
resolved them, the synced folders, the digest of the config file's bytes and whether that
sync said nothing but its summary line; it is used only after such a quiet sync and while
the file keeps those bytes. The record holds no password (the command that prints it, as
the config does). An account that logs in with OAuth2 or with a password from the keyring
gets no record.

In every other case, and on any error, it hands the run on to the full command, which
then says what is to be said. The password it read (or the password command's failure) is
handed on in memory (:func:`supportinbox.mail.credentials.hand_over`), so the command runs
once; so is the folder list's digest, for the record the full command writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time

from supportinbox import paths
from supportinbox.cli.quick import digest, parses_to, stamp, stamp_matches

# Not typing.TYPE_CHECKING: the point of this module is to load little.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import imaplib
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from supportinbox.app.context import AccountContext
    from supportinbox.store.db import Database

#: The seconds a server may take to greet before the quick look gives up and hands on
#: (the full command then waits the account's whole ``timeout``, and says why it failed).
GREETING_WAIT = 5.0

_STATUS_ITEMS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ")
# The last untagged STATUS answer: the mailbox, then (ITEM number ...).
_STATUS_ANSWER = re.compile(rb"^(.*?) \(([A-Z0-9 ]*)\)\s*$")
# A LIST answer: (attributes) delimiter name.
_LISTED = re.compile(rb"^\(([^)]*)\)(.*)$", re.DOTALL)
_MARKS = (b"\\marked", b"\\unmarked")
# NAMESPACE: the first personal namespace's prefix, or NIL.
_PERSONAL = re.compile(rb'^\(\("((?:[^"\\]|\\.)*)"')

# The folder list's digest as this process saw it, for the record (see the module doc).
_seen: dict[str, str] = {}


class _HandOn(Exception):
    """Something is to do or not plainly so: the full command runs."""


def totals_line(word: str, seconds: float, totals: Iterable[tuple[str, int]]) -> str:
    """``up to date in 0.1 s (INBOX 9,000, Junk 800)``: the summary of a sync that brought nothing."""
    from supportinbox.domain.safetext import one_line

    listed = ", ".join(f"{one_line(name)} {total:,}" for name, total in totals)
    return f"{word} in {seconds:.1f} s ({listed})"


def answer(args: list[str]) -> str | None:
    """The line a no-change ``sync`` prints, or None to run the command."""
    if args != ["sync"] or os.environ.get("SUPPORTINBOX_CONFIG") is not None:
        return None
    try:
        record = json.loads(paths.quick_sync_file().read_text(encoding="utf-8"))
        if not isinstance(record, dict) or not _record_matches(record, paths.config_file()):
            return None
        return _sync(record)
    except Exception:  # noqa: BLE001 - whatever went wrong, the command itself says it properly
        return None


def _record_matches(record: dict[str, object], config_file: Path) -> bool:
    return record.get("quiet") is True and stamp_matches(record, config_file)


def _sync(record: dict[str, object]) -> str | None:
    from supportinbox.store.db import open_current

    account = str(record["account"])
    if paths.rebuild_file(account).exists():
        return None  # a stopped rebuild's leftover: the full command removes it and says so
    db = open_current(paths.database_file(account))
    if db is None:
        return None
    try:
        if _local_work(db, str(record["fingerprint"])):
            return None
        return _look(db, account, record)
    except _HandOn:
        return None
    finally:
        db.close()


def _local_work(db: Database, fingerprint: str) -> bool:
    """Whether the full command would find something to do in the cache alone."""
    from datetime import UTC, datetime

    from supportinbox.mail import reading
    from supportinbox.store.outbox import anything_to_send
    from supportinbox.store.pending import count_pending
    from supportinbox.store.rebuild import TEAM_QUIET_META
    from supportinbox.store.triage_fresh import clock_due, inputs_key, up_to_date
    from supportinbox.team import marks

    now = datetime.now(UTC)
    mode = marks.mode_trusted(db, time.time(), marks.MODE_RECHECK_SECONDS)
    return (
        count_pending(db.conn) > 0
        or anything_to_send(db.conn)
        or marks.anything_to_share(db.conn)
        or db.get_meta(TEAM_QUIET_META) == "1"
        or db.get_meta(reading.META) != str(reading.READING)  # cached HTML mail to read again
        or db.get_meta(reading.MESSAGE_META) != str(reading.MESSAGE_READING)  # cached mail to read again
        or mode != marks.KEYWORDS
        or marks.merge_due(db, mode)
        or marks.legacy_look_due(db)
        or not up_to_date(db, inputs_key(db, fingerprint), now)
        or clock_due(db, now)
    )


def _look(db: Database, account: str, record: dict[str, object]) -> str | None:
    """Ask the server; write and return the summary when nothing changed there either."""
    from supportinbox.errors import CredentialsError, UserError
    from supportinbox.mail import credentials
    from supportinbox.sync.lock import account_lock

    imap = record["imap"]
    assert isinstance(imap, dict)
    command = str(imap["password_command"])
    started = time.monotonic()
    try:
        with account_lock(account, wait=0):
            try:
                password = credentials.password_from_command(account, command)
            except CredentialsError as exc:
                credentials.hand_over(account, command, exc)
                raise _HandOn from None
            try:
                totals = _server_in_step(db, imap, password, record)
            except Exception:
                credentials.hand_over(account, command, password)
                raise
            if totals is None:
                credentials.hand_over(account, command, password)
                return None
            _mark_synced(db, [name for name, _ in totals])
    except UserError:
        return None  # the lock is held by another sync: the command waits for it and says so
    return totals_line("up to date", time.monotonic() - started, totals)


def _server_in_step(
    db: Database, imap: dict[str, object], password: str, record: dict[str, object]
) -> list[tuple[str, int]] | None:
    """Each synced folder with its message count when the server changed nothing, else None."""
    client = _connect(imap, password)
    try:
        capabilities = _capabilities(client)
        if not {"CONDSTORE", "QRESYNC"} & capabilities:
            return None  # no HIGHESTMODSEQ: flag changes cannot be told without fetching
        if "ID" in capabilities:
            _send_id(client)
        typ, listing = client.list('""', "*")
        if typ != "OK":
            return None
        seen = _listing_digest(listing)
        _seen["list"] = seen
        if record.get("list") != seen:
            return None
        totals = []
        folders = record["folders"]
        assert isinstance(folders, list)
        for role, name in folders:
            status = _status(client, str(name), _STATUS_ITEMS)
            if status is None or not _folder_in_step(db, str(role), str(name), status):
                return None
            totals.append((str(name), status["MESSAGES"]))
        if not _team_in_step(db, client, capabilities, str(record["notes_folder"])):
            return None
        return totals
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - a connection that broke is simply dropped
            client.shutdown()


def _listing_digest(listing: Sequence[object]) -> str:
    """The folder list as what decides the folders' roles: names and attributes, in any order.

    ``\\Marked`` and ``\\UnMarked`` say whether mail arrived since a folder was last looked
    at; they come and go without any change to the folders.
    """
    lines = []
    for line in listing:
        found = _LISTED.match(line) if isinstance(line, bytes) else None
        if found is None:
            lines.append(repr(line).encode())
            continue
        attributes = sorted(a for a in found.group(1).lower().split() if a not in _MARKS)
        lines.append(b" ".join(attributes) + b")" + found.group(2))
    return digest(b"\n".join(sorted(lines)))


def _connect(imap: dict[str, object], password: str) -> imaplib.IMAP4:
    import imaplib

    from supportinbox.mail.wire import trust_context

    host, port, security = str(imap["host"]), int(str(imap["port"])), str(imap["security"])
    ca_file = imap.get("ca_file")
    wait = min(float(str(imap["timeout"])), GREETING_WAIT)
    context = trust_context(str(ca_file) if ca_file is not None else None) if security != "none" else None
    client: imaplib.IMAP4
    if security == "tls":
        client = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=wait)
    elif security in ("starttls", "none"):
        client = imaplib.IMAP4(host, port, timeout=wait)
    else:
        raise _HandOn
    try:
        if client.welcome.upper().startswith(b"* PREAUTH"):
            raise _HandOn  # the full command refuses it or uses it as it is: it says which
        if security == "starttls":
            client.starttls(context)  # refuses a server that does not offer STARTTLS
        client.sock.settimeout(float(str(imap["timeout"])))
        client.login(str(imap["username"]), password)
    except BaseException:
        client.shutdown()
        raise
    return client


def _capabilities(client: imaplib.IMAP4) -> set[str]:
    """What the server offers after login (as announced with the login's OK, else asked)."""
    # imaplib keeps the login answer's response code (OK [CAPABILITY ...]) as a response.
    _, data = client.response("CAPABILITY")
    if not data or not isinstance(data[-1], bytes):
        typ, data = client.capability()
        if typ != "OK":
            raise _HandOn
    if not data or not isinstance(data[-1], bytes):
        raise _HandOn
    return {c.upper() for c in data[-1].decode("ascii", "replace").split()}


def _quoted(text: str) -> str:
    if not text.isascii() or not text.isprintable():
        raise _HandOn  # a name needing modified UTF-7: left to imapclient
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _send_id(client: imaplib.IMAP4) -> None:
    import imaplib

    from supportinbox.mail.wire import CLIENT_ID

    imaplib.Commands.setdefault("ID", ("AUTH", "SELECTED"))
    fields = " ".join(f"{_quoted(k)} {_quoted(v)}" for k, v in CLIENT_ID.items())
    try:
        client._simple_command("ID", f"({fields})")
    except client.abort:
        raise
    except client.error:
        pass  # refused: as the engine, carry on without


def _status(client: imaplib.IMAP4, name: str, items: Iterable[str]) -> dict[str, int] | None:
    """The folder's STATUS (item -> number), or None when the server says NO (no such folder)."""
    quoted = _quoted(name)
    typ, data = client.status(quoted, f"({' '.join(items)})")
    if typ != "OK":
        return None
    last = data[-1] if data else None
    found = _STATUS_ANSWER.match(last) if isinstance(last, bytes) else None
    if found is None or found.group(1) not in (quoted.encode(), name.encode()):
        raise _HandOn
    words = found.group(2).decode("ascii").split()
    status = {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}
    if not all(item in status for item in items):
        raise _HandOn
    return status


def _folder_in_step(db: Database, role: str, name: str, status: dict[str, int]) -> bool:
    from supportinbox.store.messages import count_cached, get_folder, in_step

    folder = get_folder(db.conn, name)
    return (
        folder is not None
        and folder.role == role
        and in_step(
            folder,
            uidvalidity=status["UIDVALIDITY"],
            uidnext=status["UIDNEXT"],
            highestmodseq=status["HIGHESTMODSEQ"],
            exists=status["MESSAGES"],
            cached=count_cached(db.conn, folder.id),
        )
    )


def _team_in_step(db: Database, client: imaplib.IMAP4, capabilities: set[str], notes_folder: str) -> bool:
    """Whether the state and notes folders hold nothing the cache has not read."""
    from supportinbox.mail.wire import in_namespace
    from supportinbox.team import marks

    prefix = _personal_prefix(client) if "NAMESPACE" in capabilities else ""
    state = _status(client, in_namespace(prefix, marks.STATE_FOLDER), marks.STATE_STATUS_ITEMS)
    if state is not None and not marks.state_log_current(db, state):
        return False
    notes = _status(client, in_namespace(prefix, notes_folder), marks.NOTES_STATUS_ITEMS)
    return notes is None or marks.notes_current(db, notes)


def _personal_prefix(client: imaplib.IMAP4) -> str:
    typ, data = client.namespace()
    answer = data[-1] if typ == "OK" and data else None
    if not isinstance(answer, bytes):
        raise _HandOn
    if answer.upper().startswith(b"NIL"):
        return ""
    found = _PERSONAL.match(answer)
    if found is None:
        raise _HandOn
    return found.group(1).decode("utf-8").replace('\\"', '"').replace("\\\\", "\\")


def _mark_synced(db: Database, names: list[str]) -> None:
    """What a full sync that found a folder unchanged writes: when it was last synced."""
    from supportinbox.store.db import utcnow_iso

    for name in names:
        with db.transaction() as conn:
            conn.execute("UPDATE folders SET last_sync = ? WHERE name = ?", (utcnow_iso(), name))


def remember(ctx: AccountContext, folders: Iterable[tuple[str, str]], *, quiet: bool) -> None:
    """Record what :func:`answer` needs, after a plain ``sync`` of the default config file.

    ``folders``: the (role, name) of each folder it synced. ``quiet``: the sync printed its
    summary line and nothing else (no warning, no team news); a record of a sync that said
    more is kept marked so, and declined (a warning may be said again by the next sync;
    the folder list's digest stays for the next quiet one). For an account the quick look
    cannot log in to, the record is removed. Written only when it differs and the file
    still parses to the same config. A failure to write only costs speed.
    """
    from supportinbox.store.triage_fresh import config_fingerprint

    target = paths.quick_sync_file()
    account = ctx.account
    config_file = paths.config_file()
    try:
        data = config_file.read_bytes()
    except OSError:
        data = None
    if data is None or account.uses_oauth2 or not account.password_command or account.acknowledgement.enabled:
        _forget(target)
        return
    record = {
        **stamp(config_file, data),
        "account": ctx.account_name,
        "fingerprint": config_fingerprint(ctx.config, account),
        "imap": {
            "host": account.imap_host,
            "port": account.imap_port,
            "security": account.imap_security,
            "ca_file": str(account.ca_file) if account.ca_file is not None else None,
            "username": account.username,
            "timeout": account.timeout,
            "password_command": account.password_command,
        },
        "notes_folder": account.notes_folder,
        "folders": [[role, name] for role, name in folders],
        "list": _seen.get("list"),
        "quiet": quiet,
    }
    try:
        before = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = None
    if isinstance(before, dict):
        if record["list"] is None:
            # No quick look reached the folder list this time (it found work in the cache
            # first): the one seen before still stands for the folders, until one sees another.
            record["list"] = before.get("list")
        if before == record:
            return
    if not parses_to(data, config_file, ctx.config):
        _forget(target)
        return
    paths.replace_private_file(target, json.dumps(record, indent=1))


def _forget(target: Path) -> None:
    with contextlib.suppress(OSError):
        target.unlink(missing_ok=True)
