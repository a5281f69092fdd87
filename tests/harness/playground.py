"""A playground for walking the app against a real server: ``scripts/playground.sh``.

It starts the suite's Dovecot and SMTP server on free loopback ports, fills the support
mailbox with what a real one holds (contact forms, auto-replies, a bounce, Arabic and
Persian mail, HTML-only mail, an attachment, mailing lists, a teammate's claim, real
customers in Junk beside spam), writes two agents' configs (alice and bob, each with
their own home), and opens the app for one of them. Leaving the app stops everything.

    scripts/playground.sh                 # open the app as alice
    scripts/playground.sh --agent bob     # ... as bob (alice holds nothing)
    scripts/playground.sh --no-tui        # set up, print how to reach it, wait for Ctrl+C
    scripts/playground.sh --setup-only    # set up, sync both agents, print a summary, stop

Mail the app sends is kept by the SMTP server and written to ``<root>/smtp`` as .eml files;
``<root>/muttrc`` points neomutt at the same mailbox.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from tests.harness.dovecot import Dovecot, make_root
from tests.harness.mail import append
from tests.harness.smtp import SmtpServer

PASSWORD = "secret"  # the throwaway playground server's password
AGENTS = ("alice", "bob")
ACCOUNT = "support"
SUPPORT = "Acme Support <support@acme.test>"
# A 1x1 PNG, so the attachment is a real image a viewer can open.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e5f0f50000000049454e44ae426082"
)


@dataclass
class Mail:
    """One message of the playground mailbox and the folder and flags it is filed with."""

    raw: bytes
    folder: str = "INBOX"
    flags: tuple[str, ...] = ()


def _msg(
    sender: str,
    subject: str,
    body: str,
    *,
    minutes: int,
    message_id: str,
    to: str = SUPPORT,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    html_only: bool = False,
    attachment: tuple[str, str, bytes] | None = None,
    now: datetime,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now - timedelta(minutes=minutes))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    if html_only:
        msg.set_content(body, subtype="html")
    else:
        msg.set_content(body)
    if attachment is not None:
        filename, mime, data = attachment
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _bounce(original: EmailMessage, recipient: str, *, minutes: int, now: datetime) -> bytes:
    """A delivery status notification (RFC 3464) for ``original``, as Postfix writes it."""
    returned = "".join(f"{name}: {value}\r\n" for name, value in original.items())
    text = (
        "This is the mail system at host mx.savanna-apps.test.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<{recipient}>: host mx.savanna-apps.test said: 550 5.1.1 <{recipient}>:\r\n"
        "    Recipient address rejected: User unknown in virtual mailbox table\r\n"
    )
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.savanna-apps.test>\r\n"
        "To: support@acme.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(now - timedelta(minutes=minutes))}\r\n"
        "Message-ID: <bounce-kwame@mx.savanna-apps.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\r\n'
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"{text}\r\n"
        "--BOUNDARY\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.savanna-apps.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown\r\n"
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"{returned}\r\n"
        "--BOUNDARY--\r\n"
    ).encode()


def mailbox(now: datetime) -> list[Mail]:
    """The playground mailbox, dated relative to ``now``."""
    mails: list[Mail] = []

    def inbox(msg: EmailMessage | bytes, *flags: str, folder: str = "INBOX") -> None:
        mails.append(Mail(msg if isinstance(msg, bytes) else msg.as_bytes(), folder, flags))

    def sent(msg: EmailMessage) -> None:
        mails.append(Mail(msg.as_bytes(), "Sent", ("\\Seen",)))

    form = "New message from the contact form"
    inbox(
        _msg(
            "Acme Website <noreply@acme.test>",
            form,
            "Name: Lina Haddad\nEmail: lina@customer.test\n\nMessage:\nI cannot log in since this "
            "morning; the page says my password is wrong, but I did not change it.",
            reply_to="Lina Haddad <lina@customer.test>",
            minutes=40,
            message_id="<form-lina@acme.test>",
            now=now,
        )
    )
    inbox(
        _msg(
            SUPPORT,
            form,
            "Name: Omar Farouk\nEmail: omar@example.test\n\nMessage:\nWhere can I download the "
            "invoice for October? The billing page is empty.",
            reply_to='"Farouk, Omar" <omar@example.test>',
            minutes=70,
            message_id="<form-omar@acme.test>",
            now=now,
        )
    )
    inbox(
        _msg(
            "Samir Haddad <samir@cedar-soft.test>",
            "عاجل: لا يمكنني تسجيل الدخول",
            "مرحباً،\n\nلا يمكنني تسجيل الدخول إلى حسابي منذ صباح اليوم. هل هناك عطل؟\n\nسمير",
            minutes=25,
            message_id="<samir-1@cedar-soft.test>",
            now=now,
        )
    )
    inbox(
        _msg(
            "Reza Ahmadi <reza@parsian-soft.test>",
            "سؤال درباره‌ی فاکتور ماهانه",
            "سلام،\n\nچطور می‌توانم نشانی شرکت را روی فاکتورهای ماهانه تغییر دهم؟\n\nبا سپاس،\nرضا",
            minutes=180,
            message_id="<reza-1@parsian-soft.test>",
            now=now,
        ),
        "\\Seen",
    )
    inbox(
        _msg(
            "Anna Lindqvist <anna@fjordtech.test>",
            "How do I export invoices as CSV?",
            "<html><body><p>Hi!</p><p>Is there a way to export <b>all invoices of last year</b> "
            "as CSV for our accountant? I only find PDF downloads.</p><p>Thanks, Anna</p></body></html>",
            minutes=210,
            message_id="<anna-1@fjordtech.test>",
            html_only=True,
            now=now,
        )
    )
    inbox(
        _msg(
            "Tom Becker <tom@becker-bau.test>",
            "Screenshot of the error after changing phones",
            "Hello,\n\nattached is a screenshot of the error I get since I changed phones. "
            "The two-factor code is always refused.\n\nTom",
            minutes=300,
            message_id="<tom-1@becker-bau.test>",
            attachment=("error-screenshot.png", "image/png", PNG),
            now=now,
        )
    )

    # A conversation we answered, and the customer came back.
    ravi = _msg(
        "Ravi Shankar <ravi@monsoon-media.test>",
        "Custom domain not verifying",
        "Hi, I added the TXT record for media.monsoon.test two days ago, but the domain still "
        "shows 'not verified'.\n\nRavi",
        minutes=2 * 24 * 60,
        message_id="<ravi-1@monsoon-media.test>",
        now=now,
    )
    inbox(ravi, "\\Seen", "\\Answered")
    sent(
        _msg(
            SUPPORT,
            "Re: Custom domain not verifying",
            "Hi Ravi,\n\nDNS changes can take up to 48 hours. Could you send us the output of "
            "dig TXT _acme.media.monsoon.test?\n\nAlex\nAcme Support",
            to="Ravi Shankar <ravi@monsoon-media.test>",
            in_reply_to="<ravi-1@monsoon-media.test>",
            minutes=24 * 60,
            message_id="<reply-ravi@acme.test>",
            now=now,
        )
    )
    inbox(
        _msg(
            "Ravi Shankar <ravi@monsoon-media.test>",
            "Re: Custom domain not verifying",
            'Here it is: _acme.media.monsoon.test. 300 IN TXT "acme-verify=8c1f"\n\nStill not '
            "verified.\n\n> DNS changes can take up to 48 hours.\n\nRavi",
            in_reply_to="<reply-ravi@acme.test>",
            minutes=120,
            message_id="<ravi-2@monsoon-media.test>",
            now=now,
        )
    )

    # Answered, waiting on the customer; then an out-of-office arrives.
    claire = _msg(
        "Claire Dubois <claire@atelier-b.test>",
        "Ajouter un collègue à notre espace",
        "Bonjour,\n\ncomment inviter un collègue sans lui donner les droits d'administration ?\n\nClaire",
        minutes=3 * 24 * 60,
        message_id="<claire-1@atelier-b.test>",
        now=now,
    )
    inbox(claire, "\\Seen", "\\Answered")
    sent(
        _msg(
            SUPPORT,
            "Re: Ajouter un collègue à notre espace",
            "Bonjour Claire,\n\nSettings → Members → Invite, rôle « Membre ».\n\nAlex\nAcme Support",
            to="Claire Dubois <claire@atelier-b.test>",
            in_reply_to="<claire-1@atelier-b.test>",
            minutes=2 * 24 * 60,
            message_id="<reply-claire@acme.test>",
            now=now,
        )
    )
    inbox(
        _msg(
            "Claire Dubois <claire@atelier-b.test>",
            "Réponse automatique : Re: Ajouter un collègue à notre espace",
            "Je suis absente jusqu'au 3 décembre. Pour toute urgence, écrivez à office@atelier-b.test.",
            in_reply_to="<reply-claire@acme.test>",
            minutes=2 * 24 * 60 - 1,
            message_id="<ooo-claire@atelier-b.test>",
            headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
            now=now,
        )
    )

    # Our reply to Kwame bounced.
    inbox(
        _msg(
            "Kwame Mensah <kwame@savanna-apps.test>",
            "Webhook retries — how many and how often?",
            "Hello,\n\nwhen our webhook endpoint returns 500, how many times do you retry?\n\nKwame",
            minutes=5 * 60,
            message_id="<kwame-1@savanna-apps.test>",
            now=now,
        ),
        "\\Seen",
        "\\Answered",
    )
    reply_kwame = _msg(
        SUPPORT,
        "Re: Webhook retries — how many and how often?",
        "Hi Kwame,\n\nwe retry 8 times over 24 hours with exponential back-off.\n\nAlex\nAcme Support",
        to="Kwame Mensah <kwame@savanna-apps.test>",
        in_reply_to="<kwame-1@savanna-apps.test>",
        minutes=4 * 60,
        message_id="<reply-kwame@acme.test>",
        now=now,
    )
    sent(reply_kwame)
    inbox(_bounce(reply_kwame, "kwame@savanna-apps.test", minutes=4 * 60 - 1, now=now))

    # Answered, waiting on the customer.
    priya = _msg(
        "Priya Natarajan <priya@quillpad.test>",
        "Charged twice for the annual plan",
        "Hi, my card was charged twice for the annual plan. Please refund one.\n\nPriya",
        minutes=26 * 60,
        message_id="<priya-1@quillpad.test>",
        now=now,
    )
    inbox(priya, "\\Seen", "\\Answered")
    sent(
        _msg(
            SUPPORT,
            "Re: Charged twice for the annual plan",
            "Hi Priya,\n\nthe second charge is refunded; it shows on your card in 3-5 days.\n\nAlex",
            to="Priya Natarajan <priya@quillpad.test>",
            in_reply_to="<priya-1@quillpad.test>",
            minutes=20 * 60,
            message_id="<reply-priya@acme.test>",
            now=now,
        )
    )

    # Waiting past the SLA; and one a teammate (bob) claims.
    inbox(
        _msg(
            "Sven Nilsson <sven@nordic-bikes.test>",
            "Invoice address wrong",
            "Our invoice shows the old address in Malmö. Could you update it to Lund?\n\nSven",
            minutes=2 * 24 * 60 + 180,
            message_id="<sven-1@nordic-bikes.test>",
            now=now,
        ),
        "\\Seen",
    )
    inbox(
        _msg(
            "Helen Zhao <helen.zhao@megacorp.test>",
            "Contract renewal and SSO question",
            "Hello,\n\nour contract renews next month. Does the Enterprise plan include SAML SSO?\n\nHelen",
            minutes=65,
            message_id="<helen-1@megacorp.test>",
            now=now,
        )
    )

    # Mail nobody waits for an answer to.
    inbox(
        _msg(
            "DevOps Weekly <editor@devopsweekly.test>",
            "[devops-weekly] Issue 212: incident reviews that work",
            "This week: blameless reviews, SLOs for small teams, and a new on-call tool.",
            minutes=90,
            message_id="<issue-212@devopsweekly.test>",
            headers={
                "List-Id": "DevOps Weekly <weekly.devopsweekly.test>",
                "List-Unsubscribe": "<mailto:leave@devopsweekly.test>",
                "Precedence": "list",
            },
            now=now,
        ),
        "\\Seen",
    )
    inbox(
        _msg(
            "Stripe <notifications@stripe.test>",
            "Payment failed for invoice 1042",
            "A payment of USD 49.00 for invoice 1042 failed. Stripe will retry in 3 days.",
            minutes=150,
            message_id="<pay-1042@stripe.test>",
            headers={"Auto-Submitted": "auto-generated", "Precedence": "bulk"},
            now=now,
        )
    )

    # Junk: a real customer answering us, a contact form, and spam.
    sent(
        _msg(
            SUPPORT,
            "Dark mode for the mobile app",
            "Hi Mateo,\n\ndark mode ships next month. Want to try the beta?\n\nAlex",
            to="Mateo Rossi <mateo@pastaio.test>",
            minutes=3 * 24 * 60,
            message_id="<reply-mateo@acme.test>",
            now=now,
        )
    )
    inbox(
        _msg(
            "Mateo Rossi <mateo@pastaio.test>",
            "Re: Dark mode for the mobile app",
            "Yes please, sign me up for the beta!\n\nMateo",
            in_reply_to="<reply-mateo@acme.test>",
            minutes=200,
            message_id="<mateo-2@pastaio.test>",
            headers={"X-Spam-Score": "5.2"},
            now=now,
        ),
        folder="Junk",
    )
    inbox(
        _msg(
            "Acme Website <noreply@acme.test>",
            form,
            "Name: Lina Haddad\nMessage: Any news about my login problem?",
            reply_to="Lina Haddad <lina@customer.test>",
            minutes=15,
            message_id="<form-lina-2@acme.test>",
            headers={"X-Spam-Score": "4.1"},
            now=now,
        ),
        folder="Junk",
    )
    inbox(
        _msg(
            "Prize Department <winner@lucky-prize.test>",
            "You have WON $1,000,000 — claim now",
            "Congratulations! Click http://lucky-prize.test/claim to receive your prize.",
            minutes=30,
            message_id="<spam-1@lucky-prize.test>",
            headers={"X-Spam-Score": "14.8", "Authentication-Results": "mx.acme.test; spf=fail"},
            now=now,
        ),
        folder="Junk",
    )
    return mails


def account_config(dovecot: Dovecot, smtp: SmtpServer, agent: str) -> str:
    """The config file of ``agent`` on the playground servers."""
    return f"""# supportinbox playground: {agent} on the shared support mailbox
