"""The SLA business calendar: working hours, holidays, DST and the pause arithmetic (no database)."""

from __future__ import annotations

import dataclasses
import pickle
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from watchkeeper.tickets.calendar import WEEKDAYS, BusinessCalendar

WorkingHours = Mapping[str, Sequence[Sequence[str]]]

WEEKDAY_HOURS: WorkingHours = {day: [["09:00", "18:00"]] for day in WEEKDAYS[:5]}
EVERY_DAY_HOURS: WorkingHours = {day: [["09:00", "18:00"]] for day in WEEKDAYS}
LUNCH_HOURS: WorkingHours = {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in WEEKDAYS[:5]}

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
QUARTER = timedelta(minutes=15)
MICROSECOND = timedelta(microseconds=1)


def local(zone: str, *fields: int) -> datetime:
    """A wall-clock time in `zone` (first reading, fold=0, when the clock repeats it)."""
    return datetime(*fields, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def assert_utc(value: datetime) -> None:
    assert value.tzinfo is UTC


# -- an independent reference -----------------------------------------------------------------
#
# Open when the local wall clock reads a time inside one of the day's intervals. This agrees with
# the module wherever no interval boundary falls in a DST gap or fold, which holds for the
# calendars it is used on. It is slow (quarter-hour steps), so it checks few, short cases.


def _minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def reference_is_open(working_hours: WorkingHours, zone: str, holidays: set[date], at: datetime) -> bool:
    wall = at.astimezone(ZoneInfo(zone))
    if wall.date() in holidays:
        return False
    reading = wall.hour * 60 + wall.minute + wall.second / 60
    intervals = working_hours.get(WEEKDAYS[wall.weekday()], [])
    return any(_minutes(start) <= reading < _minutes(end) for start, end in intervals)


def _quarters(start: datetime) -> Iterator[datetime]:
    # In UTC: arithmetic on two datetimes of one ZoneInfo is wall-clock arithmetic.
    step = start.astimezone(UTC)
    while True:
        yield step
        step += QUARTER


def reference_between(
    working_hours: WorkingHours, zone: str, holidays: set[date], start: datetime, end: datetime
) -> timedelta:
    total = timedelta(0)
    for step in _quarters(start):
        if step >= end:
            return total
        if reference_is_open(working_hours, zone, holidays, step):
            total += QUARTER
    raise AssertionError("unreachable")


def reference_add(
    working_hours: WorkingHours, zone: str, holidays: set[date], start: datetime, duration: timedelta
) -> datetime:
    remaining = duration
    for step in _quarters(start):
        if reference_is_open(working_hours, zone, holidays, step):
            remaining -= QUARTER
            if not remaining:
                return step + QUARTER
    raise AssertionError("unreachable")


# -- 24/7 -----------------------------------------------------------------------------------------


def test_around_the_clock_counts_every_instant() -> None:
    calendar = BusinessCalendar.around_the_clock()
    start = local("Europe/Berlin", 2024, 3, 30, 23, 30)
    assert calendar.is_24_7
    assert calendar == BusinessCalendar.from_config({}, "UTC")
    # Across Berlin's spring-forward night: real hours, not wall-clock hours.
    deadline = calendar.add_business_time(start, hours(5))
    assert deadline == start.astimezone(UTC) + hours(5) == utc(2024, 3, 31, 3, 30)
    assert_utc(deadline)
    assert calendar.business_time_between(start, deadline) == hours(5)
    assert calendar.is_open(start)
    assert calendar.next_opening(start) == start
    assert_utc(calendar.next_opening(start))


def test_an_empty_mapping_in_any_zone_is_24_7_and_whole_days_every_day_are_too() -> None:
    assert BusinessCalendar.from_config({}, "America/New_York").is_24_7
    whole_days = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
    assert BusinessCalendar.from_config(whole_days, "Europe/Berlin").is_24_7
    assert not BusinessCalendar.from_config(WEEKDAY_HOURS, "UTC").is_24_7


def test_around_the_clock_with_a_holiday_skips_that_local_day() -> None:
    calendar = BusinessCalendar.from_config({}, "Europe/Berlin", [date(2024, 12, 25)])
    assert not calendar.is_24_7
    start = local("Europe/Berlin", 2024, 12, 24, 22, 0)
    # 22:00-24:00 on the 24th, then nothing on the 25th, then 01:00 on the 26th.
    assert calendar.add_business_time(start, hours(3)) == local("Europe/Berlin", 2024, 12, 26, 1, 0)
    assert not calendar.is_open(local("Europe/Berlin", 2024, 12, 25, 12, 0))
    assert calendar.next_opening(local("Europe/Berlin", 2024, 12, 25, 12, 0)) == local(
        "Europe/Berlin", 2024, 12, 26
    )


# -- business hours -------------------------------------------------------------------------------

SINGAPORE = "Asia/Singapore"  # UTC+8 all year: these cases are about hours, not DST.


def sg(*fields: int) -> datetime:
    return local(SINGAPORE, *fields)


# 2024-01-05 is a Friday, 2024-01-08 a Monday.
@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (sg(2024, 1, 5, 17, 0), hours(4), sg(2024, 1, 8, 12, 0)),
        # Using the day up exactly ends at closing time, not at Monday's opening.
        (sg(2024, 1, 5, 17, 0), hours(1), sg(2024, 1, 5, 18, 0)),
        (sg(2024, 1, 5, 18, 0), hours(1), sg(2024, 1, 8, 10, 0)),
        (sg(2024, 1, 8, 9, 0), hours(45), sg(2024, 1, 12, 18, 0)),
        (sg(2024, 1, 8, 9, 0), hours(46), sg(2024, 1, 15, 10, 0)),
        # Starting outside hours: counting begins at the next opening.
        (sg(2024, 1, 6, 12, 0), hours(1), sg(2024, 1, 8, 10, 0)),
        (sg(2024, 1, 8, 7, 0), hours(1), sg(2024, 1, 8, 10, 0)),
        (sg(2024, 1, 8, 20, 0), timedelta(minutes=30), sg(2024, 1, 9, 9, 30)),
        (sg(2024, 1, 7, 23, 59, 59), timedelta(seconds=1), sg(2024, 1, 8, 9, 0, 1)),
        # Sub-second precision survives.
        (sg(2024, 1, 8, 17, 59, 59, 999_999), MICROSECOND, sg(2024, 1, 8, 18, 0)),
    ],
)
def test_add_business_time_over_weekday_hours(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    result = calendar.add_business_time(start, duration)
    assert result == expected
    assert_utc(result)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sg(2024, 1, 5, 17, 0), sg(2024, 1, 8, 10, 0), hours(2)),
        (sg(2024, 1, 6, 0, 0), sg(2024, 1, 8, 0, 0), hours(0)),
        (sg(2024, 1, 8, 9, 0), sg(2024, 1, 15, 9, 0), hours(45)),
        (sg(2024, 1, 8, 12, 0), sg(2024, 1, 8, 12, 0), hours(0)),
        (sg(2024, 1, 8, 13, 0), sg(2024, 1, 8, 12, 0), hours(0)),
        (sg(2024, 1, 1, 0, 0), sg(2025, 1, 1, 0, 0), hours(262 * 9)),  # 2024 has 262 weekdays
    ],
)
def test_business_time_between_over_weekday_hours(
    start: datetime, end: datetime, expected: timedelta
) -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    assert calendar.business_time_between(start, end) == expected


