"""The signature under an agent's replies: their own, else the account's, inline or from a file.

Configured as ``signature = "..."`` or ``signature_file = "~/sig.txt"`` in
``[accounts.NAME.agents.AGENT]`` (the agent's own) or ``[accounts.NAME]`` (everyone's
default). A template places it with ``{{ signature }}``; under a template that does not,
it is added after the RFC 3676 separator ``-- `` (``auto_signature = false`` turns that off).
"""

from __future__ import annotations

from pathlib import Path

from supportinbox.config import AccountConfig
from supportinbox.domain.safetext import clean
from supportinbox.errors import ConfigError

MAX_SIGNATURE_CHARS = 2000
SEPARATOR = "-- "


def signature_for(account: AccountConfig, agent: str | None = None) -> str | None:
    """The signature of ``agent`` (default: this client's agent); ``None`` when none is set."""
    own = account.agents.get(agent or account.agent)
    for source in (own, account):
        if source is None:
            continue
        if source.signature is not None:
            return _tidy(source.signature)
        if source.signature_file is not None:
            return _tidy(_read(source.signature_file))
    return None


def _read(path: Path) -> str:
    where = path.expanduser()
    try:
        return where.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"signature_file {where} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(
            f"signature_file {where} cannot be read ({exc.strerror or exc}): fix the path in the config"
        ) from None


def _tidy(text: str) -> str | None:
    """One signature as sent: LF lines without trailing blanks, no separator of its own."""
    lines = [line.rstrip() for line in clean(text).split("\n")]
    if lines and lines[0] in ("--", SEPARATOR.rstrip()):
        lines.pop(0)  # written with its own "-- ": the separator is ours to add
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    tidy = "\n".join(lines)[:MAX_SIGNATURE_CHARS]
    return tidy or None


def signed(body: str, signature: str) -> str:
    """``body`` with ``signature`` under the ``-- `` separator."""
    return f"{body.rstrip()}\n\n{SEPARATOR}\n{signature}\n"


def without_signature(body: str) -> str:
    """What is written above the signature separator (to tell an empty reply)."""
    return body.split(f"\n{SEPARATOR}\n", 1)[0] if f"\n{SEPARATOR}\n" in body else body
