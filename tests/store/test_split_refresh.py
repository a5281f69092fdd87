"""Cases the differential test of the partial refresh found, kept as plain examples.

A split conversation that then gets a reply: the reply (dated before the messages it
joins) changes the subject the earlier part is threaded by, so the split-off message no
longer meets it at all. Both refreshes must still hold it under the id the split gave it,
and know it shares a key with the part it came from.

A merge whose target keeps its own subject, though the mail merged in is older: a second
refresh with nothing new must write no conversation row again (a rewritten row moved in the
table, which breaks ties in the queue).

A merge whose target message is expunged (or moved to Junk) no longer holds: the conversation merged away is
itself again and keeps its claim, in both refreshes (the team state was carried to the
vanished target at every refresh).
"""

from __future__ import annotations

import pytest

from tests.store.test_incremental_refresh import counting  # noqa: F401 - the fixture
from tests.store.test_incremental_refresh import test_partial_refresh_equals_the_full_rebuild as differential


@pytest.mark.parametrize(
    ("seed", "steps"),
    [
        (
            [(0, 1, 0), (0, 1, 0)],
            [("split", 0, 0, 0), ("refresh", 0, 0, 0), ("customer reply", 0, 0, 1)],
        ),
        ([(0, 0, 0), (0, 1, 1)], [("new", 0, 0, 0), ("merge", 0, 1, 0), ("refresh", 0, 0, 0)]),
        (
            [(0, 0, 0), (0, 0, 0), (0, 2, 0)],
            [
                ("assign", 0, 0, 0),
                ("split", 0, 0, 0),
                ("refresh", 0, 0, 0),
                ("merge", 0, 38, 0),
                ("refresh", 0, 0, 0),
                ("expunge", 0, 0, 0),
                ("refresh", 0, 0, 0),
            ],
        ),
        (
            [(0, 0, 0), (0, 1, 0), (0, 2, 0)],
            [
                ("new", 0, 0, 0),
                ("new", 0, 0, 0),
                ("junk", 0, 0, 0),
                ("merge", 1, 2, 0),
                ("refresh", 0, 0, 0),
                ("junk", 32, 0, 0),
                ("status", 0, 0, 0),
                ("refresh", 0, 0, 0),
            ],
        ),
    ],
    ids=["split-then-reply", "merge-keeps-subject", "merge-target-expunged", "merged-mail-to-junk"],
)
def test_found_cases_thread_alike_in_both_refreshes(
    tmp_path_factory: pytest.TempPathFactory,
    counting: list[bool],  # noqa: F811 - the fixture above
    seed: list[tuple[int, int, int]],
    steps: list[tuple[str, int, int, int]],
) -> None:
    differential.hypothesis.inner_test(  # type: ignore[attr-defined]
        tmp_path_factory, counting, seed, steps
    )