def test_a_zero_duration_returns_the_start_even_outside_hours() -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    saturday = sg(2024, 1, 6, 12, 0)
    assert calendar.add_business_time(saturday, timedelta(0)) == saturday
    assert_utc(calendar.add_business_time(saturday, timedelta(0)))
    assert calendar.add_business_time(sg(2024, 1, 8, 10, 0), timedelta(0)) == sg(2024, 1, 8, 10, 0)


@pytest.mark.parametrize(
    ("at", "is_open", "next_opening"),
    [
        (sg(2024, 1, 8, 9, 0), True, sg(2024, 1, 8, 9, 0)),
        (sg(2024, 1, 8, 8, 59, 59, 999_999), False, sg(2024, 1, 8, 9, 0)),
        (sg(2024, 1, 8, 17, 59), True, sg(2024, 1, 8, 17, 59)),
        (sg(2024, 1, 8, 18, 0), False, sg(2024, 1, 9, 9, 0)),
        (sg(2024, 1, 5, 18, 0), False, sg(2024, 1, 8, 9, 0)),
        (sg(2024, 1, 6, 12, 0), False, sg(2024, 1, 8, 9, 0)),
        # The same instant written in another zone: Monday 01:30 UTC is 09:30 in Singapore.
        (utc(2024, 1, 8, 1, 30), True, utc(2024, 1, 8, 1, 30)),
    ],
)
def test_is_open_and_next_opening(at: datetime, is_open: bool, next_opening: datetime) -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    assert calendar.is_open(at) is is_open
    assert calendar.next_opening(at) == next_opening
    assert_utc(calendar.next_opening(at))


def test_a_lunch_break_splits_the_day() -> None:
    calendar = BusinessCalendar.from_config(LUNCH_HOURS, SINGAPORE)
    tuesday = (2024, 1, 9)
    assert calendar.add_business_time(sg(*tuesday, 11, 30), hours(1)) == sg(*tuesday, 13, 30)
    assert calendar.add_business_time(sg(*tuesday, 12, 0), hours(1)) == sg(*tuesday, 14, 0)
    assert calendar.add_business_time(sg(*tuesday, 12, 30), timedelta(minutes=30)) == sg(*tuesday, 13, 30)
    # Using the morning up exactly ends at 12:00, not at the 13:00 reopening.
    assert calendar.add_business_time(sg(*tuesday, 11, 0), hours(1)) == sg(*tuesday, 12, 0)
    assert calendar.add_business_time(sg(*tuesday, 9, 0), hours(8)) == sg(*tuesday, 18, 0)
    assert calendar.business_time_between(sg(*tuesday, 11, 0), sg(*tuesday, 14, 0)) == hours(2)
    assert calendar.business_time_between(sg(*tuesday, 0, 0), sg(*tuesday, 23, 0)) == hours(8)
    assert calendar.is_open(sg(*tuesday, 11, 59))
    assert not calendar.is_open(sg(*tuesday, 12, 0))
    assert calendar.is_open(sg(*tuesday, 13, 0))
    assert calendar.next_opening(sg(*tuesday, 12, 15)) == sg(*tuesday, 13, 0)


