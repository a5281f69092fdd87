"""Errors a user can act on.

Every error that reaches the command line as a single readable line derives from
:class:`UserError`. Its message says what went wrong and how to fix it; the CLI prints
it without a traceback and exits with :attr:`UserError.exit_code`.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: bad config, wrong password, unreachable server...

    ``temporary``: the same step may work by itself later (a server down or busy), so an
    automatic retry makes sense; otherwise it waits for the user.

    ``aftermath``: what the failure left of the work and what to do next, as the step that
    raised it sees it ("what was synced so far is kept"). It ends the message; ``cause``
    holds the rest, true wherever the step ran, for a caller whose work ends differently
    (a cache rebuild keeps nothing of a fetch that failed) to say its own aftermath.
    """

    exit_code = 1
    title = "Error"
    temporary = False

    def __init__(self, message: str, *, temporary: bool | None = None, aftermath: str | None = None) -> None:
        self.cause = message
        self.message = f"{message}; {aftermath}" if aftermath else message
        super().__init__(self.message)
        if temporary is not None:
            self.temporary = temporary

    def __str__(self) -> str:
        return self.message


class ConfigError(UserError):
    title = "Configuration error"
    exit_code = 2


class UsageProblem(UserError):
    """A wrong command-line option or argument the command checks itself: a value
    (``--since banana``, ``--in 0h``) or a combination (``--mine --unassigned``). Exit 2,
    as for the usage errors click finds (``--limit 0``, an unknown option)."""

    title = "Wrong option"
    exit_code = 2


class CredentialsError(UserError):
    title = "Credentials"
    exit_code = 3


class ConnectionFailed(UserError):
    """The server could not be reached, refused TLS, or dropped the connection."""

    title = "Connection failed"
    exit_code = 4
    temporary = True


class AuthenticationFailed(UserError):
    title = "Login failed"
    exit_code = 5


class StorageError(UserError):
    """The local cache could not be written (disk full, read-only, corrupt)."""

    title = "Local storage"
    exit_code = 6


class SyncBusy(UserError):
    title = "Sync running"
    exit_code = 7


class NotFound(UserError):
    title = "Not found"
    exit_code = 8


class SendRefused(UserError):
    """A reply was not sent: collision with a teammate, SMTP refusal, ..."""

    title = "Not sent"
    exit_code = 9


class Held(SendRefused):
    """A reply held back because a teammate claimed, closed or answered the conversation.

    ``reason`` says who did what and when, without advice: the CLI and the TUI each add
    how to send it anyway in their own terms.
    """

    title = "Held"
    exit_code = 10

    def __init__(self, message: str, *, by: str, reason: str) -> None:
        super().__init__(message)
        self.by = by
        self.reason = reason


class Declined(UserError):
    """'No' to a question that would have done the command's work ("Send this reply?"):
    nothing was done, which a script must not read as done."""

    title = "Not done"
    exit_code = 130


class NoTerminal(UserError):
    """A command would ask a question, but stdin is not a terminal (a pipe, cron, a script)."""

    title = "No terminal"
    exit_code = 11


#: What each exit code of the command line means, for ``supportinbox --help`` (the README's
#: table says the same at length). Every :class:`UserError`'s ``exit_code`` is here.
EXIT_CODES: dict[int, str] = {
    0: "done",
    1: "not done, for the reason the line on stderr gives",
    2: "a wrong option or option value, bad config, a broken template",
    3: "credentials: no password, a failing password_command",
    4: "a server cannot be reached, refuses TLS or drops the connection",
    5: "a server refused the login",
    6: "the local cache cannot be written (disk full, read-only, corrupt)",
    7: "a sync of this account is already running",
    8: "not found (conversation, incident, template, outbox reply)",
    9: "a reply was not sent (it stays in the outbox)",
    10: "a teammate holds the conversation; sla --check: an SLA is breached",
    11: "a question needs a terminal (add the option named); sla --check --warn: due soon",
    70: "an internal error (details with --debug and in the log)",
    # A command that asks a question says which (exit_codes_epilog's ``asks``).
    130: "cancelled: Ctrl-C, or 'no' to a command's question (\"Send this reply?\")",
}
