"""Business-time arithmetic for SLA clocks: a team's working hours, time zone and holidays.

SLA targets (first response, next response, resolution) are durations of *working* time, so a
four-hour target set on Friday at 17:00 expires on Monday. This module is pure Python (no
database) so that models, actions and background jobs can share one exact definition.

Semantics, chosen once here so every caller agrees:

- Working hours are wall-clock intervals in the team's IANA time zone, per weekday
  (``{"mon": [["09:00", "18:00"]], ...}``); ``"24:00"`` may end an interval, and
  ``"22:00"-"24:00"`` on Monday followed by ``"00:00"-"06:00"`` on Tuesday is one night shift.
  An empty mapping means around the clock. A weekday missing from a non-empty mapping is closed.
- A holiday is a whole local date off.
- An interval is open from the first instant the local clock reads its start until the first
  instant it reads its end. So a 09:00-18:00 day is nine real hours even on a DST change day, and
  an interval that contains the spring-forward gap is an hour shorter (the fall-back fold, an
  hour longer). A boundary inside the gap (the clock never reads it) falls on the instant the
  clock jumps.
- Time is measured on the half-open interval ``[start, end)``; every result is an aware UTC
  datetime and every input must be aware.

Pausing (pending / on hold): with ``paused`` business time ``business_time_between(paused_at,
resumed_at)``, the new deadline is ``add_business_time(deadline, paused)`` whenever the pause began
before the deadline. That is exactly the deadline of the ticket's full target counted over its
unpaused time (see the tests for the proof by example and by random cases).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["WEEKDAYS", "BusinessCalendar"]

# Keys of `working_hours`, in `date.weekday()` order.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_MINUTES_PER_DAY = 24 * 60
_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_SECOND = timedelta(seconds=1)
_MIDNIGHT = time(0)
# ASCII digits only: `\d` would also accept Arabic-Indic and other Unicode digits.
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")

# One day's working intervals as offsets from local midnight.
_DayIntervals = tuple[tuple[timedelta, timedelta], ...]
_Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team works: wall-clock hours per weekday in one time zone, minus holidays.

    Construct it with `from_config` from the stored JSON, or directly with tuples; both validate
    and raise `ValueError` on a bad configuration. Treat `working_hours` as read-only: the
    parsed form is computed once, at construction.
    """

    time_zone: str = "UTC"
    # Excluded from the hash (a dict is unhashable); equality still compares it.
    working_hours: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, hash=False)
    holidays: frozenset[date] = frozenset()

    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _intervals: tuple[_DayIntervals, ...] = field(init=False, repr=False, compare=False)
    _day_lengths: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)
    _week_length: timedelta = field(init=False, repr=False, compare=False)
    _sorted_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)
    # _holiday_prefix[i]: working time the first i sorted holidays take away.
    _holiday_prefix: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)
    _around_the_clock: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = _load_zone(self.time_zone)
        hours, intervals = _parse_working_hours(self.working_hours)
        holidays = _check_holidays(self.holidays)
        day_lengths = tuple(sum((end - start for start, end in day), _ZERO) for day in intervals)
        # Frozen: the derived fields are set once, through object.__setattr__.
        set_field = object.__setattr__
        set_field(self, "working_hours", hours)
        set_field(self, "holidays", holidays)
        set_field(self, "_zone", zone)
        set_field(self, "_intervals", intervals)
        set_field(self, "_day_lengths", day_lengths)
        set_field(self, "_week_length", sum(day_lengths, _ZERO))
        sorted_holidays = tuple(sorted(holidays))
        prefix = [_ZERO]
        for holiday in sorted_holidays:
            prefix.append(prefix[-1] + day_lengths[holiday.weekday()])
        set_field(self, "_sorted_holidays", sorted_holidays)
        set_field(self, "_holiday_prefix", tuple(prefix))
        set_field(self, "_around_the_clock", not holidays and all(length == _DAY for length in day_lengths))

    @classmethod
    def around_the_clock(cls) -> BusinessCalendar:
        """Every instant is working time (24/7, no holidays)."""
        return cls()

    @classmethod
    def from_config(
        cls,
        working_hours: Mapping[str, Iterable[Sequence[str]]],
        time_zone: str,
        holidays: Iterable[date] = (),
    ) -> BusinessCalendar:
        """Build from a team's stored JSON (lists of ``[start, end]`` pairs); raise ValueError if invalid."""
        if not isinstance(working_hours, Mapping):
            raise ValueError("working hours must be a mapping of weekday to a list of [start, end] pairs")
        normalized: dict[str, tuple[tuple[str, str], ...]] = {}
        for day, day_intervals in working_hours.items():
            if isinstance(day_intervals, str | bytes) or not isinstance(day_intervals, Iterable):
                raise ValueError(f"{day}: expected a list of [start, end] pairs, got {day_intervals!r}")
            normalized[day] = tuple(_pair(day, interval) for interval in day_intervals)
        return cls(time_zone=time_zone, working_hours=normalized, holidays=frozenset(holidays))

    @property
    def is_24_7(self) -> bool:
        """True when every instant is working time (no closed hours and no holidays)."""
        return self._around_the_clock

    def is_open(self, at: datetime) -> bool:
        """Whether `at` is working time (opening instants are open, closing instants are not)."""
        at = _to_utc(at, "at")
        if self._around_the_clock:
            return True
        local_day = at.astimezone(self._zone).date()
        # The neighbouring days matter only when a DST fold straddles midnight.
        for day in (local_day - _DAY, local_day, local_day + _DAY):
            for opens, closes in self._day_spans(day):
                if opens <= at < closes:
                    return True
        return False

    def next_opening(self, at: datetime) -> datetime:
        """The first working instant at or after `at` (`at` itself when open), in UTC."""
        at = _to_utc(at, "at")
        if self._around_the_clock:
            return at
        self._require_working_time()
        day = at.astimezone(self._zone).date() - _DAY
        # Terminates: some weekday has hours and the holidays are finitely many.
        while True:
            for opens, closes in self._day_spans(day):
                if closes > at:
                    return max(opens, at)
            day += _DAY

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) when `duration` of working time has elapsed since `start`.

        Counting begins at `start`, or at the next opening when `start` is outside working
        hours; the result is the instant the last bit elapses, so it can be a closing time but is
        never a later opening. A zero duration returns `start` unchanged (in UTC), even outside
        hours: nothing has to elapse. Raise ValueError for a negative duration or a calendar with
        no working hours at all.
        """
        start = _to_utc(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if not duration:
            return start
        if self._around_the_clock:
            return start + duration
        self._require_working_time()
        remaining = duration
        # The local days around `start` are clipped to it; from the third one on every span
        # starts after `start`, so whole weeks can be skipped without clipping.
        day = start.astimezone(self._zone).date() - _DAY
        for _ in range(3):
            for opens, closes in self._day_spans(day):
                opens = max(opens, start)
                if closes <= opens:
                    continue
                if closes - opens >= remaining:
                    return opens + remaining
                remaining -= closes - opens
            day += _DAY
        while True:
            # Jump whole weeks while the deadline is certainly beyond them: fewer than
            # remaining / week-length weeks, so even without holidays they cannot use it all up
            # (a deadline that used it up exactly would be the last closing time, which the day
            # walk below finds).
            weeks, _ = self._steady_weeks(day)
            weeks = min(weeks, -(-remaining // self._week_length) - 1)
            if weeks > 0:
                remaining -= self._weeks_length(day, weeks)
                day += weeks * _WEEK
                continue
            for _ in range(7):
                for opens, closes in self._day_spans(day):
                    if closes - opens >= remaining:
                        return opens + remaining
                    remaining -= closes - opens
                day += _DAY

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero when `end` is not after `start`."""
        start = _to_utc(start, "start")
        end = _to_utc(end, "end")
        if end <= start:
            return _ZERO
        if self._around_the_clock:
            return end - start
        if not self._week_length:
            return _ZERO
        total = _ZERO
        day = start.astimezone(self._zone).date() - _DAY
        for _ in range(3):
            total += _overlap(self._day_spans(day), start, end)
            day += _DAY
        while True:
            weeks, offset = self._steady_weeks(day)
            if weeks:
                # Steady offset: local midnights are plain UTC instants, so count whole weeks
                # that end by `end` directly.
                wall_days = (end + offset - datetime.combine(day, _MIDNIGHT, tzinfo=UTC)) // _DAY
                weeks = min(weeks, wall_days // 7)
            if weeks > 0:
                total += self._weeks_length(day, weeks)
                day += weeks * _WEEK
                continue
            for _ in range(7):
                if self._wall_to_utc(day, _ZERO) >= end:
                    return total
                total += _overlap(self._day_spans(day), start, end)
                day += _DAY

    # -- internals -------------------------------------------------------------------------

    def _require_working_time(self) -> None:
        if not self._week_length:
            raise ValueError("the calendar has no working hours on any weekday")

    def _day_spans(self, day: date) -> list[_Span]:
        """The UTC instants of one local day's working intervals, in order, none empty."""
        if day in self.holidays:
            return []
        intervals = self._intervals[day.weekday()]
        if not intervals:
            return []
        offset = self._steady_offset(day, 1)
        if offset is not None:
            midnight = datetime.combine(day, _MIDNIGHT, tzinfo=UTC) - offset
            return [(midnight + opens, midnight + closes) for opens, closes in intervals]
        spans = []
        for opens, closes in intervals:
            span = (self._wall_to_utc(day, opens), self._wall_to_utc(day, closes))
            # An interval wholly inside a spring-forward gap never happens on the clock.
            if span[0] < span[1]:
                spans.append(span)
        return spans

    def _weeks_length(self, day: date, weeks: int) -> timedelta:
        """Working time in `weeks` whole weeks from local `day`, over which the offset is steady."""
        holidays = self._sorted_holidays
        first = bisect_left(holidays, day)
        last = bisect_left(holidays, day + weeks * _WEEK, lo=first)
        return weeks * self._week_length - (self._holiday_prefix[last] - self._holiday_prefix[first])

    def _steady_weeks(self, day: date) -> tuple[int, timedelta]:
        """How many whole weeks from local `day` keep one UTC offset (so that their nominal hours
        are real hours), and that offset."""
        change = self._next_offset_change(day)
        return ((change - day).days - 1) // 7, _offset(datetime.combine(day, _MIDNIGHT, tzinfo=self._zone))

    def _steady_offset(self, day: date, days: int) -> timedelta | None:
        """The UTC offset if it holds for all wall times from `day` 00:00 to `day + days` 00:00
        inclusive, else None."""
        if self._next_offset_change(day) <= day + timedelta(days=days):
            return None
        return _offset(datetime.combine(day, _MIDNIGHT, tzinfo=self._zone))

    def _next_offset_change(self, day: date) -> date:
        """The first date after `day` whose midnight is not covered by `day`'s offset (see
        `_offset_changes`); two years on at most, which callers treat as a change."""
        for year in (day.year, day.year + 1):
            changes = _offset_changes(self.time_zone, year)
            index = bisect_right(changes, day)
            if index < len(changes):
                return changes[index]
        return date(day.year + 2, 1, 1)

    def _wall_to_utc(self, day: date, since_midnight: timedelta) -> datetime:
        """The first instant the local clock reads `day` 00:00 + `since_midnight`; for a reading
        the clock skips (spring-forward gap), the instant it jumps."""
        wall = datetime.combine(day, _MIDNIGHT, tzinfo=self._zone) + since_midnight
        earlier, later = _offset(wall), _offset(wall.replace(fold=1))
        as_utc = wall.replace(tzinfo=UTC)
        if earlier >= later:
            # Unambiguous, or repeated (fall-back fold): fold=0 is the first reading.
            return as_utc - earlier
        return self._transition_between(as_utc - later, as_utc - earlier)

    def _transition_between(self, before: datetime, after: datetime) -> datetime:
        """The first instant in (before, after] whose UTC offset differs from `before`'s.

        Bisects on whole seconds (tz database transitions fall on whole seconds); gaps are rare
        and at most hours wide, so this costs a dozen or so lookups a few times a year.
        """
        initial = _offset(before.astimezone(self._zone))
        low, high = 0, (after - before) // _SECOND
        while high - low > 1:
            middle = (low + high) // 2
            if _offset((before + middle * _SECOND).astimezone(self._zone)) == initial:
                low = middle
            else:
                high = middle
        return before + high * _SECOND


@lru_cache(maxsize=512)
def _offset_changes(time_zone: str, year: int) -> tuple[date, ...]:
    """The dates of `year` whose local midnight has another offset than the midnight before, or
    lies in a gap or fold (fold=1 reads another offset).

    No such date in (d, d + n] means one offset holds for every wall time from d 00:00 to
    d + n 00:00: wall time is then plain UTC arithmetic. Every midnight is read, not a sample:
    some zones change and change back within a week (Brazil's north-east in October 2000, Gaza's
    Ramadan rule), and the only assumption is that no zone changes its offset twice in one day.
    Cached, because a year costs a few hundred offset lookups and a deployment has few zones.
    """
    zone = ZoneInfo(time_zone)
    first = datetime.combine(date(year, 1, 1), _MIDNIGHT, tzinfo=zone)
    # Aware arithmetic is wall-clock arithmetic: these are consecutive local midnights, from the
    # one before the year to the one after it.
    midnights = [
        first + (index - 1) * _DAY for index in range((date(year + 1, 1, 1) - first.date()).days + 2)
    ]
    offsets = [_offset(midnight) for midnight in midnights]
    changes = []
    for index in range(1, len(midnights) - 1):
        offset = offsets[index]
        # A midnight inside a gap or fold always sits next to a change of the fold=0 offset, so
        # the costlier fold=1 reading is only needed there.
        if offset != offsets[index - 1] or (
            offset != offsets[index + 1] and _offset(midnights[index].replace(fold=1)) != offset
        ):
            changes.append(midnights[index].date())
    return tuple(changes)


def _overlap(spans: list[_Span], start: datetime, end: datetime) -> timedelta:
    total = _ZERO
    for opens, closes in spans:
        opens, closes = max(opens, start), min(closes, end)
        if closes > opens:
            total += closes - opens
    return total


def _offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    assert offset is not None, "zoneinfo always gives an offset to an aware datetime"
    return offset


def _to_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC)