def test_touching_intervals_are_one_and_a_night_shift_runs_across_midnight() -> None:
    calendar = BusinessCalendar.from_config(
        {"mon": [["09:00", "12:00"], ["12:00", "18:00"], ["22:00", "24:00"]], "tue": [["00:00", "06:00"]]},
        SINGAPORE,
    )
    assert calendar.is_open(sg(2024, 1, 8, 12, 0))
    assert calendar.is_open(sg(2024, 1, 9, 0, 0))
    assert calendar.add_business_time(sg(2024, 1, 8, 23, 0), hours(3)) == sg(2024, 1, 9, 2, 0)
    assert calendar.add_business_time(sg(2024, 1, 8, 17, 0), hours(2)) == sg(2024, 1, 8, 23, 0)
    assert calendar.business_time_between(sg(2024, 1, 8), sg(2024, 1, 10)) == hours(9 + 2 + 6)


# -- holidays -------------------------------------------------------------------------------------


def test_a_midweek_holiday_is_skipped() -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE, [date(2024, 5, 1)])  # a Wednesday
    assert calendar.add_business_time(sg(2024, 4, 30, 17, 0), hours(2)) == sg(2024, 5, 2, 10, 0)
    assert calendar.business_time_between(sg(2024, 4, 29), sg(2024, 5, 4)) == hours(36)
    assert not calendar.is_open(sg(2024, 5, 1, 10, 0))


def test_a_friday_holiday_joins_the_weekend() -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE, [date(2024, 1, 5)])
    assert calendar.add_business_time(sg(2024, 1, 4, 17, 0), hours(2)) == sg(2024, 1, 8, 10, 0)
    assert calendar.next_opening(sg(2024, 1, 4, 18, 0)) == sg(2024, 1, 8, 9, 0)
    assert calendar.business_time_between(sg(2024, 1, 4, 17, 0), sg(2024, 1, 8, 10, 0)) == hours(2)


def test_easter_holidays_across_berlin_spring_forward() -> None:
    # Good Friday and Easter Monday around the DST change on Easter Sunday 2024-03-31.
    berlin = "Europe/Berlin"
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, berlin, [date(2024, 3, 29), date(2024, 4, 1)])
    deadline = calendar.add_business_time(local(berlin, 2024, 3, 28, 17, 0), hours(2))
    assert deadline == local(berlin, 2024, 4, 2, 10, 0) == utc(2024, 4, 2, 8, 0)
    # Starting on the holiday itself: counting begins at Tuesday's opening.
    assert calendar.add_business_time(local(berlin, 2024, 3, 29, 10, 0), hours(1)) == utc(2024, 4, 2, 8, 0)
    assert calendar.next_opening(local(berlin, 2024, 3, 29, 10, 0)) == local(berlin, 2024, 4, 2, 9, 0)
    assert calendar.business_time_between(
        local(berlin, 2024, 3, 28, 9, 0), local(berlin, 2024, 4, 3)
    ) == hours(18)


def test_holidays_only_count_when_they_fall_on_working_days() -> None:
    with_saturday_holiday = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE, [date(2024, 1, 6)])
    plain = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    start, end = sg(2024, 1, 1), sg(2024, 3, 1)
    assert with_saturday_holiday.business_time_between(start, end) == plain.business_time_between(start, end)


# -- daylight saving time ------------------------------------------------------------------------
#
# Berlin: 2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00. New York: 2024-03-10 02:00 ->
# 03:00, 2024-11-03 02:00 -> 01:00. All four are Sundays.

DST_SUNDAYS = [
    pytest.param("Europe/Berlin", (2024, 3, 31), -1, id="berlin-spring"),
    pytest.param("Europe/Berlin", (2024, 10, 27), +1, id="berlin-fall"),
    pytest.param("America/New_York", (2024, 3, 10), -1, id="new-york-spring"),
    pytest.param("America/New_York", (2024, 11, 3), +1, id="new-york-fall"),
]


@pytest.mark.parametrize(("zone", "sunday", "change"), DST_SUNDAYS)
def test_a_nine_to_six_day_is_nine_hours_on_a_dst_sunday(
    zone: str, sunday: tuple[int, int, int], change: int
) -> None:
    calendar = BusinessCalendar.from_config(EVERY_DAY_HOURS, zone)
    saturday = date(*sunday) - timedelta(days=1)
    monday = date(*sunday) + timedelta(days=1)
    assert calendar.add_business_time(local(zone, *sunday, 9, 0), hours(9)) == local(zone, *sunday, 18, 0)
    # Saturday's last hour then Sunday's first: the opening keeps its wall-clock time.
    saturday_evening = local(zone, saturday.year, saturday.month, saturday.day, 17, 0)
    assert calendar.add_business_time(saturday_evening, hours(2)) == local(zone, *sunday, 10, 0)
    saturday_morning = local(zone, saturday.year, saturday.month, saturday.day, 9, 0)
    monday_morning = local(zone, monday.year, monday.month, monday.day, 9, 0)
    assert calendar.business_time_between(saturday_morning, monday_morning) == hours(18)
    assert calendar.next_opening(local(zone, *sunday, 1, 0)) == local(zone, *sunday, 9, 0)


