"""Who the customer of a message is: the one definition the queue, greetings, replies,
customer history and the spam-folder check all ask.

Contact forms, shops and notification services send mail *on behalf of* a person: From is
the form's own address (``noreply@...``, ``wordpress@...``, often our own support address
or another address of our domain) and Reply-To is the person who wrote. For such mail
the customer is the Reply-To person; the form's address is never a customer, or every
form submission would be one customer's history, greeted "Hi Acme". A form that sets no
Reply-To names its person in its fields ("Email: lina@...", Contact Form 7's "From: Lina
Haddad <lina@...>"): that person. A relay sender naming nobody in either is nobody to
answer: its customer is :data:`NOBODY`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from supportinbox.config import AccountConfig
from supportinbox.domain.names import first_name
from supportinbox.domain.quoting import forwarded_from
from supportinbox.domain.spamcheck import FREEMAIL_DOMAINS

# Local parts of addresses that send for someone else or for no one (compared without
# separators: "no-reply", "no_reply" and "noreply" alike).
_RELAY_LOCAL = re.compile(
    r"^(?:noreply|donotreply|dontreply|notreply|noresponse|noanswer|"
    r"notifications?|mailerdaemon|postmaster|bounces?|"
    r"webforms?|contactforms?|wordpress|wufoo|typeform|jotform|formspree)(?:\d+)?$"
)
_SEPARATORS = re.compile(r"[-_.+]")
# "Lina Haddad via Contact Form", "Lina Haddad (via Acme website)".
_VIA_NAME = re.compile(r"^\s*(.+?)\s+\(?via\s+.*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Party:
    """A person by address (lower-case addr-spec) and display name (may be empty)."""

    email: str
    name: str = ""

    def __bool__(self) -> bool:
        return bool(self.email)


NOBODY = Party("", "")


def own_addresses(account: AccountConfig) -> tuple[str, ...]:
    """The addresses that are this account's own: its address, and a login that is one."""
    own = [account.email.strip().lower()]
    if "@" in account.username and account.username.strip().lower() not in own:
        own.append(account.username.strip().lower())
    return tuple(own)


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_no_reply(address: str) -> bool:
    """Whether ``address`` looks like a sender nobody answers (``noreply@``, ``wordpress@``...)."""
    local = address.strip().lower().rpartition("@")[0].partition("+")[0]
    return bool(local) and bool(_RELAY_LOCAL.match(_SEPARATORS.sub("", local)))


def relays_someone(
    from_addr: str, reply_to_addr: str, own_addresses: Iterable[str], body: str | Callable[[], str] = ""
) -> bool:
    """Mail from one of our own addresses that names another person in Reply-To (or, with
    none, in its form's fields in ``body``).

    That is a contact form on our website sending as us, not a message we wrote: it is
    the customer's, whatever else decides which mail is ours.
    """
    own = {a.strip().lower() for a in own_addresses if a}
    return (
        from_addr.strip().lower() in own
        and customer_of("", from_addr, "", reply_to_addr, own, body=body) != NOBODY
    )


def _name_from_relay(from_name: str) -> str:
    """The person's name a relay may put in its From name ("Lina Haddad via Contact Form")."""
    match = _VIA_NAME.match(from_name or "")
    return match.group(1).strip("\"' ") if match else ""


