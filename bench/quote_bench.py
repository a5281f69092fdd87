"""New text versus quoted history: our detector beside peer libraries, in one run.

Cases: the peers' own test fixtures (email-reply-parser, mail-parser-reply, talon,
quotequail; bench/data/quotes, labelled in labels.json, plus talon's inline tests with
talon's expected reply) and our hand-written shapes (tests/data/quote_cases.py). HTML
fixtures are read through our HTML-to-text first, and every tool gets that same text.

Per tool: cases right (every phrase of the new text kept and no quoted history left),
cases leaking history, cases losing new text, and microseconds per message.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/quote_bench.py [--show TOOL]
"""

from __future__ import annotations

import argparse
import email
import json
import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline.quotes_old import split_body_text, strip_history  # noqa: E402
from supportinbox.domain.quoting import new_text  # noqa: E402
from supportinbox.mail.html import html_to_text  # noqa: E402
from tests.data.quote_cases import CASES  # noqa: E402

DATA = ROOT / "bench" / "data" / "quotes"


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    body: str
    new: tuple[str, ...]
    history: tuple[str, ...]


def _plain_of_eml(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes())
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def load_cases() -> list[Case]:
    cases: list[Case] = []
    labels = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    for name, label in labels.items():
        if name.startswith("_"):
            continue
        path = DATA / name
        if name.endswith(".html"):
            body = html_to_text(path.read_text(encoding="utf-8", errors="replace"))
        elif name.endswith(".eml"):
            body = _plain_of_eml(path)
        else:
            body = path.read_text(encoding="utf-8")
        cases.append(Case(name, name.split("/")[0], body, tuple(label["new"]), tuple(label["history"])))
    for index, item in enumerate(
        json.loads((DATA / "talon" / "inline_cases.json").read_text(encoding="utf-8"))
    ):
        expected = _lines(item["expected"])
        history = [
            line
            for line in (_norm(raw) for raw in item["body"].split("\n"))
            if len(line) >= 4 and line not in {_norm(e) for e in expected} and re.search(r"\w", line)
        ]
        cases.append(
            Case(
                f"talon/inline-{index}-{item['test']}", "talon", item["body"], tuple(expected), tuple(history)
            )
        )
    for case in CASES:
        body = html_to_text(case.body) if case.html else case.body
        cases.append(Case(f"ours/{case.id}", "ours", body, case.new, case.history))
    return cases


_QUOTE_MARKS = re.compile(r"^[\s>]+")
_SPACES = re.compile(r"\s+")


def _norm(line: str) -> str:
    return _SPACES.sub(" ", _QUOTE_MARKS.sub("", line)).strip()


def _found(phrase: str, lines: list[str], joined: str) -> bool:
    phrase = _norm(phrase)
    if len(phrase) < 8:
        return phrase in lines
    return phrase in joined


def judge(case: Case, output: str) -> tuple[bool, bool]:
    """(lost new text, leaked history) for one tool's output."""
    lines = [_norm(line) for line in output.split("\n")]
    joined = " ".join(lines)
    lost = not all(_found(p, lines, joined) for p in case.new)
    leaked = any(_found(p, lines, joined) for p in case.history)
    return lost, leaked


def _tools() -> dict[str, Callable[[str], str]]:
    tools: dict[str, Callable[[str], str]] = {
        "supportinbox": new_text,
        "old strip_history": strip_history,
        "old split_body": split_body_text,
    }
    try:
        from email_reply_parser import EmailReplyParser

        tools["email-reply-parser"] = EmailReplyParser.parse_reply
    except ImportError:
        print("email-reply-parser not installed (pip install -e '.[bench]')")
    try:
        from mailparser_reply import EmailReplyParser as MailParserReply
        from mailparser_reply.constants import MAIL_LANGUAGES

        parser = MailParserReply(languages=[lang for lang in MAIL_LANGUAGES if lang != "david"])
        tools["mail-parser-reply"] = parser.parse_reply
    except ImportError:
        print("mail-parser-reply not installed")
    try:
        import quotequail

        def quotequail_new(text: str) -> str:
            return "\n".join(part for show, part in quotequail.quote(text) if show)

        tools["quotequail"] = quotequail_new
    except ImportError:
        print("quotequail not installed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from talon import quotations

        tools["talon"] = quotations.extract_from_plain
    except ImportError:
        print("talon not installed")
    return tools


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--show", help="print the cases this tool gets wrong")
    args = parser.parse_args()
    cases = load_cases()
    sources: dict[str, int] = {}
    for case in cases:
        sources[case.source] = sources.get(case.source, 0) + 1
    print(f"{len(cases)} cases: " + ", ".join(f"{n} {s}" for s, n in sorted(sources.items())))
    peers_total = len(cases) - sources.get("ours", 0)
    print(
        f"{'tool':<20} {'right':>11} {'leaks':>6} {'lost':>5}  {'right on peers':>14}  {'right on ours':>13}"
        f"  {'us/msg':>7}"
    )
    for name, tool in _tools().items():
        right = leaks = lost_count = ours_right = 0
        started = time.perf_counter()
        outputs = []
        for case in cases:
            try:
                outputs.append(str(tool(case.body) or ""))
            except Exception as exc:  # noqa: BLE001 - a peer crashing on a case counts as losing it
                outputs.append(f"<error {type(exc).__name__}>")
        per_message = (time.perf_counter() - started) / len(cases) * 1e6
        for case, output in zip(cases, outputs, strict=True):
            lost, leaked = judge(case, output)
            leaks += leaked
            lost_count += lost
            ok = not lost and not leaked
            right += ok
            ours_right += ok and case.source == "ours"
            if args.show == name and not ok:
                print(
                    f"--- {case.id} ({'lost' if lost else ''}{' leaked' if leaked else ''})\n{output[:400]}"
                )
        ours_total = sources.get("ours", 0)
        print(
            f"{name:<20} {right:>4}/{len(cases):<6} {leaks:>6} {lost_count:>5}  "
            f"{right - ours_right:>7}/{peers_total:<6} {ours_right:>6}/{ours_total:<6}  {per_message:>7.0f}"
        )


if __name__ == "__main__":
    main()
