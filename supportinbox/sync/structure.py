"""Reading an IMAP BODYSTRUCTURE: which part holds the text, which parts are attachments.

This is what lets a sync fetch only a message's text: the attachments are described from
the structure (name, type, size, section number) and downloaded only on demand.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from supportinbox.mail.parse import (
    MAX_ATTACHMENTS,
    MAX_DEPTH,
    MAX_FORWARDED,
    MAX_PARTS,
    Attachment,
    decode_bytes,
    decode_header_value,
    estimated_size,
    flowed_param,
    forwarded_name,
)
from supportinbox.mail.tnef import TNEF_TYPES


@dataclass(frozen=True, slots=True)
class TextPart:
    """The part to show as the body, and how to decode it."""

    section: str
    html: bool
    encoding: str
    charset: str | None
    size: int
    flowed: str | None = None  # format and delsp, as decode_body takes them ("flowed;yes")


@dataclass(frozen=True, slots=True)
class ReportParts:
    """Where a delivery status report keeps its status and the returned message's headers.

    ``returned`` is a FETCH section spec: ``3`` (text/rfc822-headers) or ``3.HEADER`` (the
    header of a returned message/rfc822), None when the report returns nothing.
    """

    status: str
    returned: str | None


@dataclass(frozen=True, slots=True)
class ForwardedPart:
    """A message forwarded as an attachment (message/rfc822): its header and text sections."""

    header: str  # a FETCH section spec: "2.HEADER"
    text: TextPart | None


@dataclass(slots=True)
class Structure:
    text: TextPart | None = None
    attachments: list[Attachment] = field(default_factory=list)
    report: ReportParts | None = None
    forwarded: list[ForwardedPart] = field(default_factory=list)
    calendar_method: str | None = None  # an iTIP text/calendar part's method (REQUEST...)
    tnef: TextPart | None = None  # Outlook's winmail.dat, read when there is no text part


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return "" if value is None else str(value)


def _params(value: Any) -> dict[str, bytes]:
    """A flat (name, value, name, value...) parameter list as a dict of lower-case names."""
    params: dict[str, bytes] = {}
    if not isinstance(value, tuple | list):
        return params
    items = list(value)
    for index in range(0, len(items) - 1, 2):
        name, raw = items[index], items[index + 1]
        if isinstance(name, bytes) and isinstance(raw, bytes | str):
            params[name.decode("ascii", "replace").lower()] = raw if isinstance(raw, bytes) else raw.encode()
    return params


def _rfc2231(params: dict[str, bytes], key: str) -> str | None:
    """A parameter, joining RFC 2231 continuations (key*0*, key*1 ...) and charsets."""
    if key + "*" in params:
        return _decode_2231(params[key + "*"], extended=True)
    pieces = []
    extended = False
    for index in range(100):
        if f"{key}*{index}*" in params:
            pieces.append(params[f"{key}*{index}*"])
            extended = True
        elif f"{key}*{index}" in params:
            pieces.append(params[f"{key}*{index}"])
        else:
            break
    if pieces:
        return _decode_2231(b"".join(pieces), extended=extended)
    if key in params:
        return decode_header_value(params[key], 255)
    return None


def _decode_2231(raw: bytes, *, extended: bool) -> str:
    if not extended:
        return decode_header_value(raw, 255)
    charset, _, rest = raw.partition(b"'")
    _, _, encoded = rest.partition(b"'")
    if not rest:
        charset, encoded = b"utf-8", raw
    data = bytearray()
    index = 0
    while index < len(encoded):
        if encoded[index : index + 1] == b"%" and index + 2 < len(encoded):
            try:
                data.append(int(encoded[index + 1 : index + 3], 16))
                index += 3
                continue
            except ValueError:
                pass
        data.append(encoded[index])
        index += 1
    return decode_bytes(bytes(data), charset.decode("ascii", "replace") or "utf-8")[:255]


def _disposition(part: tuple[Any, ...], index: int) -> tuple[str, dict[str, bytes]]:
    value = part[index] if len(part) > index else None
    if isinstance(value, tuple | list) and value and isinstance(value[0], bytes):
        params = _params(value[1]) if len(value) > 1 else {}
        return value[0].decode("ascii", "replace").lower(), params
    return "", {}


def _within(section: str, text: TextPart | None) -> TextPart | None:
    """A text part of an encapsulated message, numbered from the message's own section."""
    if text is None:
        return None
    return replace(text, section=f"{section}.{text.section}")