def customer_of(
    from_name: str,
    from_addr: str,
    reply_to_name: str,
    reply_to_addr: str,
    own_addresses: Iterable[str],
    body: str | Callable[[], str] = "",
) -> Party:
    """The customer a message from the customer's side stands for.

    - From one of our own addresses or a no-reply address: the Reply-To person, named by
      the Reply-To name or, failing that, the "X via Form" From name; without a usable
      Reply-To, the person the form's fields in ``body`` name (:func:`form_sender`; a
      callable is asked only then); else :data:`NOBODY` (the relay itself is never a
      customer).
    - From another address of our own domain (a website sending its form) with a
      Reply-To elsewhere: the Reply-To person.
    - From a colleague at our own domain (not a public mail provider's) forwarding a
      customer's mail inline, with no Reply-To: the forwarded message's sender, as the
      ``From:`` of its forwarded header block in ``body`` names them (the colleague asks
      us to answer the customer, who is the one waiting); the first header block counts,
      behind a forward's marker line or Outlook's rule, or alone (Outlook's HTML forward).
    - Anyone else: the sender (their Reply-To only says where answers go).
    """
    own = {a.strip().lower() for a in own_addresses if a and "@" in a}
    own_domains = {_domain(a) for a in own}
    sender = from_addr.strip().lower()
    # The cache keeps a Reply-To list space-separated: the first address is the person.
    target = next(iter(reply_to_addr.split()), "").lower()
    if not _answerable(target, sender, own, own_domains):
        target = ""
    relay = sender in own or is_no_reply(sender)
    if not relay and not target and _domain(sender) in own_domains - FREEMAIL_DOMAINS:
        forwarded = forwarded_sender(body() if callable(body) else body)
        if _answerable(forwarded.email, sender, own, own_domains):
            return forwarded
    if not relay and not (target and _domain(sender) in own_domains):
        return Party(sender, from_name or "")
    if not target:
        named = form_sender(body() if callable(body) else body)
        return named if _answerable(named.email, sender, own, own_domains) else NOBODY
    name = reply_to_name or _name_from_relay(from_name)
    if name.strip().lower() == target:
        name = ""
    return Party(target, name)


def _answerable(target: str, sender: str, own: set[str], own_domains: set[str]) -> bool:
    """Whether ``target`` is a person a relay may stand for: not the relay, not us, not a
    colleague at our domain, not another no-reply address."""
    return (
        "@" in target
        and target != sender
        and target not in own
        and _domain(target) not in own_domains
        and not is_no_reply(target)
    )


def nameless_sender(name: str, email: str) -> bool:
    """Whether a customer is shown by name alone: a no-reply sender's conversation has no
    customer address, only the sender's name ("Stripe"). A name that claims an address keeps
    the malformed-sender warning instead (:func:`supportinbox.domain.senders.sender_warning`).
    """
    return not email and bool(name.strip()) and not any(c in name for c in "@<>")