@pytest.mark.parametrize(("zone", "sunday", "change"), DST_SUNDAYS)
def test_a_whole_dst_sunday_has_23_or_25_hours(zone: str, sunday: tuple[int, int, int], change: int) -> None:
    calendar = BusinessCalendar.from_config({"sun": [["00:00", "24:00"]]}, zone)
    monday = date(*sunday) + timedelta(days=1)
    # In UTC: arithmetic on two datetimes of one ZoneInfo is wall-clock arithmetic.
    midnight = local(zone, *sunday).astimezone(UTC)
    next_midnight = local(zone, monday.year, monday.month, monday.day).astimezone(UTC)
    assert next_midnight - midnight == hours(24 + change)
    assert calendar.business_time_between(midnight, next_midnight) == hours(24 + change)
    assert calendar.add_business_time(midnight, hours(24 + change)) == next_midnight
    assert calendar.add_business_time(midnight - hours(30), hours(1)) == midnight + hours(1)


@pytest.mark.parametrize(("zone", "sunday", "change"), DST_SUNDAYS)
def test_a_night_shift_containing_the_change_is_an_hour_shorter_or_longer(
    zone: str, sunday: tuple[int, int, int], change: int
) -> None:
    calendar = BusinessCalendar.from_config({"sun": [["01:00", "05:00"]]}, zone)
    # In UTC: an aware datetime in a DST fold never compares equal to one in another zone (PEP 495).
    opens, closes = local(zone, *sunday, 1, 0).astimezone(UTC), local(zone, *sunday, 5, 0).astimezone(UTC)
    assert calendar.business_time_between(local(zone, *sunday), local(zone, *sunday, 12)) == hours(4 + change)
    assert calendar.add_business_time(opens, hours(4 + change)) == closes
    assert calendar.next_opening(local(zone, *sunday)) == opens


@pytest.mark.parametrize(
    ("friday_evening", "monday_deadline"),
    [
        (local("America/New_York", 2024, 3, 8, 17, 0), utc(2024, 3, 11, 14, 0)),  # EST -> EDT
        (local("America/New_York", 2024, 11, 1, 17, 0), utc(2024, 11, 4, 15, 0)),  # EDT -> EST
        (local("Europe/Berlin", 2024, 3, 29, 17, 0), utc(2024, 4, 1, 8, 0)),  # CET -> CEST
        (local("Europe/Berlin", 2024, 10, 25, 17, 0), utc(2024, 10, 28, 9, 0)),  # CEST -> CET
    ],
)
def test_weekday_hours_keep_their_wall_time_across_a_dst_weekend(
    friday_evening: datetime, monday_deadline: datetime
) -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, str(friday_evening.tzinfo))
    # One hour on Friday, one on Monday: 10:00 local on Monday, whatever the new offset.
    assert calendar.add_business_time(friday_evening, hours(2)) == monday_deadline
    assert calendar.business_time_between(friday_evening, monday_deadline) == hours(2)


def test_a_boundary_the_clock_skips_falls_on_the_jump() -> None:
    berlin = "Europe/Berlin"
    calendar = BusinessCalendar.from_config({"sun": [["02:30", "06:00"]]}, berlin)
    # 02:30 never happens on 2024-03-31: the team opens when the clock jumps to 03:00 (01:00 UTC).
    assert calendar.next_opening(local(berlin, 2024, 3, 31)) == utc(2024, 3, 31, 1, 0)
    assert not calendar.is_open(utc(2024, 3, 31, 0, 59))
    assert calendar.is_open(utc(2024, 3, 31, 1, 0))
    assert calendar.business_time_between(local(berlin, 2024, 3, 31), local(berlin, 2024, 4, 1)) == hours(3)


def test_an_interval_wholly_inside_the_skipped_hour_never_opens() -> None:
    berlin = "Europe/Berlin"
    calendar = BusinessCalendar.from_config({"sun": [["02:15", "02:45"], ["10:00", "11:00"]]}, berlin)
    assert calendar.business_time_between(local(berlin, 2024, 3, 31), local(berlin, 2024, 4, 1)) == hours(1)
    assert calendar.next_opening(local(berlin, 2024, 3, 31)) == local(berlin, 2024, 3, 31, 10, 0)
    # A normal Sunday has both.
    assert calendar.business_time_between(local(berlin, 2024, 4, 7), local(berlin, 2024, 4, 8)) == hours(1.5)


