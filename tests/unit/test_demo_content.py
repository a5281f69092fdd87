"""The demo mailbox reads like real mail a stranger trusts: no subject stacks reply prefixes."""

from __future__ import annotations

from supportinbox.demo.content import THREADS
from supportinbox.domain.subjects import has_reply_prefix, strip_reply_prefixes


def test_no_demo_subject_repeats_a_reply_prefix() -> None:
    for thread in THREADS:
        once = thread.subject
        if has_reply_prefix(once):
            # Take one prefix off: what is left must be the subject itself.
            once = once[once.index(":") + 1 :]
        assert once.strip() == strip_reply_prefixes(once).strip(), thread.subject
