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

from supportinbox.config import ClockTime, HoursConfig, Weekdays

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
        self._spec = self.hours or HoursConfig(days=Weekdays(WEEKDAYS), start=ClockTime(0, 0), end=None)
        zone = self._spec.timezone
        self._zone: tzinfo = UTC if zone.upper() == "UTC" else ZoneInfo(zone)
        self._days = frozenset(WEEKDAYS.index(d) for d in self._spec.days)
        self._first = _EPOCH
        # Per day from ``_first``: the window's UTC start/end epoch seconds (equal when
        # closed), and business seconds before that day.
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._midnights: list[float] = [datetime.combine(self._first, time(0, 0), self._zone).timestamp()]
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
            day = self._first + timedelta(days=len(self._starts))
            start, end = self._window(day)
            self._starts.append(start)
            self._ends.append(end)
            self._before.append(self._before[-1] + end - start)
            self._midnights.append(
                datetime.combine(day + timedelta(days=1), time(0, 0), self._zone).timestamp()
            )

    def _index(self, stamp: float) -> int:
        """The calendar day (from the epoch) that the POSIX time ``stamp`` falls on, locally."""
        while self._midnights[-1] <= stamp:
            self._extend(len(self._starts) + 31)
        return max(bisect.bisect_right(self._midnights, stamp) - 1, 0)

    def _cumulative(self, stamp: float) -> float:
        """Business seconds from the epoch to the POSIX time ``stamp``."""
        index = self._index(stamp)
        start = self._starts[index]
        inside = min(max(stamp, start), self._ends[index]) - start
        return self._before[index] + inside

    def seconds(self, start: datetime, end: datetime) -> float:
        """Business seconds from ``start`` to ``end`` (0 when ``end`` is not later)."""
        return self.stamp_seconds(start.timestamp(), end.timestamp())

    def stamp_seconds(self, start: float, end: float) -> float:
        """:meth:`seconds` between two POSIX times (what reports use, by the thousand)."""
        if end <= start:
            return 0.0
        if self._wall:
            return end - start
        if self._midnights[-1] <= end:
            self._index(end)  # extends the days to cover ``end``
        mids, starts, ends, before = self._midnights, self._starts, self._ends, self._before
        first = max(bisect.bisect_right(mids, start) - 1, 0)
        last = bisect.bisect_right(mids, end) - 1
        opened, closed = starts[first], starts[last]
        upto_start = before[first] + min(max(start, opened), ends[first]) - opened
        return before[last] + min(max(end, closed), ends[last]) - closed - upto_start

    def day_index(self, stamp: float) -> int:
        """A number for the local day of ``stamp`` (consecutive days, consecutive numbers)."""
        return self._index(stamp)

    def day_of_index(self, index: int) -> date:
        return self._first + timedelta(days=index)

    def midnight(self, index: int) -> float:
        """The POSIX time at which local day ``index`` starts."""
        self._extend(index)
        return self._midnights[index]

    def open_at(self, moment: datetime) -> datetime:
        """``moment`` if the team is at work then, else when the next working window opens."""
        if self._wall:
            return moment
        index = self._index(moment.timestamp())
        stamp = moment.timestamp()
        for day in range(index, index + 3660):  # ten years without a working minute: give up
            self._extend(day)
            start, end = self._starts[day], self._ends[day]
            if end > start and stamp < end:
                return datetime.fromtimestamp(max(stamp, start), UTC)
        return moment

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment when ``seconds`` of business time have passed since ``start``."""
        if self._wall:
            return start + timedelta(seconds=seconds)
        target = self._cumulative(start.timestamp()) + seconds
        index = self._index(start.timestamp())
        # Working days are at most a week apart unless holidays pile up: extend in weeks.
        while self._before[-1] < target or len(self._starts) <= index:
            self._extend(len(self._starts) + 7)
            if len(self._starts) > index + 3660:  # ten years without a working minute
                return start + timedelta(days=3660)
        day = bisect.bisect_left(self._before, target, lo=index + 1) - 1
        stamp = self._starts[day] + (target - self._before[day])
        return datetime.fromtimestamp(stamp, UTC)
