"""Business hours: how much of a stretch of time the team was at work, and when a target falls due.

A calendar is one working window per weekday in the account's time zone, minus public
holidays (the ``holidays`` package, by country and subdivision) and extra closed days.
Times in and out are aware datetimes; local days are turned into UTC spans one day at a
time, so a daylight-saving change moves the window with the clock as people do.

Lookups are constant time after the first: the business seconds from the calendar's
epoch to the start of each day are kept as a prefix sum, extended as needed, so a report
over a year of conversations costs two lookups per duration, not a walk over the days.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from supportinbox.config import HoursConfig

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EPOCH = date(2000, 1, 3)  # a Monday; days before it are not expected in a support mailbox


def _holiday_dates(hours: HoursConfig, year: int) -> set[date]:
    if not hours.holidays:
        return set()
    import holidays  # only needed, and only loaded, when holidays are configured

    country, _, subdivision = hours.holidays.partition("-")
    return set(holidays.country_holidays(country, subdiv=subdivision or None, years=[year]).keys())


@dataclass
class BusinessCalendar:
    """Business seconds between instants, and instants a number of business seconds on."""

    hours: HoursConfig | None = None

    def __post_init__(self) -> None:
        # Without business hours every hour counts: business time is wall time.
        self._wall = self.hours is None
        self._spec = self.hours or HoursConfig(days=WEEKDAYS, start=time(0, 0), end=None)
        zone = self._spec.timezone
        self._zone: tzinfo = UTC if zone.upper() == "UTC" else ZoneInfo(zone)
        self._days = frozenset(WEEKDAYS.index(d) for d in self._spec.days)
        self._first = _EPOCH
        # Per day from ``_first``: the window's UTC start/end epoch seconds (equal when
        # closed), and business seconds before that day.
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._before: list[float] = [0.0]
        self._holidays: set[date] = set()
        self._years: set[int] = set()

    @property
    def zone(self) -> tzinfo:
        return self._zone

    @property
    def is_wall_time(self) -> bool:
        return self._wall

    def _window(self, day: date) -> tuple[float, float]:
        if day.year not in self._years:
            self._years.add(day.year)
            self._holidays |= _holiday_dates(self._spec, day.year)
        if day.weekday() not in self._days or day in self._holidays or day in self._spec.closed_days:
            midnight = datetime.combine(day, time(0, 0), self._zone).timestamp()
            return midnight, midnight
        start = datetime.combine(day, self._spec.start, self._zone).timestamp()
        if self._spec.end is None:
            end = datetime.combine(day + timedelta(days=1), time(0, 0), self._zone).timestamp()
        else:
            end = datetime.combine(day, self._spec.end, self._zone).timestamp()
        return start, max(start, end)

    def _extend(self, upto: int) -> None:
        while len(self._starts) <= upto:
            start, end = self._window(self._first + timedelta(days=len(self._starts)))
            self._starts.append(start)
            self._ends.append(end)
            self._before.append(self._before[-1] + end - start)

    def _index(self, moment: datetime) -> int:
        return (moment.astimezone(self._zone).date() - self._first).days

    def _cumulative(self, moment: datetime) -> float:
        """Business seconds from the epoch to ``moment``."""
        index = max(self._index(moment), 0)
        self._extend(index)
        stamp = moment.timestamp()
        inside = min(max(stamp, self._starts[index]), self._ends[index]) - self._starts[index]
        return self._before[index] + inside

    def seconds(self, start: datetime, end: datetime) -> float:
        """Business seconds from ``start`` to ``end`` (0 when ``end`` is not later)."""
        if end <= start:
            return 0.0
        if self._wall:
            return (end - start).total_seconds()
        return self._cumulative(end) - self._cumulative(start)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment when ``seconds`` of business time have passed since ``start``."""
        if self._wall:
            return start + timedelta(seconds=seconds)
        target = self._cumulative(start) + seconds
        index = max(self._index(start), 0)
        # Working days are at most a week apart unless holidays pile up: extend in weeks.
        while self._before[-1] < target or len(self._starts) <= index:
            self._extend(len(self._starts) + 7)
            if len(self._starts) > index + 3660:  # ten years without a working minute
                return start + timedelta(days=3660)
        day = bisect.bisect_left(self._before, target, lo=index + 1) - 1
        stamp = self._starts[day] + (target - self._before[day])
        return datetime.fromtimestamp(stamp, UTC)
