"""A message read from the parts a sync fetches: its header block, its BODYSTRUCTURE, and the
sections that structure points at (the text, a forwarded message's header and text, a
bounce's delivery status).

One reading for the sync of new mail and for reading cached mail again
(:mod:`supportinbox.sync.reread`): what a message shows depends on nothing else.
"""

from __future__ import annotations

from typing import Any

from supportinbox.mail.fetcher import Fetcher
from supportinbox.mail.parse import (
    MAX_HEADER_BLOCK,
    MAX_TEXT,
    ParsedMessage,
    apply_calendar,
    apply_report,
    decode_body,
    decode_bytes,
    limit_text,
    parse_header_block,
    transfer_decoded,
    with_forwarded,
)
from supportinbox.mail.tnef import MAX_TNEF, tnef_text
from supportinbox.sync.structure import Structure, TextPart, parse_structure

# A winmail.dat of MAX_TNEF bytes as base64 on the wire (4 characters per 3 bytes, lines).
_MAX_TNEF_ENCODED = MAX_TNEF * 4 // 3 + MAX_TNEF // 38
REPORT_BYTES = 16_384  # of a bounce's delivery status and returned headers
STRUCTURE = b"structure"  # where the parsed BODYSTRUCTURE is kept in a message's fetch data
FIRST_PASS = ["BODYSTRUCTURE", f"BODY.PEEK[HEADER]<0.{MAX_HEADER_BLOCK}>"]
"""What is fetched of every message before its sections (the engine asks for flags too)."""


def request_texts(fetcher: Fetcher, first: dict[int, dict[bytes, Any]]) -> list[Any]:
    """Send one FETCH per text section (all at once), capped at MAX_TEXT bytes."""
    groups: dict[str, list[int]] = {}
    for uid, data in first.items():
        structure = parse_structure(data.get(b"BODYSTRUCTURE"))
        data[STRUCTURE] = structure
        if structure.text is not None:
            groups.setdefault(f"{structure.text.section}]<0.{MAX_TEXT}>", []).append(uid)
        elif structure.tnef is not None and structure.tnef.size <= _MAX_TNEF_ENCODED:
            # No text but Outlook's winmail.dat: its text is inside (never a big one).
            groups.setdefault(f"{structure.tnef.section}]<0.{_MAX_TNEF_ENCODED}>", []).append(uid)
        for forwarded in structure.forwarded:
            # A message forwarded as an attachment: its header and text are read too.
            groups.setdefault(f"{forwarded.header}]<0.{MAX_HEADER_BLOCK}>", []).append(uid)
            if forwarded.text is not None:
                groups.setdefault(f"{forwarded.text.section}]<0.{MAX_TEXT}>", []).append(uid)
        if structure.report is not None:
            # A bounce: its delivery status and the returned headers name our message.
            for section in (structure.report.status, structure.report.returned):
                if section is not None:
                    groups.setdefault(f"{section}]<0.{REPORT_BYTES}>", []).append(uid)
    return [fetcher.send(group, [f"BODY.PEEK[{item}"]) for item, group in groups.items()]


def parsed_message(data: dict[bytes, Any]) -> ParsedMessage | None:
    """The message the merged answers of :func:`request_texts` describe (None: not asked)."""
    structure = data.get(STRUCTURE)
    if not isinstance(structure, Structure):
        return None
    header = data.get(b"BODY[HEADER]<0>")
    parsed = parse_header_block(header if isinstance(header, bytes) else b"")
    parsed.attachments = structure.attachments
    apply_calendar(parsed, structure.calendar_method)
    text = structure.text
    if text is not None or structure.forwarded:
        body, cut = text_of(data, text)
        if structure.forwarded:
            forwarded = []
            for part in structure.forwarded:
                header = data.get(f"BODY[{part.header}]<0>".encode())
                inner, inner_cut = text_of(data, part.text)
                forwarded.append((header if isinstance(header, bytes) else b"", inner))
                cut = cut or inner_cut
            body = with_forwarded(body, forwarded)
        parsed.body_text, parsed.body_truncated = limit_text(body, cut)
    elif structure.tnef is not None:
        raw = data.get(f"BODY[{structure.tnef.section}]<0>".encode())
        if isinstance(raw, bytes) and structure.tnef.size <= _MAX_TNEF_ENCODED:
            parsed.body_text, parsed.body_truncated = limit_text(
                tnef_text(transfer_decoded(raw, structure.tnef.encoding))
            )
    elif data.get(b"BODYSTRUCTURE") is None:
        parsed.parse_error = parsed.parse_error or "the server sent no BODYSTRUCTURE"
    if structure.report is not None:
        status = data.get(f"BODY[{structure.report.status}]<0>".encode())
        returned = data.get(f"BODY[{structure.report.returned}]<0>".encode())
        apply_report(
            parsed,
            decode_bytes(status) if isinstance(status, bytes) else "",
            decode_bytes(returned) if isinstance(returned, bytes) else "",
        )
    return parsed


def text_of(data: dict[bytes, Any], text: TextPart | None) -> tuple[str, bool]:
    """A fetched text part decoded, and whether it was cut at MAX_TEXT ("" for no part)."""
    if text is None:
        return "", False
    cut = text.size > MAX_TEXT
    raw = data.get(f"BODY[{text.section}]<0>".encode())
    body = decode_body(
        raw if isinstance(raw, bytes) else b"",
        encoding=text.encoding,
        charset=text.charset,
        html=text.html,
        cut=cut,
        flowed=text.flowed,
    )
    return body, cut
