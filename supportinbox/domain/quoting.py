"""What the writer of a message wrote in it, apart from quoted history and the signature.

One detector for every reader of a body: triage scoring and incident signals (only the
customer's own words count), spam-folder scoring, the ``quote`` template variable and the
thread view, which folds the rest.

A body is read line by line. History starts at

* an attribution line, also wrapped over up to three lines and in the languages customers
  write in ("On Mon, 3 Nov 2026, Ann <ann@x> wrote:", "Le … a écrit :", "Am … schrieb …:",
  "Den … skrev:", "W dniu … napisał:", "… написал:", "Vào … đã viết:", "2026年1月1日 … <a@x>:");
* a block of mail headers as Outlook and others paste it ("From:/Sent:/To:/Subject:", bold
  "*From:*", starting with "Date:" too, in many languages);
* a separator such as ``-----Original Message-----`` or ``-----Reply Message-----``;

and also covers lines quoted with ``>``. An attribution followed by ``>`` lines covers just
that quoted block: text after it is the writer's again (bottom-posting, inline answers).
Forwarded messages are not history: what a customer forwards is what they want us to read.
A header block or separator before any new text introduces pasted mail, and only the
headers are folded.

The signature starts at ``-- ``, at a "Sent from my phone" line, or at a rule of
underscores that no header block follows (mailing-list footers).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from supportinbox.domain.safetext import clean
from supportinbox.domain.subjects import is_forward_subject

PartKind = Literal["text", "quote", "signature"]


@dataclass(frozen=True)
class Part:
    """A run of lines of one kind: ``text`` (the writer's own), ``quote`` or ``signature``."""

    kind: PartKind
    text: str


# Verbs of attribution lines ("X wrote:"), lower case.
_WROTE = (
    r"wrote|writes|sent|a\s+écrit|schrieb|escribió|escreveu|ha\s+scritto|schreef|"
    r"het\s+volgende\s+geschreven|skrev(?:\s+følgende)?|skriver|napisał\(a\)|napisała|napisał|"
    r"написал\(а\)|написала|написал|пишет|đã\s+viết|kirjoitti|pisze|napsal\(a\)|napsala|napsal|yazdı|"
    r"έγραψε|írta|a\s+scris|napisao|napisala|kirjutas|rašė|rakstīja|"
    r"كتب|نوشت|が書きました|のメッセージ|写道|寫道"
)
# Words an attribution line starts with ("On", "Le", "Am", "El", "Em", "Il", "Op", "Den", "På",
# "W dniu", "Dnia", "В", "Vào", "Στις", "Dne", "في", "در").
_OPENER = r"(?:-+\s*)?(?:on|le|am|el|em|il|op|den|på|w\s+dniu|dnia|в|vào|στις|dne|في|در)\s"
_OPENER_ONLY = re.compile(_OPENER, re.IGNORECASE)
_COLON = r"\s*[:：]?\s*-*\s*$"
_VERB_AT_END = re.compile(rf"^{_OPENER}.{{3,}}?(?:{_WROTE}){_COLON}", re.IGNORECASE)
_VERB_AT_END_ANY = re.compile(rf"^(?:-+\s*)?.{{3,300}}?\b(?:{_WROTE}){_COLON}", re.IGNORECASE)
# "Am 1. Jan. 2026 um 17:22 Uhr schrieb John <j@x>:" - the verb before who wrote.
_VERB_INSIDE = re.compile(
    rf"^.{{0,120}}?\d.{{0,120}}?(?:^|\s|\d)(?:{_WROTE})\s.{{1,120}}?@.{{1,120}}[:：]\s*$", re.IGNORECASE
)
# "2011/4/7 Nathan <n@x>" / "2014-10-17 11:28 GMT+03:00 Postmaster <p@x>:" / "2022年1月1日(金) 9:00 T <t@x>:"
_DATE_AND_ADDRESS = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}.{0,160}?<?[^\s<>@]+@[^\s<>@]+>\s*[:：]?\s*$")
# "Thu, 26 Jun 2014 14:00:51 +0400 от Alexander <a@x>:" / "26.06.2014, 14:41, "Alexander" <a@x>:"
_TIME_AND_ADDRESS = re.compile(r"^.{0,80}?\d{1,2}:\d{2}.{0,160}?<[^\s<>@]+@[^\s<>@]+>\s*[:：]\s*$")
# Android: "---- John Smith wrote ----".
_DASHED = re.compile(rf"^-{{2,}}\s*.{{1,120}}?\s(?:{_WROTE})\s*-{{2,}}\s*$", re.IGNORECASE)
# English attribution sharing a line with the reply ("reply On Wed, … bob@x wrote:").
_SHARED_LINE = re.compile(r"^(?P<text>.*?\S)\s*-*\s*(?P<attribution>On\s.{4,}?\bwrote:\s*)$")

