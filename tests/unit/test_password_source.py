"""Where the password comes from: password_command when it is set, else the system keyring."""

from __future__ import annotations

import subprocess
import sys

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
