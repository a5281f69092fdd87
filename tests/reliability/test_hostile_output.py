"""The hostile corpus, synced from a real Dovecot, renders inert on every CLI output.

Every corpus message is APPENDed (the few Dovecot refuses over IMAP are delivered straight
into the Maildir), synced by the real CLI, and then ``list``, ``list --json``, ``search`` and
``show`` of every conversation must contain no ESC, no C0/C1 control, no bidi override,
and show Rich markup from mail literally instead of interpreting it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from imapclient.exceptions import IMAPClientError

from tests.harness.bidi import without_isolated_fields
from tests.harness.cliproc import cached_uids, config_text, query, run_cli, server_uids, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import client
from tests.harness.replies import run_cli as run_in_process

pytestmark = [pytest.mark.server, pytest.mark.timeout(300)]

CORPUS = Path(__file__).resolve().parent / "corpus"
# Raw control bytes a terminal could act on (newline and tab are plain layout).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]")


def _assert_inert(text: str, what: str) -> None:
    # The isolates around a right-to-left field are ours, and only those.
    text = without_isolated_fields(text)
    found = UNSAFE.search(text)
    if found is not None:
        context = text[max(found.start() - 60, 0) : found.end() + 20]
        raise AssertionError(f"{what}: {found.group(0)!r} at {found.start()}: {context!r}")


def _deliver_corpus(server: Dovecot) -> list[str]:
    """APPEND every corpus message; return the names Dovecot refused (then put in the Maildir)."""
    refused: list[tuple[str, bytes]] = []
    with client(server) as imap:
        for path in sorted(CORPUS.glob("*.eml")):
            raw = path.read_bytes()
            try:
                imap.append("INBOX", raw)
            except IMAPClientError:
                refused.append((path.name, raw))
    if refused:
        server.deliver_files([raw for _, raw in refused])
    return [name for name, _ in refused]


@pytest.fixture
def synced(dovecot: Dovecot, supportinbox_home: Path) -> Path:
    """The corpus on the server and in the cache, through the real CLI."""
    refused = _deliver_corpus(dovecot)
    assert len(refused) < 10, refused
    write_config(supportinbox_home, config_text(imap_port=dovecot.imap_port, timeout=20, batch_size=25))
    run = run_cli(supportinbox_home, "sync", timeout=240)
    assert run.returncode == 0, run.describe()
    _assert_inert(run.stdout + run.stderr, "sync output")
    assert cached_uids(supportinbox_home) == server_uids(dovecot)
    assert len(cached_uids(supportinbox_home)) == len(list(CORPUS.glob("*.eml")))
    return supportinbox_home


def test_corpus_renders_inert_everywhere(synced: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = run_in_process(capsys, "list", "--status", "all", "--limit", "1000")
    assert listing.code == 0, listing.err
    _assert_inert(listing.out + listing.err, "list")
    # Markup from mail is printed as text, never interpreted (which would swallow the tags).
    assert "[bold red]" in listing.out or "[link=" in listing.out

    as_json = run_in_process(capsys, "list", "--status", "all", "--limit", "1000", "--json")
    assert as_json.code == 0, as_json.err
    _assert_inert(as_json.out, "list --json")
    rows = json.loads(as_json.out)
    ids = [row["id"] for row in rows]
    assert len(ids) == len({r[0] for r in query(synced, "SELECT DISTINCT conversation_id FROM messages")})

    for words in (["corpus"], ["URGENT"], ["click"], ["pwned"], ["مرحبا"], ["from:customer.test"]):
        found = run_in_process(capsys, "search", *words)
        assert found.code == 0, found.err
        _assert_inert(found.out + found.err, f"search {words}")
        found_json = run_in_process(capsys, "search", "--json", *words)
        _assert_inert(found_json.out, f"search --json {words}")

    markup_seen = False
    for ident in ids:
        shown = run_in_process(capsys, "show", ident)
        assert shown.code == 0, f"show {ident}: {shown.err}"
        _assert_inert(shown.out + shown.err, f"show {ident}")
        markup_seen = markup_seen or "[bold red]URGENT[/bold red]" in shown.out
        shown_json = run_in_process(capsys, "show", "--json", ident)
        assert shown_json.code == 0
        _assert_inert(shown_json.out, f"show --json {ident}")
    assert markup_seen, "the Rich markup subject was not shown literally"

    persian = json.loads(run_in_process(capsys, "search", "--json", "فوری").out)
    assert persian
    assert "می\u200cخواهم" in run_in_process(capsys, "show", persian[0]["id"]).out  # ZWNJ kept


def test_safe_json_escapes_c1_and_bidi_but_keeps_text_readable() -> None:
    from supportinbox.domain.safetext import safe_json

    data = {"s": "a\x1b[2J b\x9b31m c\u202efdp.exe d\u2028 مرحبا", "n": 1}
    text = safe_json(data)
    _assert_inert(text, "safe_json")
    assert "مرحبا" in text and json.loads(text) == data
