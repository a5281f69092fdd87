"""Saving attachments to disk without trusting their file names.

A file name in a message is chosen by a stranger. It may be ``../../.bashrc``, an absolute
path, a Windows device name (``NUL``, ``COM1.txt``), carry terminal escapes, bidi overrides
that make ``exe.pdf`` read backwards, or be empty. :func:`safe_filename` turns any of these
into a plain name; :func:`safe_save` writes inside the chosen folder only, never follows a
symlink planted there, and never overwrites: an existing name gets `` (1)``, `` (2)``, ...
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from supportinbox.domain.safetext import one_line
from supportinbox.errors import StorageError

FALLBACK_NAME = "attachment"
MAX_NAME_BYTES = 200
_MAX_COPIES = 10_000

# Characters that are separators or reserved on some file system we may save to.
_RESERVED = str.maketrans(dict.fromkeys('/\\:*?"<>|', "_"))
_DEVICE_NAMES = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CLOCK$",
    "CONIN$",
    "CONOUT$",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


def safe_filename(name: str | None) -> str:
    """A harmless single path component derived from an untrusted attachment name."""
    text = unicodedata.normalize("NFC", name or "")
    # Only the last component of either kind of path counts.
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = one_line(text).translate(_RESERVED)
    # Leading dots would hide the file or mean "..": trailing dots/spaces vanish on Windows.
    text = text.strip(" ").lstrip(".").rstrip(". ")
    stem = text.split(".", 1)[0].strip().upper()
    if stem in _DEVICE_NAMES:
        text = "_" + text
    if not text:
        text = FALLBACK_NAME
    return _shorten(text, MAX_NAME_BYTES)


def _shorten(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    budget = limit - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return cut + suffix


def _numbered(name: str, number: int) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return _shorten(f"{name} ({number})", MAX_NAME_BYTES + 12)
    return f"{stem} ({number}).{ext}"


def safe_save(directory: Path, filename: str | None, data: bytes) -> Path:
    """Write ``data`` as a new file in ``directory`` named after ``filename``; return its path.

    The file is created 0600 and never replaces anything: if the name is taken, `` (1)`` etc.
    is added before the extension. A missing ``directory`` is created 0700.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        base = directory.resolve(strict=True)
    except OSError as exc:
        raise StorageError(f"cannot use the folder {directory}: {exc.strerror or exc}") from None
    name = safe_filename(filename)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for number in range(_MAX_COPIES):
        candidate = base / (name if number == 0 else _numbered(name, number))
        if candidate.parent != base:  # cannot happen after safe_filename; refuse rather than trust
            raise StorageError(f"refusing to save {name!r} outside {base}")
        try:
            fd = os.open(candidate, flags, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageError(f"cannot save {candidate}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            candidate.unlink(missing_ok=True)
            raise StorageError(f"cannot save {candidate}: {exc.strerror or exc}") from None
        return candidate
    raise StorageError(f"too many files named like {name!r} in {base}")
