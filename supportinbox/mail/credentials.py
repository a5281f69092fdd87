"""Passwords: the system keyring first, else the account's ``password_command``.

A password is held only in memory, never written to config, cache, logs or error
messages. Error messages name the account and the remedy, never the secret.
"""

from __future__ import annotations

import shlex
import subprocess

import keyring
import keyring.errors
from keyring.backends import fail as fail_backend

from supportinbox.config import AccountConfig
from supportinbox.errors import CredentialsError

SERVICE = "supportinbox"


def _key(account_name: str, account: AccountConfig) -> str:
    return f"{account_name}:{account.username}@{account.imap_host}"


def _keyring_usable() -> bool:
    backend = keyring.get_keyring()
    if isinstance(backend, fail_backend.Keyring):
        return False
    return type(backend).__module__ != "keyring.backends.null"


def store_password(account_name: str, account: AccountConfig, password: str) -> None:
    if not _keyring_usable():
        raise CredentialsError(
            "no system keyring is available on this machine: set password_command in "
            f"[accounts.{account_name}] (e.g. \"pass show support\") instead of 'supportinbox login'"
        )
    try:
        keyring.set_password(SERVICE, _key(account_name, account), password)
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(
            f"the system keyring refused to store the password: {type(exc).__name__}"
        ) from None


def delete_password(account_name: str, account: AccountConfig) -> bool:
    """Remove the stored password; False if there was none."""
    if not _keyring_usable():
        return False
    try:
        keyring.delete_password(SERVICE, _key(account_name, account))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"the system keyring failed: {type(exc).__name__}") from None
    return True


def _from_command(account_name: str, command: str, timeout: float = 30) -> str:
    try:
        result = subprocess.run(
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise CredentialsError(
            f"password_command of account {account_name!r} cannot run: "
            f"{shlex.split(command)[0]!r} was not found"
        ) from None
    except subprocess.TimeoutExpired:
        raise CredentialsError(
            f"password_command of account {account_name!r} did not finish within {timeout:.0f} s"
        ) from None
    except ValueError as exc:
        raise CredentialsError(f"password_command of account {account_name!r} is malformed: {exc}") from None
    if result.returncode != 0:
        raise CredentialsError(
            f"password_command of account {account_name!r} failed with exit code {result.returncode}"
        )
    password = result.stdout.splitlines()[0] if result.stdout else ""
    if not password:
        raise CredentialsError(f"password_command of account {account_name!r} printed no password")
    return password


def get_password(account_name: str, account: AccountConfig) -> str:
    """The account's password, or a :class:`CredentialsError` naming both ways to give one."""
    if _keyring_usable():
        try:
            stored = keyring.get_password(SERVICE, _key(account_name, account))
        except keyring.errors.KeyringError:
            stored = None
        if stored:
            return stored
    if account.password_command:
        return _from_command(account_name, account.password_command)
    raise CredentialsError(
        f"no password for account {account_name!r}: run 'supportinbox login' to store it in the "
        f"system keyring, or set password_command in [accounts.{account_name}]"
        + ("" if _keyring_usable() else " (this machine has no keyring backend, so password_command it is)")
    )
