"""What Outlook put inside winmail.dat (TNEF): the message's text and the names of its files.

Outlook sending "rich text" wraps the whole message, text and files, in one
application/ms-tnef part that other clients cannot read. The format (MS-OXTNEF) is read
by tnefparse; this module only bounds what it is given, keeps any failure of a hostile
file to itself, and turns what it found into the text the cache keeps. An Outlook message
whose text is only compressed RTF is left unread: the caller then says why it has none.
"""

from __future__ import annotations

import logging

from supportinbox.domain.conversation import attachment_size

MAX_TNEF = 2 * 1024 * 1024
"""Bytes of a winmail.dat part read (fetched); a bigger one (files inside) keeps its reason."""
MAX_FILES = 50

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


def tnef_text(data: bytes) -> str:
    """The text of a decoded winmail.dat, then the files it holds ("" when unreadable).

    Never raises: a broken or hostile file reads as nothing."""
    if len(data) > MAX_TNEF:
        return ""
    from tnefparse import TNEF  # only a message from Outlook needs it

    quiet = logging.getLogger("tnefparse")
    level, quiet.level = quiet.level, logging.CRITICAL  # a broken file is ours to report
    try:
        tnef = TNEF(data, do_checksum=False)
        text = _text(tnef.body, tnef.htmlbody, tnef.codepage)
        files = [
            (str(a.long_filename() or a.name or "").strip("\x00"), len(a.data or b""))
            for a in tnef.attachments[:MAX_FILES]
        ]
    except Exception:  # noqa: BLE001 - a hostile file must not stop a sync
        return ""
    finally:
        quiet.level = level
    named = [f"{name} ({attachment_size(size)})" for name, size in files if name]
    if named:
        held = "Files inside winmail.dat: " + ", ".join(named)
        return f"{text}\n\n{held}" if text else held
    return text


def _text(body: object, html: object, codepage: object) -> str:
    from supportinbox.mail.html import html_to_text
    from supportinbox.mail.parse import decode_bytes

    charset = codepage if isinstance(codepage, str) else None
    if isinstance(body, bytes):
        body = decode_bytes(body.rstrip(b"\x00"), charset)
    if isinstance(body, str) and body.strip("\x00").strip():
        return body.strip("\x00").replace("\r\n", "\n").strip()
    if isinstance(html, bytes):
        html = decode_bytes(html.rstrip(b"\x00"), charset)
    if isinstance(html, str) and html.strip("\x00").strip():
        return html_to_text(html.strip("\x00")).strip()
    return ""
