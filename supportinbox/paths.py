"""Every path supportinbox reads or writes, in one place.

On Linux the XDG variables are honoured (platformdirs reads them). Tests and the demo
point everything elsewhere by setting ``SUPPORTINBOX_HOME``: config, data and state
then live in sub-directories of that one folder.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import ModuleType

APP = "supportinbox"


def _platformdirs() -> ModuleType:
    # Imported on first use: with SUPPORTINBOX_HOME set (tests, the demo) it is never needed.
    import platformdirs

    return platformdirs


def _home_override() -> Path | None:
    home = os.environ.get("SUPPORTINBOX_HOME")
    return Path(home) if home else None


def config_dir() -> Path:
    home = _home_override()
    return home / "config" if home else Path(_platformdirs().user_config_dir(APP))


def data_dir() -> Path:
    home = _home_override()
    return home / "data" if home else Path(_platformdirs().user_data_dir(APP))


def state_dir() -> Path:
    home = _home_override()
    return home / "state" if home else Path(_platformdirs().user_state_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"


def templates_dir() -> Path:
    return config_dir() / "templates"


def log_file() -> Path:
    return state_dir() / "supportinbox.log"


def database_file(account: str) -> Path:
    """The SQLite cache of one account."""
    return data_dir() / f"{_safe_name(account)}.sqlite3"


def rebuild_file(account: str) -> Path:
    """The new cache a ``cache rebuild`` fills beside the account's own until it swaps it in."""
    return rebuild_file_of(database_file(account))


def rebuild_file_of(cache: Path) -> Path:
    """The new cache a ``cache rebuild`` of ``cache`` fills beside it until it swaps it in."""
    return cache.with_name(cache.name + ".rebuild")


def quick_list_file() -> Path:
    """What ``list --json`` needs to answer before loading the config (see cli/quick.py)."""
    return state_dir() / "quick-list.json"


def quick_sync_file() -> Path:
    """What a no-change ``sync`` needs to answer before loading the config (see cli/quick_sync.py)."""
    return state_dir() / "quick-sync.json"


def lock_file(account: str) -> Path:
    """Held while a sync of ``account`` runs, so two syncs never interleave."""
    return state_dir() / f"{_safe_name(account)}.sync.lock"


def lock_file_of(cache: Path) -> Path | None:
    """The sync lock of the account whose cache is ``cache``; None for a cache that is no
    account's (the demo's)."""
    if not cache.name.endswith(".sqlite3") or cache.parent.resolve() != data_dir().resolve():
        return None
    return state_dir() / f"{cache.name.removesuffix('.sqlite3')}.sync.lock"


def outbox_lock_file(account: str) -> Path:
    """Held while replies of ``account`` are being sent, so no two processes send one twice."""
    return state_dir() / f"{_safe_name(account)}.outbox.lock"


def outbox_edit_lock_file(account: str, outbox_id: int) -> Path:
    """Held while reply ``outbox_id`` of ``account`` is open in an editor (it does not leave)."""
    return state_dir() / "outbox-edits" / f"{_safe_name(account)}.{outbox_id}.lock"


def attachments_dir() -> Path:
    return Path(_platformdirs().user_downloads_dir())


def demo_outbox_dir() -> Path:
    """Where replies written in the demo go instead of SMTP."""
    return data_dir() / "demo-sent"


def _safe_name(account: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in account) or "account"


def _own_dir(path: Path) -> bool:
    """True for supportinbox's own folders (config, data, state) and what is inside them."""
    try:
        resolved = path.resolve()
    except OSError:
        return False
    for base in (config_dir(), data_dir(), state_dir()):
        own = base.resolve()
        if resolved == own or own in resolved.parents:
            return True
    return False


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700; tighten an existing one only if it is ours.

    A folder the user chose (``init --config /shared/x.toml``) keeps its mode: it may be
    shared, or /tmp itself.
    """
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if existed and not _own_dir(path):
        return path
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:
        pass
    return path


def why_not_written(exc: OSError) -> str:
    """The reason a folder or file could not be made, in words (a file where a folder goes
    says "File exists" otherwise)."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return "a file stands where a folder must be"
    return exc.strerror or str(exc)


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` created 0600 inside a 0700 directory."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def replace_private_file(path: Path, text: str) -> bool:
    """Write ``text`` as :func:`write_private_file` does, whole or not at all: readers see the
    old file or the new one (written beside it, then renamed). False if it could not be."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        write_private_file(partial, text)
        os.replace(partial, path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
        return False
    return True