default = "{ACCOUNT}"

[accounts.{ACCOUNT}]
email = "support@acme.test"
display_name = "Acme Support"
agent = "{agent}"
username = "support"
password_command = "printf %s {PASSWORD}"
imap_host = "127.0.0.1"
imap_port = {dovecot.imap_port}
imap_security = "none"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
smtp_security = "none"
timeout = 10
"""


def muttrc(dovecot: Dovecot) -> str:
    """A throwaway neomutt config for looking at the playground mailbox."""
    return f"""# neomutt -F {{this file}}: the playground mailbox as another mail client sees it
set folder = "imap://support@127.0.0.1:{dovecot.imap_port}/"
set imap_pass = "{PASSWORD}"
set spoolfile = "+INBOX"
set record = "+Sent"
set ssl_starttls = no
set ssl_force_tls = no
set imap_check_subscribed = no
mailboxes +INBOX +Sent +Junk
set mail_check = 5
set timeout = 5
"""


@dataclass
class Playground:
    """Running servers, the mailbox on them and each agent's home."""

    root: Path
    dovecot: Dovecot
    smtp: SmtpServer
    homes: dict[str, Path] = field(default_factory=dict)

    def env(self, agent: str) -> dict[str, str]:
        """The environment that runs ``supportinbox`` as ``agent``."""
        env = dict(os.environ)
        env["SUPPORTINBOX_HOME"] = str(self.homes[agent])
        env.pop("SUPPORTINBOX_CONFIG", None)
        return env

    def cli(self, agent: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``supportinbox ARGS`` as ``agent`` and return what it printed."""
        done = subprocess.run(
            [sys.executable, "-m", "supportinbox", *args],
            env=self.env(agent),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"supportinbox {' '.join(args)} as {agent} failed: {done.stderr.strip()}")
        return done

    def conversation_with(self, agent: str, subject: str) -> str:
        """The id of ``agent``'s conversation whose subject is ``subject``."""
        rows = json.loads(self.cli(agent, "list", "--status", "all", "--limit", "500", "--json").stdout)
        found = [r["id"] for r in rows if r["subject"] == subject]
        if len(found) != 1:
            raise RuntimeError(f"expected one conversation {subject!r}, found {len(found)}")
        return str(found[0])

    def save_sent_mail(self) -> int:
        """Write what the SMTP server received to ``<root>/smtp``; return how many."""
        target = self.root / "smtp"
        target.mkdir(exist_ok=True)
        received = self.smtp.received
        for index, item in enumerate(received, start=1):
            (target / f"{index:03d}.eml").write_bytes(item.raw)
        return len(received)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.smtp.stop()
        self.dovecot.stop()


def start(root: Path, *, now: datetime | None = None) -> Playground:
    """Start the servers, fill the mailbox, write both agents' configs, sync them, claim as bob.

    ``root`` is an empty folder that Dovecot's own processes can reach (:func:`make_root`).
    """
    dovecot = Dovecot(root / "dovecot", users={"support": PASSWORD})
    dovecot.start()
    try:
        smtp = SmtpServer().start()
    except BaseException:
        dovecot.stop()
        raise
    ground = Playground(root, dovecot, smtp)
    try:
        for mail in mailbox(now or datetime.now(UTC)):
            append(dovecot, [mail.raw], folder=mail.folder, flags=mail.flags)
        for agent in AGENTS:
            home = root / agent
            config = home / "config" / "config.toml"
            config.parent.mkdir(parents=True, mode=0o700)
            config.write_text(account_config(dovecot, smtp, agent))
            config.chmod(0o600)
            ground.homes[agent] = home
            ground.cli(agent, "init")
        (root / "muttrc").write_text(muttrc(dovecot))
        ground.cli("bob", "sync")
        ground.cli("bob", "claim", ground.conversation_with("bob", "Contract renewal and SSO question"))
        ground.cli("alice", "sync")
    except BaseException:
        ground.stop()
        raise
    return ground


def _summary(ground: Playground) -> str:
    command = Path(sys.executable).parent / "supportinbox"
    return (
        f"playground in {ground.root}\n"
        f"  IMAP 127.0.0.1:{ground.dovecot.imap_port} (user support, password {PASSWORD}), "
        f"SMTP 127.0.0.1:{ground.smtp.port}\n"
        f"  as alice: SUPPORTINBOX_HOME={ground.homes['alice']} {command} ...\n"
        f"  as bob:   SUPPORTINBOX_HOME={ground.homes['bob']} {command} ...\n"
        f"  another client: neomutt -F {ground.root / 'muttrc'}\n"
        f"  with --keep, mail the app sends is saved in {ground.root / 'smtp'} when it stops"
    )


@contextlib.contextmanager
def _stopped_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt so the servers are stopped on the way out."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/playground.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", choices=AGENTS, default="alice", help="whose app to open (default alice)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-tui", action="store_true", help="set up, print how to reach it, wait for Ctrl+C")
    mode.add_argument("--setup-only", action="store_true", help="set up, print a summary, stop everything")
    parser.add_argument("--keep", action="store_true", help="keep the playground folder after stopping")
    args = parser.parse_args(argv)

    ground = None
    root = make_root("si-playground-")
    with _stopped_on_signals():
        try:
            print("starting Dovecot and SMTP, filling the mailbox, syncing alice and bob...", flush=True)
            ground = start(root)
            print(_summary(ground), flush=True)
            if args.setup_only:
                rows = json.loads(ground.cli(args.agent, "list", "--status", "all", "--json").stdout)
                print(f"{args.agent} sees {len(rows)} conversations", flush=True)
            elif args.no_tui:
                print("Ctrl+C stops the playground.", flush=True)
                signal.pause()
            else:
                subprocess.run(
                    [sys.executable, "-m", "supportinbox"], env=ground.env(args.agent), check=False
                )
        except KeyboardInterrupt:
            pass
        finally:
            sent = 0
            if ground is not None:
                sent = ground.save_sent_mail()
                ground.stop()
            if args.keep:
                print(f"stopped; kept {root} ({sent} sent messages in smtp/)")
            else:
                shutil.rmtree(root, ignore_errors=True)
                print(f"stopped; {sent} messages were sent through the playground SMTP server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
