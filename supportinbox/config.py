"""The typed, validated configuration model and its TOML loader.

Unknown keys and wrong types are refused with the key's dotted name and, where it can
be found, its line in the file. Passwords are never part of the config: they live in the
system keyring or come from ``password_command``.
"""

from __future__ import annotations

import getpass
import ipaddress
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from supportinbox import paths
from supportinbox.errors import ConfigError

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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountConfig(_Model):
    """One support mailbox."""

    email: str = Field(description="The address customers write to; the From of replies.")
    display_name: str = Field("", description="Name shown in the From of replies.")
    agent: str = Field(default_factory=getpass.getuser, description="Who I am on a shared mailbox.")
    username: str = Field(description="Login for IMAP and SMTP.")
    smtp_username: str | None = Field(None, description="SMTP login, if it differs from username.")
    password_command: str | None = Field(
        None, description="Shell command printing the password; otherwise the system keyring."
    )
    auth: Literal["password", "oauth2"] | None = Field(
        None, description="password or oauth2; oauth2 when oauth2_token_command is set."
    )
    oauth2_token_command: str | None = Field(
        None, description="Shell command printing an OAuth2 access token (oama, mutt_oauth2.py, ...)."
    )
    imap_host: str
    imap_port: Annotated[int, Field(ge=1, le=65535)] = 993
    imap_security: Security = "tls"
    smtp_host: str | None = Field(None, description="Defaults to imap_host.")
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 465
    smtp_security: Security = "tls"
    ca_file: Path | None = Field(None, description="Extra trust root for a self-signed server.")
    inbox_folder: str = "INBOX"
    junk_folder: str | None = Field(None, description="Overrides SPECIAL-USE / name discovery.")
    sent_folder: str | None = Field(None, description="Overrides SPECIAL-USE / name discovery.")
    notes_folder: str = Field("Support Notes", description="Shared folder for internal notes.")
    save_to_sent: bool = Field(
        True, description="APPEND sent replies to Sent (false if the server files them itself)."
    )
    team_state: Literal["auto", "keywords", "folder"] = Field(
        "auto",
        description="How team state travels: keywords on the messages, the state folder, or auto (checked).",
    )
    timeout: Annotated[float, Field(gt=0, le=600)] = Field(
        30.0, description="Seconds before a silent server is given up on."
    )
    batch_size: Annotated[int, Field(ge=1, le=5000)] = 500
    authserv_id: str | None = Field(
        None,
        description="Our mail server's name in Authentication-Results; only its results are trusted "
        "(unset: the topmost header's, the one our server added last).",
    )

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if "@" not in value or value.startswith("@") or value.endswith("@") or " " in value:
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("agent")
    @classmethod
    def _agent_shape(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 64 or not all(c.isalnum() or c in "-_." for c in value):
            raise ValueError(
                "agent must be up to 64 letters, digits, '-', '_' or '.' (teammates see it in the registry)"
            )
        return value

    @model_validator(mode="after")
    def _plaintext_only_on_loopback(self) -> AccountConfig:
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
        return self

    @model_validator(mode="after")
    def _oauth2_needs_a_token_command(self) -> AccountConfig:
        if self.auth == "oauth2" and not self.oauth2_token_command:
            raise ValueError(
                'auth = "oauth2" needs oauth2_token_command, a command printing an access token '
                '(e.g. "oama access support@example.com")'
            )
        return self

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


class TriageConfig(_Model):
    sla_hours: Annotated[float, Field(gt=0)] = 24.0
    sla_warn_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.75
    order: Literal["newest", "oldest"] = "newest"
    urgent_keywords: tuple[str, ...] = DEFAULT_URGENT_KEYWORDS
    extra_urgent_keywords: tuple[str, ...] = ()
    vip_senders: tuple[str, ...] = Field((), description="Addresses or @domains treated as VIP.")
    incident_window_hours: Annotated[float, Field(gt=0)] = 6.0
    incident_min_customers: Annotated[int, Field(ge=2)] = 3
    incident_quiet_hours: Annotated[float, Field(gt=0)] = Field(
        24.0, description="An incident with no new report for this long becomes quiet (ends)."
    )
    attentive_minutes: Annotated[float, Field(gt=0)] = 30.0


class RepliesConfig(_Model):
    first_name_fallback: str = "there"
    undo_seconds_cli: Annotated[float, Field(ge=0, le=300)] = 0.0
    undo_seconds_tui: Annotated[float, Field(ge=0, le=300)] = 10.0
    format_flowed: bool = False
    reply_all: bool = False


class UiConfig(_Model):
    theme: str = "textual-dark"
    mark_read: Literal["open", "reply", "never"] = Field(
        "open",
        description="When a conversation's mail is marked read (\\Seen): on opening it, on replying, never.",
    )
    sync_interval_seconds: Annotated[float, Field(ge=10)] = 120.0
    idle: bool = True
    keys: dict[str, str] = Field(
        default_factory=dict, description='Binding id -> keys, e.g. reply = "r,ctrl+r".'
    )


class Config(_Model):
    default: str | None = None
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)
    triage: TriageConfig = Field(default_factory=TriageConfig)
    replies: RepliesConfig = Field(default_factory=RepliesConfig)
    ui: UiConfig = Field(default_factory=UiConfig)

    @model_validator(mode="after")
    def _default_exists(self) -> Config:
        if self.default is not None and self.default not in self.accounts:
            raise ValueError(f"default = {self.default!r} names no [accounts.{self.default}] table")
        return self

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


def _find_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(key) and stripped[len(key) :].lstrip().startswith("="):
            return number
        if stripped.startswith('"' + key + '"'):
            return number
    return None


def _describe(error: dict[str, Any], text: str) -> str:
    loc = [str(part) for part in error["loc"]]
    dotted = ".".join(loc) or "(top level)"
    line = _find_line(text, loc[-1]) if loc else None
    where = f" (line {line})" if line else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{dotted}'{where}: check the spelling against 'supportinbox init --print'"
    if kind == "missing":
        return f"missing key '{dotted}': it is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"'{dotted}'{where}: {message}"


def parse_config(text: str, source: str = "config") -> Config:
    """Parse and validate config text; raise :class:`ConfigError` with one readable line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        order = {"extra_forbidden": 0, "missing": 2}
        errors = sorted(exc.errors(), key=lambda e: order.get(e["type"], 1))
        first = _describe(errors[0], text)  # type: ignore[arg-type]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(f"{source}: {first}{more}") from None


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
agent = "alice"                      # who I am on a shared mailbox (letters, digits, - _ .)
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

[triage]
sla_hours = 24                       # promise: every customer answered within this
# sla_warn_fraction = 0.75           # lift a conversation when 75 % of the SLA has passed
# order = "newest"                   # newest | oldest, for the non-urgent rest
# vip_senders = ["ceo@bigcustomer.com", "@bigcustomer.com"]
# extra_urgent_keywords = ["invoice"]

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
