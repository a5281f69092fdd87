"""winmail.dat as Outlook writes it (MS-OXTNEF): built here, so the tests need no binary file."""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
MESSAGE, ATTACHMENT = 1, 2


def _attribute(level: int, attribute_id: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute_id, len(data)) + data + struct.pack("<H", checksum)


def winmail(body: str, files: dict[str, bytes], *, codepage: int = 1252) -> bytes:
    """A TNEF stream with ``body`` as its plain text (attBody) and ``files`` attached."""
    out = struct.pack("<IH", SIGNATURE, 0x1234)
    out += _attribute(MESSAGE, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += _attribute(MESSAGE, 0x00069007, struct.pack("<II", codepage, 0))  # attOemCodepage
    out += _attribute(MESSAGE, 0x0002800C, body.replace("\n", "\r\n").encode(f"cp{codepage}"))  # attBody
    for name, data in files.items():
        out += _attribute(ATTACHMENT, 0x00069002, bytes(14))  # attAttachRendData: a new file
        out += _attribute(ATTACHMENT, 0x00018010, name.encode(f"cp{codepage}") + b"\x00")  # attAttachTitle
        out += _attribute(ATTACHMENT, 0x0006800F, data)  # attAttachData
    return out
