"""Account settings of the mail providers founders use, for ``supportinbox init --provider``.

Each profile is what the provider documents for IMAP and SMTP clients: hosts, ports and
security, how to log in (an app password, or OAuth2 where passwords are refused), the
names of its Junk and Sent folders, whether its SMTP server files sent mail in Sent by
itself (then a second copy must not be APPENDed), and whether it keeps custom keywords.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from supportinbox.config import EXAMPLE_CONFIG, is_agent_name


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    imap_host: str
    smtp_host: str
    smtp_port: int = 465
    smtp_security: str = "tls"
    auth: str = "password"
    junk_folder: str | None = None
    sent_folder: str | None = None
    save_to_sent: bool = True
    team_state: str = "auto"
    login: tuple[str, ...] = ()  # how to log in, in comment lines
    folder_note: str = ""


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider(
            "gmail",
            "Gmail / Google Workspace",
            "imap.gmail.com",
            "smtp.gmail.com",
            junk_folder="[Gmail]/Spam",
            sent_folder="[Gmail]/Sent Mail",
            save_to_sent=False,
            login=(
                "Log in with an app password (Google Account > Security > 2-Step Verification >",
                "App passwords), stored with 'supportinbox login'. Where the Workspace admin allows",
                'no app passwords, use OAuth2: oauth2_token_command = "oama access ADDRESS".',
            ),
            folder_note="accounts in the UK and Germany may show [Google Mail]/... instead",
        ),
        Provider(
            "microsoft365",
            "Microsoft 365 / Exchange Online",
            "outlook.office365.com",
            "smtp.office365.com",
            smtp_port=587,
            smtp_security="starttls",
            auth="oauth2",
            junk_folder="Junk Email",
            sent_folder="Sent Items",
            save_to_sent=False,
            team_state="folder",
            login=(
                "Microsoft 365 refuses passwords for IMAP and SMTP: log in with OAuth2. A helper",
                "such as oama or mutt_oauth2.py, registered for IMAP.AccessAsUser.All and SMTP.Send,",
                "prints the access token.",
            ),
        ),
        Provider(
            "fastmail",
            "Fastmail",
            "imap.fastmail.com",
            "smtp.fastmail.com",
            junk_folder="Spam",
            sent_folder="Sent",
            login=(
                "Log in with an app password (Settings > Privacy & Security > App passwords),",
                "stored with 'supportinbox login'.",
            ),
        ),
        Provider(
            "icloud",
            "iCloud Mail",
            "imap.mail.me.com",
            "smtp.mail.me.com",
            smtp_port=587,
            smtp_security="starttls",
            junk_folder="Junk",
            sent_folder="Sent Messages",
            login=(
                "Log in with an app-specific password (appleid.apple.com > Sign-In and Security),",
                "stored with 'supportinbox login'. The username is the address (for an @icloud.com",
                "address, its part before the @ also works).",
            ),
        ),
    )
}
PROVIDER_NAMES: tuple[str, ...] = (*PROVIDERS, "generic")


# Logins that name a machine's administrator, not a person a teammate would recognise.
_NOT_A_PERSON = frozenset({"root", "admin", "administrator", "user", "ubuntu", "debian"})
_EXAMPLE_AGENT = 'agent = "alice"                      #'
_EXAMPLE_ADDRESS = "support@example.com"


def default_agent() -> str:
    """The agent name ``init`` writes: this computer's login when it names a person, else ``"me"``.

    Never a fixed example name: two teammates who both kept one would be the same agent to
    the server, and neither would be warned that the other holds a conversation.
    """
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name for this uid (a container)
        login = ""
    name = "".join(c for c in login if c.isalnum() or c in "-_.")[:64].strip("-_.")
    return name if is_agent_name(name) and name.lower() not in _NOT_A_PERSON else "me"


def config_text(provider: str, email: str | None = None, agent: str | None = None) -> str:
    """A commented config for ``provider`` (``generic``: the example config)."""
    agent = agent or default_agent()
    if provider == "generic":
        line = f'agent = "{agent}"'.ljust(len(_EXAMPLE_AGENT) - 2) + " #"
        text = EXAMPLE_CONFIG.replace(_EXAMPLE_AGENT, line, 1)
        if email:  # the address and the login, as a provider's profile has them
            for key in ("email", "username"):
                text = text.replace(f'\n{key} = "{_EXAMPLE_ADDRESS}"', f'\n{key} = "{email}"', 1)
        return text
    profile = PROVIDERS[provider]
    address = email or _EXAMPLE_ADDRESS
    head, _, rest = EXAMPLE_CONFIG.partition("[accounts.support]\n")
    _, _, tail = rest.partition("\n[triage]\n")
    lines = [
        f"# {profile.title}.",
        *(f"# {line}" for line in profile.login),
        "[accounts.support]",
        f'email = "{address}"   # the address customers write to; From of replies',
        'display_name = "Support"',
        f'agent = "{agent}"   # who I am on a shared mailbox: each teammate a different name',
        f'username = "{address}"',
    ]
    if profile.auth == "oauth2":
        lines += [
            'auth = "oauth2"',
            f'oauth2_token_command = "oama access {address}"   # prints an access token',
        ]
    lines += [
        f'imap_host = "{profile.imap_host}"',
        "imap_port = 993",
        'imap_security = "tls"',
        f'smtp_host = "{profile.smtp_host}"',
        f"smtp_port = {profile.smtp_port}",
        f'smtp_security = "{profile.smtp_security}"',
    ]
    if profile.junk_folder:
        note = f"   # {profile.folder_note}" if profile.folder_note else ""
        lines.append(f'junk_folder = "{profile.junk_folder}"{note}')
    if profile.sent_folder:
        lines.append(f'sent_folder = "{profile.sent_folder}"')
    if not profile.save_to_sent:
        lines.append("save_to_sent = false   # its SMTP server files sent mail in Sent itself")
    if profile.team_state != "auto":
        lines.append(
            f'team_state = "{profile.team_state}"   # it keeps no custom keywords: team state in a folder'
        )
    return head + "\n".join(lines) + "\n\n[triage]\n" + tail