def test_a_boundary_the_clock_repeats_is_its_first_reading() -> None:
    berlin = "Europe/Berlin"
    calendar = BusinessCalendar.from_config({"sun": [["00:00", "02:30"], ["02:45", "06:00"]]}, berlin)
    # 2024-10-27: 02:30 CEST is 00:30 UTC; 02:45 CEST 00:45 UTC; 06:00 CET 05:00 UTC.
    assert calendar.add_business_time(local(berlin, 2024, 10, 27), hours(2.5)) == utc(2024, 10, 27, 0, 30)
    assert not calendar.is_open(utc(2024, 10, 27, 0, 40))
    assert calendar.next_opening(utc(2024, 10, 27, 0, 40)) == utc(2024, 10, 27, 0, 45)
    # The second 02:40 (CET, 01:40 UTC) is inside the open stretch that began at the first 02:45.
    assert calendar.is_open(utc(2024, 10, 27, 1, 40))
    assert calendar.business_time_between(local(berlin, 2024, 10, 27), local(berlin, 2024, 10, 28)) == hours(
        6.75
    )


@pytest.mark.parametrize(("sunday", "length"), [((2024, 4, 7), hours(24.5)), ((2024, 10, 6), hours(23.5))])
def test_a_half_hour_dst_change(sunday: tuple[int, int, int], length: timedelta) -> None:
    zone = "Australia/Lord_Howe"
    calendar = BusinessCalendar.from_config({"sun": [["00:00", "24:00"]]}, zone)
    monday = date(*sunday) + timedelta(days=1)
    end = local(zone, monday.year, monday.month, monday.day)
    assert calendar.business_time_between(local(zone, *sunday), end) == length
    assert calendar.add_business_time(local(zone, *sunday), length) == end


@pytest.mark.parametrize("first_day", range(20, 31))
@pytest.mark.parametrize(
    ("interval", "change"),
    [
        # The skipped hour (00:00-01:00 on the 8th) is working time: one hour less.
        (["00:00", "06:00"], -1),
        # The repeated hour (23:00-24:00 on the 14th, twice) is working time: one hour more.
        (["22:00", "24:00"], +1),
    ],
)
def test_a_week_with_two_offset_changes_is_not_skipped_as_a_plain_week(
    first_day: int, interval: list[str], change: int
) -> None:
    # Recife started DST at midnight on 2000-10-08 and dropped it at midnight on 2000-10-15: a
    # week's two ends can share an offset with a change and its reversal inside. Starting on
    # every day of a week puts the skipped weeks on every alignment.
    zone = "America/Recife"
    calendar = BusinessCalendar.from_config({day: [interval] for day in WEEKDAYS}, zone)
    daily = _minutes(interval[1]) - _minutes(interval[0])
    start, end = local(zone, 2000, 9, first_day), local(zone, 2000, 11, 20)
    expected = (end.date() - start.date()).days * timedelta(minutes=daily) + hours(change)
    assert calendar.business_time_between(start, end) == expected
    last_closing = local(zone, 2000, 11, 19) + timedelta(minutes=_minutes(interval[1]))
    assert calendar.add_business_time(start, expected) == last_closing.astimezone(UTC)


# -- long durations -------------------------------------------------------------------------------


def test_two_hundred_hours_of_weekday_hours() -> None:
    plain = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    # Four 45-hour weeks, then Monday and Tuesday (18 hours) and two hours on Wednesday.
    assert plain.add_business_time(sg(2024, 1, 8, 9, 0), hours(200)) == sg(2024, 2, 7, 11, 0)
    with_holiday = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE, [date(2024, 1, 17)])
    assert with_holiday.add_business_time(sg(2024, 1, 8, 9, 0), hours(200)) == sg(2024, 2, 8, 11, 0)


@pytest.mark.parametrize(
    ("working_hours", "zone", "holidays", "start", "duration"),
    [
        pytest.param(
            WEEKDAY_HOURS,
            "Europe/Berlin",
            {date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 1), date(2024, 10, 3)},
            local("Europe/Berlin", 2024, 2, 14, 13, 15),
            hours(1000),
            id="berlin",
        ),
        pytest.param(
            WEEKDAY_HOURS,
            "America/New_York",
            {date(2024, 5, 27), date(2024, 7, 4), date(2024, 9, 2), date(2024, 11, 28)},
            local("America/New_York", 2024, 2, 14, 13, 15),
            hours(1000),
            id="new-york",
        ),
        pytest.param(
            # Sunday night shifts that contain both changes of the year.
            {"sun": [["01:00", "05:00"]], "wed": [["10:00", "16:00"]]},
            "Europe/Berlin",
            {date(2024, 5, 1)},
            local("Europe/Berlin", 2024, 2, 14, 13, 15),
            hours(350),
            id="berlin-sunday-nights",
        ),
        pytest.param(
            {day: [["22:00", "24:00"]] for day in WEEKDAYS},
            "America/Recife",
            set(),
            local("America/Recife", 2000, 9, 1, 23, 0),
            hours(200),
            id="recife",
        ),
    ],
)
def test_long_durations_across_offset_changes_match_the_reference(
    working_hours: WorkingHours, zone: str, holidays: set[date], start: datetime, duration: timedelta
) -> None:
    calendar = BusinessCalendar.from_config(working_hours, zone, holidays)
    deadline = calendar.add_business_time(start, duration)
    assert deadline == reference_add(working_hours, zone, holidays, start, duration)
    assert calendar.business_time_between(start, deadline) == duration
    end = deadline + timedelta(days=3, minutes=45)
    assert calendar.business_time_between(start, end) == reference_between(
        working_hours, zone, holidays, start, end
    )