_FROM_KEYS = (
    "from|de|von|van|da|från|fra|od|от|від|từ|差出人|发件人|寄件者|lähettäjä|feladó|kimden|"
    "من|از|remitente|afzender|avsändare|nadawca|mittente|absender|expéditeur"
)
_DATE_KEYS = (
    "sent|date|datum|gesendet|envoyé|enviado|enviada|inviato|verzonden|skickat|sendt|wysłano|"
    "wysłane|data|fecha|отправлено|дата|ngày|gửi|送信日時|日付|发送时间|時間|تاريخ|التاريخ|تاریخ|"
    "lähetetty|päivämäärä|dato|tarih|odesláno|elküldve"
)
_TO_KEYS = "to|an|à|a|para|aan|till|til|do|кому|đến|宛先|收件人|إلى|به|vastaanottaja|komu|címzett|kime"
_SUBJECT_KEYS = (
    "subject|betreff|objet|asunto|assunto|oggetto|onderwerp|ämne|emne|temat|тема|chủ đề|件名|主题|"
    "主旨|الموضوع|موضوع|aihe|konu|předmět|tárgy"
)
_CC_KEYS = "cc|kopie|kopia|копия|bcc"
_HEADER = re.compile(
    r"^\s*[*_]{0,2}(?:(?P<from>"
    + _FROM_KEYS
    + r")|(?P<date>"
    + _DATE_KEYS
    + r")|(?P<to>"
    + _TO_KEYS
    + r")|(?P<subject>"
    + _SUBJECT_KEYS
    + r")|(?P<cc>"
    + _CC_KEYS
    + r"))[*_]{0,2}\s?[:：][*_]{0,2}(?:\s|$)",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*[-=_]{3,}\s*(?:original\s+message|reply\s+message|original|ursprüngliche\s+nachricht|"
    r"antwort\s+nachricht|message\s+d'origine|message\s+original|mensaje\s+original|mensagem\s+original|"
    r"messaggio\s+originale|oorspronkelijk\s+bericht|oprindelig\s+(?:meddelelse|besked)|"
    r"ursprungligt\s+meddelande|opprinnelig\s+melding|wiadomość\s+oryginalna|исходное\s+сообщение|"
    r"původní\s+zpráva|alkuperäinen\s+viesti|eredeti\s+üzenet|orijinal\s+mesaj|tin\s+nhắn\s+gốc|"
    r"原始邮件|原始郵件|元のメッセージ|الرسالة\s+الأصلية|پیام\s+اصلی)\s*[-=_]{3,}\s*$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^\s*(?:[-=_]{2,}\s*)?(?:forwarded\s+message|begin\s+forwarded\s+message|weitergeleitete\s+nachricht|"
    r"message\s+transféré|mensaje\s+reenviado|mensagem\s+encaminhada|messaggio\s+inoltrato|"
    r"doorgestuurd\s+bericht|vidarebefordrat\s+meddelande|videresendt\s+meddelelse|"
    r"videresendt\s+melding|przekazana\s+wiadomość|пересылаемое\s+сообщение|転送メッセージ)",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:[-_=—–]\s*){3,}$")
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent\s+from\s+(?:my\s+)?\S+(?:\s+\S+){0,4}|sent\s+from\s+mail\s+for\s+windows.*|"
    r"get\s+outlook\s+for\s+\S+.*|envoyé\s+de\s+mon\s+\S+(?:\s+\S+){0,3}|"
    r"von\s+meinem\s+\S+(?:\s+\S+){0,3}\s+gesendet|enviado\s+(?:desde|de)\s+mi\s+\S+(?:\s+\S+){0,3}|"
    r"enviado\s+do\s+meu\s+\S+(?:\s+\S+){0,3}|inviato\s+da\s+\S+(?:\s+\S+){0,3}|"
    r"verzonden\s+(?:vanaf|met)\s+(?:mijn\s+)?\S+(?:\s+\S+){0,3}|skickat\s+från\s+min\s+\S+(?:\s+\S+){0,3}|"
    r"sendt\s+fra\s+min\s+\S+(?:\s+\S+){0,3}|wysłane\s+z\s+(?:mojego\s+)?\S+(?:\s+\S+){0,3}|"
    r"отправлено\s+с\s+\S+(?:\s+\S+){0,3}|iphone\s*から送信|从我的\s*\S+\s*发送)\s*$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s{0,3}>")
