"""init, locate, login, logout: setting an account up."""

from __future__ import annotations

import getpass
import sys

import click

from supportinbox import paths
from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.config import is_agent_name
from supportinbox.errors import ConfigError, UserError
from supportinbox.providers import PROVIDER_NAMES, PROVIDERS, config_text, default_agent

_LOCATIONS = {
    "config": paths.config_file,
    "data": paths.data_dir,
    "templates": paths.templates_dir,
    "cache": paths.data_dir,  # the folder of the caches; by name: the account's own file
    "state": paths.state_dir,
    "log": paths.log_file,
}


def _caches(obj: CliContext) -> list[str]:
    """Where ``locate`` says the cache is: the file of the account (``-a``, the default or the
    only one), or each account's, or the folder they go in while there is none."""
    try:
        if obj.account_option is not None or len(obj.config.accounts) == 1 or obj.config.default:
            return [str(paths.database_file(obj.account()[0]))]
        names = sorted(obj.config.accounts)
    except UserError:  # a broken config: 'locate config' still answers, and this the folder
        return [f"{paths.data_dir()} (one file per account; which is unknown: the config has an error)"]
    if not names:
        return [f"{paths.data_dir()} (one file per account, none configured yet)"]
    return [f"{paths.database_file(name)} (account {name})" for name in names]


@cli.command()
@click.argument("what", type=click.Choice(sorted(_LOCATIONS)), required=False)
@pass_ctx
def locate(obj: CliContext, what: str | None) -> None:
    """Print where supportinbox keeps its config, data, templates, cache, state or log
    (WHAT alone prints the path only, for scripts; without it, each one by name).

    The cache is the account's SQLite file (the one 'cache rebuild' replaces); with several
    accounts, of the default one or of --account.
    """

    def where(name: str) -> object:
        return obj.config_path if name == "config" and obj.config_path is not None else _LOCATIONS[name]()

    if what == "cache":
        click.echo(paths.database_file(obj.account()[0]))
        return
    if what is not None:
        click.echo(where(what))
        return
    for name in _LOCATIONS:
        for place in _caches(obj) if name == "cache" else [str(where(name))]:
            click.echo(f"{name + ':':<11}{place}")


@cli.command()
@click.option("--print", "print_only", is_flag=True, help="Print the example config instead of writing it.")
@click.option(
    "--provider",
    type=click.Choice(PROVIDER_NAMES),
    default="generic",
    show_default=True,
    help="Fill in hosts, ports, login method and folders of this mail provider.",
)
@click.option("--email", help="The support address (also the login).")
@click.option(
    "--agent",
    help="Your name on a shared mailbox (each teammate a different one); default: your login.",
)
@pass_ctx
def init(obj: CliContext, print_only: bool, provider: str, email: str | None, agent: str | None) -> None:
    """Write a commented example config and the default reply templates (never overwriting)."""
    if email is not None and ("@" not in email or not email.isprintable() or '"' in email or " " in email):
        raise ConfigError(f"--email {email!r} is not an e-mail address")
    if agent is not None and not is_agent_name(agent):
        raise ConfigError(f"--agent {agent!r}: use up to 64 letters, digits, '-', '_' or '.'")
    given = [
        *(["--provider", provider] if provider != "generic" else []),
        *(["--email", email] if email is not None else []),
        *(["--agent", agent] if agent is not None else []),
    ]
    agent = agent or default_agent()
    text = config_text(provider, email, agent)
    if print_only:
        click.echo(text, nl=False)
        return
    target = obj.config_path or paths.config_file()
    if target.exists():
        click.echo(f"config already exists, left as it is: {target}")
        if given:
            import shlex

            options = shlex.join(given)
            click.echo(
                f"{options} changed nothing in it: 'supportinbox init --print {options}' prints what "
                "init would have written, to copy from"
            )
    else:
        try:
            paths.write_private_file(target, text)
        except OSError as exc:
            raise UserError(
                f"cannot write the config {target}: {paths.why_not_written(exc)}: check that its folder is "
                "writable, or write it elsewhere with --config FILE"
            ) from None
        profile = PROVIDERS.get(provider)
        step = (
            "check that oauth2_token_command prints a token, then run 'supportinbox sync'"
            if profile is not None and profile.auth == "oauth2"
            else "then run 'supportinbox login'"
        )
        click.echo(f"wrote {target}: edit the [accounts.support] table, {step}")
        click.echo(
            f"you are agent {agent!r} on this mailbox: each teammate needs a name of their own "
            "(agent = in the config, or init --agent NAME)"
        )
    from supportinbox.domain.templates import install_default_templates

    added = install_default_templates()
    if added:
        click.echo(f"added {len(added)} reply template(s) to {paths.templates_dir()}")
    else:
        click.echo(f"the default reply templates are in {paths.templates_dir()} already")


@cli.command()
@pass_ctx
def login(obj: CliContext) -> None:
    """Store the account's password in the system keyring.

    It is asked for at a terminal, or read from a pipe (`pass show acme | supportinbox
    login`). With password_command set nothing is stored: the command comes first. On a
    machine without a keyring (a server, cron) use password_command instead.
    """
    name, account = obj.account()
    if account.uses_oauth2:
        click.echo(
            f"account {name!r} logs in with OAuth2: its access token comes from oauth2_token_command, "
            "so there is no password to store"
        )
        return
    if account.password_command:
        # It comes first (see credentials.get_password): a password stored now would never be used.
        click.echo(
            f"account {name!r} takes its password from password_command, which comes before the "
            "keyring: nothing stored. Change the command to change the password, or remove it "
            f"from [accounts.{name}] to use the system keyring"
        )
        return
    from supportinbox.mail import credentials

    credentials.check_keyring(name)  # before asking: a password typed for nothing is a bad start
    prompt = f"Password for {account.username} on {account.imap_host}: "
    # Piped in (pass show x | supportinbox login), it is read without getpass's echo warning.
    password = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ConfigError("no password given; nothing stored")
    credentials.store_password(name, account, password)
    click.echo(f"password for account {name!r} stored in the system keyring")


@cli.command()
@pass_ctx
def logout(obj: CliContext) -> None:
    """Remove the account's password from the system keyring."""
    from supportinbox.mail import credentials

    name, account = obj.account()
    if credentials.delete_password(name, account):
        click.echo(f"password for account {name!r} removed from the system keyring")
    else:
        click.echo(f"no password for account {name!r} was stored in the system keyring")