def test_years_long_durations_stay_consistent() -> None:
    calendar = BusinessCalendar.from_config(LUNCH_HOURS, "Europe/Berlin", [date(2026, 12, 25)])
    start = local("Europe/Berlin", 2024, 6, 3, 10, 7, 13)
    for duration in (hours(10_000), hours(20_000) + timedelta(seconds=1)):
        deadline = calendar.add_business_time(start, duration)
        assert calendar.business_time_between(start, deadline) == duration
        assert calendar.business_time_between(start, deadline - MICROSECOND) < duration
    # 8 hours a weekday: 10,000 hours are 1,250 working days, about 4.8 years.
    assert calendar.add_business_time(start, hours(10_000)).year == 2029


def test_matches_the_reference_on_random_short_windows() -> None:
    rng = random.Random(20240531)
    cases = [
        (WEEKDAY_HOURS, "Europe/Berlin", {date(2024, 3, 29), date(2024, 10, 3)}),
        (EVERY_DAY_HOURS, "America/New_York", {date(2024, 7, 4)}),
        (LUNCH_HOURS, "Asia/Kolkata", set()),  # +05:30
    ]
    for working_hours, zone, holidays in cases:
        calendar = BusinessCalendar.from_config(working_hours, zone, holidays)
        for _ in range(40):
            start = utc(2024, 1, 1) + rng.randrange(366 * 96) * QUARTER
            end = start + rng.randrange(4 * 96) * QUARTER
            expected = reference_between(working_hours, zone, holidays, start, end)
            assert calendar.business_time_between(start, end) == expected
            duration = rng.randrange(1, 3 * 36) * QUARTER
            assert calendar.add_business_time(start, duration) == reference_add(
                working_hours, zone, holidays, start, duration
            )
            assert calendar.is_open(start) is reference_is_open(working_hours, zone, holidays, start)


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("working_hours", "time_zone", "message"),
    [
        ({"monday": [["09:00", "18:00"]]}, "UTC", "unknown weekday 'monday' in working hours; use mon, tue"),
        ({"Mon": [["09:00", "18:00"]]}, "UTC", "unknown weekday 'Mon'"),
        ({"mon": [["9:00", "18:00"]]}, "UTC", "mon: invalid time '9:00'; expected HH:MM from 00:00 to 24:00"),
        ({"tue": [["09:00", "25:00"]]}, "UTC", "tue: invalid time '25:00'"),
        ({"tue": [["09:00", "12:60"]]}, "UTC", "tue: invalid time '12:60'"),
        ({"tue": [["09:00", "24:30"]]}, "UTC", "tue: invalid time '24:30'"),
        ({"tue": [["09:00", "18:00:00"]]}, "UTC", "tue: invalid time '18:00:00'"),
        (
            {"tue": [["\u0660\u0669:\u0660\u0660", "18:00"]]},
            "UTC",
            "tue: invalid time",
        ),  # Arabic-Indic digits
        ({"tue": [[900, "18:00"]]}, "UTC", "tue: invalid time 900"),
        ({"wed": [["18:00", "09:00"]]}, "UTC", "wed: interval 18:00-09:00 must end after it starts"),
        ({"wed": [["09:00", "09:00"]]}, "UTC", "wed: interval 09:00-09:00 must end after it starts"),
        ({"wed": [["24:00", "24:00"]]}, "UTC", "wed: interval 24:00-24:00 must end after it starts"),
        (
            {"thu": [["09:00", "13:00"], ["12:00", "18:00"]]},
            "UTC",
            "thu: intervals 09:00-13:00 and 12:00-18:00 overlap",
        ),
        (
            {"thu": [["12:00", "18:00"], ["09:00", "13:00"]]},
            "UTC",
            "thu: intervals 09:00-13:00 and 12:00-18:00 overlap",
        ),
        (
            {"thu": [["09:00", "18:00"], ["10:00", "11:00"]]},
            "UTC",
            "thu: intervals 09:00-18:00 and 10:00-11:00 overlap",
        ),
        ({"fri": [["09:00"]]}, "UTC", r"fri: each interval must be a \[start, end\] pair, got \['09:00'\]"),
        ({"fri": ["09:00-18:00"]}, "UTC", r"fri: each interval must be a \[start, end\] pair"),
        ({"fri": "09:00-18:00"}, "UTC", r"fri: expected a list of \[start, end\] pairs"),
        ([["09:00", "18:00"]], "UTC", "working hours must be a mapping"),
        ({}, "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ({}, "", "unknown time zone ''"),
        ({}, "Europe", "unknown time zone 'Europe'"),
        ({}, "../../etc/passwd", "unknown time zone"),
    ],
)
def test_from_config_rejects_bad_configuration(working_hours: object, time_zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_config(working_hours, time_zone)


def test_holidays_must_be_dates() -> None:
    with pytest.raises(ValueError, match=r"holiday datetime\.datetime\(2024, 12, 25, 0, 0\) is not a date"):
        BusinessCalendar.from_config({}, "UTC", [datetime(2024, 12, 25)])  # noqa: DTZ001 - the bad input


def test_the_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match="mon: interval 10:00-09:00 must end after it starts"):
        BusinessCalendar(time_zone="UTC", working_hours={"mon": (("10:00", "09:00"),)})
    with pytest.raises(ValueError, match="unknown time zone 'Nowhere'"):
        BusinessCalendar(time_zone="Nowhere")