_MAX_ATTRIBUTION_LINES = 5
_ATTRIBUTION_ENDS = (":", "：", "-", ">")
# "> wrote:": the end of an attribution whose address was wrapped in angle brackets.
_QUOTED_VERB = re.compile(rf"^>\s*(?:{_WROTE})\s*[:：]\s*$", re.IGNORECASE)


def _is_quoted(line: str) -> bool:
    return bool(_QUOTED.match(line))


def _blank(line: str) -> bool:
    return not line.strip(" \t\ufeff\u200b\u00a0")


def _joined(lines: list[str], start: int, count: int) -> str:
    """Lines ``start`` to ``start + count`` as one, undoing soft line breaks ("w=" + "rote:")."""
    out = ""
    for line in lines[start : start + count]:
        line = line.strip()
        if out.endswith("="):
            out = out[:-1] + line
        elif out:
            out = f"{out} {line}"
        else:
            out = line
    return out


def _looks_like_attribution(text: str) -> bool:
    if len(text) > 400 or not text:
        return False
    if _DATE_AND_ADDRESS.match(text) or _TIME_AND_ADDRESS.match(text) or _DASHED.match(text):
        return True
    # A date or an address must be there: "On Monday I wrote:" is prose.
    has_digit = any(c.isdigit() for c in text)
    if (has_digit or "@" in text) and _VERB_AT_END.match(text):
        return True
    if ("@" in text or (has_digit and "<" in text)) and (
        _VERB_AT_END_ANY.match(text) or _VERB_INSIDE.match(text)
    ):
        return True
    # "2026/11/23 10:00、Acme のメッセージ:" - a date first, then who wrote.
    return bool(text[:1].isdigit() and _VERB_AT_END_ANY.match(text))


def _attribution_length(lines: list[str], index: int) -> int:
    """How many lines (1-3) an attribution starting at ``index`` spans; 0 if none starts there."""
    line = lines[index].strip()
    if not line or _is_quoted(line) or len(line) > 400:
        return 0
    # A wrapped attribution starts like one (an opener word, a date, dashes): never prose.
    wrapped_ok = (bool(_OPENER_ONLY.match(line)) or line[:1].isdigit()) and not line.endswith((".", "!", "?"))
    for count in range(1, _MAX_ATTRIBUTION_LINES + 1):
        if count > 1 and not wrapped_ok:
            break
        if index + count > len(lines):
            break
        last = lines[index + count - 1].strip()
        if count > 1 and not last:
            continue  # Polymail leaves blank lines inside its attribution
        if count > 1 and _is_quoted(last) and not _QUOTED_VERB.match(last):
            break
        if last.endswith(_ATTRIBUTION_ENDS) and _looks_like_attribution(_joined(lines, index, count)):
            return count
    # "On Tue, Tom wrote:" has neither date nor address, but the quote right below tells.
    if _VERB_AT_END.match(line) and any(_is_quoted(n) for n in lines[index + 1 : index + 3]):
        return 1
    return 0