def _envelope_subject(part: tuple[Any, ...]) -> str:
    envelope = part[7] if len(part) > 7 else None
    if isinstance(envelope, tuple | list) and len(envelope) > 1 and isinstance(envelope[1], bytes | str):
        return decode_header_value(envelope[1], 200)
    return ""


def parse_structure(body: Any, *, forwards: bool = True) -> Structure:
    """Choose the text part (plain before HTML) and list attachments; never raises.

    A message forwarded as an attachment (message/rfc822, outside a bounce) is listed as an
    attachment and, with ``forwards``, its own text part is found too: what a customer
    forwards is what they want us to read."""
    result = Structure()
    plain: TextPart | None = None
    html: TextPart | None = None
    status: str | None = None
    returned: str | None = None
    stack: list[tuple[str, Any, int]] = [("", body, 0)]
    visited = 0
    while stack and visited < MAX_PARTS:
        section, part, depth = stack.pop()
        visited += 1
        if not isinstance(part, tuple | list) or not part:
            continue
        if isinstance(part[0], list | tuple):  # multipart: (children..., subtype, ...)
            if depth >= MAX_DEPTH:
                continue
            # imapclient gives (list_of_children, subtype, ...); the raw form is
            # (child, child, ..., subtype, ...).
            if isinstance(part[0], list):
                children = part[0]
            else:
                children = list(itertools.takewhile(lambda c: isinstance(c, tuple | list), part))
            numbered = [
                (f"{section}.{index}" if section else str(index), child, depth + 1)
                for index, child in enumerate(children, start=1)
            ]
            stack.extend(reversed(numbered))
            continue
        leaf_section = section or "1"
        maintype, subtype = _text(part[0]).lower(), _text(part[1] if len(part) > 1 else b"").lower()
        params = _params(part[2] if len(part) > 2 else None)
        encoding = _text(part[5] if len(part) > 5 else b"7bit").lower()
        size = part[6] if len(part) > 6 and isinstance(part[6], int) else 0
        # Extension data starts after the line count (text), envelope+body+lines
        # (message/rfc822) or directly (everything else); the disposition follows MD5.
        if maintype == "text":
            disposition_index = 9
        elif (maintype, subtype) == ("message", "rfc822"):
            disposition_index = 11
        else:
            disposition_index = 8
        disposition, disposition_params = _disposition(tuple(part), disposition_index)
        if (maintype, subtype) == ("message", "delivery-status") and status is None:
            status = leaf_section
        elif (maintype, subtype) == ("text", "rfc822-headers") and returned is None:
            returned = leaf_section
        elif (maintype, subtype) == ("message", "rfc822") and returned is None:
            returned = f"{leaf_section}.HEADER"
        forwarded = (maintype, subtype) == ("message", "rfc822") and forwards
        if forwarded and len(result.forwarded) < MAX_FORWARDED:
            inner = parse_structure(part[8], forwards=False).text if len(part) > 8 else None
            result.forwarded.append(ForwardedPart(f"{leaf_section}.HEADER", _within(leaf_section, inner)))
        if (maintype, subtype) == ("text", "calendar") and "method" in params:
            result.calendar_method = result.calendar_method or _text(params["method"])
        if maintype == "text" and subtype in ("plain", "html") and disposition != "attachment":
            charset = params.get("charset")
            candidate = TextPart(
                section=leaf_section,
                html=subtype == "html",
                encoding=encoding,
                charset=charset.decode("ascii", "replace") if charset else None,
                size=size,
                flowed=flowed_param(_text(params.get("format")), _text(params.get("delsp"))),
            )
            if subtype == "plain" and plain is None:
                plain = candidate
            elif subtype == "html" and html is None:
                html = candidate
            continue
        if maintype == "multipart":
            continue
        if f"{maintype}/{subtype}" in TNEF_TYPES and result.tnef is None:
            result.tnef = TextPart(
                section=leaf_section, html=False, encoding=encoding, charset=None, size=size
            )
        if len(result.attachments) < MAX_ATTACHMENTS and (disposition == "attachment" or maintype != "text"):
            filename = _rfc2231(disposition_params, "filename") or _rfc2231(params, "name") or ""
            if not filename and (maintype, subtype) == ("message", "rfc822"):
                filename = forwarded_name(_envelope_subject(tuple(part)))
            result.attachments.append(
                Attachment(
                    filename=filename,
                    content_type=f"{maintype}/{subtype}"[:100],
                    size=estimated_size(size, encoding),
                    part=leaf_section,
                )
            )
    result.text = plain or html
    if status is not None:
        result.report = ReportParts(status, returned)
        result.forwarded = []  # the message a bounce returns is ours, not forwarded to us
    return result
