"""Where the password comes from: password_command when it is set, else the system keyring."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest

from supportinbox.config import AccountConfig
from supportinbox.errors import CredentialsError
from supportinbox.mail import credentials

ACCOUNT = AccountConfig(email="support@acme.test", username="support", imap_host="imap.acme.test")


def test_password_command_is_used_without_asking_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_keyring() -> None:
        raise AssertionError("the keyring was consulted")

    monkeypatch.setattr(keyring, "get_keyring", no_keyring)
    account = ACCOUNT.model_copy(update={"password_command": "printf 's3cret\\nignored\\n'"})
    assert credentials.get_password("support", account) == "s3cret"


def test_a_failing_password_command_is_the_error_not_a_keyring_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keyring, "get_password", lambda *_: "from-the-keyring")
    account = ACCOUNT.model_copy(update={"password_command": "echo nope >&2; exit 3"})
    with pytest.raises(CredentialsError, match="failed with exit code 3: nope"):
        credentials.get_password("support", account)


def test_without_a_command_the_keyring_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "_keyring_usable", lambda: True)
    monkeypatch.setattr(keyring, "get_password", lambda service, key: f"{service}/{key}")
    assert credentials.get_password("support", ACCOUNT) == "supportinbox/support:support@imap.acme.test"


def test_a_password_command_never_loads_the_keyring() -> None:
    code = (
        "import sys\n"
        "from supportinbox.config import AccountConfig\n"
        "from supportinbox.mail import credentials\n"
        "account = AccountConfig(email='a@b.test', username='a', imap_host='h', password_command='echo pw')\n"
        "assert credentials.get_password('a', account) == 'pw'\n"
        "print('keyring' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_credential_command_that_hangs_is_stopped_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        CredentialsError, match=r"^password_command of account 'support' did not finish within 0 s$"
    ):
        credentials.password_from_command("support", "sleep 5", timeout=0.2)
    monkeypatch.setattr(credentials, "TOKEN_COMMAND_TIMEOUT", 0.2)
    with pytest.raises(CredentialsError, match=r"^oauth2_token_command of account 'support' did not finish"):
        credentials._token_from_command("support", "sleep 5")


def test_a_token_command_keeps_our_input_a_password_command_does_not() -> None:
    # A token helper may ask to be authorized again; a password command must not wait for input.
    read, write = os.pipe()
    os.write(write, b"typed\n")
    os.close(write)
    saved = os.dup(0)
    os.dup2(read, 0)
    try:
        assert (
            credentials.password_from_command("support", 'read line && echo "$line" || echo no-input')
            == "no-input"
        )
        assert credentials._token_from_command("support", 'read line; echo "$line"') == "typed"
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read)


def test_a_hanging_credential_command_leaves_nothing_running(tmp_path: Path) -> None:
    """Stopped after its time, the command goes with what it started: under cron, a helper
    that hangs by itself would otherwise stay behind after every run."""
    pids = tmp_path / "pids"
    # A pipeline and a child of a child, as `pass show x | head -1` starts gpg under pass.
    command = f"sh -c 'echo $$ >> {pids}; sleep 300' | (echo $$ >> {pids}; sleep 300)"
    with pytest.raises(CredentialsError, match="did not finish within"):
        credentials.password_from_command("support", command, timeout=1)
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) == 2
    for pid in started:
        _wait_gone(pid)


def _wait_gone(pid: int) -> None:
    """Until ``pid`` is gone or a zombie (its parent, the shell killed, was init)."""
    for _ in range(200):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read()
        except FileNotFoundError:
            return
        if fields[fields.rfind(b")") + 2 :].split()[0] == b"Z":
            return
        time.sleep(0.05)
    os.kill(pid, 9)  # not left behind by the test either
    raise AssertionError(f"process {pid} is still running")
