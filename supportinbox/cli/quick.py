"""``supportinbox list --json`` answered from an up-to-date cache, before click loads.

Scripts and status bars ask for the queue every minute or so. Most of what a command costs
is loading: click, the config model (msgspec), the refresh. When the cache's queue is
current, none of it is needed: the page is one indexed query. So, for ``list --json``
with its own options only (``--status``, ``--limit``, ``--mine``, ``--unassigned``,
``--tag``), :func:`answer` reads the queue itself, through the same store functions as
the command (:func:`supportinbox.store.queue.list_queue`), and prints the same JSON.

It needs three things the config decides: which account (so which cache), the agent
(``--mine``) and the config's fingerprint (whether the queue was computed under this
config). The full command records them after it has loaded and validated the config
(:func:`remember`), with a digest of the config file's bytes; the quick path uses them only
while the file still has those bytes, the program the same scoring rules and the cache
the same schema.

It declines (returns ``None``, and the full command runs) whenever anything is not plainly
so: another option or global option, ``SUPPORTINBOX_CONFIG`` set, an unknown value, no
record, a changed config, a cache that needs a refresh or a clock step (both write), any
error. It never writes to the cache and never prints an error of its own.
"""

from __future__ import annotations

import json
import os

from supportinbox import __version__, paths

# Not typing.TYPE_CHECKING: the point of this module is to load little (type checkers
# treat any name TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from supportinbox.config import AccountConfig, Config

#: What the options of ``list`` take a value for, and the flags (the rest is declined).
_VALUED = ("--status", "--limit", "--tag")
_FLAGS = ("--json", "--mine", "--unassigned")


def _options(args: list[str]) -> dict[str, str | bool] | None:
    """``list``'s own options from ``args`` (after ``list``), or None for anything else."""
    found: dict[str, str | bool] = {}
    rest = iter(args)
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name in found:
            return None
        if name in _VALUED:
            if not equals:
                following = next(rest, None)
                if following is None:
                    return None
                value = following
            found[name] = value
        elif name in _FLAGS and not equals:
            found[name] = True
        else:
            return None
    return found if found.get("--json") else None


def digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def stamp(config_file: Path, data: bytes) -> dict[str, object]:
    """What every quick record starts with: the program, the cache's schema, the config file
    and the digest of its bytes (``data``) when the record was written."""
    from supportinbox.store.db import SCHEMA_VERSION

    return {
        "program": __version__,
        "schema": SCHEMA_VERSION,
        "config": str(config_file),
        "digest": digest(data),
    }


def stamp_matches(record: dict[str, object], config_file: Path) -> bool:
    """Whether ``record`` was written by this program, for this schema, from the config file's
    bytes as they are now (the digest last: it reads the file)."""
    from supportinbox.store.db import SCHEMA_VERSION

    if (
        record.get("program") != __version__
        or record.get("schema") != SCHEMA_VERSION
        or record.get("config") != str(config_file)
    ):
        return False
    try:
        return record.get("digest") == digest(config_file.read_bytes())
    except OSError:
        return False


def parses_to(data: bytes, config_file: Path, config: Config) -> bool:
    """Whether the config file's bytes ``data`` still give ``config`` (the file may have
    changed since the command loaded it: then no record is written from it)."""
    from supportinbox.config import parse_config
    from supportinbox.errors import ConfigError

    try:
        return parse_config(data.decode("utf-8"), str(config_file)) == config
    except (UnicodeDecodeError, ConfigError):
        return False


def _record_matches(record: dict[str, object], config_file: Path) -> bool:
    from supportinbox.store.triage_fresh import SCORING_VERSION

    return record.get("scoring") == SCORING_VERSION and stamp_matches(record, config_file)


def answer(args: list[str]) -> str | None:
    """The JSON ``list`` prints for ``args`` (after ``list``), or None to run the command."""
    options = _options(args)
    if options is None or os.environ.get("SUPPORTINBOX_CONFIG") is not None:
        return None
    from supportinbox.domain.conversation import QUEUE_STATUSES

    status = str(options.get("--status", "open"))
    limit = str(options.get("--limit", "50"))
    if status not in (*QUEUE_STATUSES, "all") or not limit.isascii() or not limit.isdigit() or int(limit) < 1:
        return None
    tag: str | None = None
    if "--tag" in options:
        from supportinbox.domain.tags import normalize_tag

        tag = normalize_tag(str(options["--tag"]))
        if tag is None:
            return None
    if options.get("--mine") and options.get("--unassigned"):
        return None
    try:
        record = json.loads(paths.quick_list_file().read_text(encoding="utf-8"))
        if not isinstance(record, dict) or not _record_matches(record, paths.config_file()):
            return None
        account, agent, fingerprint = record["account"], record["agent"], record["fingerprint"]
        if not isinstance(account, str) or not isinstance(fingerprint, str):
            return None
        return _page(
            account, str(agent) if agent is not None else None, fingerprint, options, status, int(limit), tag
        )
    except Exception:  # noqa: BLE001 - whatever went wrong, the command itself says it properly
        return None


def _page(
    account: str,
    agent: str | None,
    fingerprint: str,
    options: dict[str, str | bool],
    status: str,
    limit: int,
    tag: str | None,
) -> str | None:
    from datetime import UTC, datetime

    from supportinbox.cli.output import json_text
    from supportinbox.store.db import open_current
    from supportinbox.store.queue import list_queue
    from supportinbox.store.triage_fresh import clock_due, inputs_key, up_to_date

    db = open_current(paths.database_file(account))
    if db is None:
        return None
    try:
        now = datetime.now(UTC)
        if not up_to_date(db, inputs_key(db, fingerprint), now) or clock_due(db, now):
            return None
        rows = list_queue(
            db,
            status=status,
            limit=limit,
            assigned_to=agent if options.get("--mine") else None,
            unassigned=bool(options.get("--unassigned")),
            tag=tag,
            now=now,
        )
        return json_text([r.to_json() for r in rows])
    finally:
        db.close()


def remember(config: Config, name: str, account: AccountConfig) -> None:
    """Record what :func:`answer` needs, once the command has loaded ``config`` from the default file.

    Written only when the record differs and the file still parses to the same config (it
    may have changed since it was loaded); a failure to write only costs speed. A record
    already as it would be written is left alone without parsing the file again.
    """
    from supportinbox.store.triage_fresh import SCORING_VERSION, config_fingerprint

    config_file = paths.config_file()
    try:
        data = config_file.read_bytes()
    except OSError:
        return
    record = {
        **stamp(config_file, data),
        "scoring": SCORING_VERSION,
        "account": name,
        "agent": account.agent,
        "fingerprint": config_fingerprint(config, account),
    }
    target = paths.quick_list_file()
    try:
        if json.loads(target.read_text(encoding="utf-8")) == record:
            return
    except (OSError, ValueError):
        pass
    if not parses_to(data, config_file, config):
        return
    paths.replace_private_file(target, json.dumps(record, indent=1))
