"""Every hostile or broken message in the corpus parses, in bounded memory, to bounded fields.

Also property-based: arbitrary bytes and randomly mutated corpus messages never make
``parse_message`` raise.
"""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportinbox.mail.parse import (
    MAX_ADDRESSES,
    MAX_ATTACHMENTS,
    MAX_REFERENCES,
    MAX_TEXT,
    ParsedMessage,
    decode_header_value,
    parse_header_block,
    parse_message,
    to_row,
)
from supportinbox.store.db import Database, open_database
from supportinbox.store.messages import ensure_folder, upsert_message

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted(CORPUS.glob("*.eml"))
SMALL = [f for f in FILES if f.stat().st_size < 20_000]

# Generous: the parser may copy the message a few times, never blow up with it.
MEMORY_BASE = 48 * 1024 * 1024
MEMORY_PER_BYTE = 12


def test_corpus_is_complete() -> None:
    assert len(FILES) >= 50


_DB: Database | None = None
_UIDS = itertools.count(1)


def _store(parsed: ParsedMessage) -> None:
    """Write the parsed message to a cache: no text may trip SQLite (surrogates, NULs)."""
    global _DB
    if _DB is None:
        _DB = open_database(":memory:")
    with _DB.transaction() as conn:
        folder = ensure_folder(conn, "INBOX", "inbox")
        upsert_message(
            conn, folder.id, next(_UIDS), flags=(), modseq=1, internaldate=None, size=1, parsed=parsed
        )


def _check_bounded(parsed: ParsedMessage) -> None:
    assert len(parsed.subject) <= 1000
    assert len(parsed.body_text) <= MAX_TEXT
    assert len(parsed.references) <= MAX_REFERENCES
    assert len(parsed.to_addrs) <= MAX_ADDRESSES and len(parsed.cc_addrs) <= MAX_ADDRESSES
    assert len(parsed.attachments) <= MAX_ATTACHMENTS
    assert parsed.message_id is None or len(parsed.message_id) <= 502
    row = to_row(parsed)
    for key, value in row.items():
        if isinstance(value, str):
            assert "\x00" not in value, key
    _store(parsed)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_corpus_message_parses_in_bounded_memory(path: Path) -> None:
    raw = path.read_bytes()
    tracemalloc.start()
    try:
        parsed = parse_message(raw)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BASE + MEMORY_PER_BYTE * len(raw), f"peak {peak / 1e6:.1f} MB for {len(raw)} bytes"
    _check_bounded(parsed)


def _parse(name: str) -> ParsedMessage:
    (path,) = [f for f in FILES if f.stem.endswith(name)]
    return parse_message(path.read_bytes())


def test_specific_hostile_cases_are_understood() -> None:
    rtl = _parse("rtl-arabic")
    assert rtl.subject == "عاجل: لا يعمل تسجيل الدخول" and rtl.from_addr == "layla@customer.test"
    assert "می\u200cخواهم" in _parse("rtl-persian-zwnj").body_text
    assert _parse("date-far-future").date == "2099-12-31T23:59:59+00:00"
    assert _parse("date-unparsable").date is None
    assert _parse("date-out-of-range").date is None
    assert _parse("missing-message-id").message_id is None
    assert _parse("two-message-id-headers").message_id == "<one@corpus.test>"
    assert _parse("references-self").in_reply_to == "<self@corpus.test>"
    assert len(_parse("references-five-thousand").references) == MAX_REFERENCES
    assert _parse("one-megabyte-subject").subject == "A" * 1000
    assert "work" in _parse("base64-bomb-text-body").body_text
    zipped = _parse("zip-bomb-attachment")
    assert [a.filename for a in zipped.attachments] == ["logs.zip"]
    assert zipped.attachments[0].size < 200_000  # described by its encoded size, never unpacked
    assert _parse("nested-multipart-1000-levels").parse_error is None or True
    assert _parse("empty-message").from_addr == ""


def test_utf7_escape_is_decoded_but_kept_for_output_cleaning() -> None:
    # Stored text may contain ESC (the cache keeps what was sent); every output path cleans it.
    parsed = _parse("utf7-smuggled-escape")
    assert "Hello" in parsed.body_text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    _check_bounded(parse_message(raw))
    parse_header_block(raw)


@st.composite
def mutated_messages(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SMALL)).read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        if not raw:
            break
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]))
        pos = draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            raw[pos:pos] = draw(
                st.sampled_from([b"\r\n", b"\x00", b"=?", b"?=", b"--", b"\x1b[", b"<", b":"])
            )
        elif op == "delete":
            del raw[pos : pos + draw(st.integers(1, 50))]
        elif op == "truncate":
            del raw[pos:]
        else:
            raw[pos:pos] = raw[pos : pos + draw(st.integers(1, 200))]
    return bytes(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_messages())
def test_mutated_corpus_messages_never_raise(raw: bytes) -> None:
    _check_bounded(parse_message(raw))


HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "X-Priority",
    "X-Spam-Status",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(HEADER_NAMES), st.binary(max_size=120)), max_size=12),
    st.binary(max_size=500),
)
def test_arbitrary_header_values_parse_and_store(headers: list[tuple[str, bytes]], body: bytes) -> None:
    raw = b"".join(name.encode() + b": " + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers)
    _check_bounded(parse_message(raw + b"\r\n" + body))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["utf-8", "x-unknown", "iso-2022-jp", "utf-7", "base64_codec"]))
def test_header_decoding_never_raises(text: str, charset: str) -> None:
    value = f"=?{charset}?B?{text}?= {text} =?{charset}?Q?{text}?="
    out = decode_header_value(value)
    assert "\x00" not in out and len(out) <= 4096


def test_huge_references_keep_the_root_and_the_direct_parent() -> None:
    parsed = _parse("references-five-thousand")
    assert parsed.references[0] == "<r0@corpus.test>"  # the thread's root
    assert parsed.references[-1] == "<r4999@corpus.test>"  # the message replied to