def test_naive_datetimes_are_refused() -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    naive = datetime(2024, 1, 8, 10, 0)  # noqa: DTZ001 - the bad input
    aware = sg(2024, 1, 8, 10, 0)
    with pytest.raises(ValueError, match="start must be a timezone-aware datetime"):
        calendar.add_business_time(naive, HOUR)
    with pytest.raises(ValueError, match="start must be a timezone-aware datetime"):
        calendar.business_time_between(naive, aware)
    with pytest.raises(ValueError, match="end must be a timezone-aware datetime"):
        calendar.business_time_between(aware, naive)
    with pytest.raises(ValueError, match="at must be a timezone-aware datetime"):
        calendar.is_open(naive)
    with pytest.raises(ValueError, match="at must be a timezone-aware datetime"):
        calendar.next_opening(naive)
    # Even around the clock, where no conversion is needed.
    with pytest.raises(ValueError, match="timezone-aware"):
        BusinessCalendar.around_the_clock().add_business_time(naive, HOUR)


def test_a_negative_duration_is_refused() -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    with pytest.raises(ValueError, match="duration must not be negative"):
        calendar.add_business_time(sg(2024, 1, 8, 10, 0), -MINUTE)


def test_a_calendar_without_working_time() -> None:
    calendar = BusinessCalendar.from_config({"mon": [], "tue": []}, "UTC")
    start = utc(2024, 1, 8, 10, 0)
    assert not calendar.is_24_7
    assert not calendar.is_open(start)
    assert calendar.business_time_between(start, start + timedelta(days=3650)) == timedelta(0)
    assert calendar.add_business_time(start, timedelta(0)) == start
    with pytest.raises(ValueError, match="the calendar has no working hours on any weekday"):
        calendar.add_business_time(start, HOUR)
    with pytest.raises(ValueError, match="no working hours"):
        calendar.next_opening(start)