# A form's own subject line ("Subject: Refund", "Betreff: …") and its message field.
_TOPIC_FIELD = re.compile(
    r"^[ \t]*(?:subject|topic|regarding|betreff|thema|objet|sujet|asunto|assunto|onderwerp|"
    r"oggetto|temat|ämne|موضوع|الموضوع)[ \t]*[:：][ \t]*(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_MESSAGE_FIELD = re.compile(
    r"^[ \t]*(?:message|your message|comments?|enquiry|inquiry|question|nachricht|ihre nachricht|"
    r"mensaje|mensagem|bericht|messaggio|wiadomość|meddelande|الرسالة|رسالة|پیام)[ \t]*[:：][ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
# A form's name field ("Name: Jonas Weber", "Ihr Name: …", "الاسم: …"), not "Company name".
_NAME_FIELD = re.compile(
    r"^[ \t]*(?:name|your name|full name|ihr name|nom|votre nom|nombre|nome|naam|imię|namn|"
    r"الاسم|اسم|نام)[ \t]*[:：][ \t]*(\S[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
# A form's address field ("Email: lina@…", "Your e-mail address:", "E-Mail-Adresse:",
# "Courriel :", "Correo electrónico:", "البريد الإلكتروني:", "ایمیل:").
_EMAIL_FIELD = re.compile(
    r"^[ \t]*(?:(?:your|ihre|votre|tu|su|seu)[ \t]+)?(?:adresse[ \t]+)?"
    r"(?:e-?mail|courriel|correo|البريد|ایمیل|پست[ \t]+الکترونیک)"
    r"(?:[ \t-]*(?:address|adresse|adres|electr[oó]nico|الإلكتروني))?[ \t]*[:：][ \t]*(\S[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
# Contact Form 7's default mail starts with the person: "From: Lina Haddad <lina@…>".
_FROM_FIELD = re.compile(r"\A\s*(?:from|von|de)[ \t]*:[ \t]*(\S[^\n]*)$", re.IGNORECASE | re.MULTILINE)
_FIRST_NAME_FIELD = re.compile(
    r"^[ \t]*(?:first[ \t]+name|given[ \t]+name|vorname|prénom|nombre)[ \t]*[:：][ \t]*(\S[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_LAST_NAME_FIELD = re.compile(
    r"^[ \t]*(?:last[ \t]+name|surname|family[ \t]+name|nachname|nom[ \t]+de[ \t]+famille|apellidos?)"
    r"[ \t]*[:：][ \t]*(\S[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_FIELD_ADDRESS = re.compile(
    r"<([^<>\s@]+@[^<>\s@]+)>|([^<>\s@\"',;:()]+@[^<>\s@\"',;:()]+\.[^<>\s@\"',;:()]+)"
)
# The fields of a form come first: a long message's quoted history is not read.
_FORM_HEAD = 2000
_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s|\n")


def form_topic(body: str, limit: int = 60) -> str:
    """What a contact-form submission is about, in the customer's words: the form's subject
    field, else the first sentence of its message field ("" when neither is there).

    The mail's own subject ("New message from the contact form") is the website's, so a
    reply quoting it restates nothing.
    """
    if subject := form_subject(body):
        return _shortened(subject, limit)
    text = form_message(body)
    first = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
    return _shortened(first.rstrip(" .;:,"), limit)


def form_subject(body: str) -> str:
    """The form's own subject field ("Subject: Refund for March"), "" when it has none."""
    found = _TOPIC_FIELD.search(body)
    return found.group(1).strip() if found is not None else ""


def form_message(body: str) -> str:
    """What the customer typed into the form's message field, "" when it has none."""
    field = _MESSAGE_FIELD.search(body)
    return body[field.end() :].strip() if field is not None else ""


def named_by_form(party: Party, from_addr: str, body: str) -> Party:
    """``party`` named by its contact form's ``Name:`` field where its headers name no person.

    A form that puts the company where the name goes ("Weber GmbH via Website", Reply-To
    "Rossi Design Srl") or no name at all still says in its body who wrote: the queue shows
    that person and a reply greets them. Mail the customer sent themselves keeps its name.
    """
    if not needs_form_name(party, from_addr):
        return party
    named = form_name(body)
    return Party(party.email, named) if first_name(named, party.email, "") else party


def needs_form_name(party: Party, from_addr: str) -> bool:
    """Whether :func:`named_by_form` would read the body: relayed mail naming no person."""
    return (
        bool(party)
        and party.email != from_addr.strip().lower()
        and not first_name(party.name, party.email, "")
    )


def form_name(body: str) -> str:
    """The name a contact-form submission gives in its name field, or its first and last
    name fields ("" when it has none)."""
    found = _NAME_FIELD.search(body)
    if found is not None:
        return _shortened(found.group(1), 80)
    parts = [m.group(1) for m in (_FIRST_NAME_FIELD.search(body), _LAST_NAME_FIELD.search(body)) if m]
    return _shortened(" ".join(parts), 80)


def forwarded_sender(body: str) -> Party:
    """The sender of the first message ``body`` forwards inline (:data:`NOBODY` for none)."""
    value = forwarded_from(body[:_FORM_HEAD])
    address = _FIELD_ADDRESS.search(value)
    if address is None:
        return NOBODY
    email = (address.group(1) or address.group(2)).strip().lower()
    name = value[: address.start()].strip().strip("\"'").strip()
    return Party(email, "" if "@" in name else name)


def form_sender(body: str) -> Party:
    """The person a contact-form submission names in its fields: the address of its email
    field (or of Contact Form 7's leading ``From:`` line), named by its name fields or by
    the name beside that address. :data:`NOBODY` when its fields give no address."""
    head = body[:_FORM_HEAD]
    for field in (_EMAIL_FIELD, _FROM_FIELD):
        found = field.search(head)
        if found is None:
            continue
        value = found.group(1)
        address = _FIELD_ADDRESS.search(value)
        if address is None:
            continue
        email = (address.group(1) or address.group(2)).strip(".").lower()
        beside = value[: address.start()].strip(" \t\"'") if address.group(1) else ""
        return Party(email, form_name(head) or _shortened(beside, 80))
    return NOBODY


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else text[:limit]).rstrip(" ,;:") + "…"