def _header_block_length(lines: list[str], index: int) -> int:
    """Lines of a pasted header block (From/Sent/To/Subject...) starting at ``index``, else 0.

    Two different fields, one of them who or when, within a few lines make a block; lines
    that continue a field (a wrapped address) belong to it.
    """
    head = lines[index][:40]
    if (":" not in head and "：" not in head) or _HEADER.match(lines[index]) is None:
        return 0
    kinds: set[str] = set()
    end = index
    blanks = 0
    for position in range(index, min(len(lines), index + 10)):
        line = lines[position]
        if _blank(line):
            blanks += 1
            if blanks > 1 or (kinds and len(kinds) >= 2 and position > end):
                break
            continue
        blanks = 0
        match = _HEADER.match(line)
        if match is not None:
            kinds.add(str(match.lastgroup))
            end = position
        elif position == index + 1 or (position == end + 1 and len(line.strip()) < 80):
            end = position  # a wrapped value
        else:
            break
    if len(kinds) >= 2 and kinds & {"from", "date"}:
        return end - index + 1
    return 0


def _dated_or_addressed(block: list[str]) -> bool:
    """Whether a header block has a date or a To line, as every mail client's pasted or
    forwarded headers do (a form's "From:" and "Subject:" fields have neither)."""
    for line in block:
        match = _HEADER.match(line)
        if match is not None and match.lastgroup in ("date", "to", "cc"):
            return True
    return False


@dataclass(frozen=True)
class _Start:
    kind: Literal["attribution", "headers", "separator"]
    length: int
    text_before: str = ""  # reply text sharing the attribution's line


def _history_start(lines: list[str], index: int) -> _Start | None:
    line = lines[index]
    stripped = line.strip()
    if not stripped:
        return None
    if stripped[0] in "-=_" and _SEPARATOR.match(stripped):
        return _Start("separator", 1)
    length = _header_block_length(lines, index)
    if length:
        return _Start("headers", length)
    if "wrote:" in stripped and not stripped.startswith("On "):
        shared = _SHARED_LINE.match(stripped)
        if shared and _looks_like_attribution(shared.group("attribution")):
            return _Start("attribution", 1, text_before=shared.group("text").rstrip("- "))
    length = _attribution_length(lines, index)
    if length:
        return _Start("attribution", length)
    return None


def _is_signature_start(lines: list[str], index: int) -> bool:
    line = lines[index]
    if line in ("--", "-- ", "—", "__") or line.rstrip() == "--":
        return True
    if len(line) <= 60 and "," not in line and _MOBILE_SIGNATURE.match(line):
        return True
    if _UNDERSCORES.match(line):
        following = next(
            (i for i in range(index + 1, min(len(lines), index + 3)) if not _blank(lines[i])), None
        )
        return following is None or not _header_block_length(lines, following)
    return False


# The first words of lines where an attribution (its opener word: :data:`_OPENER`), a
# forwarded message (:data:`_FORWARD`) or a phone's signature (:data:`_MOBILE_SIGNATURE`)
# may start: the whole word for an opener, the start of it for the others.
_OPENER_WORD = re.compile(r"on|le|am|el|em|il|op|den|på|w|dnia|в|vào|στις|dne|في|در", re.IGNORECASE)
_PHRASE_START = re.compile(
    r"forwarded|begin|weitergeleitete|message|mensaje|mensagem|messaggio|doorgestuurd|vidarebefordrat|"
    r"videresendt|przekazana|пересылаемое|転送|sent|get|envoyé|von|enviado|inviato|verzonden|skickat|"
    r"sendt|wysłane|отправлено|iphone|从我的",
    re.IGNORECASE,
)
# The first word of every line (after the newline before it).
_FIRST_WORD = re.compile("\n[^\\S\n]*(\\S*)")
# A header field and an attribution's end have a colon; an attribution may also end in
# "-" or ">" (see _ATTRIBUTION_ENDS).
_MAY_END = (":", "：", "-\n", ">\n")


@functools.lru_cache(maxsize=4096)
def _may_start_with(word: str) -> bool:
    """Whether a line whose first word is ``word`` may start quoted history, a forward or a signature."""
    return bool(word) and (
        word[0] in ">-=_\u2014"
        or word[0].isdigit()
        or _OPENER_WORD.fullmatch(word) is not None
        or _PHRASE_START.match(word) is not None
    )


