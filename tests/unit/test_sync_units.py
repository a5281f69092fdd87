"""Pure pieces of the sync: FETCH parsing, BODYSTRUCTURE reading, UID sets, folder roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from imapclient.exceptions import ProtocolError

from supportinbox.config import AccountConfig
from supportinbox.mail.fetcher import uid_set
from supportinbox.mail.fetchparse import internaldate, parse_fetch
from supportinbox.mail.imap import discover_folders
from supportinbox.sync.engine import FolderResult, SyncResult, _vanished_uids
from supportinbox.sync.structure import parse_structure


def test_parse_fetch_with_literals_quotes_and_nil() -> None:
    data: list[Any] = [
        (b"1 (UID 7 FLAGS (\\Seen $si-x) BODY[HEADER] {12}", b"Subject: a\r\n"),
        b' INTERNALDATE "26-Nov-2026 04:42:59 +0330" RFC822.SIZE 99 MODSEQ (12)'
        b' BODYSTRUCTURE ("text" "plain" ("charset" "utf-8" "name" "a \\"b\\"") NIL NIL "7bit" 3 1'
        b" NIL NIL NIL NIL))",
        b"2 (FLAGS (\\Deleted))",  # unsolicited, no UID: dropped
    ]
    parsed = parse_fetch(data)
    assert list(parsed) == [7]
    message = parsed[7]
    assert message[b"FLAGS"] == (b"\\Seen", b"$si-x")
    assert message[b"BODY[HEADER]"] == b"Subject: a\r\n"
    assert message[b"RFC822.SIZE"] == 99 and message[b"MODSEQ"] == (12,)
    assert message[b"INTERNALDATE"].astimezone(UTC) == datetime(2026, 11, 26, 1, 12, 59, tzinfo=UTC)
    structure = message[b"BODYSTRUCTURE"]
    assert structure[2] == (b"charset", b"utf-8", b"name", b'a "b"') and structure[3] is None


@pytest.mark.parametrize(
    "data",
    [[b"1 (UID 1 FLAGS (\\Seen)"], [b"1 (UID 1 FLAGS))"], [(b"1 (UID 1 BODY[] 5", b"hello")], [b"1 (UID)"]],
)
def test_parse_fetch_refuses_malformed_answers(data: list[Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_fetch(data)


def test_parse_fetch_refuses_absurd_nesting() -> None:
    with pytest.raises(ProtocolError, match="deeply"):
        parse_fetch([b"1 (UID 1 X " + b"(" * 5000 + b")" * 5000 + b")"])


def test_internaldate_is_locale_free_and_tolerant() -> None:
    assert internaldate(b" 1-Jan-2026 00:00:00 -0500") == datetime(2026, 1, 1, 5, tzinfo=UTC)
    assert internaldate(b"31-Foo-2026 00:00:00 +0000") is None
    assert internaldate(b"31-Feb-2026 00:00:00 +0000") is None


def _leaf(maintype: bytes, subtype: bytes, *, size: int = 10, disposition: Any = None) -> tuple[Any, ...]:
    base: tuple[Any, ...] = (maintype, subtype, (b"charset", b"utf-8"), None, None, b"base64", size)
    if maintype == b"text":
        return (*base, 1, None, disposition, None, None)
    return (*base, None, disposition, None, None)


def test_structure_prefers_plain_and_lists_attachments_in_both_shapes() -> None:
    alternative = (_leaf(b"text", b"plain"), _leaf(b"text", b"html"), b"alternative", None)
    attachment = _leaf(
        b"application",
        b"pdf",
        size=78_000,
        disposition=(b"attachment", (b"filename*", b"utf-8''%D9%82%D8%A8%D8%B6.pdf")),
    )
    raw_form = (alternative, attachment, b"mixed", (b"boundary", b"x"), None, None)
    structure = parse_structure(raw_form)
    assert structure.text is not None
    assert (structure.text.section, structure.text.html, structure.text.encoding) == ("1.1", False, "base64")
    [pdf] = structure.attachments
    assert (pdf.filename, pdf.content_type, pdf.part, pdf.size) == ("قبض.pdf", "application/pdf", "2", 57_000)
    # imapclient's shape: the children come as one list.
    client_form = ([[_leaf(b"text", b"html")], attachment], b"mixed")
    nested = ([([_leaf(b"text", b"html")], b"alternative"), attachment], b"mixed")
    assert parse_structure(nested).text is not None
    assert parse_structure(client_form).attachments[0].part == "2"


def test_structure_of_a_single_part_message_and_garbage() -> None:
    single = parse_structure(_leaf(b"text", b"html"))
    assert single.text is not None and single.text.section == "1" and single.text.html
    assert parse_structure(None).text is None
    assert parse_structure((b"x",)).text is None
    assert parse_structure(((),)).text is None


def test_uid_sets_and_vanished_ranges() -> None:
    assert uid_set([5, 1, 2, 3, 9, 12, 13]) == "1:3,5,9,12:13"
    cached = [1, 2, 5, 10, 4_000_000_000]
    assert _vanished_uids([b"(EARLIER) 2:9,4000000000", b"11:3999999999"], cached) == {2, 5, 4_000_000_000}


class FakeClient:
    def __init__(self, listing: list[tuple[tuple[bytes, ...], str]]) -> None:
        self.listing = listing

    def list_folders(self) -> list[tuple[tuple[bytes, ...], bytes, str]]:
        return [(flags, b"/", name) for flags, name in self.listing]


def _account(**overrides: Any) -> AccountConfig:
    return AccountConfig(email="s@acme.test", username="s", imap_host="imap.acme.test", **overrides)


def test_folder_roles_from_special_use_then_names() -> None:
    special = FakeClient([((), "INBOX"), ((b"\\Junk",), "Courrier indésirable"), ((b"\\Sent",), "Envoyés")])
    roles = discover_folders(special, _account())  # type: ignore[arg-type]
    assert (roles.junk, roles.sent, roles.problems) == ("Courrier indésirable", "Envoyés", [])
    gmail = FakeClient([((), "INBOX"), ((), "[Gmail]/Spam"), ((), "[Gmail]/Sent Mail")])
    roles = discover_folders(gmail, _account())  # type: ignore[arg-type]
    assert (roles.junk, roles.sent) == ("[Gmail]/Spam", "[Gmail]/Sent Mail")
    bare = FakeClient([((), "INBOX")])
    roles = discover_folders(bare, _account())  # type: ignore[arg-type]
    assert roles.by_role() == {"inbox": "INBOX"}
    assert len(roles.problems) == 2 and "junk_folder" in roles.problems[0]


def test_summary_line_names_folders_and_changes() -> None:
    from supportinbox.cli.sync_cmds import summary_line

    result = SyncResult(
        folders=[
            FolderResult("INBOX", "inbox", new=9000, total=9000),
            FolderResult("Junk", "junk", new=800, updated=3, total=800),
            FolderResult("Sent", "sent", new=200, vanished=2, rebuilt=True, total=200),
        ],
        seconds=12.34,
    )
    assert summary_line(result) == (
        "synced 10,000 messages in 12.3 s (INBOX 9,000 new, Junk 800 new, Sent 200 new); "
        "3 flag changes; 2 removed on the server; Sent fetched again (the server renumbered it)"
    )
    quiet = SyncResult(folders=[FolderResult("INBOX", "inbox", total=5)], seconds=0.05)
    assert summary_line(quiet) == "up to date in 0.1 s (INBOX 5)"
