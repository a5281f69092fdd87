"""The Junk suspects list cuts what does not fit its columns the way the queue does: with "…"."""

from __future__ import annotations

import pytest

from supportinbox.tui.widgets.junk_list import JunkList
from tests.tui.support import demo_app, pilot_test, settle


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_a_long_sender_or_subject_is_cut_with_an_ellipsis(size: tuple[int, int]) -> None:
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
        junk = app.screen.query_one(JunkList)
        suspects = app.service.junk_suspects()
        assert suspects and junk.row_count == len(suspects)
        cut = 0
        for row, suspect in enumerate(suspects):
            for column, full in ((1, suspect.who()), (2, suspect.subject)):
                shown = str(junk.get_row_at(row)[column])
                width = junk.ordered_columns[column].width
                assert len(shown) <= width, (shown, width)
                if len(full) > width:
                    cut += 1
                    assert shown.endswith("…") and shown[:-1] == full[: width - 1], (shown, full)
                else:
                    assert shown == full
        assert cut  # the demo has a sender too long for the narrow column
