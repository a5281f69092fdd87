"""A bar chart of one figure a day, with its scale beside it: a full column is the figure
written on the top row, an empty one is 0.

Textual's ``Sparkline`` stretches its bars between the smallest and the largest value and
shows no scale: 5 and 6 messages drew an empty and a full bar, and nothing told the
reader what a full bar meant.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widget import Widget

from supportinbox.tui import safe

_LEVELS = " ▁▂▃▄▅▆▇█"  # 0 to 8 eighths of a row


def columns_of(values: Sequence[float], width: int) -> list[float]:
    """One value a column: a day over several columns when there is room, the biggest day of
    each group when the days outnumber the columns."""
    if not values or width <= 0:
        return []
    if len(values) <= width:
        return [value for value in values for _ in range(width // len(values))]
    step = len(values) / width
    return [max(values[int(i * step) : max(int(i * step) + 1, int((i + 1) * step))]) for i in range(width)]


def chart_rows(values: Sequence[float], width: int, height: int = 2) -> list[str]:
    """``height`` rows of bars, top row first: 0 is an empty column, the largest value a full one.

    A value above 0 is never drawn empty (at least one eighth of the bottom row).
    """
    columns = columns_of(values, width)
    top = max(columns, default=0.0)
    eighths = [0 if top <= 0 or v <= 0 else max(1, round(v / top * 8 * height)) for v in columns]
    return [
        "".join(_LEVELS[min(8, max(0, filled - row * 8))] for filled in eighths)
        for row in reversed(range(height))
    ]


def figure(value: float) -> str:
    """A chart's top value as its scale says it: 12, 2.5, 1.2k."""
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.1f}".removesuffix(".0")


class DayChart(Widget):
    """Bars of one figure a day, the scale on the left: the top value by the top row, 0 by the bottom."""

    DEFAULT_CSS = """
    DayChart {
        height: 2;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: list[float] = []

    @property
    def data(self) -> list[float]:
        return self._data

    @data.setter
    def data(self, values: Sequence[float]) -> None:
        self._data = [float(v) for v in values]
        self.refresh()

    def render(self) -> Content:
        height = max(1, self.size.height)
        top = max(self._data, default=0.0)
        labels = [figure(top), *[""] * (height - 2), "0"] if height > 1 else [figure(top)]
        wide = max(len(label) for label in labels)
        rows = chart_rows(self._data, self.size.width - wide - 1, height)
        return safe.join(
            "\n",
            (
                safe.assemble((f"{label:>{wide}}▕", "$text-muted"), (row, "$accent"))
                for label, row in zip(labels, rows, strict=True)
            ),
        )
