"""Passwords (``password_command`` when set, else the system keyring) and OAuth2 access tokens.

A password or token is held only in memory, never written to config, cache, logs or error
messages. Error messages name the account and the remedy, never the secret.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import warnings

from supportinbox.domain.safetext import one_line
from supportinbox.errors import CredentialsError

# Not typing.TYPE_CHECKING: a no-change sync answered before the program loads runs the
# password command through this module and loads little else.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from supportinbox.config import AccountConfig

SERVICE = "supportinbox"


def _key(account_name: str, account: AccountConfig) -> str:
    return f"{account_name}:{account.username}@{account.imap_host}"


def _keyring_usable() -> bool:
    import keyring
    from keyring.backends import fail as fail_backend

    with warnings.catch_warnings():
        # Some backends warn while they are probed; a user sees the answer, not the warning.
        warnings.simplefilter("ignore")
        backend = keyring.get_keyring()
    if isinstance(backend, fail_backend.Keyring):
        return False
    return type(backend).__module__ != "keyring.backends.null"


def check_keyring(account_name: str) -> None:
    """Raise the one-line explanation when this machine has no usable keyring."""
    if not _keyring_usable():
        raise CredentialsError(
            "no system keyring is available on this machine: set password_command in "
            f"[accounts.{account_name}] (e.g. \"pass show support\") instead of 'supportinbox login'"
        )


def store_password(account_name: str, account: AccountConfig, password: str) -> None:
    import keyring.errors

    check_keyring(account_name)
    try:
        keyring.set_password(SERVICE, _key(account_name, account), password)
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(
            f"the system keyring refused to store the password: {type(exc).__name__}"
        ) from None


def delete_password(account_name: str, account: AccountConfig) -> bool:
    """Remove the stored password; False if there was none."""
    import keyring.errors

    if not _keyring_usable():
        return False
    try:
        keyring.delete_password(SERVICE, _key(account_name, account))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"the system keyring failed: {type(exc).__name__}") from None
    return True


def _run_command(
    where: str, command: str, timeout: float, *, stdin: int | None
) -> subprocess.CompletedProcess[str]:
    """Run a credential command through ``sh -c`` and take what it printed; ``where`` names the
    setting in the error when it cannot run or does not finish."""
    try:
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        raise CredentialsError(f"{where} cannot run: {exc.strerror or type(exc).__name__}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # What the shell started goes too: under cron, a helper stuck on its own (a pinentry
        # nobody answers) would otherwise be left behind by every run.
        for pid in [*_descendants(process.pid), process.pid]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        # Not communicate(): a daemon the command started (an agent) may hold its output open.
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        raise CredentialsError(f"{where} did not finish within {timeout:.0f} s") from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _descendants(pid: int) -> list[int]:
    """The processes ``pid`` started and theirs, as /proc lists them now (none without /proc).

    Not a process group of their own: a helper asking for a passphrase at the terminal
    (pinentry) must stay in the terminal's foreground group to read from it.
    """
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read()
        except OSError:
            continue  # gone meanwhile
        # "pid (name) state ppid ...": the name may hold spaces and parentheses.
        after_name = fields[fields.rfind(b")") + 2 :].split()
        if len(after_name) > 1 and after_name[1].isdigit():
            children.setdefault(int(after_name[1]), []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def password_from_command(account_name: str, command: str, timeout: float = 30) -> str:
    """Run ``command`` through ``sh -c`` (like mbsync's PassCmd): ``~``, ``$VAR`` and pipes work.

    The first line it prints is the password. When it fails, its own error output is shown
    (never what it printed on stdout: that may be the password).
    """
    where = f"password_command of account {account_name!r}"
    result = _run_command(where, command, timeout, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        said = one_line(
            " / ".join(line.strip() for line in result.stderr.splitlines() if line.strip()), limit=300
        )
        raise CredentialsError(
            f"{where} failed with exit code {result.returncode}"
            + (f": {said}" if said else " and printed no error")
        )
    password = result.stdout.splitlines()[0] if result.stdout else ""
    if not password:
        raise CredentialsError(f"{where} printed no password")
    return password


# What ``password_command`` gave earlier in this process (the quick sync that handed the
# run on to the full command): used once, so the command does not run, or fail, twice.
_GIVEN: dict[tuple[str, str], str | CredentialsError] = {}


def hand_over(account_name: str, command: str, outcome: str | CredentialsError) -> None:
    """Keep what ``command`` printed (or how it failed) for the next :func:`get_password`."""
    _GIVEN[(account_name, command)] = outcome


def get_password(account_name: str, account: AccountConfig) -> str:
    """The account's password, or a :class:`CredentialsError` naming both ways to give one.

    ``password_command`` when it is set, as the config says ("otherwise the system
    keyring"): the keyring is then never loaded, which also spares every ``sync`` from
    cron the keyring's backend detection (a fifth of a second).
    """
    if account.password_command:
        given = _GIVEN.pop((account_name, account.password_command), None)
        if isinstance(given, CredentialsError):
            raise given
        return given or password_from_command(account_name, account.password_command)
    if _keyring_usable():
        import keyring.errors

        try:
            stored = keyring.get_password(SERVICE, _key(account_name, account))
        except keyring.errors.KeyringError:
            stored = None
        if stored:
            return stored
    raise CredentialsError(
        f"no password for account {account_name!r}: run 'supportinbox login' to store it in the "
        f"system keyring, or set password_command in [accounts.{account_name}]"
        + ("" if _keyring_usable() else " (this machine has no keyring backend, so password_command it is)")
    )


# Access tokens from oauth2_token_command, per account, for the life of the process: the
# app connects often, and a token lasts about an hour. A refused token is replaced by
# asking the command again (oauth2_token).
_TOKENS: dict[str, str] = {}
_TOKENS_LOCK = threading.Lock()
TOKEN_COMMAND_TIMEOUT = 120.0  # a helper may refresh over the network first


def oauth2_token(account_name: str, account: AccountConfig, *, fresh: bool = False) -> str:
    """An access token for the account from ``oauth2_token_command``.

    ``fresh``: the last one was refused (expired): run the command again. Helpers such as
    oama or mutt_oauth2.py refresh the token themselves when it has expired.
    """
    key = f"{_key(account_name, account)}:{account.imap_port}"
    with _TOKENS_LOCK:
        if not fresh and key in _TOKENS:
            return _TOKENS[key]
    token = _token_from_command(account_name, account.oauth2_token_command or "")
    with _TOKENS_LOCK:
        _TOKENS[key] = token
    return token


def _token_from_command(account_name: str, command: str) -> str:
    where = f"oauth2_token_command of account {account_name!r}"
    if not command:
        raise CredentialsError(f"{where} is not set: it must print an OAuth2 access token")
    # A shell command line, as in aerc's and himalaya's token commands (pipes, ~, $VARS); it
    # keeps the terminal's input, where a helper may ask to be authorized again.
    result = _run_command(where, command, TOKEN_COMMAND_TIMEOUT, stdin=None)
    if result.returncode != 0:
        # Its error output is not echoed: a helper may print more than it should.
        raise CredentialsError(
            f"{where} failed with exit code {result.returncode}: run it in a terminal to see why "
            "(the helper may need to be authorized again)"
        )
    token = next((line.strip() for line in result.stdout.splitlines() if line.strip()), "")
    if not token:
        raise CredentialsError(f"{where} printed no access token")
    if not all(33 <= ord(c) <= 126 for c in token):
        raise CredentialsError(f"{where} printed something that is not an access token (spaces or controls)")
    return token


def forget_tokens() -> None:
    """Drop every cached access token (the next login runs the token command)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()
