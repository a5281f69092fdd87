"""The two quote detectors the product had before domain/quoting.py (for bench/quote_bench.py).

``strip_history`` built the reply's ``quote`` variable; ``split_body_text`` is the thread
view's ``split_body`` reduced to its text parts.
"""

from __future__ import annotations

import re

from supportinbox.domain.safetext import clean

_HISTORY_START = re.compile(
    r"""^(?:
        On\s.+\swrote:\s*$
      | Le\s.+\sa\sécrit\s?:\s*$
      | Am\s.+\sschrieb\s.*:\s*$
      | El\s.+\sescribió:\s*$
      | Em\s.+\sescreveu:\s*$
      | Il\s.+\sha\sscritto:\s*$
      | Op\s.+\sschreef\s.*:\s*$
      | -{2,}\s*(?:Original\sMessage|Ursprüngliche\sNachricht|Message\sd'origine|Mensaje\soriginal)\s*-{2,}
      | _{10,}\s*$
      | (?:From|De|Von|Van|Da|Från|Fra|Od|از|من)\s?:\s.*@.*$
      | في\s.+كتب.*:\s*$
    )""",
    re.VERBOSE | re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(?:-- ?|—|Sent from my .+|Get Outlook for .+|Envoyé de mon .+|Von meinem .+ gesendet)$"
)


def strip_history(body: str) -> str:
    kept: list[str] = []
    for line in clean(body).split("\n"):
        stripped = line.strip()
        if _HISTORY_START.match(stripped) or _SIGNATURE.match(line.rstrip()):
            break
        kept.append(line.rstrip())
    while kept and (not kept[-1] or kept[-1].startswith(">")):
        kept.pop()
    while kept and not kept[0]:
        kept.pop(0)
    return "\n".join(kept)


_ATTRIBUTION = re.compile(
    r"^\s*(on\s.+\bwrote|am\s.+\bschrieb|le\s.+\ba\s+écrit|el\s.+\bescribió)\s*:?\s*$", re.IGNORECASE
)


def split_body_text(body: str) -> str:
    lines = clean(body).rstrip("\n").split("\n")
    kept: list[str] = []
    in_signature = False
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            in_signature = True
        if in_signature:
            continue
        if line.startswith(">") or (
            _ATTRIBUTION.match(line) and any(n.startswith(">") for n in lines[index + 1 : index + 3])
        ):
            continue
        kept.append(line)
    return "\n".join(kept)
