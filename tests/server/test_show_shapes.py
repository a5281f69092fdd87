"""How 'show' prints mail of the shapes real clients send, synced from a real server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import encoders
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

SOPHIE = "Sophie Laurent <sophie@laurent-bio.test>"


def test_a_long_back_and_forth_names_only_the_subjects_that_differ(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    start = datetime.now(UTC) - timedelta(hours=10)
    inbox, sent, ids = [], [], []
    for turn in range(6):
        ours = turn % 2 == 1
        message_id = f"<turn{turn}@{'acme.test' if ours else 'laurent-bio.test'}>"
        raw = make_message(
            sender="Acme Support <support@acme.test>" if ours else SOPHIE,
            to=SOPHIE if ours else "Acme Support <support@acme.test>",
            subject="Re: Import keeps failing" if turn else "Import keeps failing",
            body=f"Turn {turn}.",
            date=start + timedelta(hours=turn),
            message_id=message_id,
            in_reply_to=ids[-1] if ids else None,
            references=" ".join(ids) or None,
        )
        (sent if ours else inbox).append(raw)
        ids.append(message_id)
    # A new question asked in the same thread keeps its own subject in view.
    inbox.append(
        make_message(
            sender=SOPHIE,
            subject="Also: CSV export misses a column",
            body="And one more thing.",
            date=start + timedelta(hours=7),
            message_id="<turn6@laurent-bio.test>",
            in_reply_to=ids[-1],
            references=" ".join(ids),
        )
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [])
    append(dovecot, inbox)
    append(dovecot, sent, folder="Sent", flags=("\\Seen",))
    setup.sync()
    shown = run_cli(capsys, "show", setup.conversation_of("<turn0@laurent-bio.test>"))
    assert shown.code == 0, shown.err
    assert shown.out.count("Turn ") == 6
    assert "Subject: Re: Import keeps failing" not in shown.out
    assert shown.out.count("Subject: ") == 1
    assert "Subject: Also: CSV export misses a column" in shown.out


def test_an_attachment_s_size_reads_in_megabytes(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = make_message(
        sender="Bruno Costa <bruno@costa-films.test>",
        subject="Video of the bug",
        body="Here is a screen recording of the bug.",
        message_id="<video@costa-films.test>",
        attachment=("bug-recording.mp4", bytes(range(256)) * 12 * 1024),
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [raw])
    shown = run_cli(capsys, "show", setup.conversation_of("<video@costa-films.test>"))
    assert shown.code == 0, shown.err
    assert "  attachment: bug-recording.mp4 (3.0 MB)" in shown.out


def _forward_of(inner: EmailMessage, sender: str, subject: str, note: str | None, message_id: str) -> bytes:
    """A forward as Thunderbird's "Forward as Attachment" sends it: a note, the message as a file."""
    outer = MIMEMultipart("mixed")
    outer["From"] = sender
    outer["To"] = "Acme Support <support@acme.test>"
    outer["Subject"] = subject
    outer["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    outer["Message-ID"] = message_id
    if note is not None:
        outer.attach(MIMEText(note, "plain", "utf-8"))
    outer.attach(MIMEMessage(inner))
    return outer.as_bytes()


def test_a_message_forwarded_as_an_attachment_is_read_in_the_thread_and_quoted_in_the_reply(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    priya = EmailMessage()  # a plain message: its text is section 2.1
    priya["From"] = "Priya Nair <priya@lotus-retail.test>"
    priya["To"] = "Dan Miller <dan@acme-partners.test>"
    priya["Subject"] = "Checkout fails with error 502"
    priya["Date"] = "Mon, 07 Dec 2026 09:02:00 +0000"
    priya.set_content("Our checkout page fails with error 502. Customers cannot pay.\n")
    zoe = EmailMessage()  # HTML with a file: its text is section 1.1 of the forwarded message
    zoe["From"] = "=?utf-8?q?Zo=C3=AB_M=C3=BCller?= <zoe@muller.test>"
    zoe["Subject"] = "=?utf-8?q?R=C3=BCckerstattung_fehlt?="
    zoe.set_content("<p>Meine <b>Rückerstattung</b> fehlt noch.</p>", subtype="html")
    zoe.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="beleg.pdf")
    dan = _forward_of(
        priya,
        "Dan Miller <dan@acme-partners.test>",
        "Fwd: Checkout fails with error 502",
        "Can you help our client Priya?\n\nDan\n",
        "<fwd-dan@acme-partners.test>",
    )
    bare = _forward_of(
        zoe, "Ines Berg <ines@berg.test>", "Fwd: Rückerstattung fehlt", None, "<fwd-ines@berg.test>"
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [dan, bare])

    shown = run_cli(capsys, "show", setup.conversation_of("<fwd-dan@acme-partners.test>"))
    assert shown.code == 0, shown.err
    assert (
        "Can you help our client Priya?\n\nDan\n\n---------- Forwarded message ----------\n"
        "From: Priya Nair <priya@lotus-retail.test>\n"
        "Date: Mon, 07 Dec 2026 09:02:00 +0000\n"
        "Subject: Checkout fails with error 502\n"
        "To: dan@acme-partners.test\n\n"
        "Our checkout page fails with error 502. Customers cannot pay.\n"
        "  attachment: Checkout fails with error 502.eml ("
    ) in shown.out
    reply = run_cli(
        capsys, "reply", setup.conversation_of("<fwd-dan@acme-partners.test>"), "-t", "login-help"
    )
    assert reply.code == 0, reply.err
    assert "To: Dan Miller <dan@acme-partners.test>" in reply.out and "Hi Dan," in reply.out
    assert "> Our checkout page fails with error 502. Customers cannot pay." in reply.out

    shown = run_cli(capsys, "show", setup.conversation_of("<fwd-ines@berg.test>"))
    assert shown.code == 0, shown.err
    assert "(no text)" not in shown.out
    assert "From: Zoë Müller <zoe@muller.test>" in shown.out and "Subject: Rückerstattung fehlt" in shown.out
    assert "Meine Rückerstattung fehlt noch." in shown.out
    assert "  attachment: Rückerstattung fehlt.eml (" in shown.out


def test_a_colleague_s_forward_is_the_customer_s_and_the_reply_goes_to_them(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    inline = make_message(
        sender="Tom Becker <tom.becker@acme.test>",
        subject="Fwd: Cannot export invoices",
        body=(
            "Can support take this one? Big account.\n\n"
            "---------- Forwarded message ---------\n"
            "From: Priya Nair <priya@lotus-retail.test>\n"
            "Date: Mon, Dec 7, 2026 at 9:02 AM\n"
            "Subject: Cannot export invoices\n"
            "To: Tom Becker <tom.becker@acme.test>\n\n\n"
            "Hi Tom, the invoice export fails since Friday.\n"
        ),
        message_id="<fwd-inline@acme.test>",
    )
    zoe = EmailMessage()
    zoe["From"] = "=?utf-8?q?Zo=C3=AB_M=C3=BCller?= <zoe@muller.test>"
    zoe["To"] = "Tom Becker <tom.becker@acme.test>"
    zoe["Subject"] = "Refund missing"
    zoe["Date"] = "Mon, 07 Dec 2026 08:00:00 +0000"
    zoe.set_content("My refund has not arrived.\n")
    attached = _forward_of(
        zoe, "Tom Becker <tom.becker@acme.test>", "Fwd: Refund missing", None, "<fwd-att@acme.test>"
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [inline, attached])

    listed = run_cli(capsys, "list", "--json")
    customers = {row["subject"]: (row["customer_name"], row["customer"]) for row in json.loads(listed.out)}
    assert customers == {
        "Fwd: Cannot export invoices": ("Priya Nair", "priya@lotus-retail.test"),
        "Fwd: Refund missing": ("Zoë Müller", "zoe@muller.test"),
    }
    conversation = setup.conversation_of("<fwd-inline@acme.test>")
    draft = run_cli(capsys, "reply", conversation, "-t", "login-help")
    assert (
        "To is the sender of the message tom.becker@acme.test forwarded: priya@lotus-retail.test" in draft.out
    )
    sent = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert sent.code == 0, sent.err
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["priya@lotus-retail.test"]
    assert str(received.message["To"]) == "Priya Nair <priya@lotus-retail.test>"
    assert received.message["In-Reply-To"] == "<fwd-inline@acme.test>"
    assert received.message.get_content().startswith("Hi Priya,")


def _only_a_part(sender: str, subject: str, message_id: str, part: MIMEBase) -> bytes:
    outer = MIMEMultipart("mixed")
    outer["From"] = sender
    outer["To"] = "Acme Support <support@acme.test>"
    outer["Subject"] = subject
    outer["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    outer["Message-ID"] = message_id
    outer.attach(part)
    return outer.as_bytes()


def _part(maintype: str, subtype: str, filename: str, data: bytes, **params: str) -> MIMEBase:
    part = MIMEBase(maintype, subtype, name=filename, **params)
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def test_a_message_with_no_text_says_why(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    gerhard = "Gerhard Braun <g.braun@braun-logistik.test>"
    raws = [
        _only_a_part(
            gerhard,
            "RE: Lieferschein",
            "<tnef@braun.test>",
            _part("application", "ms-tnef", "winmail.dat", b"\x78\x9f>\x22"),
        ),
        _only_a_part(
            "Eva Novak <eva@hospital.test>",
            "Access",
            "<p7m@hospital.test>",
            _part("application", "pkcs7-mime", "smime.p7m", b"0\x82", **{"smime-type": "signed-data"}),
        ),
        _only_a_part(
            "Yuki Tanaka <yuki@tanaka.test>",
            "error",
            "<img@tanaka.test>",
            _part("image", "png", "IMG_2041.PNG", b"\x89PNG"),
        ),
    ]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, raws)
    said = {
        "<tnef@braun.test>": "(no text: Outlook sent it inside winmail.dat (TNEF), which only Outlook reads: "
        "ask for it as plain text)\n  attachment: winmail.dat (",
        "<p7m@hospital.test>": "(no text: it is S/MIME signed or encrypted inside smime.p7m, "
        "which this app does not open)\n  attachment: smime.p7m (",
        "<img@tanaka.test>": "(no text: only an image)\n  attachment: IMG_2041.PNG (",
    }
    for message_id, expected in said.items():
        shown = run_cli(capsys, "show", setup.conversation_of(message_id))
        assert shown.code == 0, shown.err
        assert expected in shown.out


def test_a_customer_writing_from_another_address_under_the_same_name_is_pointed_out(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    raws = [
        make_message(
            sender="Maria Santos <maria.santos@bigbank.test>",
            subject="API keys rotated, webhooks broken",
            message_id="<work@bigbank.test>",
            date=datetime.now(UTC) - timedelta(hours=2),
        ),
        make_message(
            sender="MARIA SANTOS <maria.s1987@gmail.test>",
            subject="Re: API keys rotated, webhooks broken",
            body="Writing from my phone: any news?",
            message_id="<home@gmail.test>",
        ),
        make_message(
            sender="Maria Lopez <maria@lopez.test>", subject="Other", message_id="<lopez@lopez.test>"
        ),
        make_message(sender="Maria <maria@solo.test>", subject="Solo", message_id="<solo@solo.test>"),
    ]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, raws)
    assert setup.conversation_of("<work@bigbank.test>") != setup.conversation_of("<home@gmail.test>")
    home = run_cli(capsys, "customer", "maria.s1987@gmail.test")
    assert home.code == 0, home.err
    assert "same name, other address: maria.santos@bigbank.test (the same person?)" in home.out
    work = json.loads(run_cli(capsys, "customer", "maria.santos@bigbank.test", "--json").out)
    assert work["same_name"] == ["maria.s1987@gmail.test"]
    for alone in ("maria@lopez.test", "maria@solo.test"):
        shown = run_cli(capsys, "customer", alone)
        assert shown.code == 0 and "same name" not in shown.out

    # Where the customer is chosen to be read or answered, the same hint in the same words.
    hint = "same name, other address: maria.santos@bigbank.test (the same person?)"
    home_id = setup.conversation_of("<home@gmail.test>")
    shown = run_cli(capsys, "show", home_id)
    head = shown.out.split("\n── ", 1)[0].splitlines()
    assert head[2].startswith("customer: MARIA SANTOS") and head[3] == f"  {hint}", head
    drafted = run_cli(capsys, "reply", home_id, "-t", "login-help")
    assert drafted.code == 0 and f"supportinbox: warning: {hint}\n" in drafted.err, drafted.err
    assert hint not in drafted.out  # the draft alone on stdout
    solo = setup.conversation_of("<solo@solo.test>")
    for command in (("show", solo), ("reply", solo, "-t", "login-help")):
        said = run_cli(capsys, *command)
        assert said.code == 0 and "same name" not in said.out + said.err, said


def test_an_inline_pgp_signed_message_reads_as_its_text(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\n"
        "Hash: SHA256\n\n"
        "Hi, the export is broken again.\n"
        "- -- \n"
        "Felix\n"
        "-----BEGIN PGP SIGNATURE-----\n\n"
        "iQEzBAEBCAAdFiEEabc\n=xyz1\n"
        "-----END PGP SIGNATURE-----\n"
    )
    raw = make_message(
        sender="Felix Krause <felix@krause.test>",
        subject="Export broken",
        body=signed,
        message_id="<pgp@krause.test>",
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [raw])
    conversation = setup.conversation_of("<pgp@krause.test>")
    shown = run_cli(capsys, "show", conversation)
    assert shown.code == 0, shown.err
    assert "[INBOX]\nHi, the export is broken again.\n--\nFelix\n" in shown.out
    assert "PGP" not in shown.out and "iQEz" not in shown.out
    reply = run_cli(capsys, "reply", conversation, "-t", "login-help")
    assert "> Hi, the export is broken again." in reply.out and "PGP" not in reply.out


def test_what_an_outlook_forward_forwards_is_read_scored_and_quoted(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    outlook = (
        "Can you take this one?\n\n"
        "________________________________\n"
        "From: Jens Ohm <jens@ohm-elektro.test>\n"
        "Sent: Monday, December 7, 2026 10:00 AM\n"
        "To: Hanna Vogel <hanna.vogel@acme.test>\n"
        "Subject: Locked out\n\n"
        "Hi Hanna, I cannot log in since this morning.\nJens\n"
    )
    raws = [
        make_message(
            sender="Hanna Vogel <hanna.vogel@acme.test>",
            subject="FW: Locked out",
            body=outlook,
            message_id="<fw@acme.test>",
        ),
        # The same block under a reply is the history it answers: still folded, never scored.
        make_message(
            sender="Jens Ohm <jens@ohm-elektro.test>",
            subject="RE: Locked out",
            body=outlook.replace("Can you take this one?", "Thanks, all good now."),
            message_id="<re@ohm-elektro.test>",
        ),
    ]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, raws)
    rows = {row["subject"]: row for row in json.loads(run_cli(capsys, "list", "--json").out)}
    assert rows["FW: Locked out"]["customer"] == "jens@ohm-elektro.test"
    assert "'cannot log in' in message" in rows["FW: Locked out"]["reasons"]
    assert not any("cannot log in" in reason for reason in rows["RE: Locked out"]["reasons"])
    draft = run_cli(capsys, "reply", setup.conversation_of("<fw@acme.test>"), "-t", "login-help")
    assert "Hi Jens," in draft.out
    assert "> Hi Hanna, I cannot log in since this morning." in draft.out
    answer = run_cli(capsys, "reply", setup.conversation_of("<re@ohm-elektro.test>"), "-t", "login-help")
    assert "> Thanks, all good now." in answer.out and "> Hi Hanna" not in answer.out


def test_a_mail_from_several_authors_is_answered_to_its_sender(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def raw(from_value: str, sender: str, subject: str, message_id: str) -> bytes:
        date = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
        return (
            f"From: {from_value}\r\nSender: {sender}\r\nTo: support@acme.test\r\nSubject: {subject}\r\n"
            f"Date: {date}\r\nMessage-ID: {message_id}\r\n\r\nWe need the audit export.\r\n"
        ).encode()

    authors = "Olivia Chen <olivia@chen.test>, Karl Berg <karl@chen.test>"
    raws = [
        raw(authors, "Karl Berg <karl@chen.test>", "Joint request", "<joint@chen.test>"),
        raw("undisclosed-recipients:;", "Karl Berg <karl@chen.test>", "Group request", "<group@chen.test>"),
        # A Sender who is none of the authors is not taken for them.
        raw(authors, "mallory@evil.test", "Spoofed request", "<spoof@evil.test>"),
    ]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, raws)
    rows = {row["subject"]: row for row in json.loads(run_cli(capsys, "list", "--json").out)}
    assert rows["Joint request"]["customer"] == rows["Group request"]["customer"] == "karl@chen.test"
    assert rows["Spoofed request"]["customer"] == ""
    for message_id in ("<joint@chen.test>", "<group@chen.test>"):
        draft = run_cli(capsys, "reply", setup.conversation_of(message_id), "-t", "login-help")
        assert draft.code == 0, draft.err
        assert "To: Karl Berg <karl@chen.test>" in draft.out and "Hi Karl," in draft.out
    refused = run_cli(capsys, "reply", setup.conversation_of("<spoof@evil.test>"), "-t", "login-help")
    assert refused.code != 0 and "not one valid address" in refused.err


def test_a_colleague_s_outlook_html_forward_is_the_customer_s(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    html = (
        "<div>Can you take this?</div><hr style='display:inline-block;width:98%'>"
        "<div id='divRplyFwdMsg'><font face='Calibri'><b>From:</b> Jens Ohm &lt;jens@ohm-elektro.test&gt;<br>"
        "<b>Sent:</b> Monday, December 7, 2026 10:00 AM<br>"
        "<b>To:</b> Hanna Vogel &lt;hanna.vogel@acme.test&gt;<br>"
        "<b>Subject:</b> Locked out</font></div><div>Hi Hanna, I cannot log in since this morning.</div>"
    )
    msg = EmailMessage()
    msg["From"] = "Hanna Vogel <hanna.vogel@acme.test>"
    msg["To"] = "Acme Support <support@acme.test>"
    msg["Subject"] = "FW: Locked out"
    msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    msg["Message-ID"] = "<fw-html@acme.test>"
    msg.set_content(html, subtype="html")
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [msg.as_bytes()])
    (row,) = json.loads(run_cli(capsys, "list", "--json").out)
    assert (row["customer_name"], row["customer"]) == ("Jens Ohm", "jens@ohm-elektro.test")
    assert "'cannot log in' in message" in row["reasons"]
    draft = run_cli(capsys, "reply", setup.conversation_of("<fw-html@acme.test>"), "-t", "login-help")
    assert "To: Jens Ohm <jens@ohm-elektro.test>" in draft.out and "Hi Jens," in draft.out


def test_a_pgp_mime_encrypted_message_lists_its_data_not_its_control_part(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # As Thunderbird and Enigmail send it (RFC 3156): a "Version: 1" control part, then the data.
    outer = MIMEMultipart("encrypted", protocol="application/pgp-encrypted")
    outer["From"] = "Lena Vogel <lena@vogel.test>"
    outer["To"] = "Acme Support <support@acme.test>"
    outer["Subject"] = "Contract"
    outer["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    outer["Message-ID"] = "<pgp@vogel.test>"
    control = MIMEBase("application", "pgp-encrypted")
    control.set_payload("Version: 1\n")
    control["Content-Description"] = "PGP/MIME version identification"
    outer.attach(control)
    data = MIMEBase("application", "octet-stream", name="encrypted.asc")
    data.set_payload("-----BEGIN PGP MESSAGE-----\n\nhQEMA7x\n-----END PGP MESSAGE-----\n")
    data.add_header("Content-Disposition", "inline", filename="encrypted.asc")
    outer.attach(data)
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [outer.as_bytes()])
    shown = run_cli(capsys, "show", setup.conversation_of("<pgp@vogel.test>"))
    assert shown.code == 0, shown.err
    assert "(no text: it is PGP encrypted)\n  attachment: encrypted.asc (" in shown.out
    assert shown.out.count("attachment:") == 1


def test_outlook_s_winmail_dat_reads_as_its_text_and_names_its_files(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.data.tnef import winmail

    tnef = winmail(
        "Guten Tag,\nder Lieferschein für Auftrag 4711 fehlt.\n\nGrüße\nGerhard Braun",
        {"Lieferschein.pdf": b"%PDF-1.4" * 300, "Foto.jpg": b"\xff\xd8" * 35},
    )
    raw = _only_a_part(
        "Gerhard Braun <g.braun@braun-logistik.test>",
        "RE: Lieferschein",
        "<rich@braun.test>",
        _part("application", "ms-tnef", "winmail.dat", tnef),
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [raw])
    shown = run_cli(capsys, "show", setup.conversation_of("<rich@braun.test>"))
    assert shown.code == 0, shown.err
    assert "(no text" not in shown.out
    assert (
        "Guten Tag,\nder Lieferschein für Auftrag 4711 fehlt.\n\nGrüße\nGerhard Braun\n\n"
        "Files inside winmail.dat: Lieferschein.pdf (2.3 KB), Foto.jpg (70 B)\n"
        "  attachment: winmail.dat ("
    ) in shown.out


def test_an_unnamed_attachment_says_what_it_is(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # A screenshot pasted into an HTML mail: an inline image with a Content-ID, no file name.
    related = MIMEMultipart("related")
    related.attach(MIMEText('<img src="cid:shot1">', "html"))
    image = MIMEBase("image", "png")
    image.set_payload(b"\x89PNG\r\n\x1a\n")
    encoders.encode_base64(image)
    image.add_header("Content-ID", "<shot1>")
    related.attach(image)
    related["From"] = "Sam Ortiz <sam@ortiz.test>"
    related["To"] = "Acme Support <support@acme.test>"
    related["Subject"] = "see screenshot"
    related["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    related["Message-ID"] = "<shot@ortiz.test>"
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [related.as_bytes()])
    shown = run_cli(capsys, "show", setup.conversation_of("<shot@ortiz.test>"))
    assert shown.code == 0, shown.err
    assert "(no text: only an image)\n  attachment: (unnamed image/png) (" in shown.out


def test_a_calendar_only_message_says_it_holds_only_the_event(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # As some calendar servers send it: mixed > alternative > only text/calendar.
    calendar = MIMEText(
        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Onboarding call\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n",
        "calendar",
        "utf-8",
    )
    calendar.set_param("method", "REQUEST")
    alternative = MIMEMultipart("alternative")
    alternative.attach(calendar)
    raw = _only_a_part(
        "Kim Park <kim@partner.test>", "Invitation: Onboarding call", "<cal@partner.test>", alternative
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [raw])
    shown = run_cli(capsys, "show", setup.conversation_of("<cal@partner.test>"))
    assert shown.code == 0, shown.err
    assert "(no text: only a calendar invitation)\n" in shown.out
