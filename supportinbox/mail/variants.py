"""Which language variant of a template answers this conversation's customer.

The one home of the choice for ``reply``, the TUI's template picker and an incident's
replies (the rule itself: :mod:`supportinbox.domain.languages`).
"""

from __future__ import annotations

from collections.abc import Sequence

from supportinbox.config import Config
from supportinbox.domain import languages
from supportinbox.domain.languages import Detected
from supportinbox.store.conversations import get_conversation
from supportinbox.store.db import Database

# The customer's latest messages say which language they write now.
MESSAGES_READ = 3


def customer_texts(db: Database, conversation_id: str) -> list[str]:
    """What the customer wrote in the conversation, newest last (automated mail left out)."""
    detail = get_conversation(db, conversation_id)
    theirs = [m for m in detail.messages if not m.from_us and not m.automated]
    return [f"{m.subject}\n{m.body_text}" for m in theirs[-MESSAGES_READ:]]


def variant_for(
    db: Database, config: Config, conversation_id: str, name: str, available: Sequence[str]
) -> tuple[str, Detected | None]:
    """The variant of template ``name`` in the customer's language (``name`` when none fits)."""
    return languages.choose_variant(
        name, available, customer_texts(db, conversation_id), own_language=config.replies.language
    )


def variant_for_each(
    db: Database, config: Config, conversation_ids: Sequence[str], name: str, available: Sequence[str]
) -> dict[str, tuple[str, Detected | None]]:
    """For each conversation, the variant of ``name`` in its customer's language.

    One template answering several customers at once (an incident) still answers each in
    their own language where a variant exists; a variant asked for by name goes to everyone.
    """
    if languages.split_variant(name)[1] is not None:
        return {cid: (name, None) for cid in conversation_ids}
    return {cid: variant_for(db, config, cid, name, available) for cid in conversation_ids}


def language_name(code: str) -> str:
    """``Deutsch (de)`` for a code; the code alone when its name is not known here."""
    name = _NAMES.get(code.split("-")[0])
    return f"{name} ({code})" if name else code


_NAMES = {
    "ar": "العربية",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fa": "فارسی",
    "fr": "Français",
    "it": "Italiano",
    "ja": "日本語",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ru": "Русский",
    "sv": "Svenska",
    "tr": "Türkçe",
    "zh": "中文",
}
