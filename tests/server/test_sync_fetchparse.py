"""The fast FETCH parser reads real Dovecot answers exactly as imapclient's parser does."""

from __future__ import annotations

import os

import pytest
from imapclient.response_parser import parse_fetch_response

from supportinbox.mail.fetchparse import parse_fetch
from supportinbox.sync.structure import parse_structure
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message

pytestmark = [pytest.mark.server, pytest.mark.both_servers]


def test_same_answers_as_imapclient_on_varied_mail(dovecot: Dovecot) -> None:
    append(
        dovecot,
        [
            make_message(subject='quotes " and \\ backslash', body="plain"),
            make_message(subject="=?UTF-8?B?2LnYp9is2YQ=?=", html="<p>x</p>"),
            make_message(attachment=("naïve name (1).pdf", os.urandom(3000)), html="<b>y</b>"),
            b"Subject: bare\r\n\r\nno mime at all",
            # Cyrus refuses NUL bytes and header lines without a colon: there the garbage is all body.
            b"\x00\xff garbage" if isinstance(dovecot, Dovecot) else b"\r\n\xff garbage",
        ],
        flags=("\\Seen", "$si-claimed-bob"),
    )
    items = ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "MODSEQ", "BODYSTRUCTURE", "BODY.PEEK[HEADER]"]
    with client(dovecot) as imap:
        imap.enable("CONDSTORE")
        imap.select_folder("INBOX", readonly=True)
        for request in (items, ["UID", "BODY.PEEK[1]<0.262144>"], ["UID", "BODY.PEEK[1]<0.10>"]):
            tag = imap._imap._command("UID", "FETCH", "1:*", "(" + " ".join(request) + ")")
            typ, data = imap._imap._command_complete("FETCH", tag)
            assert typ == "OK"
            _, data = imap._imap._untagged_response(typ, data, "FETCH")
            ours = parse_fetch(data)
            theirs = parse_fetch_response(data, False, True)
            assert sorted(ours) == sorted(theirs) == [1, 2, 3, 4, 5]
            for uid, expected in theirs.items():
                got = ours[uid]
                assert set(got) == set(expected)
                for key, value in expected.items():
                    if key == b"BODYSTRUCTURE":
                        assert parse_structure(got[key]) == parse_structure(value)
                    elif key == b"INTERNALDATE":
                        assert got[key] == value and got[key].utcoffset() == value.utcoffset()
                    else:
                        assert got[key] == value, key