def _lines_that_may_start(lines: list[str]) -> list[int]:
    """The indices of the lines any check of :func:`_kinds` may stop at, then ``len(lines)``.

    Every other line is the writer's text (or part of the signature it is in) whatever
    surrounds it, so runs of them are classified at once: the checks cost far more than
    this look at each line's first word and at a few characters. A line found here goes
    through every check, so finding too many only costs time.
    """
    text = "\n".join(lines)
    firsts = _FIRST_WORD.findall("\n" + text)
    starting = {word for word in set(firsts) if _may_start_with(word)}
    indices = {index for index, word in enumerate(firsts) if word in starting} if starting else set()
    text += "\n"
    positions: list[int] = []
    for needle in _MAY_END:
        at = text.find(needle)
        while at >= 0:
            positions.append(at)
            at = text.find(needle, text.index("\n", at + len(needle) - 1) + 1)
    if positions:
        positions.sort()
        line = 0
        previous = 0
        for at in positions:
            line += text.count("\n", previous, at)
            previous = at
            indices.add(line)
    return [*sorted(indices), len(lines)]


def _kinds(lines: list[str], *, forwarded: bool = False) -> tuple[list[PartKind], list[int]]:
    """The kind of every line, and the lines cut to the reply that shared them with an attribution.

    ``forwarded``: the mail forwards another (its subject says so), so the first header
    block (Outlook's "From:/Sent:" under a rule, "-----Original Message-----") starts the
    forwarded message, which is content."""
    kinds: list[PartKind] = []
    cut: list[int] = []
    in_signature = False
    seen_text = False
    index = 0
    count = len(lines)
    may_start = _lines_that_may_start(lines)
    next_stop = 0
    while index < count:
        if not kinds or kinds[-1] != "quote":
            while may_start[next_stop] < index:
                next_stop += 1
            stop = may_start[next_stop]
            if stop > index:
                # Plain lines: text, or signature once it started; no check can stop at them.
                kinds.extend(["signature" if in_signature else "text"] * (stop - index))
                if not in_signature and not seen_text:
                    seen_text = any(not _blank(line) for line in lines[index:stop])
                index = stop
                continue
        line = lines[index]
        # A quoted line broken by a quoted-printable soft break ("=") continues on the next.
        if _is_quoted(line) or (index and kinds[-1] == "quote" and lines[index - 1].endswith("=")):
            kinds.append("quote")
            index += 1
            continue
        if _blank(line):
            kinds.append("signature" if in_signature else "text")
            index += 1
            continue
        if index and kinds[-1] == "quote" and index + 1 < count and _is_quoted(lines[index + 1]):
            stripped = line.strip()
            if (
                "://" in stripped
                or stripped.endswith(">")
                or (" " not in stripped and any(c in stripped for c in "=/_&%"))
            ):
                kinds.append("quote")  # a link that broke a quoted line in two
                index += 1
                continue
        if len(line) < 100 and _FORWARD.match(line):
            # A forward is content, not history; its header block is too.
            kinds.append("text")
            seen_text = True
            index += 1
            while index < count and (_HEADER.match(lines[index]) or _blank(lines[index])):
                kinds.append("text")
                index += 1
            continue
        start = _history_start(lines, index)
        if start is not None and forwarded and start.kind != "attribution":
            # The forwarded message: its header block and its text are what was sent to us.
            forwarded = False
            kinds.extend(["text"] * start.length)
            seen_text = True
            index += start.length
            while index < count and (_HEADER.match(lines[index]) or _blank(lines[index])):
                kinds.append("text")
                index += 1
            continue
        if start is not None:
            if start.text_before:
                lines[index] = start.text_before
                cut.append(index)
                kinds.append("signature" if in_signature else "text")
                seen_text = True
                index += 1
                continue
            if start.kind != "attribution" and not seen_text:
                if start.kind == "headers" and not _dated_or_addressed(lines[index : index + start.length]):
                    # A contact form's own fields ("From: Lina <…>", "Subject: Refund"):
                    # what the customer typed, not a pasted mail's headers.
                    kinds.extend(["text"] * start.length)
                    seen_text = True
                    index += start.length
                    continue
                # Pasted mail at the very top: the headers are folded, the mail is content.
                kinds.extend(["quote"] * start.length)
                index += start.length
                continue
            _fold_rules_before(lines, kinds)
            kinds.extend(["quote"] * start.length)
            index += start.length
            following = index
            while following < count and _blank(lines[following]):
                following += 1
            if start.kind == "attribution" and following < count and _is_quoted(lines[following]):
                # Only the quoted block that follows is history: text after it is new again.
                kinds.extend(["quote"] * (following - index))
                index = following
                in_signature = False
                continue
            kinds.extend(["quote"] * (count - index))
            break
        if not in_signature and _is_signature_start(lines, index):
            in_signature = True
        kinds.append("signature" if in_signature else "text")
        if not in_signature:
            seen_text = True
        index += 1
    return kinds, cut


