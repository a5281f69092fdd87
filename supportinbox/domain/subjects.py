"""Reply and forward prefixes on subjects: the one list threading and reply subjects share;
and the most of a subject a conversation's head shows.

Matched case-insensitively at the start of a subject, optionally with a counter
("Re[2]:", "RE(3):"), repeatedly: ``"RE[2]: AW: Login kaputt"`` has two.
"""

from __future__ import annotations

import re

# Reply / forward prefixes in the languages our customers write in: Re, Aw (de), Sv (sv/da/no),
# Antw (nl), Ref/Rif/R/I (it), Res/Enc (pt), Vs/Vl (fi), Odp/Pd (pl), Ynt/İlt (tr), Fw/Fwd/Wg/Tr,
# Cyrillic, Arabic رد, Persian پاسخ, Hebrew, Chinese, Japanese, Korean.
# The most of a subject a head shows, in terminal cells (the app's conversation head and
# message heads, 'supportinbox show'): three lines at 80 columns, two at 120. A subject of
# 300 Japanese characters took nine of the 24 rows and left the mail little room; one of
# 1,000 characters filled a screen of 'show' before its first message.
HEAD_SUBJECT_CELLS = 200

_WORDS = (
    "re|fw|fwd|aw|wg|sv|vs|vb|tr|rv|res|enc|antw|antwort|odp|pd|r|rif|i|ref|ynt|ilt|atb|"
    "fs|vl|svar|doorst|přep|отв|ответ|пересл|"
    "رد|الرد|إعادة توجيه|اعادة توجيه|توجيه|پاسخ|جواب|ارسال مجدد|فوروارد|باز ارسال|"
    "השב|הועבר|回复|回覆|答复|转发|轉寄|返信|転送|답장|전달"
)
_ONE_PREFIX = rf"(?:{_WORDS})\s*(?:\[\d+\]|\(\d+\))?\s*[:：﹕]"
_LIST_TAG = r"\[[^\]]{0,40}\]"

# Forward prefixes alone: Fw/Fwd, WG (de), TR (fr), I (it), RV (es), ENC (pt), VB (sv), VL (fi),
# Doorst (nl), PD (pl), İLT (tr), Cyrillic, Arabic, Persian, Hebrew, Chinese, Japanese, Korean.
# Not VS: a reply in Finnish, a forward in Danish.
_FORWARD_WORDS = (
    "fw|fwd|wg|tr|i|rv|enc|vb|vl|doorst|pd|ilt|İlt|пересл|"
    "إعادة توجيه|اعادة توجيه|توجيه|ارسال مجدد|فوروارد|باز ارسال|הועבר|转发|轉寄|転送|전달"
)
_FORWARD_PREFIX = re.compile(
    rf"^\s*(?:{_LIST_TAG}\s*)?(?:{_FORWARD_WORDS})\s*(?:\[\d+\]|\(\d+\))?\s*[:：﹕]",
    re.IGNORECASE,
)
_PREFIX = re.compile(rf"^\s*{_ONE_PREFIX}\s*", re.IGNORECASE)
_PREFIX_OR_TAG = re.compile(rf"^\s*(?:{_ONE_PREFIX}|{_LIST_TAG})\s*", re.IGNORECASE)
_REPLY = re.compile(rf"^\s*(?:{_LIST_TAG}\s*)?{_ONE_PREFIX}", re.IGNORECASE)


def has_reply_prefix(subject: str) -> bool:
    """Whether ``subject`` starts with a reply or forward prefix (after a list tag, if any)."""
    return bool(_REPLY.match(subject))


def is_forward_subject(subject: str | None) -> bool:
    """Whether ``subject`` says its mail forwards another ("Fwd:", "WG:", "TR:"; not "Re: Fwd:")."""
    return bool(_FORWARD_PREFIX.match(subject or ""))


def strip_reply_prefixes(subject: str, *, list_tags: bool = False) -> str:
    """``subject`` without its leading stack of prefixes (and ``[List]`` tags among them, with
    ``list_tags``); the rest, spaces included, as it was."""
    pattern = _PREFIX_OR_TAG if list_tags else _PREFIX
    while True:
        stripped = pattern.sub("", subject, count=1)
        if stripped == subject:
            return subject
        subject = stripped
