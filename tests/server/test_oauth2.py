"""OAuth2 logins end to end: Dovecot's oauth2 passdb and aiosmtpd, one token authority.

The access token comes from ``oauth2_token_command`` (run by ``sh -c``); the test Dovecot
checks it by RFC 7662 introspection against a local HTTP server, the SMTP server against
the same authority. A token that expires is replaced by running the command again, once;
a token that stays refused is one line and exit 5.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.errors import AuthenticationFailed
from supportinbox.mail import credentials, smtp
from supportinbox.mail.imap import connect, logout
from tests.conftest import write_config
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.mail import append, make_message
from tests.harness.oauth import TokenAuthority
from tests.harness.replies import run_cli
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server


@pytest.fixture(autouse=True)
def _no_cached_tokens() -> Iterator[None]:
    credentials.forget_tokens()
    yield
    credentials.forget_tokens()


@pytest.fixture
def authority() -> Iterator[TokenAuthority]:
    server = TokenAuthority().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def oauth_dovecot(authority: TokenAuthority) -> Iterator[Dovecot]:
    root = make_root()
    conf = root / "oauth2.conf.ext"
    conf.write_text(authority.dovecot_oauth2_file())
    conf.chmod(0o644)
    server = Dovecot(root, extra_config=authority.dovecot_config(str(conf)) + "imap_id_log = *\n")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def oauth_smtp(authority: TokenAuthority) -> Iterator[SmtpServer]:
    server = SmtpServer(oauth=authority).start()
    try:
        yield server
    finally:
        server.stop()


class TokenHelper:
    """A stand-in for oama or mutt_oauth2.py: prints the next token of a list at each run."""

    def __init__(self, base: Path, tokens: list[str]) -> None:
        self.tokens = base / "tokens"
        self.count = base / "runs"
        self.tokens.write_text("".join(t + "\n" for t in tokens))

    @property
    def command(self) -> str:
        return (
            f'n=$(cat "{self.count}" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "{self.count}"; '
            f'sed -n "${{n}}p" "{self.tokens}"'
        )

    @property
    def runs(self) -> int:
        return int(self.count.read_text()) if self.count.exists() else 0


def _config(home: Path, dovecot: Dovecot, smtp_server: SmtpServer, helper: TokenHelper) -> None:
    command = helper.command.replace("\\", "\\\\").replace('"', '\\"')
    write_config(
        home,
        f"""
[accounts.support]
email = "support@acme.test"
display_name = "Acme Support"
agent = "alice"
username = "support"
auth = "oauth2"
oauth2_token_command = "{command}"
imap_host = "127.0.0.1"
imap_port = {dovecot.imap_port}
imap_security = "none"
smtp_host = "127.0.0.1"
smtp_port = {smtp_server.port}
smtp_security = "none"
timeout = 10
""",
    )


def test_imap_and_smtp_log_in_with_an_access_token(
    supportinbox_home: Path,
    tmp_path: Path,
    authority: TokenAuthority,
    oauth_dovecot: Dovecot,
    oauth_smtp: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    append(oauth_dovecot, [make_message(message_id="<q@customer.test>", subject="Cannot log in")])
    helper = TokenHelper(tmp_path, [authority.issue("support")])
    _config(supportinbox_home, oauth_dovecot, oauth_smtp, helper)
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    assert "1 new" in synced.out or "1 message" in synced.out
    _, account = load_config().account()
    refused = smtp.send(
        "support", account, b"Subject: hi\r\n\r\nhello\r\n", "support@acme.test", ["c@x.test"]
    )
    assert refused == {} and len(oauth_smtp.received) == 1
    assert helper.runs == 1  # one token, kept in memory for every connection of the process
    assert authority.asked  # Dovecot really asked the authority
    # IMAP ID went to the server that announced it.
    info = (oauth_dovecot.root / "log" / "dovecot-info.log").read_text()
    assert "ID sent: name=supportinbox" in info
    assert run_cli(capsys, "login").out.startswith("account 'support' logs in with OAuth2")


def test_an_expired_token_is_replaced_by_running_the_command_again(
    supportinbox_home: Path,
    tmp_path: Path,
    authority: TokenAuthority,
    oauth_dovecot: Dovecot,
    oauth_smtp: SmtpServer,
) -> None:
    expired = authority.issue("support")
    authority.revoke(expired)
    helper = TokenHelper(tmp_path, [expired, authority.issue("support")])
    _config(supportinbox_home, oauth_dovecot, oauth_smtp, helper)
    _, account = load_config().account()
    logout(connect("support", account))
    assert helper.runs == 2
    # The fresh token is kept: SMTP uses it without running the command again.
    smtp.send("support", account, b"Subject: hi\r\n\r\nhello\r\n", "support@acme.test", ["c@x.test"])
    assert helper.runs == 2 and len(oauth_smtp.received) == 1
    # It expires in turn: SMTP asks for a fresh one too, once.
    authority.revoke(helper.tokens.read_text().split()[1])
    with helper.tokens.open("a") as tokens:
        tokens.write(authority.issue("support") + "\n")
    smtp.send("support", account, b"Subject: again\r\n\r\nhello\r\n", "support@acme.test", ["c@x.test"])
    assert helper.runs == 3 and len(oauth_smtp.received) == 2


def test_a_refused_token_is_one_line_and_exit_5(
    supportinbox_home: Path,
    tmp_path: Path,
    authority: TokenAuthority,
    oauth_dovecot: Dovecot,
    oauth_smtp: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = ["ya29.not-a-token-of-ours", "ya29.still-not-ours", "ya29.nor-this", "ya29.nor-that"]
    helper = TokenHelper(tmp_path, wrong)
    _config(supportinbox_home, oauth_dovecot, oauth_smtp, helper)
    result = run_cli(capsys, "sync")
    assert result.code == 5 and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "refused the OAuth2 access token, also a fresh one" in result.err
    assert "oauth2_token_command" in result.err
    assert not any(token in result.err + result.out for token in wrong)
    assert helper.runs == 2
    log = (supportinbox_home / "state").glob("supportinbox.log*")  # and its rotated backups
    assert not any(token in path.read_text() for path in log for token in wrong)
    # SMTP says the same kind of line.
    credentials.forget_tokens()
    _, account = load_config().account()
    with pytest.raises(AuthenticationFailed, match="refused the OAuth2 access token") as refused:
        smtp.send("support", account, b"Subject: hi\r\n\r\nx\r\n", "support@acme.test", ["c@x.test"])
    assert not any(token in refused.value.message for token in wrong)
    assert oauth_smtp.received == []


def test_a_failing_token_command_says_so(
    supportinbox_home: Path,
    oauth_dovecot: Dovecot,
    oauth_smtp: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    helper = TokenHelper(supportinbox_home.parent, [])
    _config(supportinbox_home, oauth_dovecot, oauth_smtp, helper)
    empty = run_cli(capsys, "sync")
    assert empty.code == 3 and "printed no access token" in empty.err
    text = (supportinbox_home / "config" / "config.toml").read_text()
    broken = text.replace(helper.command.replace('"', '\\"'), "echo expired >&2; exit 4")
    (supportinbox_home / "config" / "config.toml").write_text(broken)
    failed = run_cli(capsys, "sync")
    assert failed.code == 3 and "failed with exit code 4" in failed.err and "expired" not in failed.err