def test_value_semantics() -> None:
    from_json = BusinessCalendar.from_config(
        {"tue": [["13:00", "18:00"], ["09:00", "12:00"]]}, "Europe/Berlin", [date(2024, 12, 25)]
    )
    direct = BusinessCalendar(
        time_zone="Europe/Berlin",
        working_hours={"tue": (("09:00", "12:00"), ("13:00", "18:00"))},
        holidays=frozenset({date(2024, 12, 25)}),
    )
    assert from_json == direct
    assert hash(from_json) == hash(direct)
    assert from_json.working_hours == {"tue": (("09:00", "12:00"), ("13:00", "18:00"))}
    assert pickle.loads(pickle.dumps(from_json)) == from_json
    moved = dataclasses.replace(from_json, time_zone="Asia/Tokyo")
    assert moved.is_open(local("Asia/Tokyo", 2024, 1, 9, 10, 0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        from_json.time_zone = "UTC"  # type: ignore[misc]


# -- pausing --------------------------------------------------------------------------------------


def test_a_pause_pushes_the_deadline_by_the_business_time_paused() -> None:
    calendar = BusinessCalendar.from_config(WEEKDAY_HOURS, SINGAPORE)
    created, target = sg(2024, 1, 8, 10, 0), hours(9)
    deadline = calendar.add_business_time(created, target)
    assert deadline == sg(2024, 1, 9, 10, 0)

    # Pending from Monday 15:00 to Tuesday 11:00: three hours on Monday and two on Tuesday.
    paused_at, resumed_at = sg(2024, 1, 8, 15, 0), sg(2024, 1, 9, 11, 0)
    paused = calendar.business_time_between(paused_at, resumed_at)
    assert paused == hours(5)
    new_deadline = calendar.add_business_time(deadline, paused)
    assert new_deadline == sg(2024, 1, 9, 15, 0)
    # The same deadline, counted as "what was left when paused, from the resumption".
    elapsed = calendar.business_time_between(created, paused_at)
    assert calendar.add_business_time(resumed_at, target - elapsed) == new_deadline
    # And as the whole target over the unpaused time.
    assert calendar.business_time_between(created, new_deadline) - paused == target

    # Pending overnight costs nothing and moves nothing.
    overnight = calendar.business_time_between(sg(2024, 1, 8, 18, 30), sg(2024, 1, 9, 8, 45))
    assert overnight == timedelta(0)
    assert calendar.add_business_time(deadline, overnight) == deadline


def test_pausing_randomly_agrees_with_counting_the_target_over_unpaused_time() -> None:
    rng = random.Random(7)
    calendar = BusinessCalendar.from_config(
        LUNCH_HOURS, "America/New_York", [date(2024, 7, 4), date(2024, 12, 25)]
    )
    for _ in range(300):
        created = utc(2024, 1, 1) + timedelta(seconds=rng.randrange(360 * 86400))
        target = timedelta(minutes=rng.randrange(1, 60 * 40))
        deadline = calendar.add_business_time(created, target)
        paused_at = created + (deadline - created) * rng.random()
        resumed_at = paused_at + timedelta(minutes=rng.randrange(0, 60 * 24 * 9))
        assert paused_at < deadline  # a pause after the breach moves nothing: not this case
        paused = calendar.business_time_between(paused_at, resumed_at)
        new_deadline = calendar.add_business_time(deadline, paused)
        elapsed = calendar.business_time_between(created, paused_at)
        assert calendar.add_business_time(resumed_at, target - elapsed) == new_deadline
        assert calendar.add_business_time(created, target + paused) == new_deadline
        assert calendar.business_time_between(created, new_deadline) == target + paused


# -- randomized properties ------------------------------------------------------------------------

PROPERTY_CALENDARS = [
    pytest.param(
        LUNCH_HOURS,
        "Europe/Berlin",
        {date(2024, 3, 29), date(2024, 4, 1), date(2024, 12, 24), date(2024, 12, 25), date(2025, 1, 1)},
        (2024, 2025),
        id="berlin-lunch-holidays",
    ),
    pytest.param(
        # Night shifts whose edges sit on New York's DST changes (02:00 skipped, 01:00-02:00 repeated).
        {day: [["00:00", "02:30"], ["20:00", "24:00"]] for day in WEEKDAYS},
        "America/New_York",
        set(),
        (2024, 2025),
        id="new-york-nights",
    ),
    pytest.param(
        {"sat": [["10:00", "10:30"]]}, "Asia/Kolkata", {date(2024, 6, 1)}, (2024, 2025), id="sparse"
    ),
    pytest.param(
        {}, "Australia/Lord_Howe", {date(2024, 4, 7), date(2024, 10, 6)}, (2024, 2025), id="24-7-holidays"
    ),
    pytest.param(
        {day: [["00:00", "06:00"]] for day in WEEKDAYS},
        "America/Recife",
        set(),
        (2000, 2001),
        id="recife-2000",
    ),
]


def _random_instant(rng: random.Random, zone: str, years: tuple[int, int]) -> datetime:
    """A random instant in UTC (so that the test's own arithmetic is real time)."""
    start, end = local(zone, years[0], 1, 1), local(zone, years[1], 1, 1)
    if rng.random() < 0.4:
        # A round wall-clock time (wall arithmetic, either reading of a repeated one), so that
        # opening and closing instants come up often.
        moment = start + rng.randrange((end - start) // QUARTER) * QUARTER
        return moment.replace(fold=rng.randrange(2)).astimezone(UTC)
    return (start + rng.randrange((end - start) // MICROSECOND) * MICROSECOND).astimezone(UTC)


def _random_duration(rng: random.Random) -> timedelta:
    scale = rng.choice([MINUTE, QUARTER, HOUR, 100 * HOUR])
    return rng.randrange(0, 40) * scale + (
        timedelta(microseconds=rng.randrange(10**6)) if rng.random() < 0.3 else timedelta(0)
    )


@pytest.mark.parametrize(("working_hours", "zone", "holidays", "years"), PROPERTY_CALENDARS)
def test_add_and_between_are_inverse(
    working_hours: WorkingHours, zone: str, holidays: set[date], years: tuple[int, int]
) -> None:
    rng = random.Random(f"{zone}-{sorted(holidays)}")
    calendar = BusinessCalendar.from_config(working_hours, zone, holidays)
    for _ in range(600):
        start, end = sorted((_random_instant(rng, zone, years), _random_instant(rng, zone, years)))
        if rng.random() < 0.5:
            end = start + (end - start) / 50  # plenty of short windows too

        # between, then add: lands on `end` or on the last working instant before it.
        elapsed = calendar.business_time_between(start, end)
        assert timedelta(0) <= elapsed <= end - start
        reached = calendar.add_business_time(start, elapsed)
        assert reached <= end
        assert calendar.business_time_between(reached, end) == timedelta(0)
        assert calendar.business_time_between(start, reached) == elapsed
        if calendar.is_open(end) and elapsed and calendar.is_open(end - MICROSECOND):
            assert reached == end

        # add, then between: exactly the duration, and not a microsecond earlier.
        duration = _random_duration(rng)
        deadline = calendar.add_business_time(start, duration)
        assert_utc(deadline)
        assert calendar.business_time_between(start, deadline) == duration
        if duration:
            assert calendar.business_time_between(start, deadline - MICROSECOND) < duration
            assert calendar.is_open(deadline - MICROSECOND)

        # Counting in two legs is counting once.
        middle = start + (end - start) * rng.random()
        assert (
            calendar.business_time_between(start, middle) + calendar.business_time_between(middle, end)
            == elapsed
        )
        more = _random_duration(rng) + MICROSECOND
        assert calendar.add_business_time(deadline, more) == calendar.add_business_time(
            start, duration + more
        )

        # Opening: the first working instant, with nothing to count before it.
        opening = calendar.next_opening(start)
        assert opening >= start
        assert calendar.is_open(opening)
        assert calendar.business_time_between(start, opening) == timedelta(0)
        assert calendar.is_open(start) is (opening == start)