def _fold_rules_before(lines: list[str], kinds: list[PartKind]) -> None:
    """Blank lines and rules just above where history starts belong to the history."""
    position = len(kinds) - 1
    while (
        position >= 0
        and kinds[position] != "quote"
        and (_blank(lines[position]) or _RULE.match(lines[position]))
    ):
        if _RULE.match(lines[position]):
            kinds[position] = "quote"
        position -= 1


def _parts(text: str, *, forwarded: bool = False) -> list[Part]:
    raw = text.rstrip("\n").split("\n")
    lines = [line.rstrip() for line in raw]
    kinds, cut = _kinds(lines, forwarded=forwarded)
    for index in cut:
        # A reply sharing its line with an attribution was cut to the reply in ``lines``.
        if lines[index] != raw[index].rstrip():
            raw[index] = lines[index]
    parts: list[Part] = []
    start = 0
    for kind, run in groupby(kinds):
        end = start + len(list(run))
        parts.append(Part(kind, "\n".join(raw[start:end])))
        start = end
    return [p for p in parts if p.kind != "text" or p.text.strip()] or [Part("text", "")]


def split_body(body: str, subject: str | None = None) -> list[Part]:
    """Cut a body into runs of the writer's text, quoted history and signature, made inert for display.

    Blank text lines between parts are dropped; a body with no text gives one empty text part.
    A mail whose ``subject`` says it forwards another ("Fwd:", "WG:") keeps the forwarded
    message as text, whatever rule or header block introduces it.
    """
    return _parts(clean(body), forwarded=is_forward_subject(subject))


def new_text(body: str, subject: str | None = None) -> str:
    """The writer's own words in ``body``: every text part, without quotes and signature
    (and the message a forward's ``subject`` says it forwards, as :func:`split_body`).

    For matching words, not for display: escape sequences and controls are left as they are
    (:func:`split_body` and the ``quote`` variable clean them).
    """
    if not body:
        return ""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    parts = _parts(text, forwarded=is_forward_subject(subject))
    return "\n\n".join(p.text.strip("\n") for p in parts if p.kind == "text")


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s|[\n]")
_GREETING_WORDS = 4


def first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of a writer's new text after the greeting: where they say what is wrong.

    A greeting is a short first line ending in a comma or alone ("Hi team,", "Hallo", "مرحبا،").
    """
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if len(stripped.split()) <= _GREETING_WORDS and (
            stripped[-1] in ",،:!" or len(stripped.split()) == 1
        ):
            continue
        return _SENTENCE_END.split(stripped, maxsplit=1)[0][:limit]
    return ""


def forwarded_from(text: str) -> str:
    """The From value of the first message ``text`` forwards inline, "" when it forwards none.

    The forward starts with a client's marker line ("---------- Forwarded message ---------",
    "Begin forwarded message:", "Weitergeleitete Nachricht") or Outlook's rule of underscores,
    and its header block follows (blank lines between allowed): "From: Priya <priya@…>".
    Outlook's HTML forward loses its rule to the text: a header block with a date or a
    recipient beside its From line counts alone.
    """
    lines = text.splitlines()[:400]
    for index, line in enumerate(lines):
        length = _header_block_length(lines, index) if _HEADER.match(line) else 0
        if length and _dated_or_addressed(lines[index : index + length]):
            for field in lines[index : index + length]:
                match = _HEADER.match(field)
                if match is not None and match.lastgroup == "from":
                    return field[match.end() :].strip()
            return ""
        if len(line) >= 100 or not (_FORWARD.match(line) or _UNDERSCORES.match(line)):
            continue
        for after in lines[index + 1 : index + 8]:
            if _blank(after):
                continue
            match = _HEADER.match(after)
            if match is None:
                break
            if match.lastgroup == "from":
                return after[match.end() :].strip()
        if _FORWARD.match(line):
            return ""  # the first forward names no sender: a later one is not what was sent
    return ""
