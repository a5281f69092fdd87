"""The typed, validated configuration model and its TOML loader.

Unknown keys and wrong types are refused with the key's dotted name and, where it can
be found, its line in the file. Passwords are never part of the config: they live in the
system keyring or come from ``password_command``.
"""

from __future__ import annotations

import getpass
import ipaddress
import re
import tomllib
from datetime import date, time, timedelta
from pathlib import Path, PurePath
from typing import Annotated, Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

import msgspec
from msgspec import Meta, Struct, field

from supportinbox import paths
from supportinbox.errors import ConfigError
from supportinbox.tomllines import key_lines

Security = Literal["tls", "starttls", "none"]

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for hosts that never leave this machine (where plaintext is acceptable)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bad(key: str, message: str) -> ValueError:
    """A check of one key failed: :func:`parse_config` names the key and its line."""
    return ValueError(f"[{key}] {message}")


def _path(value: Any) -> Path:
    if not isinstance(value, str | PurePath):
        raise ValueError(f"expected a path, got {type(value).__name__}")
    return Path(value)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A day is named by its three letters or in full ("mon", "monday").
_DAY_NAMES = {
    name: day
    for day, full in zip(
        _WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), strict=True
    )
    for name in (day, full)
}


class Weekdays(tuple[str, ...]):
    """Working days: ``"mon-fri"``, ``"mon,wed"`` or a list of day names, as three-letter names."""

    @classmethod
    def read(cls, value: Any) -> Weekdays:
        if isinstance(value, str):  # "mon-fri" or "mon,wed"
            text = value.strip().lower()
            if text.count("-") == 1:
                value = [part.strip() for part in text.split("-")]
                bad = [d for d in value if d not in _DAY_NAMES]
                if bad:
                    raise ValueError(f"unknown day {bad[0]!r}: use mon, tue, wed, thu, fri, sat, sun")
                a, b = (_WEEKDAYS.index(_DAY_NAMES[d]) for d in value)
                return cls(_WEEKDAYS[(a + i) % 7] for i in range((b - a) % 7 + 1))
            value = [part for part in text.replace(",", " ").split() if part]
        if not isinstance(value, list | tuple):
            raise ValueError('expected days like "mon-fri" or ["mon", "tue"]')
        names = [str(d).strip().lower() for d in value]
        bad = [d for d in names if d not in _DAY_NAMES]
        if bad:
            raise ValueError(f"unknown day {bad[0]!r}: use mon, tue, wed, thu, fri, sat, sun")
        return cls(_DAY_NAMES[d] for d in names)


class ClockTime(time):
    """A time of day: ``"09:00"`` or a TOML local time; ``"24:00"`` is read as 00:00 (midnight)."""

    @classmethod
    def read(cls, value: Any) -> ClockTime:
        if isinstance(value, str):
            text = value.strip()
            if text == "24:00":
                return cls(0, 0)
            try:
                value = time.fromisoformat(text)
            except ValueError:
                raise ValueError(f'{value!r} is not a time of day like "09:00"') from None
        if not isinstance(value, time):
            raise ValueError('expected a time of day like "09:00"')
        return cls(value.hour, value.minute, value.second)


_DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class Duration(timedelta):
    """A target: ``"30m"``, ``"4h"``, ``"2d"``, ``"1w"`` (``"1800s"`` as the cache keeps it)."""

    @classmethod
    def read(cls, value: Any) -> Duration:
        if isinstance(value, timedelta):
            return cls(seconds=value.total_seconds())
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f'{value!r} needs a unit: write it like "30m", "4h", "2d" or "1w"')
        text = str(value).strip().lower().replace(" ", "")
        number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(number) :]
        try:
            amount = float(number)
        except ValueError:
            amount = -1
        if unit not in _DURATION_UNITS or amount <= 0:
            raise ValueError(f'{value!r} is not a duration: write it like "30m", "4h", "2d" or "1w"')
        return cls(seconds=amount * _DURATION_UNITS[unit])


#: Types msgspec does not read itself, and how each is read from a TOML value; the
#: messages of their ``ValueError`` reach the user beside the key's name.
_READERS: dict[type, Any] = {
    Path: _path,
    Weekdays: Weekdays.read,
    ClockTime: ClockTime.read,
    Duration: Duration.read,
}


def _dec_hook(kind: type, value: Any) -> Any:
    reader = _READERS.get(kind)
    if reader is None:
        raise NotImplementedError
    return reader(value)