def _load_zone(key: str) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise ValueError(f"unknown time zone {key!r}")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        # ValueError: keys that are not zone names at all, such as absolute paths; OSError: a region
        # such as "Europe", which the tzdata package holds as a directory.
        raise ValueError(f"unknown time zone {key!r}") from error


def _pair(day: str, interval: object) -> tuple[str, str]:
    if isinstance(interval, str | bytes) or not isinstance(interval, Sequence) or len(interval) != 2:
        raise ValueError(f"{day}: each interval must be a [start, end] pair, got {interval!r}")
    return (interval[0], interval[1])


def _parse_working_hours(
    working_hours: Mapping[str, Iterable[Sequence[str]]],
) -> tuple[dict[str, tuple[tuple[str, str], ...]], tuple[_DayIntervals, ...]]:
    """Validate; return the hours with each day's intervals sorted, and the parsed form per
    weekday (touching intervals merged, so that "12:00" is open in 09:00-12:00 + 12:00-18:00)."""
    if not isinstance(working_hours, Mapping):
        raise ValueError("working hours must be a mapping of weekday to a list of [start, end] pairs")
    if not working_hours:
        # The stored convention: no hours configured means the team works around the clock.
        whole_day = ((_ZERO, _DAY),)
        return {}, (whole_day,) * 7
    unknown = sorted(str(key) for key in working_hours if key not in WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r} in working hours; use {', '.join(WEEKDAYS)}")
    hours: dict[str, tuple[tuple[str, str], ...]] = {}
    parsed: list[_DayIntervals] = []
    for day in WEEKDAYS:
        if day not in working_hours:
            parsed.append(())
            continue
        pairs = [_pair(day, interval) for interval in working_hours[day]]
        minutes = sorted(
            ((_parse_clock(day, opens), _parse_clock(day, closes)), (opens, closes))
            for opens, closes in pairs
        )
        merged: list[list[int]] = []
        previous: tuple[str, str] | None = None
        for (opens_at, closes_at), text in minutes:
            if closes_at <= opens_at:
                raise ValueError(
                    f"{day}: interval {text[0]}-{text[1]} must end after it starts "
                    "(split a night shift at 24:00 and continue at 00:00 the next day)"
                )
            if merged and previous is not None and opens_at < merged[-1][1]:
                raise ValueError(
                    f"{day}: intervals {previous[0]}-{previous[1]} and {text[0]}-{text[1]} overlap"
                )
            if merged and opens_at == merged[-1][1]:
                merged[-1][1] = closes_at
            else:
                merged.append([opens_at, closes_at])
            previous = text
        hours[day] = tuple(text for _, text in minutes)
        parsed.append(
            tuple((timedelta(minutes=opens), timedelta(minutes=closes)) for opens, closes in merged)
        )
    return hours, tuple(parsed)


def _parse_clock(day: str, text: object) -> int:
    """Minutes since midnight of an "HH:MM" reading from 00:00 to 24:00."""
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is not None:
        hours, minutes = int(match[1]), int(match[2])
        if minutes < 60 and hours * 60 + minutes <= _MINUTES_PER_DAY:
            return hours * 60 + minutes
    raise ValueError(f"{day}: invalid time {text!r}; expected HH:MM from 00:00 to 24:00")


def _check_holidays(holidays: Iterable[date]) -> frozenset[date]:
    checked = frozenset(holidays)
    for holiday in checked:
        # A datetime is a date subclass but would never equal a local date in lookups.
        if not isinstance(holiday, date) or isinstance(holiday, datetime):
            raise ValueError(f"holiday {holiday!r} is not a date")
    return checked