def _enc_hook(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Duration):
        return f"{value.total_seconds():g}s"
    if isinstance(value, ClockTime):
        return value.isoformat()
    if isinstance(value, Weekdays):
        return list(value)
    raise NotImplementedError


class _Model(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A config table: unknown keys are refused, values checked on the way in, never changed after.

    On msgspec: the whole model loads in about a millisecond, and every
    command (``list`` from a status bar, ``sync`` from cron) reads the config first.
    """

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """A checked instance from plain data (TOML or JSON values); ``ValueError`` if it is wrong."""
        # strict: a quoted number ("30") or truth ("true") is refused, not read as the number;
        # the error names the key and how to write it (see _unquote_hint).
        return msgspec.convert(data, cls, strict=True, dec_hook=_dec_hook)

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Self:
        return cls.model_validate(msgspec.json.decode(text))

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with ``update`` applied (the checks in ``__post_init__`` run again)."""
        return msgspec.structs.replace(self, **(update or {}))

    def model_dump(self) -> dict[str, Any]:
        """Plain data (dicts, lists, strings, numbers) that :meth:`model_validate` reads back."""
        data: dict[str, Any] = msgspec.to_builtins(self, enc_hook=_enc_hook)
        return data

    def model_dump_json(self) -> str:
        return msgspec.json.encode(self, enc_hook=_enc_hook).decode()


def is_agent_name(name: str) -> bool:
    """True for a name ``agent`` may have in the config: up to 64 letters, digits, ``-_.``."""
    return bool(name) and len(name) <= 64 and all(c.isalnum() or c in "-_." for c in name)


def _get_user() -> str:
    return getpass.getuser()


Port = Annotated[int, Meta(ge=1, le=65535)]


class HoursConfig(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Business hours of a mailbox: targets and reports count only time at work."""

    timezone: Annotated[str, Meta(description="IANA zone of the working hours, e.g. Europe/Berlin.")] = "UTC"
    days: Annotated[Weekdays, Meta(description="Working days.")] = Weekdays(_WEEKDAYS[:5])
    start: ClockTime = ClockTime(9, 0)
    end: Annotated[ClockTime | None, Meta(description='End of the working day; "24:00" for midnight.')] = (
        ClockTime(17, 0)
    )
    holidays: Annotated[
        str | None, Meta(description='Public holidays of a country ("DE") or subdivision ("DE-BY").')
    ] = None
    closed_days: Annotated[tuple[date, ...], Meta(description="Extra days off, e.g. 2026-12-24.")] = ()

    def __post_init__(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad(
                "timezone", f'unknown time zone {self.timezone!r}: use a name like "Europe/Berlin"'
            ) from None
        if self.end is not None and self.end == time(0, 0):
            msgspec.structs.force_setattr(self, "end", None)  # "24:00": the day ends at midnight
        if self.end is not None and self.end <= self.start:
            raise _bad("end", "the working day must end after it starts")
        if self.holidays:
            import holidays

            country, _, subdivision = self.holidays.strip().upper().partition("-")
            supported = holidays.list_supported_countries()
            if country not in supported:
                raise _bad(
                    "holidays",
                    f'no public holidays known for {self.holidays!r}: use a country code like "DE"',
                )
            if subdivision and subdivision not in {s.upper() for s in supported[country]}:
                raise _bad("holidays", f"{country} has no subdivision {subdivision!r}")
            msgspec.structs.force_setattr(self, "holidays", self.holidays.strip().upper())
        elif self.holidays is not None:
            msgspec.structs.force_setattr(self, "holidays", None)


class SlaTargets(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Reply and resolution targets, counted in business time (unset: inherited)."""

    first_reply: Annotated[
        Duration | None, Meta(description="From the customer's first message to our first reply.")
    ] = None
    next_reply: Annotated[
        Duration | None,
        Meta(description="From a customer's message to our next reply (default: [triage] sla_hours)."),
    ] = None
    resolution: Annotated[Duration | None, Meta(description="From the first message to closing it.")] = None


class SlaConfig(SlaTargets, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[sla]``: the default targets, and overrides for VIP senders and tags."""

    vip: Annotated[SlaTargets, Meta(description="Targets for [triage] vip_senders.")] = field(
        default_factory=SlaTargets
    )
    tags: Annotated[dict[str, SlaTargets], Meta(description="Targets per reply-template tag.")] = field(
        default_factory=dict
    )


class SlaSettings(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything a mailbox's SLA policy is built from (kept with the cache between refreshes)."""

    sla: SlaConfig = field(default_factory=SlaConfig)
    mailbox: SlaTargets | None = None
    hours: HoursConfig | None = None


AckRule = Literal["outside-hours", "first-reply-late"]
ACK_OUTSIDE_HOURS: AckRule = "outside-hours"
ACK_FIRST_REPLY_LATE: AckRule = "first-reply-late"
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class AcknowledgementConfig(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[accounts.X.acknowledgement]``: a short automatic reply to a new conversation (off by default)."""

    enabled: Annotated[bool, Meta(description="Send acknowledgements at all (off unless set).")] = False
    template: Annotated[
        str, Meta(description="The template sent (its language variants are chosen as for replies).")
    ] = "acknowledgement"
    when: Annotated[
        tuple[AckRule, ...],
        Meta(
            description="outside-hours: it arrived while the team is away ([accounts.X.hours]); "
            "first-reply-late: the first-reply target is about to be missed."
        ),
    ] = (ACK_OUTSIDE_HOURS, ACK_FIRST_REPLY_LATE)
    min_hours_between: Annotated[
        float,
        Meta(gt=0, le=24 * 30, description="At most one acknowledgement per customer in this many hours."),
    ] = 24.0

    def __post_init__(self) -> None:
        if not self.when:
            raise _bad("when", 'name at least one of "outside-hours", "first-reply-late"')
        if len(set(self.when)) != len(self.when):
            msgspec.structs.force_setattr(self, "when", tuple(dict.fromkeys(self.when)))
        if not _TEMPLATE_NAME.match(self.template):
            raise _bad(
                "template",
                f"{self.template!r} is not a template name: use letters, digits, '-', '_' or '.'",
            )


class AgentConfig(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What is one agent's own on a shared mailbox: ``[accounts.NAME.agents.AGENT]``."""

    signature: Annotated[str | None, Meta(description="The signature under this agent's replies.")] = None
    signature_file: Annotated[Path | None, Meta(description="A UTF-8 text file holding the signature.")] = (
        None
    )

    def __post_init__(self) -> None:
        _one_signature(self.signature, self.signature_file)


def _one_signature(signature: str | None, signature_file: Path | None) -> None:
    if signature is not None and signature_file is not None:
        raise _bad("signature", "give signature or signature_file, not both")


class AccountConfig(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One support mailbox."""

    email: Annotated[str, Meta(description="The address customers write to; the From of replies.")]
    display_name: Annotated[str, Meta(description="Name shown in the From of replies.")] = ""
    agent: Annotated[str, Meta(description="Who I am on a shared mailbox.")] = field(
        default_factory=_get_user
    )
    username: Annotated[str, Meta(description="Login for IMAP and SMTP.")]
    smtp_username: Annotated[str | None, Meta(description="SMTP login, if it differs from username.")] = None
    password_command: Annotated[
        str | None, Meta(description="Shell command printing the password; otherwise the system keyring.")
    ] = None
    auth: Annotated[
        Literal["password", "oauth2"] | None,
        Meta(description="password or oauth2; oauth2 when oauth2_token_command is set."),
    ] = None
    oauth2_token_command: Annotated[
        str | None,
        Meta(description="Shell command printing an OAuth2 access token (oama, mutt_oauth2.py, ...)."),
    ] = None
    imap_host: str
    imap_port: Port = 993
    imap_security: Security = "tls"
    smtp_host: Annotated[str | None, Meta(description="Defaults to imap_host.")] = None
    smtp_port: Port = 465
    smtp_security: Security = "tls"
    ca_file: Annotated[Path | None, Meta(description="Extra trust root for a self-signed server.")] = None
    inbox_folder: str = "INBOX"
    junk_folder: Annotated[str | None, Meta(description="Overrides SPECIAL-USE / name discovery.")] = None
    sent_folder: Annotated[str | None, Meta(description="Overrides SPECIAL-USE / name discovery.")] = None
    notes_folder: Annotated[str, Meta(description="Shared folder for internal notes.")] = "Support Notes"
    save_to_sent: Annotated[
        bool, Meta(description="APPEND sent replies to Sent (false if the server files them itself).")
    ] = True
    team_state: Annotated[
        Literal["auto", "keywords", "folder"],
        Meta(
            description="How team state travels: keywords on the messages, the state folder, "
            "or auto (checked)."
        ),
    ] = "auto"
    timeout: Annotated[
        float, Meta(gt=0, le=600, description="Seconds before a silent server is given up on.")
    ] = 30.0
    batch_size: Annotated[int, Meta(ge=1, le=5000)] = 500
    authserv_id: Annotated[
        str | None,
        Meta(
            description="Our mail server's name in Authentication-Results; only its results are trusted "
            "(unset: the topmost header's, the one our server added last)."
        ),
    ] = None
    hours: Annotated[
        HoursConfig | None, Meta(description="Business hours; without them every hour counts.")
    ] = None
    sla: Annotated[SlaTargets | None, Meta(description="This mailbox's targets, over [sla].")] = None
    signature: Annotated[
        str | None, Meta(description="The account's signature, for agents without their own.")
    ] = None
    signature_file: Annotated[Path | None, Meta(description="A UTF-8 text file holding the signature.")] = (
        None
    )
    agents: Annotated[
        dict[str, AgentConfig], Meta(description="Per agent: [accounts.NAME.agents.AGENT] signature = ...")
    ] = field(default_factory=dict)
    auto_signature: Annotated[
        bool,
        Meta(description="Add the signature under a reply whose template does not place {{ signature }}."),
    ] = True
    acknowledgement: Annotated[
        AcknowledgementConfig,
        Meta(description="An automatic acknowledgement of new conversations (off by default)."),
    ] = field(default_factory=AcknowledgementConfig)

    def __post_init__(self) -> None:
        _one_signature(self.signature, self.signature_file)
        email = self.email
        if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
            raise _bad("email", f"{email!r} is not an e-mail address")
        agent = self.agent.strip()
        if not is_agent_name(agent):
            raise _bad(
                "agent",
                "agent must be up to 64 letters, digits, '-', '_' or '.' (teammates see it in the registry)",
            )
        msgspec.structs.force_setattr(self, "agent", agent)
        if self.ca_file is not None:
            # Written as "~/certs/ca.pem" in the config; IMAP and SMTP both load this path.
            msgspec.structs.force_setattr(self, "ca_file", self.ca_file.expanduser())
        if self.imap_security == "none" and not is_loopback(self.imap_host):
            raise ValueError(
                f'imap_security = "none" is only allowed for a loopback host, not {self.imap_host!r}; '
                'use "tls" or "starttls"'
            )
        if self.smtp_security == "none" and not is_loopback(self.smtp_server):
            raise ValueError(
                f'smtp_security = "none" is only allowed for a loopback host, not {self.smtp_server!r}; '
                'use "tls" or "starttls"'
            )
        ack = self.acknowledgement
        if ack.enabled and ACK_OUTSIDE_HOURS in ack.when and self.hours is None:
            raise _bad(
                "acknowledgement",
                'when = "outside-hours" needs business hours: add [accounts.NAME.hours], '
                'or set when = ["first-reply-late"]',
            )
        if self.auth == "oauth2" and not self.oauth2_token_command:
            raise ValueError(
                'auth = "oauth2" needs oauth2_token_command, a command printing an access token '
                '(e.g. "oama access support@example.com")'
            )

    @property
    def uses_oauth2(self) -> bool:
        """Log in with an OAuth2 access token (XOAUTH2/OAUTHBEARER) instead of a password."""
        return self.auth == "oauth2" or (self.auth is None and bool(self.oauth2_token_command))

    @property
    def smtp_server(self) -> str:
        return self.smtp_host or self.imap_host

    @property
    def smtp_login(self) -> str:
        return self.smtp_username or self.username

    @property
    def from_header(self) -> str:
        from email.headerregistry import Address

        return str(Address(display_name=self.display_name, addr_spec=self.email))


DEFAULT_URGENT_KEYWORDS: tuple[str, ...] = (
    # English
    "urgent",
    "asap",
    "emergency",
    "down",
    "outage",
    "not working",
    "broken",
    "can't log in",
    "cannot log in",
    "can't login",
    "locked out",
    "refund",
    "charged twice",
    "double charged",
    "cancel",
    "legal",
    "lawyer",
    "chargeback",
    "security",
    "hacked",
    "data loss",
    "critical",
    "disaster",
    "charged me twice",
    "breach",
    # German, French, Spanish, Portuguese, Italian, Dutch
    "dringend",
    "sofort",
    "ausfall",
    "rückerstattung",
    "doppelt abgebucht",
    "kritisch",
    "gehackt",
    "gesperrt",
    "urgence",
    "urgent",
    "remboursement",
    "rembourser",
    "prélevé deux fois",
    "en panne",
    "piraté",
    "critique",
    "urgente",
    "reembolso",
    "cobro duplicado",
    "crítico",
    "hackeado",
    "caído",
    "urgência",
    "cobrança em dobro",
    "invadida",
    "rimborso",
    "storing",
    "terugbetaling",
    # Arabic
    "عاجل",
    "مستعجل",
    "طارئ",
    "استرداد",
    "لا يعمل",
    "معطل",
    "اختراق",
    # Persian
    "فوری",
    "اضطراری",
    "بازپرداخت",
    "کار نمی‌کند",
    "قطع",
    "هک",
)


class TriageConfig(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    sla_hours: Annotated[float, Meta(gt=0)] = 24.0
    sla_warn_fraction: Annotated[float, Meta(gt=0, lt=1)] = 0.75
    order: Literal["newest", "oldest"] = "newest"
    urgent_keywords: tuple[str, ...] = DEFAULT_URGENT_KEYWORDS
    extra_urgent_keywords: tuple[str, ...] = ()
    vip_senders: Annotated[tuple[str, ...], Meta(description="Addresses or @domains treated as VIP.")] = ()
    incident_window_hours: Annotated[float, Meta(gt=0)] = 6.0
    incident_min_customers: Annotated[int, Meta(ge=2)] = 3
    incident_quiet_hours: Annotated[
        float, Meta(gt=0, description="An incident with no new report for this long becomes quiet (ends).")
    ] = 24.0
    attentive_minutes: Annotated[
        float, Meta(gt=0, description="The first-reply target when [sla] first_reply is not set.")
    ] = 30.0
    pending_reminder_days: Annotated[
        float,
        Meta(
            ge=0,
            description="Days without a customer answer before a pending conversation comes back (0: off).",
        ),
    ] = 0.0
    features: Annotated[
        dict[str, tuple[str, ...]],
        Meta(
            description="Your product's features -> the other names customers give them, in any language: "
            'reports naming one any of these ways are about one thing, e.g. "purchase orders" = ["POs", '
            '"Bestellungen"].'
        ),
    ] = field(default_factory=dict)


class RepliesConfig(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    first_name_fallback: str = "there"
    undo_seconds_cli: Annotated[float, Meta(ge=0, le=300)] = 0.0
    undo_seconds_tui: Annotated[float, Meta(ge=0, le=300)] = 10.0
    format_flowed: bool = False
    reply_all: bool = False
    language: Annotated[
        str,
        Meta(
            pattern=r"^[a-z]{2}(-[a-z]{2})?$",
            description="Language of the templates without a suffix (NAME.txt); NAME.de.txt is German.",
        ),
    ] = "en"


class UiConfig(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    theme: str = "textual-dark"
    mark_read: Annotated[
        Literal["open", "reply", "never"],
        Meta(
            description="When a conversation's mail is marked read (\\Seen): "
            "on opening it, on replying, never."
        ),
    ] = "open"
    sync_interval_seconds: Annotated[float, Meta(ge=10)] = 120.0
    idle: bool = True
    keys: Annotated[dict[str, str], Meta(description='Binding id -> keys, e.g. reply = "r,ctrl+r".')] = field(
        default_factory=dict
    )


class Config(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    default: str | None = None
    accounts: dict[str, AccountConfig] = field(default_factory=dict)
    triage: TriageConfig = field(default_factory=TriageConfig)
    replies: RepliesConfig = field(default_factory=RepliesConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    sla: SlaConfig = field(default_factory=SlaConfig)

    #: The tables below [accounts.*], each checked on its own when the config is wrong.
    TABLES: ClassVar[dict[str, type[_Model]]] = {
        "triage": TriageConfig,
        "replies": RepliesConfig,
        "ui": UiConfig,
        "sla": SlaConfig,
    }

    def __post_init__(self) -> None:
        if self.default is not None and self.default not in self.accounts:
            raise ValueError(f"default = {self.default!r} names no [accounts.{self.default}] table")

    def sla_settings(self, account: AccountConfig) -> SlaSettings:
        """The SLA settings of ``account``: [sla], its own [accounts.X.sla] and hours."""
        return SlaSettings(sla=self.sla, mailbox=account.sla, hours=account.hours)

    def account(self, name: str | None = None) -> tuple[str, AccountConfig]:
        """The account called ``name``, else the default one, else the only one."""
        if not self.accounts:
            raise ConfigError(
                "no account is configured: run 'supportinbox init' and edit "
                f"{paths.config_file()}, or try 'supportinbox demo'"
            )
        wanted = name or self.default
        if wanted is None:
            if len(self.accounts) == 1:
                wanted = next(iter(self.accounts))
            else:
                names = ", ".join(sorted(self.accounts))
                raise ConfigError(
                    f"several accounts are configured ({names}): pass --account NAME "
                    'or set default = "NAME" at the top of the config'
                )
        if wanted not in self.accounts:
            names = ", ".join(sorted(self.accounts))
            raise ConfigError(f"no account named {wanted!r} in the config (accounts: {names})")
        return wanted, self.accounts[wanted]


def _find_line(text: str, keys: list[str]) -> int | None:
    """The line setting the key at ``keys``: under its table's header, in an inline table or
    dotted; None if the text does not set it (a missing key)."""
    return key_lines(text).get(tuple(keys))


_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_FIELD = re.compile(r"^Object (?P<kind>contains unknown|missing required) field `(?P<key>[^`]*)`$")
_KEY_CHECK = re.compile(r"^\[(?P<key>\w+)\] (?P<message>.*)$", re.DOTALL)
_ENUM = re.compile(r"^Invalid enum value (?P<value>.*)$")
_TYPE = re.compile(r"`(?P<names>[a-z]+(?: \| [a-z]+)*)`")
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "null": "nothing",
    "Path": "a path",
}

# Problems are reported unknown keys first (a typo explains the rest), missing keys last.
_UNKNOWN, _OTHER, _MISSING = 0, 1, 2


def _type_words(match: re.Match[str]) -> str:
    return " or ".join(_TYPE_WORDS.get(name, name) for name in match["names"].split(" | "))


def _choices(model: type[_Model], key: str) -> tuple[str, ...]:
    """The values a ``Literal`` key of ``model`` accepts."""
    hint: Any = get_type_hints(model).get(key)
    for _ in range(3):
        if get_origin(hint) is Literal:
            return tuple(str(choice) for choice in get_args(hint))
        args = [arg for arg in get_args(hint) if arg is not type(None)]
        hint = args[0] if args else None
    return ()


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# How a check of an account's table names another of its tables: the line names the account.
_ANY_ACCOUNT = "[accounts.NAME."


def toml_key(name: str) -> str:
    """``name`` as a TOML table header writes it: bare, or quoted when it has to be."""
    if _BARE_KEY.fullmatch(name):
        return name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(f"\\u{ord(c):04x}" if c < " " or c == "\x7f" else c for c in escaped) + '"'


def _table_model(model: type[_Model], keys: list[str]) -> type[_Model] | None:
    """The model of the table that ``keys`` (below ``model``) lead to, when there is one."""
    names = iter(keys)
    for key in names:
        hint: Any = get_type_hints(model, include_extras=True).get(key)
        for _ in range(4):  # Annotated[X | None, ...], dict[str, X]: down to the table's model
            if isinstance(hint, type) and issubclass(hint, _Model):
                break
            if get_origin(hint) is dict:
                next(names, None)  # the key after a table of tables names one of them
            args = [arg for arg in get_args(hint) if arg is not type(None) and not isinstance(arg, Meta)]
            hint = args[-1] if args else None
        else:
            return None
        if not (isinstance(hint, type) and issubclass(hint, _Model)):
            return None
        model = hint
    return model


def _unknown_key_advice(model: type[_Model], keys: list[str]) -> str:
    """'did you mean ...' with the table's nearest key, else where the right names are."""
    import difflib

    table = _table_model(model, keys[:-1])
    known = [info.encode_name for info in msgspec.structs.fields(table)] if table is not None else []
    nearest = difflib.get_close_matches(keys[-1], known, n=1, cutoff=0.7)
    if nearest:
        return f"did you mean '{nearest[0]}'?"
    return "check the spelling against 'supportinbox init --print'"


def _given(table: Any, keys: list[str]) -> Any:
    """The value at ``keys`` below ``table`` as the file gave it (None where there is none)."""
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def _unquote_hint(model: type[_Model], keys: list[str], given: Any, expected: str) -> str:
    """How to write a number or a truth given as text: the same without quotes, or the default."""
    if not isinstance(given, str) or not ("number" in expected or "true or false" in expected):
        return ""
    key, word = keys[-1], given.strip()
    if "true or false" in expected:
        if word.lower() in ("true", "false"):
            return f": write {key} = {word.lower()} without quotes"
        return f": write {key} = true or {key} = false, without quotes"
    try:
        (int if "whole number" in expected else float)(word)
    except ValueError:
        pass
    else:
        return f": write {key} = {word} without quotes"
    defaults = {info.encode_name: info.default for info in msgspec.structs.fields(model)}
    default = defaults.get(key) if len(keys) == 1 else None
    if isinstance(default, int | float) and not isinstance(default, bool):
        return f": write a number without quotes, like {key} = {default:g}"
    return ": write it without quotes"


def _path_keys(path: str, model: type[_Model], table: Any, error: str) -> list[str]:
    """The keys of msgspec's error ``path`` below ``table``, like ``.agents[...].signature``.

    msgspec writes an entry of a table of tables (``[accounts.X.agents.NAME]``) as ``[...]``:
    its name is found by checking each entry alone for the same ``error``.
    """
    keys: list[str] = []
    for field_name, entry in re.findall(r"\.([^.\[]+)|(\[[^\]]*\])", path):
        if field_name:
            keys.append(field_name)
        elif entry == "[...]" and (name := _failing_entry(model, table, keys, error)) is not None:
            keys.append(name)
    return keys


def _failing_entry(model: type[_Model], table: Any, keys: list[str], error: str) -> str | None:
    """The name of the entry of the table at ``keys`` (below ``table``) that fails with ``error``."""
    entries = _given(table, keys)
    if not isinstance(table, dict) or not isinstance(entries, dict):
        return None
    known = {info.encode_name for info in msgspec.structs.fields(model)}
    checked = {key: item for key, item in table.items() if key in known}
    for name, item in entries.items():
        try:
            model.model_validate(_replaced(checked, keys, {name: item}))
        except ValueError as exc:
            if str(exc) == error:
                return str(name)
    return None


def _replaced(table: dict[str, Any], keys: list[str], value: Any) -> Any:
    """A copy of ``table`` with the value at ``keys`` replaced by ``value``."""
    if not keys:
        return value
    return {**table, keys[0]: _replaced(table[keys[0]], keys[1:], value)}


def _describe(
    error: str, model: type[_Model], where: list[str], text: str, table: Any = None
) -> tuple[int, str]:
    """One readable line for msgspec's ``error`` in the table at ``where``, and its order."""
    message = error
    if where[:1] == ["accounts"] and len(where) > 1 and _ANY_ACCOUNT in message:
        message = message.replace(_ANY_ACCOUNT, f"[accounts.{toml_key(where[1])}.")
    at = _AT.search(message)
    keys = list(where)
    if at:
        message = message[: at.start()]
        keys += _path_keys(at["path"], model, table, error)
    kind = _OTHER
    if found := _FIELD.match(message):
        keys.append(found["key"])
        kind = _UNKNOWN if found["kind"] == "contains unknown" else _MISSING
    elif found := _KEY_CHECK.match(message):
        keys.append(found["key"])
        message = found["message"]
    elif (found := _ENUM.match(message)) and len(keys) > len(where):
        choices = _choices(model, keys[-1])
        message = f"{found['value']} is not one of {', '.join(choices)}" if choices else message
    elif message.startswith("Expected "):
        message = "expected " + _TYPE.sub(_type_words, message.removeprefix("Expected "))
        inner = keys[len(where) :]
        if inner:
            message += _unquote_hint(model, inner, _given(table, inner), message)
    dotted = ".".join(keys) or "(top level)"
    line = _find_line(text, keys) if keys else None
    place = f" (line {line})" if line else ""
    if kind == _UNKNOWN:
        return kind, f"unknown key '{dotted}'{place}: {_unknown_key_advice(model, keys[len(where) :])}"
    if kind == _MISSING:
        return kind, f"missing key '{dotted}': it is required"
    return kind, f"'{dotted}'{place}: {message}"


def _problems(raw: dict[str, Any], text: str) -> list[tuple[int, str]]:
    """Every table checked on its own, so each problem is named with its full key."""
    problems: list[tuple[int, str]] = []
    tables: list[tuple[type[_Model], list[str], Any]] = []
    accounts = raw.get("accounts")
    if isinstance(accounts, dict):
        tables += [(AccountConfig, ["accounts", name], value) for name, value in accounts.items()]
    for key, model in Config.TABLES.items():
        if isinstance(raw.get(key), dict):
            tables.append((model, [key], raw[key]))
    for model, where, value in tables:
        known = {info.encode_name for info in msgspec.structs.fields(model)}
        for key in value:
            if key not in known:
                problems.append(_describe(f"Object contains unknown field `{key}`", model, where, text))
        try:
            model.model_validate({key: item for key, item in value.items() if key in known})
        except ValueError as exc:
            problems.append(_describe(str(exc), model, where, text, value))
    return problems


def parse_config(text: str, source: str = "config") -> Config:
    """Parse and validate config text; raise :class:`ConfigError` with one readable line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    try:
        return Config.model_validate(raw)
    except ValueError as exc:
        problems = _problems(raw, text) or [_describe(str(exc), Config, [], text)]
    problems.sort(key=lambda problem: problem[0])
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    raise ConfigError(f"{source}: {problems[0][1]}{more}") from None


def load_config(path: Path | None = None) -> Config:
    """Load the config file; a missing file is an empty config (no accounts)."""
    path = path or paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path != paths.config_file():
            raise ConfigError(f"config file {path} does not exist") from None
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parse_config(text, str(path))


EXAMPLE_CONFIG = """\
# supportinbox configuration.  Passwords are never stored here: run
# 'supportinbox login' to put one in the system keyring, or set password_command.

# default = "support"          # which [accounts.*] to use without --account

[accounts.support]
email = "support@example.com"        # the address customers write to; From of replies
display_name = "Example Support"
agent = "alice"                      # who I am on a shared mailbox: each teammate a different name
username = "support@example.com"     # login for IMAP and SMTP
# smtp_username = "..."              # if SMTP wants another login
# password_command = "pass show example/support"   # otherwise the system keyring
imap_host = "imap.example.com"
imap_port = 993
imap_security = "tls"                # tls | starttls | none (none only to a loopback host)
smtp_host = "smtp.example.com"
smtp_port = 465
smtp_security = "tls"                # tls | starttls | none (none only to a loopback host)
# ca_file = "/path/to/ca.pem"        # extra trust root for a self-signed server
# junk_folder = "Spam"               # normally found by SPECIAL-USE or its name
# sent_folder = "Sent"
# save_to_sent = true                # false if the server files sent mail itself (e.g. Gmail)
# timeout = 30                       # seconds before a silent server is given up on

# [accounts.support.hours]           # business hours: SLA targets and reports count only these
# timezone = "Europe/Berlin"
# days = "mon-fri"
# start = "09:00"
# end = "17:00"
# holidays = "DE"                    # public holidays of a country or "DE-BY"
# closed_days = [2026-12-24]

# [accounts.support.acknowledgement] # a short automatic reply to a new conversation (off by default)
# enabled = true
# template = "acknowledgement"       # templates/acknowledgement.txt (and .de.txt, .ar.txt, ...)
# when = ["outside-hours", "first-reply-late"]
# min_hours_between = 24             # at most one per customer in this many hours

[triage]
sla_hours = 24                       # promise: every customer answered within this
# sla_warn_fraction = 0.75           # lift a conversation when 75 % of the SLA has passed
# order = "newest"                   # newest | oldest, for the non-urgent rest
# vip_senders = ["ceo@bigcustomer.com", "@bigcustomer.com"]
# extra_urgent_keywords = ["invoice"]

# [sla]                              # targets in business time ([accounts.X.hours])
# first_reply = "30m"                # customer's first message -> our first reply
# next_reply = "24h"                 # each later customer message -> our reply (= sla_hours)
# resolution = "3d"                  # first message -> closed
# [sla.vip]                          # for vip_senders
# first_reply = "15m"
# [sla.tags.billing]                 # conversations tagged billing (reports)
# resolution = "1d"
# [accounts.support.sla]             # this mailbox only
# first_reply = "1h"

[replies]
first_name_fallback = "there"        # "Hi there," when a customer gave no name
# undo_seconds_tui = 10              # time to cancel a reply in the TUI
# undo_seconds_cli = 0

[ui]
# theme = "textual-dark"             # or textual-light
# sync_interval_seconds = 120
# [ui.keys]
# reply = "r"
"""
